"""Sliding-window geometry and views for convolutions and poolings, channels-last.

``window_geometry`` gives output sizes and pads with TensorFlow's SAME/VALID/explicit rules;
``windows`` views every window of a padded array without copying; ``taps`` iterates over
a kernel's positions. Used by the convolution, pooling and patch-extraction kernels.
"""
from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember.framework.errors import InvalidArgumentError

__all__ = ["channels_first", "crop_spatial", "from_last", "pad_spatial", "tap_slices", "taps",
           "to_last", "window_geometry", "windows", "work_dtype"]


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
        else:
            lo, hi = (0, 0) if padding == "VALID" else padding[i]
            # TensorFlow's size, its division truncating toward zero: a window at most
            # 2 * stride - 1 longer than the (padded) input gives an empty output
            span = n + lo + hi - eff + s
            o = span // s if span >= 0 else -(-span // s)
        if o < 0:
            raise InvalidArgumentError(
                f"{op_name}: Computed output size would be negative: {o} [input_size: "
                f"{n}, effective_filter_size: {eff}, stride: {s}] — the window is larger "
                f"than the{' padded' if lo or hi else ''} input [Op:{op_name}]")
        outs.append(o)
        pads.append((lo, hi))
    return tuple(outs), tuple(pads)


def tap_slices(tap, strides, dilations, outs):
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


def work_dtype(a):
    """a in float32 when its type is narrower (half-precision kernels compute in float32)."""
    return a.astype(np.float32) if a.dtype.itemsize < 4 else a


def to_last(a, cf):
    return np.moveaxis(a, 1, -1) if cf else a


def from_last(a, cf):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1)) if cf else a
