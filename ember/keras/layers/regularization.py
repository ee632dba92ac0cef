"""ActivityRegularization: adds an L1/L2 penalty on its input activity to the losses."""
from __future__ import annotations

from ember.keras import regularizers
from ember.keras.layers.layer import Layer

__all__ = ["ActivityRegularization"]


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` to ``losses``.

    >>> layer = ActivityRegularization(l1=0.1)
    >>> _ = layer(ember.constant([[1.0, -2.0]]))
    >>> len(layer.losses)
    1
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = self.activity_regularizer.l1
        self.l2 = self.activity_regularizer.l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config
