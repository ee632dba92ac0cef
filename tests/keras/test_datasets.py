"""keras.datasets and get_file against a local HTTP server on 127.0.0.1: Keras's cache
layout, hash checks, resumed downloads, and loaders that return what real Keras returns
for the same files (tests/fixtures/datasets/expected.npz, made by make_datasets.py)."""
import gzip
import hashlib
import http.server
import io
import os
import pickle
import shutil
import tarfile
import threading

import numpy as np
import pytest

from ember import keras
from ember.keras.datasets import (
    _common, boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
    reuters,
)
from ember.keras.utils import file_utils

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "datasets")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves the server's ``files`` dict; honours Range; ``cut`` sends only that many
    bytes of the next response and closes the connection."""

    def do_GET(self):  # noqa: N802 - http.server's name
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        body = srv.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and srv.ranges:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        part = body[start:]
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        if srv.cut is not None:
            self.wfile.write(part[:srv.cut])
            srv.cut = None
            self.close_connection = True
            return
        self.wfile.write(part)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.requests, srv.cut, srv.ranges = {}, [], None, True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/"
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _fake_mnist():
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    return arrays, _npz_bytes(**arrays)


def test_mnist_downloads_checks_hash_and_caches(server, keras_home, monkeypatch, capsys):
    arrays, blob = _fake_mnist()
    server.files["mnist.npz"] = blob
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(mnist, "FILE_HASH", _sha256(blob))
    (xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()
    for got, key in ((xtr, "x_train"), (ytr, "y_train"), (xte, "x_test"), (yte, "y_test")):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8
    cached = keras_home / "datasets" / "mnist.npz"
    assert cached.read_bytes() == blob
    assert not os.path.exists(str(cached) + ".part")
    assert f"Downloading data from {server.url}mnist.npz" in capsys.readouterr().out
    server.files.clear()                       # the cache serves the second call
    np.testing.assert_array_equal(keras.datasets.mnist.load_data()[0][0], arrays["x_train"])
    assert len(server.requests) == 1


def test_wrong_hash_is_refused_and_not_cached(server, keras_home, monkeypatch):
    _, blob = _fake_mnist()
    server.files["mnist.npz"] = blob
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(ValueError, match="corrupted file.*does not match"):
        mnist.load_data()
    assert not (keras_home / "datasets" / "mnist.npz").exists()


def test_offline_without_cache_names_url_and_cache_path(server, keras_home, monkeypatch):
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", server.url)
    with pytest.raises(Exception) as info:
        boston_housing.load_data()
    msg = str(info.value)
    assert f"{server.url}boston_housing.npz" in msg and "HTTP 404" in msg
    assert str(keras_home / "datasets" / "boston_housing.npz") in msg


def test_interrupted_download_resumes(server, keras_home, monkeypatch):
    blob = bytes(range(256)) * 4000
    server.files["big.bin"] = blob
    server.cut = 300000
    with pytest.raises(Exception, match="Could not download"):
        keras.utils.get_file("big.bin", server.url + "big.bin", file_hash=_sha256(blob))
    part = keras_home / "datasets" / "big.bin.part"
    assert part.stat().st_size == 300000 and not (keras_home / "datasets" / "big.bin").exists()
    path = keras.utils.get_file("big.bin", server.url + "big.bin", file_hash=_sha256(blob))
    assert open(path, "rb").read() == blob and not part.exists()
    assert server.requests[-1] == ("/big.bin", "bytes=300000-")


def test_resume_without_range_support_starts_over(server, keras_home):
    blob = b"0123456789" * 1000
    server.files["f.bin"] = blob
    server.ranges = False
    datadir = keras_home / "datasets"
    datadir.mkdir(parents=True)
    (datadir / "f.bin.part").write_bytes(b"garbage")
    path = keras.utils.get_file("f.bin", server.url + "f.bin", file_hash=hashlib.md5(
        blob).hexdigest())
    assert open(path, "rb").read() == blob


def test_reads_a_keras_layout_cache_without_network(keras_home, monkeypatch):
    arrays, blob = _fake_mnist()
    (keras_home / "datasets").mkdir(parents=True)
    (keras_home / "datasets" / "mnist.npz").write_bytes(blob)
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", "http://127.0.0.1:9/")
    monkeypatch.setattr(mnist, "FILE_HASH", _sha256(blob))
    np.testing.assert_array_equal(mnist.load_data()[1][1], arrays["y_test"])
    # fashion-mnist's IDX files live in datasets/fashion-mnist, without a hash
    sub = keras_home / "datasets" / "fashion-mnist"
    sub.mkdir()
    rng = np.random.default_rng(2)
    imgs = {n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (4, 2)}
    labels = {n: rng.integers(0, 10, n, dtype=np.uint8) for n in (4, 2)}
    for prefix, n in (("train", 4), ("t10k", 2)):
        with gzip.open(sub / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels[n].tobytes())
        with gzip.open(sub / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + imgs[n].tobytes())
    (xtr, ytr), (xte, yte) = fashion_mnist.load_data()
    np.testing.assert_array_equal(xtr, imgs[4])
    np.testing.assert_array_equal(yte, labels[2])


def _cifar10_archive():
    rng = np.random.default_rng(3)
    buf = io.BytesIO()
    batches = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            d = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, 2)]}
            batches[name] = d
            blob = pickle.dumps(d, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue(), batches


def test_cifar10_extracts_in_keras_layout(server, keras_home, monkeypatch):
    blob, batches = _cifar10_archive()
    server.files["cifar-10-python.tar.gz"] = blob
    monkeypatch.setattr(cifar10, "ORIGIN", server.url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar10, "FILE_HASH", _sha256(blob))
    leftover = keras_home / "datasets" / "cifar-10-batches-py-target.partial"
    leftover.mkdir(parents=True)              # an extraction that was interrupted
    (leftover / "junk").write_text("x")
    (xtr, ytr), (xte, yte) = cifar10.load_data()
    assert xtr.shape == (10, 32, 32, 3) and ytr.shape == (10, 1) and xte.shape == (2, 32, 32, 3)
    assert xtr.dtype == ytr.dtype == xte.dtype == yte.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(xtr[0], first)
    assert yte[:, 0].tolist() == batches["test_batch"][b"labels"]
    datasets = keras_home / "datasets"
    assert (datasets / "cifar-10-batches-py-target_archive").read_bytes() == blob
    assert (datasets / "cifar-10-batches-py-target" / "cifar-10-batches-py").is_dir()
    assert not leftover.exists()
    assert not (datasets / "cifar-10-batches-py-target" / "junk").exists()


def _expected(name):
    ref = np.load(os.path.join(FIXTURES, "expected.npz"))

    def get(key):
        if f"{name}.{key}" in ref:
            return ref[f"{name}.{key}"]
        lengths, flat = ref[f"{name}.{key}.len"], ref[f"{name}.{key}.flat"]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        return [flat[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:])]
    return (get("xtr"), get("ytr")), (get("xte"), get("yte"))


def _same(got, want):
    for (gx, gy), (wx, wy) in zip(got, want):
        if isinstance(wx, list):
            assert gx.dtype == object and [list(s) for s in gx] == wx
        else:
            assert gx.dtype == wx.dtype and gx.shape == wx.shape
            np.testing.assert_array_equal(gx, wx)
        assert np.asarray(gy).dtype == wy.dtype
        np.testing.assert_array_equal(gy, wy)


CALLS = {
    "imdb_default": (imdb, "imdb.npz", lambda: imdb.load_data()),
    "imdb_words": (imdb, "imdb.npz",
                   lambda: imdb.load_data(num_words=20, skip_top=3, maxlen=9, seed=5)),
    "imdb_nostart": (imdb, "imdb.npz", lambda: imdb.load_data(
        start_char=None, oov_char=None, index_from=0, num_words=30)),
    "reuters_default": (reuters, "reuters.npz", lambda: reuters.load_data()),
    "reuters_words": (reuters, "reuters.npz",
                      lambda: reuters.load_data(num_words=25, test_split=0.3, maxlen=8)),
    "boston": (boston_housing, "boston_housing.npz", lambda: boston_housing.load_data()),
    "boston_split": (boston_housing, "boston_housing.npz",
                     lambda: boston_housing.load_data(test_split=0.4, seed=3)),
    "california": (california_housing, "california_housing.npz",
                   lambda: california_housing.load_data(version="small", seed=1)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_loaders_match_keras(name, keras_home, monkeypatch):
    module, fname, call = CALLS[name]
    datadir = keras_home / "datasets"
    datadir.mkdir(parents=True, exist_ok=True)
    src = os.path.join(FIXTURES, fname)
    shutil.copy(src, datadir / fname)
    monkeypatch.setattr(module, "FILE_HASH", file_utils.hash_file(src))
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", "http://127.0.0.1:9/")
    _same(call(), _expected(name))


@pytest.mark.parametrize("mode", ["fine", "coarse"])
def test_cifar100_matches_keras(mode, keras_home, monkeypatch, server):
    src = os.path.join(FIXTURES, "cifar-100-python.tar.gz")
    server.files["c100.tar.gz"] = open(src, "rb").read()
    monkeypatch.setattr(cifar100, "ORIGIN", server.url + "c100.tar.gz")
    monkeypatch.setattr(cifar100, "FILE_HASH", file_utils.hash_file(src))
    _same(cifar100.load_data(mode), _expected(f"cifar100_{mode}"))


def test_argument_errors_and_extras():
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium")
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="num_words"):
        imdb.load_data(nb_words=10)
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn"
    with pytest.raises(ValueError, match="not a path"):
        keras.utils.get_file("a/b.npz", "http://127.0.0.1:9/b.npz")


def test_refuses_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([Evil()], dtype=object))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _common.load_npz(str(path))


def test_word_index(server, keras_home, monkeypatch):
    blob = b'{"the": 1, "cat": 2}'
    server.files["imdb_word_index.json"] = blob
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", server.url)
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(blob).hexdigest())
    assert imdb.get_word_index() == {"the": 1, "cat": 2}
    assert (keras_home / "datasets" / "imdb_word_index.json").exists()


def test_quiet_when_interactive_logging_is_off(server, keras_home, capsys, caplog):
    from ember.keras.utils import io_utils
    server.files["q.bin"] = b"quiet"
    io_utils.disable_interactive_logging()
    try:
        with caplog.at_level("INFO", logger="ember"):
            keras.utils.get_file("q.bin", server.url + "q.bin")
    finally:
        io_utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert f"Downloading data from {server.url}q.bin" in caplog.text
