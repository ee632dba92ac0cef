"""Keras 3's dtype promotion (``keras.backend.result_type``) for keras.ops.

Keras promotes along a lattice (the one JAX documents): bool below a *weak* int
(a Python int), the weak int below uint8 and int8, each unsigned width below the
next signed and unsigned widths, int64 and uint64 below a *weak* float (a Python
float), the weak float below bfloat16 and float16, both below float32, float32
below float64. The result is the least upper bound; a weak int alone becomes
int32, a weak float alone becomes ``floatx()``; with the TensorFlow backend a uint64
result is narrowed to uint32 and complex128 to complex64, as Keras does. So ``int32 + float32 -> float32``,
``int64 + uint64 -> float32``, ``float16 + 1.0 -> float16``.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes as _dt

_WEAK_INT, _WEAK_FLOAT, _WEAK_COMPLEX = "int", "float", "complex"

_UP = {
    "bool": (_WEAK_INT,),
    _WEAK_INT: ("uint8", "int8"),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": (_WEAK_FLOAT,),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": (_WEAK_FLOAT,),
    _WEAK_FLOAT: ("bfloat16", "float16", _WEAK_COMPLEX),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    _WEAK_COMPLEX: ("complex64",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _upper_sets():
    ups = {}

    def walk(node):
        if node in ups:
            return ups[node]
        seen = {node}
        for nxt in _UP[node]:
            seen |= walk(nxt)
        ups[node] = frozenset(seen)
        return ups[node]

    for node in _UP:
        walk(node)
    return ups


_UPPER = _upper_sets()


def standardize_dtype(dtype) -> str:
    """The Keras name of ``dtype`` ("float32", "int64", ...); None gives floatx()."""
    from ember.keras import backend
    if dtype is None:
        return backend.floatx()
    if dtype is int:
        return "int64"
    if dtype is float:
        return "float32"
    if dtype is bool:
        return "bool"
    if isinstance(dtype, str):
        name = dtype
    elif hasattr(dtype, "name") and isinstance(getattr(dtype, "name"), str):
        name = dtype.name
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            raise ValueError(f"Invalid dtype: {dtype!r}") from None
    aliases = {"float": "float32", "double": "float64", "half": "float16", "int": "int32"}
    name = aliases.get(name, name)
    if name not in _UP or name in (_WEAK_INT, _WEAK_FLOAT, _WEAK_COMPLEX) and \
            not isinstance(dtype, str):
        raise ValueError(f"Invalid dtype: {dtype!r}")
    if name in (_WEAK_COMPLEX,):
        return "complex64"
    return name


def _lattice_key(arg):
    """(lattice node) for a dtype, a Python type, a Python scalar or a tensor."""
    if arg is bool or isinstance(arg, (bool, np.bool_)) and not hasattr(arg, "dtype"):
        return "bool"
    if arg is int or (isinstance(arg, int) and not isinstance(arg, bool)):
        return _WEAK_INT
    if arg is float or isinstance(arg, float):
        return _WEAK_FLOAT
    if arg is complex or isinstance(arg, complex):
        return _WEAK_COMPLEX
    if hasattr(arg, "dtype") and not isinstance(arg, (str, np.dtype, type)):
        return standardize_dtype(arg.dtype)
    return standardize_dtype(arg)


def result_type(*args) -> str:
    """The dtype Keras 3 gives an op on ``args`` (dtypes, Python types, values).

    >>> result_type("int32", "float32"), result_type("float16", float)
    ('float32', 'float16')
    """
    from ember.keras import backend
    keys = [_lattice_key(a) for a in args if a is not None]
    if not keys:
        return backend.floatx()
    common = frozenset(_UPPER[keys[0]])
    for k in keys[1:]:
        common &= _UPPER[k]
    # the least upper bound: the common upper node every other one lies above
    best = [n for n in common if all(m in _UPPER[n] for m in common)]
    if not best:
        raise ValueError(f"keras.ops: cannot promote the dtypes {keys} to a common dtype")
    out = best[0]
    if out == _WEAK_INT:
        return "int32"
    if out == _WEAK_FLOAT:
        return backend.floatx()
    if out == _WEAK_COMPLEX:
        return "complex64"
    # Keras's TensorFlow backend keeps int64 and float64 but narrows these two
    return {"uint64": "uint32", "complex128": "complex64"}.get(out, out)


def is_float(dtype) -> bool:
    return "float" in standardize_dtype(dtype)


def is_int(dtype) -> bool:
    return "int" in standardize_dtype(dtype)


def ember_dtype(name):
    return _dt.as_dtype(standardize_dtype(name))
