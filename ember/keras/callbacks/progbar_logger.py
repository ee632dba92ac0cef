"""ProgbarLogger: Keras's progress bar during fit/evaluate/predict (one line per epoch when
the output is not a terminal)."""
from __future__ import annotations

from ember.keras.callbacks.callback import Callback

__all__ = ["ProgbarLogger"]


class _Everything:
    """Logs already hold running averages (metric results): show them as they are."""

    def __contains__(self, item):
        return True

    def __iter__(self):
        return iter(())


_EVERY_METRIC = _Everything()


class ProgbarLogger(Callback):
    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        self._bar = None
        self._seen = 0

    def _make_bar(self):
        from ember.keras.utils import Progbar
        verbose = self.params.get("verbose", 1)
        self._bar = Progbar(target=self.params.get("steps"), verbose=verbose,
                            unit_name="step")
        self._bar.stateful_metrics = _EVERY_METRIC
        self._seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if self.params.get("verbose", 1) and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._make_bar()

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self._seen, list((logs or {}).items()), finalize=True)

    def on_test_begin(self, logs=None):
        if self.params.get("mode") == "test":
            self._make_bar()

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "test":
            self._seen = batch + 1
            self._bar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "test":
            self._bar.update(self._seen, list((logs or {}).items()), finalize=True)

    def on_predict_begin(self, logs=None):
        self._make_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._bar.update(self._seen, finalize=False)

    def on_predict_end(self, logs=None):
        self._bar.update(self._seen, finalize=True)
