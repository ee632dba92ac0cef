"""Normalization: batch_normalization, fused_batch_norm, local_response_normalization."""
from __future__ import annotations

__all__ = []
