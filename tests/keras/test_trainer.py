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
