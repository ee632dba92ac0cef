"""TFRecord files: each record is its length (uint64 little-endian), the masked CRC-32C
of those 8 bytes, the data, and the masked CRC-32C of the data; the whole file optionally
GZIP or ZLIB compressed."""
from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib

from ember.framework.errors import DataLossError, NotFoundError
from ember.io.crc32c import masked_crc32c

__all__ = ["TFRecordWriter", "TFRecordOptions", "TFRecordCompressionType", "read_records",
           "tf_record_iterator", "compression_of"]


class TFRecordCompressionType:
    NONE, ZLIB, GZIP = 0, 1, 2


class TFRecordOptions:
    """Compression of a TFRecord file: ``compression_type`` is "" / "ZLIB" / "GZIP"."""

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = compression_of(compression_type)
        self.compression_level = compression_level

    @classmethod
    def get_compression_type_string(cls, options):
        if options is None:
            return ""
        return compression_of(options.compression_type if isinstance(options, cls)
                              else options)


def compression_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, TFRecordOptions):
        return value.compression_type
    if isinstance(value, int):
        return {0: "", 1: "ZLIB", 2: "GZIP"}[value]
    if isinstance(value, bytes):
        value = value.decode()
    value = str(value).upper()
    if value not in ("", "ZLIB", "GZIP", "NONE"):
        raise ValueError(f"compression_type must be '', 'ZLIB' or 'GZIP', got {value!r}.")
    return "" if value == "NONE" else value


def frame(record: bytes) -> bytes:
    length = struct.pack("<Q", len(record))
    return length + struct.pack("<I", masked_crc32c(length)) + record + \
        struct.pack("<I", masked_crc32c(record))


class TFRecordWriter:
    """Writes records to a TFRecord file, atomically (a temporary file in the same directory
    is moved into place on ``close``).

    >>> with ember.io.TFRecordWriter(path) as w:
    ...     w.write(example.SerializeToString())
    """

    def __init__(self, path, options=None):
        path = os.fspath(path.decode() if isinstance(path, bytes) else path)
        self._path = path
        self._compression = compression_of(options)
        level = getattr(options, "compression_level", None) if isinstance(
            options, TFRecordOptions) else None
        self._level = 6 if level is None or level < 0 else int(level)
        directory = os.path.dirname(os.path.abspath(path))
        fd, self._tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".tfrecord", dir=directory)
        self._raw = os.fdopen(fd, "wb")
        if self._compression == "GZIP":
            self._file = gzip.GzipFile(fileobj=self._raw, mode="wb",
                                       compresslevel=self._level, mtime=0)
        elif self._compression == "ZLIB":
            self._zlib = zlib.compressobj(self._level)
            self._file = None
        else:
            self._file = self._raw
        self._closed = False

    def write(self, record):
        if self._closed:
            raise ValueError(f"TFRecordWriter: the writer of {self._path} is closed.")
        if isinstance(record, str):
            record = record.encode()
        if hasattr(record, "numpy"):
            record = record.numpy()
        data = frame(bytes(record))
        if self._compression == "ZLIB":
            self._raw.write(self._zlib.compress(data))
        else:
            self._file.write(data)

    def flush(self):
        if self._compression == "ZLIB":
            self._raw.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        elif self._file is not None:
            self._file.flush()
        self._raw.flush()

    def close(self):
        if self._closed:
            return
        if self._compression == "ZLIB":
            self._raw.write(self._zlib.flush())
        elif self._compression == "GZIP":
            self._file.close()
        self._raw.close()
        os.replace(self._tmp, self._path)
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is not None and not self._closed:
            self._raw.close()
            os.unlink(self._tmp)
            self._closed = True
            return
        self.close()

    def __del__(self):
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass


def _open(path, compression):
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise NotFoundError(f"{path}; No such file or directory") from None
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "ZLIB":
        return _ZlibReader(raw)
    return raw


class _ZlibReader:
    def __init__(self, raw):
        self._raw = raw
        self._d = zlib.decompressobj()
        self._buf = b""

    def read(self, n):
        while len(self._buf) < n:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                self._buf += self._d.flush()
                break
            self._buf += self._d.decompress(chunk)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self):
        self._raw.close()


def read_records(path, compression_type=None, verify=True):
    """Yields the records of one TFRecord file; a damaged record raises ``DataLossError``
    naming the file, the record number and its offset."""
    path = os.fspath(path.decode() if isinstance(path, bytes) else path)
    f = _open(path, compression_of(compression_type))
    index, offset = 0, 0
    try:
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise DataLossError(f"Truncated record at offset {offset} in TFRecord file "
                                    f"{path!r} (record {index}): the file ends inside the "
                                    f"record's header.")
            length, length_crc = struct.unpack("<QI", header)
            if verify and masked_crc32c(header[:8]) != length_crc:
                raise DataLossError(f"Corrupted record at offset {offset} in TFRecord file "
                                    f"{path!r} (record {index}): the length's CRC does not "
                                    f"match (not a TFRecord file, wrong compression_type, "
                                    f"or a damaged file).")
            body = f.read(length + 4)
            if len(body) < length + 4:
                raise DataLossError(f"Truncated record at offset {offset} in TFRecord file "
                                    f"{path!r} (record {index}): expected {length} bytes "
                                    f"of data.")
            data = body[:length]
            if verify and masked_crc32c(data) != struct.unpack("<I", body[length:])[0]:
                raise DataLossError(f"Corrupted record at offset {offset} in TFRecord file "
                                    f"{path!r} (record {index}): the data's CRC does not "
                                    f"match.")
            yield data
            index += 1
            offset += 16 + length
    finally:
        f.close()


def tf_record_iterator(path, options=None):
    """The records of a TFRecord file as bytes (``tf.compat.v1.io.tf_record_iterator``)."""
    return read_records(path, compression_of(options))
