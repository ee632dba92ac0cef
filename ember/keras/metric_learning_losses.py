"""keras.losses.Circle: a pair-similarity loss for metric learning on L2-normalized
embeddings (Sun et al., 2020)."""
from __future__ import annotations

import ember
from ember.keras import losses as _losses

__all__ = ["Circle", "circle"]


def _pos_neg_masks(labels, ref_labels, remove_diagonal):
    same = ember.equal(ember.reshape(labels, [-1, 1]), ember.reshape(ref_labels, [1, -1]))
    different = ember.logical_not(same)
    if remove_diagonal:
        n, m = ember.size(labels), ember.size(ref_labels)
        same = ember.logical_and(same, ember.logical_not(ember.cast(ember.eye(n, m), "bool")))
    return same, different


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Circle loss per sample: ``softplus(logsumexp(positive terms) + logsumexp(negative
    terms))`` over the sample's pairs with the reference embeddings (``y_pred`` itself by
    default), on cosine distances d = max(1 - cos, 0):

        positive pairs (same label): -gamma * max(margin + d, 0) * (margin - d)
        negative pairs:               gamma * max(1 + margin - d, 0) * (1 - margin - d)

    ``y_true``: int labels [batch]; ``y_pred``: L2-normalized embeddings [batch, dim].
    The result carries a mask (loss > 0): reductions average over those samples only.
    """
    y_pred = ember.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ember.cast(y_pred, "float32")
    y_true = ember.cast(y_true, "int32")
    ref = y_pred if ref_embeddings is None else ember.cast(ref_embeddings, y_pred.dtype)
    ref_labels = y_true if ref_labels is None else ember.cast(ref_labels, "int32")
    dtype = y_pred.dtype
    dist = ember.maximum(1.0 - ember.matmul(y_pred, ref, transpose_b=True),
                         ember.zeros([], dtype))
    pos_mask, neg_mask = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    zero = ember.zeros([], dtype)
    pos_w = ember.maximum((margin + dist) * ember.cast(pos_mask, dtype), zero)
    neg_w = ember.maximum((1.0 + margin - dist) * ember.cast(neg_mask, dtype), zero)
    pos_terms = -gamma * pos_w * (margin - dist)
    neg_terms = gamma * neg_w * ((1.0 - margin) - dist)
    minus_inf = ember.fill(ember.shape(dist), ember.cast(float("-inf"), dtype))
    p_loss = ember.reduce_logsumexp(ember.where(pos_mask, pos_terms, minus_inf), axis=1)
    n_loss = ember.reduce_logsumexp(ember.where(neg_mask, neg_terms, minus_inf), axis=1)
    loss = ember.nn.softplus(p_loss + n_loss)
    loss._keras_mask = loss > 0
    return loss


class Circle(_losses.LossFunctionWrapper):
    """The Circle loss (see ``circle``).

    >>> import numpy as np
    >>> emb = ember.nn.l2_normalize(np.eye(3, dtype="float32") + 0.1, axis=1)
    >>> loss = ember.keras.losses.Circle()([0, 0, 1], emb)
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        config = _losses.Loss.get_config(self)
        config.update({"gamma": self.gamma, "margin": self.margin,
                       "remove_diagonal": self.remove_diagonal})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**{k: v for k, v in config.items() if k != "fn"})
