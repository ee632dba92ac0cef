"""Sampled losses for many classes: ``nce_loss`` and ``sampled_softmax_loss``.

Both score the true classes and ``num_sampled`` sampled classes (by default from the
log-uniform sampler) with ``inputs @ weights[class] + biases[class]``, subtract log of
the expected counts (the sampling correction), and take a sigmoid (NCE) or softmax
cross-entropy over those logits only — a cheap estimate of the full-softmax loss.
"""
from __future__ import annotations

from ember.framework import dtypes
from ember.ops import array_ops, linalg_ops, math_ops, nn_ops, reduce_ops
from ember.ops._base import tensor
from ember.ops.candidate_sampling_ops import compute_accidental_hits, \
    log_uniform_candidate_sampler

__all__ = ["nce_loss", "sampled_softmax_loss"]


def _rows(params, ids):
    """Rows ``ids`` of a matrix, or of a list of row shards laid end to end ("div")."""
    if isinstance(params, (list, tuple)):
        params = params[0] if len(params) == 1 else array_ops.concat(list(params), 0)
    return array_ops.gather(params, ids)


def compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                           num_true=1, sampled_values=None, subtract_log_q=True,
                           remove_accidental_hits=False, seed=None, fn_name="nce_loss"):
    """``(logits, labels)``: [batch, num_true + num_sampled] each, the true classes first
    (label 1/num_true), then the sampled ones (label 0)."""
    inputs = tensor(inputs)
    labels = math_ops.cast(tensor(labels), dtypes.int64)
    if labels.shape.rank == 1:
        labels = array_ops.expand_dims(labels, -1)
    if labels.shape.rank is not None and labels.shape[-1] is not None and \
            labels.shape[-1] != num_true:
        raise ValueError(f"{fn_name}: labels must have shape [batch, num_true={num_true}], "
                         f"got {labels.shape}")
    flat_labels = array_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (array_ops.stop_gradient(t)
                                                for t in sampled_values)
    sampled = math_ops.cast(sampled, dtypes.int64)
    all_ids = array_ops.concat([flat_labels, sampled], 0)
    all_w = _rows(weights, all_ids)
    all_b = _rows(biases, all_ids)
    n_true = array_ops.shape(flat_labels)[0]
    true_w = all_w[:n_true]
    sampled_w = all_w[n_true:]
    true_b = all_b[:n_true]
    sampled_b = all_b[n_true:]
    dim = array_ops.shape(true_w)[1]
    true_w = array_ops.reshape(true_w, array_ops.stack([-1, num_true, dim]))
    true_logits = reduce_ops.reduce_sum(array_ops.expand_dims(inputs, 1) * true_w, axis=-1)
    true_logits = true_logits + array_ops.reshape(true_b, [-1, num_true])
    sampled_logits = linalg_ops.matmul(inputs, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:
        rows, cols, hit_weights = compute_accidental_hits(labels, sampled, num_true)
        index = array_ops.stack([math_ops.cast(rows, dtypes.int64), cols], axis=1)
        sampled_logits = sampled_logits + array_ops.scatter_nd(
            index, math_ops.cast(hit_weights, sampled_logits.dtype),
            array_ops.shape(sampled_logits, out_type=dtypes.int64))
    if subtract_log_q:
        true_logits = true_logits - math_ops.log(math_ops.cast(true_expected,
                                                               true_logits.dtype))
        sampled_logits = sampled_logits - math_ops.log(math_ops.cast(sampled_expected,
                                                                     sampled_logits.dtype))
    logits = array_ops.concat([true_logits, sampled_logits], 1)
    targets = array_ops.concat([array_ops.ones_like(true_logits) / num_true,
                                array_ops.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, name="nce_loss"):
    """Noise-contrastive estimation loss per example ([batch]): a sigmoid cross-entropy
    telling the true classes (``labels``, [batch, num_true]) from ``num_sampled`` sampled
    ones. ``weights`` [num_classes, dim] (or a list of row shards), ``biases``
    [num_classes], ``inputs`` [batch, dim].

    >>> import numpy as np
    >>> w = ember.constant(np.ones((10, 4), np.float32)); b = ember.zeros([10])
    >>> ember.nn.nce_loss(w, b, [[1], [2]], ember.ones([2, 4]), 3, 10).shape
    TensorShape([2])
    """
    logits, targets = compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
        subtract_log_q=True, remove_accidental_hits=remove_accidental_hits,
        fn_name="nce_loss")
    losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    return reduce_ops.reduce_sum(losses, axis=1, name=name)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                         num_true=1, sampled_values=None, remove_accidental_hits=True,
                         seed=None, name="sampled_softmax_loss"):
    """Sampled softmax loss per example ([batch]): softmax cross-entropy over the true
    classes and ``num_sampled`` sampled ones, corrected for the sampling; an estimate of
    the full softmax loss for training (use the full softmax to evaluate).

    >>> import numpy as np
    >>> w = ember.constant(np.ones((10, 4), np.float32)); b = ember.zeros([10])
    >>> ember.nn.sampled_softmax_loss(w, b, [[1], [2]], ember.ones([2, 4]), 3, 10).shape
    TensorShape([2])
    """
    logits, targets = compute_sampled_logits(
        weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
        subtract_log_q=True, remove_accidental_hits=remove_accidental_hits, seed=seed,
        fn_name="sampled_softmax_loss")
    return nn_ops.softmax_cross_entropy_with_logits(labels=array_ops.stop_gradient(targets),
                                                    logits=logits, name=name)
