"""Image augmentation transforms on NumPy arrays (Keras 2's
``keras.preprocessing.image.apply_*`` functions), without SciPy.

``apply_affine_transform`` samples the input at the points of an affine map of the output
grid, as ``scipy.ndimage.affine_transform`` does (order 0 nearest, order 1 bilinear), with
the fill modes "constant", "nearest", "reflect" (half-sample symmetric) and "wrap"
(period n - 1, as SciPy's legacy "wrap").
"""
from __future__ import annotations

import numpy as np

__all__ = ["apply_affine_transform", "apply_channel_shift", "apply_brightness_shift",
           "flip_axis", "random_rotation", "random_shift", "random_shear", "random_zoom",
           "random_channel_shift", "random_brightness", "transform_matrix_offset_center"]

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` (3x3) moved to act around the centre of an x-by-y grid."""
    ox, oy = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    to_center = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    back = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    return to_center @ matrix @ back


def _map_index(idx, n, mode):
    """Integer sample positions mapped into 0..n-1: reflected, else clipped (constant mode's
    caller masks what falls outside)."""
    if mode == "reflect":
        m = np.mod(idx, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    return np.clip(idx, 0, n - 1)


def _map_coordinate(x, n, mode):
    """A float position moved into [0, n - 1] as SciPy does before order-0 sampling
    (reflect) and for its legacy "wrap" (period n - 1)."""
    if n <= 1:
        return np.zeros_like(x)
    if mode == "wrap":
        return np.where((x < 0) | (x > n - 1), np.mod(x, n - 1), x)
    m = np.mod(x + 0.5, 2 * n) - 0.5
    return np.clip(np.where(m > n - 0.5, 2 * n - 1 - m, m), 0, n - 1)


def _sample(channel, rows, cols, order, mode, cval):
    """``channel`` (2-D) at the float positions (rows, cols)."""
    h, w = channel.shape
    if mode == "nearest":
        rows, cols = np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)
    elif mode == "wrap" or (mode == "reflect" and order == 0):
        rows, cols = _map_coordinate(rows, h, mode), _map_coordinate(cols, w, mode)
        mode = "nearest"                # now inside: neighbours are clipped
    if order == 0:
        r = np.floor(rows + 0.5).astype(np.int64)
        c = np.floor(cols + 0.5).astype(np.int64)
        out = channel[_map_index(r, h, mode), _map_index(c, w, mode)]
    else:
        r0 = np.floor(rows).astype(np.int64)
        c0 = np.floor(cols).astype(np.int64)
        fr, fc = rows - r0, cols - c0
        ri = [_map_index(r0, h, mode), _map_index(r0 + 1, h, mode)]
        ci = [_map_index(c0, w, mode), _map_index(c0 + 1, w, mode)]
        out = (channel[ri[0], ci[0]] * (1 - fr) * (1 - fc) + channel[ri[0], ci[1]] * (1 - fr) * fc
               + channel[ri[1], ci[0]] * fr * (1 - fc) + channel[ri[1], ci[1]] * fr * fc)
    if mode == "constant":
        eps = 1e-9
        outside = (rows < -eps) | (rows > h - 1 + eps) | (cols < -eps) | (cols > w - 1 + eps)
        out = np.where(outside, cval, out)
    return out


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1,
                           col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0, order=1):
    """Rotates (``theta`` degrees), shifts (``tx`` rows, ``ty`` columns), shears (degrees)
    and zooms (``zx``, ``zy``) one image, about its centre.

    >>> apply_affine_transform(np.eye(3)[None], theta=90).shape
    (1, 3, 3)
    """
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"fill_mode must be one of {_FILL_MODES}, got {fill_mode!r}")
    if order not in (0, 1):
        raise NotImplementedError(f"apply_affine_transform: interpolation order {order} is "
                                  f"not supported (0 nearest or 1 bilinear)")
    matrix = None
    if theta != 0:
        t = np.deg2rad(theta)
        matrix = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    for part, used in ((np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]), tx != 0 or ty != 0),
                       (None, shear != 0),
                       (np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]), zx != 1 or zy != 1)):
        if not used:
            continue
        if part is None:
            s = np.deg2rad(shear)
            part = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
        matrix = part if matrix is None else matrix @ part
    if matrix is None:
        return x
    x = np.asarray(x)
    h, w = x.shape[row_axis], x.shape[col_axis]
    matrix = transform_matrix_offset_center(matrix, h, w)
    if col_axis > row_axis:            # the matrix is in (x, y) order; arrays index (row, col)
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    channels = np.moveaxis(x, channel_axis, 0)
    hh, ww = channels.shape[1:]
    grid_r, grid_c = np.meshgrid(np.arange(hh, dtype=np.float64),
                                 np.arange(ww, dtype=np.float64), indexing="ij")
    rows = matrix[0, 0] * grid_r + matrix[0, 1] * grid_c + matrix[0, 2]
    cols = matrix[1, 0] * grid_r + matrix[1, 1] * grid_c + matrix[1, 2]
    out = np.stack([_sample(c.astype(np.float64), rows, cols, order, fill_mode, cval)
                    for c in channels]).astype(x.dtype)
    return np.moveaxis(out, 0, channel_axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds ``intensity`` to every channel, clipped to the image's own range."""
    x = np.moveaxis(np.asarray(x), channel_axis, 0)
    lo, hi = np.min(x), np.max(x)
    return np.moveaxis(np.clip(x + intensity, lo, hi), 0, channel_axis)


def apply_brightness_shift(x, brightness, scale=True):
    """Brightens (factor > 1) or darkens an image as PIL's ImageEnhance.Brightness does."""
    from PIL import ImageEnhance

    from ember.keras.utils.image_utils import array_to_img, img_to_array
    x = np.asarray(x)
    lo, hi = np.min(x), np.max(x)
    local_scale = lo < 0 or hi > 255
    img = ImageEnhance.Brightness(array_to_img(x, scale=local_scale or scale))
    out = img_to_array(img.enhance(brightness))
    if not scale and local_scale:
        out = out / 255 * (hi - lo) + lo
    return out


def flip_axis(x, axis):
    return np.flip(np.asarray(x), axis)


def _uniform(rng, lo, hi):
    return (rng or np.random).uniform(lo, hi)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                    cval=0.0, interpolation_order=1):
    """A rotation by a uniform angle in [-rg, rg] degrees."""
    return apply_affine_transform(x, theta=_uniform(None, -rg, rg), row_axis=row_axis,
                                  col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    """A shift by uniform fractions of the height (``hrg``) and width (``wrg``)."""
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = _uniform(None, -hrg, hrg) * h
    ty = _uniform(None, -wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    """A shear by a uniform angle in [-intensity, intensity] degrees."""
    return apply_affine_transform(x, shear=_uniform(None, -intensity, intensity),
                                  row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                cval=0.0, interpolation_order=1):
    """A zoom by uniform factors in ``zoom_range`` = (lower, upper) for each axis."""
    if len(zoom_range) != 2:
        raise ValueError(f"`zoom_range` should be a tuple or list of two floats. Received: "
                         f"{zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx = zy = 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_channel_shift(x, intensity_range, channel_axis=0):
    return apply_channel_shift(x, _uniform(None, -intensity_range, intensity_range),
                               channel_axis)


def random_brightness(x, brightness_range, scale=True):
    if len(brightness_range) != 2:
        raise ValueError(f"`brightness_range` should be a tuple or list of two floats. "
                         f"Received: {brightness_range}")
    return apply_brightness_shift(x, _uniform(None, brightness_range[0], brightness_range[1]),
                                  scale)
