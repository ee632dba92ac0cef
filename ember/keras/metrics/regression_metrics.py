"""Regression metrics: mean errors, RMSE, cosine similarity, log-cosh and R^2."""
from __future__ import annotations

import ember
from ember.keras import backend, losses
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.metrics_utils import (
    rank, squeeze_or_expand_to_same_rank, to_tensor,
)
from ember.keras.metrics.reduction_metrics import Mean, MeanMetricWrapper

__all__ = [
    "MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
    "LogCoshError", "R2Score", "cosine_similarity",
]


def _pred_true(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, backend.floatx())
    y_true = to_tensor(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per sample, the cosine of the angle between ``y_true`` and ``y_pred`` along
    ``axis`` (1 for parallel vectors; the loss of the same name is its negative).

    >>> ember.keras.metrics.cosine_similarity([[0.0, 1.0]], [[1.0, 1.0]]).numpy().round(4)
    array([0.7071], dtype=float32)
    """
    y_true, y_pred = _pred_true(y_true, y_pred)
    y_true = ember.nn.l2_normalize(y_true, axis=axis)
    y_pred = ember.nn.l2_normalize(y_pred, axis=axis)
    return ember.reduce_sum(y_true * y_pred, axis=axis)


class _LossMean(MeanMetricWrapper):
    """A MeanMetricWrapper over a fixed function whose config is just name and dtype."""

    _function = None

    def __init__(self, name=None, dtype=None):
        super().__init__(fn=type(self)._function, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_LossMean):
    """Mean of ``square(y_true - y_pred)``.

    >>> m = ember.keras.metrics.MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    _function = staticmethod(losses.mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_LossMean):
    """Mean of ``abs(y_true - y_pred)``.

    >>> m = ember.keras.metrics.MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    _function = staticmethod(losses.mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """Mean of ``100 * abs((y_true - y_pred) / y_true)``.

    >>> m = ember.keras.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[2.0]], [[1.0]])
    >>> float(m.result())
    50.0
    """

    _function = staticmethod(losses.mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Mean of ``square(log(y_true + 1) - log(y_pred + 1))``.

    >>> m = ember.keras.metrics.MeanSquaredLogarithmicError()
    >>> m.update_state([[1.0]], [[1.0]])
    >>> float(m.result())
    0.0
    """

    _function = staticmethod(losses.mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """Mean of ``log(cosh(y_pred - y_true))``.

    >>> m = ember.keras.metrics.LogCoshError()
    >>> m.update_state([[0.0]], [[0.0]])
    >>> float(m.result())
    0.0
    """

    _function = staticmethod(losses.log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between ``y_true`` and ``y_pred`` along ``axis``.

    >>> m = ember.keras.metrics.CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(fn=cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_true - y_pred)))`` over all values seen.

    >>> m = ember.keras.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates squared errors (weighted by ``sample_weight``)."""
        y_true = to_tensor(y_true, self.dtype)
        y_pred = to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(ember.square(y_pred - y_true),
                                    sample_weight=sample_weight)

    def result(self):
        return ember.sqrt(super().result())


class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output column of 2-D
    inputs, aggregated by ``class_aggregation`` (``"uniform_average"``,
    ``"variance_weighted_average"`` or None); ``num_regressors > 0`` gives the adjusted
    R^2 ``1 - (1 - R^2) (n - 1) / (n - p - 1)`` with n the number of values seen (as
    Keras counts it), falling back to plain R^2 when ``p >= n - 1``.

    >>> m = ember.keras.metrics.R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", dtype="int32", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim), "
                             "with output_dim fully defined (not None). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        n = int(y_pred_shape[-1])
        self.squared_sum = self.add_variable((n,), "zeros", dtype=self.dtype,
                                             name="squared_sum")
        self.sum = self.add_variable((n,), "zeros", dtype=self.dtype, name="sum")
        self.total_mse = self.add_variable((n,), "zeros", dtype=self.dtype, name="residual")
        self.count = self.add_variable((n,), "zeros", dtype=self.dtype, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates weighted sums of y, y^2, squared residuals and weights per column."""
        y_true = to_tensor(y_true, self.dtype)
        y_pred = to_tensor(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape.as_list(), y_pred.shape.as_list())
        if sample_weight is None:
            sample_weight = ember.constant(1.0, dtype=self.dtype)
        sample_weight = to_tensor(sample_weight, self.dtype)
        if rank(sample_weight) == 1:
            sample_weight = ember.expand_dims(sample_weight, 1)
        sample_weight = ember.broadcast_to(sample_weight, ember.shape(y_true))
        weighted_y = y_true * sample_weight
        self.sum.assign_add(ember.reduce_sum(weighted_y, axis=0))
        self.squared_sum.assign_add(ember.reduce_sum(y_true * weighted_y, axis=0))
        self.total_mse.assign_add(ember.reduce_sum(ember.square(y_true - y_pred) * sample_weight,
                                                   axis=0))
        self.count.assign_add(ember.reduce_sum(sample_weight, axis=0))
        self.num_samples.assign_add(ember.cast(ember.size(y_true), "int32"))

    def result(self):
        if not self._built:
            raise ValueError("R2Score: result() was called before any update_state(); the "
                             "number of outputs is not known yet.")
        s = ember.identity(self.sum)
        mean = s / self.count
        total = self.squared_sum - s * mean
        raw = 1.0 - self.total_mse / total
        raw = ember.where(ember.math.is_inf(raw), ember.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = ember.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = ember.reduce_sum(total * raw) / ember.reduce_sum(total)
        else:
            score = raw
        if self.num_regressors != 0:
            n = ember.cast(self.num_samples, self.dtype)
            p = ember.constant(float(self.num_regressors), dtype=self.dtype)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            score = ember.where(ember.greater(n - 1.0, p), adjusted, score)
        return score

    def reset_state(self):
        for v in self.variables:
            v.assign(ember.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"class_aggregation": self.class_aggregation,
                       "num_regressors": self.num_regressors})
        return config
