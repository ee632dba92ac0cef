"""Neural-network ops: activations, softmax, cross-entropies, normalization helpers."""
from __future__ import annotations

__all__ = []
