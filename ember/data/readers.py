"""Datasets read from files: TextLineDataset, TFRecordDataset, FixedLengthRecordDataset."""
from __future__ import annotations

import gzip
import io
import zlib

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset
from ember.framework import dtypes
from ember.engine.function import TensorSpec

__all__ = ["TextLineDataset", "TFRecordDataset", "FixedLengthRecordDataset"]


def _filenames(filenames, what):
    if isinstance(filenames, Dataset):
        return filenames
    from ember.data.sources import TensorSliceDataset
    import os
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [os.fspath(filenames)]
    arr = structure.leaf_to_numpy(list(filenames) if isinstance(filenames, tuple)
                                  else filenames)
    if arr.dtype != object:
        raise TypeError(f"{what}: `filenames` must be a string, a list of strings or a "
                        f"dataset of strings, got dtype {arr.dtype}.")
    return TensorSliceDataset(arr.reshape(-1))


def _name(value):
    value = value[()] if isinstance(value, np.ndarray) else value
    return value.decode() if isinstance(value, bytes) else str(value)


class _FileReader(Dataset):
    """Reads every file of ``filenames`` in turn (``num_parallel_reads`` files at once,
    interleaved record by record, as tf.data does)."""

    _what = "reader"

    def __init__(self, filenames, num_parallel_reads=None):
        self._files = _filenames(filenames, self._what)
        self._parallel = num_parallel_reads

    def _inputs(self):
        return [self._files]

    def _records_of(self, path):
        raise NotImplementedError

    def _iter(self):
        if self._parallel is None or int(self._parallel) in (0, 1):
            for name in self._files._iter():
                for r in self._records_of(_name(name)):
                    yield np.array(r, dtype=object)
            return
        from ember.data.transforms import InterleaveDataset
        from ember.data.threads import cpu_count
        reader = self
        cycle = cpu_count() if int(self._parallel) == -1 else int(self._parallel)

        class _One(Dataset):
            def __init__(self, path):
                self._path = path
            element_spec = TensorSpec([], dtypes.string)

            def _iter(self):
                for r in reader._records_of(self._path):
                    yield np.array(r, dtype=object)
        inter = InterleaveDataset(self._files, lambda f: _One(_name(f.numpy())), cycle, 1,
                                  self._parallel, None)
        yield from inter._iter()

    @property
    def element_spec(self):
        return TensorSpec([], dtypes.string)


def _open_text(path, compression):
    from ember.io.tfrecord import compression_of
    compression = compression_of(compression)
    from ember.framework.errors import NotFoundError
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise NotFoundError(f"{path}; No such file or directory") from None
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=raw)
    if compression == "ZLIB":
        data = zlib.decompress(raw.read())
        raw.close()
        return io.BytesIO(data)
    return raw


class TextLineDataset(_FileReader):
    """The lines of text files, without their line endings.

    >>> ds = ember.data.TextLineDataset(["a.txt", "b.txt"])
    """
    _what = "TextLineDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        super().__init__(filenames, num_parallel_reads)
        self._compression = compression_type

    def _records_of(self, path):
        with _open_text(path, self._compression) as f:
            for line in f:
                if line.endswith(b"\n"):
                    line = line[:-1]
                    if line.endswith(b"\r"):
                        line = line[:-1]
                yield line


class TFRecordDataset(_FileReader):
    """The records of TFRecord files (serialized ``tf.train.Example``s, usually).

    >>> ds = ember.data.TFRecordDataset("data.tfrecord").map(parse)
    """
    _what = "TFRecordDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):
        super().__init__(filenames, num_parallel_reads)
        from ember.io.tfrecord import compression_of
        self._compression = compression_of(compression_type)

    def _records_of(self, path):
        from ember.io.tfrecord import read_records
        return read_records(path, self._compression)


class FixedLengthRecordDataset(_FileReader):
    """Records of ``record_bytes`` bytes, after ``header_bytes`` and before
    ``footer_bytes`` in each file."""
    _what = "FixedLengthRecordDataset"

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None,
                 name=None):
        super().__init__(filenames, num_parallel_reads)
        self._record = int(record_bytes)
        self._header = int(header_bytes or 0)
        self._footer = int(footer_bytes or 0)
        self._compression = compression_type

    def _records_of(self, path):
        with _open_text(path, self._compression) as f:
            data = f.read()
        body = data[self._header:len(data) - self._footer]
        for start in range(0, len(body) - self._record + 1, self._record):
            yield body[start:start + self._record]
