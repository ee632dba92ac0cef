"""TensorFlow's on-disk layout of ``Dataset.save`` (its snapshot format, version 2), so
that ember and TensorFlow read each other's saved datasets:

    <path>/dataset_spec.pb        the element spec as a StructuredValue protobuf
    <path>/snapshot.metadata      a SnapshotMetadataRecord protobuf (run id, creation time
                                  in microseconds, version 2, component dtypes, element
                                  count, finalized)
    <path>/<run id>/<shard>.shard/00000000.snapshot
                                  TFRecord files (optionally GZIP/ZLIB), each element as
                                  one serialized TensorProto per component, in order

Element specs of dense tensors nested in tuples, dicts and namedtuples are written;
composite components (sparse, ragged) are not (TensorFlow stores them as variants).
"""
from __future__ import annotations

import collections

from ember.data import structure
from ember.engine.function import TensorSpec
from ember.framework.tensor_shape import TensorShape
from ember.io.example_proto import (
    DecodeError, _fields, _key, _length_delimited, _read_varint, _signed64, _varint,
)
from ember.io.tensor_proto import _parse_shape, dtype_enum, dtype_of_enum

__all__ = ["encode_spec", "decode_spec", "encode_metadata", "decode_metadata",
           "SPEC_FILE", "METADATA_FILE", "SNAPSHOT_VERSION"]

SPEC_FILE = "dataset_spec.pb"
METADATA_FILE = "snapshot.metadata"
SNAPSHOT_VERSION = 2

# StructuredValue's fields (tensorflow/core/protobuf/struct.proto)
_TENSOR_SHAPE, _TENSOR_DTYPE, _TENSOR_SPEC = 31, 32, 33
_LIST, _TUPLE, _DICT, _NAMED_TUPLE = 51, 52, 53, 54
_NONE = 1


def _shape_proto(shape: TensorShape) -> bytes:
    if shape.rank is None:
        return _key(3, 0) + _varint(1)
    return b"".join(_length_delimited(2, _key(1, 0) + _varint(-1 if d is None else d))
                    for d in shape.as_list())


def _shape_from(data) -> TensorShape:
    dims = _parse_shape(data)
    return TensorShape(None if dims is None else [None if d < 0 else d for d in dims])


def encode_spec(spec) -> bytes:
    """An element spec as a StructuredValue (raises TypeError for what TF's format holds
    as variants: sparse and ragged specs)."""
    if isinstance(spec, TensorSpec):
        body = _length_delimited(2, _shape_proto(spec.shape)) + \
            _key(3, 0) + _varint(dtype_enum(spec.dtype))
        if getattr(spec, "name", None):
            body = _length_delimited(1, spec.name.encode()) + body
        return _length_delimited(_TENSOR_SPEC, body)
    if isinstance(spec, tuple) and hasattr(spec, "_fields"):
        pairs = b"".join(_length_delimited(2, _length_delimited(1, k.encode()) +
                                           _length_delimited(2, encode_spec(v)))
                         for k, v in zip(spec._fields, spec))
        return _length_delimited(_NAMED_TUPLE,
                                 _length_delimited(1, type(spec).__name__.encode()) + pairs)
    if isinstance(spec, tuple):
        return _length_delimited(_TUPLE, b"".join(_length_delimited(1, encode_spec(v))
                                                  for v in spec))
    if isinstance(spec, dict):
        entries = b"".join(_length_delimited(1, _length_delimited(1, str(k).encode()) +
                                             _length_delimited(2, encode_spec(v)))
                           for k, v in sorted(spec.items()))
        return _length_delimited(_DICT, entries)
    raise TypeError(f"Dataset.save: elements with a {type(spec).__name__} component cannot "
                    f"be saved in TensorFlow's format by ember (only dense tensors in "
                    f"tuples, dicts and namedtuples).")


def decode_spec(data: bytes):
    """The element spec in a StructuredValue (a DataLossError-worthy ValueError if it is
    not one ember reads)."""
    for number, wire, value in _fields(data):
        if number == _TENSOR_SPEC:
            name, shape, dtype = None, TensorShape(None), None
            for n, w, v in _fields(value):
                if n == 1:
                    name = bytes(v).decode()
                elif n == 2:
                    shape = _shape_from(v)
                elif n == 3:
                    dtype = dtype_of_enum(v)
            return TensorSpec(shape, dtype, name or None)
        if number in (_TUPLE, _LIST):
            items = tuple(decode_spec(v) for n, w, v in _fields(value) if n == 1)
            return items if number == _TUPLE else list(items)
        if number == _DICT:
            out = {}
            for n, w, entry in _fields(value):
                key, item = None, None
                for n2, w2, v2 in _fields(entry):
                    if n2 == 1:
                        key = bytes(v2).decode()
                    elif n2 == 2:
                        item = decode_spec(v2)
                out[key] = item
            return out
        if number == _NAMED_TUPLE:
            name, keys, items = "NamedTuple", [], []
            for n, w, v in _fields(value):
                if n == 1:
                    name = bytes(v).decode()
                elif n == 2:
                    for n2, w2, v2 in _fields(v):
                        if n2 == 1:
                            keys.append(bytes(v2).decode())
                        elif n2 == 2:
                            items.append(decode_spec(v2))
            return collections.namedtuple(name, keys)(*items)
        if number == _NONE:
            return None
        raise ValueError(f"Dataset.load: the saved element spec holds a value of kind "
                         f"{number} (a sparse, ragged or other composite spec), which "
                         f"ember does not read; pass `element_spec`.")
    raise ValueError("Dataset.load: the saved element spec is empty.")


def encode_metadata(run_id: str, created_us: int, spec, count: int) -> bytes:
    """A finalized SnapshotMetadataRecord."""
    enums = b"".join(_varint(dtype_enum(s.dtype)) for s in structure.flatten(spec))
    return (_length_delimited(2, run_id.encode()) + _key(3, 0) + _varint(created_us) +
            _key(4, 0) + _varint(SNAPSHOT_VERSION) + _length_delimited(5, enums) +
            _key(6, 0) + _varint(count) + _key(1000, 0) + _varint(1))


def decode_metadata(data: bytes) -> dict:
    """run_id, version, num_elements, finalized and dtypes of a SnapshotMetadataRecord."""
    out = {"run_id": "", "version": 0, "num_elements": -1, "finalized": False, "dtypes": []}
    try:
        for number, wire, value in _fields(data):
            if number == 2 and wire == 2:
                out["run_id"] = bytes(value).decode()
            elif number == 4 and wire == 0:
                out["version"] = value
            elif number == 5:
                if wire == 0:
                    out["dtypes"].append(value)
                else:
                    pos = 0
                    while pos < len(value):
                        v, pos = _read_varint(value, pos)
                        out["dtypes"].append(v)
            elif number == 6 and wire == 0:
                out["num_elements"] = _signed64(value)
            elif number == 1000 and wire == 0:
                out["finalized"] = bool(value)
    except DecodeError as e:
        raise ValueError(f"Dataset.load: damaged {METADATA_FILE}: {e}") from None
    return out
