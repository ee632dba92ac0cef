"""``tf.train.Example`` and friends in protobuf's wire format, written by hand (no protobuf
dependency): Example, Features, Feature, BytesList, FloatList, Int64List, FeatureList,
FeatureLists, SequenceExample.

>>> ex = ember.train.Example(features=ember.train.Features(feature={
...     "x": ember.train.Feature(float_list=ember.train.FloatList(value=[1.0, 2.0]))}))
>>> ember.train.Example.FromString(ex.SerializeToString()) == ex
True
"""
from __future__ import annotations

import struct

import numpy as np

__all__ = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
           "FeatureLists", "Example", "SequenceExample", "DecodeError"]


class DecodeError(ValueError):
    """A byte string that is not a valid serialized message."""


# -- wire primitives ----------------------------------------------------------------------
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(data):
            raise DecodeError("Truncated message: a varint runs past the end.")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("Invalid varint (more than 10 bytes).")


def _key(number, wire):
    return _varint((number << 3) | wire)


def _length_delimited(number, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _fields(data):
    """Yields (field number, wire type, value) with value an int (varint/fixed) or bytes."""
    pos, n = 0, len(data)
    while pos < n:
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            if pos + 8 > n:
                raise DecodeError("Truncated message: a fixed64 runs past the end.")
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > n:
                raise DecodeError("Truncated message: a length-delimited field runs past "
                                  "the end.")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            if pos + 4 > n:
                raise DecodeError("Truncated message: a fixed32 runs past the end.")
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise DecodeError(f"Unsupported wire type {wire} for field {number}.")
        yield number, wire, value


def _signed64(u):
    return u - (1 << 64) if u >= 1 << 63 else u


class _Repeated(list):
    """A repeated scalar field (``value``), with protobuf's ``append``/``extend``."""


class _Message:
    def SerializeToString(self, deterministic=None) -> bytes:
        return self._encode()

    def SerializePartialToString(self, deterministic=None) -> bytes:
        return self._encode()

    @classmethod
    def FromString(cls, data):
        msg = cls()
        msg.ParseFromString(data)
        return msg

    def ParseFromString(self, data):
        if hasattr(data, "numpy"):
            data = data.numpy()
        self.Clear()
        self.MergeFromString(bytes(data))
        return len(data)

    def ByteSize(self):
        return len(self._encode())

    def CopyFrom(self, other):
        self.ParseFromString(other.SerializeToString())

    def __eq__(self, other):
        return type(self) is type(other) and self._canonical() == other._canonical()

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return self._text(0).rstrip("\n") if self._text(0) else ""

    __str__ = __repr__


class _ScalarList(_Message):
    _kind = "bytes"

    def __init__(self, value=None):
        self.value = _Repeated(self._convert(v) for v in (value if value is not None else []))

    def _convert(self, v):
        return v

    def Clear(self):
        self.value = _Repeated()

    def _canonical(self):
        return [self._convert(v) for v in self.value]

    def _text(self, indent):
        pad = "  " * indent
        return "".join(f"{pad}value: {_text_value(v)}\n" for v in self.value)


def _text_value(v):
    if isinstance(v, bytes):
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03o}"
                             for b in v) + '"'
    return repr(v)


class BytesList(_ScalarList):
    def _convert(self, v):
        if isinstance(v, str):
            return v.encode("utf-8")
        if isinstance(v, (bytes, bytearray, np.bytes_)):
            return bytes(v)
        raise TypeError(f"BytesList: {v!r} has type {type(v).__name__}, but expected one "
                        f"of: bytes")

    def _encode(self):
        return b"".join(_length_delimited(1, self._convert(v)) for v in self.value)

    def MergeFromString(self, data):
        for number, wire, value in _fields(data):
            if number == 1 and wire == 2:
                self.value.append(bytes(value))


class FloatList(_ScalarList):
    def _convert(self, v):
        if isinstance(v, (bytes, str)):
            raise TypeError(f"FloatList: {v!r} has type {type(v).__name__}, but expected "
                            f"one of: int, float")
        return float(np.float32(v))

    def _encode(self):
        if not self.value:
            return b""
        payload = np.asarray([self._convert(v) for v in self.value], "<f4").tobytes()
        return _length_delimited(1, payload)

    def MergeFromString(self, data):
        for number, wire, value in _fields(data):
            if number != 1:
                continue
            if wire == 2:
                if len(value) % 4:
                    raise DecodeError("FloatList: packed floats are not a multiple of 4 "
                                      "bytes.")
                self.value.extend(float(v) for v in np.frombuffer(value, "<f4"))
            elif wire == 5:
                self.value.append(struct.unpack("<f", value)[0])


class Int64List(_ScalarList):
    def _convert(self, v):
        if isinstance(v, (float, np.floating, bytes, str)):
            raise TypeError(f"Int64List: {v!r} has type {type(v).__name__}, but expected "
                            f"one of: int")
        return int(v)

    def _encode(self):
        if not self.value:
            return b""
        payload = b"".join(_varint(self._convert(v)) for v in self.value)
        return _length_delimited(1, payload)

    def MergeFromString(self, data):
        for number, wire, value in _fields(data):
            if number != 1:
                continue
            if wire == 2:
                pos = 0
                while pos < len(value):
                    v, pos = _read_varint(value, pos)
                    self.value.append(_signed64(v))
            elif wire == 0:
                self.value.append(_signed64(value))


_KINDS = (("bytes_list", 1, BytesList), ("float_list", 2, FloatList),
          ("int64_list", 3, Int64List))


class Feature(_Message):
    """One of ``bytes_list``, ``float_list`` or ``int64_list``."""

    def __init__(self, bytes_list=None, float_list=None, int64_list=None):
        given = [(n, v) for n, v in (("bytes_list", bytes_list), ("float_list", float_list),
                                     ("int64_list", int64_list)) if v is not None]
        if len(given) > 1:
            raise ValueError("Feature: set only one of bytes_list, float_list, int64_list.")
        self._kind = given[0][0] if given else None
        self._lists = {name: (cls() if name != self._kind else given[0][1])
                       for name, _, cls in _KINDS}

    def __getattr__(self, name):
        if name in ("bytes_list", "float_list", "int64_list"):
            return self._lists[name]
        raise AttributeError(name)

    def WhichOneof(self, group):
        return self._kind

    def HasField(self, name):
        return self._kind == name

    def Clear(self):
        self.__init__()

    def _encode(self):
        if self._kind is None:
            return b""
        number = {n: k for n, k, _ in _KINDS}[self._kind]
        return _length_delimited(number, self._lists[self._kind]._encode())

    def MergeFromString(self, data):
        for number, wire, value in _fields(data):
            for name, k, cls in _KINDS:
                if number == k and wire == 2:
                    if self._kind != name:
                        self._lists[name] = cls()
                    self._kind = name
                    self._lists[name].MergeFromString(value)

    def _canonical(self):
        return (self._kind, self._lists[self._kind]._canonical() if self._kind else None)

    def _text(self, indent):
        if self._kind is None:
            return ""
        pad = "  " * indent
        return f"{pad}{self._kind} {{\n" + self._lists[self._kind]._text(indent + 1) + \
            f"{pad}}}\n"


class _MapField(dict):
    """``features.feature``: a dict of str -> message, created on first access as protobuf
    maps are."""

    def __init__(self, cls, items=None):
        super().__init__()
        self._cls = cls
        for k, v in (items or {}).items():
            self[k] = v

    def __setitem__(self, key, value):
        if not isinstance(value, self._cls):
            raise TypeError(f"expected a {self._cls.__name__} for key {key!r}, got "
                            f"{type(value).__name__}")
        super().__setitem__(key.decode() if isinstance(key, bytes) else key, value)

    def __missing__(self, key):
        value = self._cls()
        super().__setitem__(key, value)
        return value

    def get_or_create(self, key):
        return self[key]


def _encode_map(number, items):
    out = []
    for key, value in items.items():
        entry = _length_delimited(1, key.encode("utf-8")) + _length_delimited(2, value._encode())
        out.append(_length_delimited(number, entry))
    return b"".join(out)


def _decode_map_entry(data, cls):
    key, value = "", cls()
    for number, wire, v in _fields(data):
        if number == 1 and wire == 2:
            key = bytes(v).decode("utf-8")
        elif number == 2 and wire == 2:
            value.MergeFromString(v)
    return key, value


class _MapMessage(_Message):
    _field = "feature"
    _value_cls = Feature

    def __init__(self, **kwargs):
        items = kwargs.pop(self._field, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        setattr(self, self._field, _MapField(self._value_cls, items))

    def Clear(self):
        setattr(self, self._field, _MapField(self._value_cls))

    def _encode(self):
        return _encode_map(1, getattr(self, self._field))

    def MergeFromString(self, data):
        m = getattr(self, self._field)
        for number, wire, value in _fields(data):
            if number == 1 and wire == 2:
                k, v = _decode_map_entry(value, self._value_cls)
                dict.__setitem__(m, k, v)

    def _canonical(self):
        return sorted((k, v._canonical()) for k, v in getattr(self, self._field).items())

    def _text(self, indent):
        pad = "  " * indent
        out = []
        for k, v in getattr(self, self._field).items():
            out.append(f"{pad}{self._field} {{\n{pad}  key: \"{k}\"\n{pad}  value {{\n" +
                       v._text(indent + 2) + f"{pad}  }}\n{pad}}}\n")
        return "".join(out)


class Features(_MapMessage):
    _field = "feature"
    _value_cls = Feature


class FeatureList(_Message):
    def __init__(self, feature=None):
        self.feature = list(feature or [])

    def Clear(self):
        self.feature = []

    def _encode(self):
        return b"".join(_length_delimited(1, f._encode()) for f in self.feature)

    def MergeFromString(self, data):
        for number, wire, value in _fields(data):
            if number == 1 and wire == 2:
                self.feature.append(Feature.FromString(value))

    def _canonical(self):
        return [f._canonical() for f in self.feature]

    def _text(self, indent):
        pad = "  " * indent
        return "".join(f"{pad}feature {{\n" + f._text(indent + 1) + f"{pad}}}\n"
                       for f in self.feature)


class FeatureLists(_MapMessage):
    _field = "feature_list"
    _value_cls = FeatureList


class _Container(_Message):
    _parts: tuple = ()

    def __init__(self, **kwargs):
        for name, _, cls in self._parts:
            value = kwargs.pop(name, None)
            setattr(self, name, value if value is not None else cls())
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")

    def Clear(self):
        for name, _, cls in self._parts:
            setattr(self, name, cls())

    def _encode(self):
        out = []
        for name, number, _ in self._parts:
            payload = getattr(self, name)._encode()
            if payload:
                out.append(_length_delimited(number, payload))
        return b"".join(out)

    def MergeFromString(self, data):
        by_number = {number: name for name, number, _ in self._parts}
        for number, wire, value in _fields(data):
            if number in by_number and wire == 2:
                getattr(self, by_number[number]).MergeFromString(value)

    def HasField(self, name):
        return bool(getattr(self, name)._encode())

    def _canonical(self):
        return tuple(getattr(self, name)._canonical() for name, _, _ in self._parts)

    def _text(self, indent):
        pad = "  " * indent
        out = []
        for name, _, _ in self._parts:
            inner = getattr(self, name)._text(indent + 1)
            if inner:
                out.append(f"{pad}{name} {{\n{inner}{pad}}}\n")
        return "".join(out)


class Example(_Container):
    """``Example(features=Features(feature={...}))``."""
    _parts = (("features", 1, Features),)


class SequenceExample(_Container):
    _parts = (("context", 1, Features), ("feature_lists", 2, FeatureLists))
