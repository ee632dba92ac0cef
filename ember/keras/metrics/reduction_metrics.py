"""Sum, Mean and MeanMetricWrapper: metrics that reduce (weighted) values."""
from __future__ import annotations

import ember
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.metrics_utils import (
    apply_mask, get_keras_mask, rank, squeeze_or_expand_to_same_rank, static_dim, to_tensor,
)

__all__ = ["Sum", "Mean", "MeanMetricWrapper"]


def _as_tensor(x):
    return x if ember.is_tensor(x) or isinstance(x, ember.Variable) else \
        ember.convert_to_tensor(x)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weights ``values`` and reduces them to one value per sample (axis 0).

    Returns ``(values, sample_weight)`` where ``sample_weight`` (if given) has been
    reduced the same way, so its sum is the number of weighted samples.
    """
    mask = get_keras_mask(values)
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype)
        sample_weight = apply_mask(sample_weight, mask, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_ndim, v_ndim = rank(sample_weight), rank(values)
        if v_ndim > w_ndim:
            values = reduce_fn(values, axis=list(range(w_ndim, v_ndim)))
        sample_weight = ember.broadcast_to(sample_weight, ember.shape(values))
        values = values * sample_weight
        if w_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_ndim)))
    v_ndim = rank(values)
    if v_ndim > 1:
        values = reduce_fn(values, axis=list(range(1, v_ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen.

    >>> m = ember.keras.metrics.Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ember.reduce_sum,
                                                self.dtype)
        self.total.assign_add(ember.reduce_sum(values))

    def result(self):
        return ember.identity(self.total)


class Mean(Metric):
    """The (weighted) mean of all values seen: ``total / count``.

    >>> m = ember.keras.metrics.Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight,
                                                            ember.reduce_mean, self.dtype)
        self.total.assign_add(ember.reduce_sum(values))
        if sample_weight is not None:
            num = ember.reduce_sum(sample_weight)
        elif rank(values) >= 1:
            n = static_dim(values, 0)
            num = n if n is not None else ember.shape(values)[0]
        else:
            num = 1
        self.count.assign_add(ember.cast(num, self.dtype))

    def result(self):
        return ember.math.divide_no_nan(ember.identity(self.total), ember.identity(self.count))


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Ranks that differ by a trailing 1 are reconciled before ``fn`` runs (labels ``(N,)``
    against outputs ``(N, 1)`` give two ``(N, 1)`` tensors), as Keras 2 did and as Keras 3's
    own metric functions and loss wrapper do, so ``fn`` never broadcasts them to N x N.

    >>> m = ember.keras.metrics.MeanMetricWrapper(lambda t, p: (t - p) ** 2)
    >>> m.update_state([1.0, 2.0], [1.0, 4.0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        from ember.keras import losses
        loss_objects = [getattr(losses, n) for n in losses.__all__]
        if any(fn is o or type(fn) is o for o in loss_objects):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        y_true = _as_tensor(y_true)
        y_pred = _as_tensor(y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = apply_mask(sample_weight, mask, self.dtype)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from ember.keras.saving import serialize_keras_object
        config = super().get_config()
        config["fn"] = serialize_keras_object(self._fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            from ember.keras.metrics import _resolve_function
            config["fn"] = _resolve_function(config["fn"])
        return cls(**config)
