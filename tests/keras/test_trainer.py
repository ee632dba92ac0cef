"""keras trainers: compile's losses and metrics, and what fit/evaluate/predict hand to the
steps and callbacks, against NumPy and Keras's documented behaviour."""
import numpy as np
import pytest

import ember as tf
from ember import keras


def _linear_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


def _regression_data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
    return x, y


# ------------------------------------------------ y_true and y_pred at matching ranks ---

def test_custom_loss_function_sees_matching_ranks():
    seen = []

    def my_mse(y_true, y_pred):
        seen.append((y_true.shape.rank, y_pred.shape.rank))
        return tf.reduce_mean(tf.square(y_true - y_pred))

    x, y = _regression_data()                        # labels (N,), outputs (N, 1)
    for run_eagerly in (True, False):
        model = _linear_model()
        model.compile("sgd", loss=my_mse, run_eagerly=run_eagerly)
        pred = model.predict(x, verbose=0)
        loss = model.evaluate(x, y, batch_size=len(x), verbose=0)
        np.testing.assert_allclose(loss, np.mean((y - pred[:, 0]) ** 2), rtol=1e-5)
        assert set(seen) == {(2, 2)}
        # and it trains on that objective: the linear fit is found
        model.compile(keras.optimizers.SGD(0.1), loss=my_mse, run_eagerly=run_eagerly)
        model.fit(x, y, epochs=100, batch_size=len(x), verbose=0)
        pred = model.predict(x, verbose=0)
        assert np.mean((y - pred[:, 0]) ** 2) < 0.01 * np.var(y)


def test_custom_loss_with_sample_weight_and_other_direction():
    def my_mae(y_true, y_pred):
        return tf.abs(y_true - y_pred)

    x, y = _regression_data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1),
                              keras.layers.Reshape(())])         # outputs (N,)
    model.compile("sgd", loss=my_mae)
    w = np.linspace(0.5, 2.0, len(x)).astype(np.float32)
    pred = model.predict(x, verbose=0)
    got = model.evaluate(x, y[:, None], sample_weight=w, batch_size=len(x), verbose=0)
    np.testing.assert_allclose(got, np.mean(np.abs(y - pred) * w), rtol=1e-5)


def test_metric_functions_see_matching_ranks():
    def sq_err(y_true, y_pred):
        return tf.square(y_true - y_pred)

    x, y = _regression_data()
    model = _linear_model()
    model.compile("sgd", loss="mse", metrics=[sq_err, "mae"])
    pred = model.predict(x, verbose=0)[:, 0]
    logs = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["sq_err"], np.mean((y - pred) ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(y - pred)), rtol=1e-5)
    m = keras.metrics.MeanMetricWrapper(sq_err)
    m.update_state(y, pred[:, None])
    np.testing.assert_allclose(m.result().numpy(), np.mean((y - pred) ** 2), rtol=1e-5)
    w = keras.losses.LossFunctionWrapper(sq_err)
    np.testing.assert_allclose(w(y, pred[:, None]).numpy(), np.mean((y - pred) ** 2),
                               rtol=1e-5)


# ------------------------------------------- predict, call and evaluate agree (float32) ---

def test_predict_call_and_evaluate_compute_the_same_function():
    layers = keras.layers
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((10, 10, 2)), layers.Conv2D(8, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.3),
        layers.Conv2D(8, 3, padding="same"), layers.GlobalAveragePooling2D(),
        layers.Dense(4, activation="softmax")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 10, 10, 2)).astype(np.float32)
    y = rng.integers(0, 4, size=40)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    pred = model.predict(x, batch_size=16, verbose=0)
    assert pred.dtype == np.float32
    # the same batches, eagerly: the compiled plan changes no dtype and no formula
    called = np.concatenate([model(x[i:i + 16]).numpy() for i in range(0, 40, 16)])
    np.testing.assert_allclose(pred, called, rtol=1e-6, atol=1e-7)
    # the whole batch at once: only float32 reassociation (other BLAS blockings)
    np.testing.assert_allclose(model(x.astype(np.float64)).numpy(), pred, rtol=1e-5,
                               atol=1e-6)
    # evaluate's loss is the loss of predict's outputs
    loss = model.evaluate(x, y, batch_size=16, verbose=0)
    want = -np.mean(np.log(pred[np.arange(40), y].astype(np.float64)))
    np.testing.assert_allclose(loss, want, rtol=1e-5)


# ------------------------------------------- what custom steps and callbacks receive ---

class _RecordingModel(keras.Model):
    """A subclassed model whose steps record what they were given (Keras's guide style)."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.received = []

    def call(self, x):
        return self.dense(x)

    def _record(self, kind, data):
        self.received.append((kind, type(data).__name__,
                              len(data) if isinstance(data, tuple) else None))

    def train_step(self, data):
        self._record("train", data)
        if isinstance(data, tuple) and len(data) == 3:
            x, y, sample_weight = data
        else:
            x, y = data
            sample_weight = None
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}

    def test_step(self, data):
        self._record("test", data)
        x, y = data
        return {"loss": self.compute_loss(x, y, self(x, training=False))}

    def predict_step(self, data):
        self._record("predict", data)
        return self(data, training=False)


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_custom_steps_get_what_fit_was_given(run_eagerly):
    x, y = _regression_data(10)
    y = y[:, None]
    model = _RecordingModel()
    model.compile("sgd", "mse", run_eagerly=run_eagerly)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y))
    assert {r for r in model.received if r[0] == "train"} == {("train", "tuple", 2)}
    assert {r for r in model.received if r[0] == "test"} == {("test", "tuple", 2)}

    def fresh():                     # compiled steps record only while they are traced
        model.received.clear()
        model.compile("sgd", "mse", run_eagerly=run_eagerly)

    fresh()
    model.fit(x, y, sample_weight=np.ones(10, np.float32), batch_size=4, verbose=0)
    assert set(model.received) == {("train", "tuple", 3)}
    fresh()
    model.evaluate(x, y, batch_size=4, verbose=0)
    assert set(model.received) == {("test", "tuple", 2)}
    fresh()
    for pred in (model.predict(x, batch_size=4, verbose=0), model.predict(x, verbose=0)):
        assert pred.shape == (10, 1)
    assert model.received and all(r[0] == "predict" and r[1] != "tuple"
                                  for r in model.received)       # x itself, not (x,)
    fresh()

    def batches():
        while True:
            for i in range(0, 10, 4):
                yield x[i:i + 4], y[i:i + 4]

    model.fit(batches(), steps_per_epoch=3, epochs=1, verbose=0)
    assert set(model.received) == {("train", "tuple", 2)}


def test_every_callback_hook_gets_a_dict():
    seen = {}

    class Recorder(keras.callbacks.Callback):
        pass

    def make(name):
        def hook(self, *args, **kwargs):
            logs = kwargs["logs"] if "logs" in kwargs else args[-1]
            assert isinstance(logs, dict), (name, logs)
            seen.setdefault(name, sorted(logs))
        return hook

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
             "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
             "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
             "on_predict_batch_begin", "on_predict_batch_end"]
    for name in hooks:
        setattr(Recorder, name, make(name))
    x, y = _regression_data(10)
    model = _linear_model()
    model.compile("sgd", "mse", metrics=["mae"])
    rec = Recorder()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y), callbacks=[rec])
    # Keras also runs the callbacks' test hooks for fit's validation
    assert seen["on_test_end"] == ["loss", "mae"]
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    model.predict(x, batch_size=4, verbose=0, callbacks=[rec])
    assert set(seen) == set(hooks)
    for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin",
                 "on_test_batch_begin", "on_predict_begin", "on_predict_batch_begin",
                 "on_predict_end"):
        assert seen[name] == [], name
    assert seen["on_train_batch_end"] == ["loss", "mae"]
    assert seen["on_epoch_end"] == ["loss", "mae", "val_loss", "val_mae"]
    assert seen["on_train_end"] == ["loss", "mae", "val_loss", "val_mae"]
    assert seen["on_predict_batch_end"] == ["outputs"]
