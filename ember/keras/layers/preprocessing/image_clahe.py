"""ContrastLimitedAdaptiveHistogramEqualization (Keras 3): equalizes each tile of a
``tile_grid_size`` grid with its own clipped histogram (``clip_limit`` times the mean bin
height, the excess spread evenly) and blends the four nearest tiles' mappings bilinearly
at each pixel, on the 0-255 scale. Deterministic, so the same in training and inference."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras.layers.preprocessing.image_base import ImageLayer, value_range_arg

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]


class ContrastLimitedAdaptiveHistogramEqualization(ImageLayer):
    """CLAHE on images in ``value_range``.

    >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> layer(ember.ones([1, 4, 4, 1]) * 100.0).shape
    TensorShape([1, 4, 4, 1])
    """

    random = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range_arg(value_range, type(self).__name__)
        self.clip_limit = float(clip_limit)
        if len(tile_grid_size) != 2 or min(int(g) for g in tile_grid_size) < 1:
            raise ValueError(f"{type(self).__name__}: `tile_grid_size` must be two positive "
                             f"ints. Received: tile_grid_size={tile_grid_size!r}")
        self.tile_grid_size = (int(tile_grid_size[0]), int(tile_grid_size[1]))

    def augment(self, x):
        lo, hi = self.value_range
        n, h, w, c = ember.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
        if h is None or w is None or c is None:
            raise ValueError(f"{type(self).__name__}: image height, width and channels must "
                             f"be known, got shape {x.shape}")
        gh, gw = self.tile_grid_size
        th, tw = -(-h // gh), -(-w // gw)
        v = (ember.cast(x, "float32") - lo) * (255.0 / (hi - lo))
        if th * gh != h or tw * gw != w:
            v = ember.pad(v, [[0, 0], [0, th * gh - h], [0, tw * gw - w], [0, 0]],
                          mode="SYMMETRIC")
        pixels = ember.cast(ember.clip_by_value(v, 0.0, 255.0), "int32")   # (N, H', W', C)
        # one histogram per (image, tile row, tile column, channel)
        tile_y = np.repeat(np.arange(gh), th).reshape(1, -1, 1, 1)
        tile_x = np.repeat(np.arange(gw), tw).reshape(1, 1, -1, 1)
        chan = np.arange(c).reshape(1, 1, 1, -1)
        cell = (tile_y * gw + tile_x) * c + chan
        per_image = ember.reshape(cell * 256 + pixels, ember.stack([n, -1]))
        bins = gh * gw * c * 256
        hist = ember.math.bincount(per_image, minlength=bins, maxlength=bins, axis=-1,
                                   dtype="float32")
        hist = ember.reshape(hist, ember.stack([n, gh, gw, c, 256]))
        area = float(th * tw)
        if self.clip_limit > 0:
            clipped = ember.minimum(hist, self.clip_limit * area / 256.0)
            excess = ember.reduce_sum(hist - clipped, -1, keepdims=True)
            hist = clipped + excess / 256.0
        cdf = ember.cumsum(hist, -1)
        cdf_min = ember.reduce_min(cdf, -1, keepdims=True)
        denominator = area - cdf_min
        denominator = ember.where(ember.equal(denominator, 0.0), ember.ones_like(denominator),
                                  denominator)
        cdf = ember.clip_by_value((cdf - cdf_min) * 255.0 / denominator, 0.0, 255.0)
        cdf = ember.concat([cdf[:, :1], cdf, cdf[:, -1:]], 1)
        cdf = ember.concat([cdf[:, :, :1], cdf, cdf[:, :, -1:]], 2)   # (N, gh+2, gw+2, C, 256)
        gy = (np.arange(th * gh, dtype=np.float32) - th / 2.0) / th + 1.0
        gx = (np.arange(tw * gw, dtype=np.float32) - tw / 2.0) / tw + 1.0
        y0, x0 = np.floor(gy), np.floor(gx)
        wy = (gy - y0).reshape(1, -1, 1, 1)
        wx = (gx - x0).reshape(1, 1, -1, 1)
        y1 = np.clip(y0 + 1, 0, gh + 1).astype(np.int32).reshape(1, -1, 1, 1)
        x1 = np.clip(x0 + 1, 0, gw + 1).astype(np.int32).reshape(1, 1, -1, 1)
        y0 = np.clip(y0, 0, gh + 1).astype(np.int32).reshape(1, -1, 1, 1)
        x0 = np.clip(x0, 0, gw + 1).astype(np.int32).reshape(1, 1, -1, 1)
        table = ember.reshape(cdf, [-1])
        base = ember.reshape(ember.range(n), [-1, 1, 1, 1]) * ((gh + 2) * (gw + 2) * c * 256) \
            + chan * 256 + pixels

        def at(yi, xi):
            return ember.gather(table, base + (yi * (gw + 2) + xi) * (c * 256))

        top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx
        bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx
        out = (top * (1.0 - wy) + bottom * wy)[:, :h, :w, :]
        return ember.cast(out * ((hi - lo) / 255.0) + lo, x.dtype)

    def call(self, inputs, training=True):
        x, single = self.to_nhwc(inputs)
        return self.from_nhwc(self.augment(x), single)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": list(self.value_range), "clip_limit": self.clip_limit,
                       "tile_grid_size": list(self.tile_grid_size)})
        return config
