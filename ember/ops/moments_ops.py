"""Moment helpers and loss scaling of tf.nn: sufficient statistics, normalize_moments,
weighted_moments, l2_loss, compute_average_loss, scale_regularization_loss,
batch_norm_with_global_normalization. Composites over public ops."""
from __future__ import annotations

from ember.framework import hooks
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import tensor
from ember.ops.normalization_ops import batch_normalization

__all__ = ["batch_norm_with_global_normalization", "compute_average_loss", "l2_loss",
           "normalize_moments", "scale_regularization_loss", "sufficient_statistics",
           "weighted_moments"]


def l2_loss(t, name=None):
    """sum(t ** 2) / 2, a scalar.

    >>> float(ember.nn.l2_loss([1.0, 2.0]))
    2.5
    """
    t = tensor(t)
    return math_ops.multiply(reduce_ops.reduce_sum(math_ops.square(t)), 0.5, name=name)


def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """``(count, mean_ss, variance_ss, shift)``: the number of entries reduced over
    ``axes``, the sum of (x - shift) and the sum of (x - shift)^2 (shift None: no shift).

    >>> c, m, v, s = ember.nn.sufficient_statistics([1.0, 2.0, 3.0], [0])
    >>> float(c), float(m), float(v), s
    (3.0, 6.0, 14.0, None)
    """
    x = tensor(x)
    axes = [int(a) for a in axes]
    shape = array_ops.shape(x)
    count = math_ops.cast(reduce_ops.reduce_prod(array_ops.gather(shape, axes)), x.dtype)
    if shift is not None:
        shift = tensor(shift, dtype=x.dtype)
        centered = x - shift
    else:
        centered = x
    mean_ss = reduce_ops.reduce_sum(centered, axes, keepdims=keepdims)
    var_ss = reduce_ops.reduce_sum(math_ops.square(centered), axes, keepdims=keepdims)
    return count, mean_ss, var_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``(mean, variance)`` from sufficient statistics.

    >>> m, v = ember.nn.normalize_moments(3.0, 6.0, 14.0, None)
    >>> float(m), round(float(v), 4)
    (2.0, 0.6667)
    """
    mean_ss = tensor(mean_ss)
    divisor = math_ops.reciprocal(tensor(counts, dtype=mean_ss.dtype))
    shifted_mean = mean_ss * divisor
    mean = shifted_mean + tensor(shift, dtype=mean_ss.dtype) if shift is not None \
        else shifted_mean
    variance = tensor(variance_ss, dtype=mean_ss.dtype) * divisor - math_ops.square(
        shifted_mean)
    return mean, variance


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """``(mean, variance)`` of ``x`` over ``axes``, each entry counted
    ``frequency_weights`` times (weights broadcast against x).

    >>> m, v = ember.nn.weighted_moments([1.0, 3.0], [0], [3.0, 1.0])
    >>> float(m), float(v)
    (1.5, 0.75)
    """
    x = tensor(x)
    w = tensor(frequency_weights, dtype=x.dtype)
    axes = [int(a) for a in axes]
    total = reduce_ops.reduce_sum(w * x, axes, keepdims=True)
    weight_sum = reduce_ops.reduce_sum(w + array_ops.zeros_like(x), axes, keepdims=True)
    divisor = math_ops.reciprocal(weight_sum)
    mean = total * divisor
    variance = reduce_ops.reduce_sum(w * math_ops.square(x - mean), axes,
                                     keepdims=True) * divisor
    if not keepdims:
        mean = array_ops.squeeze(mean, axes)
        variance = array_ops.squeeze(variance, axes)
    return mean, variance


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The per-example losses (times ``sample_weight``) summed and divided by the global
    batch size (default: the first dimension times the current tf.distribute strategy's
    ``num_replicas_in_sync``).

    >>> float(ember.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=6))
    1.0
    """
    loss = tensor(per_example_loss)
    if not loss.dtype.is_floating:
        raise TypeError(f"compute_average_loss: per_example_loss must be float, got "
                        f"{loss.dtype.name}")
    if sample_weight is not None:
        loss = loss * tensor(sample_weight, dtype=loss.dtype)
    if global_batch_size is None:
        if loss.shape.rank == 0:
            raise ValueError("compute_average_loss: per_example_loss must have a batch "
                             "dimension (got a scalar); pass global_batch_size")
        global_batch_size = array_ops.shape(loss)[0] * hooks.replicas_in_sync()
    size = math_ops.cast(tensor(global_batch_size), loss.dtype)
    return math_ops.divide_no_nan(reduce_ops.reduce_sum(loss), size)


def scale_regularization_loss(regularization_loss):
    """The regularization loss (a tensor or a list summed) divided by the current
    tf.distribute strategy's ``num_replicas_in_sync`` (its gradients are summed over the
    replicas)."""
    if isinstance(regularization_loss, (list, tuple)):
        regularization_loss = math_ops.add_n([tensor(r) for r in regularization_loss])
    loss = tensor(regularization_loss)
    n = hooks.replicas_in_sync()
    return loss if n == 1 else loss / math_ops.cast(n, loss.dtype)


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None,
                                         variance_epsilon=None, scale_after_normalization=None,
                                         name=None, input=None, mean=None,  # noqa: A002
                                         variance=None):
    """Batch normalization with given moments (the TF1 op): (t - m) / sqrt(v + eps),
    times ``gamma`` when ``scale_after_normalization``, plus ``beta``."""
    t = input if input is not None else t
    m = mean if mean is not None else m
    v = variance if variance is not None else v
    if t is None or m is None or v is None or variance_epsilon is None or \
            scale_after_normalization is None:
        raise ValueError("batch_norm_with_global_normalization: input, mean, variance, "
                         "variance_epsilon and scale_after_normalization are required")
    return batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                               variance_epsilon, name=name)
