"""Projective image transforms (TensorFlow's ImageProjectiveTransformV3), as a composite:
each output pixel (x, y) reads the input at ((a0 x + a1 y + a2) / k, (a3 x + a4 y + a5) / k),
k = a6 x + a7 y + 1, with nearest or bilinear interpolation and a fill mode outside."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.ops import array_ops, creation_ops, math_ops
from ember.ops._base import tensor

__all__ = ["affine_transform", "check_sampling", "sample_image"]

FILL_MODES = ("constant", "nearest", "reflect", "wrap", "mirror")


def _map(coord, size, mode):
    """Source coordinates brought inside [0, size - 1] by the fill mode (not 'constant')."""
    n = float(size)
    if mode == "nearest":
        return math_ops.clip_by_value(coord, 0.0, n - 1)
    if mode == "wrap":
        # TensorFlow's kernel: shift by whole multiples of size, counted in steps of
        # size - 1, then clamp (so a coordinate just outside reads the edge pixel)
        if size <= 1:
            return coord * 0.0
        step = n - 1
        below = coord + n * (math_ops.floor(-coord / step) + 1.0)
        above = coord - n * math_ops.floor(coord / step)
        out = array_ops.where(math_ops.less(coord, 0.0), below,
                              array_ops.where(math_ops.greater(coord, step), above, coord))
        return math_ops.clip_by_value(out, 0.0, step)
    if size <= 1:
        return coord * 0.0
    if mode == "reflect":  # ... 1 0 | 0 1 2 ... n-1 | n-1 n-2 ...
        period = 2.0 * n
        t = math_ops.floormod(coord, period)
        return math_ops.clip_by_value(array_ops.where(math_ops.less(t, n), t, period - 1.0 - t),
                                      0.0, n - 1)
    period = 2.0 * (n - 1)  # mirror: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    t = math_ops.floormod(coord, period)
    return array_ops.where(math_ops.less_equal(t, n - 1), t, period - t)


def check_sampling(op, interpolation, fill_mode="constant", fill_modes=FILL_MODES):
    """Raises a ValueError naming ``op`` for an unknown interpolation or fill mode."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: `interpolation` must be 'nearest' or 'bilinear'. "
                         f"Received: interpolation={interpolation!r}")
    if fill_mode not in fill_modes:
        raise ValueError(f"{op}: `fill_mode` must be one of {fill_modes}. Received: "
                         f"fill_mode={fill_mode!r}")


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Applies one 8-parameter projective transform per image of ``images`` (N, H, W, C);
    ``transforms`` (N, 8) or (1, 8) maps output to input coordinates."""
    x = tensor(images)
    if x.shape.rank != 4 or None in x.shape.as_list()[1:]:
        raise ValueError(f"affine_transform: images must be (N, H, W, C) with known height, "
                         f"width and channels, got shape {x.shape}")
    check_sampling("affine_transform", interpolation, fill_mode)
    _, h, w, c = x.shape.as_list()
    dtype = x.dtype if x.dtype.is_floating else dtypes.float32
    xf = math_ops.cast(x, dtype)
    t = math_ops.cast(tensor(transforms), dtype)
    n = array_ops.shape(x)[0]
    t = array_ops.broadcast_to(t, array_ops.stack([n, 8]))
    gy, gx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                         indexing="ij")
    gx = math_ops.cast(tensor(gx.reshape(1, h, w)), dtype)
    gy = math_ops.cast(tensor(gy.reshape(1, h, w)), dtype)
    a = [array_ops.reshape(t[:, i], [-1, 1, 1]) for i in range(8)]
    k = a[6] * gx + a[7] * gy + 1.0
    sx = (a[0] * gx + a[1] * gy + a[2]) / k
    sy = (a[3] * gx + a[4] * gy + a[5]) / k
    out = sample_image(xf, sx, sy, interpolation, fill_mode, fill_value)
    return math_ops.cast(out, x.dtype) if x.dtype != dtype else out


def sample_image(images, sx, sy, interpolation="bilinear", fill_mode="constant",
                 fill_value=0.0):
    """Reads the float images (N, H, W, C) at source coordinates ``sx``, ``sy`` (N, H', W')
    with nearest or bilinear interpolation; coordinates outside are brought in by
    ``fill_mode`` ('constant': each neighbour outside reads ``fill_value``)."""
    xf = images
    dtype = xf.dtype
    _, h, w, _ = xf.shape.as_list()
    if fill_mode != "constant":
        sx, sy = _map(sx, w, fill_mode), _map(sy, h, fill_mode)
    batch = array_ops.broadcast_to(
        array_ops.reshape(math_ops.cast(creation_ops.range(array_ops.shape(xf)[0]),
                                        dtypes.int32), [-1, 1, 1]),
        array_ops.shape(sx))
    fill = math_ops.cast(fill_value, dtype)

    def read(yi, xi):
        inside = math_ops.logical_and(
            math_ops.logical_and(math_ops.greater_equal(yi, 0.0), math_ops.less_equal(yi, h - 1.0)),
            math_ops.logical_and(math_ops.greater_equal(xi, 0.0), math_ops.less_equal(xi, w - 1.0)))
        yc = math_ops.cast(math_ops.clip_by_value(yi, 0.0, h - 1.0), dtypes.int32)
        xc = math_ops.cast(math_ops.clip_by_value(xi, 0.0, w - 1.0), dtypes.int32)
        v = array_ops.gather_nd(xf, array_ops.stack([batch, yc, xc], -1))
        return array_ops.where(inside[..., None], v, array_ops.zeros_like(v) + fill)

    if interpolation == "nearest":    # halves round away from zero, as std::round
        def away(v):
            return math_ops.sign(v) * math_ops.floor(math_ops.abs(v) + 0.5)
        return read(away(sy), away(sx))
    x0, y0 = math_ops.floor(sx), math_ops.floor(sy)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    top = read(y0, x0) * (1.0 - fx) + read(y0, x0 + 1.0) * fx
    bottom = read(y0 + 1.0, x0) * (1.0 - fx) + read(y0 + 1.0, x0 + 1.0) * fx
    return top * (1.0 - fy) + bottom * fy
