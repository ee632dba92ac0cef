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
import importlib as _importlib

__all__ = ["experimental", "set_verbosity", "to_code", "to_graph", "trace"]

_verbosity = 0


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """The converted Python function (see ``ember.autograph.conversion.to_graph``)."""
    from ember.autograph import conversion
    return conversion.to_graph(entity, recursive, experimental_optional_features)


def to_code(entity, recursive=True, experimental_optional_features=None):
    """The source code AutoGraph generates for ``entity``."""
    from ember.autograph import conversion
    return conversion.to_code(entity, recursive, experimental_optional_features)


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


def __getattr__(name):
    """``experimental`` loads on first use (the converter imports ``ast``)."""
    if name == "experimental":
        return _importlib.import_module(f"{__name__}.experimental")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _tf_convert(fn):
    from ember.autograph.conversion import tf_convert
    return tf_convert(fn)


def _install():
    from ember.engine import function as _function
    _function.autograph_hook = _tf_convert


_install()
