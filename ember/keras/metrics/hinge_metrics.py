"""Hinge metrics: running means of the hinge losses."""
from __future__ import annotations

from ember.keras import losses
from ember.keras.metrics.reduction_metrics import MeanMetricWrapper

__all__ = ["Hinge", "SquaredHinge", "CategoricalHinge"]


class Hinge(MeanMetricWrapper):
    """Mean of ``max(1 - y_true * y_pred, 0)`` ({0, 1} labels are read as {-1, 1}).

    >>> m = ember.keras.metrics.Hinge()
    >>> m.update_state([[0.0, 1.0]], [[-0.5, 0.5]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(fn=losses.hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SquaredHinge(MeanMetricWrapper):
    """Mean of ``square(max(1 - y_true * y_pred, 0))``.

    >>> m = ember.keras.metrics.SquaredHinge()
    >>> m.update_state([[0.0, 1.0]], [[-0.5, 0.5]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(fn=losses.squared_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class CategoricalHinge(MeanMetricWrapper):
    """Mean of ``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    >>> m = ember.keras.metrics.CategoricalHinge()
    >>> m.update_state([[0.0, 1.0]], [[0.3, 0.8]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(fn=losses.categorical_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
