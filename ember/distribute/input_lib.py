"""Distributed input: a dataset's global batches split for the replicas.

Across workers, ``experimental_distribute_dataset`` applies the dataset's
``options().experimental_distribute.auto_shard_policy``:
- ``DATA`` (and ``AUTO`` when the dataset does not read files): every worker reads the
  whole dataset and keeps its part of each global batch (worker ``w`` of ``W`` keeps the
  ``w``-th of ``W`` contiguous slices), as TensorFlow's rebatch-then-shard does. Every
  worker takes the same number of steps.
- ``FILE`` (and ``AUTO`` when it does): each worker reads every ``W``-th file of the
  dataset's file list (a ``list_files`` stage or a reader's file names) and keeps its
  whole batches. A dataset without files raises with ``FILE``.
- ``OFF``: no sharding; the batches are cut into per-replica pieces and each worker takes
  as many consecutive pieces as it has local replicas (every worker reads the same data).
- ``HINT`` is not supported (NotImplementedError).
Within a worker, each batch is cut into one contiguous piece per local replica (sizes as
even as possible, the first pieces one larger); with one local replica the element is the
batch itself, else a ``PerReplica``.
"""
from __future__ import annotations

import copy

import numpy as np

import ember
from ember.framework import nest
from ember.distribute.input_options import InputContext
from ember.distribute.values import regroup

__all__ = ["DistributedDataset", "DistributedDatasetsFromFunction", "DistributedIterator",
           "split_batch", "worker_part"]

_OFF, _AUTO, _FILE, _DATA, _HINT = -1, 0, 1, 2, 3


def _batch_size(first):
    """The batch size of an array or tensor: an int when known, else a scalar tensor."""
    if first is None or len(getattr(first, "shape", np.shape(first))) == 0:
        raise ValueError("tf.distribute: cannot split an element without a batch dimension "
                         "over replicas or workers; batch the dataset with the global batch "
                         f"size first (got {first!r})")
    if isinstance(first, ember.Tensor):
        static = first.shape[0] if first.shape.rank else None
        return int(static) if static is not None else ember.shape(first)[0]
    return int(np.shape(first)[0])


def split_bounds(size, n: int) -> list:
    """``(start, stop)`` of ``n`` contiguous pieces of ``size`` items, as even as possible,
    the first ones one larger (``size`` an int, or a scalar tensor while tracing)."""
    if isinstance(size, (int, np.integer)):
        q, r = divmod(int(size), n)
        starts = [q * i + min(i, r) for i in range(n + 1)]
    else:
        q, r = size // n, size % n
        starts = [q * i + ember.minimum(i, r) for i in range(n + 1)]
    return list(zip(starts[:-1], starts[1:]))


def split_batch(batch, n: int) -> list:
    """``batch`` (a structure of arrays or tensors with a batch dimension) cut into ``n``
    contiguous pieces along it."""
    if n == 1:
        return [batch]
    size = _batch_size(nest.flatten(batch)[0])
    return [nest.map_structure(lambda a, lo=lo, hi=hi: a[lo:hi], batch)
            for lo, hi in split_bounds(size, n)]


def worker_part(batch, num_workers: int, worker: int):
    """Worker ``worker``'s contiguous slice of a global ``batch`` (DATA sharding)."""
    if num_workers == 1:
        return batch
    return split_batch(batch, num_workers)[worker]


def _policy(dataset) -> int:
    options = dataset.options()
    dist = getattr(options, "experimental_distribute", None)
    policy = getattr(dist, "auto_shard_policy", None)
    return _AUTO if policy is None else int(policy)


def _shard_files(dataset, num_shards, index):
    """A copy of ``dataset``'s pipeline reading every ``num_shards``-th file from
    ``index``, or None when its pipeline (a chain of one-input stages) reads no files."""
    from ember.data.readers import _FileReader
    if getattr(dataset, "_is_file_list", False):
        return dataset.shard(num_shards, index)
    if isinstance(dataset, _FileReader):
        out = copy.copy(dataset)
        out._files = dataset._files.shard(num_shards, index)
        return out
    inner = getattr(dataset, "_input", None)
    if inner is None:
        return None
    sharded = _shard_files(inner, num_shards, index)
    if sharded is None:
        return None
    out = copy.copy(dataset)
    out._input = sharded
    return out


def _as_arrays(structure):
    return nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else np.asarray(t),
                              structure)


def _piece_spec(spec):
    """The spec of a piece of a batch of ``spec``: the batch dimension unknown."""
    return nest.map_structure(
        lambda sp: ember.TensorSpec([None] + list(sp.shape)[1:], sp.dtype)
        if sp.shape.rank else sp, spec)


def _source(steps_fn, element_spec, num_local):
    """An ember dataset of the per-step tuples of local pieces ``steps_fn()`` yields."""
    return ember.data.Dataset.from_generator(
        lambda: (tuple(_as_arrays(p) for p in pieces) for pieces in steps_fn()),
        output_signature=tuple([element_spec] * num_local))


class _DistributedInput:
    """What the distributed datasets share: iteration eagerly, ``next`` and ``for``
    inside ``ember.function`` (through an ember dataset of the steps' pieces)."""

    def _source(self):
        raise NotImplementedError

    def __iter__(self):
        return DistributedIterator(self._source(), self.element_spec)

    def _autograph_for_stmt(self, extra_test, body, get_state, set_state, names, opts):
        """``for x in distributed_dataset`` inside ``ember.function``: one graph loop."""
        self._source()._autograph_for_stmt(
            extra_test, lambda pieces: body(regroup(list(pieces))), get_state, set_state,
            names, opts)

    def reduce(self, initial_state, reduce_func):
        state = initial_state
        for element in self:
            state = reduce_func(state, element)
        return state


class DistributedIterator:
    """Yields each step's input: the batch (one local replica) or a ``PerReplica``.
    ``next(iterator)`` also works inside ``ember.function`` (each call of the traced
    function takes the next element), as TensorFlow's tutorials use it."""

    def __init__(self, source, element_spec):
        self._inner = iter(source)
        self.element_spec = element_spec

    def __iter__(self):
        return self

    def __next__(self):
        return regroup(list(next(self._inner)))

    def get_next(self):
        try:
            return next(self)
        except StopIteration:
            raise ember.errors.OutOfRangeError("End of sequence") from None

    def get_next_as_optional(self):
        raise NotImplementedError("DistributedIterator.get_next_as_optional: ember has no "
                                  "tf.experimental.Optional; use get_next() and catch "
                                  "tf.errors.OutOfRangeError, or a for loop")


class DistributedDataset(_DistributedInput):
    """``strategy.experimental_distribute_dataset(dataset)`` (see the module docstring)."""

    def __init__(self, strategy, dataset, options=None):
        ext = strategy.extended
        self._strategy = strategy
        self._dataset = dataset
        self._options = options
        self._local = ext._num_local
        self._workers = ext._num_workers
        self._worker = ext._worker_index
        self._mode = "local"
        if self._workers > 1:
            policy = _policy(dataset)
            if policy == _HINT:
                raise NotImplementedError("experimental_distribute_dataset: "
                                          "AutoShardPolicy.HINT is not supported in ember; use "
                                          "DATA, FILE, AUTO or OFF")
            if policy == _OFF:
                self._mode = "off"
            elif policy in (_AUTO, _FILE):
                sharded = _shard_files(dataset, self._workers, self._worker)
                if sharded is not None:
                    self._dataset = sharded
                elif policy == _FILE:
                    raise ValueError(
                        "experimental_distribute_dataset: AutoShardPolicy.FILE needs a "
                        "dataset that reads files (Dataset.list_files or a file reader at "
                        "its source); this one reads none. Use AutoShardPolicy.DATA or OFF")
                else:
                    self._mode = "data"
            else:
                self._mode = "data"

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def _pieces(self):
        """Per step, the local replicas' pieces."""
        total = self._workers * self._local
        if self._mode == "off":
            pending = []
            for batch in self._dataset:
                pending.extend(split_batch(_as_arrays(batch), total))
                while len(pending) >= self._local:
                    yield pending[:self._local]
                    del pending[:self._local]
            if pending:
                yield pending + [nest.map_structure(lambda a: a[:0], pending[0])] * \
                    (self._local - len(pending))
            return
        for batch in self._dataset:
            arrays = _as_arrays(batch)
            if self._mode == "data":
                parts = split_batch(arrays, total)
                yield parts[self._worker * self._local:(self._worker + 1) * self._local]
            else:
                yield split_batch(arrays, self._local)

    def _source(self):
        return _source(self._pieces, _piece_spec(self._dataset.element_spec), self._local)


class DistributedDatasetsFromFunction(_DistributedInput):
    """``strategy.distribute_datasets_from_function(dataset_fn)``: one dataset per worker
    from ``dataset_fn(InputContext)``, batched per replica; each local replica takes the
    next batch in turn."""

    def __init__(self, strategy, dataset_fn, options=None):
        ext = strategy.extended
        self._local = ext._num_local
        context = InputContext(num_input_pipelines=ext._num_workers,
                               input_pipeline_id=ext._worker_index,
                               num_replicas_in_sync=strategy.num_replicas_in_sync)
        self._dataset = dataset_fn(context)
        if not hasattr(self._dataset, "__iter__") or not hasattr(self._dataset,
                                                                 "element_spec"):
            raise TypeError(f"distribute_datasets_from_function: dataset_fn must return a "
                            f"tf.data.Dataset, got {type(self._dataset).__name__}")

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def _steps(self):
        pending = []
        for batch in self._dataset:
            pending.append(batch)
            if len(pending) == self._local:
                yield pending
                pending = []

    def _source(self):
        return _source(self._steps, self._dataset.element_spec, self._local)
