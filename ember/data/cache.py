"""cache: the first complete pass is kept (in memory, or in a file) and replayed.

A pass that stops early keeps nothing (as in TensorFlow). The file cache is
``{filename}.data`` (records in TFRecord framing) with ``{filename}.index`` written last;
both appear atomically, so a crashed pass leaves no half cache."""
from __future__ import annotations

import json
import os
import tempfile

from ember.data import codec
from ember.data.dataset import UnaryDataset

__all__ = ["CacheDataset"]


class CacheDataset(UnaryDataset):
    def __init__(self, input_dataset, filename):
        self._input = input_dataset
        self._file = os.fspath(filename) if filename else ""
        self._memory = None

    def _cardinality(self):
        return self._input._cardinality()

    def _iter(self):
        if self._file:
            return self._file_iter()
        return self._memory_iter()

    def _memory_iter(self):
        if self._memory is not None:
            yield from self._memory
            return
        kept = []
        for element in self._input._iter():
            kept.append(element)
            yield element
        self._memory = kept

    def _file_iter(self):
        from ember.io.tfrecord import TFRecordWriter, read_records
        data, index = self._file + ".data", self._file + ".index"
        if os.path.exists(index):
            for record in read_records(data):
                yield codec.decode_element(record, self.element_spec)
            return
        directory = os.path.dirname(os.path.abspath(self._file))
        if not os.path.isdir(directory):
            from ember.framework.errors import NotFoundError
            raise NotFoundError(f"Dataset.cache: the directory of the cache file "
                                f"{self._file!r} does not exist.")
        writer = TFRecordWriter(data)
        count = 0
        try:
            for element in self._input._iter():
                writer.write(codec.encode_element(element))
                count += 1
                yield element
        except BaseException:
            writer.__exit__(RuntimeError, None, None)
            raise
        writer.close()
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-index-")
        with os.fdopen(fd, "w") as f:
            json.dump({"elements": count}, f)
        os.replace(tmp, index)
