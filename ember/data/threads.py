"""Thread pools of the pipeline: parallel map, parallel batching, interleave's readers."""
from __future__ import annotations

import collections
import concurrent.futures as futures
import os
import threading

from ember.data.dataset import AUTOTUNE

__all__ = ["parallelism", "parallel_map", "ignoring_errors", "ignore_errors_active",
           "first_ready", "Feed", "Raised"]

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


class Raised:
    """An exception a feeding thread hands to the consumer."""
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


class Feed:
    """A bounded queue that daemon threads fill from iterators (``start``), each putting
    ``end`` after its last item, or a ``Raised`` with its exception; ``close`` stops them
    (a thread blocked on a full queue gives up within 0.1 s). A thread runs with the
    pipeline options of the thread that started it."""

    def __init__(self, size):
        import queue
        self._full = queue.Full
        self.queue = queue.Queue(maxsize=max(1, size))
        self._stop = threading.Event()

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except self._full:
                continue
        return False

    def start(self, iterator, end, name):
        from ember.data.options import applying, outer_options
        outer = outer_options()

        def run():
            try:
                with applying(outer):
                    for item in iterator:
                        if not self._put(item):
                            return
            except BaseException as e:      # handed to the consumer
                self._put(Raised(e))
                return
            self._put(end)
        threading.Thread(target=run, name=name, daemon=True).start()

    def close(self):
        self._stop.set()


def first_ready(sources, open_reader, cycle_length, per_reader):
    """Non-deterministic interleave: up to ``cycle_length`` readers (``open_reader(source
    element)`` -> iterator) run on a thread each and hand their elements to one queue, so
    whichever reader has an element ready goes first; a reader that ends is replaced by
    the next source element. Every element of every reader is yielded once. Readers stop
    when the consumer goes away; an exception travels to the consumer."""
    ended = object()
    feed = Feed(cycle_length * per_reader)
    source = iter(sources)
    running = 0

    def open_next():
        for element in source:
            feed.start(open_reader(element), ended, "ember-data-interleave")
            return 1
        return 0
    try:
        while running < cycle_length and open_next():
            running += 1
        while running:
            item = feed.queue.get()
            if item is ended:
                running += open_next() - 1
                continue
            if type(item) is Raised:
                raise item.error
            yield item
    finally:
        feed.close()
