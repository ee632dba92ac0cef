"""Confusion-matrix metrics: TP/FP/TN/FN counts, Precision, Recall, AUC and the
sensitivity/specificity/precision/recall-at-operating-point family."""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import backend
from ember.keras.metrics import metrics_utils
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.metrics_utils import AUCCurve, AUCSummationMethod, ConfusionMatrix

__all__ = [
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    "Precision", "Recall", "AUC",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
    "RecallAtPrecision",
]


def _first_or_all(values, num_thresholds):
    return values[0] if num_thresholds == 1 else ember.identity(values)


class _ConfusionMatrixConditionCount(Metric):
    """Accumulates one confusion-matrix cell at each threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = \
            metrics_utils.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),),
                                             initializer="zeros", name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the (weighted) count of this cell for every threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight)

    def result(self):
        return _first_or_all(self.accumulator, len(self.thresholds))

    def get_config(self):
        config = super().get_config()
        config["thresholds"] = self.init_thresholds
        return config


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives (prediction > threshold, label 0).

    >>> m = ember.keras.metrics.FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _condition = ConfusionMatrix.FALSE_POSITIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives (prediction <= threshold, label 1).

    >>> m = ember.keras.metrics.FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _condition = ConfusionMatrix.FALSE_NEGATIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives (prediction <= threshold, label 0).

    >>> m = ember.keras.metrics.TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _condition = ConfusionMatrix.TRUE_NEGATIVES


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives (prediction > threshold, label 1).

    >>> m = ember.keras.metrics.TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _condition = ConfusionMatrix.TRUE_POSITIVES


class _RatioAtThresholds(Metric):
    """``TP / (TP + other)`` at each threshold, where ``other`` is false positives
    (precision) or false negatives (recall); ``top_k`` keeps only the k highest scores per
    sample as positives, ``class_id`` restricts to one class column."""

    _other = None          # (ConfusionMatrix condition, variable name)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds,
                                                              default_threshold=default)
        self._thresholds_distributed_evenly = \
            metrics_utils.is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        condition, var_name = self._other
        setattr(self, var_name, self.add_variable((n,), "zeros", name=var_name))
        self._other_variable = getattr(self, var_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the two confusion counts at every threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
             self._other[0]: self._other_variable},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        tp = ember.identity(self.true_positives)
        res = ember.math.divide_no_nan(tp, tp + self._other_variable)
        return _first_or_all(res, len(self.thresholds))

    def get_config(self):
        config = super().get_config()
        config.update({"thresholds": self.init_thresholds, "top_k": self.top_k,
                       "class_id": self.class_id})
        return config


class Precision(_RatioAtThresholds):
    """``TP / (TP + FP)`` at each threshold; ``top_k`` keeps only the k highest scores per
    sample as positives, ``class_id`` restricts to one class column.

    >>> m = ember.keras.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = (ConfusionMatrix.FALSE_POSITIVES, "false_positives")


class Recall(_RatioAtThresholds):
    """``TP / (TP + FN)`` at each threshold; ``top_k``/``class_id`` as in ``Precision``.

    >>> m = ember.keras.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = (ConfusionMatrix.FALSE_NEGATIVES, "false_negatives")


class _SensitivitySpecificityBase(Metric):
    """All four confusion cells at ``num_thresholds`` evenly spaced thresholds, for the
    "metric X at a fixed value of metric Y" family."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        self.num_thresholds = num_thresholds
        n = num_thresholds
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((n,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates all four confusion cells at every threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
             ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
             ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
             ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id, sample_weight=sample_weight)

    def _find_max_under_constraint(self, constrained, dependent, predicate):
        """max of ``dependent`` over thresholds where ``predicate(constrained, value)``
        holds (0 if none does)."""
        feasible = predicate(constrained, ember.cast(self.value, constrained.dtype))
        masked = ember.where(feasible, dependent, ember.zeros_like(dependent))
        return ember.where(ember.reduce_any(feasible), ember.reduce_max(masked),
                           ember.constant(0.0, dependent.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"num_thresholds": self.num_thresholds, "class_id": self.class_id})
        return config


def _check_unit(value, arg):
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{arg}` must be in the range [0, 1]. "
                         f"Received: {arg}={value}")


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity (recall) over thresholds whose specificity is >= ``specificity``."""

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit(specificity, "specificity")
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        tp, fn = ember.identity(self.true_positives), ember.identity(self.false_negatives)
        tn, fp = ember.identity(self.true_negatives), ember.identity(self.false_positives)
        sensitivities = ember.math.divide_no_nan(tp, tp + fn)
        specificities = ember.math.divide_no_nan(tn, tn + fp)
        return self._find_max_under_constraint(specificities, sensitivities,
                                               ember.greater_equal)

    def get_config(self):
        config = super().get_config()
        config["specificity"] = self.specificity
        return config


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity over thresholds whose sensitivity is >= ``sensitivity``."""

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit(sensitivity, "sensitivity")
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        tp, fn = ember.identity(self.true_positives), ember.identity(self.false_negatives)
        tn, fp = ember.identity(self.true_negatives), ember.identity(self.false_positives)
        sensitivities = ember.math.divide_no_nan(tp, tp + fn)
        specificities = ember.math.divide_no_nan(tn, tn + fp)
        return self._find_max_under_constraint(sensitivities, specificities,
                                               ember.greater_equal)

    def get_config(self):
        config = super().get_config()
        config["sensitivity"] = self.sensitivity
        return config


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision over thresholds whose recall is >= ``recall``."""

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit(recall, "recall")
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        tp, fn = ember.identity(self.true_positives), ember.identity(self.false_negatives)
        fp = ember.identity(self.false_positives)
        recalls = ember.math.divide_no_nan(tp, tp + fn)
        precisions = ember.math.divide_no_nan(tp, tp + fp)
        return self._find_max_under_constraint(recalls, precisions, ember.greater_equal)

    def get_config(self):
        config = super().get_config()
        config["recall"] = self.recall
        return config


class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall over thresholds whose precision is >= ``precision``."""

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit(precision, "precision")
        self.precision = precision
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self):
        tp, fn = ember.identity(self.true_positives), ember.identity(self.false_negatives)
        fp = ember.identity(self.false_positives)
        recalls = ember.math.divide_no_nan(tp, tp + fn)
        precisions = ember.math.divide_no_nan(tp, tp + fp)
        return self._find_max_under_constraint(precisions, recalls, ember.greater_equal)

    def get_config(self):
        config = super().get_config()
        config["precision"] = self.precision
        return config


class AUC(Metric):
    """Approximate area under the ROC or PR curve from confusion counts at
    ``num_thresholds`` thresholds.

    ``summation_method="interpolation"`` uses the trapezoid rule for ROC and the
    Davis & Goadrich (2006) interpolation for PR; ``"minoring"``/``"majoring"`` use lower
    and upper Riemann sums. ``multi_label=True`` computes one AUC per label column and
    averages them (weighted by ``label_weights`` if given).

    >>> m = ember.keras.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> round(float(m.result()), 4)
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            metrics_utils.assert_thresholds_range(thresholds)
            self._thresholds_distributed_evenly = \
                metrics_utils.is_evenly_distributed_thresholds([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1)
                          for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + thresholds + [1.0 + eps])
        self.curve = curve if isinstance(curve, AUCCurve) else AUCCurve.from_str(curve)
        self.summation_method = summation_method \
            if isinstance(summation_method, AUCSummationMethod) \
            else AUCSummationMethod.from_str(summation_method)
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            lw = np.asarray(label_weights, dtype=np.float64)
            if lw.ndim != 1:
                raise ValueError(f"AUC: label_weights must be 1-D (one weight per label); "
                                 f"got shape {lw.shape}")
            if np.any(lw < 0):
                raise ValueError(f"AUC: all values of label_weights must be non-negative; "
                                 f"got {lw.tolist()}")
            self.label_weights = ember.constant(lw.astype(
                ember.as_dtype(self.dtype).as_numpy_dtype))
        else:
            self.label_weights = None
        self._from_logits = from_logits
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used, including the endpoints just below 0 and above 1."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. "
                                 f"Found rank {len(shape)}. Full shape received for "
                                 f"`y_pred`: {shape}")
            if shape[1] is None:
                raise ValueError("AUC(multi_label=True) needs a known number of labels: "
                                 f"got y_pred shape {shape}; pass num_labels=")
            self._num_labels = int(shape[1])
            var_shape = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(var_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(var_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(var_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(var_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates confusion counts at every threshold (``from_logits`` applies a
        sigmoid first)."""
        y_pred = metrics_utils.to_tensor(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape.as_list()))
        if self.multi_label and metrics_utils.rank(y_pred) == 2 and \
                metrics_utils.static_dim(y_pred, 1) not in (None, self._num_labels):
            raise ValueError(f"AUC(multi_label=True) was built for {self._num_labels} labels; "
                             f"got y_pred shape {y_pred.shape}")
        label_weights = None if self.multi_label else self.label_weights
        if self._from_logits:
            y_pred = ember.sigmoid(ember.cast(y_pred, self.dtype) if not y_pred.dtype.is_floating
                                   else y_pred)
        metrics_utils.update_confusion_matrix_variables(
            {ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
             ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
             ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
             ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=label_weights)

    def _average(self, by_label):
        if self.label_weights is None:
            return ember.reduce_mean(by_label)
        lw = ember.cast(self.label_weights, by_label.dtype)
        return ember.math.divide_no_nan(ember.reduce_sum(by_label * lw), ember.reduce_sum(lw))

    def _reduce(self, terms):
        if self.multi_label:
            return self._average(ember.reduce_sum(terms, axis=0))
        return ember.reduce_sum(terms)

    def interpolate_pr_auc(self):
        """PR-AUC with precision interpolated between thresholds as Davis & Goadrich
        (2006): between consecutive thresholds precision is ``slope * P + intercept`` in
        the number of predicted positives P, which integrates in closed form."""
        n = self.num_thresholds
        tp = ember.identity(self.true_positives)
        fp = ember.identity(self.false_positives)
        fn = ember.identity(self.false_negatives)
        zero = ember.zeros_like(tp[1:])
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = ember.math.divide_no_nan(dtp, ember.maximum(dp, zero))
        intercept = tp[1:] - slope * p[1:]
        both_positive = ember.logical_and(ember.greater(p[:n - 1], zero),
                                          ember.greater(p[1:], zero))
        ratio = ember.where(both_positive,
                            ember.math.divide_no_nan(p[:n - 1], ember.maximum(p[1:], zero)),
                            ember.ones_like(p[1:]))
        increment = ember.math.divide_no_nan(
            slope * (dtp + intercept * ember.math.log(ratio)),
            ember.maximum(tp[1:] + fn[1:], zero))
        return self._reduce(increment)

    def result(self):
        if self.curve == AUCCurve.PR and \
                self.summation_method == AUCSummationMethod.INTERPOLATION:
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp = ember.identity(self.true_positives)
        fp = ember.identity(self.false_positives)
        tn = ember.identity(self.true_negatives)
        fn = ember.identity(self.false_negatives)
        recall = ember.math.divide_no_nan(tp, tp + fn)
        if self.curve == AUCCurve.ROC:
            x = ember.math.divide_no_nan(fp, fp + tn)
            y = recall
        elif self.curve == AUCCurve.PR:
            x = recall
            y = ember.math.divide_no_nan(tp, tp + fp)
        else:
            scale = ember.math.divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * ember.math.divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * ember.math.divide_no_nan(fp, tp)
            no_tp = ember.equal(tp, ember.zeros_like(tp))
            recall_gain = ember.where(no_tp, ember.zeros_like(tp), recall_gain)
            precision_gain = ember.where(no_tp, ember.ones_like(tp), precision_gain)
            x = ember.maximum(recall_gain, ember.zeros_like(tp))
            y = precision_gain
        if self.summation_method == AUCSummationMethod.INTERPOLATION:
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == AUCSummationMethod.MINORING:
            heights = ember.minimum(y[:n - 1], y[1:])
        else:
            heights = ember.maximum(y[:n - 1], y[1:])
        return self._reduce((x[:n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        lw = self.label_weights
        config = super().get_config()
        config.update({
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if lw is None else [float(v) for v in lw.numpy()],
            "from_logits": self._from_logits,
        })
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config
