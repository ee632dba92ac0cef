"""ReversibleEmbedding (Keras 3): an Embedding that also maps vectors back to logits over
the vocabulary (``reverse=True``), with its own table or the transposed embeddings."""
from __future__ import annotations

import ember
from ember.keras.layers.embedding import Embedding

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """``layer(ids)`` looks vectors up as Embedding does; ``layer(x, reverse=True)`` gives
    ``x @ embeddings.T`` (or ``x @ reverse_embeddings`` when ``tie_weights=False``), cast to
    ``reverse_dtype`` when set and soft-capped as ``tanh(logits / cap) * cap`` with
    ``logit_soft_cap``.

    >>> layer = ReversibleEmbedding(10, 4)
    >>> layer(layer(ember.constant([[1, 2]])), reverse=True).shape
    TensorShape([1, 2, 10])
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights, self.reverse_dtype = bool(tie_weights), reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), name="reverse_embeddings",
                initializer=self.embeddings_initializer)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ember.transpose(self.embeddings) if self.tie_weights else \
            self.reverse_embeddings
        x = ember.convert_to_tensor(inputs)
        if self.reverse_dtype is not None:
            x, kernel = ember.cast(x, self.reverse_dtype), ember.cast(kernel, self.reverse_dtype)
        elif x.dtype != kernel.dtype:
            x = ember.cast(x, kernel.dtype)
        logits = ember.tensordot(x, kernel, 1) if x.shape.rank != 2 else ember.matmul(x, kernel)
        if self.logit_soft_cap is not None:
            cap = float(self.logit_soft_cap)
            logits = ember.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return super().compute_mask(inputs, mask) if inputs.dtype.is_integer else None

    def compute_output_shape(self, input_shape, reverse=False):
        shape = list(input_shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape.append(self.output_dim)
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
