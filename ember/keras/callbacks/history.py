"""History: the per-epoch logs that fit() returns."""
from __future__ import annotations

from ember.keras.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """``history.history["loss"]`` lists the loss of each epoch (and every other metric)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
