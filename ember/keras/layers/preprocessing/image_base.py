"""The base of Keras's image preprocessing layers: data_format and value_range handling,
per-image random draws seeded through ember, identity at inference."""
from __future__ import annotations

import ember
from ember.keras.layers.convolutional import standardize_data_format
from ember.keras.layers.layer import Layer


def pair(value, name, layer, symmetric=True, low=None, high=None):
    """A (lower, upper) range from a number f (as (-f, f), or (0, f) when not symmetric)
    or a pair, checked against [low, high]."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{layer}: `{name}` must be a number or a pair of numbers. "
                             f"Received: {name}={value!r}")
        lo, hi = float(value[0]), float(value[1])
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = (-abs(float(value)), abs(float(value))) if symmetric else \
            (0.0, float(value))
    else:
        raise ValueError(f"{layer}: `{name}` must be a number or a pair of numbers. "
                         f"Received: {name}={value!r}")
    if lo > hi:
        raise ValueError(f"{layer}: `{name}` must have lower <= upper. Received: "
                         f"{name}={value!r}")
    if (low is not None and lo < low) or (high is not None and hi > high):
        raise ValueError(f"{layer}: `{name}` must be within [{low}, {high}]. Received: "
                         f"{name}={value!r}")
    return lo, hi


def value_range_arg(value_range, layer):
    if not isinstance(value_range, (list, tuple)) or len(value_range) != 2 or \
            float(value_range[0]) >= float(value_range[1]):
        raise ValueError(f"{layer}: `value_range` must be a pair (low, high) with low < high. "
                         f"Received: value_range={value_range!r}")
    return (float(value_range[0]), float(value_range[1]))


class ImageLayer(Layer):
    """Shared machinery: inputs (H, W, C) or (N, H, W, C) in ``data_format``, computed in
    channels-last float; ``augment`` runs only when ``training`` is true."""

    random = True

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.seed = seed
        self.supports_jit = False

    def to_nhwc(self, inputs):
        x = ember.convert_to_tensor(inputs)
        if x.shape.rank not in (3, 4):
            raise ValueError(f"{type(self).__name__}: inputs must be an image (H, W, C) or a "
                             f"batch (N, H, W, C), got shape {x.shape}")
        single = x.shape.rank == 3
        if single:
            x = ember.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = ember.transpose(x, [0, 2, 3, 1])
        dtype = self.compute_dtype
        if x.dtype.name != dtype:
            x = ember.cast(x, dtype)
        return x, single

    def from_nhwc(self, y, single):
        if self.data_format == "channels_first":
            y = ember.transpose(y, [0, 3, 1, 2])
        return ember.squeeze(y, [0]) if single else y

    def uniform(self, x, lo, hi, extra=()):
        """One draw per image of the batch ``x`` (shape (N,) + extra) in [lo, hi)."""
        shape = ember.concat([ember.shape(x)[:1], list(extra)], 0) if extra else \
            ember.shape(x)[:1]
        return ember.random.uniform(shape, lo, hi, seed=self.seed)

    def call(self, inputs, training=True):
        if self.random and not training:
            x = ember.convert_to_tensor(inputs)
            return x if x.dtype.name == self.compute_dtype else ember.cast(x, self.compute_dtype)
        x, single = self.to_nhwc(inputs)
        return self.from_nhwc(self.augment(x), single)

    def augment(self, x):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.random:
            config["seed"] = self.seed
        return config
