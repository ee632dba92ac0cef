"""Gives the lower layers the op-library functions they call (``ember.framework.hooks``).

Core types and the engine never import the op library; the backward walker's zeros, ones,
sums and stacks, a symbolic tensor's ``==`` and iteration, and a v1 graph variable's cast
are these functions, provided here when ``ember.ops`` is imported.
"""
from __future__ import annotations

import importlib

from ember.framework.hooks import provide
from ember.ops import array_ops, indexed_slices, math_ops


def load_fusions() -> None:
    """Declares the fused kernels (ember/ops/fusions.py) to the compiler; the engine's
    fusion registry calls this before it is read (the first compiled plan)."""
    importlib.import_module("ember.ops.fusions")


provide(
    add=math_ops.add, cast=math_ops.cast,
    equal_any=math_ops.equal_any, not_equal_any=math_ops.not_equal_any,
    zeros=array_ops.zeros, zeros_like=array_ops.zeros_like, ones_like=array_ops.ones_like,
    reshape=array_ops.reshape, stack=array_ops.stack, unstack=array_ops.unstack,
    sum_to_shape_of=array_ops.sum_to_shape_of, add_gradients=indexed_slices.add_gradients,
    one_hot_flat=array_ops.one_hot_flat, one_hot_rows=array_ops.one_hot_rows,
    load_fusions=load_fusions,
)
