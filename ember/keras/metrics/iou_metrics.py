"""Intersection-over-union metrics built on an accumulated confusion matrix."""
from __future__ import annotations

import ember
from ember.keras import backend
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.metrics_utils import confusion_matrix, rank, to_tensor

__all__ = ["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class _IoUBase(Metric):
    """Accumulates a ``[num_classes, num_classes]`` confusion matrix (rows: labels)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "float32")
        self._direction = "up"
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                          dtype=self.dtype, name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the (weighted) confusion matrix of this batch; labels outside
        ``[0, num_classes)`` are not counted."""
        if not self.sparse_y_true:
            y_true = ember.argmax(to_tensor(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ember.argmax(to_tensor(y_pred), axis=self.axis)
        y_true = to_tensor(y_true, self.dtype)
        y_pred = to_tensor(y_pred, self.dtype)
        if rank(y_pred) > 1:
            y_pred = ember.reshape(y_pred, [-1])
        if rank(y_true) > 1:
            y_true = ember.reshape(y_true, [-1])
        if sample_weight is None:
            sample_weight = ember.ones_like(y_true)
        else:
            sample_weight = to_tensor(sample_weight, self.dtype)
            if rank(sample_weight) > 1:
                sample_weight = ember.reshape(sample_weight, [-1])
            sample_weight = ember.broadcast_to(sample_weight, ember.shape(y_true))
        if self.ignore_class is not None:
            valid = ember.cast(ember.not_equal(y_true, ember.cast(self.ignore_class,
                                                                  y_true.dtype)), self.dtype)
            y_true = y_true * valid
            y_pred = y_pred * valid
            sample_weight = sample_weight * valid
        cm = confusion_matrix(y_true, y_pred, self.num_classes, weights=sample_weight,
                              dtype=self.dtype)
        self.total_cm.assign_add(cm)

    def reset_state(self):
        self.total_cm.assign(ember.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """Mean of ``TP / (TP + FP + FN)`` over ``target_class_ids`` (classes never seen are
    left out of the mean).

    >>> m = ember.keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError("IoU: target_class_ids must contain at least one class id")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, "
                             f"which is [0, {num_classes}).")
        self.target_class_ids = target_class_ids

    def result(self):
        cm = ember.cast(self.total_cm, self.dtype)
        sum_over_row = ember.reduce_sum(cm, axis=0)
        sum_over_col = ember.reduce_sum(cm, axis=1)
        tp = ember.linalg.diag_part(cm)
        denominator = sum_over_row + sum_over_col - tp
        ids = ember.constant(self.target_class_ids, dtype="int32")
        tp = ember.gather(tp, ids)
        denominator = ember.gather(denominator, ids)
        num_valid = ember.reduce_sum(ember.cast(ember.greater(denominator, 1e-9), self.dtype))
        iou = tp / (denominator + backend.epsilon())
        return ember.reduce_sum(iou, axis=self.axis) / (num_valid + backend.epsilon())

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes,
                       "target_class_ids": self.target_class_ids,
                       "ignore_class": self.ignore_class,
                       "sparse_y_true": self.sparse_y_true,
                       "sparse_y_pred": self.sparse_y_pred,
                       "axis": self.axis})
        return config


class BinaryIoU(IoU):
    """IoU for binary predictions: values ``>= threshold`` are class 1, others class 0.

    >>> m = ember.keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Thresholds ``y_pred`` then accumulates the 2x2 confusion matrix."""
        y_true = to_tensor(y_true, self.dtype)
        y_pred = to_tensor(y_pred, self.dtype)
        y_pred = ember.cast(ember.greater_equal(y_pred, ember.cast(self.threshold, self.dtype)),
                            self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes.

    >>> m = ember.keras.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU over ``target_class_ids`` for one-hot labels and per-class scores (argmax).

    >>> m = ember.keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids,
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """MeanIoU for one-hot labels and per-class scores (argmax).

    >>> m = ember.keras.metrics.OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.8]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
