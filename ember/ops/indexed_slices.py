"""``tf.IndexedSlices``: rows ``values[k]`` of a tensor at ``indices[k]`` of its first axis
(rows not listed are zero; a row listed twice is summed). It converts to a dense tensor
wherever a tensor is expected, and is a ``nest.CompositeTensor`` (it passes through
``ember.function`` and loops).

As in TensorFlow, the gradient of ``gather(params, indices)`` along axis 0 (and of
``nn.embedding_lookup`` and Keras's ``Embedding``) w.r.t. ``params`` is an IndexedSlices:
one row per looked-up index, never a table of zeros. The backward walker passes it
through Identity and variable reads, densifies it for any other op's gradient, and adds
gradients with ``add_gradients``; optimizers and ``Variable.scatter_*`` update only the
rows it lists.
"""
from __future__ import annotations

from ember.framework import dtypes
from ember.framework.nest import CompositeTensor
from ember.framework.tensor import (
    EagerTensor, convert_to_tensor, register_tensor_conversion_function,
)
from ember.framework.tensor_shape import TensorShape

__all__ = ["IndexedSlices", "IndexedSlicesSpec", "mask", "add_gradients", "deduplicate"]


class IndexedSlices(CompositeTensor):
    """Slices of a dense tensor along its first axis.

    >>> s = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([2]), tf.constant([3, 2]))
    >>> tf.convert_to_tensor(s).numpy()
    array([[0., 0.], [0., 0.], [1., 2.]], dtype=float32)
    """

    _ember_indexed_slices = True

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        if not self._indices.dtype.is_integer:
            raise TypeError(f"IndexedSlices: indices must be integers, got "
                            f"{self._indices.dtype.name}")
        self._dense_shape = None if dense_shape is None else convert_to_tensor(
            dense_shape, dtype_hint=self._indices.dtype)

    def _ember_components(self):
        out = [self._values, self._indices]
        return out if self._dense_shape is None else out + [self._dense_shape]

    def _ember_rebuild(self, components):
        return IndexedSlices(*components)

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def shape(self) -> TensorShape:
        if self._dense_shape is None:
            return TensorShape([None]).concatenate(self._values.shape[1:])
        v = self._dense_shape._value if isinstance(self._dense_shape, EagerTensor) else \
            getattr(self._dense_shape, "_constant_value", None)
        if v is not None:
            return TensorShape([int(d) for d in v])
        return TensorShape([None] * (self._values.shape.rank or 0) or None)

    @property
    def device(self):
        return self._values.device

    def __neg__(self):
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __repr__(self):
        return (f"IndexedSlices(indices={self._indices}, values={self._values}, "
                f"dense_shape={self._dense_shape})")

    __str__ = __repr__


def _to_dense(value, dtype=None, name=None, as_ref=False):
    from ember.ops import math_ops
    if dtype is not None and dtypes.as_dtype(dtype) is not value.dtype:
        raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                         f"for IndexedSlices with dtype {value.dtype.name}")
    if value.dense_shape is None:
        raise ValueError("IndexedSlices without dense_shape cannot be converted to a tensor")
    rows = math_ops.cast(value.dense_shape[0], dtypes.int32)
    return math_ops.unsorted_segment_sum(value.values, value.indices, rows)


register_tensor_conversion_function(IndexedSlices, _to_dense)


class IndexedSlicesSpec(CompositeTensor):
    """Describes an IndexedSlices argument (``input_signature``)."""

    def __init__(self, shape=None, dtype=dtypes.float32, indices_dtype=dtypes.int64,
                 dense_shape_dtype=None, indices_shape=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._indices_dtype = dtypes.as_dtype(indices_dtype)
        self._dense_shape_dtype = None if dense_shape_dtype is None else \
            dtypes.as_dtype(dense_shape_dtype)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    def _ember_components(self):
        from ember.engine.function import TensorSpec
        rest = None if self._shape.rank is None else [None] + self._shape.as_list()[1:]
        out = [TensorSpec(rest, self._dtype), TensorSpec([None], self._indices_dtype)]
        if self._dense_shape_dtype is not None:
            out.append(TensorSpec([self._shape.rank], self._dense_shape_dtype))
        return out

    def _ember_rebuild(self, components):
        if all(type(c).__name__ == "TensorSpec" for c in components):
            return IndexedSlicesSpec(self._shape, self._dtype, self._indices_dtype,
                                     self._dense_shape_dtype)
        return IndexedSlices(*components)

    def __eq__(self, other):
        return isinstance(other, IndexedSlicesSpec) and vars(self) == vars(other)

    def __hash__(self):
        return hash((self._shape, self._dtype.name, self._indices_dtype.name))

    def __repr__(self):
        return f"IndexedSlicesSpec(shape={self._shape}, dtype={self._dtype!r})"


def add_gradients(a, b):
    """The sum of two gradients of one tensor, either of which may be IndexedSlices (what
    the backward walker does when a tensor is used twice): slices plus slices are their
    rows concatenated; slices plus a dense tensor is a dense tensor."""
    from ember.ops import array_ops, math_ops
    if isinstance(a, IndexedSlices) and isinstance(b, IndexedSlices):
        ia, ib = a.indices, b.indices
        if ia.dtype is not ib.dtype:
            ia, ib = math_ops.cast(ia, dtypes.int64), math_ops.cast(ib, dtypes.int64)
        shape = a.dense_shape if a.dense_shape is not None else b.dense_shape
        return IndexedSlices(array_ops.concat([a.values, b.values], 0),
                             array_ops.concat([ia, ib], 0), shape)
    return math_ops.add(convert_to_tensor(a), convert_to_tensor(b))


def deduplicate(slices):
    """``slices`` with each index listed once (in order of first appearance), its rows summed: the
    same dense value, fit for updates that are not linear in the gradient (squares)."""
    from ember.ops import array_ops, math_ops
    unique, position = array_ops.unique(slices.indices)
    summed = math_ops.unsorted_segment_sum(slices.values, position,
                                           array_ops.shape(unique)[0])
    return IndexedSlices(summed, unique, slices.dense_shape)


def mask(a, mask_indices, name=None):
    """The slices of ``a`` whose index is not in ``mask_indices``.

    >>> tf.sparse.mask(s, [2]).indices      # the slice at index 2 removed
    """
    from ember.ops import array_ops, math_ops, reduce_ops
    if not isinstance(a, IndexedSlices):
        raise TypeError(f"sparse.mask: expected IndexedSlices, got {type(a).__name__}")
    drop = convert_to_tensor(mask_indices, dtype=a.indices.dtype)
    keep = reduce_ops.reduce_all(math_ops.not_equal(array_ops.expand_dims(a.indices, 1),
                                                    array_ops.expand_dims(drop, 0)), axis=1)
    return IndexedSlices(array_ops.boolean_mask(a.values, keep),
                         array_ops.boolean_mask(a.indices, keep), a.dense_shape)

