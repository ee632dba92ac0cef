"""ember.ragged: ragged tensors (rows of different lengths), the start of tf.ragged.

>>> ember.ragged.constant([[1, 2], [3]]).to_list()
[[1, 2], [3]]
"""
from ember.ragged.ragged_tensor import RaggedTensor, constant  # noqa: F401

__all__ = ["RaggedTensor", "constant"]
