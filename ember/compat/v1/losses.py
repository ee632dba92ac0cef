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


def _reduce(losses, weights, reduction, loss_collection=None):
    result = _reduced(losses, weights, reduction)
    add_loss(result, loss_collection)
    return result


def _reduced(losses, weights, reduction):
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


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection="losses",
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    return _reduce(_tf.square(predictions - labels), weights, reduction, loss_collection)


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection="losses",
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    return _reduce(_tf.abs(predictions - labels), weights, reduction, loss_collection)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection="losses",
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    predictions = _tf.convert_to_tensor(predictions)
    err = _tf.abs(predictions - _tf.cast(labels, predictions.dtype))
    quad = _tf.minimum(err, delta)
    return _reduce(0.5 * quad * quad + delta * (err - quad), weights, reduction, loss_collection)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection="losses",
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    p = _tf.convert_to_tensor(predictions)
    y = _tf.cast(labels, p.dtype)
    losses = -y * _tf.math.log(p + epsilon) - (1 - y) * _tf.math.log(1 - p + epsilon)
    return _reduce(losses, weights, reduction, loss_collection)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection="losses",
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    signs = 2.0 * _tf.cast(labels, logits.dtype) - 1.0
    return _reduce(_tf.nn.relu(1.0 - signs * logits), weights, reduction, loss_collection)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection="losses",
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    labels = _tf.cast(multi_class_labels, logits.dtype)
    if label_smoothing:
        labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
    losses = _tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction, loss_collection)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection="losses", reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    logits = _tf.convert_to_tensor(logits)
    labels = _tf.cast(onehot_labels, logits.dtype)
    if label_smoothing:
        n = _tf.cast(_tf.shape(labels)[-1], logits.dtype)
        labels = labels * (1 - label_smoothing) + label_smoothing / n
    losses = _tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction, loss_collection)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection="losses",
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    losses = _tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return _reduce(losses, weights, reduction, loss_collection)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    from ember.compat.v1 import get_collection
    regs = get_collection("regularization_losses", scope)
    return _tf.add_n(regs) if regs else _tf.constant(0.0)


LOSSES = "losses"


def add_loss(loss, loss_collection=LOSSES):
    """Adds ``loss`` to the graph's collection (TF1's ``tf.losses.add_loss``); eagerly there
    are no collections and nothing is kept, as in TensorFlow."""
    if loss_collection and not _tf.executing_eagerly():
        from ember.compat.v1 import add_to_collection
        add_to_collection(loss_collection, loss)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``losses * weights`` reduced by ``reduction`` (and added to ``loss_collection``)."""
    return _reduce(losses, weights, reduction, loss_collection)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
                    dim=None):
    """``1 - sum(labels * predictions, axis)`` for unit-normalized inputs."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("cosine_distance: you must specify axis")
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    losses = 1.0 - _tf.reduce_sum(labels * predictions, axis=axis, keepdims=True)
    return _reduce(losses, weights, reduction, loss_collection)


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None,
                                loss_collection=LOSSES):
    """For each sample, the mean over pairs (i, j) of its elements of
    ``((p_i - p_j) - (l_i - l_j)) ** 2``, weighted and summed over the samples."""
    predictions = _tf.convert_to_tensor(predictions)
    labels = _tf.cast(labels, predictions.dtype)
    diffs = predictions - labels
    axes = list(range(1, diffs.shape.rank))
    n = _tf.cast(_tf.reduce_prod(_tf.shape(diffs)[1:]), diffs.dtype)
    sum_sq = _tf.reduce_sum(_tf.square(diffs), axis=axes)
    total = _tf.reduce_sum(diffs, axis=axes)
    per_sample = 2.0 * (_tf.math.divide_no_nan(sum_sq, n - 1.0) -
                        _tf.math.divide_no_nan(_tf.square(total), n * (n - 1.0)))
    weights = _tf.cast(_tf.convert_to_tensor(weights), diffs.dtype)
    weights = _tf.reshape(weights, [-1]) if weights.shape.rank else weights
    result = _tf.reduce_sum(per_sample * weights)
    add_loss(result, loss_collection)
    return result


def get_losses(scope=None, loss_collection=LOSSES):
    from ember.compat.v1 import get_collection
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    from ember.compat.v1 import get_collection
    return get_collection("regularization_losses", scope)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the collected losses (and regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: no losses have been collected")
    return _tf.add_n(losses)
