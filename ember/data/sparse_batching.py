"""sparse_batch (``tf.data.experimental.dense_to_sparse_batch``): batches of dense elements
of varying shape as one ``SparseTensor`` each.

Every entry of every element becomes a value (zeros too), at the index ``[i, *position]``
for the ``i``-th element of the batch, elements in order and each in row-major order. The
batch's dense shape is ``[elements in the batch] + row_shape``, a dimension ``row_shape``
leaves unknown (None) taking the largest size among the batch's elements.
"""
from __future__ import annotations

import numpy as np

from ember.data import structure
from ember.data.batching import _batch_cardinality, _groups
from ember.data.dataset import UnaryDataset
from ember.data.slicing import _count
from ember.engine.function import TensorSpec
from ember.framework import errors
from ember.framework.tensor import Tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["SparseBatchDataset"]


def _row_dims(row_shape):
    """``row_shape`` (a TensorShape, list or int64 vector tensor) -> a list of ints/None."""
    if isinstance(row_shape, Tensor):
        row_shape = row_shape.numpy().tolist()
    elif isinstance(row_shape, np.ndarray):
        row_shape = row_shape.tolist()
    try:
        shape = TensorShape(row_shape)
    except (TypeError, ValueError) as e:
        raise ValueError(f"Dataset.sparse_batch: row_shape must be a shape (a list of "
                         f"non-negative sizes or None), got {row_shape!r}: {e}") from None
    if shape.rank is None:
        raise ValueError("Dataset.sparse_batch: row_shape must have a known rank.")
    dims = shape.as_list()
    for d in dims:
        if d is not None and d < 0:
            raise ValueError(f"Dataset.sparse_batch: row_shape sizes must be >= 0, got "
                             f"{dims}.")
    return dims


class SparseBatchDataset(UnaryDataset):
    def __init__(self, input_dataset, batch_size, row_shape):
        super().__init__(input_dataset)
        from ember.sparse import SparseTensorSpec
        self._size = _count(batch_size, "Dataset.sparse_batch: batch_size")
        if self._size <= 0:
            raise ValueError(f"Dataset.sparse_batch: batch_size must be greater than zero, "
                             f"got {self._size}.")
        spec = input_dataset.element_spec
        if not isinstance(spec, TensorSpec):
            raise TypeError(f"Dataset.sparse_batch requires an input dataset whose elements "
                            f"have a single component, but the given dataset has elements "
                            f"{structure.structure_repr(spec)}.")
        self._row = _row_dims(row_shape)
        self._spec = SparseTensorSpec([None] + self._row, spec.dtype)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return _batch_cardinality(self._input._cardinality(), self._size, False)

    def _check(self, element):
        row = self._row
        if element.ndim != len(row):
            raise errors.InvalidArgumentError(
                f"Dataset.sparse_batch: input element had shape {list(element.shape)} that "
                f"is incompatible with the row shape {row}.")
        for have, most in zip(element.shape, row):
            if most is not None and have > most:
                raise errors.DataLossError(
                    f"Dataset.sparse_batch: input element had shape {list(element.shape)} "
                    f"that is larger than the row shape {row}.")

    def _iter(self):
        row = self._row
        for group in _groups(self._input._iter(), self._size, False):
            for e in group:
                self._check(e)
            dims = [d if d is not None else max(e.shape[k] for e in group)
                    for k, d in enumerate(row)]
            indices = [np.concatenate([np.full((e.size, 1), i, np.int64),
                                       np.indices(e.shape, np.int64).reshape(e.ndim,
                                                                             e.size).T],
                                      axis=1)
                       for i, e in enumerate(group)]
            values = np.concatenate([e.reshape(-1) for e in group])
            dense_shape = np.array([len(group)] + dims, np.int64)
            yield structure.pack(self._spec, [np.concatenate(indices), values, dense_shape])
