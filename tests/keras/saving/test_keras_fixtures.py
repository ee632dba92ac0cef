"""Files written by real Keras 3 (tests/fixtures/saving, made by make_fixtures.py) load in
ember with the predictions Keras made (rtol 1e-5), optimizer state included."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from ember import keras

h5py = pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "fixtures", "saving")
MODELS = ["mlp", "cnn", "multi", "activations"]


def _io(name):
    with np.load(os.path.join(FIXTURES, f"{name}_io.npz")) as data:
        xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
        return (xs if len(xs) > 1 else xs[0]), data["y"], int(data["iterations"])


def _path(name):
    return os.path.join(FIXTURES, name)


@pytest.mark.parametrize("name", MODELS)
def test_load_keras_archive_from_keras(name):
    feed, expected, iterations = _io(name)
    model = keras.models.load_model(_path(f"{name}.keras"))
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(model(feed).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert model.optimizer is not None and int(model.optimizer.iterations.numpy()) == \
        iterations
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert abs(float(model.optimizer.learning_rate.numpy()) - 0.01) < 1e-7


@pytest.mark.parametrize("name", MODELS)
def test_load_legacy_h5_from_keras(name):
    feed, expected, iterations = _io(name)
    model = keras.models.load_model(_path(f"{name}.h5"))
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5,
                               atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == iterations


@pytest.mark.parametrize("name", MODELS)
def test_load_weights_h5_from_keras(name):
    feed, expected, _ = _io(name)
    model = keras.models.load_model(_path(f"{name}.keras"), compile=False)
    fresh = keras.models.clone_model(model)
    assert not np.allclose(fresh.predict(feed, verbose=0), expected, rtol=1e-3)
    fresh.load_weights(_path(f"{name}.weights.h5"))
    np.testing.assert_allclose(fresh.predict(feed, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # the legacy .h5 weights, by order and by name
    for by_name in (False, True):
        again = keras.models.clone_model(model)
        again.load_weights(_path(f"{name}.h5"), by_name=by_name)
        np.testing.assert_allclose(again.predict(feed, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_load_tf2_layout_h5(name):
    feed, expected, _ = _io(name)
    model = keras.models.load_model(_path(f"{name}_tf2.h5"))
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5, atol=1e-6)
    for by_name in (False, True):
        fresh = keras.models.clone_model(model)
        fresh.load_weights(_path(f"{name}_tf2.h5"), by_name=by_name)
        np.testing.assert_allclose(fresh.predict(feed, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)


def test_load_tf2_layout_weights_into_code_built_model():
    feed, expected, _ = _io("mlp")
    seq = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
    seq.load_weights(_path("mlp_tf2.h5"))
    np.testing.assert_allclose(seq.predict(feed, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_loaded_keras_model_keeps_training():
    feed, expected, iterations = _io("cnn")
    model = keras.models.load_model(_path("cnn.keras"))
    y = np.zeros_like(expected)
    before = model.evaluate(feed, y, verbose=0)
    model.fit(feed, y, epochs=3, verbose=0, batch_size=4)
    assert model.evaluate(feed, y, verbose=0) < before
    assert int(model.optimizer.iterations.numpy()) == iterations + 3


def test_keras_operations_between_layers():
    feed, expected, _ = _io("ops")
    model = keras.models.load_model(_path("ops.keras"))
    names = [type(l).__name__ for l in model.operations]
    assert {"Multiply", "Add", "Subtract", "Relu", "TrueDivide", "Square", "Reshape",
            "Transpose", "Softmax", "Mean", "Sum", "Max", "Squeeze", "ExpandDims"} <= set(names)
    # as in Keras, operations are graph nodes but not layers
    assert not any(getattr(l, "_is_operation", False) for l in model.layers)
    np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5, atol=1e-6)


REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")


@pytest.mark.skipif(not os.path.exists(REFENV), reason=f"no reference Keras at {REFENV}")
def test_regenerated_fixtures_load(tmp_path):
    """The installed Keras writes the fixtures again; ember reads every new file."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, os.path.join(FIXTURES, "make_fixtures.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    for name in MODELS:
        with np.load(str(tmp_path / f"{name}_io.npz")) as data:
            xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
            expected = data["y"]
        feed = xs if len(xs) > 1 else xs[0]
        for suffix in (".keras", ".h5", "_tf2.h5"):
            model = keras.models.load_model(str(tmp_path / f"{name}{suffix}"))
            np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5,
                                       atol=1e-6, err_msg=f"{name}{suffix}")
        model.load_weights(str(tmp_path / f"{name}.weights.h5"))
        np.testing.assert_allclose(model.predict(feed, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)
