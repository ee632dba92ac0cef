"""Accuracy metrics: exact match, binary, categorical, sparse and top-k."""
from __future__ import annotations

import ember
from ember.keras import backend
from ember.keras.metrics.metrics_utils import (
    dim, in_top_k, rank, squeeze_or_expand_to_same_rank, static_dim, to_tensor,
)
from ember.keras.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
]


def _matches(a, b):
    return ember.cast(ember.equal(a, b), backend.floatx())


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred``, elementwise (as Keras 3: the metric classes take
    the mean, weighting each update by its number of samples).

    >>> ember.keras.metrics.accuracy([[1], [2]], [[1], [3]]).numpy()
    array([[1.],
           [0.]], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true``, elementwise (as Keras 3).

    >>> ember.keras.metrics.binary_accuracy([[1.0, 0.0]], [[0.7, 0.6]]).numpy()
    array([[1., 0.]], dtype=float32)
    """
    y_true = to_tensor(y_true)
    y_pred = to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.dtype == ember.bool:
        y_true = ember.cast(y_true, y_pred.dtype)
    pred = ember.cast(ember.greater(y_pred, ember.cast(threshold, y_pred.dtype)), y_true.dtype)
    return _matches(y_true, pred)


def _argmax_matches(y_true_labels, y_pred, squeeze_unit=False):
    """Compares integer labels with ``argmax(y_pred, -1)``; labels of shape ``[..., 1]``
    matching y_pred's rank are squeezed first."""
    y_true_shape = ember.shape(y_true_labels)
    reshape = False
    if rank(y_true_labels) == rank(y_pred) and \
            (not squeeze_unit or static_dim(y_true_labels, -1) == 1):
        y_true_labels = ember.squeeze(y_true_labels, axis=-1)
        reshape = True
    pred = ember.argmax(y_pred, axis=-1)
    if pred.dtype != y_true_labels.dtype:
        pred = ember.cast(pred, y_true_labels.dtype)
    out = _matches(y_true_labels, pred)
    if reshape:
        out = ember.reshape(out, y_true_shape)
    return out


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` (one-hot labels), else 0.0.

    >>> ember.keras.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                                          [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    labels = ember.argmax(to_tensor(y_true), axis=-1)
    return _argmax_matches(labels, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals ``argmax(y_pred)``; labels may be ``(N,)`` or
    ``(N, 1)``.

    >>> ember.keras.metrics.sparse_categorical_accuracy([[2], [1]],
    ...                                                 [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if y_true.dtype.is_floating and not y_pred.dtype.is_floating:
        y_true = ember.cast(y_true, y_pred.dtype)
    out = _argmax_matches(y_true, y_pred, squeeze_unit=True)
    if rank(out) > 1 and static_dim(out, -1) == 1:
        out = ember.squeeze(out, axis=-1)
    return out


def _top_k_matches(labels, y_pred, k):
    labels_shape = ember.shape(labels)
    reshape = False
    if rank(y_pred) > 2:
        y_pred = ember.reshape(y_pred, [-1, dim(y_pred, -1)])
    if rank(labels) > 1:
        reshape = True
        labels = ember.reshape(labels, [-1])
    out = ember.cast(in_top_k(ember.cast(labels, "int32"), y_pred, k), backend.floatx())
    if reshape:
        out = ember.reshape(out, labels_shape)
    return out


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target class is among the ``k`` highest predictions.

    >>> ember.keras.metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                                                [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                                                k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    labels = ember.argmax(to_tensor(y_true), axis=-1)
    return _top_k_matches(labels, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer target is among the ``k`` highest predictions. With
    ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by decreasing score.

    >>> ember.keras.metrics.sparse_top_k_categorical_accuracy(
    ...     [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1).numpy()
    array([0., 1.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if from_sorted_ids:
        if rank(y_true) == rank(y_pred) and static_dim(y_true, -1) == 1:
            y_true = ember.squeeze(y_true, axis=-1)
        ids = ember.cast(y_pred[..., :k], "int64")
        hit = ember.reduce_any(ember.equal(ids, ember.expand_dims(
            ember.cast(y_true, "int64"), -1)), axis=-1)
        return ember.cast(hit, backend.floatx())
    if rank(y_true) == rank(y_pred) and static_dim(y_true, -1) == 1:
        y_true = ember.squeeze(y_true, axis=-1)
    return _top_k_matches(y_true, y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly.

    >>> m = ember.keras.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    >>> m = ember.keras.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels.

    >>> m = ember.keras.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels (shape ``(N,)`` or ``(N, 1)``).

    >>> m = ember.keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the top ``k`` predictions.

    >>> m = ember.keras.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the top ``k`` predictions.

    >>> m = ember.keras.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
