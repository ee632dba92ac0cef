"""MonitorCallback: shared logic for callbacks that watch one logged quantity (which way
is better, what counts as an improvement)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ember.keras.callbacks.callback import Callback

__all__ = ["MonitorCallback"]

_MODES = ("auto", "min", "max")
_HIGHER_IS_BETTER = ("acc", "accuracy", "auc", "precision", "recall", "f1_score",
                     "fbeta_score", "r2_score", "iou", "cosine_similarity")


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b


def check_mode(owner, mode):
    """``mode`` when valid; otherwise warns (as Keras) and falls back to ``"auto"``."""
    if mode not in _MODES:
        warnings.warn(f"{owner} mode '{mode}' is unknown, fallback to auto mode.",
                      stacklevel=3)
        return "auto"
    return mode


def direction_from_model(model, monitor):
    """``"max"``, ``"min"`` or None: the direction of the metric named ``monitor`` (with or
    without the ``val_`` prefix), from the model's metric objects, then from the name."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "_direction", None)
            if direction == "up":
                return "max"
            if direction == "down":
                return "min"
    if name in _HIGHER_IS_BETTER or name.endswith(tuple("_" + n for n in _HIGHER_IS_BETTER)):
        return "max"
    return None


def to_scalar(value):
    """A Python float for a scalar log value, None for anything else."""
    if value is None:
        return None
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.ndim != 0 or arr.dtype.kind not in "fiub":
        return None
    return float(arr)


class MonitorCallback(Callback):
    """Base class for callbacks that track the best value of ``monitor``.

    Subclasses call ``self._set_monitor_op()`` once the model's metrics exist (the first
    ``on_epoch_end``) and then ``self._is_improvement(current, self.best)``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = check_mode(type(self).__name__, mode)
        self.best = baseline
        self._initial_best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        mode = self.mode
        if mode == "auto":
            mode = direction_from_model(self.model, self.monitor)
            if mode is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "Keras isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based "
                    "on the highest metric value, or pass `mode='min'` in order to use the "
                    "lowest value.")
        self.monitor_op = _less if mode == "min" else _greater
        if self.best is None:
            self.best = math.inf if mode == "min" else -math.inf

    def _signed_delta(self):
        return -self.min_delta if self.monitor_op is _less else self.min_delta

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self._signed_delta(), reference))
