"""NumPy fast paths shared by kernels and compiled plans.

NumPy's reductions and broadcasts lose much of their speed on the shapes convolutional
networks produce: many positions times a few dozen channels. These helpers give the same
results faster on those shapes and fall back to plain NumPy elsewhere.
"""
from __future__ import annotations

import math

import numpy as np

from ember.runtime import parallel, tuning


_ONES = {}


def add_reduce(a, axes, keepdims=False):
    """``np.add.reduce(a, axes, keepdims)`` in ``a``'s dtype.

    A sum over the leading axes of a large C-contiguous float32/float64 array (a bias or
    batch-norm gradient: every position of every channel) runs as one BLAS
    vector-matrix product, several times faster than NumPy's row-by-row loop there."""
    n = len(axes)
    if n and n < a.ndim and a.dtype.char in "fd" and a.size >= 4096 and \
            axes == tuple(range(n)) and a.flags.c_contiguous:
        m = a.size // math.prod(a.shape[n:]) if a.size else 0
        if m >= 16:
            key = (m, a.dtype.char)
            ones = _ONES.get(key)
            if ones is None:
                if len(_ONES) > 64:
                    _ONES.clear()
                ones = _ONES[key] = np.ones(m, a.dtype)
            with parallel.single_threaded_blas():
                out = ones @ a.reshape(m, -1)
            return out.reshape(((1,) * n if keepdims else ()) + a.shape[n:])
    return np.add.reduce(a, axis=axes, keepdims=keepdims, dtype=a.dtype)


_ROWS = {}


def _wide_rows(size, c):
    """(R, L, k): rows of L = k * c elements for a C-contiguous array of ``size`` elements
    whose last axis has ``c``, with k dividing size // c; None when not worth it."""
    key = (size, c)
    geo = _ROWS.get(key, False)
    if geo is not False:
        return geo
    geo = None
    if 0 < c < 256 and size >= 65536:
        p = size // c
        k0 = -(-8192 // c)
        for k in range(k0, min(p // 4, 8 * k0) + 1):
            if p % k == 0:
                geo = (p // k, k * c, k)
                break
    if len(_ROWS) > 256:
        _ROWS.clear()
    _ROWS[key] = geo
    return geo


def widen_operands(arrays):
    """Elementwise operands re-viewed for long inner loops, or None.

    NumPy runs ``x + bias`` on x of shape (64, 28, 28, 32) and bias of shape (32,) as one
    inner loop per 32 elements, three to four times slower than a same-shape sum. When one
    operand is a large C-contiguous array of shape S with a narrow last axis and every other
    one has shape S (C-contiguous too), is a scalar, or holds one value per channel, this
    returns them viewed as rows of thousands of elements (the per-channel values tiled
    along a row) and S; the result of the elementwise work is reshaped back to S."""
    big = None
    for a in arrays:
        if type(a) is np.ndarray and a.size >= 65536:
            big = a
            break
    if big is None or big.ndim < 2:
        return None
    shape = big.shape
    c = shape[-1]
    geo = _wide_rows(big.size, c)
    if geo is None:
        return None
    rows, length, k = geo
    out = []
    for a in arrays:
        if type(a) is not np.ndarray:
            out.append(a)
        elif a.shape == shape:
            if not a.flags.c_contiguous:
                return None
            out.append(a.reshape(rows, length))
        elif a.ndim > len(shape):
            return None
        elif a.size == 1:
            out.append(a.reshape(()))
        elif a.shape[-1] == c and a.size == c:
            out.append(np.tile(a.reshape(c), k))
        else:
            return None
    return out, shape


def channel_ufunc(ufunc, arrays, out=None):
    """``ufunc(*arrays, out=out)``, run over long rows when ``widen_operands`` applies."""
    wide = widen_operands(arrays)
    if wide is None:
        return ufunc(*arrays) if out is None else ufunc(*arrays, out=out)
    ops, shape = wide
    if out is None:
        return ufunc(*ops).reshape(shape)
    return ufunc(*ops, out=out.reshape(np.broadcast_shapes(*[np.shape(a) for a in ops]))
                 ).reshape(shape)


class ChannelBlocks:
    """Cache-sized blocks of the rows of a C-contiguous (P, C) array, for kernels that make
    several passes with per-channel values (batch norm).

    Each block has a multiple of ``k`` rows and is viewed as wide rows of ``k * C``
    elements, so per-channel vectors (tiled ``k`` times by ``tiles``) broadcast along long
    inner loops; only a last block of fewer than k rows keeps its (rows, C) shape. ``run``
    hands the blocks to ember's threads.

    Blocks of at most tuning.CHANNEL_BLOCK_BYTES, as many as a multiple of the threads."""

    def __init__(self, p, c, itemsize):
        self.p, self.c = p, c
        self.k = k = max(1, -(-2048 // max(c, 1)))
        self.rows = k * max(1, tuning.CHANNEL_BLOCK_BYTES // (k * max(c, 1) * itemsize))
        self.threaded = parallel.worth_threads(p, c)

    def tiles(self, vectors, dtype):
        """Per-channel vectors, each repeated k times along wide rows, as the rows of one
        (len(vectors), k * C) array of dtype (made by one broadcast copy)."""
        out = np.empty((len(vectors), self.k, self.c), dtype)
        out[...] = np.asarray(vectors)[:, None, :]
        return out.reshape(len(vectors), self.k * self.c)

    def blocks(self):
        """Row ranges (r0, r1): blocks of about equal size, each a multiple of k rows (at
        most ``rows``; a multiple of the threads in number when threads pay), then the
        last p % k rows on their own, so every block but that short one is viewed as wide
        rows and summed along short columns."""
        whole = self.p - self.p % self.k
        n = -(-whole // self.rows)
        if self.threaded:
            t = parallel.num_threads()
            n = t * -(-n // t)                 # a multiple of the threads
        out = []
        if whole:
            step = -(-(-(-whole // n)) // self.k) * self.k
            out = [(r, min(r + step, whole)) for r in range(0, whole, step)]
        if whole < self.p:
            out.append((whole, self.p))
        return out

    def run(self, fn):
        """``fn(r0, r1)`` for every block, across threads when the array is large enough;
        the results in block order."""
        blocks = self.blocks()
        if not self.threaded:
            return [fn(r0, r1) for r0, r1 in blocks]
        return parallel.map_items(lambda i: fn(*blocks[i]), len(blocks))

    def view(self, a, r0, r1):
        """Rows r0:r1 of a (P, C) array, as wide rows when their count allows."""
        b = a[r0:r1]
        n = r1 - r0
        return b.reshape(n // self.k, self.k * self.c) if n % self.k == 0 else b

    def vec(self, tiled, b):
        """The tiled per-channel vector that broadcasts against block view ``b``."""
        return tiled if b.shape[-1] == tiled.shape[0] else tiled[:self.c]

    @staticmethod
    def sum_rows(b):
        """The column sums of a block view."""
        return np.add.reduce(b, axis=0)

    @staticmethod
    def dot_rows(a, b):
        """The column sums of a * b (block views of one shape)."""
        return np.einsum("ij,ij->j", a, b)

    def totals(self, parts, count):
        """Per-block tuples of ``count`` column sums (wide or not) added up in float64:
        a (count, C) array, one row per sum (zeros when there are no blocks)."""
        out = None
        for width in {len(part[0]) for part in parts}:
            same = np.add.reduce(np.array([part for part in parts if len(part[0]) == width]),
                                 axis=0, dtype=np.float64)
            if width != self.c:
                same = np.add.reduce(same.reshape(count, -1, self.c), axis=1)
            out = same if out is None else out + same
        return np.zeros((count, self.c)) if out is None else out

    def per_channel(self, sums):
        """A block's column sums (wide or not) as one float64 value per channel."""
        sums = sums.astype(np.float64)
        return self.fold(sums) if sums.shape[0] != self.c else sums

    def fold(self, acc):
        """A k * C accumulator summed to one value per channel."""
        return acc.reshape(self.k, self.c).sum(axis=0)


_FACTORS = {}


def wide_factor(p, c):
    """k dividing p with k * c between 1024 and 16384 (the widest such), or 1: rows of a
    (p, c) array grouped k at a time make inner loops long enough for NumPy."""
    key = (p, c)
    k = _FACTORS.get(key)
    if k is None:
        k = 1
        if 0 < c < 1024:
            for cand in range(max(1, 16384 // c), -(-1024 // c) - 1, -1):
                if p % cand == 0:
                    k = cand
                    break
        if len(_FACTORS) > 512:
            _FACTORS.clear()
        _FACTORS[key] = k
    return k


class PerChannel:
    """A per-channel vector applied with a ufunc to C-contiguous (P, C) blocks in place,
    with the vector tiled along wide rows (tiles cached per width)."""

    __slots__ = ("v", "_tiles")

    def __init__(self, v):
        self.v = v
        self._tiles = {}

    def apply(self, ufunc, a2):
        p, c = a2.shape
        k = wide_factor(p, c)
        if k == 1:
            ufunc(a2, self.v, out=a2)
            return
        t = self._tiles.get(k)
        if t is None:
            t = self._tiles[k] = np.tile(self.v, k)
        w = a2.reshape(p // k, k * c)
        ufunc(w, t, out=w)




def run_in_chunks(arrays, steps, into=None):
    """A tree of elementwise ufunc steps (FusedElementwise's ``steps``) run chunk by chunk
    across threads, so its temporaries stay in cache and each input is read once from
    memory; None when the operands are not all one large C-contiguous shape or scalars.
    ``into``: one of the inputs, whose buffer receives the result when its dtype fits
    (chunk by chunk, after the chunk's inputs were read)."""
    shape = None
    for a in arrays:
        if type(a) is np.ndarray and a.size >= tuning.MIN_CHUNKED:
            shape = a.shape
            break
    if shape is None:
        return None
    flat = []
    for a in arrays:
        if type(a) is np.ndarray and a.shape == shape:
            if not a.flags.c_contiguous:
                return None
            flat.append(a.reshape(-1))
        elif np.ndim(a) == 0 or (type(a) is np.ndarray and a.size == 1 and
                                 a.ndim <= len(shape)):
            flat.append(a.reshape(()) if type(a) is np.ndarray else a)
        else:
            return None
    n = math.prod(shape)
    probe = run_steps([f[:1] if np.ndim(f) else f for f in flat], steps, None)
    if type(into) is np.ndarray and into.shape == shape and into.dtype == probe.dtype and \
            into.flags.c_contiguous and into.flags.writeable:
        out = into.reshape(-1)
    else:
        out = np.empty(n, probe.dtype)

    def chunk(i):
        a = i * tuning.CHUNK
        b = min(a + tuning.CHUNK, n)
        run_steps([f[a:b] if np.ndim(f) else f for f in flat], steps, out[a:b])

    parallel.map_items(chunk, -(-n // tuning.CHUNK))
    return out.reshape(shape)


def update_in_place(ufunc, buf, value):
    """``ufunc(buf, value, out=buf)``, chunk by chunk across threads when both are one large
    C-contiguous shape (a variable's in-place update by an optimizer)."""
    if type(value) is not np.ndarray or value.shape != buf.shape or buf.size < tuning.MIN_CHUNKED \
            or not (buf.flags.c_contiguous and value.flags.c_contiguous):
        ufunc(buf, value, out=buf)
        return
    b, v = buf.reshape(-1), value.reshape(-1)

    def chunk(i):
        s = slice(i * tuning.CHUNK, (i + 1) * tuning.CHUNK)
        ufunc(b[s], v[s], out=b[s])

    parallel.map_items(chunk, -(-b.size // tuning.CHUNK))


def _fits(ufunc, vals, buf):
    """Whether ``ufunc(*vals)`` makes an array of buf's shape and dtype, computed in that
    dtype (not a comparison's booleans, which a float buffer would turn into numbers)."""
    dt = buf.dtype
    return np.shape(buf) == np.broadcast_shapes(*map(np.shape, vals)) and \
        np.result_type(*vals) == dt and \
        f"{dt.char * ufunc.nin}->{dt.char}" in ufunc.types


def run_steps(env, steps, out, writable=None, scratch=False):
    """Runs the steps on chunk operands, the last one into ``out``; a step computes in
    place only in an earlier step's temporary, never in an input, or (``writable``: an
    operand's index) in that operand where no later step reads it (a temporary the
    caller made for this call). ``scratch``: ``out`` shares no memory with the operands,
    so the step before the last may compute in it too when only the last reads its result
    (fewer buffers for a block's tree to pass through the cache: a momentum update's
    block measured twice as fast)."""
    env = list(env)
    n_in = len(env)
    last = len(steps) - 1
    for k, (ufunc, args, inplace) in enumerate(steps):
        vals = [env[a] for a in args]
        if k == last and out is not None:
            env.append(ufunc(*vals, out=out))
        elif scratch and k == last - 1 and out is not None and \
                steps[last][1].count(n_in + k) == 1 and _fits(ufunc, vals, out):
            env.append(ufunc(*vals, out=out))
        elif inplace is not None and args[inplace] >= n_in and \
                type(vals[inplace]) is np.ndarray:
            env.append(ufunc(*vals, out=vals[inplace]))
        elif writable is not None and writable in args and \
                type(env[writable]) is np.ndarray and _fits(ufunc, vals, env[writable]) and \
                all(writable not in later[1] for later in steps[k + 1:]):
            env.append(ufunc(*vals, out=env[writable]))
        else:
            env.append(ufunc(*vals))
    return env[-1]


def raw_sums_fit(mean, var):
    """True when raw sums keep batch statistics with these (float64) means and variances
    precise (see tuning.RAW_SPREAD)."""
    return bool(np.all(mean * mean <= tuning.RAW_SPREAD * var))


def moments(b2):
    """Per-channel moments of the rows of a C-contiguous (P, C) block: (P, m, d, m2) with
    the block mean m + d (m the block's first row, d in float64) and m2 the sum of squared
    deviations from it, taken around m and corrected by d: m is one of the block's values,
    so d is of the order of the spread and neither loses precision next to a large mean.
    ``combine_moments`` joins blocks."""
    p, c = b2.shape
    k = wide_factor(p, c)
    w = b2.reshape(p // k, k * c)
    acc = np.float64 if k == 1 else None     # narrow rows: sum long columns in float64

    def per_channel(s):
        return s.reshape(k, c).sum(axis=0, dtype=np.float64)

    m = b2[0]
    t = np.subtract(w, np.tile(m, k) if k > 1 else m)
    d = per_channel(np.add.reduce(t, axis=0, dtype=acc)) / p
    sq = per_channel(np.einsum("ij,ij->j", t, t, dtype=acc))
    return p, m.astype(np.float64), d, sq - p * d * d


def combine_moments(parts, c):
    """(mean, biased variance) in float64 of blocks' ``moments`` (Chan's formula, with the
    block means taken as offsets from the first: close floats subtract exactly)."""
    parts = [q for q in parts if q[0]]
    if not parts:
        return np.zeros(c), np.zeros(c)
    n = sum(q[0] for q in parts)
    m0, d0 = parts[0][1], parts[0][2]
    offsets = [(k, (m - m0) + (d - d0), m2) for k, m, d, m2 in parts]
    shift = sum(k * o for k, o, _ in offsets) / n
    var = sum(m2 + k * (o - shift) ** 2 for k, o, m2 in offsets) / n
    return m0 + (d0 + shift), np.maximum(var, 0.0)
