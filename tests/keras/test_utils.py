"""keras.utils: to_categorical, normalize, set_random_seed, Progbar, get_file, registry."""
import hashlib
import os
import random
import re
import sys
import tarfile
import zipfile

import numpy as np
import pytest

import ember as tf
from ember.keras import utils
from ember.keras.saving import serialization

UNREACHABLE = "http://127.0.0.1:9/x"


@pytest.fixture(autouse=True)
def _clear_global_seed():
    yield
    tf.random.set_seed(None)


# ------------------------------------------------------------ to_categorical ---

@pytest.mark.parametrize("labels,num_classes,want", [
    ([0, 2, 1], None, np.eye(3)[[0, 2, 1]]),
    ([0, 2, 1], 5, np.eye(5)[[0, 2, 1]]),
    ([[0], [2], [1]], None, np.eye(3)[[0, 2, 1]]),                  # (N, 1) -> (N, C)
    ([[0, 1], [1, 1]], 2, np.eye(2)[[[0, 1], [1, 1]]]),              # (N, M) -> (N, M, C)
    (np.array([1.0, 0.0]), None, np.eye(2)[[1, 0]]),                 # integral floats
    (3, 4, np.eye(4)[3]),                                           # scalar label
    ([], 3, np.zeros((0, 3))),
    (np.array([[[1]], [[0]]], dtype=np.uint8), 2, np.eye(2)[[[1], [0]]]),
])
def test_to_categorical(labels, num_classes, want):
    got = utils.to_categorical(labels, num_classes)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_to_categorical_dtype_and_tensor():
    assert utils.to_categorical([1], 2, dtype="int32").dtype == np.int32
    got = utils.to_categorical(tf.constant([[2], [0]]), 3)
    assert tf.is_tensor(got) and got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), np.eye(3)[[2, 0]])
    got = utils.to_categorical(tf.constant([1, 3]))
    np.testing.assert_array_equal(got.numpy(), np.eye(4)[[1, 3]])


@pytest.mark.parametrize("labels,num_classes,match", [
    ([0, 3], 3, r"class labels must be in \[0, 3\), got values in \[0, 3\]"),
    ([-1, 0], None, r"must be in \[0, 1\)"),
    ([0.5], None, "must be integers"),
    (["a"], None, "must be integers"),
])
def test_to_categorical_errors(labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        utils.to_categorical(labels, num_classes)


# ----------------------------------------------------------------- normalize ---

X = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]], dtype=np.float32)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_normalize_numpy(axis, order):
    got = utils.normalize(X, axis=axis, order=order)
    norm = (np.abs(X) ** order).sum(axis=axis, keepdims=True) ** (1 / order)
    norm[norm == 0] = 1
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_allclose(got, X / norm, rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_normalize_tensor(axis, order):
    got = utils.normalize(tf.constant(X), axis=axis, order=order)
    norm = (np.abs(X.astype(np.float64)) ** order).sum(axis=axis, keepdims=True) ** (1 / order)
    assert tf.is_tensor(got) and got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), X / np.maximum(norm, 1e-7), rtol=1e-5, atol=1e-7)
    traced = tf.function(lambda t: utils.normalize(t, axis=axis, order=order))(tf.constant(X))
    np.testing.assert_allclose(traced.numpy(), got.numpy(), rtol=1e-6)


@pytest.mark.parametrize("order", [0, 1.5, True])
def test_normalize_bad_order(order):
    with pytest.raises(ValueError, match="`order` must be an int >= 1"):
        utils.normalize(X, order=order)


# ----------------------------------------------------------- set_random_seed ---

def test_set_random_seed_seeds_everything():
    def draw():
        return (random.random(), np.random.rand(), tf.random.uniform([3]).numpy().tolist(),
                tf.random.normal([2], seed=1).numpy().tolist())
    utils.set_random_seed(1234)
    first = draw()
    utils.set_random_seed(1234)
    assert draw() == first
    utils.set_random_seed(99)
    assert draw() != first


@pytest.mark.parametrize("seed,match", [
    (1.5, "expected `seed` argument to be an integer"),
    ("1", "expected `seed` argument to be an integer"),
    (None, "expected `seed` argument to be an integer"),
    (-3, "non-negative"),
])
def test_set_random_seed_errors(seed, match):
    with pytest.raises(ValueError, match=match):
        utils.set_random_seed(seed)


# ------------------------------------------------------------------- Progbar ---

def _run_bar(bar, steps, values=None):
    for i in range(steps):
        bar.update(i + 1, values=values(i) if values else None)


def test_progbar_non_terminal_prints_one_final_line(capsys):
    bar = utils.Progbar(100, interval=0)
    _run_bar(bar, 100, lambda i: [("loss", 0.25)])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\r" not in out and "\x1b" not in out
    assert re.fullmatch(r"100/100 \u2501{20} \d+s \d+(us|ms|s)/step - loss: 0\.2500\n", out), out


def test_progbar_averages_and_stateful(capsys):
    bar = utils.Progbar(4, stateful_metrics=["acc"], width=10)
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(3, [("loss", 4.0), ("acc", 0.5)])         # loss weighted by 2 steps
    bar.update(4, [("loss", tf.constant(0.0)), ("acc", 0.75), ("tiny", 1e-5)])
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "4/4 " + "\u2501" * 10 + " " in out
    assert "- loss: 2.2500" in out and "- acc: 0.7500" in out and "- tiny: 1.0000e-05" in out


def test_progbar_add_and_partial_finalize(capsys):
    bar = utils.Progbar(10, width=10, unit_name="sample")
    bar.add(3)
    bar.add(3)
    assert capsys.readouterr().out == ""
    bar.update(6, finalize=True)
    out = capsys.readouterr().out
    assert re.fullmatch(r" 6/10 \u2501{6}\u2500{4} \d+s \d+(us|ms|s)/sample\n", out), out


def test_progbar_unknown_target(capsys):
    bar = utils.Progbar(None)
    _run_bar(bar, 5)
    assert capsys.readouterr().out == ""
    bar.update(5, finalize=True)
    assert re.fullmatch(r"\s+5/Unknown \d+s \d+(us|ms|s)/step\n", capsys.readouterr().out)


def test_progbar_verbose_0_and_2(capsys):
    _run_bar(utils.Progbar(5, verbose=0), 5, lambda i: [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    _run_bar(utils.Progbar(5, verbose=2), 5, lambda i: [("loss", 1.0)])
    out = capsys.readouterr().out
    assert re.fullmatch(r"5/5 - \d+s - \d+(us|ms|s)/step - loss: 1\.0000\n", out), out


def test_progbar_terminal_redraws_in_place(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    bar = utils.Progbar(100, interval=0)
    for i in range(0, 100, 12):
        bar.update(i, [("loss", 0.5)])
    bar.update(100)
    out = capsys.readouterr().out
    assert out.count("\r") == 10 and out.endswith("\n") and out.count("\n") == 1
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    frames = [f.rstrip() for f in plain.split("\r") if f]
    assert re.fullmatch(r" 12/100 \u2501{20} \d+s \d+(us|ms|s)/step - loss: 0\.5000", frames[1])
    assert re.fullmatch(r"100/100 \u2501{20} \d+s \d+(us|ms|s)/step - loss: 0\.5000", frames[-1])
    assert "\x1b[32m" + "\u2501" * 2 + "\x1b[0m" in out     # 12% of 20 columns done


def test_progbar_interval_throttles_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    bar = utils.Progbar(1000, interval=60)
    _run_bar(bar, 1000)
    out = capsys.readouterr().out
    assert out.count("\r") == 2          # the first update and the final one


# ------------------------------------------------------------------ get_file ---

def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def test_get_file_cache_hit_never_downloads(tmp_path):
    cached = tmp_path / "datasets" / "data.txt"
    cached.parent.mkdir()
    cached.write_text("hello")
    assert utils.get_file("data.txt", UNREACHABLE, cache_dir=str(tmp_path)) == str(cached)
    for h in (_sha256(cached), _md5(cached), _sha256(cached).upper()):
        assert utils.get_file("data.txt", UNREACHABLE, file_hash=h,
                              cache_dir=str(tmp_path)) == str(cached)


def test_get_file_keras_home_and_subdir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    cached = tmp_path / "kh" / "models" / "w.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x00\x01")
    assert utils.get_file("w.bin", UNREACHABLE, cache_subdir="models") == str(cached)


def test_get_file_default_dir_is_home_keras(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    cached = tmp_path / ".keras" / "datasets" / "a.csv"
    cached.parent.mkdir(parents=True)
    cached.write_text("1,2")
    assert utils.get_file(origin="http://127.0.0.1:9/files/a.csv") == str(cached)


def test_get_file_download_failure_names_url(tmp_path, capsys):
    with pytest.raises(Exception, match=r"Could not download http://127\.0\.0\.1:9/x"):
        utils.get_file("missing.txt", UNREACHABLE, cache_dir=str(tmp_path))
    assert not os.path.exists(tmp_path / "datasets" / "missing.txt")
    assert not os.path.exists(tmp_path / "datasets" / "missing.txt.part")


def test_get_file_cached_hash_mismatch_redownloads(tmp_path, capsys):
    cached = tmp_path / "datasets" / "data.txt"
    cached.parent.mkdir()
    cached.write_text("stale")
    with pytest.warns(UserWarning, match="does not match"):
        with pytest.raises(Exception, match="Could not download"):
            utils.get_file("data.txt", UNREACHABLE, file_hash="0" * 64,
                           cache_dir=str(tmp_path))


def test_get_file_downloads_local_url_and_checks_hash(tmp_path, capsys):
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload" * 100)
    cache = tmp_path / "cache"
    path = utils.get_file("copy.bin", src.as_uri(), file_hash=_sha256(src),
                          cache_dir=str(cache))
    assert open(path, "rb").read() == src.read_bytes()
    out = capsys.readouterr().out
    # not a terminal: the line naming the URL, no progress bar
    assert f"Downloading data from {src.as_uri()}" in out and out.count("\n") == 1
    with pytest.raises(ValueError, match="corrupted file.*does not match.*" + "f" * 32):
        utils.get_file("other.bin", src.as_uri(), file_hash="f" * 32, cache_dir=str(cache))
    src.write_bytes(b"new")
    assert open(utils.get_file("copy.bin", src.as_uri(), cache_dir=str(cache),
                               force_download=True), "rb").read() == b"new"


@pytest.mark.parametrize("kind", ["tar.gz", "tar", "zip"])
def test_get_file_extract(tmp_path, kind, capsys):
    content = tmp_path / "content"
    (content / "sub").mkdir(parents=True)
    (content / "sub" / "a.txt").write_text("A")
    (content / "b.txt").write_text("B")
    archive = tmp_path / f"pack.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(content / "sub" / "a.txt", "sub/a.txt")
            z.write(content / "b.txt", "b.txt")
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as t:
            t.add(content / "sub", "sub")
            t.add(content / "b.txt", "b.txt")
    cache = tmp_path / "cache"
    out = utils.get_file(f"pack.{kind}", archive.as_uri(), extract=True, cache_dir=str(cache))
    assert out == str(cache / "datasets" / "pack_extracted")
    assert open(os.path.join(out, "sub", "a.txt")).read() == "A"
    assert open(os.path.join(out, "b.txt")).read() == "B"
    # Cached: no network needed the second time.
    assert utils.get_file(f"pack.{kind}", UNREACHABLE, extract=True,
                          cache_dir=str(cache)) == out
    # A name without suffix is the extraction directory itself.
    named = utils.get_file("pack_dir", archive.as_uri(), extract=True, cache_dir=str(cache))
    assert named == str(cache / "datasets" / "pack_dir")
    assert open(os.path.join(named, "b.txt")).read() == "B"


def test_get_file_untar_alias(tmp_path, capsys):
    archive = tmp_path / "p.tar.gz"
    (tmp_path / "f.txt").write_text("F")
    with tarfile.open(archive, "w:gz") as t:
        t.add(tmp_path / "f.txt", "f.txt")
    out = utils.get_file("things", archive.as_uri(), untar=True, cache_dir=str(tmp_path / "c"))
    assert open(os.path.join(out, "f.txt")).read() == "F"


def test_get_file_extract_refuses_escaping_members(tmp_path, capsys):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        utils.get_file("evil.zip", archive.as_uri(), extract=True, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "c" / "escape.txt").exists()


def test_get_file_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='specify the "origin"'):
        utils.get_file("x")
    with pytest.raises(ValueError, match="cannot infer a file name"):
        utils.get_file(origin="http://127.0.0.1:9/", cache_dir=str(tmp_path))


# ------------------------------------------------------------------ registry ---

def test_registry_reexports():
    for name in ("register_keras_serializable", "get_custom_objects", "custom_object_scope",
                 "serialize_keras_object", "deserialize_keras_object", "CustomObjectScope",
                 "get_registered_name", "get_registered_object"):
        assert getattr(utils, name) is getattr(serialization, name)
    assert set(utils.__all__) >= {"to_categorical", "normalize", "set_random_seed", "Progbar",
                                  "get_file"}


def test_registry_round_trip():
    @utils.register_keras_serializable(package="UtilsTest")
    class Scale:
        def __init__(self, k):
            self.k = k

        def get_config(self):
            return {"k": self.k}

    assert utils.get_custom_objects()["UtilsTest>Scale"] is Scale
    ser = utils.serialize_keras_object(Scale(3))
    assert ser["registered_name"] == "UtilsTest>Scale"
    assert utils.deserialize_keras_object(ser).k == 3

    class Local:
        def __init__(self, k):
            self.k = k

        def get_config(self):
            return {"k": self.k}

    ser = utils.serialize_keras_object(Local(4))
    with pytest.raises(ValueError, match="Unknown object: 'Local'"):
        utils.deserialize_keras_object(ser)
    with utils.custom_object_scope({"Local": Local}):
        assert utils.deserialize_keras_object(ser).k == 4
