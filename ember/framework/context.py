"""Execution state read by the dispatcher: per thread, the graph being built and the tapes
recording; per process, the few settings that are the program's rather than a call's.

The execution state is per thread, as TensorFlow's execution context is: a graph one
thread traces (``ember.function``, a v1 ``Graph.as_default()``), and the tapes one thread
records on, are invisible to every other thread, so eager ops, tapes and traces in
different threads never see each other's state. A new thread starts eager with no tapes
(or, after ``compat.v1.disable_eager_execution``, building into the v1 default graph, as
TensorFlow's threads do). Name scopes and control dependencies belong to the graph being
built and are per thread as well (``Graph``).

``context.graph`` and ``context.tapes`` read and set the calling thread's state. The state
object sits in a ``contextvars.ContextVar`` (each thread starts with a context of its own;
an asyncio task shares its thread's state): reading it costs about 15 ns where a
``threading.local`` attribute cost 200-450 ns on the machines ember is measured on. The
dispatcher's hot path reads it once per op through ``state()``.

``settings`` is per process, deliberately: whether eager execution is the default (v1
``disable_eager_execution`` sets it for the whole program, as in TensorFlow), whether
functions run eagerly (``ember.config.run_functions_eagerly``, global in TF too), the global
random seed and the generators it drives (``ember.random.set_seed`` seeds every thread's
later ops, as in TensorFlow), and the test suite's infer checking. Runtime settings
(threads, spinning, BLAS threads, heap tuning) live in ``ember.config``.
"""
from __future__ import annotations

import contextvars


class _Settings:
    """Process-wide settings (see the module docstring)."""

    __slots__ = ("check_infer", "global_seed", "seed_counter", "rng_cache", "eager_default",
                 "default_graph", "run_functions_eagerly")

    def __init__(self):
        self.check_infer = False   # tests turn this on: every eager op checks its own infer
        self.global_seed = None
        self.seed_counter = 0
        self.rng_cache = {}
        self.eager_default = True  # compat.v1.disable_eager_execution turns this off
        self.default_graph = None  # the graph a new thread builds into (v1 graph mode)
        self.run_functions_eagerly = False   # ember.config.run_functions_eagerly


settings = _Settings()


class ThreadState:
    """One thread's execution state."""

    __slots__ = ("graph", "tapes", "eager_scope")

    def __init__(self):
        self.graph = settings.default_graph   # the Graph being built, None when eager
        self.tapes = []                       # GradientTapes recording in this thread
        self.eager_scope = []      # name scopes entered eagerly (prefix eager variable names)


_state = contextvars.ContextVar("ember_execution_state")
# ``current(None) or new_state()`` is the calling thread's ThreadState: two C calls at most,
# for the dispatcher's hot path; ``state()`` elsewhere
current = _get = _state.get


def new_state() -> ThreadState:
    """Makes the calling thread's state (the first time it is asked for)."""
    st = ThreadState()
    _state.set(st)
    return st


_new_state = new_state


def state() -> ThreadState:
    """The calling thread's execution state."""
    return _get(None) or _new_state()


class _Context:
    """``context.graph`` and ``context.tapes``: the calling thread's (see above)."""

    __slots__ = ()

    @property
    def graph(self):
        return (_get(None) or _new_state()).graph

    @graph.setter
    def graph(self, value):
        (_get(None) or _new_state()).graph = value

    @property
    def tapes(self):
        return (_get(None) or _new_state()).tapes

    @tapes.setter
    def tapes(self, value):
        (_get(None) or _new_state()).tapes = value

    @property
    def eager_scope(self):
        return (_get(None) or _new_state()).eager_scope


context = _Context()


def executing_eagerly() -> bool:
    """True unless a graph is being built (inside ``ember.function`` or a v1 Graph)."""
    return (_get(None) or _new_state()).graph is None and settings.eager_default
