"""LearningRateScheduler: set the learning rate from a function of the epoch."""
from __future__ import annotations

import inspect

import numpy as np

from ember.keras.callbacks.callback import Callback
from ember.keras.callbacks.reduce_lr_on_plateau import current_learning_rate

__all__ = ["LearningRateScheduler"]


def _schedule_arity(schedule):
    """2 when ``schedule(epoch, lr)`` can be called, 1 for the old ``schedule(epoch)``."""
    try:
        sig = inspect.signature(schedule)
    except (TypeError, ValueError):
        return 2
    try:
        sig.bind(0, 0.0)
        return 2
    except TypeError:
        return 1


def _as_learning_rate(value):
    if callable(getattr(value, "numpy", None)):
        value = value.numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f":
        return float(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise ValueError(f"The output of the `schedule` function should be a float. "
                     f"Got: {value}")


class LearningRateScheduler(Callback):
    """At the start of every epoch, sets the learning rate to ``schedule(epoch, lr)``
    (``epoch`` counts from 0, ``lr`` is the current rate; ``schedule(epoch)`` also works).

    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * math.exp(-0.1)
    >>> callback = keras.callbacks.LearningRateScheduler(scheduler)
    >>> model.fit(x, y, epochs=15, callbacks=[callback], verbose=0)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler expects a callable `schedule(epoch, lr)`;"
                             f" received: {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._arity = _schedule_arity(schedule)

    def _update_optimizer_lr(self, optimizer, epoch):
        lr = current_learning_rate(optimizer)
        new = self.schedule(epoch, lr) if self._arity == 2 else self.schedule(epoch)
        new = _as_learning_rate(new)
        optimizer.learning_rate = new
        return new

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        sub = getattr(optimizer, "optimizers", None)
        if sub:
            for idx, opt in enumerate(sub):
                lr = self._update_optimizer_lr(opt, epoch)
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting "
                          f"{opt.name}_{idx} learning rate to {lr}.", flush=True)
            return
        lr = self._update_optimizer_lr(optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{lr}.", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        optimizer = self.model.optimizer
        sub = getattr(optimizer, "optimizers", None)
        if sub:
            for idx, opt in enumerate(sub):
                logs[f"learning_rate_{opt.name}_{idx}"] = current_learning_rate(opt)
        else:
            logs["learning_rate"] = current_learning_rate(optimizer)
