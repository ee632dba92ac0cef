"""keras.losses.CategoricalGeneralizedCrossEntropy: a noise-robust classification loss."""
from __future__ import annotations

import ember
from ember.keras import losses as _losses

__all__ = ["CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy"]


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """(1 - p ** q) / q per sample, p the predicted probability of the integer label y_true
    (Zhang & Sabuncu, 2018): cross-entropy as q -> 0, mean absolute error at q = 1."""
    if not 0 < q <= 1:
        raise ValueError(f"categorical_generalized_cross_entropy: `q` must be in (0, 1]; "
                         f"received q={q}")
    y_pred = ember.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, "float32")
    labels = ember.cast(ember.convert_to_tensor(y_true), "int32")
    if len(labels.shape) == len(y_pred.shape):
        labels = ember.squeeze(labels, axis=[-1])
    p = ember.gather(y_pred, labels, axis=-1, batch_dims=len(labels.shape))
    eps = _losses._epsilon(y_pred.dtype)
    p = ember.clip_by_value(p, eps, 1.0)
    return (1.0 - ember.pow(p, q)) / q


class CategoricalGeneralizedCrossEntropy(_losses._Builtin):
    """The generalized cross-entropy loss (see ``categorical_generalized_cross_entropy``)."""

    _fn = staticmethod(categorical_generalized_cross_entropy)

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)
