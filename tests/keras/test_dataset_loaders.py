"""Keras's dataset loaders against real Keras (tests/fixtures/keras_data/loaders.json from
make_loader_fixtures.py): class names, file order (including the seeded shuffle), labels,
pixels after resizing, validation splits, timeseries windows, split_dataset."""
import importlib.util
import io
import json
import os

import numpy as np
import pytest

import ember as tf
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_data")
with open(os.path.join(HERE, "loaders.json")) as f:
    REF = json.load(f)
_spec = importlib.util.spec_from_file_location("make_loader_fixtures",
                                               os.path.join(HERE, "make_loader_fixtures.py"))
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)


def _png(arr):
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def image_dir(tmp_path):
    pytest.importorskip("PIL")
    root = str(tmp_path / "images")
    maker.make_image_tree(root, _png)
    return root


def test_image_dataset_order_labels_and_pixels(image_dir):
    ref = REF["images_noshuffle"]
    ds = keras.utils.image_dataset_from_directory(image_dir, image_size=(4, 5), batch_size=4,
                                                  shuffle=False, verbose=False)
    assert ds.class_names == ref["class_names"] == ["cat", "dog", "zebra"]
    assert [os.path.relpath(p, image_dir) for p in ds.file_paths] == ref["file_paths"]
    batches = [(x.numpy(), y.numpy()) for x, y in ds]
    assert len(batches) == len(ref["batches"])
    for (x, y), (rx, ry) in zip(batches, ref["batches"]):
        assert x.dtype == np.float32 and y.dtype == np.int32
        assert y.tolist() == ry
        np.testing.assert_allclose(x, np.array(rx, np.float32), atol=1e-3)
    assert ds.element_spec[0].shape.as_list() == [None, 4, 5, 3]


@pytest.mark.parametrize("method", ["bicubic", "area", "lanczos3", "gaussian",
                                    "mitchellcubic"])
def test_image_dataset_resizes_with_every_method_as_image_resize(image_dir, method):
    ds = keras.utils.image_dataset_from_directory(
        image_dir, image_size=(4, 5), batch_size=None, shuffle=False, labels=None,
        interpolation=method, verbose=False)
    for x, path in zip(ds, ds.file_paths):
        raw = tf.io.decode_png(tf.io.read_file(path), channels=3)
        want = tf.image.resize(raw, (4, 5), method=method)
        assert x.dtype == tf.float32 and x.shape == (4, 5, 3)
        np.testing.assert_allclose(x.numpy(), want.numpy(), rtol=1e-5, atol=1e-3)


def test_image_dataset_categorical_grayscale_nearest_unbatched(image_dir):
    ds = keras.utils.image_dataset_from_directory(
        image_dir, image_size=(3, 3), batch_size=None, shuffle=False,
        label_mode="categorical", color_mode="grayscale", interpolation="nearest",
        verbose=False)
    got = [(x.numpy(), y.numpy()) for x, y in ds]
    assert ds.element_spec[0].dtype == tf.uint8        # nearest keeps uint8, as in Keras
    for (x, y), (rx, ry) in zip(got, REF["images_categorical"]):
        assert x.shape == (3, 3, 1) and y.dtype == np.float32 and x.dtype == np.uint8
        np.testing.assert_array_equal(y, ry)
        # TF's grayscale conversion and Pillow's can differ by one level of rounding
        np.testing.assert_allclose(x, np.array(rx, np.float32), atol=1.01)


def test_image_dataset_seeded_split_matches_keras(image_dir):
    train, val = keras.utils.image_dataset_from_directory(
        image_dir, image_size=(4, 4), seed=1337, validation_split=0.25, subset="both",
        verbose=False)
    ref = REF["images_split"]
    assert [os.path.relpath(p, image_dir) for p in train.file_paths] == ref["train"]
    assert [os.path.relpath(p, image_dir) for p in val.file_paths] == ref["val"]
    assert int(train.cardinality()) == ref["train_card"]
    labels = np.concatenate([y.numpy() for _, y in train])
    names = sorted(ds_name.split("/")[0] for ds_name in ref["train"])
    assert sorted(train.class_names[i] for i in labels) == names


def test_image_dataset_argument_errors(image_dir, tmp_path):
    with pytest.raises(ValueError, match="seed"):
        keras.utils.image_dataset_from_directory(image_dir, validation_split=0.2,
                                                 subset="training")
    with pytest.raises(ValueError, match="exactly 2"):
        keras.utils.image_dataset_from_directory(image_dir, label_mode="binary",
                                                 verbose=False)
    with pytest.raises(ValueError, match="color_mode"):
        keras.utils.image_dataset_from_directory(image_dir, color_mode="cmyk")
    bad = tmp_path / "bad" / "a"
    bad.mkdir(parents=True)
    (bad / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ds = keras.utils.image_dataset_from_directory(str(tmp_path / "bad"), verbose=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="broken.png"):
        list(ds)


def test_cnn_trains_from_image_directory(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    root = tmp_path / "shapes"
    for label, name in enumerate(["dark", "light"]):
        (root / name).mkdir(parents=True)
        for i in range(24):
            base = 40 if label == 0 else 200
            img = np.clip(rng.normal(base, 30, (10, 10, 3)), 0, 255).astype(np.uint8)
            (root / name / f"{i}.png").write_bytes(_png(img))
    tf.random.set_seed(1)
    ds = keras.utils.image_dataset_from_directory(str(root), image_size=(8, 8), batch_size=8,
                                                  seed=2, verbose=False)
    model = keras.Sequential([
        keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255.0),
        keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2)]) if hasattr(keras.layers, "Rescaling") else keras.Sequential([
            keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(ds, epochs=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] >= 0.9


def test_text_dataset_matches_keras(tmp_path):
    root = str(tmp_path / "texts")
    maker.make_text_tree(root)
    ds = keras.utils.text_dataset_from_directory(root, batch_size=3, shuffle=False,
                                                 max_length=12, label_mode="binary",
                                                 verbose=False)
    assert ds.class_names == REF["texts"]["class_names"]
    got = [([t.decode() for t in x.numpy()], y.numpy().tolist()) for x, y in ds]
    assert got == [tuple(b) for b in REF["texts"]["batches"]] or \
        got == [(a, b) for a, b in REF["texts"]["batches"]]
    train = keras.utils.text_dataset_from_directory(root, seed=7, validation_split=0.5,
                                                    subset="training", verbose=False)
    assert sorted(t.decode() for x, _ in train for t in x.numpy()) == REF["texts_split"]


def test_timeseries_matches_keras():
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(100, 120)
    configs = {
        "basic": dict(sequence_length=4, batch_size=3),
        "stride_rate": dict(sequence_length=3, sequence_stride=2, sampling_rate=3,
                            batch_size=4, start_index=1, end_index=18),
        "no_batch": dict(sequence_length=5, sequence_stride=4, batch_size=None),
    }
    for name, kw in configs.items():
        ds = keras.utils.timeseries_dataset_from_array(data, targets, **kw)
        got = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]
        assert got == [tuple(e) for e in REF["timeseries"][name]] or \
            got == [(a, b) for a, b in REF["timeseries"][name]], name
    ds = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=6,
                                                   sequence_stride=3, batch_size=2)
    assert [x.numpy().tolist() for x in ds] == REF["timeseries"]["no_targets"]
    ds = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3,
                                                   batch_size=5, shuffle=True, seed=11)
    assert sorted(int(t) for _, y in ds for t in y.numpy()) == \
        REF["timeseries_shuffled_targets"]


def test_split_dataset_matches_keras():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.7, shuffle=True, seed=3)
    assert [int(b) for _, b in left.as_numpy_iterator()] == REF["split_tuple"]["left"]
    assert [int(b) for _, b in right.as_numpy_iterator()] == REF["split_tuple"]["right"]
    left, right = keras.utils.split_dataset(tf.data.Dataset.from_tensor_slices(y).batch(3),
                                            right_size=4)
    assert [b.tolist() for b in left.as_numpy_iterator()] == REF["split_batched"]["left"]
    assert [b.tolist() for b in right.as_numpy_iterator()] == REF["split_batched"]["right"]
    with pytest.raises(ValueError, match="left_size"):
        keras.utils.split_dataset((x, y), left_size=1.5)


def test_preprocessing_aliases():
    assert keras.preprocessing.image_dataset_from_directory is \
        keras.utils.image_dataset_from_directory
    assert keras.preprocessing.text_dataset_from_directory is \
        keras.utils.text_dataset_from_directory
    assert keras.preprocessing.timeseries_dataset_from_array is \
        keras.utils.timeseries_dataset_from_array
