"""LoRA on Dense, EinsumDense and Embedding as Keras 3: frozen weight plus a trainable
low-rank pair, Keras's weight order and names, configs, and weight files holding the
merged weight (tests/fixtures/sequence/make_extra_fixtures.py writes a real Keras file)."""
import importlib.util
import os

import numpy as np
import pytest

import ember
from ember import keras

_HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "sequence")
_spec = importlib.util.spec_from_file_location(
    "make_extra_fixtures", os.path.join(_HERE, "make_extra_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


def _names(weights):
    return [w.name.split(":")[0].split("/")[-1] for w in weights]


def test_enable_lora_freezes_kernel_and_merges():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    kernel = layer.kernel.numpy()
    layer.enable_lora(2)
    assert _names(layer.weights) == ["kernel", "bias", "lora_kernel_a", "lora_kernel_b"]
    assert _names(layer.trainable_weights) == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert _names(layer.non_trainable_weights) == ["kernel"]
    assert layer.lora_kernel_a.shape == (4, 2) and layer.lora_kernel_b.shape == (2, 3)
    np.testing.assert_array_equal(layer.lora_kernel_b.numpy(), 0)       # B starts at zero
    np.testing.assert_allclose(layer.kernel.numpy(), kernel)
    layer.lora_kernel_b.assign(np.ones((2, 3), np.float32))
    a = layer.lora_kernel_a.numpy()
    np.testing.assert_allclose(layer.kernel.numpy(), kernel + (2 / 2) * a @ np.ones((2, 3)),
                               rtol=1e-6)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x @ layer.kernel.numpy(), rtol=1e-5,
                               atol=1e-6)
    assert layer.get_config()["lora_rank"] == 2 and layer.get_config()["lora_alpha"] == 2


def test_enable_lora_errors():
    with pytest.raises(ValueError, match="built"):
        keras.layers.Dense(3).enable_lora(2)
    layer = keras.layers.Dense(3, kernel_constraint="non_neg")
    layer.build((None, 2))
    with pytest.raises(ValueError, match="constraint"):
        layer.enable_lora(2)
    layer = keras.layers.Embedding(4, 2, lora_rank=1)
    layer.build()
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(1)
    with pytest.raises(ValueError, match="lora_rank"):
        keras.layers.EinsumDense("ab,bc->ac", 3, lora_rank=0)


@pytest.mark.parametrize("make", [
    lambda: keras.layers.Dense(4, lora_rank=2, lora_alpha=3),
    lambda: keras.layers.EinsumDense("abc,cde->abde", (None, 2, 2), bias_axes="de",
                                     lora_rank=1, lora_alpha=4),
    lambda: keras.layers.Embedding(6, 4, lora_rank=2),
], ids=["dense", "einsum_dense", "embedding"])
def test_config_round_trip_and_training_moves_only_lora(make):
    layer = make()
    emb = isinstance(layer, keras.layers.Embedding)
    inputs = keras.Input((3,), dtype="int32") if emb else keras.Input((3, 3))
    out = layer(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(out)))
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    frozen = [w.numpy() for w in layer.non_trainable_weights]
    model.compile(keras.optimizers.Adam(0.05), "mse")
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, (16, 3)) if emb else rng.standard_normal((16, 3, 3))
    y = rng.standard_normal((16, 1)).astype(np.float32)
    hist = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    for w, before in zip(layer.non_trainable_weights, frozen):
        np.testing.assert_array_equal(w.numpy(), before)
    assert np.abs(layer._lora_pair()[1].numpy()).max() > 0          # B has learned


def test_weights_file_holds_merged_weights_and_loads_keras_file(tmp_path):
    pytest.importorskip("h5py")
    data = np.load(fx.PATH)
    model = fx.lora_model(keras)
    model.load_weights(fx.LORA_WEIGHTS)             # written by real Keras
    np.testing.assert_allclose(model.predict(fx.IDS, verbose=0), data["lora_model/out"],
                               rtol=1e-5, atol=1e-6)
    for layer in model.layers[1:]:                   # loading zeroes the pairs
        for w in layer._lora_pair():
            np.testing.assert_array_equal(w.numpy(), 0)
    for layer in model.layers[1:]:
        layer._lora_pair()[1].assign(np.full(layer._lora_pair()[1].shape, 0.3, np.float32))
    want = model.predict(fx.IDS, verbose=0)
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    plain = keras.Model.from_config(model.get_config())
    for layer in plain.layers[1:]:
        assert layer.lora_enabled
    plain.load_weights(path)
    np.testing.assert_allclose(plain.predict(fx.IDS, verbose=0), want, rtol=1e-5, atol=1e-6)
    store = {}
    model.layers[-1].save_own_variables(store)       # Keras's per-layer API: the same
    assert sorted(store) == ["0", "1"]
    plain.layers[-1].load_own_variables(store)
    np.testing.assert_array_equal(plain.layers[-1]._lora_pair()[1].numpy(), 0)
    import h5py
    with h5py.File(path, "r") as f:              # merged kernel, bias; no LoRA pair
        assert sorted(f["layers/dense/vars"].keys()) == ["0", "1"]
        np.testing.assert_allclose(f["layers/dense/vars/0"][()],
                                   model.layers[-1].kernel.numpy(), rtol=1e-6)


def test_lora_under_mixed_precision_trains():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,), dtype="int32"),
                                  keras.layers.Embedding(10, 4, lora_rank=2),
                                  keras.layers.Flatten(), keras.layers.Dense(1, lora_rank=1)])
        assert model.layers[0].embeddings.dtype == ember.float16      # the compute dtype
        assert model.layers[0].lora_embeddings_a.dtype == ember.float32
        model.compile(keras.optimizers.Adam(0.05), "mse")
        rng = np.random.default_rng(0)
        hist = model.fit(rng.integers(0, 10, (16, 3)), rng.random((16, 1)), epochs=4,
                         verbose=0)
        assert hist.history["loss"][-1] < hist.history["loss"][0]
    finally:
        keras.mixed_precision.set_global_policy("float32")
