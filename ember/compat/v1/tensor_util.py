"""``tf.make_tensor_proto`` / ``tf.make_ndarray``: arrays to and from TensorFlow's
``TensorProto`` message (the ``tensorboard`` package ships TensorFlow's protos; it is
imported on first use).

As TensorFlow stores them: an array of more than one element whose size matches the shape
goes in ``tensor_content`` (raw little-endian bytes); a scalar, a value to broadcast to
``shape``, or fewer values than ``shape`` holds go in the typed repeated field
(``float_val``, ``int_val``, ``string_val``, ...), and ``make_ndarray`` repeats the last
value to fill the shape.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes

__all__ = ["make_tensor_proto", "make_ndarray", "protos", "shape_proto", "shape_from_proto",
           "dtype_enum", "dtype_of_enum"]

# TensorFlow's DataType numbers (types.proto)
_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
         "string": 7, "complex64": 8, "int64": 9, "bool": 10, "qint8": 11, "quint8": 12,
         "qint32": 13, "bfloat16": 14, "qint16": 15, "quint16": 16, "uint16": 17,
         "complex128": 18, "float16": 19, "resource": 20, "variant": 21, "uint32": 22,
         "uint64": 23}
_BY_ENUM = {v: k for k, v in _ENUM.items()}
_REF = 100
# the dtypes TensorFlow stores as raw bytes (tensor_content); the rest go in *_val fields
_CONTENT_TYPES = frozenset(["float16", "bfloat16", "float32", "float64", "int8", "int16",
                            "int32", "int64", "uint8", "uint32", "uint64"])      # DT_FLOAT_REF = 101, ...: reference types of TF1 variables

# the repeated field each dtype's values go in, and how they are stored there
_VAL_FIELD = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
              "uint8": "int_val", "int16": "int_val", "int8": "int_val",
              "uint16": "int_val", "int64": "int64_val", "uint32": "uint32_val",
              "uint64": "uint64_val", "bool": "bool_val", "string": "string_val",
              "float16": "half_val", "bfloat16": "half_val", "complex64": "scomplex_val",
              "complex128": "dcomplex_val"}


def protos():
    """TensorFlow's proto modules (from the optional tensorboard package)."""
    try:
        from tensorboard.compat.proto import (attr_value_pb2, graph_pb2, meta_graph_pb2,
                                              node_def_pb2, saver_pb2, tensor_pb2,
                                              tensor_shape_pb2, types_pb2, variable_pb2,
                                              versions_pb2)
    except ImportError:
        raise ImportError("TensorFlow's protocol buffers (GraphDef, NodeDef, TensorProto, "
                          "MetaGraphDef) come with the optional 'tensorboard' package: "
                          "pip install tensorboard") from None
    import types
    return types.SimpleNamespace(attr_value_pb2=attr_value_pb2, graph_pb2=graph_pb2,
                                 meta_graph_pb2=meta_graph_pb2, node_def_pb2=node_def_pb2,
                                 saver_pb2=saver_pb2, tensor_pb2=tensor_pb2,
                                 tensor_shape_pb2=tensor_shape_pb2, types_pb2=types_pb2,
                                 variable_pb2=variable_pb2, versions_pb2=versions_pb2)


def dtype_enum(dtype) -> int:
    """TensorFlow's DataType number of a dtype."""
    d = dtypes.as_dtype(dtype)
    if d.name not in _ENUM:
        raise TypeError(f"dtype {d.name} has no TensorFlow DataType number")
    return _ENUM[d.name]


def dtype_of_enum(enum: int):
    """The ember dtype of a TensorFlow DataType number (reference types as their base)."""
    name = _BY_ENUM.get(enum - _REF if enum > _REF else enum)
    if name is None or name in ("resource", "variant") or name.startswith("q"):
        raise TypeError(f"TensorFlow DataType {enum} ({name or 'unknown'}) is not supported "
                        f"by ember")
    return dtypes.as_dtype(name)


def shape_proto(shape):
    """A TensorShapeProto (unknown dimensions -1, unknown rank ``unknown_rank``)."""
    proto = protos().tensor_shape_pb2.TensorShapeProto()
    dims = None if shape is None else getattr(shape, "dims", shape)
    if dims is None:
        proto.unknown_rank = True
        return proto
    for d in dims:
        d = getattr(d, "value", d)
        proto.dim.add(size=-1 if d is None else int(d))
    return proto


def shape_from_proto(proto):
    """A list of dimensions (None unknown), or None for an unknown rank."""
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else int(d.size) for d in proto.dim]


def _as_array(values, dtype):
    if hasattr(values, "numpy") and not isinstance(values, np.ndarray):
        values = values.numpy()
    if dtype is not None and dtype is dtypes.string:
        arr = np.asarray(values, dtype=object)
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else bytes(s),
                            otypes=[object])(arr) if arr.size else arr
    arr = np.asarray(values)
    if arr.dtype.kind in "US":
        return np.vectorize(lambda s: s.encode() if isinstance(s, str) else bytes(s),
                            otypes=[object])(arr.astype(object)) if arr.size else \
            arr.astype(object)
    if arr.dtype == object:
        if arr.size and all(isinstance(v, (bytes, str)) for v in arr.reshape(-1)):
            return _as_array(arr, dtypes.string)
        raise TypeError(f"make_tensor_proto: cannot convert {values!r} to a tensor")
    if dtype is not None:
        want = dtypes.as_dtype(dtype)
        if arr.dtype.kind == "f" and want.is_integer and arr.size and \
                not np.all(np.equal(np.mod(arr, 1), 0)):
            raise TypeError(f"Expected {want.name}, but got {values!r} of type "
                            f"'{type(values).__name__}'.")
        return arr.astype(want.np)
    if arr.dtype == np.float64 and not isinstance(values, np.ndarray):
        return arr.astype(np.float32)          # Python floats become float32, as in TF
    if arr.dtype == np.int64 and not isinstance(values, np.ndarray):
        info = np.iinfo(np.int32)
        if arr.size == 0 or (arr.min() >= info.min and arr.max() <= info.max):
            return arr.astype(np.int32)        # Python ints become int32 when they fit
    return arr


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False,
                      allow_broadcast=False):
    """A ``TensorProto`` holding ``values`` (an array, a list, a scalar or a tensor), of
    ``dtype`` and ``shape`` when given (a scalar is repeated to fill ``shape``)."""
    p = protos()
    if isinstance(values, p.tensor_pb2.TensorProto):
        return values
    arr = _as_array(values, None if dtype is None else dtypes.as_dtype(dtype))
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.from_numpy(arr.dtype) \
        if arr.dtype != object else dtypes.string
    if d.name not in _VAL_FIELD:
        raise TypeError(f"make_tensor_proto: dtype {d.name} is not supported")
    if shape is None:
        shape = list(arr.shape)
        same_size = True
    else:
        shape = [int(s) for s in shape]
        size = int(np.prod(shape, dtype=np.int64))
        same_size = size == arr.size
        if verify_shape and list(arr.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got "
                            f"{tuple(arr.shape)}.")
        if allow_broadcast:
            if arr.shape != tuple(shape):
                try:
                    arr = np.broadcast_to(arr, shape)
                except ValueError:
                    raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got "
                                    f"{tuple(arr.shape)}.") from None
                same_size = True
        elif arr.size > size:
            raise ValueError(f"Too many elements provided. Takes at most {size}, but got "
                             f"{arr.size}.")
    proto = p.tensor_pb2.TensorProto(dtype=_ENUM[d.name],
                                     tensor_shape=shape_proto(shape))
    flat = arr.reshape(-1)
    if same_size and d.name in _CONTENT_TYPES and flat.size > 1:
        if d.name == "bfloat16":
            raw = np.ascontiguousarray(flat).view(np.uint16)
        else:
            raw = np.ascontiguousarray(flat.astype(flat.dtype.newbyteorder("<")))
        proto.tensor_content = raw.tobytes()
        return proto
    field = getattr(proto, _VAL_FIELD[d.name])
    if d is dtypes.string:
        field.extend(bytes(v) for v in flat)
    elif d.name in ("float16", "bfloat16"):
        field.extend(int(v) for v in np.ascontiguousarray(flat).view(np.uint16))
    elif d.is_complex:
        for v in flat:
            field.extend([float(v.real), float(v.imag)])
    else:
        field.extend(flat.tolist())
    return proto


def make_ndarray(tensor):
    """The NumPy array a ``TensorProto`` holds (strings as an object array of bytes)."""
    shape = [d.size for d in tensor.tensor_shape.dim]
    size = int(np.prod(shape, dtype=np.int64))
    d = dtype_of_enum(tensor.dtype)
    np_dtype = d.np if d is not dtypes.string else object
    if tensor.tensor_content and d is not dtypes.string:
        if d.name == "bfloat16":
            arr = np.frombuffer(tensor.tensor_content, "<u2").copy().view(d.np)
        else:
            arr = np.frombuffer(tensor.tensor_content, np.dtype(np_dtype).newbyteorder("<"))
            arr = arr.astype(np_dtype)
        return arr.reshape(shape)
    field = list(getattr(tensor, _VAL_FIELD[d.name]))
    if d is dtypes.string:
        values = np.empty(len(field), dtype=object)
        values[:] = [bytes(v) for v in field]
    elif d.name in ("float16", "bfloat16"):
        values = np.asarray(field, np.uint16).view(d.np)
    elif d.is_complex:
        pairs = np.asarray(field, np.float64).reshape(-1, 2)
        values = (pairs[:, 0] + 1j * pairs[:, 1]).astype(np_dtype)
    else:
        values = np.asarray(field).astype(np_dtype)
    if values.size == size:
        return values.reshape(shape)
    out = np.empty(size, dtype=np_dtype)
    if size:
        if values.size == 0:
            out[:] = np.zeros((), np_dtype) if d is not dtypes.string else b""
        else:
            out[:values.size] = values[:size]
            out[values.size:] = values[-1]
    return out.reshape(shape)
