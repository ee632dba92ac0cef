"""Legacy ``.h5`` files written by tf.keras 2 (``tf_keras`` 2.21, fixtures made by
tests/fixtures/saving/make_tf_keras2_fixtures.py) carry their optimizer state into ember:
training continued in ember gives the weights tf.keras 2 reached continuing itself."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess

import numpy as np
import pytest

from ember import keras

h5py = pytest.importorskip("h5py")

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "fixtures", "saving")
NAMES = ["legacy_adam", "legacy_adam_amsgrad", "legacy_sgd", "legacy_rmsprop",
         "legacy_adagrad", "adam", "sgd", "rmsprop"]
REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")


def _resume(path, data):
    model = keras.models.load_model(path)
    iterations = int(model.optimizer.iterations.numpy())
    model.fit(data["x"], data["y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    return model, iterations


@pytest.mark.parametrize("name", NAMES)
def test_training_resumes_from_tf_keras2_optimizer_state(name, recwarn):
    path = os.path.join(FIXTURES, f"tfk2_{name}.h5")
    with np.load(path[:-3] + ".npz") as data:
        data = dict(data)
    model, iterations = _resume(path, data)
    assert not [w for w in recwarn if "optimizer" in str(w.message)]
    assert iterations == int(data["iterations"]) == 2
    assert int(model.optimizer.iterations.numpy()) == 4
    weights = model.get_weights()
    for i, w in enumerate(weights):
        np.testing.assert_allclose(w, data[f"w{i}"], rtol=1e-5, atol=1e-6)
    # the state mattered: a fresh optimizer from the same weights ends elsewhere
    fresh = keras.models.load_model(path, compile=False)
    fresh.compile(type(model.optimizer).from_config(model.optimizer.get_config()), "mse")
    fresh.fit(data["x"], data["y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert max(np.abs(a - b).max() for a, b in zip(fresh.get_weights(), weights)) > 1e-4


def test_slots_hold_the_file_values():
    path = os.path.join(FIXTURES, "tfk2_legacy_adam.h5")
    model = keras.models.load_model(path)
    with h5py.File(path, "r") as f:
        group = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in group.attrs["weight_names"]]
        m_names = [n for n in names if n.endswith("/m:0")]
        v_names = [n for n in names if n.endswith("/v:0")]
        for slot, stored in ((model.optimizer._momentums, m_names),
                             (model.optimizer._velocities, v_names)):
            assert len(slot) == len(stored) == 4
            for var, name in zip(slot, stored):
                np.testing.assert_array_equal(var.numpy(), group[name][()])


def test_state_that_does_not_fit_warns_and_starts_fresh(tmp_path):
    path = str(tmp_path / "m.h5")
    shutil.copy(os.path.join(FIXTURES, "tfk2_legacy_adam.h5"), path)
    with h5py.File(path, "r+") as f:
        group = f["optimizer_weights"]
        names = list(group.attrs["weight_names"])
        group.attrs["weight_names"] = np.array(names[:-1], dtype="S")   # one v slot gone
    with pytest.warns(UserWarning, match="slot 'v' holds 3 values for 4 variables"):
        model = keras.models.load_model(path)
    assert int(model.optimizer.iterations.numpy()) == 0


# ------------------------------------------------ save_weights(prefix): TF checkpoints
def _weights_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, use_bias=False),
                             keras.layers.BatchNormalization(),
                             keras.layers.Activation("tanh"), keras.layers.Dense(2)])


@pytest.mark.parametrize("name", ["tfk2_weights", "tfk2_weights_legacy"])
def test_load_weights_of_a_tf_keras2_checkpoint_resumes_training(name, recwarn):
    with np.load(os.path.join(FIXTURES, f"{name}.npz")) as data:
        data = dict(data)
    model = _weights_model()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    model.load_weights(os.path.join(FIXTURES, name))
    assert not [w for w in recwarn if "optimizer" in str(w.message)]
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["predictions"],
                               rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 2
    model.fit(data["x"], data["y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, data[f"w{i}"], rtol=1e-5, atol=1e-6)
    # the directory form (its `checkpoint` state file names the newest)
    again = _weights_model()
    again.load_weights(FIXTURES)
    np.testing.assert_allclose(again.predict(data["x"], verbose=0), data["predictions"],
                               rtol=1e-5, atol=1e-6)


def test_save_weights_without_extension_writes_a_tf_checkpoint(tmp_path):
    keras.utils.set_random_seed(3)
    model = _weights_model()
    prefix = str(tmp_path / "ckpts" / "my_checkpoint")
    model.save_weights(prefix)
    assert ember_latest(str(tmp_path / "ckpts")) == prefix
    keys = dict(__import__("ember").train.list_variables(prefix))
    assert keys["layer_with_weights-1/moving_variance/.ATTRIBUTES/VARIABLE_VALUE"] == [5]
    assert keys["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == [4, 5]
    other = _weights_model()
    other.load_weights(prefix)
    x = np.ones((3, 4), "float32")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    smaller = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="3 layers.*1 layers with weights"):
        smaller.load_weights(prefix)


def ember_latest(directory):
    import ember
    return ember.train.latest_checkpoint(directory)


@pytest.mark.skipif(not glob.glob(os.path.join(os.path.dirname(REFENV), os.pardir, "lib",
                                               "python*", "site-packages", "tf_keras")),
                    reason="no tf_keras in the reference environment")
def test_tf_keras2_loads_embers_weight_checkpoint_and_writes_files_today(tmp_path):
    keras.utils.set_random_seed(6)
    model = _weights_model()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    x = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    model.fit(x, np.ones((6, 2), "float32"), epochs=2, verbose=0)
    prefix = str(tmp_path / "ember_weights")
    model.save_weights(prefix)
    np.savez(str(tmp_path / "in.npz"), x=x)
    regenerated = tmp_path / "regenerated"
    regenerated.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, os.path.join(FIXTURES, "make_tf_keras2_fixtures.py"),
                          str(regenerated), "read", prefix, str(tmp_path / "in.npz"),
                          str(tmp_path / "out.npz")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    with np.load(str(tmp_path / "out.npz")) as out:
        np.testing.assert_allclose(out["predictions"], model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    for name in ("legacy_adam", "adam"):    # what tf_keras writes today resumes here too
        with np.load(str(regenerated / f"tfk2_{name}.npz")) as data:
            data = dict(data)
        resumed, _ = _resume(str(regenerated / f"tfk2_{name}.h5"), data)
        for i, w in enumerate(resumed.get_weights()):
            np.testing.assert_allclose(w, data[f"w{i}"], rtol=1e-5, atol=1e-6)
