"""LambdaCallback: a callback made of plain functions."""
from __future__ import annotations

from ember.keras.callbacks.callback import Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``; any hook by name."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(kwargs)
        hooks.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback got an unknown hook {name!r}")
            if name in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                        "on_predict_begin", "on_predict_end"):
                setattr(self, name, lambda logs=None, fn=fn: fn(logs))
            else:
                setattr(self, name, lambda step, logs=None, fn=fn: fn(step, logs))
