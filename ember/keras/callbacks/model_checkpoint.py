"""ModelCheckpoint: save the model or its weights during fit."""
from __future__ import annotations

import os
import warnings

from ember.keras.callbacks.monitor_callback import MonitorCallback, to_scalar

__all__ = ["ModelCheckpoint"]

_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz", ".npz")
_MODEL_SUFFIXES = (".keras", ".h5")


class ModelCheckpoint(MonitorCallback):
    """Saves the model (``model.save``) or its weights (``model.save_weights``) every epoch
    or every ``save_freq`` batches.

    ``filepath`` may hold format fields filled from ``epoch`` (1-based), ``batch`` and the
    logs, e.g. ``"ckpt/model.{epoch:02d}-{val_loss:.2f}.weights.h5"``. With
    ``save_best_only=True`` a file is written only when ``monitor`` improves on the best
    value so far (starting from ``initial_value_threshold`` when given).

    >>> ckpt = keras.callbacks.ModelCheckpoint("best.weights.h5", save_weights_only=True,
    ...                                        monitor="val_loss", save_best_only=True)
    >>> model.fit(x, y, validation_data=(xv, yv), epochs=10, callbacks=[ckpt], verbose=0)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch" and (not isinstance(save_freq, int) or
                                     isinstance(save_freq, bool)):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")
        if isinstance(save_freq, int) and save_freq <= 0:
            raise ValueError(f"Unrecognized save_freq: {save_freq}. An integer save_freq "
                             "must be a positive number of batches")
        self.save_freq = save_freq
        if self.save_weights_only:
            if not self.filepath.endswith(_WEIGHTS_SUFFIXES):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format) or `.npz`. "
                    f"Received: filepath={self.filepath}")
        elif not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError("The filepath provided must end in `.keras` (Keras model "
                             f"format). Received: filepath={self.filepath}")
        self._batches_since_save = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            if self.monitor_op is None and self.save_best_only:
                self._set_monitor_op()
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None and self.save_best_only:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
            return True
        raw = logs.get(self.monitor)
        if raw is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        current = to_scalar(raw)
        if current is None:
            warnings.warn("Can save best model only when `monitor` is a scalar value. "
                          f"Received: {raw}. Falling back to `save_best_only=False`.",
                          stacklevel=3)
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                      f"{current:.5f}, saving model to {filepath}", flush=True)
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}",
                  flush=True)
        return False

    def _save_model(self, epoch, batch, logs):
        logs = dict(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if not self._should_save(epoch, logs, filepath):
            return
        # multi-worker training: every worker saves, only the chief to `filepath` (the
        # others to a temporary directory they remove), as tf.distribute's guide says
        strategy = getattr(self.model, "_distribute_strategy", None)
        temp = strategy is not None and not strategy.extended.should_checkpoint
        real_path = filepath
        if temp:
            from ember.distribute import file_utils
            filepath = file_utils.write_filepath(filepath, strategy)
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if temp:
            file_utils.remove_temp_dir_with_filepath(real_path, strategy)

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e!r}. Available keys: {sorted(fields)}") from None
