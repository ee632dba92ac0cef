"""Embedding lookup: rows of a table at integer ids, with a layer-named bounds check.

``EmbeddingLookup`` is ``gather(table, ids, axis=0)`` whose error for an id outside
``[0, rows)`` names the Keras layer that owns the table (eagerly and in compiled plans).
Its gradient w.r.t. the table is TensorFlow's gather gradient: an ``IndexedSlices``
holding one row per id (no table of zeros), which optimizers apply row by row and
``convert_to_tensor`` sums per id.
"""
from __future__ import annotations

import numpy as np

from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops._base import tensor

__all__ = ["embedding_lookup_checked"]

_INT_KINDS = ("i", "u")


def _check_ids(layer, ids, rows):
    if ids.size == 0:
        return
    lo, hi = ids.min(), ids.max()
    if lo < 0 or hi >= rows:
        bad = int(hi if hi >= rows else lo)
        pos = np.argwhere(ids == bad)[0]
        raise InvalidArgumentError(
            f"Layer {layer!r} (Embedding): token id {bad} at position {tuple(int(p) for p in pos)}"
            f" is outside [0, input_dim={rows}). Every id must be >= 0 and < input_dim; "
            f"raise input_dim or clip the ids. [Op:EmbeddingLookup]")


class _EmbeddingLookup(Op):
    name = "EmbeddingLookup"
    fresh_output = True       # take() copies: the result never shares the table's buffer

    def infer(self, inputs, layer):
        table, ids = inputs
        if ids.dtype.name not in ("int32", "int64"):
            raise InvalidArgumentError(f"Layer {layer!r} (Embedding): ids must be int32 or "
                                       f"int64, got {ids.dtype.name} [Op:EmbeddingLookup]")
        if table.shape.rank is None or ids.shape.rank is None:
            return TensorShape(None), table.dtype
        return TensorShape(ids.shape.as_list() + table.shape.as_list()[1:]), table.dtype

    def kernel(self, xp, table, ids, layer):
        _check_ids(layer, ids, table.shape[0])
        return table.take(ids, axis=0)

    def grad(self, call, g):
        from ember.ops.array_ops import rows_gradient
        table, ids = call.inputs
        return rows_gradient(g, ids, table), None


EMBEDDING_LOOKUP = _EmbeddingLookup()


def embedding_lookup_checked(table, ids, layer="embedding"):
    """Rows of ``table`` at ``ids`` (int32/int64); an id outside ``[0, rows)`` raises an
    ``InvalidArgumentError`` naming ``layer``.

    >>> embedding_lookup_checked(ember.eye(3), ember.constant([2, 0])).numpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    return execute(EMBEDDING_LOOKUP, (tensor(table), tensor(ids)), {"layer": str(layer)})
