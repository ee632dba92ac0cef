"""Embedding lookups combined over the ids of each row of a SparseTensor:
``embedding_lookup_sparse`` and ``safe_embedding_lookup_sparse``."""
from __future__ import annotations

from ember.framework import dtypes
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops.nn_ops import embedding_lookup
from ember.ops.sparse_ops import SparseTensor

__all__ = ["embedding_lookup_sparse", "safe_embedding_lookup_sparse"]


def _combine(params, ids, weights, rows, num_rows, combiner, max_norm):
    emb = embedding_lookup(params, ids, max_norm=max_norm)
    if weights is not None:
        w = math_ops.cast(weights, emb.dtype)
        emb = emb * array_ops.expand_dims(w, -1)
    else:
        w = array_ops.ones_like(ids, dtype=emb.dtype)
    total = math_ops.unsorted_segment_sum(emb, rows, num_rows)
    if combiner == "sum":
        return total
    weight_sum = math_ops.unsorted_segment_sum(w, rows, num_rows)
    if combiner == "sqrtn":
        weight_sum = math_ops.sqrt(math_ops.unsorted_segment_sum(w * w, rows, num_rows))
    return math_ops.divide_no_nan(total, array_ops.expand_dims(weight_sum, -1))


def _check(sp_ids, sp_weights, combiner, fn):
    if combiner not in ("sum", "mean", "sqrtn"):
        raise ValueError(f"{fn}: combiner must be 'sum', 'mean' or 'sqrtn', got {combiner!r}")
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError(f"{fn}: sp_ids must be a SparseTensor, got {type(sp_ids).__name__}")
    if sp_weights is not None and not isinstance(sp_weights, SparseTensor):
        raise TypeError(f"{fn}: sp_weights must be a SparseTensor or None, got "
                        f"{type(sp_weights).__name__}")


def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner="mean", max_norm=None,
                            name=None, allow_fast_lookup=False):
    """For each row of the SparseTensor ``sp_ids`` ([batch, k] ids), the embeddings of its
    ids combined by ``combiner`` ("sum", "mean" or "sqrtn"), weighted by ``sp_weights``
    (same indices) when given. The result has one row per row up to the last non-empty
    one; empty rows are zeros.

    >>> import ember as tf
    >>> ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], [0, 2, 1], [2, 2])
    >>> tf.nn.embedding_lookup_sparse(tf.constant([[1.0], [2.0], [3.0]]), ids, None).numpy()
    array([[2.],
           [2.]], dtype=float32)
    """
    _check(sp_ids, sp_weights, combiner, "embedding_lookup_sparse")
    rows = sp_ids.indices[:, 0]
    num_rows = reduce_ops.reduce_max(rows) + 1
    weights = sp_weights.values if sp_weights is not None else None
    return _combine(params, sp_ids.values, weights, rows, num_rows, combiner, max_norm)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, max_norm=None, name=None,
                                 allow_fast_lookup=False):
    """Like embedding_lookup_sparse, but ids < 0 (and weights <= 0) are dropped, every
    row of ``sparse_ids`` gets an output (empty rows: the ``default_id`` embedding, or
    zeros), and ids may have more than two dimensions (the leading ones are kept)."""
    _check(sparse_ids, sparse_weights, combiner, "safe_embedding_lookup_sparse")
    dense_shape = math_ops.cast(sparse_ids.dense_shape, dtypes.int64)
    rank = sparse_ids.indices.shape[1]
    ids = math_ops.cast(sparse_ids.values, dtypes.int64)
    indices = math_ops.cast(sparse_ids.indices, dtypes.int64)
    if rank is None or rank < 2:
        raise ValueError(f"safe_embedding_lookup_sparse: sparse_ids must have rank >= 2, got "
                         f"{rank}")
    outer = dense_shape[:-1]
    num_rows = reduce_ops.reduce_prod(outer)
    # row-major row number of each entry's leading indices
    strides = math_ops.cumprod(outer, exclusive=True, reverse=True)
    rows = reduce_ops.reduce_sum(indices[:, :-1] * strides, axis=1)
    keep = math_ops.greater_equal(ids, 0)
    weights = None
    if sparse_weights is not None:
        weights = sparse_weights.values
        keep = math_ops.logical_and(keep, math_ops.greater(
            weights, array_ops.zeros_like(weights)))
        weights = array_ops.boolean_mask(weights, keep)
    ids = array_ops.boolean_mask(ids, keep)
    rows = array_ops.boolean_mask(rows, keep)
    out = _combine(embedding_weights, ids, weights, rows, num_rows, combiner, max_norm)
    if default_id is not None:
        present = math_ops.unsorted_segment_sum(array_ops.ones_like(rows), rows, num_rows)
        default = embedding_lookup(embedding_weights, [int(default_id)], max_norm=max_norm)
        out = array_ops.where(math_ops.equal(array_ops.expand_dims(present, -1), 0),
                              default + array_ops.zeros_like(out), out)
    dim = array_ops.shape(out, out_type=dtypes.int64)[1:]
    return array_ops.reshape(out, array_ops.concat([outer, dim], 0), name=name)
