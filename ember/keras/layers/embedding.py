"""Embedding: a trainable table of vectors looked up by integer token ids."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import constraints, initializers, regularizers
from ember.keras.layers.layer import Layer
from ember.keras.layers.lora import LoRAMixin, lora_weight
from ember.ops.embedding_ops import embedding_lookup_checked

__all__ = ["Embedding"]


def _positive_int(value, what, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Layer {layer}: `{what}` must be a positive integer, "
                         f"received {what}={value!r}")
    return int(value)


class Embedding(LoRAMixin, Layer):
    """Maps token ids (batch, ...) to vectors (batch, ..., output_dim).

    The table ``embeddings`` has shape ``(input_dim, output_dim)``. With ``mask_zero=True``
    id 0 is padding: the output carries a mask ``ids != 0`` that later layers (RNNs,
    attention, pooling, losses) honour. An id outside ``[0, input_dim)`` raises an error
    naming this layer. Keras 2's ``input_length`` is accepted (it fixes the input shape).
    ``lora_rank`` / ``enable_lora(rank)`` adapt the table as for Dense (the pair is named
    ``lora_embeddings_a``/``_b``).

    >>> layer = keras.layers.Embedding(10, 4)
    >>> layer(ember.constant([[1, 2, 3]])).shape
    TensorShape([1, 3, 4])
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, input_length=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.input_dim = _positive_int(input_dim, "input_dim", self.name)
        self.output_dim = _positive_int(output_dim, "output_dim", self.name)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = input_length
        if input_length is not None and self._batch_input_shape is None:
            self._batch_input_shape = (None, int(input_length))
        self._initial_weights = [weights] if isinstance(weights, np.ndarray) else weights

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), name="embeddings",
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        self.built = True
        self._lora_after_build()

    _lora_target = "embeddings"
    _lora_prefix = "lora_embeddings"
    embeddings = lora_weight("embeddings")

    def call(self, inputs):
        if inputs.dtype.name not in ("int32", "int64"):
            inputs = ember.cast(inputs, "int32")
        out = embedding_lookup_checked(self.embeddings, inputs, layer=self.name)
        if out.dtype.name != self._dtype and ember.as_dtype(self._dtype).is_floating:
            out = ember.cast(out, self._dtype)
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ember.not_equal(inputs, ember.constant(0, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return self._lora_config(config)
