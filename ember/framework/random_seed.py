"""Global and operation seeds, with TensorFlow's rules, and the generators behind random ops.

A random op carries three attrs: ``seed`` and ``seed2`` (from ``get_seed``) and ``key``:

- ``key == 0``: an eager op; every call with the same op, dtype and seeds draws from one
  shared generator that advances (so two calls with the same op seed differ);
- ``key > 0``: a node of a traced graph; that node keeps its own advancing generator,
  so two nodes with the same seeds give the same numbers and each run gives new ones;
- ``key == -1``: an eager op whose op seed came from the global seed's counter; the pair
  is used once, so its generator is not kept.

``seed == seed2 == 0`` means "no seed": the generator starts from OS entropy.
``set_seed`` resets the counter and drops every kept generator.

The counter is process-wide, as TensorFlow's is, and taken under a lock: ops drawing op
seeds in several threads at once get distinct seeds, and after ``set_seed(s)`` one thread
making the same random calls gets the same sequence of seeds again.
"""
from __future__ import annotations

import itertools
import operator
import os
import threading
import weakref

import numpy as np

from ember.framework.context import context, settings

__all__ = ["set_seed", "get_seed"]

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1
_MASK64 = (1 << 64) - 1

_node_keys = itertools.count(1)
# guards the op-seed counters (the eager one in settings and each graph's)
_counter_lock = threading.Lock()


def _fresh_lock_after_fork():
    """A forked child gets the lock unlocked (another parent thread may have held it)."""
    global _counter_lock
    _counter_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_after_fork)
_graph_counters: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_graph_counters_by_id: dict = {}


def _as_seed(value, what):
    if value is None:
        return None
    try:
        return operator.index(value)
    except TypeError:
        pass
    arr = np.asarray(value)
    if arr.ndim == 0 and arr.dtype.kind in "iu":
        return int(arr)
    raise TypeError(f"{what} must be an integer or None, got {value!r}")


def _truncate(seed):
    return seed % _MAXINT32


def _mix(a, b):
    """A well-spread 31-bit op seed from (global seed, counter) (splitmix64 finaliser)."""
    z = ((a & _MASK64) * 0x9E3779B97F4A7C15 + b + 0x632BE59BD9B4E019) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) % _MAXINT32


def set_seed(seed) -> None:
    """Sets the global random seed (``None`` clears it).

    Afterwards the same sequence of random calls gives the same numbers again:

    >>> ember.random.set_seed(1234)
    >>> a = ember.random.uniform([1])
    >>> ember.random.set_seed(1234)
    >>> bool(ember.random.uniform([1]) == a)
    True
    """
    seed = _as_seed(seed, "set_seed: seed")
    graph = context.graph
    if graph is not None:
        try:
            graph.seed = seed
        except AttributeError:
            settings.global_seed = seed
        with _counter_lock:
            _set_graph_counter(graph, 0)
        return
    with _counter_lock:
        settings.global_seed = seed
        settings.seed_counter = 0
        settings.rng_cache.clear()


def _graph_counter(graph):
    try:
        return _graph_counters.get(graph, 0)
    except TypeError:
        return _graph_counters_by_id.get(id(graph), 0)


def _set_graph_counter(graph, value):
    try:
        _graph_counters[graph] = value
    except TypeError:
        _graph_counters_by_id[id(graph)] = value


def _global_seed():
    graph = context.graph
    if graph is not None and getattr(graph, "seed", None) is not None:
        return graph.seed
    return settings.global_seed


def next_count(graph=None) -> int:
    """The next value of the op-seed counter (of ``graph``, else the eager one), taken
    atomically: each call from any thread gets its own."""
    with _counter_lock:
        if graph is not None:
            n = _graph_counter(graph)
            _set_graph_counter(graph, n + 1)
        else:
            n = settings.seed_counter
            settings.seed_counter = n + 1
    return n


def _next_op_seed(global_seed):
    return _mix(global_seed, next_count(context.graph))


def get_seed(op_seed):
    """The ``(seed, seed2)`` pair a random op uses, from the global seed and ``op_seed``.

    - neither set: ``(None, None)`` (the op seeds itself nondeterministically);
    - global seed only: the op seed comes from a counter that ``set_seed`` resets;
    - op seed only: a fixed default global seed is used with it;
    - both: both are used.

    >>> ember.random.set_seed(None)
    >>> ember.random.get_seed(7)
    (87654321, 7)
    """
    op_seed = _as_seed(op_seed, "get_seed: op_seed")
    global_seed = _global_seed()
    if global_seed is not None:
        if op_seed is None:
            op_seed = _next_op_seed(global_seed)
        seeds = (_truncate(global_seed), _truncate(op_seed))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, _truncate(op_seed))
    else:
        return None, None
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def seed_attrs(op_seed):
    """The ``seed``, ``seed2`` and ``key`` attrs of a stateful random op (see module doc)."""
    auto = op_seed is None and _global_seed() is not None
    seed, seed2 = get_seed(op_seed)
    if context.graph is not None:
        key = next(_node_keys)
    else:
        key = -1 if auto else 0
    return {"seed": seed or 0, "seed2": seed2 or 0, "key": key}


def philox(seed, seed2, stream=0):
    """A NumPy generator keyed by the pair (or from OS entropy for ``(0, 0)``).

    ``stream`` (the counter's top word) keeps seeded, stateless and derived-seed streams
    apart for the same pair.
    """
    if seed == 0 and seed2 == 0 and stream == 0:
        return np.random.Generator(np.random.Philox())
    key = np.array([seed & _MASK64, seed2 & _MASK64], dtype=np.uint64)
    counter = np.array([0, 0, 0, stream], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key, counter=counter))


def kernel_generator(op_name, dtype, seed, seed2, key):
    """The advancing generator a stateful random kernel draws from (see module doc)."""
    if key < 0:
        return _fast_stream(seed, seed2)
    cache_key = (op_name, dtype, seed, seed2, key)
    gen = settings.rng_cache.get(cache_key)
    if gen is None:     # two threads asking at once both get the one stored first
        gen = settings.rng_cache.setdefault(cache_key, _fast_stream(seed, seed2))
    return gen


def _fast_stream(seed, seed2):
    """The advancing generator of a seeded stateful kernel: PCG64 keyed by the pair
    (faster than Philox for the large draws dropout makes every step)."""
    if seed == 0 and seed2 == 0:
        return np.random.Generator(np.random.PCG64())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [seed & _MASK64, seed2 & _MASK64, 1])))
