"""Segment reductions beyond sums: max, min, prod, mean and sqrt_n, sorted and unsorted,
and ``confusion_matrix`` (a segment count).

Sums are primitives of ``math_ops`` (``segment_sum``, ``unsorted_segment_sum``); max, min
and prod are one primitive here; the rest are composites.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import REAL, check_dtype, tensor
from ember.ops.math_ops import _gather_rows, _segment_ids_check

__all__ = [
    "confusion_matrix", "segment_max", "segment_mean", "segment_min", "segment_prod",
    "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
    "unsorted_segment_prod", "unsorted_segment_sqrt_n",
]

_UFUNCS = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}


def _identity(kind, dtype):
    if kind == "prod":
        return 1
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    if dtype.kind == "f":
        return -np.inf if kind == "max" else np.inf
    return info.min if kind == "max" else info.max


class _UnsortedSegmentReduce(Op):
    """Max, min or product of the slices of ``data`` sharing a segment id; absent segments
    hold the reduction's identity (lowest value, highest value, 1), as in TensorFlow."""

    name = "UnsortedSegmentReduce"

    def infer(self, inputs, kind):
        data, ids, num = inputs
        _segment_ids_check(self.name, data, ids)
        check_dtype(f"UnsortedSegment{kind.capitalize()}", data.dtype, REAL)
        rows = int(num.value) if num.value is not None else None
        if ids.shape.rank is None or data.shape.rank is None:
            return TensorShape(None), data.dtype
        return TensorShape([rows]).concatenate(data.shape[ids.shape.rank:]), data.dtype

    def kernel(self, xp, data, ids, num, kind):
        rows = int(num)
        op_name = f"UnsortedSegment{kind.capitalize()}"
        if rows < 0:
            raise InvalidArgumentError(f"{op_name}: num_segments must be >= 0, got {rows}")
        if data.shape[:ids.ndim] != ids.shape:
            raise InvalidArgumentError(
                f"{op_name}: data.shape = {list(data.shape)} does not start with "
                f"segment_ids.shape = {list(ids.shape)}")
        if ids.size and ids.max() >= rows:
            raise InvalidArgumentError(f"{op_name}: segment_ids value {int(ids.max())} is out "
                                       f"of range [0, {rows})")
        flat_ids = ids.reshape(-1)
        rest = data.shape[ids.ndim:]
        flat = data.reshape((flat_ids.size,) + rest)
        keep = flat_ids >= 0
        out = np.full((rows,) + rest, _identity(kind, data.dtype), dtype=data.dtype)
        _UFUNCS[kind].at(out, flat_ids[keep], flat[keep])
        return out

    def grad(self, call, g):
        data, ids, num = call.inputs
        out = call.outputs[0]
        kind = call.attrs["kind"]
        if kind == "prod":
            return _prod_grad(data, ids, num, out, g), None, None
        picked = math_ops.equal(data, _gather_rows(out, ids))
        count = math_ops.unsorted_segment_sum(math_ops.cast(picked, g.dtype), ids, num)
        share = _gather_rows(math_ops.divide_no_nan(g, count), ids)
        return array_ops.where(picked, share, array_ops.zeros_like(share)), None, None


UNSORTED_SEGMENT_REDUCE = _UnsortedSegmentReduce()


def _prod_grad(data, ids, num, out, g):
    """d prod / d x_i is the product of the segment's other entries (zeros handled)."""
    zero = math_ops.equal(data, array_ops.zeros_like(data))
    zeros = math_ops.unsorted_segment_sum(math_ops.cast(zero, data.dtype), ids, num)
    nonzero_prod = _unsorted(array_ops.where(zero, array_ops.ones_like(data), data), ids, num,
                             "prod")
    zeros_at = _gather_rows(zeros, ids)
    g_at = _gather_rows(g, ids)
    safe = array_ops.where(zero, array_ops.ones_like(data), data)
    no_zero = g_at * _gather_rows(out, ids) / safe
    one_zero = g_at * _gather_rows(nonzero_prod, ids)
    return array_ops.where(math_ops.equal(zeros_at, array_ops.zeros_like(zeros_at)), no_zero,
                           array_ops.where(math_ops.logical_and(
                               zero, math_ops.equal(zeros_at, array_ops.ones_like(zeros_at))),
                               one_zero, array_ops.zeros_like(one_zero)))


def _unsorted(data, ids, num, kind, name=None):
    return execute(UNSORTED_SEGMENT_REDUCE, (data, ids, num), {"kind": kind}, name)


def _args(fn_name, data, segment_ids, num_segments):
    data = tensor(data)
    ids = tensor(segment_ids)
    if not ids.dtype.is_integer:
        raise TypeError(f"{fn_name}: segment_ids must be int32 or int64, got {ids.dtype.name}")
    num = tensor(num_segments, dtype_hint=ids.dtype)
    if not num.dtype.is_integer:
        raise TypeError(f"{fn_name}: num_segments must be an integer, got {num.dtype.name}")
    return data, ids, num


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """The maximum of the slices of ``data`` sharing a segment id (ids in any order;
    negative ids dropped; absent segments hold the dtype's lowest value).

    >>> ember.math.unsorted_segment_max([1, 5, 3, 4], [0, 0, 1, 1], 2).numpy()
    array([5, 4], dtype=int32)
    """
    return _unsorted(*_args("unsorted_segment_max", data, segment_ids, num_segments), "max",
                     name)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """The minimum of the slices sharing a segment id (absent segments: the dtype's
    highest value)."""
    return _unsorted(*_args("unsorted_segment_min", data, segment_ids, num_segments), "min",
                     name)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """The product of the slices sharing a segment id (absent segments: 1)."""
    return _unsorted(*_args("unsorted_segment_prod", data, segment_ids, num_segments), "prod",
                     name)


def _counts(data, ids, num):
    ones = array_ops.ones_like(ids, dtype=data.dtype)
    count = math_ops.unsorted_segment_sum(ones, ids, num)
    extra = data.shape.rank - ids.shape.rank if data.shape.rank is not None else 0
    return array_ops.reshape(count, array_ops.concat(
        [array_ops.shape(count), array_ops.ones([extra], dtypes.int32)], 0)) if extra else count


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of the slices sharing a segment id (absent segments: 0).

    >>> ember.math.unsorted_segment_mean([1., 3., 5.], [0, 0, 1], 2).numpy()
    array([2., 5.], dtype=float32)
    """
    data, ids, num = _args("unsorted_segment_mean", data, segment_ids, num_segments)
    total = math_ops.unsorted_segment_sum(data, ids, num)
    return math_ops.divide(total, math_ops.maximum(_counts(data, ids, num), 1), name=name)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """The sum of the slices sharing a segment id divided by sqrt(their count)."""
    data, ids, num = _args("unsorted_segment_sqrt_n", data, segment_ids, num_segments)
    if not data.dtype.is_floating:
        raise TypeError(f"unsorted_segment_sqrt_n: data must be float, got {data.dtype.name}")
    total = math_ops.unsorted_segment_sum(data, ids, num)
    return math_ops.divide(total, math_ops.sqrt(math_ops.maximum(_counts(data, ids, num),
                                                                 1.0)), name=name)


def _sorted(fn_name, kind, data, segment_ids, name):
    """A sorted-segment reduction: ``segment_ids`` is a sorted vector; segments run up to
    the largest id, and empty ones hold 0 (1 for prod), as in TensorFlow."""
    data = tensor(data)
    ids = tensor(segment_ids)
    if not ids.dtype.is_integer:
        raise TypeError(f"{fn_name}: segment_ids must be int32 or int64, got {ids.dtype.name}")
    count = math_ops.segment_sum(array_ops.ones_like(ids, dtype=dtypes.int32), ids)
    num = array_ops.shape(count, out_type=ids.dtype)[0]
    if kind == "mean":
        return unsorted_segment_mean(data, ids, num, name=name)
    out = _unsorted(data, ids, num, kind)
    empty = math_ops.equal(count, 0)
    extra = data.shape.rank - 1 if data.shape.rank is not None else 0
    empty = array_ops.reshape(empty, array_ops.concat(
        [array_ops.shape(empty), array_ops.ones([extra], dtypes.int32)], 0)) if extra else empty
    fill = array_ops.ones_like(out) if kind == "prod" else array_ops.zeros_like(out)
    return array_ops.where(empty, fill, out, name=name)


def segment_max(data, segment_ids, name=None):
    """The maximum of each segment of rows (``segment_ids`` sorted; empty segments 0).

    >>> ember.math.segment_max([1, 5, 3, 4], [0, 0, 2, 2]).numpy()
    array([5, 0, 4], dtype=int32)
    """
    return _sorted("segment_max", "max", data, segment_ids, name)


def segment_min(data, segment_ids, name=None):
    """The minimum of each segment of rows (sorted ids; empty segments 0)."""
    return _sorted("segment_min", "min", data, segment_ids, name)


def segment_prod(data, segment_ids, name=None):
    """The product of each segment of rows (sorted ids; empty segments 1)."""
    return _sorted("segment_prod", "prod", data, segment_ids, name)


def segment_mean(data, segment_ids, name=None):
    """The mean of each segment of rows (sorted ids; empty segments 0)."""
    return _sorted("segment_mean", "mean", data, segment_ids, name)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32,
                     name=None):
    """The [num_classes, num_classes] matrix counting (label, prediction) pairs (rows are
    labels), weighted by ``weights`` when given.

    >>> ember.math.confusion_matrix([1, 2, 4], [2, 2, 4]).numpy()[2]
    array([0, 0, 1, 0, 0], dtype=int32)
    """
    dtype = dtypes.as_dtype(dtype)
    labels = math_ops.cast(array_ops.reshape(tensor(labels), [-1]), dtypes.int64)
    predictions = math_ops.cast(array_ops.reshape(tensor(predictions), [-1]), dtypes.int64)
    if labels.shape[0] is not None and predictions.shape[0] is not None and \
            labels.shape[0] != predictions.shape[0]:
        raise ValueError(f"confusion_matrix: labels and predictions must have one size, got "
                         f"{labels.shape[0]} and {predictions.shape[0]}")
    if num_classes is None:
        num_classes = math_ops.maximum(reduce_ops.reduce_max(labels),
                                       reduce_ops.reduce_max(predictions)) + 1
    num_classes = math_ops.cast(tensor(num_classes), dtypes.int64)
    from ember.ops.check_ops import assert_less, assert_non_negative
    from ember.ops.control_flow_ops import control_dependencies
    checks = [assert_non_negative(labels, message="confusion_matrix: labels must be >= 0"),
                   assert_non_negative(predictions,
                                       message="confusion_matrix: predictions must be >= 0"),
                   assert_less(labels, num_classes,
                               message="confusion_matrix: labels must be < num_classes"),
                   assert_less(predictions, num_classes,
                               message="confusion_matrix: predictions must be < num_classes")]
    with control_dependencies([c for c in checks if c is not None]):
        values = (array_ops.ones_like(labels, dtype=dtype) if weights is None
                  else math_ops.cast(array_ops.reshape(tensor(weights), [-1]), dtype))
        flat = labels * num_classes + predictions
        counts = math_ops.unsorted_segment_sum(values, flat, num_classes * num_classes)
    return array_ops.reshape(counts, array_ops.stack([num_classes, num_classes]), name=name)
