"""``ember.sparse`` (``tf.sparse``): SparseTensor and its ops."""
from ember.ops.sparse_ops import (  # noqa: F401
    SparseTensor, SparseTensorSpec, add, bincount, concat, expand_dims, eye, fill_empty_rows, from_dense, map_values,
    maximum, minimum, reduce_max, reduce_sum, reorder, reset_shape, reshape, retain, sampled_addmm,
    segment_mean, segment_sqrt_n, segment_sum, slice, softmax, sparse_dense_matmul, split,
    to_dense, to_indicator, transpose,
)
from ember.ops.indexed_slices import mask  # noqa: F401
from ember.ops.sparse_cross_ops import sparse_cross as cross  # noqa: F401
from ember.ops.sparse_cross_ops import sparse_cross_hashed as cross_hashed  # noqa: F401
