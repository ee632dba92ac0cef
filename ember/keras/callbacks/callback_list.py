"""CallbackList: calls every callback's hook in order."""
from __future__ import annotations

import numpy as np

from ember.keras.callbacks.callback import Callback

__all__ = ["CallbackList"]

_HOOKS = ["on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
          "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
          "on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
          "on_predict_begin", "on_predict_end"]


class CallbackList(Callback):
    """A container that forwards every hook to its callbacks (History and the progress bar
    added when asked). Every hook receives a dict of logs, ``{}`` where the caller passed
    none, as Keras's CallbackList does."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        from ember.keras.callbacks.history import History
        from ember.keras.callbacks.progbar_logger import ProgbarLogger
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{type(c).__name__}")
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if add_history:
            history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if history is None:
                history = History()
                self.callbacks.append(history)
            if model is not None:
                model.history = history
        self.set_params(params)
        if model is not None:
            self.set_model(model)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for c in self.callbacks:
            c.set_params(params)

    def set_model(self, model):
        self._model = model
        for c in self.callbacks:
            c.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)


def _pythonify(logs):
    """The dict every hook receives, as Keras makes it: ``{}`` for None, nested dicts
    flattened, keys sorted, values that convert to float as Python floats."""
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(_pythonify(value))
            continue
        try:
            out[key] = float(value) if np.ndim(value) == 0 else value
        except (TypeError, ValueError):
            out[key] = value
    return out


def _forward_batch(name):
    def hook(self, batch, logs=None):
        logs = _pythonify(logs)
        for c in self.callbacks:
            getattr(c, name)(batch, logs=logs)
    hook.__name__ = name
    return hook


def _forward_epoch(name):
    def hook(self, epoch, logs=None):
        logs = _pythonify(logs)
        for c in self.callbacks:
            getattr(c, name)(epoch, logs)
    hook.__name__ = name
    return hook


def _forward_run(name):
    def hook(self, logs=None):
        logs = _pythonify(logs)
        for c in self.callbacks:
            getattr(c, name)(logs)
    hook.__name__ = name
    return hook


for _name in _HOOKS:
    _make = _forward_batch if "batch" in _name else \
        _forward_epoch if "epoch" in _name else _forward_run
    setattr(CallbackList, _name, _make(_name))
