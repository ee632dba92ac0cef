"""Masking: marks time steps whose features all equal ``mask_value`` as padding."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """Zeroes, and masks out, every time step whose features all equal ``mask_value``.

    The output carries a (batch, steps) boolean mask (``output._keras_mask``) that RNNs,
    attention, pooling, losses and metrics downstream honour.

    >>> x = ember.constant([[[1.], [0.]]])
    >>> keras.layers.Masking()(x)._keras_mask.numpy()
    array([[ True, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs, keepdims):
        value = ember.cast(ember.constant(self.mask_value), inputs.dtype)
        return ember.reduce_any(ember.not_equal(inputs, value), axis=-1, keepdims=keepdims)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs, False)

    def call(self, inputs):
        keep = self._keep(inputs, True)
        outputs = inputs * ember.cast(keep, inputs.dtype)
        outputs._keras_mask = ember.squeeze(keep, -1)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
