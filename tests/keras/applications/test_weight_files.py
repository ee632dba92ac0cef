"""Weight files and keras.applications: Keras-written files (a ``.keras`` model file, its
Keras 3 ``.weights.h5`` and the legacy ``.h5`` layout of the published ImageNet files) load
into ember's models and give Keras's predictions; ember's own saves reload to identical predictions;
``weights="imagenet"`` goes through the Keras cache with Keras's file names and fails
clearly without a network."""
import os

import numpy as np
import pytest

from tests.keras.applications import fixtures
from tests.keras.applications.test_predictions import PREDICTIONS, assert_close_to_keras

CASE = "mobilenet_v3small_035_notop"


def _case():
    ctor, kwargs, in_shape = fixtures.PREDICTIONS[CASE]
    return ctor, kwargs, fixtures.fixed_input(in_shape), PREDICTIONS[f"{CASE}/y"]


def _keras_weights_h5(tmp_path):
    """The Keras 3 ``.weights.h5`` inside the Keras-written ``.keras`` fixture."""
    import zipfile
    with zipfile.ZipFile(os.path.join(fixtures.FIXTURES, "mobilenet_v3small_035.keras")) as z:
        target = tmp_path / "keras_written.weights.h5"
        target.write_bytes(z.read("model.weights.h5"))
    return str(target)


@pytest.mark.parametrize("kind", ["weights.h5", "legacy h5"])
def test_keras_written_weight_file_loads_through_weights_argument(kind, tmp_path):
    pytest.importorskip("h5py")
    ctor, kwargs, x, ref = _case()
    path = _keras_weights_h5(tmp_path) if kind == "weights.h5" else \
        os.path.join(fixtures.FIXTURES, "mobilenet_v3small_035.h5")
    model = fixtures.build(ctor, {**kwargs, "weights": path})
    assert_close_to_keras(model(x, training=False), ref)


def test_keras_written_weights_load_with_load_weights(tmp_path):
    pytest.importorskip("h5py")
    ctor, kwargs, x, ref = _case()
    model = fixtures.build(ctor, kwargs)
    before = np.asarray(model(x, training=False))
    model.load_weights(_keras_weights_h5(tmp_path))
    assert not np.allclose(before, ref, atol=1e-3)
    assert_close_to_keras(model(x, training=False), ref)


def test_keras_written_model_file_loads():
    """Keras's own .keras file of the model (its config, with the ``x + 3.0`` style
    operations of the hard sigmoid, and its weights) loads with load_model."""
    pytest.importorskip("h5py")
    from ember import keras
    ctor, kwargs, x, ref = _case()
    model = keras.models.load_model(os.path.join(fixtures.FIXTURES,
                                                 "mobilenet_v3small_035.keras"))
    built = fixtures.build(ctor, kwargs)
    assert [(l.name, type(l).__name__) for l in model.layers] == \
        [(l.name, type(l).__name__) for l in built.layers]
    assert_close_to_keras(model(x, training=False), ref)


def test_ember_saves_reload_to_identical_predictions(tmp_path):
    pytest.importorskip("h5py")
    from ember import keras
    ctor, kwargs, x, _ = _case()
    model = fixtures.build(ctor, kwargs, fill=True)
    y = np.asarray(model(x, training=False))
    model.save_weights(tmp_path / "m.weights.h5")
    model.save_weights(tmp_path / "m.h5")
    model.save(tmp_path / "m.keras")
    for path in ("m.weights.h5", "m.h5"):
        fresh = fixtures.build(ctor, kwargs)
        fresh.load_weights(tmp_path / path)
        np.testing.assert_array_equal(np.asarray(fresh(x, training=False)), y)
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), y, rtol=1e-6,
                               atol=1e-7)


def _no_network(monkeypatch, tmp_path):
    """KERAS_HOME in tmp_path; any download attempt fails as without a network."""
    import urllib.error
    from ember.keras.utils import file_utils
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    attempts = []

    def fetch(origin, *args, **kwargs):
        attempts.append(origin)
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(file_utils, "_fetch", fetch)
    return attempts


def test_imagenet_weights_without_network_name_the_url(monkeypatch, tmp_path):
    from ember.keras import applications
    attempts = _no_network(monkeypatch, tmp_path)
    with pytest.raises(OSError) as info:
        applications.MobileNetV2(weights="imagenet", alpha=0.35, input_shape=(96, 96, 3),
                                 include_top=False)
    url = ("https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
           "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5")
    assert attempts == [url]
    message = str(info.value)
    assert url in message and "weights=" in message
    assert "models" in message


@pytest.mark.parametrize("ctor,kwargs,fname", [
    ("VGG16", {"include_top": False, "input_shape": (32, 32, 3)},
     "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("MobileNet", {"include_top": False, "alpha": 0.25, "input_shape": (128, 128, 3)},
     "mobilenet_2_5_128_tf_no_top.h5"),
    ("MobileNetV3Small", {"include_top": False, "minimalistic": True,
                          "input_shape": (224, 224, 3)},
     "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5"),
    ("DenseNet121", {"include_top": False, "input_shape": (32, 32, 3)},
     "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ("EfficientNetB0", {"include_top": False, "input_shape": (32, 32, 3)},
     "efficientnetb0_notop.h5"),
    ("EfficientNetV2B0", {"include_top": False, "input_shape": (32, 32, 3)},
     "efficientnetv2-b0_notop.h5"),
    ("NASNetMobile", {"include_top": False, "input_shape": (32, 32, 3)},
     "nasnet_mobile_no_top.h5"),
])
def test_imagenet_file_names_are_keras(monkeypatch, tmp_path, ctor, kwargs, fname):
    """The cache file each model asks for is the one Keras asks for (checked against the
    URLs real Keras requests, tests/fixtures/applications/imagenet_files.json)."""
    import json
    from ember.keras import applications
    attempts = _no_network(monkeypatch, tmp_path)
    with open(os.path.join(fixtures.FIXTURES, "imagenet_files.json")) as f:
        known = {entry["fname"]: entry["origin"] for entry in json.load(f).values()
                 if entry and "fname" in entry}
    with pytest.raises(OSError):
        getattr(applications, ctor)(weights="imagenet", **kwargs)
    assert attempts == [known[fname]]


def test_every_keras_imagenet_hash_and_file_name_is_known():
    """Each (file name, hash) real Keras uses for ImageNet weights appears in the
    applications' tables (no model is built here; the test above checks requests)."""
    import glob
    import json
    sources = "".join(open(p).read() for p in glob.glob(os.path.join(
        os.path.dirname(fixtures.__file__), "..", "..", "..", "ember", "keras",
        "applications", "*.py")))
    with open(os.path.join(fixtures.FIXTURES, "imagenet_files.json")) as f:
        entries = [e for e in json.load(f).values() if e and "fname" in e]
    assert len(entries) > 150
    for entry in entries:
        if entry["file_hash"]:
            assert entry["file_hash"] in sources, entry
        assert entry["origin"].endswith("/" + entry["fname"]) or \
            entry["fname"].startswith("nasnet_"), entry


def test_imagenet_weights_come_from_the_keras_cache(monkeypatch, tmp_path):
    """A file already in ~/.keras/models (here $KERAS_HOME/models) is used as it is:
    MobileNet's published files carry no hash, so a locally made one stands in."""
    pytest.importorskip("h5py")
    from ember.keras import applications
    attempts = _no_network(monkeypatch, tmp_path)
    kwargs = {"include_top": False, "alpha": 0.25, "input_shape": (128, 128, 3)}
    source = fixtures.build("MobileNet", {**kwargs, "pooling": "avg"}, fill=True)
    os.makedirs(tmp_path / "models")
    source.save_weights(tmp_path / "models" / "mobilenet_2_5_128_tf_no_top.h5")
    model = applications.MobileNet(weights="imagenet", pooling="avg", **kwargs)
    assert attempts == []
    x = fixtures.fixed_input((1, 128, 128, 3))
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(source(x)))


def test_decode_predictions(monkeypatch, tmp_path):
    from ember.keras.applications import imagenet_utils, resnet50
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", index)
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [7, 42, 3]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    out = resnet50.decode_predictions(preds, top=3)
    assert [t[:2] for t in out[0]] == [("n00000007", "class_7"), ("n00000042", "class_42"),
                                       ("n00000003", "class_3")]
    assert np.isclose(out[0][0][2], 0.5) and out[1][0][:2] == ("n00000999", "class_999")
    with pytest.raises(ValueError, match="decode_predictions.*shape"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_without_network(monkeypatch, tmp_path):
    from ember.keras.applications import imagenet_utils
    attempts = _no_network(monkeypatch, tmp_path)
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    with pytest.raises(OSError, match="imagenet_class_index.json"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    assert attempts == [imagenet_utils.CLASS_INDEX_PATH]
