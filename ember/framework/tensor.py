"""Tensor (the shared base), EagerTensor (holds an array) and conversion to tensors."""
from __future__ import annotations

import numbers

import numpy as np

from ember.framework import dtypes
from ember.framework.dtypes import from_numpy
from ember.framework.tensor_shape import TensorShape

__all__ = ["Tensor", "EagerTensor", "convert_to_tensor", "constant", "is_tensor",
           "register_tensor_conversion_function"]


class Tensor:
    """A multi-dimensional array of one dtype; immutable.

    Eager tensors hold their values; symbolic tensors (inside a traced function)
    know only their shape and dtype. Both support the same operators:

    >>> x = ember.constant([[1., 2.], [3., 4.]])
    >>> (x @ x + 1.0).numpy()
    array([[ 8., 11.],
           [16., 23.]], dtype=float32)
    """

    # A Keras mask carried on a layer's output (``_keras_mask``, as Keras sets it).
    __slots__ = ("_keras_mask",)
    __array_priority__ = 100

    @property
    def ndim(self):
        return self.shape.rank

    @property
    def rank(self):
        return self.shape.rank

    def get_shape(self):
        return self.shape

    def ref(self):
        return _Ref(self)

    def experimental_ref(self):
        return _Ref(self)

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __array_namespace__(self, api_version=None):
        raise TypeError("ember tensors are not array-API namespaces")

    # Operators are attached by ember.ops.math_ops (one definition for Tensor and Variable).


class _Ref:
    """A hashable handle to a tensor or variable (``tensor.ref()``)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._obj is self._obj


class EagerTensor(Tensor):
    """A tensor with a concrete value (a NumPy array or scalar in ``_value``)."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value):
        self._value = value

    @property
    def shape(self):
        return TensorShape(self._value.shape)

    @property
    def dtype(self):
        return from_numpy(self._value.dtype)

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def numpy(self):
        """The value as a NumPy array (a NumPy scalar for 0-d tensors); a copy."""
        v = self._value
        if v.ndim == 0:
            return v[()] if isinstance(v, np.ndarray) else v
        return v.copy()

    def __array__(self, dtype=None, copy=None):
        v = np.asarray(self._value)
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        return v

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a scalar) is not defined")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(self._value.shape[0]))

    def __bool__(self):
        return bool(self._value)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __index__(self):
        if self._value.dtype.kind not in "iu" or self._value.ndim != 0:
            raise TypeError(f"Only scalar integer tensors can be used as an index; got "
                            f"shape={self.shape} dtype={self.dtype.name}")
        return int(self._value)

    def __complex__(self):
        return complex(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0 and spec:
            return format(self._value[()] if isinstance(self._value, np.ndarray)
                          else self._value, spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (convert_to_tensor, (self.numpy(),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return (f"<ember.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self._value, repr)}>")

    def __str__(self):
        return f"ember.Tensor({_numpy_text(self._value, str)}, shape={self.shape}, " \
               f"dtype={self.dtype.name})"


def _numpy_text(v, fmt):
    """The value's text as TensorFlow prints it: plain scalars, arrays on their own lines."""
    if v.ndim == 0:
        v = v[()] if isinstance(v, np.ndarray) else v
        return repr(v) if isinstance(v, bytes) else str(v)
    text = fmt(v)
    return ("\n" + text) if "\n" in text else text


def is_tensor(x) -> bool:
    """True for ember tensors (eager or symbolic) and variables."""
    return isinstance(x, Tensor) or getattr(x, "_is_ember_variable", False)


_conversion_functions = []


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Teaches convert_to_tensor to accept objects of ``base_type``.

    ``conversion_func(value, dtype=None, name=None, as_ref=False)`` returns a Tensor.
    """
    _conversion_functions.append((priority, base_type, conversion_func))
    _conversion_functions.sort(key=lambda item: item[0])


_INT32_MIN, _INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def _python_to_array(value, dtype):
    """Python scalars and nested lists -> array with TensorFlow's default dtypes."""
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        value = _unwrap_nested(value)
    if type(value) is list and value and (dtype is None or dtype is dtypes.string):
        flat = _flat_text(value)
        if flat is not None:
            return flat
    try:
        arr = np.asarray(value)
    except UnicodeDecodeError:       # bytes that are not ASCII next to str: kept as bytes
        arr = np.asarray(value, dtype=object)
    except ValueError as e:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: {e}") from None
    kind = arr.dtype.kind
    if kind in "USO" and isinstance(value, (list, tuple)):
        arr = _checked_text(value, arr)
    if dtype is not None:
        if arr.size == 0 and dtype is not dtypes.string:
            return np.empty(arr.shape, dtype.np)     # [] is float64 to NumPy, any dtype here
        if kind == "f" and dtype.is_integer:
            raise TypeError(f"Cannot convert {_short(value)} to EagerTensor of dtype "
                            f"{dtype.name}")
        if dtype is dtypes.string and arr.size == 0:
            return np.empty(arr.shape, dtype=object)
        if (kind in "USO") != (dtype is dtypes.string):
            raise TypeError(f"Cannot convert {_short(value)} to EagerTensor of dtype "
                            f"{dtype.name}")
        if dtype is dtypes.string:
            return _to_bytes_array(arr)
        if kind == "c" and not dtype.is_complex:
            raise TypeError(f"Cannot convert {_short(value)} to EagerTensor of dtype "
                            f"{dtype.name}")
        if dtype.is_integer and kind in "iu" and arr.size:
            info = np.iinfo(dtype.np)
            if arr.min() < info.min or arr.max() > info.max:
                raise ValueError(f"Can't convert Python value {_short(value)} to "
                                 f"{dtype.name}: out of range")
        return arr.astype(dtype.np)
    if kind == "f":
        return arr.astype(np.float32)
    if kind in "iu":
        if arr.size and (arr.min() < _INT32_MIN or arr.max() > _INT32_MAX):
            return arr.astype(np.int64)
        return arr.astype(np.int32)
    if kind == "b":
        return arr
    if kind == "c":
        return arr.astype(np.complex128)
    if kind in "USO":
        return _to_bytes_array(arr)
    raise TypeError(f"Cannot convert {_short(value)} to a tensor")


def _flat_text(values):
    """A flat list of str/bytes straight to a string tensor's storage (the common case of
    a list of words or lines), else None."""
    out = []
    for v in values:
        t = type(v)
        if t is str:
            out.append(v.encode("utf-8"))
        elif t is bytes:
            out.append(v)
        else:
            return None
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr


def _checked_text(value, arr):
    """A nested list holding str/bytes as an object array; TensorFlow refuses a list that
    mixes text with numbers (NumPy would turn the numbers into text)."""
    obj = np.empty(arr.shape, dtype=object)
    try:
        obj[...] = value
    except ValueError:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: "
                         f"{_short(value)}") from None
    if not all(isinstance(v, (str, bytes)) for v in obj.reshape(-1)):
        raise ValueError(f"Can't convert Python sequence with mixed types to Tensor: "
                         f"{_short(value)}")
    return obj


def _to_bytes_array(arr):
    """A string tensor's storage: an object array of bytes (str encoded as UTF-8)."""
    if arr.dtype.kind in "US":
        enc = np.asarray(np.char.encode(arr, "utf-8") if arr.dtype.kind == "U" else arr)
        return enc.astype(object) if enc.ndim else np.array(enc.item(), dtype=object)
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for i, s in enumerate(arr.reshape(-1)):
        if isinstance(s, bytes):
            flat[i] = bytes(s)
        elif isinstance(s, str):
            flat[i] = s.encode("utf-8")
        else:
            raise ValueError(f"Cannot convert {_short(s)} (a {type(s).__name__}) to a string "
                             f"tensor element: expected str or bytes")
    return out


def _short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def _contains_tensor(seq):
    for v in seq:
        if isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False):
            return True
        if isinstance(v, (list, tuple)) and _contains_tensor(v):
            return True
    return False


def _unwrap_nested(seq):
    return [(_unwrap_nested(v) if isinstance(v, (list, tuple)) else
             (np.asarray(v) if is_tensor(v) else v)) for v in seq]


def _cast_array(arr, dtype):
    """A NumPy array converted to ``dtype`` under the explicit-dtype rules."""
    src = arr.dtype
    if src == dtype.np:
        return arr
    if dtype is dtypes.string:
        if src.kind in "USO":
            return _to_bytes_array(arr)
    elif src.kind in "iub" or (src.kind == "f" and not dtype.is_integer and not dtype.is_bool) \
            or (src.kind == "c" and dtype.is_complex):
        return arr.astype(dtype.np)
    raise TypeError(f"Cannot convert an array of dtype {src} to a tensor of dtype {dtype.name}")


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None, preferred_dtype=None):
    """Converts tensors, variables, arrays, Python scalars and lists to a Tensor.

    Python floats become float32 and ints int32 (as in TensorFlow); NumPy arrays keep
    their dtype. ``dtype`` demands a type; ``dtype_hint`` only suggests one.

    >>> ember.convert_to_tensor([1, 2]).dtype
    ember.int32
    """
    if isinstance(value, Tensor):
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if value.dtype is not dtype:
                raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor "
                                 f"with dtype {value.dtype.name}: {value!r}")
        return value
    if getattr(value, "_is_ember_variable", False):
        t = value.value()
        if dtype is not None and t.dtype is not dtypes.as_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                             f"for variable with dtype {t.dtype.name}")
        return t
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    hint = dtype_hint if dtype_hint is not None else preferred_dtype
    if _conversion_functions:
        for _, base, fn in _conversion_functions:
            if isinstance(value, base):
                out = fn(value, dtype=dtype, name=name)
                if out is not NotImplemented:
                    return out
    if isinstance(value, np.ndarray):
        arr = value
        if dtype is not None:
            arr = _cast_array(arr, dtype)
        elif arr.dtype.kind in "USO":
            arr = _to_bytes_array(arr)
        elif arr.dtype not in dtypes._BY_NUMPY and not dtypes.known_numpy(arr.dtype):
            raise TypeError(f"Cannot convert an array of dtype {arr.dtype} to a tensor")
        return EagerTensor(arr.copy() if arr is value else arr)
    if isinstance(value, np.generic):
        arr = np.asarray(value)
        if dtype is not None:
            arr = _cast_array(arr, dtype)
        elif arr.dtype.kind in "USO":
            arr = _to_bytes_array(arr)
        return EagerTensor(arr)
    if value is None:
        raise ValueError("Attempt to convert a value (None) with an unsupported type "
                         "(<class 'NoneType'>) to a Tensor.")
    if dtype is None and hint is not None:
        try:
            return EagerTensor(_python_to_array(value, dtypes.as_dtype(hint)))
        except (TypeError, ValueError):
            pass
    if hasattr(value, "__array__") and not isinstance(value, (list, tuple, numbers.Number)):
        return convert_to_tensor(np.asarray(value), dtype=dtype)
    if isinstance(value, (list, tuple)) and _contains_symbolic(value):
        return _pack_symbolic(value, dtype)
    return EagerTensor(_python_to_array(value, dtype))


def _contains_symbolic(seq):
    return any((isinstance(v, Tensor) and not isinstance(v, EagerTensor)) or
               (isinstance(v, (list, tuple)) and _contains_symbolic(v)) for v in seq)


def _pack_symbolic(seq, dtype):
    """A (nested) list holding symbolic tensors: its elements stacked, as TensorFlow packs
    such lists."""
    from ember.framework.hooks import library
    items = [_pack_symbolic(v, dtype) if isinstance(v, (list, tuple)) and
             _contains_symbolic(v) else v for v in seq]
    if dtype is None:
        dtype = next(v.dtype for v in items if isinstance(v, Tensor))
    return library.stack([convert_to_tensor(v, dtype=dtype) for v in items])


def constant(value, dtype=None, shape=None, name="Const"):
    """Creates a constant tensor from a Python or NumPy value.

    ``shape`` reshapes the value, or fills the shape when the value is a scalar.

    >>> ember.constant(0., shape=[2, 2]).numpy()
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, EagerTensor) or getattr(value, "_is_ember_variable", False):
        arr = np.asarray(value)
        t = EagerTensor(_cast_array(arr, dtype) if dtype is not None else arr)
    elif isinstance(value, Tensor):
        t = value
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if shape is not None:
        shape = [int(d) for d in (shape.as_list() if isinstance(shape, TensorShape) else shape)]
        arr = t._value
        if arr.size == 1 and int(np.prod(shape)) != 1:
            arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{_short(value)} (converted from {_short(value)}) has {arr.size} "
                            f"elements, but got `shape` {tuple(shape)} with "
                            f"{int(np.prod(shape))} elements).")
        t = EagerTensor(arr)
    from ember.framework.context import context
    if context.graph is not None:
        return context.graph.constant(t._value, name=name or "Const")
    return t
