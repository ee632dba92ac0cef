"""Image ops: resize, depth_to_space, space_to_depth, extract_patches."""
from __future__ import annotations

__all__ = []
