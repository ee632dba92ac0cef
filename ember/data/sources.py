"""Datasets that start a pipeline: slices of arrays, one element, a generator, a range,
random numbers, file names."""
from __future__ import annotations

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset, INFINITE_CARDINALITY
from ember.framework import dtypes
from ember.engine.function import TensorSpec
from ember.framework.tensor_shape import TensorShape

__all__ = ["TensorSliceDataset", "TensorDataset", "GeneratorDataset", "RangeDataset",
           "RandomDataset", "list_files", "dataset_seed"]


class TensorSliceDataset(Dataset):
    def __init__(self, tensors):
        arrays = structure.normalize(tensors)
        leaves = structure.flatten(arrays)
        if not leaves:
            raise ValueError("from_tensor_slices: expected at least one tensor, got an empty "
                             "structure.")
        for a in leaves:
            if a.ndim == 0:
                raise ValueError(f"from_tensor_slices: every component must have at least "
                                 f"one dimension to slice, got a scalar "
                                 f"({structure.structure_repr(a)}).")
        sizes = {a.shape[0] for a in leaves}
        if len(sizes) > 1:
            raise ValueError(f"from_tensor_slices: all components must have the same size "
                             f"in their first dimension, got sizes "
                             f"{[a.shape[0] for a in leaves]}.")
        self._arrays = arrays
        self._n = sizes.pop()
        self._spec = structure.map_structure(
            lambda a: TensorSpec(a.shape[1:], dtypes.from_numpy(a.dtype)), arrays)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return self._n

    def _gather(self):
        n = self._n

        def indices():
            if n:
                yield np.arange(n)
        return self._arrays, indices

    def _iter(self):
        leaves = structure.flatten(self._arrays)
        like = self._arrays
        for i in range(self._n):
            yield structure.pack(like, [a[i, ...] for a in leaves])


class TensorDataset(Dataset):
    def __init__(self, tensors):
        self._element = structure.normalize(tensors)
        self._spec = structure.spec_of(self._element)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return 1

    def _iter(self):
        yield self._element


def _signature_from_legacy(output_types, output_shapes):
    if output_types is None:
        raise TypeError("from_generator: pass `output_signature` (or the legacy "
                        "`output_types`, with optional `output_shapes`).")
    if output_shapes is None:
        return structure.map_structure(lambda t: TensorSpec(TensorShape(None), t),
                                       output_types)
    flat_types = structure.flatten(output_types)
    if structure.is_structure(output_types):
        flat_shapes = _flatten_shapes_like(output_types, output_shapes)
    else:
        flat_shapes = [output_shapes]
    return structure.pack(output_types, [TensorSpec(TensorShape(s) if s is not None
                                                    else TensorShape(None), t)
                                         for t, s in zip(flat_types, flat_shapes)])


def _flatten_shapes_like(types, shapes):
    if isinstance(types, dict):
        return [s for k in sorted(types) for s in _flatten_shapes_like(types[k], shapes[k])]
    if isinstance(types, tuple):
        return [s for t, sh in zip(types, shapes) for s in _flatten_shapes_like(t, sh)]
    return [shapes]


class GeneratorDataset(Dataset):
    def __init__(self, generator, output_types, output_shapes, args, signature):
        if not callable(generator):
            raise TypeError(f"from_generator: `generator` must be a callable that returns "
                            f"an iterator, got {type(generator).__name__}.")
        if signature is None:
            signature = _signature_from_legacy(output_types, output_shapes)
        elif output_types is not None or output_shapes is not None:
            raise TypeError("from_generator: pass either `output_signature` or "
                            "`output_types`/`output_shapes`, not both.")
        if isinstance(signature, list):
            signature = tuple(signature)
        for s in structure.flatten(signature):
            if not isinstance(s, TensorSpec):
                raise TypeError(f"from_generator: `output_signature` must be a structure "
                                f"of tf.TensorSpec, got {s!r}.")
        self._generator = generator
        self._args = tuple(structure.leaf_to_numpy(a) for a in args) if args else ()
        self._spec = signature

    @property
    def element_spec(self):
        return self._spec

    def _iter(self):
        spec = self._spec
        args = [a[()] if a.ndim == 0 else a for a in self._args]
        for n, value in enumerate(self._generator(*args)):
            yield _check_generated(value, spec, n)


def _check_generated(value, spec, n):
    if isinstance(value, list) and structure.is_structure(spec):
        value = tuple(value)
    if not structure.same_structure(spec, value):
        raise TypeError(f"from_generator: the generator yielded an element of structure "
                        f"{structure.structure_repr(value)} (element {n}), which does not "
                        f"match the expected structure {structure.structure_repr(spec)}.")

    def leaf(s, v):
        try:
            arr = structure.leaf_to_numpy(v)
        except (TypeError, ValueError) as e:
            raise TypeError(f"from_generator: element {n} has a value that cannot be "
                            f"converted to {s.dtype.name}: {v!r} ({e})") from None
        want = s.dtype
        if dtypes.from_numpy(arr.dtype) is not want:
            if want is dtypes.string or arr.dtype == object:
                raise TypeError(f"from_generator: element {n} has dtype "
                                f"{dtypes.from_numpy(arr.dtype).name}, expected "
                                f"{want.name}.")
            cast = arr.astype(want.as_numpy_dtype)
            if arr.dtype.kind == "f" and want.is_integer or \
                    (arr.size and not np.all(cast == arr) and arr.dtype.kind != "f"):
                raise TypeError(f"from_generator: element {n} has dtype "
                                f"{dtypes.from_numpy(arr.dtype).name}, which cannot be "
                                f"converted to the expected {want.name}.")
            arr = cast
        if not s.shape.is_compatible_with(arr.shape):
            raise ValueError(f"from_generator: element {n} has shape {tuple(arr.shape)}, "
                             f"which is incompatible with the expected shape {s.shape}.")
        return arr
    return structure.map_structure(leaf, spec, value)


class RangeDataset(Dataset):
    def __init__(self, *args, dtype="int64"):
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            (start, stop), step = args, 1
        elif len(args) == 3:
            start, stop, step = args
        else:
            raise TypeError(f"Dataset.range takes 1 to 3 positional arguments, got "
                            f"{len(args)}.")
        start, step = int(start), int(step)
        if step == 0:
            raise ValueError("Dataset.range: `step` must not be 0.")
        self._start, self._stop, self._step = start, None if stop is None else int(stop), \
            step
        self._dtype = dtypes.as_dtype(dtype)

    @property
    def element_spec(self):
        return TensorSpec([], self._dtype)

    def _cardinality(self):
        if self._stop is None:
            return INFINITE_CARDINALITY
        return len(range(self._start, self._stop, self._step))

    def _gather(self):
        if self._stop is None:
            return None
        values = np.arange(self._start, self._stop, self._step,
                           dtype=self._dtype.as_numpy_dtype)

        def indices():
            if len(values):
                yield np.arange(len(values))
        return values, indices

    def _iter(self):
        np_dtype = np.dtype(self._dtype.as_numpy_dtype)
        if self._stop is None:
            i = self._start
            while True:
                yield np.array(i, np_dtype)
                i += self._step
        for i in range(self._start, self._stop, self._step):
            yield np.array(i, np_dtype)


def dataset_seed(seed):
    """A NumPy generator seed from ember's seeding (global seed + op seed), or None for an
    unseeded (nondeterministic) stream."""
    from ember.framework.random_seed import get_seed
    s1, s2 = get_seed(seed)
    if s1 is None:
        return None
    return [int(s1), int(s2), 0xDA7A]


class RandomDataset(Dataset):
    def __init__(self, seed, rerandomize):
        self._seed = dataset_seed(seed)
        self._rerandomize = bool(rerandomize)
        self._epoch = 0

    @property
    def element_spec(self):
        return TensorSpec([], dtypes.int64)

    def _cardinality(self):
        return INFINITE_CARDINALITY

    def _iter(self):
        seed = None if self._seed is None else self._seed + \
            ([self._epoch] if self._rerandomize else [])
        self._epoch += 1
        rng = np.random.default_rng(seed)
        while True:
            for v in rng.integers(0, 2 ** 63 - 1, size=256, dtype=np.int64):
                yield np.array(v)


def list_files(file_pattern, shuffle, seed):
    import glob
    from ember.data.shuffle import ShuffleDataset
    patterns = structure.leaf_to_numpy(file_pattern).reshape(-1)
    names = []
    for p in patterns:
        p = p.decode() if isinstance(p, bytes) else str(p)
        names.extend(glob.glob(p))
    if not names:
        raise ValueError(f"Dataset.list_files: no files matched the pattern(s) "
                         f"{[p.decode() if isinstance(p, bytes) else p for p in patterns]}.")
    names = sorted(set(names))
    ds = TensorSliceDataset(np.array([n.encode() for n in names], dtype=object))
    if shuffle is None or shuffle:
        ds = ShuffleDataset(ds, len(names), seed, True)
    ds._is_file_list = True      # tf.distribute's FILE auto-sharding shards this stage
    return ds
