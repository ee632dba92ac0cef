"""Training continued after saving and reloading (model and optimizer state) ends with the
same weights as training without the interruption."""
from __future__ import annotations

import numpy as np
import pytest

from ember import keras

pytest.importorskip("h5py")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 6, 1)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    return x, y


def _model(optimizer):
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3),
                              keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model.compile(optimizer, "mse")
    return model


OPTIMIZERS = {"adam": lambda: keras.optimizers.Adam(0.01),
              "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
              "rmsprop": lambda: keras.optimizers.RMSprop(0.01)}


@pytest.mark.parametrize("fmt", ["keras", "h5", "weights.h5"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_resumed_training_equals_uninterrupted(opt, fmt, tmp_path):
    x, y = _data()
    straight = _model(OPTIMIZERS[opt]())
    straight.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)

    first = _model(OPTIMIZERS[opt]())
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / f"ckpt.{fmt}")
    if fmt == "weights.h5":
        first.save_weights(path)
        resumed = _model(OPTIMIZERS[opt]())
        resumed.load_weights(path)
    else:
        first.save(path)
        resumed = keras.models.load_model(path)
    assert int(resumed.optimizer.iterations.numpy()) == 8
    resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert int(resumed.optimizer.iterations.numpy()) == 16
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(resumed.optimizer.variables, straight.optimizer.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_without_optimizer_state_training_differs(tmp_path):
    x, y = _data()
    straight = _model(keras.optimizers.Adam(0.01))
    straight.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    first = _model(keras.optimizers.Adam(0.01))
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "m.keras")
    keras.saving.save_model(first, path, include_optimizer=False)
    resumed = keras.models.load_model(path)
    assert int(resumed.optimizer.iterations.numpy()) == 0
    resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert not np.allclose(resumed.get_weights()[0], straight.get_weights()[0], rtol=1e-4)
