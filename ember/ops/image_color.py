"""tf.image color: dtype conversion, color spaces, adjust_* and their random versions.

Composites of public ops (so differentiable where TensorFlow's are); numbers follow
TensorFlow's formulas, checked against its outputs in tests/ops/test_image_fixtures.py.
"""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.ops import array_ops, linalg_ops, math_ops, random_ops, reduce_ops
from ember.ops._base import tensor
from ember.ops.image_jpeg import JPEG_ROUND_TRIP

__all__ = [
    "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_jpeg_quality", "adjust_saturation", "convert_image_dtype", "grayscale_to_rgb",
    "hsv_to_rgb", "per_image_standardization", "random_brightness", "random_contrast",
    "random_hue", "random_jpeg_quality", "random_saturation", "rgb_to_grayscale",
    "rgb_to_hsv", "rgb_to_yiq", "rgb_to_yuv", "stateless_random_brightness",
    "stateless_random_contrast", "stateless_random_hue", "stateless_random_jpeg_quality",
    "stateless_random_saturation", "yiq_to_rgb", "yuv_to_rgb",
]


def _dtype_max(dt):
    return int(np.iinfo(dt.as_numpy_dtype).max)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts between image dtypes, rescaling: floats live in [0, 1], integers in
    [0, MAX]. Integer to integer shifts by the ratio of the ranges; float to integer
    multiplies by MAX + 0.5 and truncates (``saturate`` clamps first).

    >>> ember.image.convert_image_dtype(ember.constant([0, 255], ember.uint8),
    ...                                 ember.float32).numpy()
    array([0., 1.], dtype=float32)
    """
    x = tensor(image)
    dt = dtypes.as_dtype(dtype)
    src = x.dtype
    ok = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64, dtypes.uint8,
          dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.int8, dtypes.int16,
          dtypes.int32, dtypes.int64)
    for d, what in ((src, "image dtype"), (dt, "dtype")):
        if d not in ok:
            raise TypeError(f"convert_image_dtype: {what} must be a float or integer type, "
                            f"got {d.name}")
    if src == dt:
        return array_ops.identity(x)
    cast = math_ops.saturate_cast if saturate else math_ops.cast
    if src.is_integer and dt.is_integer:
        smax, dmax = _dtype_max(src), _dtype_max(dt)
        if smax > dmax:
            scale = (smax + 1) // (dmax + 1)
            return cast(math_ops.floordiv(x, tensor(np.array(scale, src.as_numpy_dtype))), dt)
        scale = (dmax + 1) // (smax + 1)
        return cast(x, dt) * tensor(np.array(scale, dt.as_numpy_dtype))
    if src.is_floating and dt.is_floating:
        return math_ops.cast(x, dt)
    if src.is_integer:
        return math_ops.cast(x, dt) * (1.0 / _dtype_max(src))
    return cast(x * (_dtype_max(dt) + 0.5), dt)


def _to_float(image):
    x = tensor(image)
    return x if x.dtype.is_floating else convert_image_dtype(x, dtypes.float32)


def _back(adjusted, dtype):
    return convert_image_dtype(adjusted, dtype, saturate=True)


def _last_dim(op, x, n=3):
    if x.shape.rank is None or x.shape.rank < 1 or x.shape[-1] != n:
        raise ValueError(f"{op}: the last dimension must have size {n}, got shape {x.shape}")


def _mix(op, images, matrix):
    x = tensor(images)
    _last_dim(op, x)
    return linalg_ops.tensordot(x, math_ops.cast(tensor(np.array(matrix, np.float32)),
                                                 x.dtype), [[x.shape.rank - 1], [0]])


_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
        [0.114, 0.43601035, -0.10001026]]
_YUV_INV = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]
_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
        [0.114, -0.32134392, 0.31119955]]
_YIQ_INV = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
            [0.6208248, -0.64720424, 1.70423049]]


def rgb_to_yuv(images):
    """RGB in [0, 1] -> YUV (Y in [0, 1], U and V centred on 0)."""
    return _mix("rgb_to_yuv", images, _YUV)


def yuv_to_rgb(images):
    """YUV -> RGB; inverse of rgb_to_yuv."""
    return _mix("yuv_to_rgb", images, _YUV_INV)


def rgb_to_yiq(images):
    """RGB in [0, 1] -> YIQ."""
    return _mix("rgb_to_yiq", images, _YIQ)


def yiq_to_rgb(images):
    """YIQ -> RGB; inverse of rgb_to_yiq."""
    return _mix("yiq_to_rgb", images, _YIQ_INV)


def rgb_to_grayscale(images, name=None):
    """The luma (0.2989 R + 0.5870 G + 0.1140 B), with a last dimension of 1, in the
    input's dtype."""
    x = tensor(images)
    _last_dim("rgb_to_grayscale", x)
    f = _to_float(x)
    w = math_ops.cast(tensor(np.array([0.2989, 0.5870, 0.1140], np.float32)), f.dtype)
    gray = reduce_ops.reduce_sum(f * w, [-1], keepdims=True)
    return convert_image_dtype(gray, x.dtype)


def grayscale_to_rgb(images, name=None):
    """Repeats a one-channel image's channel three times."""
    x = tensor(images)
    _last_dim("grayscale_to_rgb", x, 1)
    return array_ops.concat([x, x, x], -1)


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] -> HSV, each in [0, 1] (hue 0 for greys)."""
    x = tensor(images)
    _last_dim("rgb_to_hsv", x)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = reduce_ops.reduce_max(x, [-1])
    rng = v - reduce_ops.reduce_min(x, [-1])
    safe_v = array_ops.where(math_ops.greater(v, 0.0), v, array_ops.ones_like(v))
    s = array_ops.where(math_ops.greater(v, 0.0), rng / safe_v, array_ops.zeros_like(v))
    positive = math_ops.greater(rng, 0.0)
    norm = 1.0 / (6.0 * array_ops.where(positive, rng, array_ops.ones_like(rng)))
    h = array_ops.where(math_ops.equal(r, v), norm * (g - b),
                        array_ops.where(math_ops.equal(g, v), norm * (b - r) + 2.0 / 6.0,
                                        norm * (r - g) + 4.0 / 6.0))
    h = array_ops.where(positive, h, array_ops.zeros_like(h))
    h = array_ops.where(math_ops.less(h, 0.0), h + 1.0, h)
    return array_ops.stack([h, s, v], -1)


def hsv_to_rgb(images, name=None):
    """HSV in [0, 1] -> RGB; inverse of rgb_to_hsv."""
    x = tensor(images)
    _last_dim("hsv_to_rgb", x)
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    dh = h * 6.0
    chans = []
    for n in (5.0, 3.0, 1.0):
        k = math_ops.floormod(n + dh, 6.0)
        f = math_ops.clip_by_value(math_ops.minimum(k, 4.0 - k), 0.0, 1.0)
        chans.append(v - v * s * f)
    return array_ops.stack(chans, -1)


def adjust_brightness(image, delta):
    """Adds ``delta`` to every channel of a [0, 1]-scaled image (integers saturate)."""
    x = tensor(image)
    f = _to_float(x)
    return _back(f + math_ops.cast(delta, f.dtype), x.dtype)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * contrast_factor + mean, the mean per image and channel."""
    x = tensor(images)
    if x.shape.rank is not None and x.shape.rank < 3:
        raise ValueError(f"adjust_contrast: images must be at least 3-dimensional, got "
                         f"shape {x.shape}")
    f = _to_float(x)
    mean = reduce_ops.reduce_mean(f, [-3, -2], keepdims=True)
    return _back((f - mean) * math_ops.cast(contrast_factor, f.dtype) + mean, x.dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """Multiplies the HSV saturation by ``saturation_factor``, clipped to [0, 1]."""
    x = tensor(image)
    f = _to_float(x)
    hsv = rgb_to_hsv(f)
    s = math_ops.clip_by_value(hsv[..., 1] * math_ops.cast(saturation_factor, f.dtype),
                               0.0, 1.0)
    return _back(hsv_to_rgb(array_ops.stack([hsv[..., 0], s, hsv[..., 2]], -1)), x.dtype)


def adjust_hue(image, delta, name=None):
    """Rotates the HSV hue by ``delta`` (in [-1, 1] of a full turn)."""
    x = tensor(image)
    f = _to_float(x)
    hsv = rgb_to_hsv(f)
    h = math_ops.floormod(hsv[..., 0] + math_ops.cast(delta, f.dtype), 1.0)
    return _back(hsv_to_rgb(array_ops.stack([h, hsv[..., 1], hsv[..., 2]], -1)), x.dtype)


def adjust_gamma(image, gamma=1, gain=1):
    """gain * image ** gamma on the [0, 1] scale (gamma must be non-negative)."""
    x = tensor(image)
    if isinstance(gamma, (int, float)) and gamma < 0:
        raise ValueError(f"adjust_gamma: gamma must be non-negative, got {gamma}")
    f = _to_float(x)
    out = math_ops.cast(gain, f.dtype) * math_ops.pow(f, math_ops.cast(gamma, f.dtype))
    return _back(out, x.dtype)


def per_image_standardization(image):
    """(x - mean) / max(stddev, 1 / sqrt(num_pixels)) over each image; float32 for
    integer inputs."""
    x = tensor(image)
    if x.shape.rank is None or x.shape.rank < 3:
        raise ValueError(f"per_image_standardization: image must be at least 3-dimensional, "
                         f"got shape {x.shape}")
    f = x if x.dtype.is_floating else math_ops.cast(x, dtypes.float32)
    n = reduce_ops.reduce_prod(math_ops.cast(array_ops.shape(f)[-3:], f.dtype))
    mean = reduce_ops.reduce_mean(f, [-1, -2, -3], keepdims=True)
    std = reduce_ops.reduce_std(f, [-1, -2, -3], keepdims=True)
    return (f - mean) / math_ops.maximum(std, math_ops.rsqrt(n))


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """Re-encodes as JPEG at ``jpeg_quality`` (0-100) and decodes; needs Pillow. Pillow's
    encoder is not libjpeg-turbo's byte for byte, so pixels may differ slightly from
    TensorFlow's."""
    x = tensor(image)
    u8 = convert_image_dtype(x, dtypes.uint8, saturate=True)
    q = math_ops.cast(tensor(jpeg_quality), dtypes.int32)
    return convert_image_dtype(execute(JPEG_ROUND_TRIP, (u8, q), {}, name), x.dtype)


# ---------------------------------------------------------------------- random ---

def _check_range(op, lower, upper):
    if upper <= lower:
        raise ValueError(f"{op}: upper must be > lower, got lower={lower}, upper={upper}")
    if lower < 0:
        raise ValueError(f"{op}: lower must be non-negative, got {lower}")


def _factor(lo, hi, seed, stateless):
    if stateless:
        return random_ops.stateless_uniform([], seed=seed, minval=lo, maxval=hi)
    return random_ops.uniform([], minval=lo, maxval=hi, seed=seed)


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta drawn from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError(f"random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, _factor(-max_delta, max_delta, seed, False))


def stateless_random_brightness(image, max_delta, seed):
    """As random_brightness, a pure function of ``seed`` (shape [2])."""
    if max_delta < 0:
        raise ValueError(f"stateless_random_brightness: max_delta must be non-negative, "
                         f"got {max_delta}")
    return adjust_brightness(image, _factor(-max_delta, max_delta, seed, True))


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor drawn from [lower, upper)."""
    _check_range("random_contrast", lower, upper)
    return adjust_contrast(image, _factor(lower, upper, seed, False))


def stateless_random_contrast(image, lower, upper, seed):
    """As random_contrast, a pure function of ``seed``."""
    _check_range("stateless_random_contrast", lower, upper)
    return adjust_contrast(image, _factor(lower, upper, seed, True))


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by a factor drawn from [lower, upper)."""
    _check_range("random_saturation", lower, upper)
    return adjust_saturation(image, _factor(lower, upper, seed, False))


def stateless_random_saturation(image, lower, upper, seed=None):
    """As random_saturation, a pure function of ``seed``."""
    _check_range("stateless_random_saturation", lower, upper)
    return adjust_saturation(image, _factor(lower, upper, seed, True))


def _check_hue(op, max_delta):
    if not 0 <= max_delta <= 0.5:
        raise ValueError(f"{op}: max_delta must be in the interval [0, 0.5], got {max_delta}")


def random_hue(image, max_delta, seed=None):
    """adjust_hue by a delta drawn from [-max_delta, max_delta) (max_delta <= 0.5)."""
    _check_hue("random_hue", max_delta)
    return adjust_hue(image, _factor(-max_delta, max_delta, seed, False))


def stateless_random_hue(image, max_delta, seed):
    """As random_hue, a pure function of ``seed``."""
    _check_hue("stateless_random_hue", max_delta)
    return adjust_hue(image, _factor(-max_delta, max_delta, seed, True))


def _check_quality(op, lo, hi):
    if not 0 <= lo < hi <= 100:
        raise ValueError(f"{op}: need 0 <= min_jpeg_quality < max_jpeg_quality <= 100, got "
                         f"{lo} and {hi}")


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """adjust_jpeg_quality at a quality drawn from [min, max); needs Pillow."""
    _check_quality("random_jpeg_quality", min_jpeg_quality, max_jpeg_quality)
    q = random_ops.uniform([], min_jpeg_quality, max_jpeg_quality, dtypes.int32, seed=seed)
    return adjust_jpeg_quality(image, q)


def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    """As random_jpeg_quality, a pure function of ``seed``."""
    _check_quality("stateless_random_jpeg_quality", min_jpeg_quality, max_jpeg_quality)
    q = random_ops.stateless_uniform([], seed, min_jpeg_quality, max_jpeg_quality,
                                     dtypes.int32)
    return adjust_jpeg_quality(image, q)
