"""``ember.autograph`` (``tf.autograph``): converts Python control flow on tensors into graph
control flow.

``ember.function`` converts the function it traces by default (``autograph=False`` opts
out): ``if``/``while``/``for`` whose condition or iterated object is a tensor of the trace
become ``cond``/``while_loop``; on Python values they stay Python. Functions the converted
code calls are converted too, unless they belong to ember, NumPy or the standard library.

    @tf.function
    def collatz(n):
        steps = 0
        while n != 1:
            n = tf.where(n % 2 == 0, n // 2, 3 * n + 1)
            steps += 1
        return steps
"""
from __future__ import annotations

import builtins as _builtins

from ember.autograph import experimental  # noqa: F401
from ember.autograph.conversion import to_code, to_graph  # noqa: F401

__all__ = ["experimental", "set_verbosity", "to_code", "to_graph", "trace"]

_verbosity = 0


def set_verbosity(level: int, alsologtostdout: bool = False) -> None:
    """Sets how much AutoGraph reports about conversions (ember reports only failures,
    as warnings, whatever the level)."""
    global _verbosity
    _verbosity = int(level)


def get_verbosity() -> int:
    return _verbosity


def trace(*args) -> None:
    """Prints its arguments when the code runs in Python (while tracing, once per trace).

    >>> tf.autograph.trace("x is", x)
    """
    _builtins.print(*args)


def _install():
    from ember.autograph.conversion import tf_convert
    from ember.framework import function as _function
    _function.autograph_hook = tf_convert


_install()
