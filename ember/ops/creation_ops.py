"""Creation ops: range, linspace, eye (kept apart so array_ops may use Python's range)."""
from __future__ import annotations

__all__ = []
