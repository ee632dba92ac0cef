"""Training-mode batch norm kernels: two passes each way over (P, C) rows in cache-sized
blocks shared out across ember's threads (``fastpath.ChannelBlocks``).

The op definitions (FusedBatchNormV3, FusedBatchNormGradV3 and their fused forms) are in
ember/ops/normalization_ops.py; these are the kernels they run.
"""
from __future__ import annotations

import numpy as np

from ember.runtime import tuning
from ember.runtime.fastpath import ChannelBlocks, combine_moments, moments, raw_sums_fit

__all__ = ["backward_kernel", "batch_norm_backward", "batch_norm_forward", "channels_last",
           "forward_kernel"]


def batch_norm_forward(x2, scale, offset, epsilon, relu=False):
    """Training-mode batch norm of a C-contiguous (P, C) array: (y, mean, biased variance);
    with ``relu``, y is max(y, 0).

    Two passes over x in cache-sized blocks shared out across threads: one for the
    statistics, one for y. Each block's statistics come from raw sums of x and x * x in
    float32, or, where those would lose precision to a large mean (``raw_sums_fit``), from
    the block's ``moments`` around one of its values (``_checked_sums``); the blocks are
    joined in float64 (``combine_moments``)."""
    p, c = x2.shape
    dt = x2.dtype
    blocks = ChannelBlocks(p, c, x2.itemsize)

    def block_sums(r0, r1):
        b = blocks.view(x2, r0, r1)
        return blocks.sum_rows(b), blocks.dot_rows(b, b)

    parts = _checked_sums(blocks, blocks.run(block_sums), x2) if p else []
    if parts and all(len(q) == 3 for q in parts):
        # every block kept its precision in raw sums: the batch's are their sum (the
        # same as Chan's formula over the blocks, in a few NumPy calls)
        s, sq = np.sum([q[1:] for q in parts], axis=0) if len(parts) > 1 else parts[0][1:]
        mean = s / p
        var = np.maximum(sq / p - mean * mean, 0.0)
    else:
        mean, var = combine_moments([q if len(q) == 4 else
                                     (q[0], np.zeros(c), q[1] / q[0], q[2] - q[1] * q[1] / q[0])
                                     for q in parts], c)
    mul = scale / np.sqrt(var + epsilon)
    # y = x * mul + (offset - mean * mul): the same rounding as (x - mean) * mul + offset
    # with mean in float32, one pass fewer
    mul_t, add_t = blocks.tiles((mul, offset - mean * mul), dt)
    y = np.empty_like(x2)

    def normalize(r0, r1):
        b, yb = blocks.view(x2, r0, r1), blocks.view(y, r0, r1)
        np.multiply(b, blocks.vec(mul_t, b), out=yb)
        np.add(yb, blocks.vec(add_t, b), out=yb)
        if relu:
            np.maximum(yb, 0, out=yb)

    blocks.run(normalize)
    return y, mean.astype(dt), var.astype(dt)


def _checked_sums(blocks, sums, x2):
    """``batch_norm_forward``'s per-block parts from the blocks' raw column sums: (n, sum,
    sum of squares) per channel in float64 where those keep the statistics precise
    (``raw_sums_fit``), else the block's ``moments``, taken in a second pass over it. The
    check runs once over all blocks after the threads' pass, so the pass itself is two
    NumPy calls per block and nothing else (-0.25 ms over the MiniVGG step's four batch
    norms: the threads meet at the GIL less)."""
    ranges = blocks.blocks()
    parts = []
    for (r0, r1), (s, sq) in zip(ranges, sums):
        s, sq = blocks.per_channel(s), blocks.per_channel(sq)
        parts.append((r1 - r0, s, sq))
    n = np.array([q[0] for q in parts], np.float64)[:, None]
    s = np.array([q[1] for q in parts])
    m = s / n
    var = np.maximum(np.array([q[2] for q in parts]) / n - m * m, 0.0)
    fit = np.all(m * m <= tuning.RAW_SPREAD * var, axis=1)
    return [q if ok else moments(x2[r0:r1]) for q, ok, (r0, r1) in zip(parts, fit, ranges)]


def batch_norm_backward(g2, x2, scale, mean, var, epsilon, features=None, with_sum=False,
                        into=False):
    """Gradients (dx, dscale, doffset) of training-mode batch norm of a (P, C) array, given
    dy; two passes like batch_norm_forward:

    dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat = (x - mean) * inv,
    k = scale * inv, inv = 1 / sqrt(var + epsilon).

    ``features`` (P, C): dy is first masked where features <= 0 (the gradient of a ReLU
    that followed the batch norm). ``with_sum`` adds a fourth result: dx summed over rows
    (the gradient of a bias added before the batch norm). ``into``: dx may be written over
    g2 (each pass reads a block's dy before writing its dx there)."""
    p, c = x2.shape
    dt = x2.dtype
    blocks = ChannelBlocks(p, c, x2.itemsize)
    # sum(dy * (x - mean)) as sum(dy * x) - mean * sum(dy) where that keeps its precision
    mean64, var64 = mean.astype(np.float64), var.astype(np.float64)
    raw = raw_sums_fit(mean64, var64)
    mean_t = None if raw else blocks.tiles((mean,), dt)[0]
    if into and g2.dtype == x2.dtype and g2.flags.c_contiguous and g2.flags.writeable:
        dx = g2
    else:
        dx = np.empty_like(x2)
    source = g2 if features is None else dx      # the masked dy is kept in dx's buffer

    def stats(r0, r1):
        b, gb = blocks.view(x2, r0, r1), blocks.view(g2, r0, r1)
        if features is not None:
            db = blocks.view(dx, r0, r1)
            np.multiply(gb, np.greater(blocks.view(features, r0, r1), 0), out=db)
            gb = db
        t = b if raw else np.subtract(b, blocks.vec(mean_t, b))
        return blocks.sum_rows(gb), blocks.dot_rows(t, gb)

    parts = blocks.run(stats)
    sum_g, sum_gxc = blocks.totals(parts, 2)
    if raw:
        sum_gxc = sum_gxc - mean64 * sum_g
    inv = 1.0 / np.sqrt(var64 + epsilon)
    n = max(p, 1)
    k = scale * inv
    sum_gxhat = sum_gxc * inv
    c1 = k * inv * sum_gxhat / n
    c2 = k * sum_g / n
    # dx = k * dy - c1 * (x - mean) - c2 = k * dy - c1 * (x - m2), m2 = mean - c2 / c1
    safe = np.abs(c2) < np.abs(c1) * 1e20                    # m2 stays a finite float32
    m2 = np.where(safe, mean - c2 / np.where(safe, c1, 1.0), 0.0)
    everywhere = bool(safe.all())
    tiled = blocks.tiles((k, c1, m2) if everywhere else (k, c1, m2, np.where(safe, 0.0, c2)), dt)
    k_t, c1_t, m2_t = tiled[:3]
    c2_t = None if everywhere else tiled[3]

    def backward(r0, r1):
        b, gb, db = (blocks.view(a, r0, r1) for a in (x2, source, dx))
        kv, m2v, c1v = blocks.vec(k_t, b), blocks.vec(m2_t, b), blocks.vec(c1_t, b)
        inner = tuning.BN_BACKWARD_INNER_BYTES
        step = max(1, inner // (b.shape[-1] * b.itemsize)) \
            if inner and b.nbytes > 2 * inner else len(b)
        t = None
        for i in range(0, len(b), step):
            bi, gi, di = b[i:i + step], gb[i:i + step], db[i:i + step]
            np.multiply(gi, kv, out=di)
            t = np.subtract(bi, m2v, out=None if t is None or len(t) != len(bi) else t)
            np.multiply(t, c1v, out=t)
            np.subtract(di, t, out=di)
            if c2_t is not None:
                np.subtract(di, blocks.vec(c2_t, b), out=di)

    blocks.run(backward)
    out = dx, sum_gxhat.astype(dt), sum_g.astype(dt)
    if with_sum:
        # the sum of dx over rows, from the same sums: k * sum(dy) - c1 * sum(x - mean) - n * c2,
        # where sum(x - mean) is 0 (mean is x's mean) and n * c2 = k * sum(dy): zero up to
        # rounding, as the gradient of a bias before a batch norm is
        out += ((k * sum_g - n * c2).astype(dt),)
    return out


def forward_kernel(x, scale, offset, epsilon, axis, relu):
    """FusedBatchNormV3's (and with ``relu`` _FusedBatchNormRelu's) outputs in x's layout
    and dtypes."""
    w, restore = channels_last(x, axis)
    c = w.shape[-1]
    y, mean, var = batch_norm_forward(w.reshape(-1, c), scale.astype(w.dtype),
                                      offset.astype(w.dtype), epsilon, relu=relu)
    y = restore(y.reshape(w.shape)).astype(x.dtype, copy=False)
    return y, mean.astype(scale.dtype), var.astype(scale.dtype)


def backward_kernel(gy, x, scale, mean, var, features, epsilon, axis, with_sum,
                     into=False):
    """FusedBatchNormGradV3's (and _FusedBatchNormGradEx's) outputs in x's layout and
    dtypes: (dx, dscale, doffset[, the sum of dx per channel]). With ``into`` (the
    compiler found that no one reads dy afterwards) dx may be written over dy."""
    w, restore = channels_last(x, axis)
    c = w.shape[-1]
    g2 = channels_last(gy, axis)[0].reshape(-1, c).astype(w.dtype, copy=False)
    f2 = None if features is None else channels_last(features, axis)[0].reshape(-1, c)
    out = batch_norm_backward(g2, w.reshape(-1, c), scale.astype(w.dtype),
                              mean.astype(w.dtype), var.astype(w.dtype), epsilon,
                              features=f2, with_sum=with_sum, into=into)
    dx = restore(out[0].reshape(w.shape)).astype(x.dtype, copy=False)
    return (dx,) + tuple(v.astype(scale.dtype) for v in out[1:3]) + \
        tuple(v.astype(x.dtype) for v in out[3:])


def channels_last(x, axis):
    """x as a C-contiguous float32/float64 array with the channel axis last, and the function
    that puts an array of that layout back into x's."""
    w = x.astype(np.float32) if x.dtype.itemsize < 4 else x
    axis %= x.ndim
    if axis == x.ndim - 1:
        return np.ascontiguousarray(w), lambda a: a
    w = np.ascontiguousarray(np.moveaxis(w, axis, -1))
    return w, lambda a: np.ascontiguousarray(np.moveaxis(a, -1, axis))
