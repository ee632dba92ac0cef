"""keras.callbacks: each callback driving a real fit of a small Dense model."""
import csv
import json
import math
import os
import warnings

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.callbacks.backup_and_restore import BackupAndRestore
from ember.keras.callbacks.callback import Callback
from ember.keras.callbacks.csv_logger import CSVLogger
from ember.keras.callbacks.early_stopping import EarlyStopping
from ember.keras.callbacks.learning_rate_scheduler import LearningRateScheduler
from ember.keras.callbacks.model_checkpoint import ModelCheckpoint
from ember.keras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from ember.keras.callbacks.terminate_on_nan import TerminateOnNaN

N, BATCH = 64, 16          # 4 batches per epoch


# ------------------------------------------------------------------------ helpers ---
def _data(n=N, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    w = np.array([[1.5], [-2.0], [0.5], [1.0]], np.float32)
    y = (x @ w + 0.3 + 0.05 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def _init_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(0.3 * rng.normal(size=w.shape)).astype(w.dtype)
                       for w in model.get_weights()])


class RecordingSequential(keras.Sequential):
    """A Sequential whose save/save_weights write the weights as .npz and log the call
    (ModelCheckpoint's contract: it calls these two entry points)."""

    def save_weights(self, filepath, overwrite=True, **kwargs):
        self.saved = getattr(self, "saved", []) + [("weights", filepath)]
        with open(filepath, "wb") as f:
            np.savez(f, *self.get_weights())

    def save(self, filepath, overwrite=True, **kwargs):
        self.saved = getattr(self, "saved", []) + [("model", filepath)]
        with open(filepath, "wb") as f:
            np.savez(f, *self.get_weights())


def _model(seed=0, optimizer=None, metrics=None, cls=keras.Sequential, with_input=True):
    layers = [keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    if with_input:
        layers.insert(0, keras.Input((4,)))
    model = cls(layers)
    if with_input:
        _init_weights(model, seed)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.02),
                  loss="mse", metrics=metrics)
    return model


def _fit(model, callbacks, epochs=5, validation=True, x=None, y=None, **kwargs):
    if x is None:
        x, y = _data()
    kwargs.setdefault("shuffle", False)
    val = _data(32, seed=1) if validation else None
    return model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0,
                     validation_data=val, callbacks=callbacks, **kwargs)


class Scripted(Callback):
    """Writes a chosen value for ``key`` into each epoch's logs (runs before the callback
    under test, which reads the same logs dict)."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])


class Recorder(Callback):
    """The model's weights and the optimizer's learning rate at the end of each epoch."""

    def on_train_begin(self, logs=None):
        self.weights, self.lrs, self.batches = {}, {}, []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = self.model.get_weights()
        self.lrs[epoch] = float(np.asarray(self.model.optimizer.learning_rate))


def _assert_weights_equal(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def _weights_differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


# ------------------------------------------------------------ the user's callback ---
class StopAtValLoss(Callback):
    def on_epoch_end(self, epoch, logs=None):
        if logs.get("val_loss") < 0.2:
            self.model.stop_training = True


def test_custom_callback_stop_training():
    model = _model()
    history = _fit(model, [StopAtValLoss()], epochs=60)
    val = history.history["val_loss"]
    assert 1 < len(val) < 60
    assert val[-1] < 0.2 and all(v >= 0.2 for v in val[:-1])
    assert history.epoch == list(range(len(val)))
    assert model.stop_training


def test_verbose_zero_prints_nothing(tmp_path, capsys):
    model = _model(cls=RecordingSequential)
    callbacks = [
        EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
        ModelCheckpoint(str(tmp_path / "m-{epoch}.weights.npz"), save_weights_only=True),
        ReduceLROnPlateau(patience=1),
        LearningRateScheduler(lambda epoch, lr: lr * 0.9),
        TerminateOnNaN(),
        CSVLogger(str(tmp_path / "log.csv")),
        BackupAndRestore(str(tmp_path / "backup")),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(model, callbacks, epochs=3)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


# ------------------------------------------------------------------ EarlyStopping ---
EARLY_STOPPING_CASES = [
    # (values of the monitored quantity, EarlyStopping kwargs, epochs that run)
    ([5, 4, 3, 3.5, 3.2, 3.1, 1, 1], dict(mode="min", patience=2), 5),
    ([5, 4, 3, 3, 3, 3, 3, 3], dict(mode="min", patience=0), 4),
    ([5, 4.8, 4.6, 4.4, 4.2, 4, 3.8, 3.6], dict(mode="min", patience=1, min_delta=0.5), 2),
    ([5, 4.8, 4.6, 4.4, 4.2, 4, 3.8, 3.6], dict(mode="min", patience=1, min_delta=-0.5), 2),
    ([5, 4.8, 4.6, 4.4, 4.2, 4, 3.8, 3.6], dict(mode="min", patience=1, min_delta=0.1), 8),
    ([1, 2, 3, 2, 2, 2, 2, 2], dict(mode="max", patience=2), 5),
    ([5, 4, 3, 3.5, 3.5, 3.5, 3.5, 3.5], dict(mode="min", patience=3), 6),
    ([5, 4, 3, 3.5, 3.5, 3.5, 3.5, 3.5], dict(mode="min", patience=3, baseline=1.0), 4),
    ([5, 4, 3, 3.5, 3.5, 3.5, 3.5, 3.5], dict(mode="min", patience=3, baseline=4.5), 6),
    ([1, 2, 3, 4, 5, 6, 7, 8], dict(mode="min", patience=1), 2),
    ([1, 2, 3, 4, 5, 6, 7, 8], dict(mode="min", patience=1, start_from_epoch=3), 5),
]


@pytest.mark.parametrize("values,kwargs,expected", EARLY_STOPPING_CASES)
def test_early_stopping_counts_patience(values, kwargs, expected):
    model = _model()
    stopper = EarlyStopping(monitor="score", **kwargs)
    history = _fit(model, [Scripted("score", values), stopper], epochs=len(values),
                   validation=False)
    assert len(history.history["loss"]) == expected
    assert stopper.stopped_epoch == (expected - 1 if expected < len(values) else 0)


def test_early_stopping_restores_best_epoch_weights():
    values = [5, 4, 2, 3, 3.5, 4, 4, 4]          # best at epoch 2, stops at epoch 5
    model = _model()
    rec = Recorder()
    stopper = EarlyStopping(monitor="score", mode="min", patience=3, restore_best_weights=True)
    history = _fit(model, [Scripted("score", values), rec, stopper], epochs=8,
                   validation=False)
    assert len(history.epoch) == 6
    assert stopper.best_epoch == 2 and stopper.best == 2
    assert _weights_differ(rec.weights[2], rec.weights[5])
    _assert_weights_equal(model.get_weights(), rec.weights[2])


def test_early_stopping_without_restore_keeps_last_weights():
    model = _model()
    rec = Recorder()
    _fit(model, [Scripted("score", [5, 4, 2, 3, 3.5, 4]), rec,
                 EarlyStopping(monitor="score", mode="min", patience=3)],
         epochs=6, validation=False)
    _assert_weights_equal(model.get_weights(), rec.weights[5])


def test_early_stopping_restores_best_real_val_loss():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.35))
    rec = Recorder()
    history = _fit(model, [rec, EarlyStopping(patience=2, restore_best_weights=True)],
                   epochs=12)
    val = history.history["val_loss"]
    best = int(np.argmin(val))
    assert len(val) < 12 and best == len(val) - 3      # stopped 2 epochs after the best
    _assert_weights_equal(model.get_weights(), rec.weights[best])
    loss = model.evaluate(*_data(32, seed=1), batch_size=BATCH, verbose=0)
    assert loss == pytest.approx(val[best], rel=1e-5)


def test_early_stopping_messages(capsys):
    model = _model()
    _fit(model, [Scripted("score", [3, 1, 2, 2, 2]),
                 EarlyStopping(monitor="score", mode="min", patience=2, verbose=1,
                               restore_best_weights=True)],
         epochs=5, validation=False)
    out = capsys.readouterr().out
    assert out == ("Epoch 4: early stopping\n"
                   "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_reusable_across_fits():
    model = _model()
    stopper = EarlyStopping(monitor="score", mode="min", patience=1)
    h1 = _fit(model, [Scripted("score", [1, 2, 3]), stopper], epochs=3, validation=False)
    h2 = _fit(model, [Scripted("score", [9, 8, 7]), stopper], epochs=3, validation=False)
    assert len(h1.epoch) == 2 and len(h2.epoch) == 3


@pytest.mark.parametrize("monitor,metrics,op_name", [
    ("val_loss", None, "less"),
    ("loss", None, "less"),
    ("val_mae", ["mae"], "less"),
    ("accuracy", ["accuracy"], "greater"),
])
def test_early_stopping_auto_mode_direction(monitor, metrics, op_name):
    x, y = _data()
    if metrics == ["accuracy"]:
        y = (y > 0).astype(np.float32)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
        model.compile("adam", "binary_crossentropy", metrics=metrics)
    else:
        model = _model(metrics=metrics)
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    name = "val_" + model.metrics_names[-1] if monitor == "val_mae" else monitor
    stopper = EarlyStopping(monitor=name)
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {k: v[0] for k, v in history.history.items()})
    assert stopper.monitor_op.__name__.strip("_") == op_name


def test_early_stopping_unknown_direction_raises():
    model = _model()
    with pytest.raises(ValueError, match="received monitor=score, but Keras isn't able to "
                                         "automatically determine"):
        _fit(model, [Scripted("score", [1, 2]), EarlyStopping(monitor="score")], epochs=2,
             validation=False)


def test_early_stopping_missing_monitor_warns_and_runs_all_epochs():
    model = _model()
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` "
                                         "which is not available. Available metrics are: loss"):
        history = _fit(model, [EarlyStopping(patience=0)], epochs=3, validation=False)
    assert len(history.epoch) == 3


def test_early_stopping_unknown_mode_warns():
    with pytest.warns(UserWarning, match="mode 'bogus' is unknown, fallback to auto mode"):
        stopper = EarlyStopping(mode="bogus")
    assert stopper.mode == "auto"


# ---------------------------------------------------------------- ModelCheckpoint ---
def _npz_weights(path):
    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def test_checkpoint_every_epoch_formats_names_and_saves_weights(tmp_path):
    model = _model(cls=RecordingSequential)
    rec = Recorder()
    pattern = str(tmp_path / "ckpt" / "model.{epoch:02d}-{val_loss:.2f}.weights.npz")
    history = _fit(model, [rec, ModelCheckpoint(pattern, save_weights_only=True)], epochs=3)
    names = [f"model.{e + 1:02d}-{v:.2f}.weights.npz"
             for e, v in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "ckpt")) == sorted(names)
    assert [kind for kind, _ in model.saved] == ["weights"] * 3
    for epoch, name in enumerate(names):
        _assert_weights_equal(_npz_weights(tmp_path / "ckpt" / name), rec.weights[epoch])


@pytest.mark.parametrize("threshold,expected_epochs", [
    (None, [0, 1, 3]),
    (1.5, [3]),
    (10.0, [0, 1, 3]),
])
def test_checkpoint_save_best_only(tmp_path, threshold, expected_epochs):
    values = [3, 2, 2.5, 1, 1.5]
    model = _model(cls=RecordingSequential)
    rec = Recorder()
    best = str(tmp_path / "best.weights.npz")
    every = str(tmp_path / "e{epoch}.weights.npz")
    cbs = [Scripted("score", values), rec,
           ModelCheckpoint(best, monitor="score", mode="min", save_best_only=True,
                           save_weights_only=True, initial_value_threshold=threshold),
           ModelCheckpoint(every, monitor="score", mode="min", save_best_only=True,
                           save_weights_only=True, initial_value_threshold=threshold)]
    _fit(model, cbs, epochs=5, validation=False)
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith("e")) == \
        sorted(f"e{e + 1}.weights.npz" for e in expected_epochs)
    _assert_weights_equal(_npz_weights(best), rec.weights[expected_epochs[-1]])


def test_checkpoint_max_mode_with_accuracy(tmp_path):
    x, y = _data()
    y = (y > 0).astype(np.float32)
    model = RecordingSequential([keras.Input((4,)), keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    ckpt = ModelCheckpoint(str(tmp_path / "a.weights.npz"), monitor="accuracy",
                           save_best_only=True, save_weights_only=True)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[ckpt])
    acc = history.history["accuracy"]
    improved = [i for i in range(len(acc)) if acc[i] > max(acc[:i], default=-1)]
    assert len(model.saved) == len(improved)
    assert ckpt.best == max(acc)


def test_checkpoint_save_freq_batches(tmp_path):
    model = _model(cls=RecordingSequential)
    pattern = str(tmp_path / "{epoch}-{batch}.weights.npz")
    _fit(model, [ModelCheckpoint(pattern, save_weights_only=True, save_freq=2)], epochs=2,
         validation=False)
    assert sorted(os.listdir(tmp_path)) == ["1-2.weights.npz", "1-4.weights.npz",
                                            "2-2.weights.npz", "2-4.weights.npz"]


def test_checkpoint_full_model_calls_save(tmp_path):
    model = _model(cls=RecordingSequential)
    _fit(model, [ModelCheckpoint(str(tmp_path / "m{epoch}.keras"))], epochs=2)
    assert model.saved == [("model", str(tmp_path / "m1.keras")),
                           ("model", str(tmp_path / "m2.keras"))]


def test_checkpoint_messages(tmp_path, capsys):
    model = _model(cls=RecordingSequential)
    path = str(tmp_path / "w.weights.npz")
    _fit(model, [Scripted("score", [2.0, 3.0]),
                 ModelCheckpoint(path, monitor="score", mode="min", verbose=1, save_best_only=True,
                                 save_weights_only=True)], epochs=2, validation=False)
    out = capsys.readouterr().out
    assert out == (f"\nEpoch 1: score improved from inf to 2.00000, saving model to {path}\n"
                   "\nEpoch 2: score did not improve from 2.00000\n")


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(filepath="w.h5", save_weights_only=True), ValueError,
     "filepath provided must end in `.weights.h5`"),
    (dict(filepath="model.ckpt"), ValueError, "must end in `.keras`"),
    (dict(filepath="m.keras", save_freq="batch"), ValueError, "Unrecognized save_freq: batch"),
    (dict(filepath="m.keras", save_freq=0), ValueError, "Unrecognized save_freq: 0"),
])
def test_checkpoint_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ModelCheckpoint(**kwargs)


def test_checkpoint_unknown_format_key(tmp_path):
    model = _model(cls=RecordingSequential)
    ckpt = ModelCheckpoint(str(tmp_path / "{nope}.weights.npz"), save_weights_only=True)
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        _fit(model, [ckpt], epochs=1)


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5"])
def test_checkpoint_real_weights_file_round_trip(tmp_path, suffix):
    pytest.importorskip("ember.keras.saving.saving_api")
    if suffix.endswith(".h5"):
        pytest.importorskip("h5py")
    model = _model()
    rec = Recorder()
    path = str(tmp_path / ("model.{epoch:02d}" + suffix))
    _fit(model, [rec, ModelCheckpoint(path, save_weights_only=True)], epochs=2)
    assert sorted(os.listdir(tmp_path)) == [f"model.01{suffix}", f"model.02{suffix}"]
    fresh = _model(seed=5)
    fresh.load_weights(str(tmp_path / f"model.01{suffix}"))
    _assert_weights_equal(fresh.get_weights(), rec.weights[0])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_checkpoint_real_model_files_with_templates(tmp_path, suffix):
    pytest.importorskip("h5py")
    model = _model()
    rec = Recorder()
    pattern = str(tmp_path / ("model.{epoch:02d}-{val_loss:.2f}" + suffix))
    history = _fit(model, [rec, ModelCheckpoint(pattern)], epochs=3)
    names = [f"model.{e + 1:02d}-{v:.2f}{suffix}"
             for e, v in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path)) == sorted(names)
    loaded = keras.models.load_model(str(tmp_path / names[1]))
    _assert_weights_equal(loaded.get_weights(), rec.weights[1])
    assert int(loaded.optimizer.iterations.numpy()) == 2 * N // BATCH


def test_checkpoint_best_only_real_file_and_threshold(tmp_path):
    pytest.importorskip("h5py")
    model = _model()
    rec = Recorder()
    best = str(tmp_path / "best.keras")
    scores = [5.0, 3.0, 4.0, 1.0, 2.0]
    _fit(model, [rec, Scripted("score", scores),
                 ModelCheckpoint(best, monitor="score", mode="min", save_best_only=True)],
         epochs=5)
    _assert_weights_equal(keras.models.load_model(best).get_weights(), rec.weights[3])
    never = str(tmp_path / "never.keras")
    _fit(_model(), [Scripted("score", scores),
                    ModelCheckpoint(never, monitor="score", mode="min", save_best_only=True,
                                    initial_value_threshold=0.5)], epochs=5)
    assert not os.path.exists(never)


def test_checkpoint_batch_frequency_real_weights(tmp_path):
    pytest.importorskip("h5py")
    model = _model()
    weights = {}

    class AtBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            weights[(self.model._ckpt_epoch, batch)] = self.model.get_weights()

        def on_epoch_begin(self, epoch, logs=None):
            self.model._ckpt_epoch = epoch

    pattern = str(tmp_path / "w-{epoch}-{batch}.weights.h5")
    _fit(model, [AtBatch(), ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)],
         epochs=2, validation=False)
    assert sorted(os.listdir(tmp_path)) == ["w-1-3.weights.h5", "w-2-2.weights.h5"]
    fresh = _model(seed=4)
    fresh.load_weights(str(tmp_path / "w-2-2.weights.h5"))
    _assert_weights_equal(fresh.get_weights(), weights[(1, 1)])


# -------------------------------------------------------------- ReduceLROnPlateau ---
@pytest.mark.parametrize("values,kwargs,logged,final", [
    ([1, .5, .5, .5, .5, .5, .5, .5], dict(factor=0.5, patience=2),
     [.1, .1, .1, .1, .05, .05, .025, .025], .0125),
    ([1] * 8, dict(factor=0.5, patience=1, cooldown=2),
     [.1, .1, .05, .05, .025, .025, .0125, .0125], .00625),
    ([1] * 4, dict(factor=0.1, patience=1, min_lr=0.005), [.1, .1, .01, .005], .005),
    ([1, .99995, .99, .98995], dict(factor=0.5, patience=1), [.1, .1, .05, .05], .025),
    ([1, 2, 3, 3, 3], dict(factor=0.5, patience=1, mode="max"),
     [.1, .1, .1, .1, .05], .025),
])
def test_reduce_lr_on_plateau_schedule(values, kwargs, logged, final):
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    history = _fit(model, [Scripted("score", values),
                           ReduceLROnPlateau(monitor="score", **kwargs)],
                   epochs=len(values), validation=False)
    np.testing.assert_allclose(history.history["learning_rate"], logged, rtol=1e-6)
    assert float(np.asarray(model.optimizer.learning_rate)) == pytest.approx(final, rel=1e-6)
    assert model.optimizer.learning_rate.dtype == ember.float32


def test_reduce_lr_auto_mode_acc_means_max():
    cb = ReduceLROnPlateau(monitor="val_accuracy")
    assert cb.monitor_op(0.6, 0.5) and not cb.monitor_op(0.4, 0.5)
    cb = ReduceLROnPlateau(monitor="val_loss")
    assert cb.monitor_op(0.4, 0.5) and not cb.monitor_op(0.6, 0.5)


def test_reduce_lr_really_changes_training():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    rec = Recorder()
    _fit(model, [Scripted("score", [1, 1, 1, 1]), rec,
                 ReduceLROnPlateau(monitor="score", factor=0.0, patience=1)],
         epochs=4, validation=False)
    assert _weights_differ(rec.weights[0], rec.weights[1])
    _assert_weights_equal(rec.weights[1], rec.weights[3])


def test_reduce_lr_real_val_loss_plateau():
    x, y = _data()
    y = np.zeros_like(y)             # the loss reaches a floor quickly and then plateaus
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    history = _fit(model, [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                             min_delta=1.0)], epochs=4, x=x, y=y,
                   validation=False)
    np.testing.assert_allclose(history.history["learning_rate"], [.05, .05, .025, .0125],
                               rtol=1e-6)


def test_reduce_lr_messages_and_errors(capsys):
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    _fit(model, [Scripted("score", [1, 1]),
                 ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, verbose=1)],
         epochs=2, validation=False)
    out = capsys.readouterr().out
    assert out.startswith("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05")
    with pytest.raises(ValueError, match="does not support a factor >= 1.0. Received "
                                         "factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        cb = ReduceLROnPlateau(epsilon=0.01)
    assert cb.min_delta == 0.01
    with pytest.warns(UserWarning, match="mode bogus is unknown"):
        assert ReduceLROnPlateau(mode="bogus").mode == "auto"
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not "
                                         "available"):
        _fit(model, [ReduceLROnPlateau()], epochs=1, validation=False)


# ---------------------------------------------------------- LearningRateScheduler ---
@pytest.mark.parametrize("schedule,expected", [
    (lambda epoch, lr: 0.1 * 0.5 ** epoch, [0.1, 0.05, 0.025, 0.0125]),
    (lambda epoch: 0.2 / (epoch + 1), [0.2, 0.1, 0.2 / 3, 0.05]),
    (lambda epoch, lr: lr * 0.5 if epoch else lr, [0.01, 0.005, 0.0025, 0.00125]),
    (lambda epoch, lr: np.float32(0.3), [0.3] * 4),
    (lambda epoch, lr: ember.constant(0.04) * (epoch + 1), [0.04, 0.08, 0.12, 0.16]),
])
def test_learning_rate_scheduler(schedule, expected):
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    rec = Recorder()
    history = _fit(model, [LearningRateScheduler(schedule), rec], epochs=4,
                   validation=False)
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)
    np.testing.assert_allclose([rec.lrs[e] for e in range(4)], expected, rtol=1e-6)


def test_learning_rate_scheduler_keras_doc_example():
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    assert round(float(np.asarray(model.optimizer.learning_rate)), 5) == 0.01

    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * ember.math.exp(-0.1)

    model.fit(np.arange(100).reshape(5, 20).astype(np.float32), np.zeros((5, 10)), epochs=15,
              callbacks=[LearningRateScheduler(scheduler)], verbose=0)
    assert round(float(np.asarray(model.optimizer.learning_rate)), 5) == 0.00607


def test_learning_rate_scheduler_zero_freezes_weights():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    rec = Recorder()
    _fit(model, [LearningRateScheduler(lambda e, lr: 0.1 if e < 2 else 0.0), rec],
         epochs=4, validation=False)
    assert _weights_differ(rec.weights[0], rec.weights[1])
    _assert_weights_equal(rec.weights[1], rec.weights[3])


def test_learning_rate_scheduler_verbose_and_errors(capsys):
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    _fit(model, [LearningRateScheduler(lambda e, lr: 0.25, verbose=1)], epochs=2,
         validation=False)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.25.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.25.\n")
    with pytest.raises(ValueError, match="The output of the `schedule` function should be a "
                                         "float. Got: fast"):
        _fit(model, [LearningRateScheduler(lambda e, lr: "fast")], epochs=1)
    with pytest.raises(ValueError, match="should be a float"):
        _fit(model, [LearningRateScheduler(lambda e, lr: 1)], epochs=1)


# ----------------------------------------------------------------- TerminateOnNaN ---
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_terminate_on_nan_stops_at_the_bad_batch(bad, capsys):
    x, y = _data()
    y[2 * BATCH + 3, 0] = bad                      # poisons batch 2 of epoch 0
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    rec = Recorder()
    history = _fit(model, [TerminateOnNaN(), rec], epochs=5, x=x, y=y, validation=False)
    assert rec.batches == [0, 1, 2]
    assert len(history.epoch) == 1
    assert not math.isfinite(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_finite_loss_runs_all_epochs():
    model = _model()
    assert len(_fit(model, [TerminateOnNaN()], epochs=3).epoch) == 3


def test_terminate_on_nan_raise_error():
    x, y = _data()
    x[BATCH, 0] = np.nan
    model = _model()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1. "
                                           "Loss value: nan. Terminating training"):
        _fit(model, [TerminateOnNaN(raise_error=True)], epochs=2, x=x, y=y)


# ---------------------------------------------------------------------- CSVLogger ---
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_rows_match_history(tmp_path):
    path = tmp_path / "log.csv"
    model = _model(metrics=["mae"])
    history = _fit(model, [CSVLogger(path)], epochs=3)
    rows = _read_csv(path)
    keys = sorted(history.history)
    assert rows[0] == ["epoch"] + keys
    assert len(rows) == 4
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        assert [float(v) for v in row[1:]] == [history.history[k][epoch] for k in keys]


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    _fit(model, [CSVLogger(path)], epochs=2, validation=False)
    _fit(model, [CSVLogger(path, append=True)], epochs=3, validation=False)
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1", "2"]
    _fit(model, [CSVLogger(path)], epochs=1, validation=False)
    assert len(_read_csv(path)) == 2


def test_csv_logger_separator_and_extra_logs(tmp_path):
    path = tmp_path / "log.tsv"
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    _fit(model, [LearningRateScheduler(lambda e, lr: lr / 2), CSVLogger(path, separator="\t")],
         epochs=2, validation=False)
    rows = _read_csv(path, sep="\t")
    assert rows[0] == ["epoch", "learning_rate", "loss"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx([0.05, 0.025])


def test_csv_logger_missing_key_is_na(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    _fit(model, [CSVLogger(path)], epochs=3, validation_freq=2)
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss"]
    model2 = _model()
    cb = CSVLogger(path)
    cb.set_model(model2)
    cb.on_train_begin()
    cb.keys = ["loss", "val_loss"]
    cb.on_epoch_end(0, {"loss": 1.5})
    cb.on_epoch_end(1, {"loss": 1.0, "val_loss": 2.0, "vec": np.arange(3)})
    cb.on_train_end()
    assert _read_csv(path) == [["epoch", "loss", "val_loss"], ["0", "1.5", "NA"],
                               ["1", "1.0", "2.0"]]


# --------------------------------------------------------------- BackupAndRestore ---
class InterruptAt(Callback):
    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch = epoch, batch
        self._current = None

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch
        if self.batch is None and epoch == self.epoch:
            raise RuntimeError("Interrupting!")

    def on_train_batch_begin(self, batch, logs=None):
        if self._current == self.epoch and batch == self.batch:
            raise RuntimeError("Interrupting!")


def _reference_run(epochs):
    model = _model()
    rec = Recorder()
    history = _fit(model, [rec], epochs=epochs)
    return model.get_weights(), rec, history


def test_backup_and_restore_resumes_epoch_weights_and_optimizer(tmp_path):
    backup_dir = tmp_path / "backup"
    ref_weights, ref_rec, ref_history = _reference_run(6)

    model = _model()
    with pytest.raises(RuntimeError, match="Interrupting!"):
        _fit(model, [BackupAndRestore(backup_dir), InterruptAt(3)], epochs=6)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    assert meta["epoch"] == 3
    with np.load(backup_dir / meta["checkpoint"], allow_pickle=False) as data:
        saved = [data[f"model_{i}"] for i in range(meta["num_weights"])]
        assert int(data["optimizer_0"]) == 3 * N // BATCH       # iterations
    _assert_weights_equal(saved, ref_rec.weights[2])

    resumed = _model(seed=9)                      # a fresh process: other weights, new Adam
    rec = Recorder()
    history = _fit(resumed, [BackupAndRestore(backup_dir), rec], epochs=6)
    assert history.epoch == [3, 4, 5]
    np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"][3:],
                               rtol=1e-5)
    for got, want in zip(resumed.get_weights(), ref_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert int(resumed.optimizer.iterations.numpy()) == 6 * N // BATCH
    assert not backup_dir.exists()


def test_backup_and_restore_keeps_checkpoint_when_asked(tmp_path):
    backup_dir = tmp_path / "backup"
    model = _model()
    _fit(model, [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=2)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    assert meta["epoch"] == 2
    assert sorted(os.listdir(backup_dir)) == sorted([meta["checkpoint"],
                                                     "training_metadata.json"])
    history = _fit(model, [BackupAndRestore(backup_dir)], epochs=4)
    assert history.epoch == [2, 3]


def test_backup_and_restore_batch_frequency(tmp_path):
    backup_dir = tmp_path / "backup"
    model = _model()
    with pytest.raises(RuntimeError):
        _fit(model, [BackupAndRestore(backup_dir, save_freq=3), InterruptAt(1, batch=3)],
             epochs=4)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    assert (meta["epoch"], meta["batch"]) == (1, 1)    # 6th batch = epoch 1, batch 1
    history = _fit(model, [BackupAndRestore(backup_dir, save_freq=3)], epochs=4)
    assert history.epoch == [1, 2, 3]


def test_backup_and_restore_unbuilt_model(tmp_path):
    backup_dir = tmp_path / "backup"
    model = _model(with_input=False)
    with pytest.raises(RuntimeError):
        _fit(model, [BackupAndRestore(backup_dir), InterruptAt(2)], epochs=4)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    with np.load(backup_dir / meta["checkpoint"], allow_pickle=False) as data:
        saved = [data[f"model_{i}"] for i in range(meta["num_weights"])]
    fresh = _model(with_input=False)
    rec = Recorder()

    class FirstBatch(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if not hasattr(self, "weights"):
                self.weights = self.model.get_weights()

    first = FirstBatch()
    history = _fit(fresh, [BackupAndRestore(backup_dir), first, rec], epochs=4)
    assert history.epoch == [2, 3]
    _assert_weights_equal(first.weights, saved)


@pytest.mark.parametrize("kwargs,match", [
    (dict(backup_dir=""), "Empty `backup_dir` argument passed"),
    (dict(backup_dir="b", save_freq="batch"), "Invalid value for argument `save_freq`"),
    (dict(backup_dir="b", save_freq=0), "Invalid value for argument `save_freq`"),
])
def test_backup_and_restore_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackupAndRestore(**kwargs)


def test_backup_and_restore_mismatched_model(tmp_path):
    backup_dir = tmp_path / "backup"
    model = _model()
    _fit(model, [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=1)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    other.compile("adam", "mse")
    with pytest.raises(ValueError, match="holds 4 weights but model .* has 2"):
        _fit(other, [BackupAndRestore(backup_dir)], epochs=2)


# ------------------------------------------- BackupAndRestore: mid-epoch resumption ---
def _seeded_fit(model, callbacks, epochs, shuffle):
    keras.utils.set_random_seed(5)          # as a fresh process with the same seed
    return _fit(model, callbacks, epochs=epochs, shuffle=shuffle, validation=False)


@pytest.mark.parametrize("shuffle", [False, True])
def test_backup_and_restore_mid_epoch_resumes_identically(tmp_path, shuffle):
    backup_dir = tmp_path / "backup"
    straight = _model()
    _seeded_fit(straight, [], 4, shuffle)

    model = _model()
    with pytest.raises(RuntimeError, match="Interrupting!"):
        _seeded_fit(model, [BackupAndRestore(backup_dir, save_freq=2),
                            InterruptAt(2, batch=2)], 4, shuffle)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    assert meta["epoch"] == 2 and meta["step"] == 2        # batches 0 and 1 of epoch 2 done
    resumed = _model(seed=9)
    seen = []

    class Steps(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    history = _seeded_fit(resumed, [BackupAndRestore(backup_dir, save_freq=2), Steps()], 4,
                          shuffle)
    assert history.epoch == [2, 3]
    assert seen[:2] == [2, 3]                   # epoch 2 continues at its third batch
    for got, want in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert int(resumed.optimizer.iterations.numpy()) == \
        int(straight.optimizer.iterations.numpy())


def test_backup_and_restore_double_checkpoint_falls_back(tmp_path):
    backup_dir = tmp_path / "backup"
    model = _model()
    with pytest.raises(RuntimeError):
        _fit(model, [BackupAndRestore(backup_dir, double_checkpoint=True), InterruptAt(3)],
             epochs=5)
    latest = json.loads((backup_dir / "training_metadata.json").read_text())
    previous = json.loads((backup_dir / "training_metadata.json.bkp").read_text())
    assert (latest["epoch"], previous["epoch"]) == (3, 2)
    assert sorted(p.name for p in backup_dir.iterdir()) == sorted(
        [latest["checkpoint"], previous["checkpoint"], "training_metadata.json",
         "training_metadata.json.bkp"])
    (backup_dir / latest["checkpoint"]).write_bytes(b"garbage")     # the latest is damaged
    with pytest.warns(UserWarning, match="resuming from the previous one"):
        history = _fit(_model(seed=9), [BackupAndRestore(backup_dir, double_checkpoint=True)],
                       epochs=5)
    assert history.epoch == [2, 3, 4]
    assert not backup_dir.exists()


def test_backup_and_restore_corrupt_backup_names_file(tmp_path):
    backup_dir = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        _fit(_model(), [BackupAndRestore(backup_dir), InterruptAt(2)], epochs=4)
    meta = json.loads((backup_dir / "training_metadata.json").read_text())
    (backup_dir / meta["checkpoint"]).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=meta["checkpoint"] + " cannot be read"):
        _fit(_model(), [BackupAndRestore(backup_dir)], epochs=4)
