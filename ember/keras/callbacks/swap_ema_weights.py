"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's exponential
moving averages of the weights (``use_ema=True``)."""
from __future__ import annotations

import numpy as np

from ember.keras.callbacks.callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Puts the optimizer's EMA weights into the model for evaluation and prediction and
    puts the training weights back afterwards. With ``swap_on_epoch=True`` the EMA weights
    are also in the model at each epoch's end (so callbacks after this one, such as
    ModelCheckpoint, see them), and after the last epoch they stay there.

    >>> model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
    >>> model.fit(x, y, validation_data=(xv, yv), callbacks=[keras.callbacks.SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_weights_in_model = False

    def _optimizers(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            found = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not found:
                raise ValueError("SwapEMAWeights must be used when at least one inner "
                                 "optimizer has `use_ema=True` set.")
            return found
        if not getattr(optimizer, "use_ema", False) or \
                not hasattr(optimizer, "_model_variables_moving_average"):
            raise ValueError(f"SwapEMAWeights must be used when `use_ema=True` is set on "
                             f"the optimizer. Received: use_ema="
                             f"{getattr(optimizer, 'use_ema', None)}")
        return [optimizer]

    def _swap(self):
        for optimizer in self._optimizers():
            for var, average in zip(optimizer._trainable_variables,
                                    optimizer._model_variables_moving_average):
                current = np.array(var.numpy())
                var.assign(average)
                average.assign(current)

    def _finalize(self):
        for optimizer in self._optimizers():
            for var, average in zip(optimizer._trainable_variables,
                                    optimizer._model_variables_moving_average):
                average.assign(var)

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
