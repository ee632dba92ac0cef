"""Random geometric augmentations (Keras 3): RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomShear. Identities at inference."""
from __future__ import annotations

import math

import ember
from ember.keras.layers.preprocessing.image_base import ImageLayer, pair
from ember.ops.image_transform import FILL_MODES, affine_transform

__all__ = ["RandomFlip", "RandomRotation", "RandomShear", "RandomTranslation", "RandomZoom"]

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(ImageLayer):
    """Flips each image horizontally and/or vertically with probability 1/2 each
    (``mode``: 'horizontal', 'vertical' or 'horizontal_and_vertical')."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode "
                             f"argument {mode!r}; expected one of {_MODES}")
        self.mode = mode

    def augment(self, x):
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = ember.less(self.uniform(x, 0.0, 1.0), 0.5)[:, None, None, None]
            x = ember.where(flip, ember.reverse(x, [2]), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = ember.less(self.uniform(x, 0.0, 1.0), 0.5)[:, None, None, None]
            x = ember.where(flip, ember.reverse(x, [1]), x)
        return x

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


class _Transform(ImageLayer):
    """A random projective transform per image, sampled as ``fill_mode`` outside."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{FILL_MODES}.")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one ('nearest', 'bilinear').")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)

    def augment(self, x):
        if x.shape[1] is None or x.shape[2] is None:
            raise ValueError(f"{type(self).__name__}: the image height and width must be "
                             f"known, got shape {x.shape}")
        t = self.transforms(x, float(x.shape[1]), float(x.shape[2]))
        return affine_transform(x, t, self.interpolation, self.fill_mode, self.fill_value)

    def transforms(self, x, h, w):
        raise NotImplementedError

    @staticmethod
    def stack(cols):
        return ember.stack(cols, 1)

    def get_config(self):
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "fill_value": self.fill_value})
        return config


class RandomRotation(_Transform):
    """Rotates each image by a random angle in ``factor`` * 2π (a number f means [-f, f])."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = pair(factor, "factor", "RandomRotation")

    def transforms(self, x, h, w):
        angle = self.uniform(x, self.lower * 2 * math.pi, self.upper * 2 * math.pi)
        c, s = ember.cos(angle), ember.sin(angle)
        xo = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2.0
        yo = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2.0
        z = ember.zeros_like(c)
        return self.stack([c, -s, xo, s, c, yo, z, z])

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomZoom(_Transform):
    """Zooms each image by 1 + a random value in ``height_factor`` (and ``width_factor``,
    else the same zoom both ways); positive values zoom out, negative zoom in."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = pair(height_factor, "height_factor", "RandomZoom", low=-1)
        self.w_range = None if width_factor is None else \
            pair(width_factor, "width_factor", "RandomZoom", low=-1)

    def transforms(self, x, h, w):
        zy = 1.0 + self.uniform(x, *self.h_range)
        zx = zy if self.w_range is None else 1.0 + self.uniform(x, *self.w_range)
        z = ember.zeros_like(zx)
        return self.stack([zx, z, (w - 1) / 2.0 * (1.0 - zx), z, zy, (h - 1) / 2.0 * (1.0 - zy),
                           z, z])

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


class RandomTranslation(_Transform):
    """Shifts each image by random fractions ``height_factor`` and ``width_factor`` of its
    height and width."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = pair(height_factor, "height_factor", "RandomTranslation", low=-1,
                            high=1)
        self.w_range = pair(width_factor, "width_factor", "RandomTranslation", low=-1, high=1)

    def transforms(self, x, h, w):
        dy = self.uniform(x, *self.h_range) * h
        dx = self.uniform(x, *self.w_range) * w
        one, z = ember.ones_like(dx), ember.zeros_like(dx)
        return self.stack([one, z, -dx, z, one, -dy, z, z])

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config


class RandomShear(_Transform):
    """Shears each image about its centre by random factors ``x_factor`` (horizontal) and
    ``y_factor`` (vertical)."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor, self.y_factor = x_factor, y_factor
        self.x_range = pair(x_factor, "x_factor", "RandomShear")
        self.y_range = pair(y_factor, "y_factor", "RandomShear")

    def transforms(self, x, h, w):
        sx = self.uniform(x, *self.x_range)
        sy = self.uniform(x, *self.y_range)
        one, z = ember.ones_like(sx), ember.zeros_like(sx)
        return self.stack([one, sx, -sx * (h - 1) / 2.0, sy, one, -sy * (w - 1) / 2.0, z, z])

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor})
        return config
