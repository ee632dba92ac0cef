"""Attention layers: EinsumDense, MultiHeadAttention, GroupQueryAttention, Attention,
AdditiveAttention."""
from ember.keras.layers.attention.attention import AdditiveAttention, Attention  # noqa: F401
from ember.keras.layers.attention.einsum_dense import EinsumDense  # noqa: F401
from ember.keras.layers.attention.multi_head_attention import (  # noqa: F401
    GroupQueryAttention, MultiHeadAttention,
)

__all__ = ["EinsumDense", "MultiHeadAttention", "GroupQueryAttention", "Attention",
           "AdditiveAttention"]
