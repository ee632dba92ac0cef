"""SpectralNormalization, Wrapper and ReversibleEmbedding against real Keras
(tests/fixtures/keras_wrappers/make_wrapper_fixtures.py)."""
import os

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_wrappers")
FIX = np.load(os.path.join(HERE, "wrappers.npz"))
L = keras.layers


@pytest.mark.parametrize("name, iterations", [("sn1", 1), ("sn3", 3)])
def test_spectral_normalization_matches_keras(name, iterations):
    layer = L.SpectralNormalization(L.Dense(4), iterations)
    layer.build((None, 5))
    layer.layer.kernel.assign(FIX[f"{name}_kernel"])
    layer.layer.bias.assign(FIX[f"{name}_bias"])
    layer.vector_u.assign(FIX[f"{name}_u"])
    np.testing.assert_allclose(layer(FIX["x"], training=True).numpy(), FIX[f"{name}_train"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.layer.kernel.numpy(), FIX[f"{name}_new_kernel"],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.vector_u.numpy(), FIX[f"{name}_new_u"], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(layer(FIX["x"]).numpy(), FIX[f"{name}_infer"], rtol=1e-5,
                               atol=1e-6)
    assert [w.name.split(":")[0] for w in layer.weights] == ["kernel", "vector_u", "bias"]


def test_spectral_normalization_drives_the_spectral_norm_to_one_and_round_trips():
    layer = L.SpectralNormalization(L.Dense(3, kernel_initializer="ones"))
    x = np.ones((2, 4), np.float32)
    for _ in range(10):
        layer(x, training=True)
    assert abs(np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0] - 1.0) < 1e-3
    clone = L.SpectralNormalization.from_config(layer.get_config())
    assert clone.power_iterations == 1 and isinstance(clone.layer, L.Dense)
    with pytest.raises(ValueError, match="power_iterations"):
        L.SpectralNormalization(L.Dense(2), 0)
    with pytest.raises(ValueError, match="kernel"):
        L.SpectralNormalization(L.Flatten())(x)
    with pytest.raises(ValueError, match="Wrapper"):
        L.Wrapper("not a layer")


def test_loads_a_real_keras_model_with_spectral_normalization(tmp_path):
    pytest.importorskip("h5py")
    model = keras.models.load_model(os.path.join(HERE, "spectral.keras"))
    np.testing.assert_allclose(model.predict(FIX["model_images"], verbose=0),
                               FIX["model_predictions"], rtol=1e-4, atol=1e-5)
    path = str(tmp_path / "again.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict(FIX["model_images"], verbose=0),
                                  model.predict(FIX["model_images"], verbose=0))
    model.fit(FIX["model_images"], np.zeros((4, 2)), epochs=1, verbose=0)


def test_reversible_embedding_matches_keras_and_trains():
    emb = L.ReversibleEmbedding(7, 3, tie_weights=False, logit_soft_cap=2.0)
    ids = np.array([[1, 6, 0]])
    emb(ids)
    emb.embeddings.assign(FIX["emb_table"])
    emb.reverse_embeddings.assign(FIX["emb_reverse_table"])
    vectors = emb(ids)
    np.testing.assert_allclose(vectors.numpy(), FIX["emb_forward"], rtol=1e-6)
    np.testing.assert_allclose(emb(vectors, reverse=True).numpy(), FIX["emb_reverse"],
                               rtol=1e-5, atol=1e-6)
    tied = L.ReversibleEmbedding(7, 3)
    tied(ids)
    tied.embeddings.assign(FIX["tied_table"])
    np.testing.assert_allclose(tied(FIX["x"][:, :3], reverse=True).numpy(),
                               FIX["tied_reverse"], rtol=1e-5, atol=1e-6)
    assert tied.compute_output_shape((2, 3), reverse=True) == (2, 7)
    config = emb.get_config()
    assert config["tie_weights"] is False and config["logit_soft_cap"] == 2.0
    inp = keras.Input((4,), dtype="int32")
    shared = L.ReversibleEmbedding(7, 3)
    model = keras.Model(inp, shared(shared(inp), reverse=True))
    model.compile(keras.optimizers.Adam(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ids = np.random.default_rng(0).integers(0, 7, (16, 4))
    history = model.fit(ids, ids, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.parametrize("name, hint", [("JaxLayer", "ember.keras.ops"),
                                        ("FlaxLayer", "ember.keras layers"),
                                        ("TorchModuleWrapper", "set_weights"),
                                        ("TFSMLayer", "load_model")])
def test_foreign_framework_layers_say_what_to_use(name, hint):
    with pytest.raises(NotImplementedError, match=f"keras.layers.{name} is not supported"):
        getattr(L, name)("anything")
    try:
        getattr(L, name)()
    except NotImplementedError as e:
        assert hint in str(e)
