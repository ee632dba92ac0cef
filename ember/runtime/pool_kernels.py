"""Max pooling kernels, channels-last: the pooling in blocks of batch items, and its
gradient routed to each window's first maximum (with a fast form for windows that tile the
input). The op definitions are in ember/ops/pool_ops.py; these are the kernels they run.
"""
from __future__ import annotations

import numpy as np

from ember.runtime import parallel, tuning
from ember.runtime.windows import crop_spatial, pad_spatial, tap_slices, taps

__all__ = ["first_max_masks", "item_bytes", "lowest", "max_pool", "route_max_grad",
           "work_dtype"]


def item_bytes(a):
    """Bytes of one batch item of a."""
    return a.itemsize * (a.size // max(a.shape[0], 1))


def lowest(dtype):
    """The value below every other of dtype (a max pooling's padding)."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def work_dtype(a):
    """a in float32 when its float type is narrower."""
    return a.astype(np.float32) if a.dtype.kind == "f" and a.dtype.itemsize < 4 else a


def first_max_masks(xpad, y, attrs, outs):
    """For each tap: where that tap is the first maximum of its window (as a bool array)."""
    taken = np.zeros(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    lead = (slice(None),)
    for tap in taps(attrs["ksize"]):
        sl = lead + tap_slices(tap, attrs["strides"], attrs["dilations"], outs)
        np.equal(xpad[sl], y, out=hit)
        np.greater(hit, taken, out=hit)           # hit and not taken
        np.logical_or(taken, hit, out=taken)
        yield sl, hit


def max_pool(xl, shape, outs, pads, attrs, after=None):
    """Max pooling of channels-last xl into a new y of ``shape`` (window geometry
    ``outs``, ``pads``; attrs ksize, strides, dilations), in blocks of batch items of
    about tuning.MAX_POOL_BYTES across threads. With ``after``, ``after(s, e, yb)`` runs
    on each block's y just made (a fused elementwise tree, a dropout mask)."""
    y = np.empty(shape, xl.dtype)
    low = lowest(xl.dtype)

    first, *rest = [(slice(None),) + tap_slices(tap, attrs["strides"],
                                                attrs["dilations"], outs)
                    for tap in taps(attrs["ksize"])]

    def block(s, e):
        xpad = pad_spatial(xl[s:e], pads, low)
        yb = y[s:e]
        np.copyto(yb, xpad[first])
        for sl in rest:
            np.maximum(yb, xpad[sl], out=yb)
        if after is not None:
            after(s, e, yb)

    if y.size:
        parallel.for_blocks(block, xl.shape[0], item_bytes(xl),
                            block_bytes=tuning.MAX_POOL_BYTES)
    return y


def route_max_grad(xl, yl, dy, dtype, attrs, outs, pads):
    """The max pooling gradient dx (channels-last, of dtype): ``dy(s, e)`` (the pooled
    gradient of batch items s:e) routed to the first maximum of each window, in blocks of
    items across threads."""
    sizes = xl.shape[1:-1]
    low = lowest(xl.dtype)
    disjoint = all(s >= k for s, k in zip(attrs["strides"], attrs["ksize"]))
    dx = np.empty(xl.shape, dtype)

    padded = any(lo or hi for lo, hi in pads)
    # windows that tile the input write every position of dx once, with no zeroing
    # first (-0.55 ms on the MiniVGG step's two pooling gradients)
    if not padded and tuple(attrs["strides"]) == tuple(attrs["ksize"]) and \
            all(d == 1 for d in attrs["dilations"]) and \
            all(o * k == n for o, k, n in zip(outs, attrs["ksize"], sizes)):
        return _route_tiled(xl, yl, dx, dy, attrs, outs)

    def block(s, e):
        xpad = pad_spatial(xl[s:e], pads, low)
        if padded:
            dxb = np.zeros(xpad.shape, dtype)
        else:
            dxb = dx[s:e]
            dxb.fill(0)
        gb = dy(s, e)
        for sl, hit in first_max_masks(xpad, yl[s:e], attrs, outs):
            if disjoint:
                np.multiply(gb, hit, out=dxb[sl])
            else:
                dxb[sl] += np.multiply(gb, hit)
        if padded:
            dx[s:e] = crop_spatial(dxb, pads, sizes)

    if dx.size:
        parallel.for_blocks(block, xl.shape[0], item_bytes(xl))
    return dx


def _route_tiled(xl, yl, dx, dy, attrs, outs):
    """``route_max_grad`` for windows that tile the input (every position in one window): each
    tap's dx slice is written once, and a block is little more than its NumPy calls
    (the tap slices made once; the first tap's hits are its matches, the last one
    needs no record of them)."""
    lead = (slice(None),)
    slices = [lead + tap_slices(tap, attrs["strides"], attrs["dilations"], outs)
              for tap in taps(attrs["ksize"])]
    first, middle, last = slices[0], slices[1:-1], slices[-1] if len(slices) > 1 else None

    def block(s, e):
        xb, yb, dxb = xl[s:e], yl[s:e], dx[s:e]
        gb = dy(s, e)
        taken = np.equal(xb[first], yb)
        np.multiply(gb, taken, out=dxb[first])
        if last is None:
            return
        hit = np.empty_like(taken)
        for sl in middle:
            np.equal(xb[sl], yb, out=hit)
            np.greater(hit, taken, out=hit)           # hit and not taken
            np.logical_or(taken, hit, out=taken)
            np.multiply(gb, hit, out=dxb[sl])
        np.equal(xb[last], yb, out=hit)
        np.greater(hit, taken, out=hit)
        np.multiply(gb, hit, out=dxb[last])

    if dx.size:
        parallel.for_blocks(block, xl.shape[0], item_bytes(xl))
    return dx
