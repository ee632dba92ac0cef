"""keras.callbacks.TensorBoard: what an ember fit writes is what Keras 3 writes (tags,
steps, values), TensorBoard's own reader parses every file, and a real ``tensorboard``
server serves it over HTTP."""
import glob
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from ember import keras

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402


def fit_with_tensorboard(log_dir, epochs=2, **kwargs):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("float32")
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(3, activation="relu", name="d1"),
                              keras.layers.Dense(1, activation="sigmoid", name="d2")],
                             name="net")
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[keras.callbacks.TensorBoard(str(log_dir), **kwargs)])
    return model, history


def load_runs(log_dir):
    runs = {}
    for f in glob.glob(os.path.join(str(log_dir), "**", "events.out.tfevents.*"),
                       recursive=True):
        acc = ea.EventAccumulator(f, size_guidance={ea.TENSORS: 0, ea.GRAPH: 1})
        acc.Reload()                  # TensorBoard's own reader parses the whole file
        runs[os.path.basename(os.path.dirname(f))] = acc
    return runs


def series(acc, tag):
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def test_epoch_logs_histograms_images_and_graph(tmp_path):
    model, history = fit_with_tensorboard(tmp_path, histogram_freq=1, write_images=True,
                                          write_steps_per_second=True)
    runs = load_runs(tmp_path)
    assert sorted(runs) == ["train", "validation"]
    train, val = runs["train"], runs["validation"]
    weights = [f"net/{l}/{w}" for l in ("d1", "d2") for w in ("kernel", "bias")]
    # the tags Keras 3.15 writes for this fit (read back from a real Keras run)
    assert set(train.Tags()["tensors"]) == (
        {"keras", "epoch_accuracy", "epoch_loss", "epoch_learning_rate",
         "epoch_steps_per_second"} | {w + "/histogram" for w in weights} |
        {w + "/image" for w in weights if w != "net/d2/bias"})
    assert set(val.Tags()["tensors"]) == {"epoch_accuracy", "epoch_loss",
                                          "evaluation_accuracy_vs_iterations",
                                          "evaluation_loss_vs_iterations"}
    for name in ("loss", "accuracy"):
        got = series(train, f"epoch_{name}")
        assert [s for s, _ in got] == [0, 1]
        np.testing.assert_allclose([float(v) for _, v in got], history.history[name],
                                   rtol=1e-6)
        got = series(val, f"epoch_{name}")
        np.testing.assert_allclose([float(v) for _, v in got],
                                   history.history["val_" + name], rtol=1e-6)
    assert [s for s, _ in series(val, "evaluation_loss_vs_iterations")] == [3, 6]
    np.testing.assert_allclose([float(v) for _, v in series(train, "epoch_learning_rate")],
                               [0.01, 0.01], rtol=1e-6)
    assert all(float(v) > 0 for _, v in series(train, "epoch_steps_per_second"))
    kernel = np.asarray(model.layers[0].kernel.numpy(), np.float64)
    step, hist = series(train, "net/d1/kernel/histogram")[-1]
    assert step == 1 and hist.shape == (30, 3) and hist[:, 2].sum() == kernel.size
    np.testing.assert_allclose(hist[[0, -1], [0, 1]], [kernel.min(), kernel.max()])
    step, image = series(train, "net/d1/kernel/image")[-1]
    assert image[:2].tolist() == [b"4", b"3"]        # the (4, 3) kernel shown transposed
    assert json.loads(series(train, "keras")[0][1].item())["class_name"] == "Sequential"
    assert any(n.op == "Placeholder" for n in train.Graph().node)   # the train step


def test_update_freq_batches(tmp_path):
    fit_with_tensorboard(tmp_path, update_freq=2, write_graph=False)
    train = load_runs(tmp_path)["train"]
    # as in Keras: every 2nd global batch; the epoch scalars are written under the batch
    # record_if too, so only the epoch that ends on an even batch keeps them
    assert [s for s, _ in series(train, "batch_loss")] == [2, 4, 6]
    assert [s for s, _ in series(train, "epoch_loss")] == [1]
    assert "keras" not in train.Tags()["tensors"]
    assert "batch_accuracy" in train.Tags()["tensors"]


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(profile_batch=(5, 2))
    with pytest.raises(ValueError, match="embeddings_freq"):
        keras.callbacks.TensorBoard(embeddings_freq=-1)
    keras.callbacks.TensorBoard(profile_batch="2,3")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port, path, **query):
    url = f"http://127.0.0.1:{port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read().decode())


def test_tensorboard_server_serves_what_fit_wrote(tmp_path):
    _, history = fit_with_tensorboard(tmp_path, histogram_freq=1, write_images=True)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
         "--host", "127.0.0.1", "--port", str(port), "--load_fast=false",
         "--reload_interval", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        tags = {}
        while time.time() < deadline:
            try:
                tags = _get(port, "/data/plugin/scalars/tags")
                if "epoch_loss" in tags.get("validation", {}):
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                pytest.fail("tensorboard exited early")
            time.sleep(0.3)
        assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(tags["train"])
        rows = _get(port, "/data/plugin/scalars/scalars", run="train", tag="epoch_loss")
        assert [r[1] for r in rows] == [0, 1]
        np.testing.assert_allclose([r[2] for r in rows], history.history["loss"], rtol=1e-6)
        rows = _get(port, "/data/plugin/scalars/scalars", run="validation", tag="epoch_loss")
        np.testing.assert_allclose([r[2] for r in rows], history.history["val_loss"],
                                   rtol=1e-6)
        hist_tags = _get(port, "/data/plugin/histograms/tags")["train"]
        assert "net/d1/kernel/histogram" in hist_tags
        rows = _get(port, "/data/plugin/histograms/histograms", run="train",
                    tag="net/d1/kernel/histogram")
        assert len(rows) == 2 and sum(b[2] for b in rows[-1][2]) == 12
        assert "net/d1/kernel/image" in _get(port, "/data/plugin/images/tags")["train"]
        graphs = _get(port, "/data/plugin/graphs/info")["train"]
        assert graphs["run_graph"] and graphs["tags"]["keras"]["conceptual_graph"]
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_evaluate_after_fit_with_the_same_callback(tmp_path):
    model, history = fit_with_tensorboard(tmp_path, write_graph=False)
    tb = keras.callbacks.TensorBoard(str(tmp_path / "again"), write_graph=False)
    rng = np.random.default_rng(1)
    x = rng.random((32, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("float32")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[tb])
    loss = model.evaluate(x, y, verbose=0, callbacks=[tb])[0]
    files = glob.glob(str(tmp_path / "again" / "validation" / "events.out.tfevents.*"))
    assert len(files) == 1
    acc = ea.EventAccumulator(files[0], size_guidance={ea.TENSORS: 0})
    acc.Reload()
    (step, value), = series(acc, "evaluation_loss_vs_iterations")
    assert step == int(model.optimizer.iterations.numpy())
    np.testing.assert_allclose(float(value), loss, rtol=1e-6)
