"""keras.losses.Dice and Tversky: overlap losses for segmentation masks."""
from __future__ import annotations

import ember
from ember.keras import losses as _losses

__all__ = ["Dice", "Tversky", "dice", "tversky"]


def _reduce_axes(y_true, y_pred, axis, name):
    y_true, y_pred = _losses._pred_and_true(y_true, y_pred)
    y_true = ember.cast(y_true, y_pred.dtype)
    return y_true, y_pred, (None if axis is None else list(axis) if isinstance(
        axis, (list, tuple)) else [axis])


def dice(y_true, y_pred, axis=None):
    """1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred)), over ``axis``
    (every axis for None, giving one value)."""
    y_true, y_pred, axes = _reduce_axes(y_true, y_pred, axis, "dice")
    inter = ember.reduce_sum(y_true * y_pred, axis=axes)
    total = ember.reduce_sum(y_true, axis=axes) + ember.reduce_sum(y_pred, axis=axes)
    return 1.0 - 2.0 * inter / (total + _losses._epsilon(y_pred.dtype))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - TP / (TP + alpha * FN + beta * FP), over ``axis`` (every axis for None).

    Keras 3.15 computes it this way round (alpha multiplies the false negatives, beta the
    false positives), and ember gives Keras's numbers; 0.5 and 0.5 give the Dice loss."""
    y_true, y_pred, axes = _reduce_axes(y_true, y_pred, axis, "tversky")
    tp = ember.reduce_sum(y_true * y_pred, axis=axes)
    fp = ember.reduce_sum((1.0 - y_true) * y_pred, axis=axes)
    fn = ember.reduce_sum(y_true * (1.0 - y_pred), axis=axes)
    return 1.0 - tp / (tp + alpha * fn + beta * fp + _losses._epsilon(y_pred.dtype))


class Dice(_losses._Builtin):
    """The Dice loss (see ``dice``).

    >>> round(float(Dice()([[1.0, 0.0]], [[1.0, 0.0]])), 4)
    0.0
    """

    _fn = staticmethod(dice)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_losses._Builtin):
    """The Tversky loss (see ``tversky``)."""

    _fn = staticmethod(tversky)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta,
                         axis=axis)
