"""EarlyStopping: stop fit when the monitored quantity stops improving."""
from __future__ import annotations

import warnings

from ember.keras.callbacks.monitor_callback import MonitorCallback, to_scalar

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stops training once ``monitor`` has not improved for ``patience`` epochs.

    An improvement is a change of more than ``min_delta`` in the right direction (``mode``
    ``"min"``, ``"max"``, or ``"auto"`` to infer it from the metric). With ``baseline``, the
    patience counter only restarts when the value also beats the baseline. With
    ``restore_best_weights=True`` the weights of the best epoch are put back when training
    ends. The first ``start_from_epoch`` epochs are a warm-up that is not monitored.

    >>> callback = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> history = model.fit(x, y, epochs=100, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"]) < 100   # stopped once the loss stalled
    True
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor=monitor, mode=mode, baseline=None, min_delta=min_delta)
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        self.best = None
        self.monitor_op = None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.", flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
            return None
        return to_scalar(value)
