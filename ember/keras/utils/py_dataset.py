"""``keras.utils.PyDataset`` (and its legacy name ``Sequence``): a dataset defined by
``__len__`` and ``__getitem__`` in Python, read by ``fit``/``evaluate``/``predict`` with
``workers`` threads (or processes, with ``use_multiprocessing=True``) that keep up to
``max_queue_size`` batches ready."""
from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import collections

__all__ = ["PyDataset", "Sequence", "iterate_py_dataset", "num_batches"]


def num_batches(ds):
    """Batches per epoch: ``num_batches`` where a PyDataset defines it, else ``len``
    (None: no end)."""
    if isinstance(ds, PyDataset) and type(ds).num_batches is not PyDataset.num_batches:
        return ds.num_batches
    try:
        return len(ds)
    except NotImplementedError:
        return None


class PyDataset:
    """Base class for datasets of batches computed in Python.

    >>> class Batches(keras.utils.PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, i):
    ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
    ...         return self.x[s], self.y[s]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError("PyDataset subclasses must implement __getitem__.")

    def __len__(self):
        raise NotImplementedError("PyDataset subclasses must implement __len__ (or "
                                  "num_batches).")

    @property
    def num_batches(self):
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


Sequence = PyDataset

_shared = {}


def _get_in_process(key, index):
    return _shared[key][index]


def iterate_py_dataset(ds, steps, order=None):
    """The batches ``0 .. steps-1`` (wrapping around ``len(ds)``; in ``order`` when given),
    read ahead by the dataset's workers."""
    n = num_batches(ds) or steps
    if order is not None:
        index = lambda i: order[i % len(order)]  # noqa: E731
    else:
        index = lambda i: i % n  # noqa: E731
    workers = int(getattr(ds, "workers", 1) or 1)
    queue_size = max(1, int(getattr(ds, "max_queue_size", 10) or 10))
    if workers <= 1:
        for i in range(steps):
            yield ds[index(i)]
        return
    if getattr(ds, "use_multiprocessing", False):
        key = id(ds)
        _shared[key] = ds
        try:
            pool = futures.ProcessPoolExecutor(workers,
                                               mp_context=multiprocessing.get_context("fork"))
        except ValueError:
            pool = futures.ThreadPoolExecutor(workers)
        submit = (lambda i: pool.submit(_get_in_process, key, i)) \
            if isinstance(pool, futures.ProcessPoolExecutor) else \
            (lambda i: pool.submit(ds.__getitem__, i))
    else:
        key = None
        pool = futures.ThreadPoolExecutor(workers, thread_name_prefix="ember-pydataset")
        submit = lambda i: pool.submit(ds.__getitem__, i)  # noqa: E731
    pending = collections.deque()
    try:
        nxt = 0
        for _ in range(steps):
            while nxt < steps and len(pending) < queue_size:
                pending.append(submit(index(nxt)))
                nxt += 1
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=False)
        if key is not None:
            _shared.pop(key, None)
