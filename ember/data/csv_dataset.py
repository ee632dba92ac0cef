"""CSV files: ``experimental.CsvDataset`` (a tuple of scalars per row) and
``experimental.make_csv_dataset`` (batches of ``(features dict, label)``)."""
from __future__ import annotations

import collections
import csv
import glob
import io

import numpy as np

from ember.data import structure
from ember.data.dataset import Dataset
from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.engine.function import TensorSpec

__all__ = ["CsvDataset", "make_csv_dataset"]


def _rows(path, compression, delim, quote, header, encoding="utf-8"):
    from ember.data.readers import _open_text
    with _open_text(path, compression) as f:
        text = io.TextIOWrapper(f, encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=delim,
                            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE)
        for n, row in enumerate(reader):
            if n == 0 and header:
                continue
            if not row:
                continue
            yield n, row


def _parse(value, dtype, default, na_value, where):
    if value == na_value or value == "":
        if default is None:
            raise InvalidArgumentError(f"{where}: field is empty and the column has no "
                                       f"default (its record_defaults entry is a dtype, so "
                                       f"it is required).")
        return default
    try:
        if dtype is dtypes.string:
            return np.array(value.encode(), dtype=object)
        if dtype.is_integer:
            return np.array(int(value), dtype.as_numpy_dtype)
        return np.array(float(value), dtype.as_numpy_dtype)
    except ValueError:
        raise InvalidArgumentError(f"{where}: field {value!r} cannot be parsed as "
                                   f"{dtype.name}.") from None


def _defaults(record_defaults):
    out = []
    for d in record_defaults:
        if isinstance(d, dtypes.DType) or (isinstance(d, str) and d in (
                "float32", "float64", "int32", "int64", "string")):
            out.append((dtypes.as_dtype(d), None))
            continue
        arr = structure.leaf_to_numpy(d)
        if arr.size == 0:
            raise ValueError("CsvDataset: an empty default needs a dtype; pass the dtype "
                             "itself to make the column required.")
        arr = arr.reshape(-1)[0:1].reshape(())
        out.append((dtypes.from_numpy(arr.dtype), arr))
    return out


class CsvDataset(Dataset):
    """Rows of CSV files as tuples of scalars, one per selected column.

    ``record_defaults`` gives each column's dtype through a default value (used for empty
    fields) or a dtype (the field is then required)."""

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):
        from ember.data.readers import _filenames
        self._files = _filenames(filenames, "CsvDataset")
        self._defaults = _defaults(record_defaults)
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("CsvDataset: pass at most one of select_cols and exclude_cols.")
        if select_cols is not None:
            select_cols = sorted(int(c) for c in select_cols)
            if len(select_cols) != len(self._defaults):
                raise ValueError(f"CsvDataset: {len(select_cols)} select_cols but "
                                 f"{len(self._defaults)} record_defaults.")
        self._select, self._exclude = select_cols, \
            None if exclude_cols is None else set(int(c) for c in exclude_cols)
        self._opts = (compression_type, field_delim, use_quote_delim, bool(header))
        self._na = na_value

    def _inputs(self):
        return [self._files]

    @property
    def element_spec(self):
        return tuple(TensorSpec([], d) for d, _ in self._defaults)

    def _iter(self):
        from ember.data.readers import _name
        comp, delim, quote, header = self._opts
        for f in self._files._iter():
            path = _name(f)
            for n, row in _rows(path, comp, delim, quote, header):
                if self._select is not None:
                    if max(self._select) >= len(row):
                        raise InvalidArgumentError(f"CsvDataset: {path} line {n + 1} has "
                                                   f"{len(row)} fields; select_cols needs "
                                                   f"column {max(self._select)}.")
                    row = [row[c] for c in self._select]
                elif self._exclude is not None:
                    row = [v for c, v in enumerate(row) if c not in self._exclude]
                if len(row) != len(self._defaults):
                    raise InvalidArgumentError(f"CsvDataset: {path} line {n + 1} has "
                                               f"{len(row)} fields, expected "
                                               f"{len(self._defaults)}.")
                yield tuple(_parse(v, d, default, self._na, f"CsvDataset: {path} line "
                                                            f"{n + 1} column {c}")
                            for c, (v, (d, default)) in enumerate(zip(row, self._defaults)))


def _infer_dtype(values, na_value):
    kind = dtypes.int32
    for v in values:
        if v == na_value or v == "":
            continue
        try:
            i = int(v)
            if kind in (dtypes.int32, dtypes.int64) and not -2 ** 31 <= i < 2 ** 31:
                kind = dtypes.int64
            continue
        except ValueError:
            pass
        try:
            float(v)
            if kind is not dtypes.string:
                kind = dtypes.float32
            continue
        except ValueError:
            return dtypes.string
    return kind


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Batches of ``(OrderedDict of column -> tensor, label)`` (features only when
    ``label_name`` is None) from CSV files; column dtypes inferred from the first rows
    unless ``column_defaults`` are given."""
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = sorted({f for p in patterns for f in glob.glob(
        p.decode() if isinstance(p, bytes) else p)})
    if not files:
        raise ValueError(f"make_csv_dataset: no files match {file_pattern!r}.")
    first = [row for _, row in zip(range(num_rows_for_inference + 1),
                                   (r for _, r in _rows(files[0], compression_type,
                                                        field_delim, use_quote_delim, False,
                                                        encoding)))]
    if column_names is None:
        if not header:
            raise ValueError("make_csv_dataset: pass `column_names` when the files have no "
                             "header.")
        column_names = first[0]
    column_names = list(column_names)
    data_rows = first[1:] if header else first
    if select_columns is not None:
        idx = [column_names.index(c) if isinstance(c, str) else int(c)
               for c in select_columns]
        idx = sorted(idx)
    else:
        idx = list(range(len(column_names)))
    names = [column_names[i] for i in idx]
    if label_name is not None and label_name not in names:
        raise ValueError(f"make_csv_dataset: label_name {label_name!r} is not one of the "
                         f"columns {names}.")
    if column_defaults is None:
        column_defaults = [_infer_dtype([r[i] for r in data_rows if i < len(r)], na_value)
                           for i in idx]
        column_defaults = [d if d is dtypes.string else np.zeros((), d.as_numpy_dtype)
                           for d in column_defaults]
        column_defaults = [np.array(b"", dtype=object) if isinstance(d, dtypes.DType) else d
                           for d in column_defaults]
    ds = CsvDataset(files, column_defaults, compression_type, None, header, field_delim,
                    use_quote_delim, na_value, select_cols=idx)
    if ignore_errors:
        ds = ds.ignore_errors()
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)

    def to_dict(*values):
        features = collections.OrderedDict(zip(names, values))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label
    ds = ds.batch(batch_size).map(to_dict)
    return ds.prefetch(prefetch_buffer_size or -1)
