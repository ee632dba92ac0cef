"""TerminateOnNaN: stop fit as soon as the loss becomes NaN or infinite."""
from __future__ import annotations

import math

from ember.keras.callbacks.callback import Callback
from ember.keras.callbacks.monitor_callback import to_scalar

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Checks the loss after every training batch; on NaN or Inf it prints
    ``Batch {batch}: Invalid loss, terminating training`` and sets
    ``model.stop_training`` (or raises ``RuntimeError`` with ``raise_error=True``).

    >>> model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = to_scalar((logs or {}).get("loss"))
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. "
                               f"Loss value: {loss}. Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True
