"""Server-side batching (TensorFlow Serving's ``--enable_batching``): predict requests
that arrive together for one signature run as one batch, their rows concatenated, and
each gets its own rows of the outputs back. A batch closes when it holds
``max_batch_size`` rows or ``batch_timeout_micros`` after its first request; with
``allowed_batch_sizes`` it is padded (repeating its last row) up to the next allowed size.

The parameters file is TensorFlow Serving's ``--batching_parameters_file`` (protobuf
text)::

    max_batch_size { value: 32 }
    batch_timeout_micros { value: 2000 }
    num_batch_threads { value: 2 }
    allowed_batch_sizes: 8  allowed_batch_sizes: 32

A request larger than ``max_batch_size`` rows, or whose inputs do not share their first
dimension, runs on its own.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ember.serving.config import parse_text_message

__all__ = ["BatchingParameters", "Batcher", "parse_batching_parameters"]


@dataclass
class BatchingParameters:
    """TensorFlow Serving's BatchingParameters (the ones ember uses)."""

    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    num_batch_threads: int = 1
    max_enqueued_batches: int = 1000000
    allowed_batch_sizes: tuple = ()

    def __post_init__(self):
        if self.max_batch_size < 1 or self.num_batch_threads < 1:
            raise ValueError(f"batching parameters: max_batch_size and num_batch_threads "
                             f"must be at least 1; got {self.max_batch_size} and "
                             f"{self.num_batch_threads}.")
        self.allowed_batch_sizes = tuple(sorted(int(s) for s in self.allowed_batch_sizes))
        if self.allowed_batch_sizes and self.allowed_batch_sizes[-1] != self.max_batch_size:
            raise ValueError(f"batching parameters: the largest of allowed_batch_sizes "
                             f"{list(self.allowed_batch_sizes)} must equal max_batch_size "
                             f"({self.max_batch_size}).")


def parse_batching_parameters(text: str) -> BatchingParameters:
    """BatchingParameters from TensorFlow Serving's batching parameters file text."""
    msg = parse_text_message(text)
    known = {"max_batch_size", "batch_timeout_micros", "num_batch_threads",
             "max_enqueued_batches", "allowed_batch_sizes", "pad_variable_length_inputs",
             "thread_pool_name", "enable_large_batch_splitting", "max_execution_batch_size"}
    unknown = sorted(set(msg) - known)
    if unknown:
        raise ValueError(f"batching parameters: unknown field(s) {unknown}")
    kwargs = {}
    for name in ("max_batch_size", "batch_timeout_micros", "num_batch_threads",
                 "max_enqueued_batches"):
        if name in msg:
            value = msg[name][-1]
            kwargs[name] = int(value["value"][-1] if isinstance(value, dict) else value)
    if "allowed_batch_sizes" in msg:
        kwargs["allowed_batch_sizes"] = tuple(int(v) for v in msg["allowed_batch_sizes"])
    return BatchingParameters(**kwargs)


class _Task:
    __slots__ = ("arrays", "rows", "key", "done", "result", "error")

    def __init__(self, arrays, rows, key):
        self.arrays, self.rows, self.key = arrays, rows, key
        self.done = threading.Event()
        self.result = self.error = None


class Batcher:
    """Runs ``run(arrays) -> {name: array}`` on batches of concurrent requests."""

    def __init__(self, run, params: BatchingParameters):
        self._run = run
        self.params = params
        self._queue = []
        self._cond = threading.Condition()
        self._threads = 0
        self.batches_run = 0          # how many batches ran (requests / batches: the gain)

    def submit(self, arrays: dict) -> dict:
        """The outputs for these inputs' rows (blocks until their batch has run)."""
        sizes = {a.shape[0] if a.ndim else None for a in arrays.values()}
        rows = sizes.pop() if len(sizes) == 1 else None
        if rows is None or rows == 0 or rows > self.params.max_batch_size:
            return self._run(arrays)
        key = tuple(sorted((n, a.dtype.str, a.shape[1:]) for n, a in arrays.items()))
        task = _Task(arrays, rows, key)
        with self._cond:
            self._queue.append(task)
            if self._threads < self.params.num_batch_threads:
                self._threads += 1
                threading.Thread(target=self._loop, daemon=True,
                                 name="ember-batching").start()
            self._cond.notify()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

    def _take_batch(self):
        """The next batch's tasks, taken off the queue (None after a second with nothing
        to do: the thread then ends, and a later request starts another)."""
        limit = self.params.max_batch_size
        with self._cond:
            if not self._queue and not self._cond.wait_for(lambda: self._queue, 1.0):
                self._threads -= 1
                return None
            key = self._queue[0].key
            deadline = time.monotonic() + self.params.batch_timeout_micros / 1e6
            batch, rows = [], 0
            while True:
                for t in list(self._queue):
                    if t.key == key and rows + t.rows <= limit:
                        self._queue.remove(t)
                        batch.append(t)
                        rows += t.rows
                left = deadline - time.monotonic()
                if rows >= limit or left <= 0:
                    return batch
                self._cond.wait(left)

    def _loop(self):
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            self._run_batch(batch)

    def _run_batch(self, batch):
        rows = sum(t.rows for t in batch)
        size = next((s for s in self.params.allowed_batch_sizes if s >= rows), rows)
        try:
            arrays = {}
            for name in batch[0].arrays:
                parts = [t.arrays[name] for t in batch]
                if size > rows:
                    parts.append(np.repeat(parts[-1][-1:], size - rows, axis=0))
                arrays[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
            outputs = self._run(arrays)
            with self._cond:
                self.batches_run += 1
            for name, out in outputs.items():
                if out.ndim == 0 or out.shape[0] != size:
                    raise ValueError(f"batching: output '{name}' has shape {list(out.shape)}, "
                                     f"not the batch's {size} rows first; serve this model "
                                     f"without --enable_batching.")
            start = 0
            for t in batch:
                t.result = {n: out[start:start + t.rows] for n, out in outputs.items()}
                start += t.rows
        except Exception as e:                  # noqa: BLE001 - each request gets it
            for t in batch:
                t.error = e
        for t in batch:
            t.done.set()
