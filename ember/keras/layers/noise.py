"""Noise and spatial-dropout layers, active only in training: SpatialDropout1D/2D/3D,
GaussianNoise, GaussianDropout, AlphaDropout."""
from __future__ import annotations

import math

import ember
from ember.keras.layers.convolutional import shape_text, standardize_data_format
from ember.keras.layers.layer import InputSpec, Layer

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
           "GaussianDropout", "AlphaDropout"]


def _check_fraction(value, name):
    try:
        ok = 0 <= float(value) <= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float "
                         f"value between 0 and 1. Received: {name}={value}")
    return float(value)


def _dynamic_shape(inputs):
    static = inputs.shape.as_list()
    if all(d is not None for d in static):
        return static
    return ember.shape(inputs)


class _SpatialDropout(Layer):
    """Drops whole feature maps (channels) of each sample, scaling the rest by
    ``1 / (1 - rate)``."""

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_fraction(rate, "rate")
        self.seed = seed
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _noise_shape(self, inputs):
        shape = _dynamic_shape(inputs)
        n = shape[0]
        if self.data_format == "channels_first":
            return [n, shape[1]] + [1] * self.rank
        return [n] + [1] * self.rank + [shape[-1]]

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ember.zeros_like(inputs)
        return ember.nn.dropout(inputs, rate=self.rate, noise_shape=self._noise_shape(inputs),
                                seed=self.seed)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f"layer: expected ndim={self.rank + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{shape_text(input_shape)}")
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of entire channels of (batch, steps, channels) inputs in training.

    >>> SpatialDropout1D(0.5)(ember.ones([2, 3, 4]), training=False).shape
    TensorShape([2, 3, 4])
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of entire 2-D feature maps in training.

    >>> SpatialDropout2D(0.5)(ember.ones([2, 3, 3, 4]), training=False).shape
    TensorShape([2, 3, 3, 4])
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format, seed, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Dropout of entire 3-D feature maps in training.

    >>> SpatialDropout3D(0.5)(ember.ones([1, 2, 2, 2, 4]), training=False).shape
    TensorShape([1, 2, 2, 2, 4])
    """

    rank = 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, data_format, seed, **kwargs)


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    >>> GaussianNoise(0.1)(ember.ones([2, 3]), training=False).numpy().tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _check_fraction(stddev, "stddev")
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        noise = ember.random.normal(_dynamic_shape(inputs), mean=0.0, stddev=self.stddev,
                                    dtype=inputs.dtype, seed=self.seed)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training.

    >>> GaussianDropout(0.2)(ember.ones([2, 3]), training=False).shape
    TensorShape([2, 3])
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_fraction(rate, "rate")
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ember.zeros_like(inputs)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = ember.random.normal(_dynamic_shape(inputs), mean=1.0, stddev=stddev,
                                    dtype=inputs.dtype, seed=self.seed)
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation and
    the result affinely corrected to keep the mean and variance in training.

    >>> AlphaDropout(0.2)(ember.ones([2, 3]), training=False).shape
    TensorShape([2, 3])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_fraction(rate, "rate")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        rate = self.rate
        if rate == 1:
            return ember.zeros_like(inputs)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        shape = _dynamic_shape(inputs)
        if self.noise_shape is not None:
            shape = [shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        kept = ember.cast(ember.random.uniform(shape, dtype=inputs.dtype, seed=self.seed) >=
                          rate, inputs.dtype)
        a = ((1.0 - rate) * (1.0 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        x = inputs * kept + (1.0 - kept) * alpha_p
        return a * x + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape,
                       "seed": self.seed})
        return config
