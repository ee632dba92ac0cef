"""Convolutions: conv1d/2d/3d, transposed, depthwise, separable, grouped (im2col + GEMM)."""
from __future__ import annotations

__all__ = []
