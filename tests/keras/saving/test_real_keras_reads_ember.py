"""ember's model files load in real Keras 3 with identical predictions (runs only where the
reference environment /work/refenv with TensorFlow + Keras exists; skipped elsewhere)."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

import ember
from ember import keras

pytest.importorskip("h5py")
REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")
SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "fixtures", "saving",
                      "keras_reads.py")
pytestmark = pytest.mark.skipif(not os.path.exists(REFENV),
                                reason=f"no reference Keras environment at {REFENV}")


def _mlp():
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def _cnn():
    return keras.Sequential([
        keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, padding="same"),
        keras.layers.BatchNormalization(), keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(), keras.layers.Conv2D(4, 3),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])


def _multi():
    a = keras.Input((5,), name="a")
    b = keras.Input((3,), name="b")
    shared = keras.layers.Dense(4, activation="tanh", name="shared")
    x = keras.layers.Concatenate()([shared(a), keras.layers.Dense(4)(b)])
    x = keras.layers.BatchNormalization()(x)
    y = keras.layers.Add()([shared(keras.layers.Dense(5)(x)), keras.layers.Dense(4)(x)])
    y = keras.layers.Dense(2, name="out")(y)
    y = ember.nn.relu(1.0 - y) * 2.0 + ember.math.square(y) / 4.0
    g = ember.transpose(ember.reshape(y, (-1, 1, 2)), (0, 2, 1))           # (None, 2, 1)
    y = y + ember.squeeze(ember.nn.softmax(g, axis=1), axis=2) + \
        ember.expand_dims(ember.reduce_mean(y, axis=1), -1)
    return keras.Model([a, b], y)


def _activations():
    return keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(5), keras.layers.PReLU(),
        keras.layers.LeakyReLU(0.2), keras.layers.ELU(), keras.layers.ReLU(max_value=2.0),
        keras.layers.Dense(3), keras.layers.Softmax()])


def test_real_keras_loads_ember_files(tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    expected = {}
    for name, build in (("mlp", _mlp), ("cnn", _cnn), ("multi", _multi),
                        ("activations", _activations)):
        model = build()
        model.compile(keras.optimizers.Adam(0.01), "mse")
        xs = [rng.normal(size=(4,) + tuple(t.shape.as_list()[1:])).astype("float32")
              for t in model.inputs]
        feed = xs if len(xs) > 1 else xs[0]
        y = rng.normal(size=(4,) + tuple(model.outputs[0].shape.as_list()[1:]))
        model.fit(feed, y.astype("float32"), batch_size=2, epochs=1, verbose=0)
        model.save(str(tmp_path / f"{name}.keras"))
        model.save(str(tmp_path / f"{name}.h5"))
        model.save_weights(str(tmp_path / f"{name}.weights.h5"))
        np.savez(str(tmp_path / f"{name}_in.npz"), **{f"x{i}": x for i, x in enumerate(xs)})
        expected[name] = (model.predict(feed, verbose=0), int(model.optimizer.iterations))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, (y, iterations) in expected.items():
        with np.load(str(tmp_path / f"{name}_out.npz")) as out:
            for kind in ("keras", "h5", "weights_h5"):
                np.testing.assert_allclose(out[kind], y, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name}: real Keras reading {kind}")
            assert int(out["keras_iterations"]) == iterations == 2
