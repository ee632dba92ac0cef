"""``tf.ragged.cross`` and ``cross_hashed``: feature crosses of ragged, sparse and dense
inputs (in their order) as RaggedTensors; the crossing is ember/ops/sparse_cross_ops.py's."""
from __future__ import annotations

from ember.ops.sparse_cross_ops import cross_parts
from ember.ragged.ragged_tensor import RaggedTensor

__all__ = ["cross", "cross_hashed"]


def _ragged(idx, vals, shape):
    return RaggedTensor.from_value_rowids(vals, idx[:, 0], nrows=shape[0])


def cross(inputs, name=None):
    """The crosses of the features of each row of ``inputs`` (RaggedTensors,
    SparseTensors and dense [batch, k] tensors, in their order), joined by "_X_".

    >>> import ember as tf
    >>> tf.ragged.cross([tf.ragged.constant([["a", "b"], ["c"]]),
    ...                  tf.constant([["x"], ["y"]])]).to_list()
    [[b'a_X_x', b'b_X_x'], [b'c_X_y']]
    """
    return _ragged(*cross_parts(inputs, "ragged.cross", False, 0, None, None, False))


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The crosses of ``inputs`` hashed as TensorFlow hashes them (int64, in
    [0, num_buckets) when num_buckets > 0)."""
    return _ragged(*cross_parts(inputs, "ragged.cross_hashed", True, num_buckets, hash_key,
                                None, False))
