"""``tf.io.serialize_tensor`` / ``parse_tensor`` (a TensorProto in protobuf wire format, as
TensorFlow writes it: dtype, shape, and the raw little-endian bytes in tensor_content, or
one string_val per element for strings) and ``decode_raw``."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.io.example_proto import (
    DecodeError, _fields, _key, _length_delimited, _read_varint, _varint,
)

__all__ = ["serialize_tensor", "parse_tensor", "decode_raw", "tensor_proto_bytes",
           "array_from_tensor_proto", "dtype_enum", "dtype_of_enum"]

_ENUM = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
         "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14,
         "uint16": 17, "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23}
_BY_ENUM = {v: k for k, v in _ENUM.items()}


def _array(tensor):
    if hasattr(tensor, "numpy"):
        value = getattr(tensor, "_value", None)
        return np.asarray(value if value is not None else tensor.numpy())
    from ember.data.structure import leaf_to_numpy
    return leaf_to_numpy(tensor)


def serialize_tensor(tensor, name=None):
    """A tf.string scalar holding ``tensor`` as a serialized TensorProto."""
    from ember.io.files import string_scalar
    return string_scalar(tensor_proto_bytes(_array(tensor)))


def tensor_proto_bytes(arr: np.ndarray, strings_as_content: bool = False) -> bytes:
    """An array as a serialized TensorProto (dtype, shape, tensor_content or string_val).
    ``strings_as_content``: strings in tensor_content (their varint lengths, then their
    bytes), as TensorFlow writes tensors into dataset snapshots."""
    d = dtypes.from_numpy(arr.dtype)
    if d.name not in _ENUM:
        raise TypeError(f"serialize_tensor: dtype {d.name} is not supported.")
    shape = b"".join(_length_delimited(2, _key(1, 0) + _varint(int(n)) if n else b"")
                     for n in arr.shape)
    out = _key(1, 0) + _varint(_ENUM[d.name]) + _length_delimited(2, shape)
    if d is dtypes.string and strings_as_content:
        items = [bytes(v) for v in arr.reshape(-1)]
        if items:
            out += _length_delimited(4, b"".join(_varint(len(v)) for v in items) +
                                     b"".join(items))
    elif d is dtypes.string:
        out += b"".join(_length_delimited(8, bytes(v)) for v in arr.reshape(-1))
    elif arr.size:
        little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        out += _length_delimited(4, np.ascontiguousarray(little).tobytes())
    return out


def dtype_enum(dtype) -> int:
    """TensorFlow's DataType number of an ember dtype."""
    d = dtypes.as_dtype(dtype)
    if d.name not in _ENUM:
        raise TypeError(f"dtype {d.name} has no TensorFlow DataType number in ember.")
    return _ENUM[d.name]


def dtype_of_enum(enum: int):
    name = _BY_ENUM.get(enum)
    if name is None:
        raise InvalidArgumentError(f"Unknown or unsupported TensorFlow DataType number "
                                   f"{enum}.")
    return dtypes.as_dtype(name)


def _parse_shape(data):
    dims = []
    for number, wire, value in _fields(data):
        if number == 2 and wire == 2:
            size = 0
            for n2, w2, v2 in _fields(value):
                if n2 == 1 and w2 == 0:
                    size = v2 - (1 << 64) if v2 >= 1 << 63 else v2
            dims.append(size)
        elif number == 3 and wire == 0 and value:
            return None
    return dims


def _scalar_vals(kind, value, wire, np_dtype):
    """Values of the typed *_val fields (TensorFlow uses them for small constants)."""
    if wire == 2 and kind in ("float", "double"):
        return list(np.frombuffer(value, "<f4" if kind == "float" else "<f8"))
    if wire == 2:
        out, pos = [], 0
        while pos < len(value):
            v, pos = _read_varint(value, pos)
            out.append(v)
        return out
    if wire == 5:
        return list(np.frombuffer(value, "<f4"))
    if wire == 1:
        return list(np.frombuffer(value, "<f8"))
    return [value]


def parse_tensor(serialized, out_type, name=None):
    """The tensor in a serialized TensorProto; ``out_type`` must be its dtype."""
    from ember.framework.tensor import EagerTensor
    from ember.io.files import as_bytes
    return EagerTensor(array_from_tensor_proto(as_bytes(serialized, "parse_tensor"),
                                               dtypes.as_dtype(out_type)))


def array_from_tensor_proto(data: bytes, want=None) -> np.ndarray:
    """The array in a serialized TensorProto (whose dtype must be ``want`` when given)."""
    enum, shape, content, strings, vals = None, [], None, [], []
    try:
        for number, wire, value in _fields(data):
            if number == 1 and wire == 0:
                enum = value
            elif number == 2 and wire == 2:
                shape = _parse_shape(value)
            elif number == 4 and wire == 2:
                content = bytes(value)
            elif number == 8 and wire == 2:
                strings.append(bytes(value))
            elif number in (5, 6, 7, 10, 11, 12, 13) and wire in (0, 1, 2, 5):
                kind = {5: "float", 6: "double", 7: "int", 10: "int64", 11: "bool",
                        12: "scomplex", 13: "half"}[number]
                vals.extend(_scalar_vals(kind, value, wire, None))
    except DecodeError as e:
        raise InvalidArgumentError(f"parse_tensor: could not parse the serialized tensor: "
                                   f"{e}") from None
    have = _BY_ENUM.get(enum)
    if have is None:
        raise InvalidArgumentError(f"parse_tensor: the serialized tensor has an unknown or "
                                   f"unsupported dtype code {enum}.")
    want = dtypes.as_dtype(have) if want is None else want
    if have != want.name:
        raise InvalidArgumentError(f"Type mismatch between parsed tensor ({have}) and dtype "
                                   f"({want.name})")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if want is dtypes.string:
        arr = np.empty(count, dtype=object)
        if content is not None:
            strings = _string_list(content, count)
        items = strings if len(strings) == count else (strings[:1] * count if strings
                                                       else [b""] * count)
        arr[:] = items
        return arr.reshape(shape)
    np_dtype = np.dtype(want.as_numpy_dtype)
    if content is not None:
        arr = np.frombuffer(content, np_dtype.newbyteorder("<")).astype(np_dtype)
    elif vals:
        arr = np.asarray(vals).astype(np_dtype)
        if arr.size == 1 and count > 1:
            arr = np.full(count, arr[0], np_dtype)
    else:
        arr = np.zeros(count, np_dtype)
    if arr.size != count:
        raise InvalidArgumentError(f"parse_tensor: {arr.size} values for shape {shape}.")
    return arr.reshape(shape)


def _string_list(content: bytes, count: int) -> list:
    """Strings in a tensor_content (as TensorFlow writes a string tensor's content: the
    varint lengths of all elements, then their bytes)."""
    lengths, pos = [], 0
    try:
        for _ in range(count):
            n, pos = _read_varint(content, pos)
            lengths.append(n)
    except DecodeError as e:
        raise InvalidArgumentError(f"parse_tensor: bad string tensor content: {e}") from None
    out = []
    for n in lengths:
        out.append(bytes(content[pos:pos + n]))
        pos += n
    if pos != len(content):
        raise InvalidArgumentError("parse_tensor: string tensor content of the wrong size.")
    return out


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """Bytes (a string tensor of any shape) reinterpreted as ``out_type`` numbers; the last
    axis holds each string's values."""
    from ember.framework.tensor import EagerTensor
    want = np.dtype(dtypes.as_dtype(out_type).as_numpy_dtype)
    want = want.newbyteorder("<" if little_endian else ">")
    arr = np.asarray(input_bytes.numpy() if hasattr(input_bytes, "numpy") else input_bytes,
                     dtype=object)
    flat = [bytes(v) if not isinstance(v, str) else v.encode() for v in arr.reshape(-1)]
    if fixed_length is not None:
        flat = [v[:fixed_length].ljust(fixed_length, b"\0") for v in flat]
    sizes = {len(v) for v in flat}
    if len(sizes) > 1:
        raise InvalidArgumentError(f"DecodeRaw requires input strings to all be the same "
                                   f"size, but element 0 has size {len(flat[0])} != "
                                   f"{[len(v) for v in flat if len(v) != len(flat[0])][0]}")
    size = sizes.pop() if sizes else 0
    if size % want.itemsize:
        raise InvalidArgumentError(f"Input to DecodeRaw has length {size} that is not a "
                                   f"multiple of {want.itemsize}, the size of "
                                   f"{dtypes.as_dtype(out_type).name}")
    values = np.frombuffer(b"".join(flat), want).astype(want.newbyteorder("="))
    return EagerTensor(values.reshape(arr.shape + (size // want.itemsize,)))
