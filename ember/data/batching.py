"""batch, padded_batch, unbatch and rebatch."""
from __future__ import annotations

import itertools

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ember.data.options import deterministic, in_effect
from ember.data.slicing import _count
from ember.data.threads import parallel_map, parallelism
from ember.framework import dtypes
from ember.engine.function import TensorSpec
from ember.framework.tensor_shape import TensorShape

__all__ = ["BatchDataset", "PaddedBatchDataset", "UnbatchDataset", "RebatchDataset",
           "RaggedBatchDataset", "stack_elements", "RowGatherer"]


def _batched_spec(spec, size):
    def one(s):
        if not isinstance(s, TensorSpec):
            raise TypeError(f"Dataset.batch: cannot batch elements of type "
                            f"{type(s).__name__}.")
        dims = s.shape.as_list() if s.shape.rank is not None else None
        return TensorSpec(TensorShape(None) if dims is None else [size] + dims, s.dtype)
    return structure.map_structure(one, spec)


def _batch_cardinality(n, size, drop):
    if n < 0:
        return n
    return n // size if drop else -(-n // size)


def stack_elements(elements, what="Dataset.batch"):
    """A list of elements (same structure) -> one element with a new leading axis."""
    like = elements[0]
    columns = zip(*[structure.flatten(e) for e in elements])
    out = []
    for c, column in enumerate(columns):
        try:
            out.append(np.stack(column))
        except ValueError:
            first = column[0].shape
            k = next(i for i, a in enumerate(column) if a.shape != first)
            raise ValueError(f"{what}: cannot batch tensors with different shapes in "
                             f"component {c}. First element had shape {list(first)} and "
                             f"element {k} had shape {list(column[k].shape)}.") from None
    return structure.pack(like, out)


def _groups(iterable, size, drop):
    it = iter(iterable)
    while True:
        group = list(itertools.islice(it, size))
        if not group or (drop and len(group) < size):
            return
        yield group


class _Unary(Dataset):
    def __init__(self, input_dataset):
        self._input = input_dataset

    def _inputs(self):
        return [self._input]


class BatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, drop_remainder, num_parallel_calls=None,
                 deterministic=None):
        super().__init__(input_dataset)
        self._size = _count(batch_size, "Dataset.batch: batch_size")
        if self._size <= 0:
            raise ValueError(f"Dataset.batch: batch_size must be greater than zero, got "
                             f"{self._size}.")
        self._drop = bool(drop_remainder)
        self._batch_size = self._size        # what keras.utils.split_dataset looks for
        self._parallel = num_parallel_calls
        self._deterministic = deterministic
        self._spec = _batched_spec(input_dataset.element_spec,
                                   self._size if self._drop else None)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return _batch_cardinality(self._input._cardinality(), self._size, self._drop)

    def _in_memory(self):
        return self._input._gather() is not None

    def _iter(self):
        g = self._input._gather()
        if g is not None:
            return self._gathered(*g)
        options = in_effect(self)
        return parallel_map(stack_elements, _groups(self._input._iter(), self._size,
                                                    self._drop),
                            parallelism(self._parallel, options),
                            deterministic(self._deterministic, options))

    def _reused_batches(self, slots):
        g = self._input._gather()
        return None if g is None else self._gathered(*g, slots=slots)

    def _gathered(self, arrays, indices, slots=0):
        """Batches of in-memory arrays: one fancy index per array and batch. With
        ``slots``, batch ``i`` is written into buffer ``i % slots`` of each array (see
        ``Dataset._reused_batches``) instead of a fresh array."""
        size, drop = self._size, self._drop
        leaves = structure.flatten(arrays)
        take = RowGatherer(leaves, size, slots)
        pending = []
        count = 0
        for chunk in indices():
            pending.append(chunk)
            count += len(chunk)
            if count < size:
                continue
            idx = np.concatenate(pending) if len(pending) > 1 else pending[0]
            full = len(idx) - len(idx) % size
            for start in range(0, full, size):
                yield structure.pack(arrays, take(idx[start:start + size]))
            pending = [idx[full:]] if full < len(idx) else []
            count = len(idx) - full
        if count and not drop:
            yield structure.pack(arrays, take(np.concatenate(pending)))


class RowGatherer:
    """``rows(index)`` -> ``[a[index] for a in arrays]``. With ``slots`` > 0 the rows go
    into ``slots`` buffers of ``size`` rows per array, used in turn: a consumer that is
    done with a batch before asking for the ``slots``-th next one (Keras ``fit``) then
    costs no allocation per batch. A fresh 100 KiB+ array per batch is what glibc's
    ``malloc`` maps from the kernel and unmaps, or trims from the heap, depending on what
    the process freed before, so each batch could fault in and zero its pages again."""

    def __init__(self, arrays, size, slots=0):
        self._arrays = arrays
        self._slots = [[np.empty((size,) + a.shape[1:], a.dtype) for a in arrays]
                       for _ in range(slots)] if slots else None
        self._turn = 0

    def __call__(self, index):
        if self._slots is None or isinstance(index, slice):
            return [a[index] for a in self._arrays]
        slot = self._slots[self._turn]
        self._turn = (self._turn + 1) % len(self._slots)
        n = len(index)
        return [np.take(a, index, axis=0, out=buf[:n]) if n <= len(buf) else a[index]
                for a, buf in zip(self._arrays, slot)]


def _default_padding(dtype):
    return b"" if dtype is dtypes.string else 0


class PaddedBatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values,
                 drop_remainder):
        super().__init__(input_dataset)
        self._size = _count(batch_size, "Dataset.padded_batch: batch_size")
        if self._size <= 0:
            raise ValueError(f"Dataset.padded_batch: batch_size must be greater than zero, "
                             f"got {self._size}.")
        self._drop = bool(drop_remainder)
        spec = input_dataset.element_spec
        if padded_shapes is None:
            padded = structure.map_structure(
                lambda s: TensorShape([None] * s.shape.rank) if s.shape.rank is not None
                else TensorShape(None), spec)
        else:
            if isinstance(padded_shapes, list) and not structure.is_structure(spec):
                padded_shapes = TensorShape(padded_shapes)
            padded = _shapes_like(spec, padded_shapes)
        for s, p in zip(structure.flatten(spec), structure.flatten(padded)):
            if p.rank is None:
                raise ValueError("Dataset.padded_batch: elements of unknown rank need "
                                 "explicit `padded_shapes`.")
            if s.shape.rank is not None and s.shape.rank != p.rank:
                raise ValueError(f"Dataset.padded_batch: padded shape {p} does not have "
                                 f"the rank of the element shape {s.shape}.")
            for d, q in zip(s.shape.as_list() if s.shape.rank is not None else [],
                            p.as_list()):
                if d is not None and q is not None and d > q:
                    raise ValueError(f"Dataset.padded_batch: the padded shape {p} is "
                                     f"smaller than the element shape {s.shape}.")
        self._padded = padded
        if padding_values is None:
            values = structure.map_structure(lambda s: _default_padding(s.dtype), spec)
        elif not structure.is_structure(padding_values) and structure.is_structure(spec):
            values = structure.map_structure(lambda s: padding_values, spec)
        else:
            values = padding_values
        self._values = structure.map_structure(
            lambda s, v: structure.leaf_to_numpy(v, s.dtype) if s.dtype is not dtypes.string
            else np.array(v.encode() if isinstance(v, str) else v, dtype=object), spec, values)
        for v in structure.flatten(self._values):
            if v.ndim != 0:
                raise ValueError(f"Dataset.padded_batch: every padding value must be a "
                                 f"scalar, got shape {v.shape}.")
        size = self._size if self._drop else None
        self._spec = structure.map_structure(
            lambda s, p: TensorSpec([size] + [q for q in p.as_list()], s.dtype), spec, padded)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return _batch_cardinality(self._input._cardinality(), self._size, self._drop)

    def _pad(self, elements):
        like = elements[0]
        columns = zip(*[structure.flatten(e) for e in elements])
        out = []
        for column, shape, value in zip(columns, structure.flatten(self._padded),
                                        structure.flatten(self._values)):
            target = [q if q is not None else max(a.shape[i] for a in column)
                      for i, q in enumerate(shape.as_list())]
            batch = np.full([len(column)] + target, value[()], dtype=column[0].dtype)
            for i, a in enumerate(column):
                if any(d > t for d, t in zip(a.shape, target)):
                    raise ValueError(f"Dataset.padded_batch: an element of shape "
                                     f"{list(a.shape)} does not fit the padded shape "
                                     f"{target}.")
                batch[(i,) + tuple(slice(0, d) for d in a.shape)] = a
            out.append(batch)
        return structure.pack(like, out)

    def _iter(self):
        for group in _groups(self._input._iter(), self._size, self._drop):
            yield self._pad(group)


def _shapes_like(spec, shapes):
    if isinstance(spec, dict):
        return {k: _shapes_like(spec[k], shapes[k]) for k in spec}
    if isinstance(spec, tuple):
        if len(spec) != len(shapes):
            raise ValueError("Dataset.padded_batch: `padded_shapes` does not match the "
                             "element structure.")
        items = [_shapes_like(s, p) for s, p in zip(spec, shapes)]
        return type(spec)(*items) if hasattr(spec, "_fields") else tuple(items)
    import ember
    if isinstance(shapes, ember.Tensor):
        shapes = [int(v) if v >= 0 else None for v in shapes.numpy()]
    if isinstance(shapes, (list, tuple)):
        shapes = [None if d is None or (isinstance(d, int) and d < 0) else d for d in shapes]
    return TensorShape(shapes)


class UnbatchDataset(_Unary):
    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        for s in structure.flatten(input_dataset.element_spec):
            if s.shape.rank == 0:
                raise ValueError("Dataset.unbatch: the elements must have at least one "
                                 "dimension to unbatch, got a scalar component.")
        self._spec = structure.map_structure(
            lambda s: TensorSpec(s.shape.as_list()[1:] if s.shape.rank is not None else None,
                                 s.dtype), input_dataset.element_spec)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        n = self._input._cardinality()
        if n == INFINITE_CARDINALITY or n == 0:
            return n
        leading = {s.shape.as_list()[0] if s.shape.rank else None
                   for s in structure.flatten(self._input.element_spec)}
        if n > 0 and len(leading) == 1 and None not in leading:
            return n * leading.pop()      # every element holds that many rows
        return UNKNOWN_CARDINALITY

    def _iter(self):
        for element in self._input._iter():
            leaves = structure.flatten(element)
            sizes = {a.shape[0] for a in leaves}
            if len(sizes) > 1:
                raise ValueError(f"Dataset.unbatch: the components of an element have "
                                 f"different first dimensions {sorted(sizes)}.")
            for i in range(sizes.pop()):
                yield structure.pack(element, [a[i, ...] for a in leaves])


class RebatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, drop_remainder):
        super().__init__(input_dataset)
        import ember
        if isinstance(batch_size, ember.Tensor):
            batch_size = batch_size.numpy()
        sizes = np.atleast_1d(np.asarray(batch_size)).astype(np.int64).tolist()
        if not sizes or any(s <= 0 for s in sizes):
            raise ValueError(f"Dataset.rebatch: batch sizes must be positive, got {sizes}.")
        self._sizes = sizes
        self._drop = bool(drop_remainder)
        self._unbatched = UnbatchDataset(input_dataset)
        fixed = sizes[0] if self._drop and len(set(sizes)) == 1 else None
        self._spec = _batched_spec(self._unbatched.element_spec, fixed)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return UNKNOWN_CARDINALITY if self._input._cardinality() != INFINITE_CARDINALITY \
            else INFINITE_CARDINALITY

    def _iter(self):
        it = self._unbatched._iter()
        for size in itertools.cycle(self._sizes):
            group = list(itertools.islice(it, size))
            if not group or (self._drop and len(group) < size):
                return
            yield stack_elements(group, "Dataset.rebatch")


class RaggedBatchDataset(_Unary):
    """ragged_batch: components with a fully known shape batch as dense tensors; a component
    whose first dimension varies becomes a RaggedTensor (ragged rank 1) of the batch.
    Components with other unknown dimensions are not supported yet."""

    def __init__(self, input_dataset, batch_size, drop_remainder, row_splits_dtype):
        super().__init__(input_dataset)
        from ember.ragged import RaggedTensorSpec
        self._size = _count(batch_size, "Dataset.ragged_batch: batch_size")
        if self._size <= 0:
            raise ValueError(f"Dataset.ragged_batch: batch_size must be greater than zero, "
                             f"got {self._size}.")
        self._drop = bool(drop_remainder)
        self._splits_dtype = dtypes.as_dtype(row_splits_dtype)
        size = self._size if self._drop else None

        def one(s):
            if s.shape.rank is None:
                raise NotImplementedError("Dataset.ragged_batch: components of unknown rank "
                                          "are not supported by ember yet.")
            dims = s.shape.as_list()
            if None not in dims:
                return TensorSpec([size] + dims, s.dtype)
            if dims[0] is not None or None in dims[1:]:
                raise NotImplementedError(f"Dataset.ragged_batch: only the first dimension "
                                          f"of a component may vary in ember, got shape "
                                          f"{s.shape}.")
            return RaggedTensorSpec([size] + dims, s.dtype, 1, self._splits_dtype)
        self._spec = structure.map_structure(one, input_dataset.element_spec)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return _batch_cardinality(self._input._cardinality(), self._size, self._drop)

    def _iter(self):
        from ember.framework.tensor import EagerTensor
        from ember.ragged import RaggedTensor
        specs = structure.flatten(self._spec)
        splits_np = self._splits_dtype.as_numpy_dtype
        for group in _groups(self._input._iter(), self._size, self._drop):
            columns = list(zip(*[structure.flatten(e) for e in group]))
            leaves = []
            for spec, column in zip(specs, columns):
                if isinstance(spec, TensorSpec):
                    leaves.append(stack_elements([(c,) for c in column],
                                                 "Dataset.ragged_batch")[0])
                    continue
                lengths = np.array([len(c) for c in column], dtype=splits_np)
                values = np.concatenate(column) if column else np.zeros([0])
                leaves.append(RaggedTensor.from_row_lengths(EagerTensor(values),
                                                            EagerTensor(lengths)))
            yield structure.pack(group[0], leaves)
