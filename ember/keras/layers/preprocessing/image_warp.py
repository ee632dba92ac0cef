"""Random warps (Keras 3): RandomPerspective and RandomElasticTransform. Identities at
inference; in training each image is warped with probability drawn from ``factor``."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.preprocessing.image_base import ImageLayer, pair, value_range_arg
from ember.ops.image_transform import FILL_MODES, affine_transform, sample_image

__all__ = ["RandomElasticTransform", "RandomPerspective"]


def _interpolation(interpolation, layer):
    if interpolation not in ("nearest", "bilinear"):
        raise NotImplementedError(f"{layer}: unknown `interpolation` {interpolation}. "
                                  f"Expected one of ('nearest', 'bilinear').")
    return interpolation


class _Warp(ImageLayer):
    def __init__(self, factor, data_format, seed, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = pair(factor, "factor", type(self).__name__, False, 0.0, 1.0)

    def applied(self, x):
        """Per image: True with probability drawn from [lower, upper] (N, 1, 1, 1)."""
        p = self.uniform(x, self.lower, self.upper)
        return ember.reshape(ember.less(self.uniform(x, 0.0, 1.0), p), [-1, 1, 1, 1])


class RandomPerspective(_Warp):
    """Moves each image corner by a random fraction (up to ``scale`` / 2) of its
    coordinates and warps the image accordingly (``fill_value`` outside), with
    probability ``factor``.

    >>> layer = RandomPerspective(factor=1.0, scale=0.4, seed=1)
    >>> layer(ember.ones([1, 8, 8, 3]), training=True).shape
    TensorShape([1, 8, 8, 3])
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(factor, data_format, seed, **kwargs)
        if not 0.0 <= float(scale) <= 1.0:
            raise ValueError(f"RandomPerspective: the `scale` argument should be a number in "
                             f"the range [0, 1]. Received: scale={scale}")
        self.scale, self.fill_value = float(scale), float(fill_value)
        self.interpolation = _interpolation(interpolation, "RandomPerspective")

    def augment(self, x):
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            raise ValueError(f"RandomPerspective: image height and width must be known, got "
                             f"shape {x.shape}")
        apply = self.applied(x)
        corners = ember.constant([[0.0, 0.0], [w - 1.0, 0.0], [0.0, h - 1.0],
                                  [w - 1.0, h - 1.0]], x.dtype)
        start = ember.broadcast_to(corners, ember.stack([ember.shape(x)[0], 4, 2]))
        move = self.uniform(x, -0.5 * self.scale, 0.5 * self.scale, extra=(4, 2))
        end = start + start * ember.cast(move, x.dtype)
        from ember.keras.ops.image_extra import _homography
        t = _homography(start, end)
        out = affine_transform(x, t, self.interpolation, "constant", self.fill_value)
        return ember.where(apply, ember.cast(out, x.dtype), x)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_value": self.fill_value})
        return config


class RandomElasticTransform(_Warp):
    """Displaces pixels along a smoothed random field (strength drawn from ``scale``:
    alpha = 0.1 * s * max(H, W), sigma = 0.05 * s * min(H, W)), with probability
    ``factor``; results are clipped to ``value_range``."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, data_format, seed, **kwargs)
        self.scale = scale
        self.scale_range = pair(scale, "scale", "RandomElasticTransform", False, 0.0, 1.0)
        self.interpolation = _interpolation(interpolation, "RandomElasticTransform")
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(f"RandomElasticTransform: unknown `fill_mode` "
                                      f"{fill_mode}. Expected one of {FILL_MODES}.")
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)
        self.value_range = value_range_arg(value_range, "RandomElasticTransform")

    def augment(self, x):
        if self.scale_range[1] == 0 or self.upper == 0:
            return x
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            raise ValueError(f"RandomElasticTransform: image height and width must be "
                             f"known, got shape {x.shape}")
        apply = self.applied(x)
        s = ember.random.uniform([], *self.scale_range, seed=self.seed)
        alpha, sigma = max(h, w) * 0.1 * s, min(h, w) * 0.05 * s
        kernel = 6 * int(min(h, w) * 0.05 * self.scale_range[1]) | 1
        seed = ember.random.uniform([2], 0, 2 ** 31 - 1, dtype="int64", seed=self.seed)
        out = elastic_displace(x, alpha, sigma, kernel, self.interpolation,
                                         self.fill_mode, self.fill_value, seed)
        return ember.clip_by_value(ember.where(apply, out, x), *self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "value_range": list(self.value_range)})
        return config


def _gaussian_kernel(size, sigma, dtype):
    """A (size, size, 1, 1) normalized Gaussian of (tensor) standard deviation ``sigma``."""
    r = ember.range(size, dtype=dtype) - (size - 1) / 2.0
    k = ember.exp(-0.5 * ember.square(r / sigma))
    k = k / ember.reduce_sum(k)
    return ember.reshape(ember.tensordot(k, k, axes=0), [size, size, 1, 1])


def elastic_displace(x, alpha, sigma, kernel, interpolation, fill_mode, fill_value, seed):
    """keras.ops.image.elastic_transform on channels-last images (N, H, W, C), with
    ``alpha`` and ``sigma`` possibly tensors and ``kernel`` the (odd) smoothing size: one
    normal field, smoothed, moves both coordinates (as Keras's)."""
    from ember.keras.random import draw_seed
    dtype = x.dtype if x.dtype.is_floating else ember.float32
    h, w = x.shape[1], x.shape[2]
    sigma = ember.cast(sigma, dtype)
    d = ember.random.stateless_normal(ember.stack([ember.shape(x)[0], h, w]),
                                      draw_seed(seed), dtype=dtype) * sigma
    d = ember.nn.depthwise_conv2d(d[..., None], _gaussian_kernel(kernel, sigma, dtype),
                                  [1, 1, 1, 1], "SAME")[..., 0]
    d = ember.cast(alpha, dtype) * d
    gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    sx = ember.constant(gx[None].astype(dtype.np)) + d
    sy = ember.constant(gy[None].astype(dtype.np)) + d
    out = sample_image(ember.cast(x, dtype), sx, sy, interpolation, fill_mode, fill_value)
    return ember.cast(out, x.dtype)
