"""NumPy fast paths shared by kernels and compiled plans.

NumPy's reductions and broadcasts lose much of their speed on the shapes convolutional
networks produce: many positions times a few dozen channels. These helpers give the same
results faster on those shapes and fall back to plain NumPy elsewhere.
"""
from __future__ import annotations

import math

import numpy as np


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
