"""Wrapper (Keras 3's base of layers that wrap a layer) and SpectralNormalization."""
from __future__ import annotations

import ember
from ember.keras import initializers
from ember.keras.layers.layer import Layer

__all__ = ["SpectralNormalization", "Wrapper"]


class Wrapper(Layer):
    """Base class of layers that hold another ``layer`` (built with the wrapper, serialized
    in its config as ``layer``)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer "
                             f"type. Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        from ember.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config["layer"] = serialize_keras_object(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.layers import deserialize
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular
    value, estimated by ``power_iterations`` steps of power iteration on a kept vector
    ``vector_u``; in training the normalized kernel is written back, as Keras does.

    >>> layer = SpectralNormalization(keras.layers.Dense(3))
    >>> layer(ember.ones([2, 4]), training=True).shape
    TensorShape([2, 3])
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             f"nor 'embeddings'")
        self.kernel_shape = tuple(self.kernel.shape.as_list())
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]), name="vector_u", trainable=False,
            initializer=initializers.TruncatedNormal(stddev=0.02), dtype=self.kernel.dtype)

    @staticmethod
    def _unit(x):
        return x / ember.maximum(ember.sqrt(ember.reduce_sum(ember.square(x))), 1e-7)

    def normalized_weights(self):
        """(new vector_u, the kernel divided by its estimated spectral norm)."""
        weights = ember.reshape(self.kernel, [-1, self.kernel_shape[-1]])
        u = ember.convert_to_tensor(self.vector_u)
        for _ in range(self.power_iterations):
            v = self._unit(ember.matmul(u, weights, transpose_b=True))
            u = self._unit(ember.matmul(v, weights))
        u, v = ember.stop_gradient(u), ember.stop_gradient(v)
        sigma = ember.matmul(ember.matmul(v, weights), u, transpose_b=True)
        kernel = ember.reshape(ember.convert_to_tensor(self.kernel) / sigma,
                               self.kernel_shape)
        return ember.cast(u, self.vector_u.dtype), ember.cast(kernel, self.kernel.dtype)

    def call(self, inputs, training=False):
        if training:
            kernel = ember.convert_to_tensor(self.kernel)
            all_zero = ember.reduce_all(ember.equal(kernel, 0))
            new_u, new_kernel = ember.cond(
                all_zero, lambda: (ember.convert_to_tensor(self.vector_u), kernel),
                self.normalized_weights)
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
        x = ember.convert_to_tensor(inputs)
        return ember.cast(self.layer(x), x.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
