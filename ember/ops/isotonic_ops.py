"""``isotonic_regression``: the closest (least squares) monotone sequence, by pool
adjacent violators. The segment finding is an op without gradient; the output is each
segment's mean, a composite, so the gradient flows through the means."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.ops import array_ops, creation_ops, math_ops
from ember.ops._base import FLOATS, check_dtype, tensor

__all__ = ["isotonic_regression"]


def _pav_segments(row):
    """Segment ids (0, 1, ...) of the non-increasing least-squares fit of ``row``."""
    sums, counts, starts = [], [], []
    for i, v in enumerate(row.tolist()):
        sums.append(v)
        counts.append(1)
        starts.append(i)
        while len(sums) > 1 and sums[-2] / counts[-2] <= sums[-1] / counts[-1]:
            s, c = sums.pop(), counts.pop()
            starts.pop()
            sums[-1] += s
            counts[-1] += c
    seg = np.zeros(len(row), np.int32)
    for k, start in enumerate(starts):
        seg[start:] = k
    return seg


class _IsotonicSegments(Op):
    name = "IsotonicRegressionSegments"
    differentiable = False

    def infer(self, inputs):
        (x,) = inputs
        check_dtype(self.name, x.dtype, FLOATS)
        return x.shape, dtypes.int32

    def kernel(self, xp, x):
        flat = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        if np.isnan(flat).any():
            raise InvalidArgumentError(f"{self.name}: inputs must not contain NaN")
        out = np.stack([_pav_segments(r.astype(np.float64)) for r in flat]) if flat.size \
            else np.zeros(flat.shape, np.int32)
        return out.reshape(x.shape)


ISOTONIC_SEGMENTS = _IsotonicSegments()


def isotonic_regression(inputs, decreasing=True, axis=-1):
    """``(output, segments)``: along ``axis``, the non-increasing (``decreasing``) or
    non-decreasing sequence closest to ``inputs`` in squared error, and the int32 id of
    the block of equal values each entry falls in.

    >>> y, s = ember.nn.isotonic_regression([[1.0, 3.0, 2.0]], decreasing=False)
    >>> y.numpy(), s.numpy()
    (array([[1. , 2.5, 2.5]], dtype=float32), array([[0, 1, 1]], dtype=int32))
    """
    x = tensor(inputs)
    if not x.dtype.is_floating:
        x = math_ops.cast(x, dtypes.float32)
    rank = x.shape.rank
    if rank is None:
        raise ValueError("isotonic_regression: the input's rank must be known")
    axis = axis % max(rank, 1)
    if axis != rank - 1:
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        y, seg = isotonic_regression(array_ops.transpose(x, perm), decreasing, -1)
        return array_ops.transpose(y, perm), array_ops.transpose(seg, perm)
    work = x if decreasing else math_ops.negative(x)
    seg = execute(ISOTONIC_SEGMENTS, (array_ops.stop_gradient(work),), {})
    n = array_ops.shape(x)[-1]
    rows = array_ops.reshape(seg, [-1, n])
    offsets = array_ops.expand_dims(creation_ops.range(array_ops.shape(rows)[0]), 1) * n
    ids = array_ops.reshape(rows + offsets, [-1])
    flat = array_ops.reshape(x, [-1])
    count = array_ops.size(flat)
    means = math_ops.unsorted_segment_sum(flat, ids, count) / math_ops.maximum(
        math_ops.unsorted_segment_sum(array_ops.ones_like(flat), ids, count), 1.0)
    out = array_ops.reshape(array_ops.gather(means, ids), array_ops.shape(x))
    return out, seg
