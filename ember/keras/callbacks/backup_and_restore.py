"""BackupAndRestore: resume an interrupted fit from its last backup."""
from __future__ import annotations

import json
import os
import warnings
import zipfile

import numpy as np

from ember.keras.callbacks.callback import Callback
from ember.keras.saving.file_io import atomic_write

__all__ = ["BackupAndRestore"]

_METADATA = "training_metadata.json"
_FORMAT = "ember.keras.BackupAndRestore/1"


class BackupAndRestore(Callback):
    """Backs up the training state (model weights, optimizer variables and the epoch) in
    ``backup_dir`` at the end of every epoch (or every ``save_freq`` batches). When ``fit``
    starts again after an interruption, the state is restored and training continues where
    the last backup was made: at the next epoch, or, for a backup made mid-epoch
    (``save_freq=<int>``), at the next batch of that epoch, so the resumed run trains on
    the same batches as an uninterrupted one. The backup is deleted when training
    completes, unless ``delete_checkpoint=False``. With ``double_checkpoint=True`` the
    previous backup is kept too, and used if the latest one cannot be read.

    Files (each written atomically): ``training_metadata.json`` (epoch, batches done in
    it, the arrays' file) and one ``ckpt-<n>.npz`` of NumPy arrays (no pickle); with
    ``double_checkpoint``, also ``training_metadata.json.bkp`` and its checkpoint.

    >>> backup = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
    >>> model.fit(x, y, epochs=10, callbacks=[backup])   # interrupted at epoch 4
    >>> history = model.fit(x, y, epochs=10, callbacks=[backup])
    >>> history.epoch                                      # picks up where it stopped
    [4, 5, 6, 7, 8, 9]
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq is not False and save_freq != "epoch" and (
                not isinstance(save_freq, int) or isinstance(save_freq, bool) or
                save_freq <= 0):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             "value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self.double_checkpoint = bool(double_checkpoint)
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._previous_metadata_path = self._metadata_path + ".bkp"
        self._current_epoch = 0
        self._batches_since_save = 0
        self._last_batch = -1
        self._pending_restore = None

    # -- restoring -----------------------------------------------------------------------
    def _read_metadata(self, path=None):
        path = path or self._metadata_path
        if not os.path.exists(path):
            return None
        try:
            with open(path, "r") as f:
                meta = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"BackupAndRestore: {path} is corrupted ({e}); remove "
                             f"{self.backup_dir} to start over.") from None
        if meta.get("format") != _FORMAT:
            raise ValueError(f"BackupAndRestore: {path} was not written by "
                             f"this callback (format {meta.get('format')!r}); use an empty "
                             "`backup_dir`.")
        return meta

    def on_train_begin(self, logs=None):
        self._batches_since_save = 0
        self._last_batch = -1
        self._pending_restore = None
        meta = self._read_metadata()
        if meta is None:
            return
        self.model._initial_epoch = int(meta["epoch"])
        self.model._initial_step = int(meta.get("step", 0))
        self._current_epoch = int(meta["epoch"])
        if self.model.built:
            self._restore(meta)
        else:
            self._pending_restore = meta

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending_restore is not None:
            meta, self._pending_restore = self._pending_restore, None
            if not self.model.built:
                raise ValueError(
                    "To use the BackupAndRestore callback, your model must be built before "
                    f"you call `fit()`. Model {self.model.name} is unbuilt. You can build it "
                    "beforehand by calling it on a batch of data.")
            self._restore(meta)

    def _load_arrays(self, meta):
        path = os.path.join(self.backup_dir, meta["checkpoint"])
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = [data[f"model_{i}"] for i in range(int(meta["num_weights"]))]
                opt_values = [data[f"optimizer_{i}"]
                              for i in range(int(meta["num_optimizer_variables"]))]
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise ValueError(f"BackupAndRestore: the backup {path} cannot be read "
                             f"({type(e).__name__}: {e}).") from None
        return weights, opt_values

    def _restore(self, meta):
        try:
            weights, opt_values = self._load_arrays(meta)
        except ValueError:
            previous = self._read_metadata(self._previous_metadata_path) \
                if self.double_checkpoint else None
            if previous is None:
                raise
            warnings.warn(f"BackupAndRestore: the latest backup in {self.backup_dir} cannot "
                          f"be read; resuming from the previous one (epoch "
                          f"{previous['epoch']}).", stacklevel=3)
            meta = previous
            self.model._initial_epoch = self._current_epoch = int(meta["epoch"])
            self.model._initial_step = int(meta.get("step", 0))
            weights, opt_values = self._load_arrays(meta)
        model_vars = self.model.weights
        if len(model_vars) != len(weights):
            raise ValueError(f"BackupAndRestore: the backup in {self.backup_dir} holds "
                             f"{len(weights)} weights but model {self.model.name} has "
                             f"{len(model_vars)}; was the model changed?")
        self.model.set_weights(weights)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not opt_values:
            return
        if not getattr(optimizer, "built", True):
            optimizer.build(self.model.trainable_variables)
        opt_vars = list(optimizer.variables)
        if len(opt_vars) != len(opt_values):
            raise ValueError(f"BackupAndRestore: the backup in {self.backup_dir} holds "
                             f"{len(opt_values)} optimizer variables but optimizer "
                             f"{getattr(optimizer, 'name', '')} has {len(opt_vars)}; was "
                             "compile() changed?")
        for var, value in zip(opt_vars, opt_values):
            if tuple(var.shape.as_list()) != value.shape:
                raise ValueError(f"BackupAndRestore: optimizer variable {var.name} has shape "
                                 f"{tuple(var.shape.as_list())} but the backup holds "
                                 f"{value.shape}")
            var.assign(value.astype(var.dtype.np, copy=False))

    # -- saving --------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        self._last_batch = batch
        if self.save_freq == "epoch" or self.save_freq is False:
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, step=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0, step=0)

    def _writes(self):
        """Whether this process writes backups: multi-worker training has every worker
        read the chief's, and only the chief write them."""
        strategy = getattr(self.model, "_distribute_strategy", None)
        return strategy is None or strategy.extended.should_checkpoint

    def _save(self, epoch, batch, step):
        if not self._writes():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        previous = self._read_metadata()
        older = self._read_metadata(self._previous_metadata_path) \
            if self.double_checkpoint else None
        serial = int(previous["serial"]) + 1 if previous else 0
        arrays = {f"model_{i}": w for i, w in enumerate(self.model.get_weights())}
        optimizer = getattr(self.model, "optimizer", None)
        opt_vars = list(getattr(optimizer, "variables", None) or []) if \
            getattr(optimizer, "built", True) else []
        for i, var in enumerate(opt_vars):
            arrays[f"optimizer_{i}"] = np.asarray(var.numpy())
        name = f"ckpt-{serial}.npz"
        with atomic_write(os.path.join(self.backup_dir, name)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        meta = {"format": _FORMAT, "epoch": int(epoch), "batch": int(batch),
                "step": int(step), "serial": serial, "checkpoint": name,
                "num_weights": len(arrays) - len(opt_vars),
                "num_optimizer_variables": len(opt_vars)}
        if self.double_checkpoint and previous:
            self._write_json(self._previous_metadata_path, previous)
        self._write_json(self._metadata_path, meta)
        keep = {name} | ({previous["checkpoint"]} if self.double_checkpoint and previous
                         else set())
        drop = older if self.double_checkpoint else previous
        if drop and drop["checkpoint"] not in keep:
            path = os.path.join(self.backup_dir, drop["checkpoint"])
            if os.path.exists(path):
                os.remove(path)

    @staticmethod
    def _write_json(path, content):
        with atomic_write(path) as tmp:
            with open(tmp, "w") as f:
                json.dump(content, f)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not self._writes():
            return
        for path in (self._metadata_path, self._previous_metadata_path):
            meta = self._read_metadata(path)
            if meta is not None:
                ckpt = os.path.join(self.backup_dir, meta["checkpoint"])
                if os.path.exists(ckpt):
                    os.remove(ckpt)
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
