"""``Variable.scatter_*``, ``sparse_read`` and ``gather_nd``: updates of the rows (or
elements) of a variable that indices name, installed on ``Variable`` here because they
are op-library code.

Eagerly an update runs the AssignVariable kernel at once; while a graph is built it adds
an ``AssignVariable`` node of a ``scatter_*`` kind, which a compiled plan runs in place
on the variable's buffer when nothing read earlier still needs the old value.

>>> v = ember.Variable([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
>>> _ = v.scatter_add(ember.IndexedSlices(ember.constant([[10.0, 10.0]]), ember.constant([2])))
>>> v.numpy()[2]
array([13., 13.], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from ember.engine.graph import ASSIGN_VARIABLE
from ember.framework.context import context
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.variables import Variable
from ember.ops import array_ops, creation_ops
from ember.ops.indexed_slices import IndexedSlices

__all__ = ["scatter_variable"]


def scatter_variable(variable, kind, indices, updates):
    """Applies a ``scatter_*`` update to ``variable``; returns the variable eagerly, the
    updated value in a graph."""
    indices = indices if isinstance(indices, Tensor) else convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        raise TypeError(f"Variable.{kind}: indices must be integers, got {indices.dtype.name}")
    updates = updates if isinstance(updates, Tensor) else \
        convert_to_tensor(updates, dtype=variable.dtype)
    if updates.dtype is not variable.dtype:
        raise TypeError(f"Variable.{kind}: updates of dtype {updates.dtype.name} for variable "
                        f"'{variable.name}' of dtype {variable.dtype.name}")
    graph = context.graph
    if graph is None and isinstance(indices, EagerTensor) and isinstance(updates, EagerTensor)\
            and variable._array is not None:
        from ember.framework.op import Spec
        ASSIGN_VARIABLE.infer([Spec(indices.shape, indices.dtype, None),
                               Spec(updates.shape, updates.dtype, None)],
                              variable=variable, kind=kind)
        ASSIGN_VARIABLE.kernel(np, np.asarray(indices._value), np.asarray(updates._value),
                               variable=variable, kind=kind)
        return variable
    if graph is None:
        raise TypeError(f"Variable.{kind}: symbolic indices or updates outside a graph")
    return graph.assign_variable(variable, kind, updates, indices=indices)


def _sparse_method(kind, doc):
    def method(self, sparse_delta, use_locking=False, name=None):
        if not isinstance(sparse_delta, IndexedSlices):
            raise TypeError(f"Variable.{kind}: sparse_delta must be an IndexedSlices, got "
                            f"{type(sparse_delta).__name__}")
        return scatter_variable(self, kind, sparse_delta.indices, sparse_delta.values)
    method.__name__ = kind
    method.__doc__ = doc
    return method


def _nd_method(kind, doc):
    def method(self, indices, updates, name=None):
        return scatter_variable(self, kind, indices, updates)
    method.__name__ = kind
    method.__doc__ = doc
    return method


def batch_scatter_update(self, sparse_delta, use_locking=False, name=None):
    """Assigns ``sparse_delta.values`` at ``sparse_delta.indices`` along the last batch
    axis: for a variable of rank r and indices of rank r - 1 ... r - 1 leading batch axes,
    ``var[b..., indices[b..., j]] = values[b..., j]``."""
    if not isinstance(sparse_delta, IndexedSlices):
        raise TypeError(f"Variable.batch_scatter_update: sparse_delta must be an "
                        f"IndexedSlices, got {type(sparse_delta).__name__}")
    idx = sparse_delta.indices
    rank = idx.shape.rank
    if rank is None:
        raise ValueError("Variable.batch_scatter_update: indices need a known rank")
    if rank == 1:
        return scatter_variable(self, "scatter_update", idx, sparse_delta.values)
    shape = array_ops.shape(idx, out_type=idx.dtype)
    grids = creation_ops.meshgrid(*[creation_ops.range(shape[i], dtype=idx.dtype)
                                    for i in range(rank)], indexing="ij")
    full = array_ops.stack(grids[:-1] + [idx], axis=-1)
    return scatter_variable(self, "scatter_nd_update", full, sparse_delta.values)


def sparse_read(self, indices, name=None):
    """``gather(variable, indices)``: the rows at ``indices`` (its gradient is an
    IndexedSlices)."""
    return array_ops.gather(self, indices, name=name)


def gather_nd(self, indices, name=None):
    """``gather_nd(variable, indices)``."""
    return array_ops.gather_nd(self, indices, name=name)


_SPARSE = {
    "scatter_update": "Assigns ``sparse_delta.values`` to the rows at its indices.",
    "scatter_add": "Adds ``sparse_delta.values`` to the rows at its indices (repeats sum).",
    "scatter_sub": "Subtracts ``sparse_delta.values`` from the rows at its indices.",
    "scatter_mul": "Multiplies the rows at ``sparse_delta.indices`` by its values.",
    "scatter_div": "Divides the rows at ``sparse_delta.indices`` by its values.",
    "scatter_min": "Rows at ``sparse_delta.indices`` become the minimum with its values.",
    "scatter_max": "Rows at ``sparse_delta.indices`` become the maximum with its values.",
}
_ND = {
    "scatter_nd_update": "Assigns ``updates`` at the positions ``indices[..., :k]`` name.",
    "scatter_nd_add": "Adds ``updates`` at the positions ``indices[..., :k]`` name.",
    "scatter_nd_sub": "Subtracts ``updates`` at the positions ``indices[..., :k]`` name.",
}

for _kind, _doc in _SPARSE.items():
    setattr(Variable, _kind, _sparse_method(_kind, _doc))
for _kind, _doc in _ND.items():
    setattr(Variable, _kind, _nd_method(_kind, _doc))
Variable.batch_scatter_update = batch_scatter_update
Variable.sparse_read = sparse_read
Variable.gather_nd = gather_nd
