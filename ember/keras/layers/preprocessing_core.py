"""Rescaling: ``inputs * scale + offset`` in the layer's float dtype."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import backend
from ember.keras.layers.layer import Layer

__all__ = ["Rescaling"]


def _as_plain(value, name):
    if isinstance(value, ember.Tensor):
        value = value.numpy()
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
            raise ValueError(f"Rescaling: `{name}` must be a finite number or a list of "
                             f"numbers. Received: {name}={value!r}")
        return arr.tolist()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"Rescaling: `{name}` must be a number or a list of numbers. "
                         f"Received: {name}={value!r}")
    return float(value) if isinstance(value, (float, np.floating)) else int(value)


class Rescaling(Layer):
    """Rescales inputs: ``inputs * scale + offset`` (e.g. ``scale=1/255`` maps uint8 pixels
    to [0, 1]); ``scale`` and ``offset`` may be per-channel lists.

    >>> Rescaling(1 / 255)(ember.constant([[0, 255]], dtype="uint8")).numpy()
    array([[0., 1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _as_plain(scale, "scale")
        self.offset = _as_plain(offset, "offset")
        self.supports_masking = True

    def _channel_shaped(self, value, rank):
        t = ember.constant(np.asarray(value, dtype=ember.as_dtype(self.compute_dtype).np))
        n = len(t.shape)
        if n and backend.image_data_format() == "channels_first" and rank is not None \
                and rank > 2:
            t = ember.reshape(t, t.shape.as_list() + [1] * (rank - 1 - n))
        return t

    def call(self, inputs):
        dtype = self.compute_dtype
        x = inputs if inputs.dtype.name == dtype else ember.cast(inputs, dtype)
        rank = x.shape.rank
        return x * self._channel_shaped(self.scale, rank) + \
            self._channel_shaped(self.offset, rank)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config
