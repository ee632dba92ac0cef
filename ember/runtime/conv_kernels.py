"""Blocked convolution kernels (channels-last): forward, input gradient, filter gradient
and both gradients in one pass, with their patch buffers and BLAS product shapes.

The op definitions (shapes, dtypes, gradients) are in ember/ops/conv_ops.py; this module
is the machinery they run: im2col on blocks of images kept in cache, products shaped for
BLAS's small-matrix kernel, work shared across ember's threads (ember.runtime.parallel).
Tuning constants are in ember.runtime.tuning.
"""
from __future__ import annotations

import math

import numpy as np

from ember.runtime import parallel, tuning
from ember.runtime.fastpath import PerChannel
from ember.runtime.memory import aligned, empty_aligned, thread_cache
from ember.runtime.windows import crop_spatial, taps, window_geometry, windows

__all__ = ["conv_backprop", "conv_filter_grad", "conv_forward", "conv_input_grad",
           "flipped_filter"]

# Each kernel cuts the batch into groups of whole images (tuning.CONV_GROUP_BYTES of
# patches, as many groups per thread; an image with more than tuning.CONV_BLOCK_BYTES of
# patches is cut into blocks of output rows); the threads of ember.runtime.parallel take
# the groups one after another. A group's images are padded in one copy, then their
# patches are made and multiplied tuning.CONV_SUB_BYTES at a time, so the patches are
# read back while they are still in the core's cache. Blocks of whole padded images (the
# common case) run through views and products prepared once per thread and geometry
# (``_Patches.plan``): a block is then a copy and a product or two and almost no Python.
# Each block's product runs as a stack of small products where BLAS reads those in place
# (``_product``).


def _block_shape(outs, k, itemsize):
    """(images per group, output rows per block) for patch rows of k values: whole images
    up to tuning.CONV_GROUP_BYTES of patches, or one image in blocks of rows of about
    tuning.CONV_BLOCK_BYTES."""
    per_row = math.prod(outs[1:]) * k * itemsize
    per_image = per_row * outs[0]
    if per_image <= tuning.CONV_BLOCK_BYTES:
        return max(1, tuning.CONV_GROUP_BYTES // max(per_image, 1)), outs[0]
    return 1, max(1, tuning.CONV_BLOCK_BYTES // max(per_row, 1))


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
               tuple(outs), tuple(pads), groups, images, tuning.CONV_BLOCK_BYTES,
               tuning.CONV_SUB_BYTES, tuning.CONV_ALIGN)
        cache = thread_cache("conv.patches")
        patches = cache.pop(key, None)
        if patches is None:
            patches = cls(x, ksize, strides, dilations, outs, pads, groups, images)
            total = patches.nbytes + sum(p.nbytes for p in cache.values())
            while cache and total > tuning.CONV_CACHE_BYTES:     # least recently used first
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
        # whole images tuning.CONV_SUB_BYTES of patches at a time (at least one), or a
        # block of rows
        self.per = max(1, tuning.CONV_SUB_BYTES // max(self.image_bytes, 1))
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
            self.cols = empty_aligned((k + 1, most), x.dtype, tuning.CONV_ALIGN)
            self.cols[k] = 1
        else:
            self.cols = empty_aligned(most * k * groups, x.dtype, tuning.CONV_ALIGN)
        self.nbytes = self.cols.nbytes + (self.buf.nbytes if self.padded else 0)

    def blocks(self, x, s, e):
        """(s2, e2, r0, r1, cols) for output rows r0:r1 of images s2:e2 of x (C-contiguous),
        covering images s:e; cols is (P, K) for one group, (G, P, K) for several, valid
        until the next block. Whole images come tuning.CONV_SUB_BYTES of patches at a time."""
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
        return self.padded and not self.tap_major and self.groups == 1 and \
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
        key = (count, n, cx, parallel.small_gemm_macs(), tuning.MIN_STACK_ROWS_PRODUCT,
               tuning.MIN_STACK_ROWS)
        plan = self._plans.get(key)
        if plan is None:
            plan = []
            for j, j2, src, dst, cols in self.sub_blocks(count):
                m, k = cols.shape
                r = _small_rows(m, k, n, cols.dtype, tuning.MIN_STACK_ROWS_PRODUCT)
                whole = m - m % r if r else m
                a3 = cols[:whole].reshape(-1, r, k) if r else cols
                rest = cols[whole:] if whole < m else None
                kr = _k_rows(m, cx, k, cols.dtype) if cx else 0
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
        """For the first ``count`` images of the padded buffer, tuning.CONV_SUB_BYTES of
        patches at a time: (first, end, windows, patch buffer shaped like them, patch
        matrix), views made once."""
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


def _small_rows(m, k, n, dtype, least=None):
    """Rows per product when an (m, k) @ (k, n) product pays to run as a stack of products
    that BLAS's unpacked small-matrix kernel takes (see parallel.small_gemm_macs), else 0;
    ``least``: the fewest rows worth it (tuning.MIN_STACK_ROWS by default)."""
    limit = parallel.small_gemm_macs()
    if not limit or dtype != np.float32 or m * k * n <= limit:
        return 0
    r = limit // (k * n)
    if r < (tuning.MIN_STACK_ROWS if least is None else least):
        return 0
    rows = m // -(-m // r)
    if m % rows:
        # rows left for a last product, which packs the whole right operand for them: a
        # divisor of m from half the rows up instead where there is one (a 16x16 image's
        # 256 rows against 576 x 64: stacks of 16 run 17% faster than of 25 and a rest)
        exact = [d for d in range(rows, rows // 2 - 1, -1) if d and m % d == 0]
        if exact:
            return exact[0]
    return rows


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
    return max((d for d in range(tuning.MIN_K_STACK_ROWS, most + 1) if k % d == 0), default=0)


def _product(a, b, out):
    """out = a @ b for an (M, K) a whose rows are contiguous or whose columns are (the
    transposed view of tap-major patches: -15% on a first layer's forward pass) and an
    (M, N) out with contiguous rows, as a stack of small products where BLAS runs those
    faster."""
    m, k = a.shape
    n = b.shape[1]
    r = _small_rows(m, k, n, a.dtype, tuning.MIN_STACK_ROWS_PRODUCT)
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
    groups as fit in tuning.CONV_GROUP_BYTES of patches, as many for each thread.
    With ``writes`` (the job writes or reads an output-sized image per image: a forward
    pass, a filter gradient) each output value counts as at least 32 multiply-adds: with
    few taps and channels that traffic is the work (a first layer's filter gradient on two
    threads: -0.25 ms on the MiniVGG step)."""
    n = x.shape[0]
    k = math.prod(ksize) * (x.shape[-1] // groups)
    images = _block_shape(outs, k, x.itemsize)[0]
    work = math.prod(outs) * o * (max(k, 32) if writes else k)
    small = not parallel.worth_threads(n, work, tuning.MIN_MACS)
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
    if math.prod(outs) == 0:        # a window longer than the input: nothing reads x
        return np.zeros(tuple(in_shape), np.result_type(w.dtype, g.dtype))
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
    if x.shape[0] == 0 or g.size == 0:
        return np.zeros(tuple(w_shape), np.result_type(x.dtype, g.dtype))
    group, finish, size = _filter_job(x, w_shape, g, strides, dilations, padding)
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
            (wide and not (parallel.small_gemm_macs() and
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
