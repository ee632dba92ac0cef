"""Execution state read by the dispatcher: per thread, the graph being built and the tapes
recording; per process, the few settings that are the program's rather than a call's.

``context`` is per thread, as TensorFlow's execution context is: a graph one thread
traces (``ember.function``, a v1 ``Graph.as_default()``), and the tapes one thread
records on, are invisible to every other thread, so eager ops, tapes and traces in
different threads never see each other's state. A new thread starts eager with no tapes
(or, after ``compat.v1.disable_eager_execution``, building into the v1 default graph, as
TensorFlow's threads do). Name scopes and control dependencies belong to the graph being
built and are per thread as well (``Graph``).

``settings`` is per process, deliberately: whether eager execution is the default (v1
``disable_eager_execution`` sets it for the whole program, as in TensorFlow), the global
random seed and the generators it drives (``ember.random.set_seed`` seeds every thread's
later ops, as in TensorFlow), and the test suite's infer checking. Runtime settings
(threads, spinning, BLAS threads, heap tuning) live in ``ember.config``.

Both are plain attribute reads on the hot path: ``context`` is a ``threading.local``
subclass, whose attributes each thread sets once, in ``__init__``.
"""
from __future__ import annotations

import threading


class _Settings:
    """Process-wide settings (see the module docstring)."""

    __slots__ = ("check_infer", "global_seed", "seed_counter", "rng_cache", "eager_default",
                 "default_graph")

    def __init__(self):
        self.check_infer = False   # tests turn this on: every eager op checks its own infer
        self.global_seed = None
        self.seed_counter = 0
        self.rng_cache = {}
        self.eager_default = True  # compat.v1.disable_eager_execution turns this off
        self.default_graph = None  # the graph a new thread builds into (v1 graph mode)


settings = _Settings()


class _Context(threading.local):
    """One thread's execution state; ``__init__`` runs once in each thread that reads it."""

    def __init__(self):
        self.graph = settings.default_graph   # the Graph being built, None when eager
        self.tapes = []                       # GradientTapes recording in this thread


context = _Context()


def executing_eagerly() -> bool:
    """True unless a graph is being built (inside ``ember.function`` or a v1 Graph)."""
    return context.graph is None and settings.eager_default
