"""keras.ops.image: resizing, color conversions, patches, padding and cropping (the
transforms, filters and measures are in image_extra)."""
from __future__ import annotations

import ember
from ember.keras.ops._common import floating, tensor

__all__ = ["resize", "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "extract_patches",
           "pad_images", "crop_images", "affine_transform", "elastic_transform",
           "extract_patches_3d", "gaussian_blur", "map_coordinates", "perspective_transform",
           "scale_and_translate", "sobel_edges", "ssim"]


def _channels_first(data_format):
    from ember.keras import backend
    return (data_format or backend.image_data_format()) == "channels_first"


def _to_last(x, cf):
    if not cf:
        return x
    nd = len(x.shape)
    return ember.transpose(x, [0] * (nd == 4) + list(range(nd - 2, nd)) + [nd - 3]
                           if nd == 4 else [1, 2, 0])


def _to_first(x, cf):
    if not cf:
        return x
    nd = len(x.shape)
    return ember.transpose(x, [0, 3, 1, 2] if nd == 4 else [2, 0, 1])


def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    """images resized to size (height, width)."""
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise NotImplementedError("keras.ops.image.resize: crop_to_aspect_ratio and "
                                  "pad_to_aspect_ratio are not supported by ember")
    cf = _channels_first(data_format)
    x = _to_last(tensor(images), cf)
    out = ember.image.resize(x, list(size), method=interpolation, antialias=antialias)
    return _to_first(out, cf)


def rgb_to_grayscale(images, data_format=None):
    cf = _channels_first(data_format)
    x = floating(images)
    w = ember.constant([0.2989, 0.5870, 0.1140], x.dtype)
    axis = -3 if cf else -1
    shape = [3, 1, 1] if cf else [3]
    return ember.reduce_sum(x * ember.reshape(w, shape), axis=axis, keepdims=True)


def rgb_to_hsv(images, data_format=None):
    cf = _channels_first(data_format)
    x = _to_last(floating(images), cf)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = ember.reduce_max(x, axis=-1)
    mn = ember.reduce_min(x, axis=-1)
    rng = v - mn
    safe_v = ember.where(v > 0, v, ember.ones_like(v))
    s = ember.where(v > 0, rng / safe_v, ember.zeros_like(v))
    safe = ember.where(rng > 0, rng, ember.ones_like(rng))
    h = ember.where(ember.equal(v, r), (g - b) / safe,
                    ember.where(ember.equal(v, g), 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    h = ember.where(rng > 0, h / 6.0, ember.zeros_like(h))
    h = h - ember.math.floor(h)
    return _to_first(ember.stack([h, s, v], axis=-1), cf)


def hsv_to_rgb(images, data_format=None):
    cf = _channels_first(data_format)
    x = _to_last(floating(images), cf)
    h, s, v = x[..., 0], x[..., 1], x[..., 2]

    def channel(n):
        k = ember.math.floormod(n + h * 6.0, 6.0)
        return v - v * s * ember.clip_by_value(ember.minimum(k, 4.0 - k), 0.0, 1.0)
    return _to_first(ember.stack([channel(5.0), channel(3.0), channel(1.0)], axis=-1), cf)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of size (h, w) as (..., rows, cols, h * w * channels)."""
    cf = _channels_first(data_format)
    x = _to_last(tensor(images), cf)
    sz = [size, size] if isinstance(size, int) else list(size)
    st = sz if strides is None else ([strides] * 2 if isinstance(strides, int) else
                                     list(strides))
    dr = [dilation_rate] * 2 if isinstance(dilation_rate, int) else list(dilation_rate)
    single = len(x.shape) == 3
    if single:
        x = ember.expand_dims(x, 0)
    out = ember.image.extract_patches(x, [1] + sz + [1], [1] + st + [1], [1] + dr + [1],
                                      padding.upper())
    out = out[0] if single else out
    return _to_first(out, cf)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    cf = _channels_first(data_format)
    x = _to_last(tensor(images), cf)
    h, w = x.shape[-3], x.shape[-2]
    top = top_padding or 0
    left = left_padding or 0
    bottom = bottom_padding if bottom_padding is not None else (
        target_height - h - top if target_height is not None else 0)
    right = right_padding if right_padding is not None else (
        target_width - w - left if target_width is not None else 0)
    pads = [[top, bottom], [left, right], [0, 0]]
    if len(x.shape) == 4:
        pads = [[0, 0]] + pads
    return _to_first(ember.pad(x, pads), cf)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    cf = _channels_first(data_format)
    x = _to_last(tensor(images), cf)
    h, w = x.shape[-3], x.shape[-2]
    top = top_cropping or 0
    left = left_cropping or 0
    hh = target_height if target_height is not None else h - top - (bottom_cropping or 0)
    ww = target_width if target_width is not None else w - left - (right_cropping or 0)
    return _to_first(x[..., top:top + hh, left:left + ww, :], cf)


from ember.keras.ops.image_extra import (  # noqa: E402,F401
    affine_transform, elastic_transform, extract_patches_3d, gaussian_blur, map_coordinates,
    perspective_transform, scale_and_translate, sobel_edges, ssim,
)
