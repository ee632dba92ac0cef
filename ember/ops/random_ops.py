"""Random ops with TensorFlow's global and op seeds, random.Generator, dropout."""
from __future__ import annotations

__all__ = []
def dropout(*a, **k):
    raise NotImplementedError('dropout is being written')
