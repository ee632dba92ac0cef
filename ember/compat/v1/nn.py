"""compat.v1.nn: ember.nn plus TF1 spellings."""
from ember.nn import *  # noqa: F401,F403
from ember.nn import dropout as _dropout, softmax_cross_entropy_with_logits  # noqa: F401


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=-1, name=None, dim=None):
    return softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                             axis=dim if dim is not None else axis)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF1 dropout takes ``keep_prob`` (rate = 1 - keep_prob)."""
    if rate is None:
        if keep_prob is None:
            raise ValueError("dropout: pass keep_prob (TF1) or rate")
        rate = 1.0 - keep_prob
    return _dropout(x, rate=rate, noise_shape=noise_shape, seed=seed)
