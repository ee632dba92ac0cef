"""Thread pools of the pipeline: parallel map, parallel batching, interleave's readers."""
from __future__ import annotations

import collections
import concurrent.futures as futures
import os
import threading

from ember.data.dataset import AUTOTUNE

__all__ = ["parallelism", "parallel_map", "ignoring_errors", "ignore_errors_active"]

_state = threading.local()


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parallelism(num_parallel_calls, options=None) -> int:
    """Workers for ``num_parallel_calls`` (``AUTOTUNE``: the cores this process may use,
    capped by ``Options.threading.private_threadpool_size`` when set)."""
    if num_parallel_calls is None:
        return 1
    n = int(num_parallel_calls)
    if n == AUTOTUNE:
        n = cpu_count()
        cap = getattr(getattr(options, "threading", None), "private_threadpool_size", None)
        if cap:
            n = min(n, int(cap))
    if n <= 0:
        raise ValueError(f"num_parallel_calls must be positive or tf.data.AUTOTUNE, got "
                         f"{num_parallel_calls}.")
    return n


class ignoring_errors:
    """While active in this thread, element functions that raise drop their element."""

    def __enter__(self):
        self._prev = getattr(_state, "ignore", False)
        _state.ignore = True

    def __exit__(self, *exc):
        _state.ignore = self._prev


def ignore_errors_active() -> bool:
    return getattr(_state, "ignore", False)


_SKIP = object()


def parallel_map(fn, items, workers, deterministic=True):
    """``fn`` over ``items`` on ``workers`` threads, yielding results (in input order when
    ``deterministic``); at most ``2 * workers`` items are in flight."""
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ember-data")
    pending = collections.deque()
    it = iter(items)
    limit = 2 * workers
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(fn, item))
            if not pending:
                return
            if deterministic:
                fut = pending.popleft()
            else:
                done, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
                fut = next(f for f in pending if f in done)
                pending.remove(fut)
            yield fut.result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=False)
