"""Color augmentations and fixed color maps (Keras 3): RandomContrast, RandomBrightness,
RandomHue, RandomSaturation, RandomGrayscale, RandomColorDegeneration, RandomColorJitter,
RandomSharpness, RandomInvert, RandomPosterization, Solarization, AutoContrast,
Equalization. Images are in ``value_range`` (default (0, 255))."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.preprocessing.image_base import ImageLayer, pair, value_range_arg

__all__ = ["AutoContrast", "Equalization", "RandomBrightness", "RandomColorDegeneration",
           "RandomColorJitter", "RandomContrast", "RandomGrayscale", "RandomHue",
           "RandomInvert", "RandomPosterization", "RandomSaturation", "RandomSharpness",
           "Solarization"]


class _ColorLayer(ImageLayer):
    """A layer on images in ``value_range``, with a ``factor`` range."""

    factor_symmetric = False
    factor_bounds = (0.0, 1.0)

    def __init__(self, factor=None, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = value_range_arg(value_range, type(self).__name__)
        if factor is not None:
            self.factor = factor
            self.lower, self.upper = pair(factor, "factor", type(self).__name__,
                                          self.factor_symmetric, *self.factor_bounds)

    def to_unit(self, x):
        lo, hi = self.value_range
        return (x - lo) / (hi - lo)

    def from_unit(self, x):
        lo, hi = self.value_range
        return x * (hi - lo) + lo

    def clip(self, x):
        return ember.clip_by_value(x, *self.value_range)

    def per_image(self, x, lo=None, hi=None):
        lo = self.lower if lo is None else lo
        hi = self.upper if hi is None else hi
        return ember.reshape(self.uniform(x, lo, hi), [-1, 1, 1, 1])

    def get_config(self):
        config = super().get_config()
        if hasattr(self, "factor"):
            config["factor"] = self.factor
        config["value_range"] = list(self.value_range)
        return config


class RandomContrast(_ColorLayer):
    """(x - mean) * c + mean per image and channel, c drawn from [1 - lower, 1 + upper]
    (``factor`` f means lower = upper = f), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(None, value_range, seed=seed, **kwargs)
        self.factor = factor
        if isinstance(factor, (list, tuple)):
            self.lower, self.upper = pair(factor, "factor", "RandomContrast", low=0)
        else:
            self.lower = self.upper = float(factor)
        if not 0 <= self.lower <= 1 or self.upper < 0:
            raise ValueError(f"RandomContrast: `factor` must be in [0, 1] (lower) and "
                             f"non-negative (upper). Received: factor={factor!r}")

    def augment(self, x):
        c = self.per_image(x, 1.0 - self.lower, 1.0 + self.upper)
        mean = ember.reduce_mean(x, [1, 2], keepdims=True)
        return self.clip((x - mean) * c + mean)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        return config


class RandomBrightness(_ColorLayer):
    """Adds a delta drawn from ``factor`` (fractions in [-1, 1] of the value range) to each
    image, clipped to ``value_range``."""

    factor_symmetric = True
    factor_bounds = (-1.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range, seed=seed, **kwargs)

    def augment(self, x):
        lo, hi = self.value_range
        return self.clip(x + self.per_image(x) * (hi - lo))

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        return config


class RandomHue(_ColorLayer):
    """Rotates the hue of each image by ± a fraction of a turn drawn from ``factor``."""

    def augment(self, x):
        delta = self.per_image(x)[..., 0]
        sign = ember.where(ember.less(self.per_image(x, 0.0, 1.0)[..., 0], 0.5), -1.0, 1.0)
        hsv = ember.image.rgb_to_hsv(ember.clip_by_value(self.to_unit(x), 0.0, 1.0))
        h = ember.math.floormod(hsv[..., 0] + delta * sign, 1.0)
        rgb = ember.image.hsv_to_rgb(ember.stack([h, hsv[..., 1], hsv[..., 2]], -1))
        return self.from_unit(ember.clip_by_value(rgb, 0.0, 1.0))


class RandomSaturation(_ColorLayer):
    """Multiplies each image's saturation by f / (1 - f), f drawn from ``factor`` in [0, 1]
    (0.5 keeps the image, 0 makes it grey, 1 fully saturated)."""

    def augment(self, x):
        f = self.per_image(x)[..., 0]
        scale = f / (1.0 - f + 1e-7)
        hsv = ember.image.rgb_to_hsv(ember.clip_by_value(self.to_unit(x), 0.0, 1.0))
        s = ember.clip_by_value(hsv[..., 1] * scale, 0.0, 1.0)
        return self.from_unit(ember.image.hsv_to_rgb(ember.stack([hsv[..., 0], s, hsv[..., 2]],
                                                                 -1)))


def _gray3(x):
    g = ember.reduce_sum(x * ember.constant([0.2989, 0.5870, 0.1140], x.dtype), -1,
                         keepdims=True)
    return ember.concat([g, g, g], -1)


class RandomGrayscale(_ColorLayer):
    """Turns each image grey (keeping 3 channels) with probability ``factor``."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(factor, data_format=data_format, seed=seed, **kwargs)

    def augment(self, x):
        if x.shape[-1] != 3:
            raise ValueError(f"RandomGrayscale: images must have 3 channels, got shape "
                             f"{x.shape}")
        apply = ember.less(self.per_image(x, 0.0, 1.0), self.upper)
        return ember.where(apply, _gray3(x), x)

    def get_config(self):
        config = super().get_config()
        config.pop("value_range")
        return config


class RandomColorDegeneration(_ColorLayer):
    """Blends each image toward its greyscale version by a fraction drawn from
    ``factor``."""

    def augment(self, x):
        return self.clip(x + self.per_image(x) * (_gray3(x) - x))


class RandomSharpness(_ColorLayer):
    """Blends each image with its 3x3-smoothed version: s = 2 f, f drawn from ``factor``
    (0.5 keeps the image, lower blurs, higher sharpens)."""

    def augment(self, x):
        s = self.per_image(x) * 2.0
        c = x.shape[-1]
        k = np.full((3, 3), 1 / 13, np.float32)
        k[1, 1] = 5 / 13
        kernel = ember.constant(np.tile(k[:, :, None, None], [1, 1, c, 1]), x.dtype)
        smooth = ember.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "SAME")
        return self.clip(x + (1.0 - s) * (smooth - x))


class RandomInvert(_ColorLayer):
    """Replaces each image by value_range[1] - image with probability ``factor``."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def augment(self, x):
        apply = ember.less(self.per_image(x, 0.0, 1.0), self.upper)
        return ember.where(apply, self.value_range[1] - x, x)


class RandomPosterization(_ColorLayer):
    """Keeps a random number of the high bits (1 to ``factor``, at most 8) of each
    channel of each image, on the 0-255 scale."""

    factor_bounds = (1.0, 8.0)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(None, value_range, data_format, seed, **kwargs)
        self.factor = factor
        if isinstance(factor, (list, tuple)):
            self.lower, self.upper = pair(factor, "factor", "RandomPosterization", False, 1, 8)
        else:
            if not 1 <= int(factor) <= 8:
                raise ValueError(f"RandomPosterization: `factor` must be an int in [1, 8]. "
                                 f"Received: factor={factor!r}")
            self.lower, self.upper = 1.0, float(factor)

    def augment(self, x):
        bits = ember.floor(self.per_image(x, self.lower, self.upper + 1.0 - 1e-6))
        step = ember.pow(2.0, 8.0 - bits)
        v = ember.floor(ember.clip_by_value(self.to_unit(x) * 255.0, 0.0, 255.0))
        return self.from_unit(ember.floor(v / step) * step / 255.0)


class Solarization(_ColorLayer):
    """Adds a random ``addition_factor`` (fraction of 255) and inverts pixels at or above
    a random ``threshold_factor`` (fraction of 255), on the 0-255 scale."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(None, value_range, seed=seed, **kwargs)
        self.addition_factor, self.threshold_factor = addition_factor, threshold_factor
        self.add_range = pair(addition_factor, "addition_factor", "Solarization", False, 0, 1)
        self.thr_range = pair(threshold_factor, "threshold_factor", "Solarization", False,
                              0, 1)

    def augment(self, x):
        add = self.per_image(x, *self.add_range) * 255.0
        thr = self.per_image(x, *self.thr_range) * 255.0
        v = ember.clip_by_value(self.to_unit(x) * 255.0 + add, 0.0, 255.0)
        return self.from_unit(ember.where(ember.less(v, thr), v, 255.0 - v) / 255.0)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        config.update({"addition_factor": self.addition_factor,
                       "threshold_factor": self.threshold_factor})
        return config


class RandomColorJitter(_ColorLayer):
    """Random brightness, contrast, saturation and hue, in that order (each only when its
    factor is given)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(None, value_range, data_format, seed, **kwargs)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        vr = self.value_range
        self.parts = [layer for layer in (
            brightness_factor is not None and RandomBrightness(brightness_factor, vr, seed),
            contrast_factor is not None and RandomContrast(contrast_factor, vr, seed),
            saturation_factor is not None and RandomSaturation(saturation_factor, vr,
                                                               seed=seed),
            hue_factor is not None and RandomHue(hue_factor, vr, seed=seed)) if layer]

    def augment(self, x):
        for layer in self.parts:
            x = layer.augment(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"brightness_factor": self.brightness_factor,
                       "contrast_factor": self.contrast_factor,
                       "saturation_factor": self.saturation_factor,
                       "hue_factor": self.hue_factor})
        return config


class AutoContrast(_ColorLayer):
    """Stretches each image's channels so their minimum and maximum span ``value_range``
    (constant channels are left as they are). Deterministic: also applied at inference."""

    random = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(None, value_range, **kwargs)

    def augment(self, x):
        lo = ember.reduce_min(x, [1, 2], keepdims=True)
        hi = ember.reduce_max(x, [1, 2], keepdims=True)
        span = hi - lo
        scale = (self.value_range[1] - self.value_range[0]) / \
            ember.where(ember.greater(span, 0.0), span, ember.ones_like(span))
        out = (x - lo) * scale + self.value_range[0]
        return self.clip(ember.where(ember.greater(span, 0.0), out, x))

    def get_config(self):
        config = super().get_config()
        config.pop("data_format", None)
        return config


class Equalization(_ColorLayer):
    """Histogram equalization of each channel over ``bins`` levels, with one histogram
    per channel over the whole batch (as Keras 3). Active in training only."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(None, value_range, data_format, **kwargs)
        self.bins = int(bins)

    def augment(self, x):
        bins = self.bins
        c = x.shape[-1]
        lo, hi = self.value_range
        scale = 255.0 / (hi - lo)
        v = x * scale + (0.0 - lo * scale)
        hist_level = ember.clip_by_value(ember.cast(v * (bins - 1) / 255.0, "int32"), 0,
                                         bins - 1)
        level = ember.cast(ember.clip_by_value(v / 255.0 * (bins - 1), 0.0, bins - 1.0),
                           "int32")
        flat = ember.reshape(ember.transpose(level, [3, 0, 1, 2]), [c, -1])
        hist = ember.reduce_sum(ember.one_hot(ember.reshape(ember.transpose(
            hist_level, [3, 0, 1, 2]), [c, -1]), bins, dtype=x.dtype), 1)  # (c, bins)
        cdf = ember.cumsum(hist, 1)
        cdf_min = ember.reduce_min(ember.where(ember.greater(cdf, 0.0), cdf,
                                               ember.fill(ember.shape(cdf), 3.0e38)), 1,
                                   keepdims=True)
        denom = cdf[:, -1:] - cdf_min
        denom = ember.where(ember.equal(denom, 0.0), ember.ones_like(denom), denom)
        lut = ember.clip_by_value(ember.round((cdf - cdf_min) * 255.0 / denom), 0.0, 255.0)
        mapped = ember.gather(lut, flat, batch_dims=1)  # (c, n*h*w)
        mapped = ember.transpose(ember.reshape(mapped, ember.concat(
            [[c], ember.shape(x)[:3]], 0)), [1, 2, 3, 0])
        several = ember.greater(ember.reduce_sum(ember.cast(ember.greater(hist, 0.0), x.dtype),
                                                 1), 1.0)
        out = ember.where(several, mapped, v)
        back = (hi - lo) / 255.0
        return out * back + (lo - 0.0 * back)

    def get_config(self):
        config = super().get_config()
        config.pop("seed", None)
        config["bins"] = self.bins
        return config
