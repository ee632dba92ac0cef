"""tf.lookup's static tables: StaticHashTable and StaticVocabularyTable over a
KeyValueTensorInitializer or TextFileInitializer. A table keeps its keys sorted with their
values as two constant tensors and looks keys up with the ``StaticTableLookup`` op, so
lookups run eagerly, in traced functions and in Dataset maps."""
from __future__ import annotations

import numpy as np

import ember
from ember.framework import dtypes
from ember.framework.tensor import Tensor
from ember.ops.lookup_ops import sorted_table, table_lookup


def tensor(value, dtype=None):
    return ember.convert_to_tensor(value, dtype=dtype)

__all__ = ["KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable",
           "TextFileIndex", "TextFileInitializer"]


def _array(values, dtype, what):
    if isinstance(values, Tensor):
        values = values.numpy()
    t = tensor(values, dtype=None if dtype is None else dtypes.as_dtype(dtype))
    if t.shape.rank != 1:
        raise ValueError(f"KeyValueTensorInitializer: {what} must be a vector, got shape "
                         f"{t.shape}")
    return t


class KeyValueTensorInitializer:
    """A table's contents from two vectors of the same length, ``keys`` and ``values``."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        k, v = _array(keys, key_dtype, "keys"), _array(values, value_dtype, "values")
        if k.shape[0] != v.shape[0]:
            raise ValueError(f"KeyValueTensorInitializer: keys and values must have the "
                             f"same length, got {k.shape[0]} and {v.shape[0]}")
        self._keys, self._values = k.numpy(), v.numpy()
        self.key_dtype, self.value_dtype = k.dtype, v.dtype

    def _contents(self):
        return self._keys, self._values


class TextFileIndex:
    """Special column numbers of TextFileInitializer: the whole line, or its number."""
    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer:
    """A table's contents from a text file: per line, the key and the value are the
    ``key_index`` and ``value_index`` columns split at ``delimiter`` (or the whole line,
    or the line number plus ``value_index_offset``)."""

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None, value_index_offset=0):
        self.filename = filename.numpy().decode() if isinstance(filename, Tensor) else \
            str(filename)
        self.key_dtype, self.value_dtype = dtypes.as_dtype(key_dtype), \
            dtypes.as_dtype(value_dtype)
        self.key_index, self.value_index = int(key_index), int(value_index)
        self.vocab_size, self.delimiter = vocab_size, delimiter
        self.value_index_offset = int(value_index_offset)
        for what, index, dtype in (("key", self.key_index, self.key_dtype),
                                   ("value", self.value_index, self.value_dtype)):
            if index < -2:
                raise ValueError(f"TextFileInitializer: invalid {what}_index {index}")
            if index == TextFileIndex.LINE_NUMBER and not dtype.is_integer:
                raise ValueError(f"TextFileInitializer: the {what} must be an integer type "
                                 f"for the line number, got {dtype.name}")
            if index == TextFileIndex.WHOLE_LINE and not (
                    dtype == dtypes.string or dtype.is_integer):
                raise ValueError(f"TextFileInitializer: the {what} must be a string or an "
                                 f"integer type for the whole line, got {dtype.name}")

    def _column(self, line, number, index, dtype):
        if index == TextFileIndex.LINE_NUMBER:
            return number + self.value_index_offset
        text = line if index == TextFileIndex.WHOLE_LINE else self._split(line, index)
        if dtype == dtypes.string:
            return text.encode("utf-8")
        try:
            return float(text) if dtype.is_floating else int(text)
        except ValueError:
            raise ValueError(f"TextFileInitializer: line {number} of {self.filename}: "
                             f"{text!r} is not a {dtype.name}") from None

    def _split(self, line, index):
        parts = line.split(self.delimiter) if self.delimiter else line.split()
        if index >= len(parts):
            raise ValueError(f"TextFileInitializer: {self.filename} has fewer than "
                             f"{index + 1} columns in line {line!r}")
        return parts[index]

    def _contents(self):
        with open(self.filename, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if self.vocab_size is not None:
            if len(lines) < int(self.vocab_size):
                raise ValueError(f"TextFileInitializer: {self.filename} has {len(lines)} "
                                 f"lines, fewer than vocab_size={self.vocab_size}")
            lines = lines[:int(self.vocab_size)]
        keys = [self._column(l, i, self.key_index, self.key_dtype) for i, l in
                enumerate(lines)]
        values = [self._column(l, i, self.value_index, self.value_dtype) for i, l in
                  enumerate(lines)]
        return (np.asarray(keys, dtype=object if self.key_dtype == dtypes.string
                           else self.key_dtype.np),
                np.asarray(values, dtype=object if self.value_dtype == dtypes.string
                           else self.value_dtype.np))


def _map_keys(keys, fn):
    if isinstance(keys, ember.sparse.SparseTensor):
        return ember.sparse.SparseTensor(keys.indices, fn(keys.values), keys.dense_shape)
    if isinstance(keys, ember.ragged.RaggedTensor):
        return keys.with_flat_values(fn(keys.flat_values))
    return fn(tensor(keys))


class _StaticTable:
    def __init__(self, initializer, name=None):
        keys, values = initializer._contents()
        if len(set(keys.tolist())) != len(keys):
            raise ValueError(f"{type(self).__name__}: the initializer has repeated keys")
        self.key_dtype, self.value_dtype = initializer.key_dtype, initializer.value_dtype
        self._keys, self._values = keys, values
        self._sorted = sorted_table(keys, values)
        self.name = name

    def size(self, name=None):
        """The number of keys (int64)."""
        return tensor(np.int64(len(self._keys)))

    def export(self, name=None):
        """(keys, values) tensors."""
        return (tensor(self._keys, dtype=self.key_dtype),
                tensor(self._values, dtype=self.value_dtype))

    def _check(self, k):
        if k.dtype != self.key_dtype:
            raise TypeError(f"{type(self).__name__}: lookup keys must be "
                            f"{self.key_dtype.name}, got {k.dtype.name}")
        return k

    def __getitem__(self, keys):
        return self.lookup(keys)


class StaticHashTable(_StaticTable):
    """An immutable map from the initializer's keys to its values; other keys give
    ``default_value``.

    >>> table = StaticHashTable(KeyValueTensorInitializer(["a", "b"], [1, 2]), -1)
    >>> table.lookup(ember.constant(["b", "z"])).numpy().tolist()
    [2, -1]
    """

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        super().__init__(initializer, name)
        self.default_value = default_value

    def lookup(self, keys, name=None):
        """The value of each key (a tensor, RaggedTensor or SparseTensor of keys)."""
        keys_s, values_s = self._sorted
        return _map_keys(keys, lambda k: table_lookup(self._check(k), tensor(
            keys_s, dtype=self.key_dtype), tensor(values_s, dtype=self.value_dtype),
            _plain(self.default_value)))


class StaticVocabularyTable(_StaticTable):
    """Maps the initializer's keys to their (int64) values and every other key to one of
    ``num_oov_buckets`` ids after them: size + FarmHash64 bucket of the key (of its
    decimal text for integer keys), as TensorFlow.

    >>> init = KeyValueTensorInitializer(["a", "b"], ember.constant([0, 1], "int64"))
    >>> StaticVocabularyTable(init, 2).lookup(ember.constant(["b", "zz"])).numpy().tolist()
    [1, 3]
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if int(num_oov_buckets) <= 0:
            raise ValueError(f"StaticVocabularyTable: num_oov_buckets must be > 0, got "
                             f"{num_oov_buckets}")
        super().__init__(initializer, name)
        if self.value_dtype != dtypes.int64:
            raise TypeError(f"StaticVocabularyTable: the initializer's values must be int64, "
                            f"got {self.value_dtype.name}")
        self.num_oov_buckets = int(num_oov_buckets)

    def size(self, name=None):
        return tensor(np.int64(len(self._keys) + self.num_oov_buckets))

    def _lookup(self, k):
        self._check(k)
        keys_s, values_s = self._sorted
        found = table_lookup(k, tensor(keys_s, dtype=self.key_dtype),
                             tensor(values_s, dtype=dtypes.int64), -1)
        text = k if k.dtype == dtypes.string else ember.strings.as_string(k)
        bucket = ember.strings.to_hash_bucket_fast(text, self.num_oov_buckets) + \
            len(self._keys)
        return ember.where(ember.equal(found, -1), bucket, found)

    def lookup(self, keys, name=None):
        """The id of each key (a tensor, RaggedTensor or SparseTensor of keys)."""
        return _map_keys(keys, self._lookup)


def _plain(value):
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        value = value.item()
    return value
