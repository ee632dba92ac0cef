"""window, group_by_window and bucket_by_sequence_length."""
from __future__ import annotations

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset
from ember.data.slicing import _count
from ember.data.tracing import StructuredFunction
from ember.framework import dtypes
from ember.engine.function import TensorSpec

__all__ = ["WindowDataset", "GroupByWindowDataset", "bucket_by_sequence_length",
           "ListDataset"]


class ListDataset(Dataset):
    """A finite dataset over a Python list of elements (structures of arrays)."""

    def __init__(self, elements, spec):
        self._elements = elements
        self._spec = spec

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return len(self._elements)

    def _iter(self):
        return iter(self._elements)


class WindowDataset(Dataset):
    def __init__(self, input_dataset, size, shift, stride, drop_remainder):
        self._input = input_dataset
        self._size = _count(size, "Dataset.window: size")
        self._shift = self._size if shift is None else _count(shift, "Dataset.window: shift")
        self._stride = _count(stride, "Dataset.window: stride")
        for name, v in (("size", self._size), ("shift", self._shift),
                        ("stride", self._stride)):
            if v <= 0:
                raise ValueError(f"Dataset.window: {name} must be positive, got {v}.")
        self._drop = bool(drop_remainder)

    def _inputs(self):
        return [self._input]

    @property
    def element_spec(self):
        from ember.data.dataset import DatasetSpec
        return structure.map_structure(DatasetSpec, self._input.element_spec)

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        span = (self._size - 1) * self._stride + 1
        if self._drop:
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)

    def _window(self, elements):
        spec = self._input.element_spec
        columns = list(zip(*[structure.flatten(e) for e in elements]))
        leaves = [ListDataset(list(col), s) for col, s in zip(columns,
                                                              structure.flatten(spec))]
        return structure.pack(spec, leaves)

    def _iter(self):
        it = self._input._iter()
        buf, base, done = [], 0, False
        size, shift, stride = self._size, self._shift, self._stride
        start = 0
        while True:
            need = start + (size - 1) * stride
            while not done and base + len(buf) <= need:
                try:
                    buf.append(next(it))
                except StopIteration:
                    done = True
            have = base + len(buf)
            if start >= have:
                return
            picks = [buf[i - base] for i in range(start, min(need + 1, have), stride)]
            if len(picks) < size and self._drop:
                return
            yield self._window(picks)
            start += shift
            drop = min(start, have) - base
            if drop > 0:
                del buf[:drop]
                base += drop


def _key(value, what):
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "iu":
        raise TypeError(f"{what}: the key function must return a scalar tf.int64, got "
                        f"shape {arr.shape} and dtype {arr.dtype}.")
    return int(arr)


class GroupByWindowDataset(Dataset):
    def __init__(self, input_dataset, key_func, reduce_func, window_size, window_size_func,
                 probe_keys=(0,)):
        self._input = input_dataset
        self._probe_keys = tuple(probe_keys)
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Dataset.group_by_window: pass exactly one of `window_size` "
                             "and `window_size_func`.")
        spec = input_dataset.element_spec
        self._key_fn = StructuredFunction(key_func, spec, "group_by_window key_func")
        self._reduce = reduce_func
        if window_size is not None:
            size = _count(window_size, "Dataset.group_by_window: window_size")
            self._size_fn = lambda key: size
        else:
            fn = StructuredFunction(window_size_func, TensorSpec([], dtypes.int64),
                                    "group_by_window window_size_func")
            self._size_fn = lambda key: _key(fn(np.array(key, np.int64)),
                                             "group_by_window window_size_func")
        self._spec = None

    def _inputs(self):
        return [self._input]

    def _reduced(self, key, elements):
        import ember
        window = ListDataset(elements, self._input.element_spec)
        out = self._reduce(ember.constant(key, dtype="int64"), window)
        if not isinstance(out, Dataset):
            raise TypeError(f"Dataset.group_by_window: reduce_func must return a Dataset, "
                            f"got {type(out).__name__}.")
        return out

    @property
    def element_spec(self):
        if self._spec is None:
            import ember
            probe = ListDataset([], self._input.element_spec)
            spec = None
            for key in self._probe_keys:      # tf.data traces with a symbolic key instead
                one = self._reduce(ember.constant(key, dtype="int64"), probe).element_spec
                spec = one if spec is None else structure.relax(spec, one)
            self._spec = spec
        return self._spec

    def _iter(self):
        groups, sizes = {}, {}
        for element in self._input._iter():
            key = _key(self._key_fn(element), "group_by_window key_func")
            if key not in sizes:
                sizes[key] = self._size_fn(key)
            group = groups.setdefault(key, [])
            group.append(element)
            if len(group) >= sizes[key]:
                del groups[key]
                yield from self._reduced(key, group)._iter()
        for key in sorted(groups):
            yield from self._reduced(key, groups[key])._iter()


def bucket_by_sequence_length(ds, element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes, padding_values, pad_to_bucket_boundary,
                              no_padding, drop_remainder):
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"bucket_by_sequence_length: len(bucket_batch_sizes) must equal "
                         f"len(bucket_boundaries) + 1, got {len(sizes)} and "
                         f"{len(boundaries)}.")
    if boundaries != sorted(boundaries):
        raise ValueError("bucket_by_sequence_length: bucket_boundaries must be sorted.")
    length_fn = StructuredFunction(element_length_func, ds.element_spec,
                                   "bucket_by_sequence_length element_length_func")
    lows = [np.iinfo(np.int32).min] + boundaries
    highs = boundaries + [np.iinfo(np.int32).max]

    def bucket_id(*element):
        el = element[0] if len(element) == 1 else element
        n = int(np.asarray(length_fn(structure.to_numpy(el))))
        for i, (lo, hi) in enumerate(zip(lows, highs)):
            if lo <= n < hi:
                return np.int64(i)
        raise ValueError(f"bucket_by_sequence_length: no bucket for length {n}.")

    def batching(key, window):
        key = int(key.numpy())
        size = sizes[key]
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        filler = None
        if pad_to_bucket_boundary:
            if key == len(boundaries):
                raise ValueError("bucket_by_sequence_length: with pad_to_bucket_boundary="
                                 "True every element must be shorter than the last "
                                 "boundary.")
            filler = boundaries[key] - 1
        base = padded_shapes
        if base is None:
            base = structure.map_structure(lambda s: s.shape.as_list(), window.element_spec)
        shapes = _fill_shapes(base, filler)
        return window.padded_batch(size, shapes, padding_values, drop_remainder)
    return GroupByWindowDataset(ds, bucket_id, batching, None,
                                lambda key: ember_constant(sizes)[key],
                                probe_keys=range(len(sizes) - (1 if pad_to_bucket_boundary
                                                               else 0)))


def ember_constant(values):
    import ember
    return ember.constant(values, dtype="int64")


def _fill_shapes(shapes, filler):
    if isinstance(shapes, dict):
        return {k: _fill_shapes(v, filler) for k, v in shapes.items()}
    if isinstance(shapes, tuple):
        return tuple(_fill_shapes(v, filler) for v in shapes)
    from ember.framework.tensor_shape import TensorShape
    dims = TensorShape(shapes).as_list()
    return [filler if d is None else d for d in dims] if filler is not None else dims
