"""Convolutions: conv1d/2d/3d, transposed, depthwise, separable, grouped (im2col + GEMM).

Every convolution runs channels-last internally: the padded input is viewed as a strided
window array, copied once into a contiguous patch matrix ``(N * out_pixels, taps * C)``
and multiplied with the filter ``(taps * C, O)`` in one GEMM. The input gradient is one GEMM
followed by an accumulation over kernel taps (``col2im``); the filter gradient is one GEMM
of the patch matrix with the output gradient. The three ops (Conv, ConvBackpropInput,
ConvBackpropFilter) are each other's gradients, so any order of differentiation works.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember.framework import dtypes
from ember.runtime import parallel
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.runtime.fastpath import PerChannel
from ember.runtime.memory import aligned, empty_aligned, thread_cache
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import Tensor
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops
from ember.ops._base import FLOATS, check_dtype, shape_arg, shape_value, static_int, tensor

__all__ = [
    "atrous_conv2d",
    "conv1d",
    "conv1d_transpose",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "conv_transpose",
    "convolution",
    "depth_to_space",
    "depthwise_conv2d",
    "separable_conv2d",
    "space_to_depth",
]

_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


# ------------------------------------------------------------------ geometry helpers ---

def _shape_text(shape):
    if isinstance(shape, TensorShape):
        shape = shape.as_list() if shape.rank is not None else None
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def channels_first(data_format):
    return data_format is not None and data_format.upper().startswith("NC")


_GEOMETRIES = {}


def window_geometry(op_name, sizes, ksize, strides, dilations, padding):
    """Output sizes and (lo, hi) pads per spatial dimension (None where a size is unknown).

    ``padding`` is 'SAME', 'VALID' or a tuple of (lo, hi) pairs, with TensorFlow's rules:
    SAME gives ceil(in / stride) outputs with the odd padding pixel at the end. Results
    are remembered: kernels ask for the same few geometries call after call."""
    key = (tuple(sizes), tuple(ksize), tuple(strides), tuple(dilations),
           padding if isinstance(padding, str) else tuple(tuple(p) for p in padding))
    got = _GEOMETRIES.get(key)
    if got is None:
        got = _window_geometry(op_name, sizes, ksize, strides, dilations, padding)
        if len(_GEOMETRIES) > 1024:
            _GEOMETRIES.clear()
        _GEOMETRIES[key] = got
    return list(got[0]), list(got[1])


def _window_geometry(op_name, sizes, ksize, strides, dilations, padding):
    outs, pads = [], []
    for i, (n, k, s, d) in enumerate(zip(sizes, ksize, strides, dilations)):
        if n is None or k is None:
            outs.append(None)
            pads.append(None)
            continue
        eff = (k - 1) * d + 1
        if padding == "SAME":
            o = -(-n // s)
            total = max((o - 1) * s + eff - n, 0)
            lo, hi = total // 2, total - total // 2
        elif padding == "VALID":
            lo = hi = 0
            o = (n - eff) // s + 1
        else:
            lo, hi = padding[i]
            o = (n + lo + hi - eff) // s + 1
        if n + lo + hi < eff:
            raise InvalidArgumentError(
                f"{op_name}: Computed output size would be negative: {o - 1} [input_size: "
                f"{n}, effective_filter_size: {eff}, stride: {s}] — the window is larger "
                f"than the{' padded' if lo or hi else ''} input [Op:{op_name}]")
        outs.append(o)
        pads.append((lo, hi))
    return tuple(outs), tuple(pads)


def _tap_slices(tap, strides, dilations, outs):
    return tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                 for t, s, d, o in zip(tap, strides, dilations, outs))


def taps(ksize):
    return itertools.product(*[range(k) for k in ksize])


def pad_spatial(x, pads, value=0):
    """x (N, *spatial, C...) padded on the spatial axes; no copy when nothing is padded."""
    if not any(lo or hi for lo, hi in pads):
        return x
    r = len(pads)
    shape = (x.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:1 + r], pads)) \
        + x.shape[1 + r:]
    out = np.full(shape, value, dtype=x.dtype) if value != 0 else np.zeros(shape, x.dtype)
    out[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in
                               zip(x.shape[1:1 + r], pads))] = x
    return out


def crop_spatial(x, pads, sizes):
    return x[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(sizes, pads))]


def windows(xpad, ksize, strides, dilations, outs, groups=1):
    """Read-only view (N, *outs, *ksize, groups, C // groups) of every window of xpad."""
    r = len(ksize)
    st = xpad.strides
    c = xpad.shape[-1]
    cg = c // groups
    shape = (xpad.shape[0],) + tuple(outs) + tuple(ksize) + (groups, cg)
    strd = (st[0],) + tuple(st[1 + i] * strides[i] for i in range(r)) + \
        tuple(st[1 + i] * dilations[i] for i in range(r)) + (st[-1] * cg, st[-1])
    return as_strided(xpad, shape, strd, writeable=False)


def _work(a):
    return a.astype(np.float32) if a.dtype.itemsize < 4 else a


def to_last(a, cf):
    return np.moveaxis(a, 1, -1) if cf else a


def from_last(a, cf):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1)) if cf else a


# -------------------------------------------------------------------------- kernels ---
#
# Each kernel cuts the batch into groups of whole images whose patches would hold about
# GROUP_BYTES, as few as fit and as many per thread (or, for an image of more than
# BLOCK_BYTES of patches, into blocks of a few output rows of one image); the threads of
# ember.runtime.parallel take the groups one after another. A group's images are padded
# in one copy, then their patches are made and multiplied SUB_BYTES at a time, so the
# patches are written and read again while they are still in the core's own cache. Few
# large groups mean few NumPy calls per thread and few partial sums: on the MiniVGG
# training step one group per thread beat four (5% off the step at 32x32x3, 4% at
# 28x28x1, A/B toggled step by step), and 1 MiB sub-blocks beat 1.5 MiB and whole groups.
# Each block's product runs as a stack of small products where BLAS reads those in place
# (``_product``).

GROUP_BYTES = 1 << 25
BLOCK_BYTES = 1 << 22
SUB_BYTES = 1 << 20
PATCH_CACHE_BYTES = 1 << 28     # kept buffers per thread, least recently used dropped
# Patch matrices start on a cache line (0: wherever NumPy puts them, 16 bytes past one for
# large buffers): BLAS's small-matrix kernel reads its right-hand operand (a filter
# gradient's patches) up to a fifth slower when that operand is misaligned; 0.9 ms off
# the MiniVGG step (bench/step_ab.py).
PATCH_ALIGN = 64
# Blocks of whole padded images (the common case) run through views and products prepared
# once per thread and geometry (``_Patches.plan``), so a block costs a copy and a product
# or two and almost no Python: between two NumPy calls the other thread may want the GIL,
# and waits (on these VMs, tens of microseconds) while this one holds it. -2.9 ms (3.5%)
# on the MiniVGG step at 28x28x1, -5.1 ms (5%) at 32x32x3 (bench/step_ab.py
# ember.ops.conv_ops:LEAN True False). False runs every block the general way.
LEAN = True


def _block_shape(outs, k, itemsize):
    """(images per group, output rows per block) for patch rows of k values: whole images
    up to GROUP_BYTES of patches, or one image in blocks of rows of about BLOCK_BYTES."""
    per_row = math.prod(outs[1:]) * k * itemsize
    per_image = per_row * outs[0]
    if per_image <= BLOCK_BYTES:
        return max(1, GROUP_BYTES // max(per_image, 1)), outs[0]
    return 1, max(1, BLOCK_BYTES // max(per_row, 1))


def _row_blocks(outs, rows):
    return [(r0, min(r0 + rows, outs[0])) for r0 in range(0, outs[0], rows)]


def _tap_major(x, ksize):
    """Whether x's patch matrices are laid out tap-major (few channels per window row)."""
    return ksize[-1] * x.shape[-1] < 32


class _Patches:
    """Patch matrices of groups of images of one convolution's geometry, in buffers made once
    per thread: a group's images are copied into a padded buffer whose zero border stays as
    it is, the window view over that buffer is made once, and every patch matrix is
    written into the same memory."""

    @classmethod
    def get(cls, x, ksize, strides, dilations, outs, pads, groups, images):
        """The buffers for groups of up to ``images`` images of x's geometry."""
        key = (x.shape[1:], x.dtype.str, tuple(ksize), tuple(strides), tuple(dilations),
               tuple(outs), tuple(pads), groups, images, BLOCK_BYTES, SUB_BYTES, PATCH_ALIGN)
        cache = thread_cache("conv.patches")
        patches = cache.pop(key, None)
        if patches is None:
            patches = cls(x, ksize, strides, dilations, outs, pads, groups, images)
            total = patches.nbytes + sum(p.nbytes for p in cache.values())
            while cache and total > PATCH_CACHE_BYTES:     # least recently used first
                total -= cache.pop(next(iter(cache))).nbytes
        cache[key] = patches
        return patches

    def __init__(self, x, ksize, strides, dilations, outs, pads, groups, images):
        self.geometry = (ksize, strides, dilations, outs, groups)
        r = len(ksize)
        c = x.shape[-1]
        k = math.prod(ksize) * (c // groups)
        self.k = k
        self.pixels = math.prod(outs)
        self._subs = {}
        self._plans = {}
        rows = _block_shape(outs, k, x.itemsize)[1]
        self.images = images if rows == outs[0] else 1
        self.rows = _row_blocks(outs, rows)
        self.image_bytes = math.prod(outs) * k * groups * x.itemsize
        # whole images SUB_BYTES of patches at a time (at least one), or a block of rows
        self.per = max(1, SUB_BYTES // max(self.image_bytes, 1))
        most = min(self.images, self.per) * rows * math.prod(outs[1:])
        self.groups = groups
        self.padded = any(a or b for a, b in pads)
        if self.padded:
            sizes = x.shape[1:1 + r]
            self.buf = np.zeros((self.images,) + tuple(n + a + b for n, (a, b) in
                                                       zip(sizes, pads)) + (c,), x.dtype)
            self.interior = tuple(slice(a, a + n) for n, (a, _) in zip(sizes, pads))
            self.win = windows(self.buf, ksize, strides, dilations, outs, groups)
        # Few channels per window row: copying window by window would move a few values
        # per step, so the patches are laid out tap-major, (K, P), and used transposed;
        # a last row of ones (written once) lets the product add a bias (``with_ones``).
        self.tap_major = groups == 1 and _tap_major(x, ksize)
        if self.tap_major:
            self.cols = empty_aligned((k + 1, most), x.dtype, PATCH_ALIGN)
            self.cols[k] = 1
        else:
            self.cols = empty_aligned(most * k * groups, x.dtype, PATCH_ALIGN)
        self.nbytes = self.cols.nbytes + (self.buf.nbytes if self.padded else 0)

    def blocks(self, x, s, e):
        """(s2, e2, r0, r1, cols) for output rows r0:r1 of images s2:e2 of x (C-contiguous),
        covering images s:e; cols is (P, K) for one group, (G, P, K) for several, valid
        until the next block. Whole images come SUB_BYTES of patches at a time."""
        for s2 in range(s, e, self.images):
            e2 = min(s2 + self.images, e)
            if self.padded:
                self.buf[(slice(0, e2 - s2),) + self.interior] = x[s2:e2]
                win = self.win[:e2 - s2]
            else:
                win = windows(x[s2:e2], *self.geometry)
            if len(self.rows) == 1 and e2 - s2 > 1:
                for t in range(s2, e2, self.per):
                    t2 = min(t + self.per, e2)
                    yield t, t2, 0, self.rows[0][1], self._copy(win[t - s2:t2 - s2])
                continue
            for r0, r1 in self.rows:
                yield s2, e2, r0, r1, self._copy(win[:, r0:r1])

    def lean(self):
        """Whether groups of whole images run through ``plan`` (padded, one group of
        channels, patches laid out pixel-major, whole images per block)."""
        return LEAN and self.padded and not self.tap_major and self.groups == 1 and \
            len(self.rows) == 1

    def fills(self, x, s, e):
        """For images s:e of x, as many at a time as the padded buffer holds: copies them
        in and yields (the first one's row in the flattened output, how many)."""
        for s2 in range(s, e, self.images):
            e2 = min(s2 + self.images, e)
            self.buf[(slice(0, e2 - s2),) + self.interior] = x[s2:e2]
            yield s2 * self.pixels, e2 - s2

    def plan(self, count, n, cx=None):
        """The blocks of the first ``count`` images in the padded buffer, with their
        products prepared (``lean``): (first, end, windows, patch buffer shaped like
        them, r, whole, stacked patches, the rest of the patches, tr, twhole, stacked
        patches for rows^T @ patches, the rest) for a filter of n columns and rows of cx
        channels (r, tr: rows per small product, 0 for one product, tr = -kr for
        patches^T @ rows stacked over kr columns of the patches at a time (``_k_rows``);
        whole, twhole: rows that the stack covers)."""
        key = (count, n, cx, parallel.small_gemm_macs(), MIN_PRODUCT_ROWS, MIN_SMALL_ROWS,
               KSTACK, EXACT_ROWS)
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            for j, j2, src, dst, cols in self.sub_blocks(count):
                m, k = cols.shape
                r = _small_rows(m, k, n, cols.dtype, MIN_PRODUCT_ROWS)
                whole = m - m % r if r else m
                a3 = cols[:whole].reshape(-1, r, k) if r else cols
                rest = cols[whole:] if whole < m else None
                kr = _k_rows(m, cx, k, cols.dtype) if cx and KSTACK else 0
                tr = _small_rows(m, cx, k, cols.dtype) if cx and not kr else 0
                twhole = m - m % tr if tr else m
                g3 = cols[:twhole].reshape(-1, tr, k) if tr else cols
                trest = cols[twhole:] if twhole < m else None
                if kr:          # patches^T @ rows as a stack over the patches' columns
                    tr, g3 = -kr, cols.T.reshape(-1, kr, m)
                plan.append((j, j2, src, dst, r, whole, a3, rest, tr, twhole, g3, trest))
            self._plans[key] = plan
        return plan

    def sub_blocks(self, count):
        """For the first ``count`` images of the padded buffer, SUB_BYTES of patches at a
        time: (first, end, windows, patch buffer shaped like them, patch matrix), views
        made once."""
        subs = self._subs.get(count)
        if subs is None:
            subs = []
            for j in range(0, count, self.per):
                j2 = min(j + self.per, count)
                win = self.win[j:j2]
                dst = self.cols[:win.size].reshape(win.shape)
                subs.append((j, j2, win, dst, dst.reshape(win.size // self.k, self.k)))
            self._subs[count] = subs
        return subs

    def with_ones(self, cols):
        """The tap-major patch matrix ``cols`` (P, K) just made, with a last column of ones."""
        return self.cols[:cols.shape[1] + 1, :cols.shape[0]].T

    def _copy(self, win):
        p = math.prod(win.shape[:(win.ndim - 1) // 2])
        if self.tap_major:
            r = (win.ndim - 3) // 2
            win = win.transpose(tuple(range(1 + r, win.ndim)) + tuple(range(1 + r)))
            cols = self.cols[:-1, :p]
            np.copyto(cols.reshape(win.shape), win)
            return cols.T
        if self.groups > 1:
            win = np.moveaxis(win, -2, 0)
        cols = self.cols[:win.size].reshape(win.shape)
        np.copyto(cols, win)
        return cols.reshape(p, -1) if self.groups == 1 else cols.reshape(self.groups, p, -1)


# Rows per product below which a stack of small products loses to one product, measured
# in the training step: for a.T @ g (whose stack is summed afterwards) and for a @ b.
MIN_SMALL_ROWS = 40
MIN_PRODUCT_ROWS = 8


def _small_rows(m, k, n, dtype, least=None):
    """Rows per product when an (m, k) @ (k, n) product pays to run as a stack of products
    that BLAS's unpacked small-matrix kernel takes (see parallel.small_gemm_macs), else 0;
    ``least``: the fewest rows worth it (MIN_SMALL_ROWS by default)."""
    limit = parallel.small_gemm_macs()
    if not limit or dtype != np.float32 or m * k * n <= limit:
        return 0
    r = limit // (k * n)
    if r < (MIN_SMALL_ROWS if least is None else least):
        return 0
    rows = m // -(-m // r)
    if EXACT_ROWS and m % rows:
        # rows left for a last product, which packs the whole right operand for them: a
        # divisor of m from half the rows up instead where there is one (a 16x16 image's
        # 256 rows against 576 x 64: stacks of 16 run 17% faster than of 25 and a rest)
        exact = [d for d in range(rows, rows // 2 - 1, -1) if d and m % d == 0]
        if exact:
            return exact[0]
    return rows


KSTACK = True
EXACT_ROWS = True
WIDE_FUSED = True      # see conv_backprop


def _k_rows(m, cx, k, dtype):
    """Rows of the (K, m) transposed patches per small product when (K, m) @ (m, cx) pays
    to run as a stack of products over K that BLAS's small-matrix kernel takes: the
    largest divisor of k within the kernel's size, else 0 (also when fewer than 24 rows
    fit, where the kernel measured slower or no faster). Each product gives its rows of
    the filter gradient whole, so nothing is summed afterwards: about a quarter faster
    than one product for a 64-channel layer (which stacks over m would cut too thin),
    and -0.67 ms on the MiniVGG step's 32-channel backprop against stacks over m and
    their sum."""
    limit = parallel.small_gemm_macs()
    if not limit or dtype != np.float32:
        return 0
    most = min(limit // max(m * cx, 1), k)
    return max((d for d in range(24, most + 1) if k % d == 0), default=0)


def _product(a, b, out):
    """out = a @ b for an (M, K) a whose rows are contiguous or whose columns are (the
    transposed view of tap-major patches: -15% on a first layer's forward pass) and an
    (M, N) out with contiguous rows, as a stack of small products where BLAS runs those
    faster."""
    m, k = a.shape
    n = b.shape[1]
    r = _small_rows(m, k, n, a.dtype, MIN_PRODUCT_ROWS)
    if not r:
        np.matmul(a, b, out=out)
        return
    whole = m - m % r
    np.matmul(a[:whole].reshape(-1, r, k), b, out=out[:whole].reshape(-1, r, n))
    if whole < m:
        np.matmul(a[whole:], b, out=out[whole:])


def _product_t(a, g, wide=False):
    """a.T @ g for (M, K) a with contiguous rows (or the transposed view of a tap-major
    patch matrix) and (M, N) g, as the sum of a stack of small products where BLAS runs
    those faster. Measured: the stack pays for N <= 32 and, with
    ``wide`` (a few channels against taps times channels), for any N."""
    m, k = a.shape
    n = g.shape[1]
    r = _small_rows(m, k, n, a.dtype) if wide or n <= 32 else 0
    if not r:
        return np.matmul(a.T, g)
    whole = m - m % r
    stack = np.matmul(a[:whole].reshape(-1, r, k).transpose(0, 2, 1),
                      g[:whole].reshape(-1, r, n))
    acc = np.add.reduce(stack, axis=0)
    if whole < m:
        acc += np.matmul(a[whole:].T, g[whole:])
    return acc


def _sum_in_order(parts, dtype):
    """The groups' partial sums added up in group order (the same result whichever thread
    ran which group), in dtype."""
    total = parts[0].astype(dtype, copy=True)
    for part in parts[1:]:
        total += part
    return total


def _group_size(x, ksize, outs, groups, o, writes=False):
    """(images per group, whether the convolution is small enough for one thread): as few
    groups as fit in GROUP_BYTES of patches, as many for each thread.
    With ``writes`` (the job writes or reads an output-sized image per image: a forward
    pass, a filter gradient) each output value counts as at least 32 multiply-adds: with
    few taps and channels that traffic is the work (a first layer's filter gradient on two
    threads: -0.25 ms on the MiniVGG step)."""
    n = x.shape[0]
    k = math.prod(ksize) * (x.shape[-1] // groups)
    images = _block_shape(outs, k, x.itemsize)[0]
    work = math.prod(outs) * o * (max(k, 32) if writes else k)
    small = not parallel.worth_threads(n, work, parallel.MIN_MACS)
    t = 1 if small else parallel.num_threads()
    count = t * -(-n // (t * images))         # as few groups as fit, a multiple of t
    return max(1, -(-n // max(count, 1))), small


def _run_groups(n, size, fn):
    """``fn(s, e)`` over groups of images s:e across threads; the results in group order."""
    images, small = size
    starts = range(0, n, images)
    return parallel.map_items(lambda i: fn(starts[i], min(starts[i] + images, n)),
                              len(starts), blas=True, threads=1 if small else None)


def _forward_job(x, w, strides, dilations, padding, bias=None, rows=None, out=None):
    """(y, fn, group size): ``fn(s, e)`` computes images s:e of the convolution into y.
    With ``rows`` (an array shaped like y but for its channels), ``fn`` also returns the
    sum over those images' blocks of rows^T @ patches, (rows' channels, K). ``out``: an
    array for y; it may be x itself when x is padded (each group's images are copied into
    the padded buffer before their outputs are written)."""
    r = x.ndim - 2
    ksize = w.shape[:r]
    cg, o = w.shape[r], w.shape[r + 1]
    groups = x.shape[-1] // cg
    og = o // groups
    outs, pads = window_geometry("Conv", x.shape[1:1 + r], ksize, strides, dilations, padding)
    n = x.shape[0]
    k = math.prod(ksize) * cg
    shape, dtype = (n,) + tuple(outs) + (o,), np.result_type(x.dtype, w.dtype)
    if out is not None and out.shape == shape and out.dtype == dtype and \
            out.flags.c_contiguous and out.flags.writeable and \
            (any(a or b for a, b in pads) or not np.shares_memory(out, x)):
        y = out
    else:
        y = np.empty(shape, dtype)
    ones = groups == 1 and bias is not None and _tap_major(x, ksize)
    if ones:       # the bias as a last filter row, times the patches' row of ones
        wm = aligned(np.concatenate([w.reshape(k, o), bias.reshape(1, o).astype(w.dtype)]))
        bias = None
    elif groups == 1:
        wm = aligned(w.reshape(k, o))
    else:
        wm = np.ascontiguousarray(w.reshape(-1, groups, og).transpose(1, 0, 2))   # (G, K, Og)
    x = np.ascontiguousarray(x)
    add = None if bias is None else PerChannel(bias.astype(y.dtype, copy=False))
    size = _group_size(x, ksize, outs, groups, o, writes=True)

    def group(s, e):
        patches = _Patches.get(x, ksize, strides, dilations, outs, pads, groups, size[0])
        if patches.lean():
            acc = _lean_group(patches, x, s, e, y, wm, rows)
            if add is not None:
                add.apply(np.add, y[s:e].reshape(-1, o))
            return acc
        acc = None
        for s2, e2, r0, r1, cols in patches.blocks(x, s, e):
            yb = y[s2:e2, r0:r1].reshape(-1, o)
            if groups == 1:
                if patches.tap_major:       # stacks on the transposed patches too
                    _product(patches.with_ones(cols) if ones else cols, wm, yb)
                else:
                    _product(cols, wm, yb)
            else:
                yg = np.matmul(cols, wm)                                   # (G, P, Og)
                np.copyto(yb.reshape(-1, groups, og), yg.transpose(1, 0, 2))
            if rows is not None:
                rb = rows[s2:e2, r0:r1]
                part = _product_t(rb.reshape(-1, rb.shape[-1]), cols, wide=True)
                if acc is None:
                    acc = part
                else:
                    acc += part
        if add is not None:      # once per group: fewer NumPy calls than once per block
            add.apply(np.add, y[s:e].reshape(-1, o))
        return acc

    return y, group, size


def _lean_group(patches, x, s, e, y, wm, rows):
    """Images s:e of ``_forward_job``'s group through the patches' prepared ``plan``: per
    block one copy and one or two products (and with ``rows``, the products of rows^T @
    patches, whose sum is returned), no other work between NumPy calls."""
    o = y.shape[-1]
    pixels = patches.pixels
    yflat = y.reshape(-1, o)
    cx = None if rows is None else rows.shape[-1]
    xflat = None if rows is None else rows.reshape(-1, cx)
    acc = acc_t = None
    for base, count in patches.fills(x, s, e):
        for j, j2, src, dst, r, whole, a3, rest, tr, twhole, g3, trest in \
                patches.plan(count, o, cx):
            np.copyto(dst, src)
            lo = base + j * pixels
            hi = base + j2 * pixels
            if r:
                np.matmul(a3, wm, out=yflat[lo:lo + whole].reshape(-1, r, o))
                if rest is not None:
                    np.matmul(rest, wm, out=yflat[lo + whole:hi])
            else:
                np.matmul(a3, wm, out=yflat[lo:hi])
            if xflat is None:
                continue
            if tr < 0:                  # (K, cx), summed apart and transposed at the end
                part = np.matmul(g3, xflat[lo:hi]).reshape(-1, cx)
                if acc_t is None:
                    acc_t = part
                else:
                    acc_t += part
                continue
            if tr:
                part = np.add.reduce(np.matmul(
                    xflat[lo:lo + twhole].reshape(-1, tr, cx).transpose(0, 2, 1), g3), axis=0)
                if trest is not None:
                    part += np.matmul(xflat[lo + twhole:hi].T, trest)
            else:
                part = np.matmul(xflat[lo:hi].T, g3)
            if acc is None:
                acc = part
            else:
                acc += part
    if acc_t is not None:
        acc = acc_t.T if acc is None else acc + acc_t.T
    return acc


def conv_forward(x, w, strides, dilations, padding, bias=None):
    """Channels-last convolution of x (N, *S, C) with w (*K, C // G, O), plus ``bias`` (O,)
    when given (added to each group of images' output while it is in cache)."""
    y, group, size = _forward_job(x, w, strides, dilations, padding, bias)
    if y.size:
        _run_groups(x.shape[0], size, group)
    return y


def _row_slices(tap, strides, dilations, outs, r0, r1):
    """Positions tap reads for output rows r0:r1 (first spatial axis) and all of the others,
    within an input block whose first row is output row r0's first."""
    out = []
    for i, (t, s, d, o) in enumerate(zip(tap, strides, dilations, outs)):
        if i == 0:
            o = r1 - r0
        out.append(slice(t * d, t * d + s * (o - 1) + 1, s))
    return tuple(out)


def conv_input_grad(in_shape, w, g, strides, dilations, padding):
    """Gradient w.r.t. x (shape in_shape, channels-last) of conv_forward, given dy = g."""
    r = len(in_shape) - 2
    ksize = w.shape[:r]
    cg, o = w.shape[r], w.shape[r + 1]
    c = in_shape[-1]
    groups = c // cg
    og = o // groups
    sizes = tuple(in_shape[1:1 + r])
    outs, pads = window_geometry("Conv", sizes, ksize, strides, dilations, padding)
    n = in_shape[0]
    full = _flipped_pads(in_shape, w, strides, dilations, pads)
    if full is not None:
        return conv_forward(g, flipped_filter(w, groups), strides, dilations, full)
    dtype = np.result_type(w.dtype, g.dtype)
    dx = np.empty(tuple(in_shape), dtype)
    if dx.size == 0:
        return dx
    k = math.prod(ksize) * cg
    if groups == 1:
        wt = w.reshape(k, o).T                                            # (O, K)
    else:
        wt = w.reshape(-1, groups, og).transpose(1, 2, 0)                 # (G, Og, K)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pads))
    lead = (slice(None),) * (1 + r)
    rows = _row_blocks(outs, _block_shape(outs, k, dtype.itemsize)[1])

    def group(s, e):
        dxpad = np.zeros((e - s,) + padded + (groups, cg), dtype)
        for r0, r1 in rows:
            gb = g[s:e, r0:r1]
            p = gb.size // o
            if groups == 1:
                dcols = (gb.reshape(p, o) @ wt).reshape(
                    gb.shape[:-1] + tuple(ksize) + (1, cg))
            else:
                dcols = np.matmul(gb.reshape(p, groups, og).transpose(1, 0, 2), wt)
                dcols = np.moveaxis(dcols.reshape((groups,) + gb.shape[:-1] + tuple(ksize) +
                                                  (cg,)), 0, -2)
            top = r0 * strides[0]
            for tap in taps(ksize):
                sl = _row_slices(tap, strides, dilations, outs, r0, r1)
                dxpad[(slice(None), slice(top + sl[0].start, top + sl[0].stop, sl[0].step))
                      + sl[1:]] += dcols[lead + tap]
        dx[s:e] = crop_spatial(dxpad, pads, sizes).reshape((e - s,) + sizes + (c,))

    _run_groups(n, _group_size(dx, ksize, outs, groups, o), group)
    return dx


def _flipped_pads(in_shape, w, strides, dilations, pads):
    """The pads of the stride-1 'full' convolution of dy with the flipped filter that gives
    the input gradient, when that way applies (and pays: not for 1-2 input channels with
    more output channels); None otherwise."""
    r = len(in_shape) - 2
    c, o = in_shape[-1], w.shape[r + 1]
    if any(s != 1 for s in strides) or not (o <= c or c >= 3):
        return None
    return _full_pads(w.shape[:r], dilations, pads)


def _full_pads(ksize, dilations, pads):
    """Pads turning a stride-1 input gradient into a 'full' convolution, None if cropping
    would be needed."""
    full = tuple(((k - 1) * d - lo, (k - 1) * d - hi)
                 for k, d, (lo, hi) in zip(ksize, dilations, pads))
    return None if any(v < 0 for p in full for v in p) else full


def flipped_filter(w, groups):
    """The filter (*K, O // G, C) whose stride-1 convolution is Conv's input gradient."""
    r = w.ndim - 2
    cg, o = w.shape[r], w.shape[r + 1]
    wf = w[(slice(None, None, -1),) * r]
    if groups == 1:
        return np.ascontiguousarray(np.swapaxes(wf, -1, -2))
    og = o // groups
    wf = wf.reshape(wf.shape[:r] + (cg, groups, og))
    wf = np.moveaxis(wf, r, -1)                                     # (*K, G, Og, Cg)
    return np.ascontiguousarray(np.swapaxes(wf, r, r + 1)).reshape(w.shape[:r] + (og, groups * cg))


def _filter_job(x, w_shape, g, strides, dilations, padding):
    """(fn, finish, group size): ``fn(s, e)`` gives images s:e's part of the filter
    gradient, ``finish(parts)`` adds the parts up in order."""
    r = x.ndim - 2
    ksize = tuple(w_shape[:r])
    cg, o = w_shape[r], w_shape[r + 1]
    groups = x.shape[-1] // cg
    og = o // groups
    outs, pads = window_geometry("Conv", x.shape[1:1 + r], ksize, strides, dilations, padding)
    dtype = np.result_type(x.dtype, g.dtype)
    x = np.ascontiguousarray(x)
    size = _group_size(x, ksize, outs, groups, o, writes=True)

    def group(s, e):
        acc = None
        patches = _Patches.get(x, ksize, strides, dilations, outs, pads, groups, size[0])
        if patches.lean():
            gflat = g.reshape(-1, o)
            for base, count in patches.fills(x, s, e):
                for j, j2, src, dst, cols in patches.sub_blocks(count):
                    np.copyto(dst, src)
                    part = _product_t(cols, gflat[base + j * patches.pixels:
                                                  base + j2 * patches.pixels])
                    if acc is None:
                        acc = part
                    else:
                        acc += part
            return acc
        for s2, e2, r0, r1, cols in patches.blocks(x, s, e):
            gb = g[s2:e2, r0:r1]
            p = gb.size // o
            if groups == 1:
                part = _product_t(cols, gb.reshape(p, o))
            else:
                part = np.matmul(cols.transpose(0, 2, 1),
                                 gb.reshape(p, groups, og).transpose(1, 0, 2))
            if acc is None:
                acc = part
            else:
                acc += part
        return acc

    def finish(parts):
        if not parts or x.shape[0] == 0 or math.prod(outs) == 0:
            return np.zeros(tuple(w_shape), dtype)
        dw = _sum_in_order(parts, dtype)
        if groups > 1:
            dw = np.ascontiguousarray(dw.transpose(1, 0, 2))             # (K, G, Og)
        return dw.reshape(tuple(w_shape))

    return group, finish, size


def conv_filter_grad(x, w_shape, g, strides, dilations, padding):
    """Gradient w.r.t. the filter (shape w_shape) of conv_forward, given dy = g."""
    group, finish, size = _filter_job(x, w_shape, g, strides, dilations, padding)
    if x.shape[0] == 0 or g.size == 0:
        return finish([])
    return finish(_run_groups(x.shape[0], size, group))


def conv_backprop(x, w, g, strides, dilations, padding, into=False):
    """(dx, dw) of conv_forward, given dy = g. When the input gradient is the flipped-filter
    convolution: without groups, the filter gradient is made from the input gradient's
    own patches of dy (x needs no patches: about 5% off a MiniVGG training step); with
    more output than input channels only where its products stack over the patches'
    columns (``_k_rows``: -0.56 ms on the MiniVGG step's 32->64 layer, against separate
    gradients; as one product it measured slower than those); with groups both gradients
    run in one pass over groups of images (the threads meet once). Otherwise the two
    gradients run apart.
    ``into``: dx may be written over g (no one reads g afterwards) where their shapes
    agree."""
    r = x.ndim - 2
    outs, pads = window_geometry("Conv", x.shape[1:1 + r], w.shape[:r], strides, dilations,
                                 padding)
    groups = x.shape[-1] // w.shape[r]
    full = _flipped_pads(x.shape, w, strides, dilations, pads)
    wide = groups == 1 and w.shape[r + 1] > w.shape[r]
    if full is None or x.shape[0] == 0 or g.size == 0 or \
            (wide and not (WIDE_FUSED and parallel.small_gemm_macs() and
                           np.result_type(x.dtype, g.dtype) == np.float32)):
        return (conv_input_grad(x.shape, w, g, strides, dilations, padding),
                conv_filter_grad(x, w.shape, g, strides, dilations, padding))
    g = np.ascontiguousarray(g)
    if groups == 1:
        # dx's patches of dy serve the filter gradient too: the patch row of input position
        # p holds dy[p - d * t + lo] at flipped tap t, so x^T @ patches is dw with its taps
        # flipped, and x needs no patches of its own
        dx, group, size = _forward_job(g, flipped_filter(w, 1), strides, dilations, full,
                                       rows=np.ascontiguousarray(x),
                                       out=g if into else None)
        dw = _sum_in_order(_run_groups(x.shape[0], size, group),
                           np.result_type(x.dtype, g.dtype))
        dw = dw.reshape((w.shape[r],) + w.shape[:r] + (w.shape[r + 1],))
        dw = dw[(slice(None),) + (slice(None, None, -1),) * r]
        return dx, np.ascontiguousarray(dw.transpose(tuple(range(1, r + 1)) + (0, r + 1)))
    dx, dx_group, dx_size = _forward_job(g, flipped_filter(w, groups), strides, dilations,
                                         full)
    dw_group, finish, dw_size = _filter_job(x, w.shape, g, strides, dilations, padding)
    size = (min(dx_size[0], dw_size[0]), dx_size[1] and dw_size[1])

    def group(s, e):
        dx_group(s, e)
        return dw_group(s, e)

    return dx, finish(_run_groups(x.shape[0], size, group))


# ------------------------------------------------------------------------------ ops ---

def _check_rank(op_name, spec, rank, what):
    r = spec.shape.rank
    if r is not None and r != rank:
        raise InvalidArgumentError(f"{op_name}: {what} must be {rank}-dimensional, got shape "
                                   f"{_shape_text(spec.shape)} [Op:{op_name}]")


def _check_float(op_name, specs):
    check_dtype(op_name, specs[0].dtype, FLOATS, 0)
    for i, s in enumerate(specs[1:], 1):
        if s.dtype is not specs[0].dtype:
            raise InvalidArgumentError(
                f"cannot compute {op_name} as input #{i}(zero-based) was expected to be a "
                f"{specs[0].dtype.name} tensor but is a {s.dtype.name} tensor [Op:{op_name}]")


def _spatial(shape, r, cf):
    """(batch, spatial sizes, channels) of a full shape list in the given layout."""
    if cf:
        return shape[0], list(shape[2:2 + r]), shape[1]
    return shape[0], list(shape[1:1 + r]), shape[1 + r]


def _full(n, spatial, c, cf):
    return [n, c] + list(spatial) if cf else [n] + list(spatial) + [c]


def _conv_out_shape(op_name, r, xshape, wshape, attrs):
    """Checks input and filter shapes (lists, None for unknown) and gives the output shape."""
    cf = channels_first(attrs["data_format"])
    n, sizes, c = _spatial(xshape, r, cf)
    ksize = wshape[:r]
    cg, o = wshape[r], wshape[r + 1]
    if c is not None and cg is not None:
        if cg == 0 or c % cg:
            raise InvalidArgumentError(
                f"{op_name}: input depth must be evenly divisible by filter depth: {c} vs "
                f"{cg} (input shape {_shape_text(xshape)}, filter shape "
                f"{_shape_text(wshape)}) [Op:{op_name}]")
        groups = c // cg
        if o is not None and o % groups:
            raise InvalidArgumentError(
                f"{op_name}: the number of output channels {o} must be divisible by the "
                f"number of groups {groups} (input shape {_shape_text(xshape)}, filter shape "
                f"{_shape_text(wshape)}) [Op:{op_name}]")
    try:
        outs, _ = window_geometry(op_name, sizes, ksize, attrs["strides"], attrs["dilations"],
                                  attrs["padding"])
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{str(e)[:-len(f' [Op:{op_name}]')]} (input shape "
                                   f"{_shape_text(xshape)}, filter shape "
                                   f"{_shape_text(wshape)}) [Op:{op_name}]") from None
    return _full(n, outs, o, cf)


def _dims(spec, rank):
    return spec.shape.as_list() if spec.shape.rank is not None else [None] * rank


class _ConvBase(Op):
    uses_threads = True      # kernels run on ember's threads (see compiler.Plan)

    def __init__(self, name, rank):
        super().__init__(name)
        self.rank = rank

    def _geom(self, attrs):
        return attrs["strides"], attrs["dilations"], attrs["padding"]


class _Conv(_ConvBase):
    """y = conv(x, w) in any layout; attrs strides, dilations, padding, data_format."""

    def infer(self, inputs, **attrs):
        x, w = inputs
        _check_float(self.name, inputs)
        _check_rank(self.name, x, self.rank + 2, "input")
        _check_rank(self.name, w, self.rank + 2, "filter")
        shape = _conv_out_shape(self.name, self.rank, _dims(x, self.rank + 2),
                                _dims(w, self.rank + 2), attrs)
        return TensorShape(shape), x.dtype

    def kernel(self, xp, x, w, **attrs):
        self.infer([_ArraySpec(x), _ArraySpec(w)], **attrs)
        cf = channels_first(attrs["data_format"])
        y = conv_forward(_work(to_last(x, cf)), _work(w), *self._geom(attrs))
        return from_last(y, cf).astype(x.dtype, copy=False)

    def grad(self, call, g):
        x, w = call.inputs
        ops = _CONV_OPS[self.rank]
        needs = call.needs or (True, True)
        if needs[0] and needs[1] and context.graph is None and not context.tapes:
            # eager, and nothing records these gradients for a higher order: both from one
            # pass over dy (in traced graphs the compiler makes the same fusion)
            dx, dw = execute(FUSED_CONV_BACKPROP[self.name], (x, w, g), call.attrs)
            return dx, dw
        dx = execute(ops[1], (array_ops.shape(x), w, g), call.attrs) if needs[0] else None
        dw = execute(ops[2], (x, array_ops.shape(w), g), call.attrs) if needs[1] else None
        return dx, dw


class _ConvBackpropInput(_ConvBase):
    """dx of Conv given (input sizes, w, dy): also the transposed convolution."""

    def infer(self, inputs, **attrs):
        sizes, w, g = inputs
        _check_float(self.name, [w, g])
        _check_rank(self.name, w, self.rank + 2, "filter")
        _check_rank(self.name, g, self.rank + 2, "out_backprop")
        in_shape = shape_value(sizes)
        if in_shape is None:
            return TensorShape([None] * (self.rank + 2)), w.dtype
        if len(in_shape) != self.rank + 2:
            raise InvalidArgumentError(
                f"{self.name}: input_sizes must have {self.rank + 2} elements, got "
                f"{in_shape} [Op:{self.name}]")
        expect = _conv_out_shape(self.name, self.rank, in_shape, _dims(w, self.rank + 2), attrs)
        got = _dims(g, self.rank + 2)
        for e, a in zip(expect, got):
            if e is not None and a is not None and e != a:
                raise InvalidArgumentError(
                    f"{self.name}: out_backprop shape {_shape_text(got)} does not match the "
                    f"convolution output {_shape_text(expect)} computed for input shape "
                    f"{_shape_text(in_shape)} and filter shape "
                    f"{_shape_text(_dims(w, self.rank + 2))} [Op:{self.name}]")
        return TensorShape(in_shape), w.dtype

    def kernel(self, xp, sizes, w, g, **attrs):
        self.infer([_ArraySpec(sizes, value=True), _ArraySpec(w), _ArraySpec(g)], **attrs)
        cf = channels_first(attrs["data_format"])
        shape = [int(v) for v in sizes]
        n, sp, c = _spatial(shape, self.rank, cf)
        dx = conv_input_grad([n] + sp + [c], _work(w), _work(to_last(g, cf)),
                             *self._geom(attrs))
        return from_last(dx, cf).astype(w.dtype, copy=False)

    def grad(self, call, gg):
        sizes, w, g = call.inputs
        ops = _CONV_OPS[self.rank]
        dw = execute(ops[2], (gg, array_ops.shape(w), g), call.attrs)
        dg = execute(ops[0], (gg, w), call.attrs)
        return None, dw, dg


class _ConvBackpropFilter(_ConvBase):
    """dw of Conv given (x, filter sizes, dy)."""

    def infer(self, inputs, **attrs):
        x, sizes, g = inputs
        _check_float(self.name, [x, g])
        _check_rank(self.name, x, self.rank + 2, "input")
        _check_rank(self.name, g, self.rank + 2, "out_backprop")
        w_shape = shape_value(sizes)
        if w_shape is None:
            return TensorShape([None] * (self.rank + 2)), x.dtype
        if len(w_shape) != self.rank + 2:
            raise InvalidArgumentError(
                f"{self.name}: filter_sizes must have {self.rank + 2} elements, got "
                f"{w_shape} [Op:{self.name}]")
        expect = _conv_out_shape(self.name, self.rank, _dims(x, self.rank + 2), w_shape, attrs)
        got = _dims(g, self.rank + 2)
        for e, a in zip(expect, got):
            if e is not None and a is not None and e != a:
                raise InvalidArgumentError(
                    f"{self.name}: out_backprop shape {_shape_text(got)} does not match the "
                    f"convolution output {_shape_text(expect)} [Op:{self.name}]")
        return TensorShape(w_shape), x.dtype

    def kernel(self, xp, x, sizes, g, **attrs):
        self.infer([_ArraySpec(x), _ArraySpec(sizes, value=True), _ArraySpec(g)], **attrs)
        cf = channels_first(attrs["data_format"])
        dw = conv_filter_grad(_work(to_last(x, cf)), [int(v) for v in sizes],
                              _work(to_last(g, cf)), *self._geom(attrs))
        return dw.astype(x.dtype, copy=False)

    def grad(self, call, gw):
        x, sizes, g = call.inputs
        ops = _CONV_OPS[self.rank]
        dx = execute(ops[1], (array_ops.shape(x), gw, g), call.attrs)
        dg = execute(ops[0], (x, gw), call.attrs)
        return dx, None, dg


class _FusedConvBias(_ConvBase):
    """Conv followed by a per-channel bias add, as one kernel; made only by the compiler
    (ember.engine.fusion) from a channels-last Conv whose one consumer adds a bias.
    Inputs (x, w, bias)."""

    fresh_output = True
    differentiable = False

    def infer(self, inputs, **attrs):
        return _CONV_OPS[self.rank][0].infer(inputs[:2], **attrs)

    def kernel(self, xp, x, w, bias, **attrs):
        cf = channels_first(attrs["data_format"])
        y = conv_forward(_work(to_last(x, cf)), _work(w), *self._geom(attrs),
                         bias=_work(bias))
        return from_last(y, cf).astype(x.dtype, copy=False)


class _FusedConvBackprop(_ConvBase):
    """A Conv's input and filter gradients from one pass over dy (``conv_backprop``); made
    only by the compiler (ember.engine.fusion) from the two gradient ops of one
    convolution. Inputs (x, w, dy); outputs (dx, dw)."""

    num_outputs = 2
    fresh_output = True
    differentiable = False
    donatable = (2,)         # dx may take dy's buffer (compiler.reuse_buffers)

    def infer(self, inputs, **attrs):
        x, w, g = inputs
        return [(x.shape, x.dtype), (w.shape, w.dtype)]

    def kernel(self, xp, x, w, g, into=None, **attrs):
        cf = channels_first(attrs["data_format"])
        args = (_work(to_last(x, cf)), _work(w), _work(to_last(g, cf))) + self._geom(attrs)
        # into: the compiler found that no one reads dy after this (channels-last only)
        dx, dw = conv_backprop(*args, into=True) if into is not None and not cf else \
            conv_backprop(*args)
        return from_last(dx, cf).astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False)


class _ArraySpec:
    """A Spec for a kernel-time array (kernels run infer for their own checks)."""

    __slots__ = ("shape", "dtype", "value")

    def __init__(self, a, value=False):
        self.shape = TensorShape(a.shape)
        self.dtype = dtypes.from_numpy(a.dtype)
        self.value = a if value else None


_CONV_OPS = {}
for _r, _names in {1: ("Conv1D", "Conv1DBackpropInput", "Conv1DBackpropFilter"),
                   2: ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"),
                   3: ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2")}.items():
    _CONV_OPS[_r] = (_Conv(_names[0], _r), _ConvBackpropInput(_names[1], _r),
                     _ConvBackpropFilter(_names[2], _r))

CONV2D, CONV2D_BACKPROP_INPUT, CONV2D_BACKPROP_FILTER = _CONV_OPS[2]
FUSED_CONV_BIAS = {op.name: _FusedConvBias(f"_Fused{op.name}Bias", r)
                   for r, (op, _, _) in _CONV_OPS.items()}
FUSED_CONV_BACKPROP = {op.name: _FusedConvBackprop(f"_Fused{op.name}Backprop", r)
                       for r, (op, _, _) in _CONV_OPS.items()}


# ------------------------------------------------------------------ argument handling ---

def spatial_arg(value, r, name, op_name, data_format=None, default=1):
    """An int or a list of 1, r or r + 2 ints as a tuple of r positive ints."""
    if value is None:
        return (default,) * r
    if isinstance(value, Tensor):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)):
        vals = [int(value)] * r
    else:
        vals = [static_int(v, name, op_name) for v in value]
        if len(vals) == 1:
            vals = vals * r
        elif len(vals) == r + 2:
            cf = channels_first(data_format)
            outer = (vals[0], vals[1]) if cf else (vals[0], vals[-1])
            if outer != (1, 1):
                raise InvalidArgumentError(
                    f"{op_name}: {name} in the batch and depth dimensions must be 1, got "
                    f"{vals} [Op:{op_name}]")
            vals = vals[2:] if cf else vals[1:-1]
        elif len(vals) != r:
            raise InvalidArgumentError(
                f"{op_name}: {name} must be an int or a list of 1, {r} or {r + 2} ints, got "
                f"{list(value)} [Op:{op_name}]")
    if any(v <= 0 for v in vals):
        raise InvalidArgumentError(f"{op_name}: {name} must be positive, got {vals} "
                                   f"[Op:{op_name}]")
    return tuple(vals)


def padding_arg(padding, r, op_name, data_format=None, explicit=True):
    """'SAME', 'VALID' or a tuple of (lo, hi) pairs per spatial dimension."""
    if isinstance(padding, str):
        p = padding.upper()
        if p in ("SAME", "VALID"):
            return p
        if p == "EXPLICIT":
            raise ValueError(f"{op_name}: pass the explicit paddings as a list of pairs, not "
                             f"the string 'EXPLICIT'")
        raise ValueError(f"{op_name}: padding must be 'SAME', 'VALID' or a list of pairs, got "
                         f"{padding!r}")
    if not explicit:
        raise ValueError(f"{op_name}: padding must be 'SAME' or 'VALID', got {padding!r}")
    pairs = [tuple(int(v) for v in p) for p in np.asarray(padding).tolist()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"{op_name}: explicit padding must be a list of [before, after] "
                         f"pairs, got {padding!r}")
    if len(pairs) == r + 2:
        cf = channels_first(data_format)
        outer = (pairs[0], pairs[1]) if cf else (pairs[0], pairs[-1])
        if outer != ((0, 0), (0, 0)):
            raise ValueError(f"{op_name}: explicit padding of the batch and depth dimensions "
                             f"must be zero, got {padding!r}")
        pairs = pairs[2:] if cf else pairs[1:-1]
    elif len(pairs) != r:
        raise ValueError(f"{op_name}: explicit padding must have {r + 2} pairs, got "
                         f"{padding!r}")
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"{op_name}: explicit padding must be non-negative, got {padding!r}")
    return tuple(pairs)


def format_arg(data_format, r, op_name):
    if data_format is None:
        return _FORMATS[r][0]
    f = str(data_format).upper()
    if f in ("CHANNELS_LAST",):
        return _FORMATS[r][0]
    if f in ("CHANNELS_FIRST",):
        return _FORMATS[r][1]
    if f not in _FORMATS[r] and not (f.startswith("N") and len(f) == r + 2 and
                                     (f[1] == "C" or f[-1] == "C")):
        raise ValueError(f"{op_name}: data_format must be {' or '.join(_FORMATS[r])}, got "
                         f"{data_format!r}")
    return _FORMATS[r][1] if f[1] == "C" else _FORMATS[r][0]


def _float_pair(x, w):
    x = tensor(x)
    w = tensor(w, dtype_hint=x.dtype) if not isinstance(w, Tensor) else w
    return x, tensor(w)


def _conv(r, input, filters, strides, padding, data_format, dilations, name, op_name):
    fmt = format_arg(data_format, r, op_name)
    x, w = _float_pair(input, filters)
    attrs = {"strides": spatial_arg(strides, r, "strides", op_name, fmt),
             "dilations": spatial_arg(dilations, r, "dilations", op_name, fmt),
             "padding": padding_arg(padding, r, op_name, fmt),
             "data_format": fmt}
    return execute(_CONV_OPS[r][0], (x, w), attrs, name)


# -------------------------------------------------------------------- public functions ---

def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,
           name=None):  # noqa: A002
    """2-D convolution of ``input`` (N, H, W, C) with ``filters`` (kh, kw, C / groups, O).

    ``padding`` is 'SAME', 'VALID' or explicit ``[[0, 0], [top, bottom], [left, right],
    [0, 0]]``. When C is a multiple of the filter's input depth the convolution is grouped.

    >>> x = ember.ones([1, 3, 3, 1]); k = ember.ones([2, 2, 1, 1])
    >>> ember.nn.conv2d(x, k, 1, "VALID").numpy()[0, :, :, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
    """
    return _conv(2, input, filters, strides, padding, data_format, dilations, name, "Conv2D")


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,
           name=None):  # noqa: A002
    """1-D convolution of ``input`` (N, W, C) with ``filters`` (kw, C / groups, O).

    >>> ember.nn.conv1d(ember.ones([1, 4, 1]), ember.ones([3, 1, 1]), 1, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _conv(1, input, filters, stride, padding, data_format, dilations, name, "Conv1D")


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None,
           name=None):  # noqa: A002
    """3-D convolution of ``input`` (N, D, H, W, C) with ``filters`` (kd, kh, kw, C, O).

    >>> ember.nn.conv3d(ember.ones([1, 3, 3, 3, 1]), ember.ones([2, 2, 2, 1, 4]),
    ...                 [1, 1, 1, 1, 1], "VALID").shape
    TensorShape([1, 2, 2, 2, 4])
    """
    return _conv(3, input, filters, strides, padding, data_format, dilations, name, "Conv3D")


def convolution(input, filters, strides=None, padding="VALID", data_format=None,
                dilations=None, name=None):  # noqa: A002
    """N-D convolution (N = 1, 2 or 3 from the filter's rank).

    >>> ember.nn.convolution(ember.ones([1, 5, 2]), ember.ones([3, 2, 4])).shape
    TensorShape([1, 3, 4])
    """
    w = tensor(filters)
    r = w.shape.rank
    if r is None:
        r = tensor(input).shape.rank
    if r is None or not 3 <= r <= 5:
        raise ValueError(f"convolution: filters must be 3-, 4- or 5-dimensional, got shape "
                         f"{_shape_text(w.shape)}")
    return _conv(r - 2, input, w, strides, padding, data_format, dilations, name,
                 _CONV_OPS[r - 2][0].name)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """2-D convolution with dilation ``rate`` (NHWC, stride 1).

    >>> ember.nn.atrous_conv2d(ember.ones([1, 5, 5, 1]), ember.ones([2, 2, 1, 1]), 2,
    ...                        "VALID").shape
    TensorShape([1, 3, 3, 1])
    """
    return conv2d(value, filters, 1, padding, dilations=rate, name=name)


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):  # noqa: A002
    """Transposed N-D convolution (the gradient of ``convolution`` w.r.t. its input).

    ``filters`` is (*k, output_channels, input_channels); ``output_shape`` the full output
    shape (or just its spatial sizes).

    >>> ember.nn.conv_transpose(ember.ones([1, 2, 2, 1]), ember.ones([2, 2, 1, 1]),
    ...                         [1, 4, 4, 1], 2).shape
    TensorShape([1, 4, 4, 1])
    """
    w = tensor(filters)
    r = w.shape.rank
    if r is None or not 3 <= r <= 5:
        raise ValueError(f"conv_transpose: filters must be 3-, 4- or 5-dimensional, got shape "
                         f"{_shape_text(w.shape)}")
    return _conv_transpose(r - 2, input, w, output_shape, strides, padding, data_format,
                           dilations, name)


def _conv_transpose(r, input, filters, output_shape, strides, padding, data_format, dilations,
                    name):
    op = _CONV_OPS[r][1]
    fmt = format_arg(data_format, r, op.name)
    x, w = _float_pair(input, filters)
    attrs = {"strides": spatial_arg(strides, r, "strides", op.name, fmt),
             "dilations": spatial_arg(dilations, r, "dilations", op.name, fmt),
             "padding": padding_arg(padding, r, op.name, fmt),
             "data_format": fmt}
    _check_rank(op.name, x, r + 2, "input")
    _check_rank(op.name, w, r + 2, "filter")
    sizes = _output_shape_arg(output_shape, r, x, w, fmt, op.name)
    return execute(op, (sizes, w, x), attrs, name)


def _output_shape_arg(output_shape, r, x, w, fmt, op_name):
    if isinstance(output_shape, TensorShape):
        output_shape = output_shape.as_list()
    if isinstance(output_shape, (list, tuple)) and len(output_shape) == r:
        batch = x.shape[0]
        batch = array_ops.shape(x)[0] if batch is None else batch
        c = w.shape[r]
        cf = channels_first(fmt)
        output_shape = [batch, c] + list(output_shape) if cf else \
            [batch] + list(output_shape) + [c]
    sizes = shape_arg(output_shape, op_name)
    if sizes.dtype is not dtypes.int32:
        sizes = array_ops.cast(sizes, dtypes.int32)
    n = sizes.shape[0] if sizes.shape.rank == 1 else None
    if sizes.shape.rank != 1 or (n is not None and n != r + 2):
        raise ValueError(f"{op_name}: output_shape must have {r + 2} elements, got shape "
                         f"{_shape_text(sizes.shape)}")
    return sizes


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """Transposed 2-D convolution: ``filters`` is (kh, kw, out_channels, in_channels).

    >>> ember.nn.conv2d_transpose(ember.ones([1, 2, 2, 3]), ember.ones([3, 3, 5, 3]),
    ...                           [1, 4, 4, 5], 2).shape
    TensorShape([1, 4, 4, 5])
    """
    return _conv_transpose(2, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NWC", dilations=None, name=None):  # noqa: A002
    """Transposed 1-D convolution: ``filters`` is (kw, out_channels, in_channels).

    >>> ember.nn.conv1d_transpose(ember.ones([1, 3, 2]), ember.ones([3, 4, 2]), [1, 6, 4],
    ...                           2).shape
    TensorShape([1, 6, 4])
    """
    return _conv_transpose(1, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    """Transposed 3-D convolution: ``filters`` is (kd, kh, kw, out_channels, in_channels).

    >>> ember.nn.conv3d_transpose(ember.ones([1, 2, 2, 2, 1]), ember.ones([2, 2, 2, 3, 1]),
    ...                           [1, 4, 4, 4, 3], 2).shape
    TensorShape([1, 4, 4, 4, 3])
    """
    return _conv_transpose(3, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):  # noqa: A002
    """Depthwise 2-D convolution: each input channel c is convolved with its own
    ``filter[:, :, c, :]`` (kh, kw, C, multiplier); output channel c * multiplier + m.

    >>> ember.nn.depthwise_conv2d(ember.ones([1, 3, 3, 2]), ember.ones([2, 2, 2, 3]),
    ...                           [1, 1, 1, 1], "VALID").shape
    TensorShape([1, 2, 2, 6])
    """
    op_name = "DepthwiseConv2dNative"
    fmt = format_arg(data_format, 2, op_name)
    x, w = _float_pair(input, filter)
    _check_rank(op_name, x, 4, "input")
    _check_rank(op_name, w, 4, "filter")
    c = x.shape[1] if channels_first(fmt) else x.shape[3]
    kh, kw, fc, m = w.shape.as_list()
    if c is not None and fc is not None and c != fc:
        raise InvalidArgumentError(
            f"{op_name}: input and filter must have the same depth: {c} vs {fc} (input shape "
            f"{_shape_text(x.shape)}, filter shape {_shape_text(w.shape)}) [Op:{op_name}]")
    if fc is None or m is None:
        raise ValueError(f"{op_name}: the filter's shape must be known, got "
                         f"{_shape_text(w.shape)}")
    w = array_ops.reshape(w, [kh, kw, 1, fc * m])
    return conv2d(x, w, strides, padding, fmt, dilations, name)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):  # noqa: A002
    """A depthwise convolution followed by a 1x1 (pointwise) convolution.

    >>> ember.nn.separable_conv2d(ember.ones([1, 4, 4, 2]), ember.ones([3, 3, 2, 2]),
    ...                           ember.ones([1, 1, 4, 5]), [1, 1, 1, 1], "SAME").shape
    TensorShape([1, 4, 4, 5])
    """
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", format_arg(data_format, 2, "Conv2D"),
                  name=name)


from ember.ops.image_ops import depth_to_space, space_to_depth  # noqa: E402
