"""ember.ragged: ragged tensors (rows of different lengths), the start of tf.ragged.

>>> ember.ragged.constant([[1, 2], [3]]).to_list()
[[1, 2], [3]]
"""
from ember.ragged.ragged_ops import (  # noqa: F401
    RaggedTensorSpec, boolean_mask, map_flat_values, range, row_splits_to_segment_ids,
    segment_ids_to_row_splits, stack,
)
from ember.ragged.ragged_tensor import RaggedTensor, constant  # noqa: F401
from ember.ragged.ragged_cross import cross, cross_hashed  # noqa: F401

__all__ = ["RaggedTensor", "RaggedTensorSpec", "boolean_mask", "constant", "cross",
           "cross_hashed", "map_flat_values",
           "range", "row_splits_to_segment_ids", "segment_ids_to_row_splits", "stack"]
