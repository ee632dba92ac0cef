"""keras.losses.CTC: connectionist temporal classification for sequence labelling."""
from __future__ import annotations

import ember
from ember.keras import losses as _losses

__all__ = ["CTC", "ctc"]


def ctc(y_true, y_pred):
    """CTC loss per batch item: ``y_true`` int labels [batch, max_length] with 0 the blank
    (and padding), ``y_pred`` logits [batch, frames, classes] (not softmaxed). Every frame
    of ``y_pred`` is used; a row's label length is its count of non-zero labels."""
    from ember.keras.ops.nn import ctc_loss
    y_true, y_pred = ember.convert_to_tensor(y_true), ember.convert_to_tensor(y_pred)
    if y_true.shape.rank != 2:
        raise ValueError(f"Targets `y_true` are expected to be a tensor of shape "
                         f"`(batch_size, max_length)` in integer format. Received: "
                         f"y_true.shape={y_true.shape}")
    if y_pred.shape.rank != 3:
        raise ValueError(f"Logits `y_pred` are expected to be a tensor of shape "
                         f"`(batch_size, max_length, num_classes)`. Received: "
                         f"y_pred.shape={y_pred.shape}")
    shape = ember.shape(y_pred)
    frames = ember.fill([shape[0]], shape[1])
    labels = ember.cast(y_true, "int32")
    label_length = ember.reduce_sum(ember.cast(ember.not_equal(labels, 0), "int32"), axis=-1)
    return ctc_loss(labels, y_pred, label_length, frames, mask_index=0)


class CTC(_losses.LossFunctionWrapper):
    """The CTC loss (see ``ctc``).

    >>> loss = ember.keras.losses.CTC()
    >>> y_true = [[1, 2, 0]]
    >>> y_pred = ember.zeros([1, 4, 3])
    >>> round(float(loss(y_true, y_pred)), 4)
    1.6864
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return _losses.Loss.get_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**{k: v for k, v in config.items() if k != "fn"})
