"""Feature crosses: ``tf.sparse.cross``/``cross_hashed`` and ``tf.ragged.cross``/
``cross_hashed``.

For each row, every combination of one feature from each input (the last input varying
fastest) is joined with a separator ("_X_"), or hashed as TensorFlow hashes it: starting
from ``hash_key``, each feature's hash (FarmHash Fingerprint64 of a string, the value of
an int64) is folded in with FingerprintCat64, then taken modulo ``num_buckets`` (or the
largest int64). tf.sparse puts SparseTensor inputs before dense ones, as TensorFlow does;
tf.ragged keeps the inputs' order.
"""
from __future__ import annotations

import itertools

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops._base import tensor
from ember.ops.sparse_ops import SparseTensor
from ember.ops.string_hash import fingerprint64

__all__ = ["cross_parts", "sparse_cross", "sparse_cross_hashed"]

_MUL = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1
DEFAULT_HASH_KEY = 0xDECAFCAFFE


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TensorFlow's FingerprintCat64: combines two 64-bit fingerprints."""
    result = (fp1 ^ _MUL) & _MASK
    result ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    result = (result * _MUL) & _MASK
    result = (_shift_mix(result) * _MUL) & _MASK
    return _shift_mix(result)


def _as_text(v):
    if isinstance(v, bytes):
        return v
    return str(int(v)).encode()


def _feature_hash(v):
    if isinstance(v, bytes):
        return int(fingerprint64(np.array([v], dtype=object))[0])
    return int(v) & _MASK


class _Cross(Op):
    """Inputs: for each feature column, (row_ids, values) of its features; then the
    batch size. Outputs: indices [n, 2] int64, values [n], dense_shape [2] int64."""

    name = "FeatureCross"
    num_outputs = 3
    differentiable = False
    data_dependent_shape = True
    strings = True

    def infer(self, inputs, hashed, num_buckets, hash_key, separator):
        out = dtypes.int64 if hashed else dtypes.string
        for spec in inputs[1:-1:2]:
            if spec.dtype not in (dtypes.string, dtypes.int64):
                raise InvalidArgumentError(f"{self.name}: features must be string or int64, "
                                           f"got {spec.dtype.name}")
        return [(TensorShape([None, 2]), dtypes.int64), (TensorShape([None]), out),
                (TensorShape([2]), dtypes.int64)]

    def kernel(self, xp, *arrays, hashed, num_buckets, hash_key, separator):
        batch = int(arrays[-1])
        columns = []
        for rows, values in zip(arrays[:-1:2], arrays[1:-1:2]):
            per_row = [[] for _ in range(batch)]
            for r, v in zip(rows.tolist(), values.tolist()):
                if not 0 <= r < batch:
                    raise InvalidArgumentError(f"{self.name}: a feature's row {r} is outside "
                                               f"the batch [0, {batch})")
                per_row[r].append(v)
            columns.append(per_row)
        indices, values = [], []
        sep = separator.encode()
        width = 0
        for b in range(batch):
            combos = list(itertools.product(*[col[b] for col in columns]))
            width = max(width, len(combos))
            for k, combo in enumerate(combos):
                indices.append((b, k))
                if hashed:
                    h = hash_key
                    for v in combo:
                        h = fingerprint_cat64(h, _feature_hash(v))
                    values.append(h % num_buckets if num_buckets > 0 else h % (2 ** 63 - 1))
                else:
                    values.append(sep.join(_as_text(v) for v in combo))
        idx = np.asarray(indices, np.int64).reshape(-1, 2)
        vals = np.asarray(values, np.int64) if hashed else np.asarray(values + [b""],
                                                                        dtype=object)[:-1]
        return idx, vals, np.asarray([batch, width], np.int64)


CROSS = _Cross()


def _column(x, fn):
    """(row_ids, values, batch) of one input: SparseTensor, RaggedTensor or dense [B, k]."""
    from ember.ops import array_ops
    if isinstance(x, SparseTensor):
        return (x.indices[:, 0], x.values, x.dense_shape[0])
    if hasattr(x, "row_splits") and hasattr(x, "flat_values"):
        if getattr(x, "ragged_rank", 1) != 1:
            raise ValueError(f"{fn}: ragged inputs must have ragged_rank 1")
        return (x.value_rowids(), x.flat_values, x.nrows())
    t = tensor(x)
    if t.shape.rank != 2:
        raise ValueError(f"{fn}: dense inputs must be 2-D [batch, features], got {t.shape}")
    shape = array_ops.shape(t, out_type=dtypes.int64)
    reps = array_ops.stack([tensor(1, dtype=dtypes.int64), shape[1]])
    rows = array_ops.reshape(array_ops.tile(array_ops.expand_dims(_range(shape[0]), 1), reps),
                             [-1])
    return rows, array_ops.reshape(t, [-1]), shape[0]


def _range(n):
    from ember.ops.creation_ops import range as range_
    return range_(n, dtype=dtypes.int64)


def cross_parts(inputs, fn, hashed, num_buckets, hash_key, separator, sparse_first):
    from ember.ops import math_ops
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError(f"{fn}: inputs must be a non-empty list")
    inputs = list(inputs)
    if sparse_first:
        inputs = [x for x in inputs if isinstance(x, SparseTensor)] + \
            [x for x in inputs if not isinstance(x, SparseTensor)]
    flat, batch = [], None
    for x in inputs:
        rows, values, n = _column(x, fn)
        if values.dtype not in (dtypes.string, dtypes.int64):
            values = math_ops.cast(values, dtypes.int64) if values.dtype.is_integer else values
        flat += [math_ops.cast(rows, dtypes.int64), values]
        batch = n if batch is None else batch
    if int(num_buckets) < 0:
        raise ValueError(f"{fn}: num_buckets must be >= 0, got {num_buckets}")
    attrs = {"hashed": hashed, "num_buckets": int(num_buckets),
             "hash_key": int(DEFAULT_HASH_KEY if hash_key is None else hash_key) & _MASK,
             "separator": "_X_" if separator is None else str(separator)}
    return execute(CROSS, tuple(flat) + (math_ops.cast(tensor(batch), dtypes.int64),), attrs)


def sparse_cross(inputs, name=None, separator=None):
    """The crosses of the features of ``inputs`` (SparseTensors and dense [batch, k]
    string/int64 tensors) as a SparseTensor of strings joined by ``separator`` ("_X_").

    >>> import ember as tf
    >>> tf.sparse.cross([tf.constant([["a"], ["b"]]), tf.constant([["x"], ["y"]])]).values.numpy()
    array([b'a_X_x', b'b_X_y'], dtype=object)
    """
    idx, vals, shape = cross_parts(inputs, "sparse.cross", False, 0, None, separator, True)
    return SparseTensor(idx, vals, shape)


def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The crosses of the features of ``inputs`` hashed as TensorFlow hashes them, as a
    SparseTensor of int64 (in [0, num_buckets) when num_buckets > 0)."""
    idx, vals, shape = cross_parts(inputs, "sparse.cross_hashed", True, num_buckets, hash_key,
                              None, True)
    return SparseTensor(idx, vals, shape)
