"""F-beta and F1 scores accumulated from per-class true/false positive/negative totals."""
from __future__ import annotations

import ember
from ember.keras import backend
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.metrics_utils import to_tensor

__all__ = ["FBetaScore", "F1Score"]


class FBetaScore(Metric):
    """``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)`` per class for
    multi-label (or one-hot) 2-D inputs.

    ``threshold=None`` marks the highest prediction of each row as positive (unless it is
    0); otherwise predictions ``> threshold`` are positive. ``average`` is None (one score
    per class), ``"micro"`` (global counts), ``"macro"`` (mean of class scores) or
    ``"weighted"`` (class scores weighted by their number of true labels).

    >>> m = ember.keras.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().numpy().round(4)
    array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: "
                             "{None, 'micro', 'macro', 'weighted'}. "
                             f"Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError("Invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, "
                             f"output_dim). Received input shapes: y_pred.shape="
                             f"{y_pred_shape} and y_true.shape={y_true_shape}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, "
                             "output_dim), with output_dim fully defined (not None). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        self.true_positives = self.add_variable(shape, "zeros", dtype=self.dtype,
                                                name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", dtype=self.dtype,
                                                 name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", dtype=self.dtype,
                                                 name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros", dtype=self.dtype,
                                                      name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates weighted per-class TP, FP, FN and label totals."""
        y_true = to_tensor(y_true, self.dtype)
        y_pred = to_tensor(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        if self.threshold is None:
            row_max = ember.reduce_max(y_pred, axis=-1, keepdims=True)
            pred = ember.logical_and(ember.greater_equal(y_pred, row_max),
                                     ember.greater(ember.abs(y_pred), 1e-9))
        else:
            pred = ember.greater(y_pred, self.threshold)
        pred = ember.cast(pred, self.dtype)
        w = None
        if sample_weight is not None:
            w = ember.expand_dims(to_tensor(sample_weight, self.dtype), 1)

        def total(v):
            if w is not None:
                v = v * w
            return ember.reduce_sum(v, axis=self.axis)

        self.true_positives.assign_add(total(pred * y_true))
        self.false_positives.assign_add(total(pred * (1.0 - y_true)))
        self.false_negatives.assign_add(total((1.0 - pred) * y_true))
        self.intermediate_weights.assign_add(total(y_true))

    def result(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__}: result() was called before any "
                             f"update_state(); the number of classes is not known yet.")
        eps = backend.epsilon()
        tp = ember.identity(self.true_positives)
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta ** 2
        score = (precision * recall) / (b2 * precision + recall + eps) * (1.0 + b2)
        if self.average == "weighted":
            iw = ember.identity(self.intermediate_weights)
            weights = iw / (ember.reduce_sum(iw) + eps)
            score = ember.reduce_sum(score * weights)
        elif self.average is not None:
            score = ember.reduce_mean(score)
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = super().get_config()
        config.update({"average": self.average, "beta": self.beta,
                       "threshold": self.threshold})
        return config


class F1Score(FBetaScore):
    """The F-beta score with ``beta = 1``: harmonic mean of precision and recall.

    >>> m = ember.keras.metrics.F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().numpy().round(4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
