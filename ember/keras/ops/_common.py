"""Conversion helpers shared by the keras.ops modules."""
from __future__ import annotations

import numpy as np

import ember
from ember.framework import dtypes as _dt
from ember.keras.ops._dtypes import result_type, standardize_dtype


def is_tensor(x) -> bool:
    """True for ember tensors and variables (eager, symbolic or Keras)."""
    return ember.is_tensor(x) or isinstance(x, ember.Variable)


def dtype_of(x) -> str:
    """The Keras dtype name of a tensor, array or Python value."""
    if hasattr(x, "dtype"):
        return standardize_dtype(x.dtype)
    return result_type(x) if isinstance(x, (bool, int, float, complex)) else \
        standardize_dtype(np.asarray(x).dtype if not isinstance(x, (list, tuple))
                          else result_type(*_leaves(x)))


def _leaves(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_leaves(v))
        return out or [float]
    return [x]


def tensor(x, dtype=None):
    """x as an ember tensor: Python floats floatx, ints int32 (Keras's rules)."""
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if is_tensor(x):
        if dtype is not None and standardize_dtype(x.dtype) != dtype:
            return ember.cast(x, dtype)
        return x
    if dtype is None:
        if isinstance(x, (list, tuple)) and any(is_tensor(v) for v in _leaves(x)):
            return ember.stack([tensor(v) for v in x])
        if isinstance(x, (bool, int, float, list, tuple)):
            dtype = result_type(*_leaves(x)) if isinstance(x, (list, tuple)) else \
                result_type(x)
    return ember.convert_to_tensor(np.asarray(x, dtype=dtype) if dtype is not None
                                   and not isinstance(x, np.ndarray) else x,
                                   dtype=dtype)


def promote(*xs, extra=()):
    """Tensors of xs cast to Keras's result_type (Python scalars weak)."""
    target = result_type(*(x if isinstance(x, (bool, int, float, complex)) else dtype_of(x)
                           for x in xs), *extra)
    return [tensor(x, target) for x in xs]


def floating(x):
    """x as a tensor, ints and bools cast to floatx (the ops that make floats)."""
    x = tensor(x)
    target = result_type(standardize_dtype(x.dtype), float)
    return ember.cast(x, target) if standardize_dtype(x.dtype) != target else x


def norm_axis(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    return axis % ndim if ndim else axis


def static_shape(x):
    return tuple(ember.convert_to_tensor(x).shape) if not is_tensor(x) else tuple(x.shape)


def as_ember_dtype(name):
    return _dt.as_dtype(standardize_dtype(name))
