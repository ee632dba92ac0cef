"""``tf.io.decode_csv``: CSV records (a string tensor of any shape) -> one tensor per
column, each of the records' shape."""
from __future__ import annotations

import csv

import numpy as np

from ember.framework.errors import InvalidArgumentError

__all__ = ["decode_csv"]


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """Parses each record with the column dtypes/defaults of ``record_defaults`` (a value
    gives the column's dtype and its default for empty fields; an empty list or a dtype
    makes the field required)."""
    from ember.data.csv_dataset import _defaults, _parse
    from ember.framework import dtypes
    from ember.framework.tensor import EagerTensor
    arr = np.asarray(records.numpy() if hasattr(records, "numpy") else records, dtype=object)
    defaults = []
    for d in record_defaults:
        if isinstance(d, (list, tuple)) and len(d) == 0:
            raise ValueError("decode_csv: give an empty column's dtype with "
                             "tf.constant([], dtype) or the dtype itself.")
        if hasattr(d, "numpy") and np.size(d.numpy()) == 0:
            defaults.append(d.dtype)
        else:
            defaults.append(d)
    columns = _defaults(defaults)
    if select_cols is not None:
        select_cols = sorted(int(c) for c in select_cols)
        if len(select_cols) != len(columns):
            raise ValueError(f"decode_csv: {len(select_cols)} select_cols but "
                             f"{len(columns)} record_defaults.")
    out = [np.empty(arr.shape, dtype=object) for _ in columns]
    flat = arr.reshape(-1)
    for i, rec in enumerate(flat):
        text = rec.decode() if isinstance(rec, bytes) else str(rec)
        row = next(csv.reader([text], delimiter=field_delim,
                              quoting=csv.QUOTE_MINIMAL if use_quote_delim else
                              csv.QUOTE_NONE), [""])
        if select_cols is not None:
            if max(select_cols) >= len(row):
                raise InvalidArgumentError(f"decode_csv: record {i} has {len(row)} fields; "
                                           f"select_cols needs column {max(select_cols)}.")
            row = [row[c] for c in select_cols]
        if len(row) != len(columns):
            raise InvalidArgumentError(f"Expect {len(columns)} fields but have {len(row)} "
                                       f"in record {i}")
        for c, (value, (dtype, default)) in enumerate(zip(row, columns)):
            out[c].reshape(-1)[i] = _parse(value, dtype, default, na_value,
                                           f"decode_csv: record {i} column {c}")
    result = []
    for col, (dtype, _) in zip(out, columns):
        if dtype is dtypes.string:
            values = np.empty(arr.shape, dtype=object)
            values.reshape(-1)[:] = [v[()] for v in col.reshape(-1)]
        else:
            values = np.array([v[()] for v in col.reshape(-1)],
                              dtype=dtype.as_numpy_dtype).reshape(arr.shape)
        result.append(EagerTensor(values))
    return result
