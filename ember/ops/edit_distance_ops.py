"""``tf.edit_distance``: Levenshtein distances between the sequences of two
SparseTensors (the last dimension holds each sequence; the others index them)."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops.sparse_ops import SparseTensor

__all__ = ["edit_distance"]


def _levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def _sequences(indices, values, rank):
    seqs = {}
    order = np.lexsort(indices.T[::-1]) if len(indices) else []
    for k in order:
        seqs.setdefault(tuple(indices[k, :rank - 1].tolist()), []).append(values[k])
    return seqs


class _EditDistance(Op):
    name = "EditDistance"
    differentiable = False
    strings = True
    data_dependent_shape = True

    def infer(self, inputs, normalize):
        h_idx, h_val, h_shape, t_idx, t_val, t_shape = inputs
        if h_val.dtype is not t_val.dtype:
            raise InvalidArgumentError(f"{self.name}: hypothesis and truth must have one "
                                       f"dtype, got {h_val.dtype.name} and {t_val.dtype.name}")
        rank = h_shape.shape[0] if h_shape.shape.rank == 1 else None
        return TensorShape([None] * (rank - 1) if rank is not None else None), dtypes.float32

    def kernel(self, xp, h_idx, h_val, h_shape, t_idx, t_val, t_shape, normalize):
        if h_shape.shape != t_shape.shape:
            raise InvalidArgumentError(f"{self.name}: hypothesis and truth must have one rank, "
                                       f"got {h_shape.size} and {t_shape.size}")
        rank = int(h_shape.size)
        out_shape = tuple(int(v) for v in np.maximum(h_shape[:-1], t_shape[:-1]))
        hyp = _sequences(h_idx, h_val, rank)
        tru = _sequences(t_idx, t_val, rank)
        out = np.zeros(out_shape, np.float32)
        for key in set(hyp) | set(tru):
            a, b = hyp.get(key, []), tru.get(key, [])
            d = float(_levenshtein(a, b))
            if normalize:
                d = d / len(b) if b else (np.inf if a else 0.0)
            out[key] = d
        return out


EDIT_DISTANCE = _EditDistance()


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """The Levenshtein distance between each hypothesis and truth sequence (SparseTensors
    of one rank; the last dimension runs along a sequence), divided by the truth's length
    when ``normalize`` (inf for an empty truth against a non-empty hypothesis).

    >>> import ember as tf
    >>> h = tf.sparse.SparseTensor([[0, 0], [0, 1]], ["a", "b"], [1, 2])
    >>> t = tf.sparse.SparseTensor([[0, 0]], ["a"], [1, 1])
    >>> tf.edit_distance(h, t).numpy()
    array([1.], dtype=float32)
    """
    if not isinstance(hypothesis, SparseTensor) or not isinstance(truth, SparseTensor):
        raise TypeError("edit_distance: hypothesis and truth must be SparseTensors, got "
                        f"{type(hypothesis).__name__} and {type(truth).__name__}")
    return execute(EDIT_DISTANCE, (hypothesis.indices, hypothesis.values,
                                   hypothesis.dense_shape, truth.indices, truth.values,
                                   truth.dense_shape), {"normalize": bool(normalize)}, name)
