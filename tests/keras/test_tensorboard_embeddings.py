"""TensorBoard(embeddings_freq=...): the projector config and the embeddings checkpoint
(TensorFlow's format) that TensorBoard's projector reads; read back with TensorBoard's
projector protos, ember's checkpoint reader and, where the reference environment with
TensorFlow exists, TensorBoard's own projector plugin."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

import ember
from ember import keras

pytest.importorskip("tensorboard")

REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")
READER = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "summary",
                      "projector_reads.py")
KEY = "/.ATTRIBUTES/VARIABLE_VALUE"


def _model():
    keras.utils.set_random_seed(4)
    words = keras.Input((5,), dtype="int32", name="words")
    tags = keras.Input((2,), dtype="int32", name="tags")
    a = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(12, 4, name="word_emb")(
        words))
    b = keras.layers.Flatten()(keras.layers.Embedding(6, 3, name="tag_emb")(tags))
    h = keras.layers.Dense(3, name="mix")(keras.layers.Concatenate()([a, b]))
    model = keras.Model([words, tags], keras.layers.Dense(1)(h))
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 12, (16, 5)), rng.integers(0, 6, (16, 2))], \
        rng.normal(size=(16, 1)).astype("float32")


def _config(log_dir):
    from google.protobuf import text_format
    from tensorboard.plugins import projector
    config = projector.ProjectorConfig()
    with open(os.path.join(log_dir, "projector_config.pbtxt")) as f:
        text_format.Parse(f.read(), config)
    return config


def test_embeddings_are_logged_for_the_projector(tmp_path):
    log_dir = str(tmp_path / "logs")
    model = _model()
    x, y = _data()
    tb = keras.callbacks.TensorBoard(log_dir, embeddings_freq=2,
                                     embeddings_metadata={"tag_emb": "tags.tsv"})
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[tb])
    config = _config(log_dir)
    by_layer = {e.tensor_name: e.metadata_path for e in config.embeddings}
    weighted = [l for l in model.layers if l.weights]
    word_k = weighted.index(model.get_layer("word_emb"))
    tag_k = weighted.index(model.get_layer("tag_emb"))
    assert by_layer == {f"layer_with_weights-{word_k}/embeddings{KEY}": "",
                        f"layer_with_weights-{tag_k}/embeddings{KEY}": "tags.tsv"}
    train = os.path.join(log_dir, "train")
    assert {"keras_embedding.ckpt-0.index", "keras_embedding.ckpt-2.index"} <= \
        set(os.listdir(train)) and "keras_embedding.ckpt-1.index" not in os.listdir(train)
    latest = ember.train.latest_checkpoint(train)
    assert latest.endswith("keras_embedding.ckpt-2")
    for name in by_layer:                      # every name the config gives is stored
        layer = model.get_layer("word_emb" if name.startswith(f"layer_with_weights-"
                                                               f"{word_k}/") else "tag_emb")
        np.testing.assert_array_equal(ember.train.load_variable(latest, name),
                                      layer.embeddings.numpy())
    first = ember.train.load_variable(os.path.join(train, "keras_embedding.ckpt-0"),
                                      f"layer_with_weights-{word_k}/embeddings{KEY}")
    assert not np.allclose(first, model.get_layer("word_emb").embeddings.numpy())


def test_metadata_for_unknown_layer_names(tmp_path):
    tb = keras.callbacks.TensorBoard(str(tmp_path), embeddings_freq=1,
                                     embeddings_metadata={"nope": "a.tsv", "tag_emb": "t"})
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names.*nope"):
        tb.set_model(_model())


def test_one_metadata_file_for_every_layer(tmp_path):
    model = _model()
    tb = keras.callbacks.TensorBoard(str(tmp_path), embeddings_freq=1,
                                     embeddings_metadata="all.tsv")
    tb.set_model(model)
    assert [e.metadata_path for e in _config(str(tmp_path)).embeddings] == ["all.tsv"] * 2


@pytest.mark.skipif(not os.path.exists(REFENV), reason=f"no reference TensorFlow at {REFENV}")
def test_tensorboards_projector_plugin_reads_the_embeddings(tmp_path):
    log_dir = str(tmp_path / "logs")
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(log_dir, embeddings_freq=1)])
    out = str(tmp_path / "read.npz")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, READER, log_dir, out], capture_output=True, text=True,
                         timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    weighted = [l for l in model.layers if l.weights]
    with np.load(out) as read:
        assert str(read["__checkpoint__"]).endswith("keras_embedding.ckpt-0")
        for layer in ("word_emb", "tag_emb"):
            k = weighted.index(model.get_layer(layer))
            np.testing.assert_array_equal(read[f"layer_with_weights-{k}/embeddings{KEY}"],
                                          model.get_layer(layer).embeddings.numpy())
