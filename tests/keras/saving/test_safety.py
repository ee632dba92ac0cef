"""Safe mode for stored Python code; clear errors for truncated, corrupted, foreign files and
mismatched shapes; atomic writes (a save killed midway leaves the previous file intact)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

from ember import keras
from ember.keras.layers import lambda_layer

pytest.importorskip("h5py")
FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "fixtures", "saving")


# -- safe mode --------------------------------------------------------------------------
def test_keras_lambda_needs_opt_in(monkeypatch):
    monkeypatch.setattr(lambda_layer, "_UNSAFE_ENABLED", False)
    path = os.path.join(FIXTURES, "lambda.keras")
    with pytest.raises(ValueError, match=r"safe_mode=False.*enable_unsafe_deserialization"):
        keras.models.load_model(path)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    model = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(model(x).numpy(), x * 2 + 1)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)          # the opt-in lasted for that call only
    keras.config.enable_unsafe_deserialization()
    np.testing.assert_allclose(keras.models.load_model(path)(x).numpy(), x * 2 + 1)


def test_ember_lambda_round_trip_needs_opt_in(tmp_path, monkeypatch):
    monkeypatch.setattr(lambda_layer, "_UNSAFE_ENABLED", False)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 3.0)(inputs))
    path = str(tmp_path / "lam.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded(np.ones((1, 2), "float32")).numpy(), [[3.0, 3.0]])


# -- bad files --------------------------------------------------------------------------
def _model(units=4):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, name="hidden"),
                              keras.layers.Dense(2, name="head")])
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5", ".weights.npz"])
def test_truncated_and_garbage_files_name_the_file(tmp_path, suffix):
    model = _model()
    good = str(tmp_path / f"good{suffix}")
    if suffix.startswith(".weights"):
        model.save_weights(good)
    else:
        model.save(good)
    data = open(good, "rb").read()
    cases = {"truncated": data[: len(data) // 2], "garbage": os.urandom(2000),
             "empty": b"", "text": b"this is not a model file\n" * 20}
    for what, content in cases.items():
        bad = str(tmp_path / f"{what}{suffix}")
        with open(bad, "wb") as f:
            f.write(content)
        with pytest.raises(ValueError) as info:
            if suffix.startswith(".weights"):
                _model().load_weights(bad)
            else:
                keras.models.load_model(bad)
        message = str(info.value)
        assert bad in message, f"{what}{suffix}: the error does not name the file: {message}"
        assert "Traceback" not in message


def test_foreign_files(tmp_path):
    zip_path = str(tmp_path / "other.keras")
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"other\.keras.*no config\.json"):
        keras.models.load_model(zip_path)
    import h5py
    h5_path = str(tmp_path / "data.h5")
    with h5py.File(h5_path, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ValueError, match=r"data\.h5.*no model config"):
        keras.models.load_model(h5_path)
    with pytest.raises(ValueError, match=r"data\.h5.*holds neither Keras 3 weights nor "
                                         r"legacy"):
        _model().load_weights(h5_path)
    weights_path = str(tmp_path / "model.weights.h5")
    _model().save_weights(weights_path)
    with pytest.raises(ValueError, match=r"model\.weights\.h5.*no model config"):
        keras.models.load_model(weights_path)
    npz = str(tmp_path / "x.weights.npz")
    np.savez(npz, a=np.zeros(2))
    with pytest.raises(ValueError, match=r"x\.weights\.npz holds 1 weights but model"):
        _model().load_weights(npz)
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        keras.models.load_model(str(tmp_path / "missing.keras"))


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".weights.h5", ".weights.npz"])
def test_mismatched_shapes_name_layer_and_shapes(tmp_path, suffix):
    path = str(tmp_path / f"m{suffix}")
    _model(4).save_weights(path) if suffix.startswith(".weights") or suffix == ".h5" \
        else _model(4).save(path)
    other = _model(5)
    with pytest.raises(ValueError) as info:
        other.load_weights(path)
    message = str(info.value)
    assert "hidden" in message and "(3, 5)" in message and "(3, 4)" in message, message
    assert path in message
    if suffix in (".h5", ".weights.h5", ".keras"):
        before = other.get_layer("head").get_weights()[1].copy()
        with pytest.warns(UserWarning, match="Skipping"):
            other.load_weights(path, skip_mismatch=True)
        assert other.get_layer("hidden").get_weights()[0].shape == (3, 5)
        if suffix == ".h5":
            np.testing.assert_array_equal(other.get_layer("head").get_weights()[1],
                                          _model(4).get_layer("head").get_weights()[1])
        else:
            assert before.shape == (2,)


# -- atomic writes ----------------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from ember import keras
    path, old, new = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    dense = keras.layers.Dense(8192, name="big",
                               kernel_initializer=keras.initializers.Constant(old))
    model = keras.Sequential([keras.Input((2048,)), dense])
    save = model.save if path.endswith(".keras") else model.save_weights
    save(path)                                  # the previous version, complete
    dense.kernel.assign(np.full((2048, 8192), new, "float32"))
    print("overwriting", flush=True)
    while True:
        save(path)
""")


def _big_value(path):
    if path.endswith(".keras"):
        model = keras.models.load_model(path)
    else:
        model = keras.Sequential([keras.Input((2048,)), keras.layers.Dense(
            8192, name="big", kernel_initializer="zeros")])
        model.load_weights(path)
    kernel = model.get_weights()[0]
    assert kernel.shape == (2048, 8192)
    first = float(kernel[0, 0])
    assert kernel.min() == first == kernel.max()      # one complete version, not a mix
    return first


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5", ".keras"])
def test_killed_save_leaves_previous_file(tmp_path, suffix):
    """A process overwriting a 64 MB model file again and again is killed with SIGKILL at
    random times (mostly mid-write): the file always loads whole, as one complete version."""
    path = str(tmp_path / f"big{suffix}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(keras.__file__)).rsplit(os.sep, 1)[0]] +
        [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    rng = np.random.default_rng(0)
    for old, new in ((1.0, 2.0), (3.0, 4.0)):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, path, str(old), str(new)],
                                stdout=subprocess.PIPE, env=env)
        try:
            assert proc.stdout.readline().strip() == b"overwriting"
            time.sleep(float(rng.uniform(0.0, 0.25)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert _big_value(path) in (old, new)


def test_by_name_needs_a_legacy_file(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    _model().save_weights(path)
    with pytest.raises(ValueError, match=r"by_name=True loads legacy \.h5 weight files only"):
        _model().load_weights(path, by_name=True)
