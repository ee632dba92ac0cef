"""Data types: ``ember.float32`` and friends, with TensorFlow's names and rules."""
from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "DType", "as_dtype",
    "float16", "bfloat16", "float32", "float64", "half", "double",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bool", "complex64", "complex128", "string",
]


_bfloat16_hooks = []
_bfloat16_tried = False


def _resolve_bfloat16():
    """bfloat16's NumPy dtype from the optional package ml_dtypes, looked up the first time
    something needs it (importing ml_dtypes takes about half a second, so ``import ember``
    does not); None without ml_dtypes. Registered hooks then learn the dtype."""
    global _bfloat16_tried
    if bfloat16._np is not None or _bfloat16_tried:
        return bfloat16._np
    _bfloat16_tried = True
    try:
        import ml_dtypes
    except ImportError:
        return None
    npd = np.dtype(ml_dtypes.bfloat16)
    bfloat16._np = npd
    _BY_NUMPY[npd] = bfloat16
    for hook in _bfloat16_hooks:
        hook(npd)
    return npd


def on_bfloat16(hook):
    """Calls ``hook(numpy_dtype)`` once bfloat16's NumPy dtype is known (now, if it is)."""
    _bfloat16_hooks.append(hook)
    if bfloat16._np is not None:
        hook(bfloat16._np)


class DType:
    """A tensor element type, e.g. ``ember.float32``.

    >>> ember.float32.is_floating
    True
    """

    __slots__ = ("name", "_np", "is_floating", "is_integer", "is_complex", "is_bool",
                 "is_unsigned", "size")

    def __init__(self, name, np_dtype, kind, size=None):
        self.name = name
        self._np = np_dtype
        self.is_floating = kind == "f"
        self.is_integer = kind in "iu"
        self.is_unsigned = kind == "u"
        self.is_complex = kind == "c"
        self.is_bool = kind == "b"
        self.size = np_dtype.itemsize if np_dtype is not None else size

    @property
    def as_numpy_dtype(self):
        return self.np.type

    @property
    def np(self):
        """The NumPy dtype (for bfloat16 from ml_dtypes, imported on first use; raises
        without it)."""
        if self._np is None and (self is not bfloat16 or _resolve_bfloat16() is None):
            raise TypeError(
                f"dtype {self.name} needs the optional package ml_dtypes: pip install ml_dtypes")
        return self._np

    @property
    def as_datatype_enum(self) -> int:
        """TensorFlow's DataType number of this dtype (``ember.float32`` is 1)."""
        return _ENUM_OF[self.name]

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_numeric(self):
        return not (self.is_bool or self is string)

    @property
    def min(self):
        if self.is_floating:
            return self.np.type(np.finfo(self.np).min) if self is not bfloat16 else \
                self.np.type(-3.3895314e38)
        if self.is_integer:
            return np.iinfo(self.np).min
        raise TypeError(f"dtype {self.name} has no min")

    @property
    def max(self):
        if self.is_floating:
            return self.np.type(np.finfo(self.np).max) if self is not bfloat16 else \
                self.np.type(3.3895314e38)
        if self.is_integer:
            return np.iinfo(self.np).max
        raise TypeError(f"dtype {self.name} has no max")

    def is_compatible_with(self, other):
        return self is as_dtype(other)

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))

    def __eq__(self, other):
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.name)


float16 = half = DType("float16", np.dtype(np.float16), "f")
bfloat16 = DType("bfloat16", None, "f", size=2)     # NumPy dtype resolved on first use
float32 = DType("float32", np.dtype(np.float32), "f")
float64 = double = DType("float64", np.dtype(np.float64), "f")
int8 = DType("int8", np.dtype(np.int8), "i")
int16 = DType("int16", np.dtype(np.int16), "i")
int32 = DType("int32", np.dtype(np.int32), "i")
int64 = DType("int64", np.dtype(np.int64), "i")
uint8 = DType("uint8", np.dtype(np.uint8), "u")
uint16 = DType("uint16", np.dtype(np.uint16), "u")
uint32 = DType("uint32", np.dtype(np.uint32), "u")
uint64 = DType("uint64", np.dtype(np.uint64), "u")
bool = DType("bool", np.dtype(np.bool_), "b")  # noqa: A001 - TensorFlow's public name
complex64 = DType("complex64", np.dtype(np.complex64), "c")
complex128 = DType("complex128", np.dtype(np.complex128), "c")
string = DType("string", np.dtype(object), "O")

_ALL = [float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32,
        uint64, bool, complex64, complex128, string]
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "double": float64, "float": float32, "int": int32,
                 "bool_": bool, "str": string, "bytes": string, "object": string})
# NumPy dtype -> DType; the hot path of every eager op reads this table.
_BY_NUMPY = {d._np: d for d in _ALL if d._np is not None}
_BY_NUMPY[np.dtype(np.str_)] = string
_BY_NUMPY[np.dtype(np.bytes_)] = string
_BY_PYTHON = {float: float32, int: int32, builtins.bool: bool, str: string, bytes: string,
              complex: complex128}
# TensorFlow's DataType enum numbers (types.proto), accepted wherever a dtype is
_ENUM_OF = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
            "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14,
            "uint16": 17, "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}
_BY_ENUM = {n: _BY_NAME[name] for name, n in _ENUM_OF.items()}
_UNSUPPORTED_ENUMS = {11: "qint8", 12: "quint8", 13: "qint32", 15: "qint16", 16: "quint16",
                      20: "resource", 21: "variant", 24: "float8_e5m2", 25: "float8_e4m3fn",
                      26: "float8_e4m3fnuz", 27: "float8_e4m3b11fnuz", 28: "float8_e5m2fnuz",
                      29: "int4", 30: "uint4", 31: "int2", 32: "uint2"}


def from_numpy(np_dtype) -> DType:
    """The DType of a NumPy dtype (fast path for arrays that ember made)."""
    d = _BY_NUMPY.get(np_dtype)
    if d is None:
        if np_dtype.kind in "US":
            return string
        if np_dtype.name == "bfloat16" and _resolve_bfloat16() == np_dtype:
            return bfloat16
        raise TypeError(f"ember has no dtype for NumPy dtype {np_dtype}")
    return d


def known_numpy(np_dtype) -> bool:
    """True when ember has a dtype for this NumPy dtype (bfloat16's looked up if need be)."""
    if np_dtype in _BY_NUMPY:
        return True
    try:
        from_numpy(np_dtype)
    except TypeError:
        return False
    return True


def as_dtype(value) -> DType:
    """Converts a DType, a name ('float32'), a NumPy dtype, a Python type or TensorFlow's
    DataType enum number (1 is float32, 3 int32, 9 int64, ...) to a DType.

    >>> ember.as_dtype(1)
    ember.float32
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        d = _BY_NAME.get(value)
        if d is None:
            raise TypeError(f"Cannot convert {value!r} to an ember dtype; known names: "
                            f"{', '.join(sorted(_BY_NAME))}")
        return d
    if isinstance(value, type) and value in _BY_PYTHON:
        return _BY_PYTHON[value]
    if isinstance(value, (int, np.integer)) and not isinstance(value, (builtins.bool,
                                                                       np.bool_)):
        d = _BY_ENUM.get(int(value))
        if d is None:
            name = _UNSUPPORTED_ENUMS.get(int(value))
            raise TypeError(f"Cannot convert the argument `type_value`: {value!r} to an "
                            f"ember dtype" + (f" (TensorFlow's {name} has no ember dtype)"
                                             if name else ""))
        return d
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to an ember dtype") from None
    return from_numpy(npd)
