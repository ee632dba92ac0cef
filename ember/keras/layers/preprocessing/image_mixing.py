"""Augmentations that mix or erase regions, and combinations (Keras 3): MixUp, CutMix,
RandomErasing, RandomGaussianBlur, RandAugment, Pipeline."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer
from ember.keras.layers.preprocessing.image_base import ImageLayer, pair
from ember.keras.layers.preprocessing.image_color import (
    AutoContrast, Equalization, RandomBrightness, RandomColorDegeneration, RandomContrast,
    RandomPosterization, RandomSharpness, Solarization, _ColorLayer,
)
from ember.keras.layers.preprocessing.image_geometric import (
    RandomRotation, RandomShear, RandomTranslation,
)
from ember.keras.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["CutMix", "MixUp", "Pipeline", "RandAugment", "RandomErasing",
           "RandomGaussianBlur"]


class _MixLayer(ImageLayer):
    """Mixes each image with another image of the batch; a dict input
    {"images", "labels"} has its labels mixed in the same proportions."""

    def call(self, inputs, training=True):
        labels = None
        if isinstance(inputs, dict):
            labels, inputs = inputs.get("labels"), inputs["images"]
        if not training:
            return inputs if labels is None else {"images": inputs, "labels": labels}
        x, single = self.to_nhwc(inputs)
        perm = ember.argsort(self.uniform(x, 0.0, 1.0))
        images, weight = self.mix(x, ember.gather(x, perm))
        images = self.from_nhwc(images, single)
        if labels is None:
            return images
        labels = ember.cast(labels, images.dtype)
        w = ember.reshape(weight, [-1] + [1] * (labels.shape.rank - 1))
        return {"images": images, "labels": w * labels + (1 - w) * ember.gather(labels, perm)}


class MixUp(_MixLayer):
    """lam * image + (1 - lam) * another image of the batch, lam ~ Beta(alpha, alpha)."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.alpha = float(alpha)

    def mix(self, x, other):
        n = ember.shape(x)[:1]
        a = ember.random.gamma(n, self.alpha, seed=self.seed)
        b = ember.random.gamma(n, self.alpha, seed=self.seed)
        lam = a / (a + b)
        return lam[:, None, None, None] * x + (1 - lam[:, None, None, None]) * other, lam

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _boxes(layer, x, area):
    """A random box per image covering ``area`` (N,) of it: (N, H, W, 1) float mask."""
    h, w = x.shape[1], x.shape[2]
    ch = ember.floor(h * ember.sqrt(area))
    cw = ember.floor(w * ember.sqrt(area))
    cy = layer.uniform(x, 0.0, float(h))
    cx = layer.uniform(x, 0.0, float(w))
    y0, y1 = ember.maximum(cy - ch / 2, 0.0), ember.minimum(cy + ch / 2, float(h))
    x0, x1 = ember.maximum(cx - cw / 2, 0.0), ember.minimum(cx + cw / 2, float(w))
    rows = ember.range(h, dtype=x.dtype)[None, :] + 0.5
    cols = ember.range(w, dtype=x.dtype)[None, :] + 0.5
    in_r = ember.logical_and(ember.greater_equal(rows, y0[:, None]),
                             ember.less(rows, y1[:, None]))
    in_c = ember.logical_and(ember.greater_equal(cols, x0[:, None]),
                             ember.less(cols, x1[:, None]))
    return ember.cast(ember.logical_and(in_r[:, :, None], in_c[:, None, :]), x.dtype)[..., None]


class CutMix(_MixLayer):
    """Pastes a random box of another image of the batch into each image; the box covers
    1 - lam of the image, lam ~ Beta(factor, factor); labels mix by the kept area."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = float(factor)

    def mix(self, x, other):
        n = ember.shape(x)[:1]
        a = ember.random.gamma(n, self.factor, seed=self.seed)
        b = ember.random.gamma(n, self.factor, seed=self.seed)
        mask = _boxes(self, x, 1.0 - a / (a + b))
        kept = 1.0 - ember.reduce_mean(mask, [1, 2, 3])
        return x * (1 - mask) + other * mask, kept

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


class RandomErasing(_ColorLayer):
    """With probability ``factor``, fills a random box covering a fraction ``scale`` of
    each image with ``fill_value`` (random values in ``value_range`` when None)."""

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)
        self.scale = pair(scale, "scale", "RandomErasing", False, 0, 1)
        self.fill_value = fill_value

    def augment(self, x):
        mask = _boxes(self, x, self.uniform(x, *self.scale))
        mask = mask * ember.cast(ember.less(self.per_image(x, 0.0, 1.0), self.upper), x.dtype)
        if self.fill_value is None:
            fill = ember.random.uniform(ember.shape(x), *self.value_range, dtype=x.dtype,
                                        seed=self.seed)
        else:
            fill = ember.zeros_like(x) + ember.cast(self.fill_value, x.dtype)
        return x * (1 - mask) + fill * mask

    def get_config(self):
        config = super().get_config()
        config.update({"scale": list(self.scale), "fill_value": self.fill_value})
        return config


class RandomGaussianBlur(_ColorLayer):
    """With probability ``factor``, blurs each image with a ``kernel_size`` Gaussian whose
    sigma is drawn from ``sigma`` (a number s means [0, s])."""

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)
        self.kernel_size = int(kernel_size)
        self.sigma = sigma
        self.sigma_range = pair(sigma, "sigma", "RandomGaussianBlur", False, 0)

    def augment(self, x):
        k = self.kernel_size
        s = ember.maximum(self.per_image(x, *self.sigma_range), 1e-3)  # (N,1,1,1)
        coords = ember.range(k, dtype=x.dtype) - (k - 1) / 2.0
        g = ember.exp(-ember.square(coords)[None, :] / (2 * ember.square(s[:, 0, 0])))
        g = g / ember.reduce_sum(g, 1, keepdims=True)  # (N, k)
        pad = [[0, 0], [k // 2, (k - 1) // 2], [k // 2, (k - 1) // 2], [0, 0]]
        xp = ember.pad(x, pad, mode="REFLECT") if min(x.shape[1], x.shape[2]) > k else \
            ember.pad(x, pad, mode="SYMMETRIC")
        h, w = x.shape[1], x.shape[2]
        rows = ember.add_n([g[:, i, None, None, None] * xp[:, i:i + h] for i in range(k)])
        out = ember.add_n([g[:, i, None, None, None] * rows[:, :, i:i + w] for i in range(k)])
        apply = ember.less(self.per_image(x, 0.0, 1.0), self.upper)
        return ember.where(apply, out, x)

    def get_config(self):
        config = super().get_config()
        config.update({"kernel_size": self.kernel_size, "sigma": self.sigma})
        return config


class RandAugment(_ColorLayer):
    """Applies ``num_ops`` transformations, each picked at random per image from
    RandAugment's list (rotation, shear, translation, brightness, contrast, color,
    sharpness, posterize, solarize, auto-contrast, equalize), with magnitude ``factor``."""

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(None, value_range, data_format, seed, **kwargs)
        self.num_ops, self.factor, self.interpolation = int(num_ops), factor, interpolation
        f = float(factor if not isinstance(factor, (list, tuple)) else factor[1])
        vr = self.value_range
        self.ops = [
            RandomRotation(f * 30 / 360, interpolation=interpolation, seed=seed),
            RandomShear(f * 0.3, f * 0.3, interpolation=interpolation, seed=seed),
            RandomTranslation(f * 0.3, f * 0.3, interpolation=interpolation, seed=seed),
            RandomBrightness(f * 0.9, vr, seed=seed),
            RandomContrast(min(f * 0.9, 1.0), vr, seed=seed),
            RandomColorDegeneration(f, vr, seed=seed),
            RandomSharpness(f, vr, seed=seed),
            RandomPosterization(max(1, int(8 - 4 * f)), vr, seed=seed),
            Solarization(threshold_factor=(1 - f, 1.0), value_range=vr, seed=seed),
            AutoContrast(vr), Equalization(vr),
        ]

    def augment(self, x):
        n = ember.shape(x)[0]
        for _ in range(self.num_ops):
            outs = ember.stack([op.augment(x) for op in self.ops], 1)  # (N, ops, H, W, C)
            pick = ember.cast(ember.floor(self.uniform(x, 0.0, float(len(self.ops)) - 1e-3)),
                              "int32")
            x = ember.gather_nd(outs, ember.stack([ember.range(n), pick], 1))
        return self.clip(x)

    def get_config(self):
        config = super().get_config()
        config.update({"num_ops": self.num_ops, "factor": self.factor,
                       "interpolation": self.interpolation})
        return config


class Pipeline(Layer):
    """Applies ``layers`` in order (training passed on)."""

    random = True

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline = list(layers)

    @property
    def layers(self):
        return list(self._pipeline)

    def call(self, inputs, training=True):
        for layer in self._pipeline:
            inputs = layer(inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["layers"] = [serialize_keras_object(layer) for layer in self._pipeline]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from ember.keras import layers as layers_module
        objects = layers_module._layer_classes()
        config["layers"] = [deserialize_keras_object(c, module_objects=objects)
                            for c in config["layers"]]
        return cls(**config)


