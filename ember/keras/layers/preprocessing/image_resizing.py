"""Resizing, CenterCrop and RandomCrop (Keras 3)."""
from __future__ import annotations

import ember
from ember.keras.layers.preprocessing.image_base import ImageLayer

__all__ = ["CenterCrop", "RandomCrop", "Resizing"]

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                   "gaussian", "mitchellcubic")


def crop_to_aspect(x, height, width):
    """The largest centred window of ``x`` (N, H, W, C) with the aspect ratio width/height."""
    h, w = x.shape[1], x.shape[2]
    ch = max(min(h, int(float(w * height) / width)), 1)
    cw = max(min(w, int(float(h * width) / height)), 1)
    top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
    return x[:, top:top + ch, left:left + cw, :]


def pad_to_aspect(x, height, width, fill_value):
    h, w = x.shape[1], x.shape[2]
    ph = max(h, int(float(w * height) / width))
    pw = max(w, int(float(h * width) / height))
    top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
    return ember.pad(x, [[0, 0], [top, ph - h - top], [left, pw - w - left], [0, 0]],
                     constant_values=fill_value)


class Resizing(ImageLayer):
    """Resizes images to ``height`` x ``width`` with ``interpolation``; optionally crops
    (``crop_to_aspect_ratio``) or pads (``pad_to_aspect_ratio``, with ``fill_value``) to the
    target aspect ratio first.

    >>> Resizing(2, 2)(ember.ones([4, 4, 1])).shape
    TensorShape([2, 2, 1])
    """

    random = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Resizing: `interpolation` must be one of {_INTERPOLATIONS}. "
                             f"Received: interpolation={interpolation!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of `crop_to_aspect_ratio` and "
                             "`pad_to_aspect_ratio` can be True.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: only fill_mode='constant' is supported. Received: "
                             f"fill_mode={fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def augment(self, x):
        if self.crop_to_aspect_ratio:
            x = crop_to_aspect(x, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            x = pad_to_aspect(x, self.height, self.width, self.fill_value)
        y = ember.image.resize(x, [self.height, self.width], method=self.interpolation,
                               antialias=self.antialias)
        return y if y.dtype.name == self.compute_dtype else ember.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        s = list(input_shape)
        if self.data_format == "channels_first":
            s[-2:] = [self.height, self.width]
        else:
            s[-3:-1] = [self.height, self.width]
        return tuple(s)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias})
        return config


class CenterCrop(ImageLayer):
    """Crops the centre ``height`` x ``width`` of each image; smaller images are first
    resized (keeping the aspect ratio) so the crop fits.

    >>> CenterCrop(2, 2)(ember.reshape(ember.range(16.0), [4, 4, 1]))[..., 0].numpy()
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    random = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def augment(self, x):
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            raise ValueError(f"CenterCrop: the image height and width must be known, got "
                             f"shape {x.shape}")
        if h < self.height or w < self.width:
            x = crop_to_aspect(x, self.height, self.width)
            return ember.image.resize(x, [self.height, self.width])
        return ember.image.crop_to_bounding_box(x, (h - self.height) // 2,
                                                (w - self.width) // 2, self.height, self.width)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class RandomCrop(CenterCrop):
    """In training, a random ``height`` x ``width`` window of each image (images not larger
    than that are centre-cropped to the aspect ratio and resized); at inference the images
    pass unchanged (as Keras 3)."""

    random = True

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        self.seed = seed

    def augment(self, x):
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None or h <= self.height or w <= self.width:
            return CenterCrop.augment(self, x)
        n = ember.shape(x)[0]
        dy = ember.cast(ember.floor(self.uniform(x, 0.0, 1.0) * (h - self.height + 1)),
                        "int32")
        dx = ember.cast(ember.floor(self.uniform(x, 0.0, 1.0) * (w - self.width + 1)),
                        "int32")
        rows = ember.minimum(dy, h - self.height)[:, None] + ember.range(self.height)[None]
        cols = ember.minimum(dx, w - self.width)[:, None] + ember.range(self.width)[None]
        b = ember.broadcast_to(ember.range(n)[:, None, None],
                               ember.stack([n, self.height, self.width]))
        r = ember.broadcast_to(rows[:, :, None], ember.stack([n, self.height, self.width]))
        c = ember.broadcast_to(cols[:, None, :], ember.stack([n, self.height, self.width]))
        return ember.gather_nd(x, ember.stack([b, r, c], -1))
