"""Core layers: Dense, Activation, Dropout, Flatten, Identity."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import activations, constraints, initializers, regularizers
from ember.keras.layers.layer import InputSpec, Layer
from ember.keras.layers.lora import LoRAMixin, lora_weight

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Identity"]


class Dense(LoRAMixin, Layer):
    """``activation(inputs @ kernel + bias)``; kernel shape ``(input_dim, units)``. With
    ``lora_rank`` (or ``enable_lora(rank)``) the kernel is frozen and adapted by a trainable
    low-rank pair (``ember.keras.layers.lora``).

    >>> layer = keras.layers.Dense(3)
    >>> layer(ember.ones([2, 4])).shape
    TensorShape([2, 3])
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer {self.name}: the last dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        self._lora_after_build()

    kernel = lora_weight("kernel")

    def call(self, inputs):
        if not (inputs.dtype.is_floating or inputs.dtype.is_complex):
            # integer or bool features: the product is in the kernel's dtype, as Keras's
            # type promotion makes it
            inputs = ember.cast(inputs, self.kernel.dtype)
        rank = inputs.ndim
        if rank == 2:
            x = ember.matmul(inputs, self.kernel)
        else:
            x = ember.tensordot(inputs, self.kernel, [[rank - 1], [0]])
        if self.bias is not None:
            x = x + self.bias
        if self.activation is not None and self.activation is not activations.linear:
            x = self.activation(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return self._lora_config(config)


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 during training (scaling the rest by
    1/(1-rate)); the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ember.zeros_like(inputs)
        noise_shape = self.noise_shape
        if noise_shape is not None:
            dyn = ember.shape(inputs)
            noise_shape = [dyn[i] if d is None else d for i, d in enumerate(noise_shape)]
        return ember.nn.dropout(inputs, rate=self.rate, noise_shape=noise_shape,
                                seed=self.seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


class Flatten(Layer):
    """Flattens all but the batch dimension: (N, 28, 28) -> (N, 784)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = inputs.shape
        if self.data_format == "channels_first" and shape.rank and shape.rank > 2:
            inputs = ember.transpose(inputs, [0] + list(range(2, shape.rank)) + [1])
            shape = inputs.shape
        rest = shape[1:].num_elements() if shape.rank is not None else None
        if rest is not None:
            return ember.reshape(inputs, [-1, rest])
        return ember.reshape(inputs, ember.stack([ember.shape(inputs)[0], -1]))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        n = None if any(d is None for d in rest) else int(np.prod(rest))
        return (input_shape[0], n)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs):
        return inputs
