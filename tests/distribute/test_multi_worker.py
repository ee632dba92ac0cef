"""MultiWorkerMirroredStrategy across two worker processes on localhost (tests/distribute/
mw_worker.py): the same weights as one process training on the same global batches, the
workers' weights identical, and a dead or hung worker reported by name within seconds."""
import importlib.util
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

import ember as tf
from ember import keras
from tests.distribute import mw_worker

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).with_name("mw_worker.py")


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _start(mode, tmp_path, timeout="20"):
    addresses = [f"localhost:{p}" for p in _free_ports(2)]
    procs, outs = [], []
    for i in range(2):
        env = dict(os.environ, PYTHONPATH=str(ROOT), EMBER_COLLECTIVE_TIMEOUT=timeout,
                   TF_CONFIG=json.dumps({"cluster": {"worker": addresses},
                                         "task": {"type": "worker", "index": i}}))
        out = tmp_path / f"worker{i}.npz"
        procs.append(subprocess.Popen([sys.executable, str(WORKER), mode, str(out)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        outs.append(out)
    return procs, outs


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    """The four two-worker runs, started together (their start-up and waits overlap):
    mode -> (processes, result files, directory)."""
    started = {}
    for mode, timeout in (("fit", "20"), ("loop", "20"), ("die", "60"), ("hang", "2")):
        directory = tmp_path_factory.mktemp(mode)
        started[mode] = _start(mode, directory, timeout) + (directory,)
    yield started
    for procs, _, _ in started.values():
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()


def _run(clusters, mode):
    procs, outs, directory = clusters[mode]
    for p in procs:
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err.decode()[-3000:]
    return [dict(np.load(o)) for o in outs], directory


def _weights(result):
    return [result[f"w{i}"] for i in range(4)]


def test_fit_matches_single_process_and_workers_agree(clusters):
    (w0, w1), tmp_path = _run(clusters, "fit")
    assert int(w0["replicas"]) == 2 and int(w1["replicas"]) == 2
    for a, b in zip(_weights(w0), _weights(w1)):
        np.testing.assert_array_equal(a, b)          # the same reduced updates, bit for bit
    x, y = mw_worker.data()
    model = mw_worker.make_model(1)                  # worker 0's seed: broadcast at start
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse",
                  metrics=["mae"])
    history = model.fit(x, y, batch_size=mw_worker.GLOBAL_BATCH, epochs=2, shuffle=False,
                        verbose=0, validation_data=(x[:24], y[:24]))
    for got, want in zip(_weights(w0), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # metrics are summed over the workers: the logs are the global ones
    np.testing.assert_allclose(w0["loss"], history.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(w1["loss"], history.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(w1["val_mae"], history.history["val_mae"], rtol=1e-5)
    evaluated = model.evaluate(x, y, batch_size=mw_worker.GLOBAL_BATCH, verbose=0)
    np.testing.assert_allclose(w0["eval"], evaluated, rtol=1e-5)
    np.testing.assert_allclose(w1["eval"], evaluated, rtol=1e-5)
    if importlib.util.find_spec("h5py") is not None:
        # ModelCheckpoint: the chief wrote the file, worker 1 its temp dir, then removed it
        assert sorted(p.name for p in tmp_path.iterdir()) == \
            ["ckpt.weights.h5", "worker0.npz", "worker1.npz"]
        model.load_weights(str(tmp_path / "ckpt.weights.h5"))
        for got, want in zip(model.get_weights(), _weights(w0)):
            np.testing.assert_array_equal(got, want)


def test_custom_loop_matches_single_process(clusters):
    (w0, w1), _ = _run(clusters, "loop")
    for a, b in zip(_weights(w0), _weights(w1)):
        np.testing.assert_array_equal(a, b)
    x, y = mw_worker.data()
    model = mw_worker.make_model(1)
    model.build((None, 5))
    optimizer = keras.optimizers.SGD(0.1)
    loss_fn = keras.losses.MeanSquaredError(reduction="none")
    losses = []
    for _ in range(2):
        for start in range(0, len(x), mw_worker.GLOBAL_BATCH):
            bx = x[start:start + mw_worker.GLOBAL_BATCH]
            by = y[start:start + mw_worker.GLOBAL_BATCH]
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(loss_fn(by, model(bx, training=True)),
                                                  global_batch_size=mw_worker.GLOBAL_BATCH)
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            losses.append(float(loss))
    for got, want in zip(_weights(w0), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w0["loss"], losses, rtol=1e-5)   # strategy.reduce(SUM)


def test_dead_worker_fails_the_other_fast_with_its_name(clusters):
    procs, outs, _ = clusters["die"]
    assert procs[0].wait(timeout=60) == 0, procs[0].stderr.read().decode()[-3000:]
    assert procs[1].wait(timeout=60) == 3          # worker 1 exited after one step
    result = dict(np.load(outs[0]))
    assert str(result["error"]) == "UnavailableError"
    assert "worker 1" in str(result["message"]) and "closed" in str(result["message"])
    assert float(result["seconds"]) < 30        # the closed socket, not the 60 s timeout


def test_hung_worker_times_out_with_its_name(clusters):
    procs, outs, _ = clusters["hang"]
    assert procs[0].wait(timeout=60) == 0, procs[0].stderr.read().decode()[-3000:]
    procs[1].kill()                             # still asleep in its callback
    result = dict(np.load(outs[0]))
    assert str(result["error"]) == "DeadlineExceededError"
    assert "worker 1" in str(result["message"]) and "2 s" in str(result["message"])
    assert 1.5 < float(result["seconds"]) < 30
