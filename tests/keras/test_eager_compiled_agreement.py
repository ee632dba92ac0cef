"""Eager and compiled execution of the same model agree within ember's stated float32
tolerance (docs/architecture.md, "Numerics"): |eager - compiled| <= RTOL * |compiled| +
ATOL * scale, with scale the largest magnitude of the quantity compared (the outputs, or
all of a model's weights). Fused kernels, blocked products and the compiler's rewrites
change the order of float32 sums, never what is summed."""
import numpy as np
import pytest

import ember as tf
from ember import keras

RTOL = 1e-5
ATOL = 1e-6


def assert_agree(got, want, scale=None, what=""):
    got, want = np.asarray(got), np.asarray(want)
    scale = np.abs(want).max() if scale is None else scale
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * max(float(scale), 1e-30),
                               err_msg=what)


def _conv_model(seed):
    tf.random.set_seed(seed)
    return keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(16, 3, padding="same"), keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Conv2D(16, 3, padding="same"), keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.Dense(10, activation="softmax")])


def _dense_model(seed):
    tf.random.set_seed(seed)
    return keras.Sequential([
        keras.Input((48,)), keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(64, activation="tanh"), keras.layers.Dense(10, activation="softmax")])


MODELS = {"conv": (_conv_model, (16, 16, 3)), "dense": (_dense_model, (48,))}


def _data(shape, seed, n=64):
    rng = np.random.default_rng(seed)
    return rng.random((n,) + shape, dtype=np.float32) * 2, rng.integers(0, 10, n)


def _compiled(model, eager):
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"],
                  run_eagerly=eager)
    return model


@pytest.mark.parametrize("name", list(MODELS))
def test_predict_call_and_evaluate_agree(name):
    make, shape = MODELS[name]
    x, y = _data(shape, 1)
    model = _compiled(make(1), eager=False)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)     # batch-norm statistics moved
    compiled = model.predict(x, batch_size=32, verbose=0)
    called = model(x).numpy()
    compiled_eval = model.evaluate(x, y, batch_size=32, verbose=0)
    _compiled(model, eager=True)
    eager = model.predict(x, batch_size=32, verbose=0)
    eager_eval = model.evaluate(x, y, batch_size=32, verbose=0)
    assert_agree(eager, compiled, what="predict")
    assert_agree(called, compiled, what="call")
    assert_agree(eager_eval, compiled_eval, what="evaluate")
    assert compiled.shape == (64, 10) and np.allclose(compiled.sum(1), 1, atol=1e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_training_steps_agree(name):
    make, shape = MODELS[name]
    x, y = _data(shape, 2)
    runs = []
    for eager in (True, False):
        model = _compiled(make(2), eager)
        losses = model.fit(x, y, batch_size=32, epochs=2, shuffle=False,
                           verbose=0).history["loss"]
        runs.append((losses, [w.numpy() for w in model.weights]))
    (eager_losses, eager_weights), (losses, weights) = runs
    assert losses[-1] < losses[0]
    assert_agree(eager_losses, losses, what="losses")
    scale = max(np.abs(w).max() for w in weights)
    for i, (e, c) in enumerate(zip(eager_weights, weights)):
        assert_agree(e, c, scale=scale, what=f"weight {i}")
