"""Whole-model files written and read by ember: subclassed, nested and compiled models,
the save/load entry points and their argument checks."""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from ember import keras

pytest.importorskip("h5py")


@keras.saving.register_keras_serializable(package="tests")
class Registered(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class AutoConfig(keras.Model):
    """No get_config: its constructor arguments are captured."""

    def __init__(self, units=4):
        super().__init__()
        self.dense = keras.layers.Dense(units)

    def call(self, x):
        return self.dense(x)


X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_subclassed_models_round_trip(tmp_path, suffix):
    model = Registered(5)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.5), "mse", metrics=["mae"])
    model.fit(X, np.ones((4, 1), "float32"), verbose=0)
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, Registered) and loaded.units == 5
    np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy(), rtol=1e-6)
    assert int(loaded.optimizer.iterations.numpy()) == 1
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)
    assert loaded.optimizer.momentum == 0.5

    auto = AutoConfig(3)
    auto(X)
    path = str(tmp_path / f"auto{suffix}")
    auto.save(path)
    with pytest.raises(ValueError, match="Unknown layer: 'AutoConfig'"):
        keras.models.load_model(path)
    back = keras.models.load_model(path, custom_objects={"AutoConfig": AutoConfig})
    np.testing.assert_allclose(back(X).numpy(), auto(X).numpy(), rtol=1e-6)


def test_keras_archive_contents(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.Huber(delta=0.5))
    path = str(tmp_path / "m.keras")
    keras.saving.save_model(model, path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(z.read("config.json"))
        metadata = json.loads(z.read("metadata.json"))
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    assert config["compile_config"]["loss"]["class_name"] == "Huber"
    assert config["build_config"] == {"input_shape": [None, 3]}
    assert "keras_version" in metadata and "date_saved" in metadata
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.loss, keras.losses.Huber) or loaded.loss["config"]
    np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy())
    uncompiled = keras.saving.load_model(path, compile=False)
    assert getattr(uncompiled, "optimizer", None) is None


def test_save_arguments(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        model.save(str(tmp_path / "m.pkl"))
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(str(tmp_path / "w.bin"))
    keras.saving.save_weights(model, str(tmp_path / "w.weights.h5"))
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras.saving.load_weights(other, str(tmp_path / "w.weights.h5"))
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])
    other.load_weights(path)                        # the weights of a .keras file
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5"])
def test_nested_models_round_trip(tmp_path, suffix):
    keras.utils.set_random_seed(4)
    a = keras.Input((3,), name="a")
    inner_fn = keras.Model(a, keras.layers.Dense(4, activation="relu")(a), name="inner_fn")
    seq = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(),
                            keras.layers.Dense(2)], name="inner_seq")
    x = keras.Input((3,), name="x")
    model = keras.Model(x, seq(inner_fn(x)) + keras.layers.Dense(2)(inner_fn(x)))
    model.compile("adam", "mse")
    model.fit(X, np.ones((4, 2), "float32"), verbose=0)
    path = str(tmp_path / f"nested{suffix}")
    if suffix == ".weights.h5":
        model.save_weights(path)
        loaded = keras.models.clone_model(model)
        loaded.load_weights(path)
    else:
        model.save(path)
        loaded = keras.models.load_model(path)
        assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    for p, q in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_allclose(loaded(X).numpy(), model(X).numpy(), rtol=1e-6)
