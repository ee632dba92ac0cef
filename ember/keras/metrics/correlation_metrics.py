"""keras.metrics.PearsonCorrelation and ConcordanceCorrelation: per-sample correlation
coefficients along an axis, averaged over all samples seen."""
from __future__ import annotations

import ember
from ember.keras.metrics.reduction_metrics import MeanMetricWrapper

__all__ = ["ConcordanceCorrelation", "PearsonCorrelation", "concordance_correlation",
           "pearson_correlation"]


def _centered(y_true, y_pred, axis):
    y_pred = ember.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, "float32")
    y_true = ember.cast(ember.convert_to_tensor(y_true), y_pred.dtype)
    t_mean = ember.reduce_mean(y_true, axis=axis, keepdims=True)
    p_mean = ember.reduce_mean(y_pred, axis=axis, keepdims=True)
    return y_true - t_mean, y_pred - p_mean, t_mean, p_mean


def pearson_correlation(y_true, y_pred, axis=-1):
    """cov(y_true, y_pred) / (std(y_true) * std(y_pred)) along axis, per sample.

    >>> round(float(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])[0]), 4)
    0.9934
    """
    t, p, _, _ = _centered(y_true, y_pred, axis)
    cov = ember.reduce_mean(t * p, axis=axis)
    t_std = ember.sqrt(ember.reduce_mean(ember.square(t), axis=axis))
    p_std = ember.sqrt(ember.reduce_mean(ember.square(p), axis=axis))
    return cov / (t_std * p_std)


def concordance_correlation(y_true, y_pred, axis=-1):
    """2 cov / (var(y_true) + var(y_pred) + (mean(y_true) - mean(y_pred))^2) along axis."""
    t, p, t_mean, p_mean = _centered(y_true, y_pred, axis)
    cov = ember.reduce_mean(t * p, axis=axis)
    t_var = ember.reduce_mean(ember.square(t), axis=axis)
    p_var = ember.reduce_mean(ember.square(p), axis=axis)
    gap = ember.square(ember.squeeze(t_mean - p_mean, axis=[axis]))
    return 2.0 * cov / (t_var + p_var + gap)


class _Correlation(MeanMetricWrapper):
    _function = None

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(fn=type(self)._function, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class PearsonCorrelation(_Correlation):
    """The mean Pearson correlation coefficient (see ``pearson_correlation``)."""

    _function = staticmethod(pearson_correlation)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_Correlation):
    """The mean concordance correlation coefficient (see ``concordance_correlation``)."""

    _function = staticmethod(concordance_correlation)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)
