"""Elements of a dataset: nested structures (tuples, namedtuples, dicts) of NumPy arrays
inside the pipeline, ember Tensors at its edges, and their ``TensorSpec``s.

As in ``tf.data``, a Python list is a tensor, not a structure (``from_tensors([1, 2])`` is
one vector); only tuples, namedtuples, dicts and composite values (``SparseTensor``: its
indices, values and dense shape) nest.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.engine.function import TensorSpec
from ember.framework.tensor_shape import TensorShape

__all__ = ["flatten", "pack", "map_structure", "to_numpy", "to_tensors", "spec_of",
           "normalize", "same_structure", "structure_repr"]


def _composite(x) -> bool:
    from ember.framework.nest import CompositeTensor
    return isinstance(x, CompositeTensor)


def is_structure(x) -> bool:
    return isinstance(x, (tuple, dict)) or _composite(x)


def flatten(x):
    """Leaves in a fixed order: tuples in order, dicts by sorted key."""
    if isinstance(x, dict):
        out = []
        for k in sorted(x):
            out.extend(flatten(x[k]))
        return out
    if isinstance(x, tuple):
        out = []
        for v in x:
            out.extend(flatten(v))
        return out
    if _composite(x):
        return list(x._ember_components())
    return [x]


def _rebuild(like, items):
    if isinstance(like, dict):
        return type(like)((k, items[k]) for k in like) if type(like) is not dict else \
            {k: items[k] for k in like}
    if hasattr(like, "_fields"):
        return type(like)(*items)
    return tuple(items)


def pack(like, flat):
    """Rebuilds ``like``'s structure from its flattened leaves."""
    it = iter(flat)

    def build(x):
        if isinstance(x, dict):
            return _rebuild(x, {k: build(x[k]) for k in sorted(x)})
        if isinstance(x, tuple):
            return _rebuild(x, [build(v) for v in x])
        if _composite(x):
            return x._ember_rebuild([next(it) for _ in x._ember_components()])
        return next(it)
    return build(like)


def map_structure(fn, x, *others):
    if others:
        flats = [flatten(o) for o in others]
        return pack(x, [fn(*a) for a in zip(flatten(x), *flats)])
    return pack(x, [fn(a) for a in flatten(x)])


def same_structure(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(same_structure(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and not isinstance(b, dict) and len(a) == len(b) and \
            all(same_structure(x, y) for x, y in zip(a, b))
    if _composite(a):
        return type(a) is type(b)
    return not is_structure(b)


def leaf_to_numpy(value, dtype=None) -> np.ndarray:
    """One leaf as a NumPy array with TensorFlow's conversion rules (Python floats are
    float32, ints int32, str/bytes are strings held as bytes objects)."""
    if type(value) is EagerTensor:
        arr = value._value
        if not isinstance(arr, np.ndarray):
            arr = np.asarray(arr)
    elif isinstance(value, np.ndarray) and value.dtype.kind not in "US":
        arr = value
    elif getattr(value, "_is_ember_variable", False):
        arr = np.asarray(value.numpy())
    elif isinstance(value, Tensor):
        raise TypeError(f"Expected an eager tensor or array as a dataset element, got the "
                        f"symbolic tensor {value!r}.")
    elif isinstance(value, np.ndarray) or isinstance(value, (str, bytes, np.str_,
                                                              np.bytes_)):
        arr = _strings(value)
    elif isinstance(value, np.generic):
        arr = np.asarray(value)
    else:
        if isinstance(value, (list, tuple)) and _has_strings(value):
            arr = _strings(np.asarray(value, dtype=object))
        else:
            arr = np.asarray(convert_to_tensor(value, dtype=dtype)._value)
    if dtype is not None:
        want = dtypes.as_dtype(dtype)
        if dtypes.from_numpy(arr.dtype) is not want:
            arr = arr.astype(want.as_numpy_dtype) if want is not dtypes.string else arr
    return arr


def _has_strings(value):
    for v in value:
        if isinstance(v, (list, tuple)):
            if _has_strings(v):
                return True
        elif isinstance(v, (str, bytes)):
            return True
        else:
            return False
    return False


def _strings(value) -> np.ndarray:
    """str/bytes (or arrays of them) -> an object array of bytes (ember's string layout)."""
    arr = np.asarray(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, (str, np.str_)):
            flat[i] = v.encode("utf-8")
        elif isinstance(v, np.bytes_):
            flat[i] = bytes(v)
    return arr


def normalize(value, dtypes_like=None):
    """A user's element (tensors, arrays, Python values, nested) -> structure of arrays."""
    if isinstance(value, list) and value and any(is_structure(v) for v in value):
        value = tuple(value)
    if dtypes_like is None:
        return map_structure(leaf_to_numpy, value)
    return map_structure(leaf_to_numpy, value, dtypes_like)


def to_numpy(value):
    return map_structure(leaf_to_numpy, value)


def to_tensors(element):
    """Structure of arrays -> the same structure of ember Tensors."""
    if type(element) is np.ndarray:
        return EagerTensor(element)
    return map_structure(lambda a: EagerTensor(a) if isinstance(a, np.ndarray) else a,
                         element)


def spec_of(element):
    """The TensorSpec structure of a structure of arrays."""
    return map_structure(lambda a: TensorSpec(a.shape, dtypes.from_numpy(a.dtype))
                         if isinstance(a, np.ndarray) else _dataset_spec(a), element)


def _dataset_spec(value):
    if getattr(value, "_is_ragged", False):
        from ember.ragged import RaggedTensorSpec
        return RaggedTensorSpec.from_value(value)
    from ember.data.dataset import DatasetSpec
    return DatasetSpec(value.element_spec)


def relax(spec_a, spec_b):
    """The most specific spec compatible with both (dims that differ become None)."""
    def one(a, b):
        if a.dtype is not b.dtype:
            raise TypeError(f"Incompatible dtypes {a.dtype.name} and {b.dtype.name}.")
        if a.shape.rank is None or b.shape.rank is None or a.shape.rank != b.shape.rank:
            return TensorSpec(TensorShape(None), a.dtype)
        dims = [x if x == y else None for x, y in zip(a.shape.as_list(),
                                                       b.shape.as_list())]
        return TensorSpec(dims, a.dtype)
    return map_structure(one, spec_a, spec_b)


def structure_repr(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {structure_repr(v)}" for k, v in x.items()) + "}"
    if isinstance(x, tuple):
        return "(" + ", ".join(structure_repr(v) for v in x) + (",)" if len(x) == 1 else ")")
    if isinstance(x, TensorSpec):
        return f"TensorSpec(shape={x.shape}, dtype={x.dtype.name})"
    if isinstance(x, np.ndarray):
        return f"array(shape={x.shape}, dtype={x.dtype})"
    return type(x).__name__
