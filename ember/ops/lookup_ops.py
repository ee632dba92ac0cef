"""Static table lookup (what ``tf.lookup.StaticHashTable.lookup`` computes): each key of
``x`` found in a table's sorted keys gives its value, any other key ``default``.

The table is two tensors, its keys sorted (integers, or strings as object arrays of bytes)
and the values in the same order, so one table serves eager calls, traced graphs and
compiled plans alike. A binary search (``numpy.searchsorted``) finds every integer key at
once; string keys go through a dict of the table."""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.ops._base import tensor

__all__ = ["sorted_table", "table_lookup"]


class _TableLookup(Op):
    name = "StaticTableLookup"
    differentiable = False
    strings = True

    def infer(self, inputs, default):
        x, keys, values = inputs
        if x.dtype != keys.dtype:
            raise InvalidArgumentError(f"StaticTableLookup: keys must be {keys.dtype.name} "
                                       f"as the table's, got {x.dtype.name} "
                                       f"[Op:StaticTableLookup]")
        if keys.shape.rank not in (None, 1) or values.shape.rank not in (None, 1):
            raise InvalidArgumentError("StaticTableLookup: the table's keys and values must "
                                       "be vectors [Op:StaticTableLookup]")
        return x.shape, values.dtype

    def kernel(self, xp, x, keys, values, default):
        if not len(keys):
            return np.full(x.shape, default, dtype=values.dtype)
        if keys.dtype == object:     # strings: a dict beats Python comparisons in a search
            table = dict(zip(keys.tolist(), values.tolist()))
            found = [table.get(k, default) for k in x.reshape(-1).tolist()]
            if values.dtype == object:
                out = np.empty(len(found), dtype=object)
                out[:] = found
                return out.reshape(x.shape)
            return np.array(found, dtype=values.dtype).reshape(x.shape)
        pos = np.minimum(np.searchsorted(keys, x), len(keys) - 1)
        found = np.asarray(keys[pos] == x, dtype=bool)
        out = np.where(found, values[pos], default)
        return out.astype(values.dtype, copy=False)


TABLE_LOOKUP = _TableLookup()


def sorted_table(keys, values):
    """NumPy (keys, values) sorted by key, as ``table_lookup`` takes them."""
    keys, values = np.asarray(keys), np.asarray(values)
    if keys.dtype.kind in "US":
        keys = _bytes_array(keys)
    if values.dtype.kind in "US":
        values = _bytes_array(values)
    order = np.argsort(keys, kind="stable")
    return keys[order], values[order]


def _bytes_array(a):
    out = np.empty(a.shape, dtype=object)
    out[...] = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in a.tolist()]
    return out


def table_lookup(x, keys, values, default, name=None):
    """The value of each element of ``x`` in the table ``(keys, values)`` (keys sorted, as
    ``sorted_table`` gives them), ``default`` where the key is absent."""
    keys, values = tensor(keys), tensor(values)
    if values.dtype == dtypes.string:
        default = default.encode("utf-8") if isinstance(default, str) else bytes(default)
    else:
        default = values.dtype.np.type(default).item()
    return execute(TABLE_LOOKUP, (tensor(x), keys, values), {"default": default}, name)
