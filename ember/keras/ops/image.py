"""keras.ops.image: resizing, color conversions, patches, padding and cropping."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.ops._common import floating, tensor
from ember.keras.ops.numpy import _missing

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


def _batched(images, cf, op):
    x = tensor(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(f"keras.ops.image.{op}: expected rank 3 (single image) or rank 4 "
                         f"(batch of images), got shape {x.shape}")
    single = len(x.shape) == 3
    x = _to_last(x, cf)
    return (ember.expand_dims(x, 0) if single else x), single


def _unbatched(y, single, cf):
    return _to_first(ember.squeeze(y, [0]) if single else y, cf)


_FILL_MODES = ("constant", "nearest", "wrap", "reflect")


def _check_sampling(op, interpolation, fill_mode="constant"):
    from ember.ops.image_transform import check_sampling
    check_sampling(f"keras.ops.image.{op}", interpolation, fill_mode, _FILL_MODES)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Applies one 8-parameter projective ``transform`` per image (output to input
    coordinates, as TensorFlow's ImageProjectiveTransformV3)."""
    from ember.ops.image_transform import affine_transform as apply
    _check_sampling("affine_transform", interpolation, fill_mode)
    cf = _channels_first(data_format)
    x, single = _batched(images, cf, "affine_transform")
    t = floating(transform)
    if len(t.shape) == 1:
        t = ember.expand_dims(t, 0)
    return _unbatched(apply(x, t, interpolation, fill_mode, fill_value), single, cf)


def compute_homography_matrix(start_points, end_points):
    """The 8 projective parameters (N, 8) that map each ``end_points`` quadrilateral
    (N, 4, 2) of (x, y) corners onto ``start_points``."""
    s = ember.cast(tensor(start_points), "float32")
    e = ember.cast(tensor(end_points), "float32")
    rows, target = [], []
    for i in range(4):
        ex, ey, sx, sy = e[:, i, 0], e[:, i, 1], s[:, i, 0], s[:, i, 1]
        one, zero = ember.ones_like(ex), ember.zeros_like(ex)
        rows.append(ember.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], -1))
        rows.append(ember.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], -1))
        target += [sx, sy]
    a = ember.stack(rows, 1)
    b = ember.expand_dims(ember.stack(target, -1), -1)
    return ember.reshape(ember.linalg.solve(a, b), [-1, 8])


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps each image so that the quadrilateral ``start_points`` (4 (x, y) corners, or
    (N, 4, 2)) lands on ``end_points``; outside reads ``fill_value``."""
    from ember.ops.image_transform import affine_transform as apply
    _check_sampling("perspective_transform", interpolation)
    s, e = floating(start_points), floating(end_points)
    for name, p in (("start_points", s), ("end_points", e)):
        if len(p.shape) not in (2, 3) or tuple(p.shape[-2:]) != (4, 2):
            raise ValueError(f"keras.ops.image.perspective_transform: `{name}` must have "
                             f"shape (4, 2) or (N, 4, 2). Received shape {p.shape}")
    if tuple(s.shape) != tuple(e.shape):
        raise ValueError(f"keras.ops.image.perspective_transform: start_points and "
                         f"end_points must have the same shape. Received {s.shape} and "
                         f"{e.shape}")
    if len(s.shape) == 2:
        s, e = ember.expand_dims(s, 0), ember.expand_dims(e, 0)
    cf = _channels_first(data_format)
    x, single = _batched(images, cf, "perspective_transform")
    t = compute_homography_matrix(s, e)
    out = apply(x, t, interpolation, "constant", fill_value)
    return _unbatched(out, single, cf)


def _gaussian_kernel(kernel_size, sigma, channels, dtype):
    """Keras's depthwise Gaussian kernel: the outer product (kernel_size[1],
    kernel_size[0]) read as (kernel_size[0], kernel_size[1]) (the same for square ones);
    ``sigma`` may hold tensors."""
    def kernel1d(size, sd):
        r = ember.range(size, dtype=dtype) - (size - 1) / 2.0
        k = ember.exp(-0.5 * ember.square(r / ember.cast(sd, dtype)))
        return k / ember.reduce_sum(k)

    kh, kw = (int(k) for k in kernel_size)
    k2 = ember.tensordot(kernel1d(kw, sigma[1]), kernel1d(kh, sigma[0]), axes=0)
    return ember.tile(ember.reshape(k2, [kh, kw, 1, 1]), [1, 1, channels, 1])


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs each channel with a ``kernel_size`` Gaussian of standard deviations
    ``sigma``, zero padding ('SAME'), as Keras's depthwise convolution."""
    cf = _channels_first(data_format)
    x, single = _batched(floating(images), cf, "gaussian_blur")
    k = _gaussian_kernel(kernel_size, [float(v) for v in sigma], x.shape[-1], x.dtype)
    return _unbatched(ember.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "SAME"), single, cf)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displaces every pixel by ``alpha`` times a Gaussian-smoothed (``sigma``) random
    field, as Keras does (one normal draw, smoothed, moves both axes)."""
    _check_sampling("elastic_transform", interpolation, fill_mode)
    cf = _channels_first(data_format)
    x, single = _batched(images, cf, "elastic_transform")
    out = elastic_displace(x, float(alpha), float(sigma), 6 * int(sigma) | 1, interpolation,
                           fill_mode, fill_value, seed)
    return _unbatched(out, single, cf)


def elastic_displace(x, alpha, sigma, kernel, interpolation, fill_mode, fill_value, seed):
    """``elastic_transform`` on channels-last images (N, H, W, C); ``alpha`` and ``sigma``
    may be tensors, ``kernel`` is the (odd) smoothing kernel size."""
    from ember.keras.random import draw_seed
    from ember.ops.image_transform import sample_image
    dtype = x.dtype if x.dtype.is_floating else ember.float32
    h, w = x.shape[1], x.shape[2]
    if h is None or w is None:
        raise ValueError(f"keras.ops.image.elastic_transform: image height and width must "
                         f"be known, got shape {x.shape}")
    sigma = ember.cast(sigma, dtype)
    d = ember.random.stateless_normal(ember.stack([ember.shape(x)[0], h, w]),
                                      draw_seed(seed), dtype=dtype) * sigma
    k = _gaussian_kernel((kernel, kernel), (sigma, sigma), 1, dtype)
    d = ember.nn.depthwise_conv2d(d[..., None], k, [1, 1, 1, 1], "SAME")[..., 0]
    gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    d = ember.cast(alpha, dtype) * d
    sx = ember.constant(gx[None].astype(dtype.np)) + d
    sy = ember.constant(gy[None].astype(dtype.np)) + d
    out = sample_image(ember.cast(x, dtype), sx, sy, interpolation, fill_mode, fill_value)
    return ember.cast(out, x.dtype)


_WHY = "not built in ember yet"
extract_patches_3d = _missing("extract_patches_3d", _WHY)
map_coordinates = _missing("map_coordinates", _WHY)
scale_and_translate = _missing("scale_and_translate", _WHY)
sobel_edges = _missing("sobel_edges", _WHY)
ssim = _missing("ssim", _WHY)
