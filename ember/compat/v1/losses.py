"""compat.v1.losses: TF1 loss functions with weights and SUM_BY_NONZERO_WEIGHTS reduction."""
from __future__ import annotations

import ember as _tf


class Reduction:
    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS


def _reduce(losses, weights, reduction):
    losses = _tf.convert_to_tensor(losses)
    weights = _tf.cast(_tf.convert_to_tensor(weights), losses.dtype)
    weighted = losses * weights
    if reduction == Reduction.NONE:
        return weighted
    total = _tf.reduce_sum(weighted)
    if reduction == Reduction.SUM:
        return total
    full_weights = weights * _tf.ones_like(losses)
    if reduction == Reduction.MEAN:
        return _tf.math.divide_no_nan(total, _tf.reduce_sum(full_weights))
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        return total / _tf.cast(_tf.size(losses), losses.dtype)
    nonzero = _tf.reduce_sum(_tf.cast(_tf.not_equal(full_weights, 0.0), losses.dtype))
    return _tf.math.divide_no_nan(total, nonzero)


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=None,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    return _reduce(_tf.square(predictions - labels), weights, reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection=None,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    return _reduce(_tf.abs(predictions - labels), weights, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection=None,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    err = _tf.abs(predictions - _tf.cast(labels, predictions.dtype))
    quad = _tf.minimum(err, delta)
    return _reduce(0.5 * quad * quad + delta * (err - quad), weights, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection=None,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    p = _tf.convert_to_tensor(predictions)
    y = _tf.cast(labels, p.dtype)
    losses = -y * _tf.math.log(p + epsilon) - (1 - y) * _tf.math.log(1 - p + epsilon)
    return _reduce(losses, weights, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=None,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    signs = 2.0 * _tf.cast(labels, logits.dtype) - 1.0
    return _reduce(_tf.nn.relu(1.0 - signs * logits), weights, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=None,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    labels = _tf.cast(multi_class_labels, logits.dtype)
    if label_smoothing:
        labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
    losses = _tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=None, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    labels = _tf.cast(onehot_labels, logits.dtype)
    if label_smoothing:
        n = _tf.cast(_tf.shape(labels)[-1], logits.dtype)
        labels = labels * (1 - label_smoothing) + label_smoothing / n
    losses = _tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=None,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    losses = _tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    from ember.compat.v1 import get_collection
    regs = get_collection("regularization_losses", scope)
    return _tf.add_n(regs) if regs else _tf.constant(0.0)
