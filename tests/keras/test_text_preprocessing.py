"""StringLookup and TextVectorization: outputs against real Keras (fixtures written by
tests/fixtures/keras_text/make_text_fixtures.py), models on raw strings that train, save
and reload, and .keras files written by real Keras."""
import json
import os
import sys
import zipfile

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_text")
sys.path.insert(0, HERE)
from text_cases import CASES, MORE, TEXTS  # noqa: E402

FIXTURES = np.load(os.path.join(HERE, "text.npz"))
L = keras.layers


def _plain(x):
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if x.dtype == object:
        x = np.vectorize(lambda s: s.decode() if isinstance(s, bytes) else s,
                         otypes=[object])(x).astype(str)
    return x


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    want = FIXTURES[f"out_{name}"]
    got = _plain(CASES[name](keras, {"tf": ember}))
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        assert got.dtype.kind == want.dtype.kind, (got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want)


def _text_model(max_tokens=40):
    tv = L.TextVectorization(max_tokens=max_tokens, output_sequence_length=6)
    tv.adapt(TEXTS + MORE)
    inp = keras.Input(shape=(), dtype="string")
    x = L.Embedding(max_tokens, 8)(tv(inp))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(1, activation="sigmoid")(x))


def test_raw_string_model_trains_saves_and_reloads(tmp_path):
    h5py = pytest.importorskip("h5py")
    keras.utils.set_random_seed(1)
    raw = np.array(TEXTS + MORE)
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0], np.float32)
    model = _text_model()
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    history = model.fit(raw, labels, epochs=15, batch_size=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    path = str(tmp_path / "text.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert "assets/layers/text_vectorization/vocabulary.txt" in names
        assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
        vocab = z.read("assets/layers/text_vectorization/vocabulary.txt").decode().split("\n")
        config = json.loads(z.read("config.json"))
    tv_config = [c for c in config["config"]["layers"]
                 if c["class_name"] == "TextVectorization"][0]["config"]
    assert tv_config["vocabulary"] is None and tv_config["vocabulary_size"] == len(vocab)
    assert vocab == model.layers[1].get_vocabulary()
    loaded = keras.models.load_model(path)
    queries = np.array(["the cat sat on a bird", "an unseen sentence!", ""])
    np.testing.assert_array_equal(loaded.predict(queries, verbose=0),
                                  model.predict(queries, verbose=0))
    assert loaded.layers[1].get_vocabulary() == model.layers[1].get_vocabulary()
    del h5py


def test_tf_idf_and_lookups_reload_with_weights_where_keras_keeps_them(tmp_path):
    h5py = pytest.importorskip("h5py")
    tv = L.TextVectorization(output_mode="tf_idf", max_tokens=30, pad_to_max_tokens=True)
    tv.adapt(TEXTS)
    sl = L.StringLookup(num_oov_indices=2, mask_token="")
    sl.adapt(["b", "a", "a", "c"])
    s_in, t_in = keras.Input(shape=(3,), dtype="string"), keras.Input(shape=(), dtype="string")
    model = keras.Model([t_in, s_in], [tv(t_in), sl(s_in)])
    path = str(tmp_path / "lookups.keras")
    model.save(path)
    with zipfile.ZipFile(path) as z:
        import io
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h5:
            stored = np.asarray(h5["layers/text_vectorization/_lookup_layer/vars/idf_weights"])
    np.testing.assert_allclose(stored, tv._lookup_layer.idf_weights)
    loaded = keras.models.load_model(path)
    x = [np.array(MORE), np.array([["a", "", "zz"], ["c", "b", "a"], ["q", "q", "b"]])]
    for got, want in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["text_int", "text_tf_idf", "lookups"])
def test_loads_keras_files_written_by_real_keras(name):
    pytest.importorskip("h5py")
    want = json.load(open(os.path.join(HERE, "keras_models.json")))[name]["predictions"]
    model = keras.models.load_model(os.path.join(HERE, f"{name}.keras"))
    raw = np.array(TEXTS + MORE)
    inputs = {"text_int": raw, "text_tf_idf": raw,
              "lookups": [np.array([["a", "", "zz"], ["c", "b", "a"]]),
                          np.array([[4, 1], [7, 9]])]}[name]
    got = model.predict(inputs, verbose=0)
    got = got if isinstance(got, list) else [got]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(w), atol=1e-5)


def test_config_round_trip_and_callables():
    @keras.saving.register_keras_serializable(package="tests")
    def no_html(t):
        return ember.strings.regex_replace(ember.strings.lower(t), "<br />", " ")

    tv = L.TextVectorization(standardize=no_html, ngrams=(1, 2), max_tokens=20,
                             vocabulary=["a", "b", "a b"], output_mode="count")
    config = tv.get_config()
    assert config["vocabulary"] == ["a", "b", "a b"] and config["ngrams"] == (1, 2)
    clone = L.TextVectorization.from_config(json.loads(json.dumps(config)))
    x = ["A<br />B a", "b b"]
    np.testing.assert_array_equal(clone(x).numpy(), tv(x).numpy())
    # [UNK], a, b, "a b": "a b a" counts a twice, b, "a b" and the unknown "b a" once
    np.testing.assert_array_equal(tv(x).numpy(), [[1, 2, 1, 1], [1, 0, 2, 0]])
    sl = L.StringLookup(vocabulary=["x", "y"], mask_token="<m>", oov_token="?",
                        num_oov_indices=2)
    clone = L.StringLookup.from_config(sl.get_config())
    assert clone.get_vocabulary() == sl.get_vocabulary() == ["<m>", "?", "?", "x", "y"]
    assert "vocabulary_dtype" not in sl.get_config()


def test_vocabulary_file_set_vocabulary_and_invert(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("cat\ndog\nbird\n", encoding="utf-8")
    sl = L.StringLookup(vocabulary=str(path))
    np.testing.assert_array_equal(sl([["dog", "fish", "bird"]]).numpy(), [[2, 0, 3]])
    assert sl.get_vocabulary() == ["[UNK]", "cat", "dog", "bird"]
    tv = L.TextVectorization()
    tv.set_vocabulary(["", "[UNK]", "hello", "world"])
    np.testing.assert_array_equal(tv(["Hello, World! bye"]).numpy(), [[2, 3, 1]])
    inv = L.StringLookup(vocabulary=sl.get_vocabulary(), invert=True)
    words = inv(sl([["dog", "fish"]])).numpy().tolist()
    assert words == [[b"dog", b"[UNK]"]]
    with _safe_mode():
        with pytest.raises(ValueError, match="safe mode"):
            L.StringLookup(vocabulary=str(path))


def _safe_mode():
    from ember.keras.saving.serialization import SafeModeScope
    return SafeModeScope(True)


def test_in_a_dataset_map_and_traced():
    tv = L.TextVectorization(output_sequence_length=5)
    tv.adapt(ember.data.Dataset.from_tensor_slices(TEXTS).batch(2))
    ds = ember.data.Dataset.from_tensor_slices(TEXTS + MORE).batch(3).map(tv)
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_array_equal(got, tv(TEXTS + MORE).numpy())
    traced = ember.function(lambda x: tv(x))
    np.testing.assert_array_equal(traced(ember.constant(MORE)).numpy(), tv(MORE).numpy())


@pytest.mark.parametrize("fn, err, match", [
    (lambda: L.StringLookup(vocabulary=["a"], num_oov_indices=0)(["b"]),
     ember.errors.InvalidArgumentError, "num_oov_indices=0"),
    (lambda: L.StringLookup(vocabulary=["a", "a"]), ValueError, "repeated"),
    (lambda: L.StringLookup(vocabulary=["a"]).adapt(["b"]), ValueError, "cannot adapt"),
    (lambda: L.StringLookup(vocabulary=["a"], output_mode="tf_idf"), ValueError,
     "idf_weights"),
    (lambda: L.StringLookup(output_mode="multi_hot")(["a"]), RuntimeError,
     "vocabulary must be set"),
    (lambda: L.StringLookup(vocabulary=["a"], max_tokens=2, num_oov_indices=2), ValueError,
     "larger than the maximum"),
    (lambda: L.TextVectorization(output_mode="count", output_sequence_length=3), ValueError,
     "output_sequence_length"),
    (lambda: L.TextVectorization(split="comma"), ValueError, "split"),
    (lambda: L.TextVectorization(standardize="upper"), ValueError, "standardize"),
    (lambda: L.TextVectorization(vocabulary=["a"])([["a b", "c"]]), ValueError,
     "last dimension must be 1"),
    (lambda: L.TextVectorization(vocabulary=["a"])(np.array([1, 2])), TypeError,
     "string inputs"),
])
def test_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn()


def test_fit_on_a_string_dataset_with_column_input_and_ragged_output():
    keras.utils.set_random_seed(3)
    raw = TEXTS + MORE
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0], np.float32)
    ds = ember.data.Dataset.from_tensor_slices((raw, labels)).batch(4)
    tv = L.TextVectorization(max_tokens=40, output_sequence_length=5)
    tv.adapt(ds.map(lambda x, y: x))
    inp = keras.Input(shape=(1,), dtype="string")       # Keras's usual text input
    x = L.Embedding(40, 8)(tv(inp))
    model = keras.Model(inp, L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x)))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    history = model.fit(ds, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # a vector of strings is taken as the (N, 1) column, as Keras adjusts the rank
    np.testing.assert_array_equal(model.predict(np.array(MORE), verbose=0),
                                  model.predict(np.array(MORE)[:, None], verbose=0))
    ragged = L.TextVectorization(vocabulary=["the", "cat"], ragged=True)(["the cat sat", "a"])
    assert ragged.to_list() == [[2, 3, 1], [1]]


def test_integer_lookup_farmhash_oov_and_vocabulary_without_specials():
    layer = L.IntegerLookup(vocabulary=[7, 9], num_oov_indices=3, oov_method="farmhash")
    got = layer([[7, 9, 123, 456]]).numpy()
    buckets = ember.strings.to_hash_bucket_fast(["123", "456"], 3).numpy()
    np.testing.assert_array_equal(got, [[3, 4, buckets[0], buckets[1]]])
    assert layer.get_vocabulary(include_special_tokens=False) == [7, 9]
    assert layer.get_vocabulary() == [-1, -1, -1, 7, 9]


@pytest.mark.parametrize("mode", ["int", "multi_hot", "count", "tf_idf"])
def test_static_output_shapes_feed_dense_layers_and_pickle(mode):
    import pickle
    kwargs = {"output_sequence_length": 4} if mode == "int" else {}
    tv = L.TextVectorization(output_mode=mode, max_tokens=12, **kwargs)
    tv.adapt(TEXTS)
    inp = keras.Input(shape=(), dtype="string")
    x = tv(inp)
    assert x.shape == ((None, 4) if mode == "int" else (None, tv.vocabulary_size()))
    if mode == "int":
        x = L.Flatten()(L.Embedding(12, 2)(x))
    model = keras.Model(inp, L.Dense(1)(x))
    model.compile("sgd", "mse")
    model.fit(np.array(TEXTS), np.ones(len(TEXTS)), epochs=1, verbose=0)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(np.array(MORE), verbose=0),
                                  model.predict(np.array(MORE), verbose=0))
