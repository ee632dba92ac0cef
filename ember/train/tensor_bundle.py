"""TensorFlow's checkpoint files (the *tensor bundle*), read and written.

A checkpoint with prefix ``<prefix>`` is two files:

- ``<prefix>.index``: a table in LevelDB's SSTable layout (data blocks of prefix-compressed
  key/value entries with restart points, each block followed by a compression byte and a
  masked CRC-32C; an index block of block handles; a 48-byte footer ending in the table
  magic number). Its keys are sorted; the empty key holds a ``BundleHeaderProto``
  (number of shards, endianness, format version); every other key is a tensor's name
  with a ``BundleEntryProto`` (dtype, shape, shard, offset and size in the data file,
  masked CRC-32C of the tensor's bytes).
- ``<prefix>.data-00000-of-00001``: the tensors' bytes one after another, little-endian
  and C-ordered; a string tensor as the varint64 lengths of its elements, a masked
  CRC-32C of those lengths (as 4-byte integers), then the elements' bytes.

``write_bundle`` and ``read_bundle`` work on ``{name: numpy array}`` (strings as object
arrays of bytes); only single-shard bundles without partitioned slices are written, and
read (TensorFlow writes those for ``tf.train.Checkpoint`` and ``save_weights``).
"""
from __future__ import annotations

import os
import struct

import numpy as np

from ember.io.crc32c import crc32c, masked_crc32c
from ember.io.example_proto import (
    DecodeError, _fields, _key, _length_delimited, _read_varint, _varint,
)
from ember.io.tensor_proto import _BY_ENUM, _ENUM, _parse_shape
from ember.runtime.atomic_file import atomic_write

__all__ = ["write_bundle", "read_bundle", "is_bundle", "BundleError", "DATA_SUFFIX"]

DATA_SUFFIX = ".data-00000-of-00001"
_MAGIC = 0xdb4775248b80fb57
_FOOTER = 48
_BLOCK_SIZE = 256 * 1024
_RESTART_INTERVAL = 16


class BundleError(ValueError):
    """A checkpoint file that is not a valid tensor bundle (names the file)."""


def _mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _unmask(masked):
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# ------------------------------------------------------------------ SSTable
class _BlockBuilder:
    def __init__(self, restart_interval):
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""
        self.restart_interval = restart_interval

    def add(self, key, value):
        shared = 0
        if self.counter < self.restart_interval:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        self.buffer += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        self.buffer += key[shared:] + value
        self.last_key = key
        self.counter += 1

    def finish(self):
        out = bytes(self.buffer) + b"".join(struct.pack("<I", r) for r in self.restarts)
        return out + struct.pack("<I", len(self.restarts))

    def size(self):
        return len(self.buffer) + 4 * len(self.restarts) + 4


def _block_with_trailer(contents):
    kind = b"\x00"                                # no compression
    return contents + kind + struct.pack("<I", masked_crc32c(contents + kind))


def _handle(offset, size):
    return _varint(offset) + _varint(size)


def _table(entries):
    """The bytes of an SSTable holding ``entries`` (sorted (key, value) byte pairs)."""
    out = bytearray()
    index = _BlockBuilder(1)
    block = _BlockBuilder(_RESTART_INTERVAL)

    def flush():
        contents = block.finish()
        index.add(block.last_key, _handle(len(out), len(contents)))
        out.extend(_block_with_trailer(contents))

    for key, value in entries:
        block.add(key, value)
        if block.size() >= _BLOCK_SIZE:
            flush()
            block = _BlockBuilder(_RESTART_INTERVAL)
    if block.counter or not index.counter:
        flush()
    meta = _BlockBuilder(_RESTART_INTERVAL).finish()
    meta_handle = _handle(len(out), len(meta))
    out.extend(_block_with_trailer(meta))
    index_contents = index.finish()
    index_handle = _handle(len(out), len(index_contents))
    out.extend(_block_with_trailer(index_contents))
    footer = meta_handle + index_handle
    out.extend(footer + b"\x00" * (40 - len(footer)) + struct.pack("<Q", _MAGIC))
    return bytes(out)


def _read_varint32(data, pos, path):
    try:
        return _read_varint(data, pos)
    except DecodeError as e:
        raise BundleError(f"{path}: {e}") from None


def _block_entries(data, offset, size, path):
    if offset + size + 5 > len(data):
        raise BundleError(f"{path}: a block at offset {offset} runs past the end of the "
                          f"file (truncated?).")
    contents = data[offset:offset + size]
    kind = data[offset + size:offset + size + 1]
    (stored,) = struct.unpack("<I", data[offset + size + 1:offset + size + 5])
    if masked_crc32c(contents + kind) != stored:
        raise BundleError(f"{path}: the block at offset {offset} fails its CRC-32C check "
                          f"(the file is corrupted).")
    if kind != b"\x00":
        raise BundleError(f"{path}: the block at offset {offset} is compressed (type "
                          f"{kind[0]}); only uncompressed tables are supported.")
    if size < 4:
        raise BundleError(f"{path}: a block of {size} bytes is too short.")
    (restarts,) = struct.unpack("<I", contents[-4:])
    end = size - 4 - 4 * restarts
    if end < 0:
        raise BundleError(f"{path}: a block lists more restart points than it can hold.")
    pos, key, out = 0, b"", []
    while pos < end:
        shared, pos = _read_varint32(contents, pos, path)
        unshared, pos = _read_varint32(contents, pos, path)
        vlen, pos = _read_varint32(contents, pos, path)
        if shared > len(key) or pos + unshared + vlen > end:
            raise BundleError(f"{path}: a malformed table entry.")
        key = key[:shared] + contents[pos:pos + unshared]
        pos += unshared
        out.append((key, contents[pos:pos + vlen]))
        pos += vlen
    return out


def _read_handle(data, pos, path):
    offset, pos = _read_varint32(data, pos, path)
    size, pos = _read_varint32(data, pos, path)
    return offset, size, pos


def _read_table(data, path):
    if len(data) < _FOOTER or struct.unpack("<Q", data[-8:])[0] != _MAGIC:
        raise BundleError(f"{path}: not a TensorFlow checkpoint index (no table magic "
                          f"number at its end; truncated or another kind of file).")
    footer = data[-_FOOTER:]
    _, _, pos = _read_handle(footer, 0, path)
    index_offset, index_size, _ = _read_handle(footer, pos, path)
    entries = []
    for _, handle in _block_entries(data, index_offset, index_size, path):
        offset, size, _ = _read_handle(handle, 0, path)
        entries.extend(_block_entries(data, offset, size, path))
    return entries


def is_bundle(index_path):
    """True when ``index_path`` ends with the SSTable magic number."""
    try:
        with open(index_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < _FOOTER:
                return False
            f.seek(-8, os.SEEK_END)
            return struct.unpack("<Q", f.read(8))[0] == _MAGIC
    except OSError:
        return False


# ------------------------------------------------------------------ protos
def _header():
    version = _key(1, 0) + _varint(1)             # VersionDef{producer: 1}
    return _key(1, 0) + _varint(1) + _length_delimited(3, version)   # num_shards: 1


def _shape_proto(shape):
    return b"".join(_length_delimited(2, _key(1, 0) + _varint(int(d)) if d else b"")
                    for d in shape)


def _entry(dtype_enum, shape, offset, size, crc):
    out = _key(1, 0) + _varint(dtype_enum) + _length_delimited(2, _shape_proto(shape))
    if offset:
        out += _key(4, 0) + _varint(offset)
    if size:
        out += _key(5, 0) + _varint(size)
    return out + _key(6, 5) + struct.pack("<I", crc)


def _parse_entry(data):
    entry = {"dtype": 0, "shape": (), "shard_id": 0, "offset": 0, "size": 0, "crc32c": None,
             "slices": False}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 0:
            entry["dtype"] = value
        elif number == 2 and wire == 2:
            entry["shape"] = tuple(_parse_shape(value) or ())
        elif number == 3 and wire == 0:
            entry["shard_id"] = value
        elif number == 4 and wire == 0:
            entry["offset"] = value
        elif number == 5 and wire == 0:
            entry["size"] = value
        elif number == 6 and wire == 5:
            entry["crc32c"] = struct.unpack("<I", value)[0]
        elif number == 7:
            entry["slices"] = True
    return entry


def _parse_header(data):
    header = {"num_shards": 0, "endianness": 0}
    for number, wire, value in _fields(data):
        if number == 1 and wire == 0:
            header["num_shards"] = value
        elif number == 2 and wire == 0:
            header["endianness"] = value
    return header


# ------------------------------------------------------------------ tensors
def _string_bytes(arr):
    items = [v if isinstance(v, bytes) else str(v).encode("utf8") for v in arr.reshape(-1)]
    lengths = b"".join(_varint(len(v)) for v in items)
    fixed = b"".join(struct.pack("<I", len(v)) for v in items)
    length_crc = masked_crc32c(fixed)
    body = b"".join(items)
    crc = crc32c(fixed + struct.pack("<I", length_crc) + body)
    return lengths + struct.pack("<I", length_crc) + body, crc


def _tensor_bytes(arr):
    """(the bytes TensorFlow stores for ``arr``, their unmasked CRC-32C, dtype enum)."""
    if arr.dtype.kind in "OSU":
        data, crc = _string_bytes(np.asarray(arr, dtype=object))
        return data, crc, _ENUM["string"]
    name = arr.dtype.name
    if name not in _ENUM:
        raise TypeError(f"Checkpoint: tensors of dtype {name} cannot be written in "
                        f"TensorFlow's format.")
    little = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    data = little.tobytes()
    return data, crc32c(data), _ENUM[name]


def write_bundle(prefix, tensors):
    """Writes ``{name: array}`` as ``<prefix>.index`` + ``<prefix>.data-00000-of-00001``
    (each file atomically; the data file first, so an index never points past it)."""
    prefix = os.fspath(prefix)
    chunks, entries, offset = [], [], 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        data, crc, dtype_enum = _tensor_bytes(arr)
        chunks.append(data)
        entries.append((name.encode("utf8"),
                        _entry(dtype_enum, arr.shape, offset, len(data), _mask(crc))))
        offset += len(data)
    with atomic_write(prefix + DATA_SUFFIX) as tmp:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
    table = _table([(b"", _header())] + entries)
    with atomic_write(prefix + ".index") as tmp:
        with open(tmp, "wb") as f:
            f.write(table)
    return prefix


def _decode_strings(raw, count, path, name):
    pos, lengths = 0, []
    for _ in range(count):
        length, pos = _read_varint32(raw, pos, path)
        lengths.append(length)
    if pos + 4 > len(raw):
        raise BundleError(f"{path}: the string tensor {name!r} is truncated.")
    (stored,) = struct.unpack("<I", raw[pos:pos + 4])
    fixed = b"".join(struct.pack("<I", n) for n in lengths)
    if masked_crc32c(fixed) != stored:
        raise BundleError(f"{path}: the lengths of string tensor {name!r} fail their "
                          f"CRC-32C check.")
    pos += 4
    out = []
    for n in lengths:
        out.append(bytes(raw[pos:pos + n]))
        pos += n
    return out


def read_bundle(prefix, names=None):
    """``{name: array}`` of a tensor bundle (strings as object arrays of bytes); only
    ``names`` when given. Raises ``BundleError`` naming the file for anything wrong."""
    prefix = os.fspath(prefix)
    index_path, data_path = prefix + ".index", prefix + DATA_SUFFIX
    with open(index_path, "rb") as f:
        index = f.read()
    try:
        table = _read_table(index, index_path)
        header = None
        entries = {}
        for key, value in table:
            if key == b"":
                header = _parse_header(value)
            else:
                entries[key.decode("utf8")] = _parse_entry(value)
    except DecodeError as e:
        raise BundleError(f"{index_path}: a malformed entry ({e}).") from None
    if header is None:
        raise BundleError(f"{index_path}: the table has no bundle header.")
    if header["endianness"] != 0:
        raise BundleError(f"{index_path}: big-endian checkpoints are not supported.")
    if header["num_shards"] > 1:
        raise NotImplementedError(f"{index_path}: a checkpoint in {header['num_shards']} "
                                  f"shards; only single-shard checkpoints are supported.")
    wanted = entries if names is None else {n: entries[n] for n in names if n in entries}
    if not os.path.exists(data_path):
        raise BundleError(f"{data_path}: the checkpoint's data file is missing.")
    out = {}
    with open(data_path, "rb") as f:
        for name, entry in wanted.items():
            if entry["slices"]:
                raise NotImplementedError(f"{index_path}: {name!r} is saved as partitioned "
                                          f"slices, which ember does not read.")
            f.seek(entry["offset"])
            raw = f.read(entry["size"])
            if len(raw) != entry["size"]:
                raise BundleError(f"{data_path}: the tensor {name!r} runs past the end of "
                                  f"the file (truncated).")
            dtype = _BY_ENUM.get(entry["dtype"])
            if dtype is None:
                raise NotImplementedError(f"{index_path}: {name!r} has TensorFlow dtype "
                                          f"number {entry['dtype']}, which ember does not "
                                          f"read.")
            shape = entry["shape"]
            if dtype == "string":
                count = int(np.prod(shape)) if shape else 1
                arr = np.empty(count, dtype=object)
                arr[:] = _decode_strings(raw, count, data_path, name)
                crc = _string_bytes(arr)[1]
            else:
                crc = crc32c(raw)
            if entry["crc32c"] is not None and _unmask(entry["crc32c"]) != crc:
                raise BundleError(f"{data_path}: the tensor {name!r} fails its CRC-32C "
                                  f"check (the file is corrupted).")
            if dtype == "string":
                out[name] = arr.reshape(shape)
            else:
                np_dtype = np.dtype(dtype if dtype != "bfloat16" else _bfloat16())
                out[name] = np.frombuffer(raw, dtype=np_dtype.newbyteorder("<")).astype(
                    np_dtype).reshape(shape)
    return out


def list_bundle(prefix):
    """``{name: (dtype name, shape)}`` of a bundle, read from its index only."""
    prefix = os.fspath(prefix)
    index_path = prefix + ".index"
    with open(index_path, "rb") as f:
        table = _read_table(f.read(), index_path)
    return {k.decode("utf8"): (_BY_ENUM.get(e["dtype"], str(e["dtype"])), e["shape"])
            for k, e in ((k, _parse_entry(v)) for k, v in table if k)}


def _bfloat16():
    import ml_dtypes
    return ml_dtypes.bfloat16
