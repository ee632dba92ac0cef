"""keras.losses: loss classes and functions, as Keras 3 computes them.

A loss function maps ``(y_true, y_pred)`` to one value per sample (a mean or sum over the
last axis); a ``Loss`` object also applies sample weights and a reduction:

    import ember as tf
    mse = tf.keras.losses.MeanSquaredError()
    mse([[0.0, 1.0]], [[1.0, 1.0]])          # 0.5

Everything is written with ember's public ops, so it runs eagerly, under
``ember.function`` and inside ``GradientTape``.
"""
from __future__ import annotations

import math
import warnings

import ember
from ember.keras.trainers import distribution as _distribution
from ember.keras import backend
from ember.keras.saving import serialization as _serialization

__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Huber", "LogCosh", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge",
    "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "huber", "log_cosh", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD",
    "kullback_leibler_divergence", "logcosh",
    "get", "serialize", "deserialize",
]

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Reduction:
    """The reduction names (``tf.keras.losses.Reduction`` of Keras 2)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        standardize_reduction(key)


def standardize_reduction(reduction):
    """Checks ``reduction``; Keras 2's ``"auto"`` means ``"sum_over_batch_size"``."""
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                         f"{list(_REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


# ------------------------------------------------------------------------- helpers ---

def _as_dtype(dtype):
    if dtype is None:
        return ember.as_dtype(backend.floatx())
    if hasattr(dtype, "compute_dtype"):
        dtype = dtype.compute_dtype
    return ember.as_dtype(dtype)


def _to_dtype(x, dtype):
    t = ember.convert_to_tensor(x, dtype_hint=dtype)
    if t.dtype is not dtype:
        t = ember.cast(t, dtype)
    return t


def _pred_and_true(y_true, y_pred):
    """y_pred as a float tensor and y_true cast to its dtype (as every loss function does)."""
    y_pred = ember.convert_to_tensor(y_pred, dtype_hint=_as_dtype(None))
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, _as_dtype(None))
    return _to_dtype(y_true, y_pred.dtype), y_pred


def _rank(t):
    return t.shape.rank


def _dims(t):
    return None if t.shape.rank is None else tuple(t.shape.as_list())


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes ranks equal when they differ by one and the longer one ends in a 1.

    The longer tensor's trailing 1 is squeezed, except that a rank-1 shorter tensor is
    expanded instead (``(N,)`` against ``(N, 1)`` gives two ``(N, 1)``).
    """
    r1, r2 = _rank(x1), _rank(x2)
    if r1 is None or r2 is None or r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape.as_list()[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ember.expand_dims(x2, -1)
        else:
            x1 = ember.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape.as_list()[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ember.expand_dims(x1, -1)
        else:
            x2 = ember.squeeze(x2, -1)
    return x1, x2


def _shape_error(loss_name, y_true, y_pred, detail):
    return ValueError(f"{loss_name}: {detail}. Received: y_true.shape={_dims(y_true)}, "
                      f"y_pred.shape={_dims(y_pred)}")


def _match(y_true, y_pred, loss_name, exact=False):
    """Reconciles the ranks of y_true and y_pred (a trailing 1 is squeezed or added) and
    checks that their shapes agree (or broadcast, unless ``exact``)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    a, b = _dims(y_true), _dims(y_pred)
    if a is None or b is None:
        return y_true, y_pred
    if len(a) != len(b):
        if not exact and (len(a) == 0 or len(b) == 0):
            return y_true, y_pred
        raise _shape_error(loss_name, y_true, y_pred,
                           "y_true and y_pred must have the same rank (after squeezing or "
                           "adding a trailing dimension of size 1)")
    for d1, d2 in zip(a, b):
        if d1 is None or d2 is None or d1 == d2:
            continue
        if exact or (d1 != 1 and d2 != 1):
            raise _shape_error(loss_name, y_true, y_pred,
                               "y_true and y_pred must have the same shape"
                               if exact else "y_true and y_pred shapes are incompatible")
    return y_true, y_pred


def _mean_axis(x, axis=-1):
    return x if _rank(x) == 0 else ember.reduce_mean(x, axis=axis)


def _sum_axis(x, axis=-1):
    return x if _rank(x) == 0 else ember.reduce_sum(x, axis=axis)


def _const(value, dtype):
    """``value`` as a tensor of ``dtype`` (Python numbers without a float32 detour)."""
    if not ember.is_tensor(value):
        try:
            return ember.convert_to_tensor(value, dtype=dtype)
        except (TypeError, ValueError):
            value = ember.convert_to_tensor(value)
    return ember.cast(value, dtype)


def _epsilon(dtype):
    return ember.constant(backend.epsilon(), dtype=dtype)


def _check_axis(axis, fn_name):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{fn_name}: `axis` must be of type `int`. Received: axis={axis!r} "
                         f"of type {type(axis).__name__}")


# -------------------------------------------------------------- reduction helpers ---

def _expand_to_rank(w, rank):
    while _rank(w) is not None and _rank(w) < rank:
        w = ember.expand_dims(w, -1)
    return w


def _num_elements(x, dtype):
    if x.shape.is_fully_defined():
        return ember.constant(float(math.prod(x.shape.as_list())), dtype=dtype)
    return ember.cast(ember.size(x), dtype)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None, loss_name="loss"):
    """Weights per-sample ``values`` and reduces them as ``Loss.__call__`` does."""
    reduction = standardize_reduction(reduction)
    dtype = _as_dtype(dtype)
    values = _to_dtype(values, dtype)
    if mask is not None:
        mask = ember.cast(mask, dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            total = _num_elements(mask, dtype)
            mask = mask * (total / (ember.reduce_sum(mask) + backend.epsilon()))
        if sample_weight is None:
            sample_weight = mask
        else:
            sample_weight = _to_dtype(sample_weight, dtype)
            mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
            sample_weight = sample_weight * mask
    if sample_weight is not None:
        sample_weight = _to_dtype(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if _rank(values) is not None and _rank(sample_weight) is not None and \
                0 < _rank(sample_weight) < _rank(values):
            sample_weight = _expand_to_rank(sample_weight, _rank(values))
        vs, ws = _dims(values), _dims(sample_weight)
        if vs is not None and ws is not None:
            for d1, d2 in zip(reversed(vs), reversed(ws)):
                if d1 is not None and d2 is not None and d1 != d2 and 1 not in (d1, d2):
                    raise ValueError(
                        f"{loss_name}: sample_weight of shape {ws} does not match the "
                        f"per-sample losses of shape {vs}; pass one weight per sample")
        values = values * sample_weight
    if reduction in (None, "none") or _rank(values) == 0:
        return values
    total = ember.reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = ember.reduce_sum(ember.broadcast_to(sample_weight, ember.shape(values)))
    else:
        divisor = _num_elements(values, dtype)
    return scale_loss_for_distribution(ember.math.divide_no_nan(total, divisor))


def scale_loss_for_distribution(value):
    """``value / num_replicas_in_sync`` under a tf.distribute strategy with several
    replicas (their gradients are summed), else ``value``, as Keras does."""
    n = _distribution.num_replicas_in_sync()
    return value if n == 1 else value * ember.cast(1.0 / n, value.dtype)


def unscale_loss_for_distribution(value):
    """Undoes ``scale_loss_for_distribution`` (for the values metrics track)."""
    n = _distribution.num_replicas_in_sync()
    return value if n == 1 else value * ember.cast(n, value.dtype)


# ---------------------------------------------------------------------- base classes ---

def _auto_name(class_name):
    chars = []
    for i, c in enumerate(class_name):
        if c.isupper() and i and (not class_name[i - 1].isupper() or
                                  (i + 1 < len(class_name) and class_name[i + 1].islower())):
            chars.append("_")
        chars.append(c.lower())
    prefix = "".join(chars)
    n = backend.get_uid(prefix)
    return prefix if n == 1 else f"{prefix}_{n - 1}"


class Loss:
    """Base class of losses: subclasses implement ``call(y_true, y_pred)`` returning
    per-sample losses; ``__call__`` adds sample weighting and the reduction.

    >>> class MyMSE(ember.keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ember.reduce_mean(ember.square(y_pred - y_true), axis=-1)
    >>> float(MyMSE()([[0.0, 2.0]], [[0.0, 0.0]]))
    2.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        if isinstance(dtype, ember.DType):
            dtype = dtype.name
        self._dtype_arg = dtype

    @property
    def dtype(self):
        return _as_dtype(self._dtype_arg).name

    def __call__(self, y_true, y_pred, sample_weight=None):
        dtype = _as_dtype(self._dtype_arg)
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _to_dtype(y_pred, dtype)
        y_true = _to_dtype(y_true, dtype)
        losses, mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None:
            mask = in_mask if mask is None else \
                ember.logical_and(ember.cast(in_mask, "bool"), ember.cast(mask, "bool"))
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=dtype,
                                      loss_name=self.name)

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype_arg is not None:
            config["dtype"] = self._dtype_arg
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)``; y_true and y_pred
    ranks are reconciled (a trailing 1 squeezed or added) before ``fn`` runs.

    >>> loss = ember.keras.losses.LossFunctionWrapper(ember.keras.losses.mean_absolute_error)
    >>> float(loss([1.0, 2.0], [[1.0], [4.0]]))
    1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _call_with_mask(self, y_true, y_pred):
        # a function may mark the samples its loss covers (``_keras_mask``), as Circle does
        losses = self.call(y_true, y_pred)
        return losses, getattr(losses, "_keras_mask", None)

    def get_config(self):
        config = super().get_config()
        config["fn"] = _serialization.serialize_keras_object(self.fn)
        config.update(_serialization.serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config and not callable(config["fn"]):
            config["fn"] = _serialization.deserialize_keras_object(
                config["fn"], module_objects=ALL_OBJECTS_DICT,
                printable_module_name="loss function")
        return cls(**config)


class _Builtin(LossFunctionWrapper):
    """A built-in wrapper class: its config lists its own arguments, never ``fn``."""

    _fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        config = Loss.get_config(self)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


# ----------------------------------------------------------------- regression losses ---

def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1) per sample.

    >>> ember.keras.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_squared_error")
    return _mean_axis(ember.square(y_true - y_pred))


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1) per sample.

    >>> ember.keras.losses.mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]).numpy()
    array([1.5], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_absolute_error")
    return _mean_axis(ember.abs(y_true - y_pred))


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1).

    >>> ember.keras.losses.mean_absolute_percentage_error([[2.0]], [[1.0]]).numpy()
    array([50.], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_absolute_percentage_error")
    diff = ember.abs((y_true - y_pred) /
                     ember.maximum(ember.abs(y_true), _epsilon(y_pred.dtype)))
    return 100.0 * _mean_axis(diff)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1).

    >>> ember.keras.losses.mean_squared_logarithmic_error([[0.0]], [[0.0]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = _epsilon(y_pred.dtype)
    first = ember.math.log(ember.maximum(y_pred, eps) + 1.0)
    second = ember.math.log(ember.maximum(y_true, eps) + 1.0)
    return _mean_axis(ember.square(first - second))


def huber(y_true, y_pred, delta=1.0):
    """Per sample, the mean over the last axis of 0.5 * e**2 where |e| <= delta and
    delta * |e| - 0.5 * delta**2 elsewhere (e = y_pred - y_true).

    >>> ember.keras.losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
    array([1.3125], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "huber_loss")
    delta = _const(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = ember.abs(error)
    half = ember.constant(0.5, dtype=y_pred.dtype)
    quadratic = half * ember.square(error)
    linear = delta * abs_error - half * ember.square(delta)
    return _mean_axis(ember.where(abs_error <= delta, quadratic, linear))


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed without overflow.

    >>> ember.keras.losses.log_cosh([[0.0]], [[0.0]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    log2 = ember.constant(math.log(2.0), dtype=y_pred.dtype)
    return _mean_axis(x + ember.nn.softplus(x * -2.0) - log2)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1).

    >>> ember.keras.losses.poisson([[1.0]], [[1.0]]).numpy()
    array([0.9999999], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "poisson")
    return _mean_axis(y_pred - y_true * ember.math.log(y_pred + _epsilon(y_pred.dtype)))


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1].

    >>> ember.keras.losses.kl_divergence([[0.5, 0.5]], [[0.5, 0.5]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "kl_divergence")
    eps = _epsilon(y_pred.dtype)
    one = ember.constant(1.0, dtype=y_pred.dtype)
    y_true = ember.clip_by_value(y_true, eps, one)
    y_pred = ember.clip_by_value(y_pred, eps, one)
    return _sum_axis(y_true * ember.math.log(y_true / y_pred))


def _l2_normalize(x, axis):
    eps = backend.epsilon()
    square_sum = ember.reduce_sum(ember.square(x), axis=axis, keepdims=True)
    return x * ember.math.rsqrt(ember.maximum(square_sum, _const(eps * eps, x.dtype)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for parallel vectors.

    >>> ember.keras.losses.cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]).numpy()
    array([-1.], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "cosine_similarity")
    if _rank(y_pred) == 0:
        y_true, y_pred = ember.reshape(y_true, [1]), ember.reshape(y_pred, [1])
    return -ember.reduce_sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis),
                             axis=axis)


# ---------------------------------------------------------------------- hinge losses ---

def _hinge_labels(y_true):
    """{0, 1} labels become {-1, 1}; any other labels are used as they are."""
    zero = ember.zeros_like(y_true)
    is_binary = ember.reduce_all(ember.logical_or(ember.equal(y_true, zero),
                                                  ember.equal(y_true, zero + 1.0)))
    return ember.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); {0, 1} labels are read as {-1, 1}.

    >>> ember.keras.losses.hinge([[0.0, 1.0]], [[-0.5, 0.5]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "hinge")
    y_true = _hinge_labels(y_true)
    return _mean_axis(ember.maximum(1.0 - y_true * y_pred, ember.zeros_like(y_pred)))


def squared_hinge(y_true, y_pred):
    """mean(square(max(1 - y_true * y_pred, 0)), axis=-1); {0, 1} labels become {-1, 1}.

    >>> ember.keras.losses.squared_hinge([[0.0, 1.0]], [[-0.5, 0.5]]).numpy()
    array([0.25], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "squared_hinge")
    y_true = _hinge_labels(y_true)
    return _mean_axis(ember.square(ember.maximum(1.0 - y_true * y_pred,
                                                 ember.zeros_like(y_pred))))


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis.

    >>> ember.keras.losses.categorical_hinge([[0.0, 1.0]], [[0.3, 0.8]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "categorical_hinge")
    pos = _sum_axis(y_true * y_pred)
    neg = (1.0 - y_true) * y_pred
    neg = neg if _rank(neg) == 0 else ember.reduce_max(neg, axis=-1)
    return ember.maximum(neg - pos + 1.0, ember.zeros_like(pos))


# -------------------------------------------------------------------- cross-entropies ---

def _binary_ce(target, output, from_logits, loss_name):
    """Elementwise binary cross-entropy (probabilities are clipped to [eps, 1 - eps])."""
    a, b = _dims(target), _dims(output)
    if a is not None and b is not None and \
            any(d1 is not None and d2 is not None and d1 != d2 for d1, d2 in zip(a, b)):
        raise _shape_error(loss_name, target, output,
                           "y_true and y_pred must have the same shape")
    if from_logits:
        return ember.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = _epsilon(output.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    return -(target * ember.math.log(output) + (1.0 - target) * ember.math.log(1.0 - output))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    ``from_logits=True`` uses the stable fused sigmoid cross-entropy; otherwise y_pred is
    clipped to [epsilon, 1 - epsilon]. ``label_smoothing`` moves labels toward 0.5.

    >>> ember.keras.losses.binary_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _mean_axis(_binary_ce(y_true, y_pred, from_logits, "binary_crossentropy"), axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by (1 - p_t) ** gamma (and, with
    ``apply_class_balancing``, by alpha for positives and 1 - alpha for negatives).

    >>> ember.keras.losses.binary_focal_crossentropy([[1.0]], [[0.5]], gamma=0.0).numpy()
    array([0.6931472], dtype=float32)
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = _match(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ember.sigmoid(y_pred)
    bce = _binary_ce(y_true, y_pred, False, "binary_focal_crossentropy")
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ember.pow(1.0 - p_t, _const(gamma, y_pred.dtype)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return _mean_axis(focal, axis)


def _check_categorical(y_true, y_pred, loss_name):
    if _rank(y_pred) == 0 or _rank(y_true) == 0:
        raise _shape_error(loss_name, y_true, y_pred,
                           "y_true and y_pred must have at least one dimension")
    a, b = _dims(y_true), _dims(y_pred)
    if a is None or b is None:
        return
    if len(a) != len(b) or any(d1 is not None and d2 is not None and d1 != d2
                               for d1, d2 in zip(a, b)):
        hint = ""
        if (a[-1:] == (1,) and len(a) == len(b)) or len(a) == len(b) - 1:
            hint = " (integer class labels need sparse_categorical_crossentropy)"
        raise _shape_error(loss_name, y_true, y_pred,
                           "y_true (one-hot) and y_pred must have the same shape" + hint)


def _warn_one_class(y_pred, loss_name):
    if _dims(y_pred) is not None and _dims(y_pred)[-1:] == (1,):
        warnings.warn(f"In loss {loss_name}, expected y_pred.shape to be (batch_size, "
                      f"num_classes) with num_classes > 1. Received: y_pred.shape="
                      f"{_dims(y_pred)}. Consider using 'binary_crossentropy' if you only "
                      f"have 2 classes.", SyntaxWarning, stacklevel=3)


def _smooth_categorical(y_true, label_smoothing, dtype):
    num_classes = ember.cast(ember.shape(y_true)[-1], dtype)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predictions along ``axis``.

    ``from_logits=True`` uses the fused stable softmax cross-entropy; otherwise y_pred is
    renormalized to sum to 1 along ``axis`` and clipped to [epsilon, 1 - epsilon].

    >>> ember.keras.losses.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    _check_axis(axis, "categorical_crossentropy")
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_categorical(y_true, y_pred, "categorical_crossentropy")
    _warn_one_class(y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing, y_pred.dtype)
    if from_logits:
        return ember.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred,
                                                          axis=axis)
    output = y_pred / ember.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = _epsilon(y_pred.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    return -ember.reduce_sum(y_true * ember.math.log(output), axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy with each class term scaled by alpha * (1 - p) ** gamma.

    >>> ember.keras.losses.categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]],
    ...                                                   alpha=1.0, gamma=0.0).numpy()
    array([0.6931472], dtype=float32)
    """
    _check_axis(axis, "categorical_focal_crossentropy")
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_categorical(y_true, y_pred, "categorical_focal_crossentropy")
    _warn_one_class(y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing, y_pred.dtype)
    if from_logits:
        y_pred = ember.nn.softmax(y_pred, axis=axis)
    output = y_pred / ember.reduce_sum(y_pred, axis=axis, keepdims=True)
    eps = _epsilon(y_pred.dtype)
    output = ember.clip_by_value(output, eps, 1.0 - eps)
    cce = -y_true * ember.math.log(output)
    factor = ember.pow(1.0 - output, _const(gamma, y_pred.dtype)) * alpha
    return ember.reduce_sum(factor * cce, axis=axis)


def _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis, loss_name):
    """(per-sample loss, validity mask or None) for integer labels."""
    y_pred = ember.convert_to_tensor(y_pred, dtype_hint=_as_dtype(None))
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, _as_dtype(None))
    if axis != -1 and axis != (_rank(y_pred) or 0) - 1:
        raise ValueError(f"{loss_name}: only axis=-1 is supported. Received: axis={axis}")
    y_true = ember.convert_to_tensor(y_true)
    if _rank(y_pred) == 0:
        raise _shape_error(loss_name, y_true, y_pred,
                           "y_pred must have a class dimension")
    if _rank(y_true) is not None and _rank(y_true) == _rank(y_pred) and \
            y_true.shape.as_list()[-1] == 1:
        y_true = ember.squeeze(y_true, -1)
    a, b = _dims(y_true), _dims(y_pred)
    if a is not None and b is not None:
        if len(a) != len(b) - 1:
            raise _shape_error(loss_name, y_true, y_pred,
                               "y_true must hold one integer label per sample: its rank must "
                               "be that of y_pred minus 1 (or equal, with a last dimension "
                               "of size 1)")
        if any(d1 is not None and d2 is not None and d1 != d2 for d1, d2 in zip(a, b[:-1])):
            raise _shape_error(loss_name, y_true, y_pred,
                               "y_true and y_pred must have the same shape up to the last "
                               "dimension of y_pred")
    valid = None
    if ignore_class is not None:
        valid = ember.not_equal(y_true, _const(ignore_class, y_true.dtype))
        y_true = ember.where(valid, y_true, ember.zeros_like(y_true))
        y_pred = y_pred * ember.cast(ember.expand_dims(valid, -1), y_pred.dtype)
    labels = ember.cast(y_true, ember.int64) if y_true.dtype is not ember.int32 else y_true
    logits = y_pred
    if not from_logits:
        eps = _epsilon(y_pred.dtype)
        logits = ember.math.log(ember.clip_by_value(y_pred, eps, 1.0 - eps))
    res = ember.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    if valid is not None:
        res = ember.where(valid, res, ember.zeros_like(res))
    return res, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Categorical cross-entropy with integer class labels (shape (N,) or (N, 1)).

    Probabilities are clipped to [epsilon, 1 - epsilon] and renormalized; ``from_logits``
    uses the fused stable op. Samples labelled ``ignore_class`` get a loss of 0.

    >>> ember.keras.losses.sparse_categorical_crossentropy([1], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis,
                      "sparse_categorical_crossentropy")[0]


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# ---------------------------------------------------------------------------- classes ---

class MeanSquaredError(_Builtin):
    """Mean of squared errors over the last axis, then the reduction.

    >>> float(ember.keras.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_Builtin):
    """Mean of absolute errors over the last axis, then the reduction.

    >>> float(ember.keras.losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]))
    1.5
    """

    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Builtin):
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps)) over the last axis.

    >>> float(ember.keras.losses.MeanAbsolutePercentageError()([[2.0]], [[1.0]]))
    50.0
    """

    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Builtin):
    """Mean squared difference of log(x + 1) (inputs floored at epsilon).

    >>> float(ember.keras.losses.MeanSquaredLogarithmicError()([[0.0]], [[0.0]]))
    0.0
    """

    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Huber(_Builtin):
    """Quadratic for |error| <= delta, linear beyond.

    >>> float(ember.keras.losses.Huber()([[0.0, 0.0]], [[0.5, 3.0]]))
    1.3125
    """

    _fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_Builtin):
    """Mean of log(cosh(error)) over the last axis.

    >>> float(ember.keras.losses.LogCosh()([[0.0]], [[0.0]]))
    0.0
    """

    _fn = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_Builtin):
    """Mean of y_pred - y_true * log(y_pred + eps) over the last axis.

    >>> round(float(ember.keras.losses.Poisson()([[1.0]], [[1.0]])), 4)
    1.0
    """

    _fn = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_Builtin):
    """Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)) over the last axis.

    >>> float(ember.keras.losses.KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]]))
    0.0
    """

    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_Builtin):
    """Negative cosine similarity along ``axis`` (so minimizing it aligns the vectors).

    >>> float(ember.keras.losses.CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]]))
    -1.0
    """

    _fn = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Hinge(_Builtin):
    """Mean of max(1 - y_true * y_pred, 0); {0, 1} labels are read as {-1, 1}.

    >>> float(ember.keras.losses.Hinge()([[0.0, 1.0]], [[-0.5, 0.5]]))
    0.5
    """

    _fn = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_Builtin):
    """Mean of max(1 - y_true * y_pred, 0) ** 2; {0, 1} labels are read as {-1, 1}.

    >>> float(ember.keras.losses.SquaredHinge()([[0.0, 1.0]], [[-0.5, 0.5]]))
    0.25
    """

    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_Builtin):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) per sample.

    >>> float(ember.keras.losses.CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.8]]))
    0.5
    """

    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_Builtin):
    """Binary cross-entropy between labels in [0, 1] and probabilities (or logits).

    >>> bce = ember.keras.losses.BinaryCrossentropy(from_logits=True)
    >>> round(float(bce([[1.0]], [[0.0]])), 6)
    0.693147
    """

    _fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class BinaryFocalCrossentropy(_Builtin):
    """Binary cross-entropy down-weighting easy examples by (1 - p_t) ** gamma.

    >>> round(float(ember.keras.losses.BinaryFocalCrossentropy(gamma=0.0)([[1.0]], [[0.5]])), 6)
    0.693147
    """

    _fn = staticmethod(binary_focal_crossentropy)

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma


class CategoricalCrossentropy(_Builtin):
    """Cross-entropy between one-hot labels and class probabilities (or logits).

    >>> cce = ember.keras.losses.CategoricalCrossentropy()
    >>> round(float(cce([[0.0, 1.0]], [[0.5, 0.5]])), 6)
    0.693147
    """

    _fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalFocalCrossentropy(_Builtin):
    """Categorical cross-entropy with class terms scaled by alpha * (1 - p) ** gamma.

    >>> loss = ember.keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=0.0)
    >>> round(float(loss([[0.0, 1.0]], [[0.5, 0.5]])), 6)
    0.693147
    """

    _fn = staticmethod(categorical_focal_crossentropy)

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma


class SparseCategoricalCrossentropy(_Builtin):
    """Cross-entropy between integer class labels and class probabilities (or logits).

    With ``ignore_class``, those samples get no loss and the mean is over the others.

    >>> scce = ember.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(scce([1], [[0.0, 0.0]])), 6)
    0.693147
    """

    _fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _sparse_ce(y_true, y_pred, self.from_logits, self.ignore_class, -1, self.name)


# ----------------------------------------------------------------------- (de)serialize ---

ALL_OBJECTS = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Huber, LogCosh, Poisson, Hinge, SquaredHinge,
    CategoricalHinge, CosineSimilarity,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, huber, log_cosh, poisson, hinge, squared_hinge, categorical_hinge,
    cosine_similarity,
)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh, "huber_loss": huber,
})


def serialize(loss):
    """The Keras 3 config dict of a loss object or function.

    >>> ember.keras.losses.serialize(ember.keras.losses.mse)["config"]
    'mean_squared_error'
    """
    return _serialization.serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """A loss function or class from a name or a ``serialize`` dict.

    >>> ember.keras.losses.deserialize("mse").__name__
    'mean_squared_error'
    """
    return _serialization.deserialize_keras_object(
        name, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects,
        printable_module_name="loss function")


def get(identifier):
    """A loss from a name, config dict, class, instance or ``(y_true, y_pred)`` function.

    Names give functions (``"mse"``) or, for class names, a fresh instance.

    >>> ember.keras.losses.get("categorical_crossentropy").__name__
    'categorical_crossentropy'
    """
    return _serialization.get_object(identifier, deserialize, "loss", names=ALL_OBJECTS_DICT)


from ember.keras.overlap_losses import Dice, Tversky, dice, tversky  # noqa: E402
from ember.keras.robust_losses import (  # noqa: E402
    CategoricalGeneralizedCrossEntropy, categorical_generalized_cross_entropy,
)
from ember.keras.ctc_losses import CTC, ctc  # noqa: E402
from ember.keras.metric_learning_losses import Circle, circle  # noqa: E402

_ADDED = (Dice, Tversky, dice, tversky, CategoricalGeneralizedCrossEntropy,
          categorical_generalized_cross_entropy, CTC, ctc, Circle, circle)
ALL_OBJECTS += _ADDED
ALL_OBJECTS_DICT.update({obj.__name__: obj for obj in _ADDED})
__all__ += [obj.__name__ for obj in _ADDED]
