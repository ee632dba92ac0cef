"""Activation layers: ReLU, Softmax, LeakyReLU, PReLU and ELU (Keras 3's arguments,
outputs and configs).

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10),
                              keras.layers.Softmax()])
"""
from __future__ import annotations

import warnings

import ember
from ember.keras import activations, constraints, initializers, regularizers
from ember.keras.layers.layer import InputSpec, Layer

__all__ = ["ReLU", "Softmax", "LeakyReLU", "PReLU", "ELU"]


def _non_negative(layer_name, arg, value, allow_none=False):
    if value is None and allow_none:
        return
    if value is None or value < 0:
        raise ValueError(f"{arg} of a {layer_name} layer cannot be None or a negative value. "
                         f"Received: {arg}={value}")


class _Elementwise(Layer):
    """An activation applied element by element: same shape out, masks passed through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """``max(x, 0)`` with an optional ceiling ``max_value``, a slope ``negative_slope``
    below ``threshold``, and values under ``threshold`` (when the slope is 0) set to 0.

    >>> ember.keras.layers.ReLU(max_value=6.0, negative_slope=0.5)(
    ...     ember.constant([-2.0, 1.0, 8.0])).numpy()
    array([-1.,  1.,  6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        _non_negative("ReLU", "max_value", max_value, allow_none=True)
        _non_negative("ReLU", "negative_slope", negative_slope)
        _non_negative("ReLU", "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(_Elementwise):
    """``x`` where positive, ``negative_slope * x`` elsewhere (Keras 2's ``alpha`` is
    accepted as the old name of ``negative_slope``).

    >>> ember.keras.layers.LeakyReLU(negative_slope=0.1)(ember.constant([-2.0, 3.0])).numpy()
    array([-0.2,  3. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope`.",
                          stacklevel=2)
        super().__init__(**kwargs)
        _non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_Elementwise):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    >>> ember.keras.layers.ELU(alpha=2.0)(ember.constant([0.0, 1.0])).numpy()
    array([0., 1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _large_negative(dtype):
    """A finite stand-in for -inf that exp() takes to 0 in ``dtype``."""
    return -3e4 if dtype in (ember.float16, ember.bfloat16) else -1e9


class Softmax(_Elementwise):
    """Softmax over ``axis`` (an int or several axes). With a ``mask`` (broadcastable to
    the inputs; True or > 0.5 keeps a position), masked positions take no part and get
    probability 0.

    >>> ember.keras.layers.Softmax()(ember.constant([[1.0, 1.0, 5.0]]),
    ...                              mask=ember.constant([[True, True, False]])).numpy()
    array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            inputs = ember.where(mask, inputs,
                                 ember.cast(_large_negative(inputs.dtype), inputs.dtype))
        outputs = activations.softmax(inputs, axis=self.axis)
        if mask is not None:
            outputs = ember.where(mask, outputs, ember.zeros_like(outputs))
        return outputs

    def _check_mask(self, inputs, mask):
        mask = ember.convert_to_tensor(mask)
        m_shape, i_shape = mask.shape.as_list(), inputs.shape.as_list()
        bad = len(m_shape) > len(i_shape) or any(
            m is not None and i is not None and m != 1 and m != i
            for m, i in zip(reversed(m_shape), reversed(i_shape)))
        if bad:
            raise ValueError(f"Layer {self.name}: the `mask` must be broadcastable to "
                             f"`inputs` (each mask dimension 1 or the input's, and no more "
                             f"dimensions). Received: inputs.shape={tuple(i_shape)}, "
                             f"mask.shape={tuple(m_shape)}")
        if mask.dtype != ember.bool:
            mask = ember.greater(mask, ember.cast(0.5, mask.dtype))
        return ember.broadcast_to(mask, ember.shape(inputs))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope: ``x`` where positive, ``alpha * x`` elsewhere,
    one ``alpha`` per input position except along ``shared_axes`` (e.g. ``[1, 2]`` shares
    each channel's slope over an image).

    >>> layer = ember.keras.layers.PReLU(alpha_initializer=ember.keras.initializers.Constant(0.25))
    >>> layer(ember.constant([[-4.0, 2.0]])).numpy()
    array([[-1.,  2.]], dtype=float32)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < rank:
                raise ValueError(f"Layer {self.name}: shared_axes must be axes 1..{rank - 1} "
                                 f"of inputs of shape {input_shape}; received "
                                 f"shared_axes={self.shared_axes}")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"Layer {self.name}: every non-shared axis of the input must "
                             f"have a known size; received input shape {input_shape} and "
                             f"shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, rank)
                if i not in (self.shared_axes or ())}
        self.input_spec = InputSpec(ndim=rank, axes=axes)
        self.built = True

    def call(self, inputs):
        positive = ember.nn.relu(inputs)
        negative = -self.alpha * ember.nn.relu(-inputs)
        return positive + negative

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config
