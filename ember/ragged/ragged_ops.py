"""tf.ragged functions: ranges, stacking, masks, segment ids, elementwise maps, and
``RaggedTensorSpec``. All use ember's public ops on the ragged tensors' components."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor import convert_to_tensor
from ember.framework.tensor_shape import TensorShape
from ember.ragged.ragged_tensor import RaggedTensor, _ops

__all__ = ["RaggedTensorSpec", "map_flat_values", "range", "stack", "boolean_mask",
           "row_splits_to_segment_ids", "segment_ids_to_row_splits"]


class RaggedTensorSpec:
    """Shape, dtype and ragged rank of a RaggedTensor (as ``tf.RaggedTensorSpec``)."""

    def __init__(self, shape=None, dtype=dtypes.float32, ragged_rank=None,
                 row_splits_dtype=dtypes.int64, flat_values_spec=None):
        self.shape = TensorShape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        rank = self.shape.rank
        if ragged_rank is None:
            if rank is None:
                raise ValueError("RaggedTensorSpec: give ragged_rank when the shape's rank is "
                                 "unknown")
            ragged_rank = rank - 1
        if rank is not None and not 0 < ragged_rank < max(rank, 1):
            raise ValueError(f"RaggedTensorSpec: ragged_rank must be in [1, {rank}), got "
                             f"{ragged_rank}")
        self.ragged_rank = ragged_rank
        self.row_splits_dtype = dtypes.as_dtype(row_splits_dtype)
        self.flat_values_spec = flat_values_spec

    @classmethod
    def from_value(cls, value):
        return cls(value.shape, value.dtype, value.ragged_rank)

    def is_compatible_with(self, other):
        if isinstance(other, RaggedTensor):
            other = RaggedTensorSpec.from_value(other)
        return isinstance(other, RaggedTensorSpec) and other.dtype is self.dtype and \
            other.ragged_rank == self.ragged_rank and \
            self.shape.is_compatible_with(other.shape)

    def __eq__(self, other):
        return isinstance(other, RaggedTensorSpec) and self.shape == other.shape and \
            self.dtype is other.dtype and self.ragged_rank == other.ragged_rank

    def __hash__(self):
        return hash((tuple(self.shape.as_list()) if self.shape.rank is not None else None,
                     self.dtype, self.ragged_rank))

    def __repr__(self):
        return (f"RaggedTensorSpec({self.shape!r}, ember.{self.dtype.name}, "
                f"{self.ragged_rank}, ember.{self.row_splits_dtype.name})")


def map_flat_values(op, *args, **kwargs):
    """``op`` applied to the flat values of the RaggedTensor arguments (which must share
    their row partitions); the result keeps those rows.

    >>> rt = ember.ragged.constant([[1, 2], [3]])
    >>> ember.ragged.map_flat_values(ember.square, rt).to_list()
    [[1, 4], [9]]
    """
    ragged = [a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)]
    if not ragged:
        return op(*args, **kwargs)

    def flat(a):
        return a.flat_values if isinstance(a, RaggedTensor) else a
    out = op(*[flat(a) for a in args], **{k: flat(v) for k, v in kwargs.items()})
    return ragged[0].with_flat_values(out)


def range(starts, limits=None, deltas=1, dtype=None, name=None,  # noqa: A001
          row_splits_dtype=dtypes.int64):
    """Row i is ``range(starts[i], limits[i], deltas[i])`` (scalars broadcast).

    >>> ember.ragged.range([1, 3], [4, 5]).to_list()
    [[1, 2, 3], [3, 4]]
    """
    tf = _ops()
    if limits is None:
        starts, limits = 0, starts
    s, lim, d = (convert_to_tensor(v, dtype=dtype) if dtype is not None else
                 convert_to_tensor(v) for v in (starts, limits, deltas))
    out_dtype = s.dtype
    s, lim, d = (tf.cast(v, out_dtype) for v in (s, lim, d))
    s, lim, d = (tf.reshape(v, [-1]) if v.shape.rank == 0 else v for v in (s, lim, d))
    n = tf.reduce_max(tf.stack([tf.size(s), tf.size(lim), tf.size(d)]))
    s, lim, d = (tf.broadcast_to(v, tf.reshape(n, [1])) for v in (s, lim, d))
    if out_dtype.is_integer:
        counts = tf.maximum((lim - s + d - tf.sign(d)) // d, 0)
    else:
        counts = tf.maximum(tf.cast(tf.math.ceil((lim - s) / d), tf.int64), 0)
    counts = tf.cast(counts, dtypes.int64)
    rows = tf.repeat(tf.range(n, dtype=dtypes.int64), counts)
    splits = tf.concat([tf.zeros([1], dtypes.int64), tf.cumsum(counts)], 0)
    pos = tf.range(tf.size(rows, out_type=dtypes.int64), dtype=dtypes.int64) - \
        tf.gather(splits, rows)
    values = tf.gather(s, rows) + tf.cast(pos, out_dtype) * tf.gather(d, rows)
    return RaggedTensor.from_row_splits(values, splits, validate=False)


def _as_ragged(value):
    if isinstance(value, RaggedTensor):
        return value
    t = convert_to_tensor(value)
    if t.shape.rank is None or t.shape.rank < 2:
        raise ValueError(f"ragged.stack: every value must be ragged or of rank >= 2 (rows of "
                         f"a ragged result), got shape {t.shape}")
    return RaggedTensor.from_tensor(t)


def stack(values, axis=0, name=None):
    """Stacks RaggedTensors (or dense tensors of rank >= 2) along a new first axis.

    >>> ember.ragged.stack([ember.ragged.constant([[1, 2], [3]]),
    ...                     ember.ragged.constant([[4]])]).to_list()
    [[[1, 2], [3]], [[4]]]
    """
    if axis != 0:
        raise NotImplementedError("ragged.stack: only axis=0 is supported so far")
    tf = _ops()
    parts = [_as_ragged(v) for v in values]
    if not parts:
        raise ValueError("ragged.stack: values must not be empty")
    if len({p.ragged_rank for p in parts}) != 1:
        raise ValueError("ragged.stack: the values must have the same ragged rank")
    return RaggedTensor.from_row_lengths(_concat_values(parts),
                                         tf.stack([p.nrows() for p in parts]), validate=False)


def _concat_values(values):
    """The rows of several tensors (or RaggedTensors of one ragged rank) one after another."""
    tf = _ops()
    if isinstance(values[0], RaggedTensor):
        splits, total = [], tf.constant(0, dtypes.int64)
        for v in values:
            splits.append(v.row_splits[:-1] + total)
            total = total + v.row_splits[-1]
        return RaggedTensor.from_row_splits(
            _concat_values([v.values for v in values]),
            tf.concat(splits + [tf.reshape(total, [1])], 0), validate=False)
    return tf.concat(values, 0)


def boolean_mask(data, mask, name=None):
    """Keeps the entries of ``data`` where ``mask`` is True; a 2-D mask over the first two
    dimensions gives a RaggedTensor of the kept entries of each row.

    >>> ember.ragged.boolean_mask([[1, 2], [3, 4]], [[True, False], [False, True]]).to_list()
    [[1], [4]]
    """
    tf = _ops()
    if isinstance(mask, RaggedTensor):
        if not isinstance(data, RaggedTensor):
            data = RaggedTensor.from_tensor(convert_to_tensor(data),
                                            lengths=mask.row_lengths())
        kept = tf.boolean_mask(data.flat_values, mask.flat_values)
        lengths = tf.math.unsorted_segment_sum(tf.cast(mask.flat_values, dtypes.int64),
                                               mask.value_rowids(), mask.nrows())
        return RaggedTensor.from_row_lengths(kept, lengths, validate=False)
    m = convert_to_tensor(mask, dtype=dtypes.bool)
    if m.shape.rank == 1:
        if isinstance(data, RaggedTensor):
            rows = tf.boolean_mask(tf.range(data.nrows(), dtype=dtypes.int64), m)
            return _gather_rows(data, rows)
        return tf.boolean_mask(data, m)
    if m.shape.rank != 2:
        raise NotImplementedError("ragged.boolean_mask: masks of rank 1 or 2 are supported")
    d = data.to_tensor() if isinstance(data, RaggedTensor) else convert_to_tensor(data)
    kept = tf.boolean_mask(d, m)
    lengths = tf.reduce_sum(tf.cast(m, dtypes.int64), axis=1)
    return RaggedTensor.from_row_lengths(kept, lengths, validate=False)


def _gather_rows(rt, rows):
    tf = _ops()
    lengths = tf.gather(rt.row_lengths(), rows)
    starts = tf.gather(rt.row_splits, rows)
    value_rows = tf.repeat(tf.range(tf.size(rows, out_type=dtypes.int64), dtype=dtypes.int64),
                           lengths)
    new_splits = tf.concat([tf.zeros([1], dtypes.int64), tf.cumsum(lengths)], 0)
    idx = tf.gather(starts, value_rows) + tf.range(tf.size(value_rows, out_type=dtypes.int64),
                                                   dtype=dtypes.int64) - \
        tf.gather(new_splits, value_rows)
    if isinstance(rt.values, RaggedTensor):
        return RaggedTensor.from_row_splits(_gather_rows(rt.values, idx), new_splits,
                                            validate=False)
    return RaggedTensor.from_row_splits(tf.gather(rt.values, idx), new_splits, validate=False)


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row of each value, from row splits.

    >>> ember.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy().tolist()
    [0, 0, 2]
    """
    rt = RaggedTensor.from_row_splits(np.zeros(0), splits, validate=False)
    ids = rt.value_rowids()
    return _ops().cast(ids, out_type or dtypes.int64)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """Row splits from sorted segment ids.

    >>> ember.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy().tolist()
    [0, 2, 2, 3]
    """
    tf = _ops()
    ids = tf.cast(convert_to_tensor(segment_ids), dtypes.int32)
    if num_segments is None:
        num_segments = tf.cond(tf.size(ids) > 0, lambda: tf.reduce_max(ids) + 1,
                               lambda: tf.constant(0, dtypes.int32)) \
            if not hasattr(ids, "numpy") else (int(ids.numpy().max()) + 1
                                              if ids.numpy().size else 0)
    counts = tf.math.bincount(ids, minlength=num_segments, maxlength=num_segments,
                              dtype=dtypes.int64)
    return tf.cast(tf.concat([tf.zeros([1], dtypes.int64), tf.cumsum(counts)], 0),
                   out_type or dtypes.int64)
