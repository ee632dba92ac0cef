"""ember under threads, interrupts and forks: traces in one thread while others run eager
ops, tapes and a compiled model; a compiled model called from several threads at once;
Ctrl-C landing anywhere in threaded kernels; forks while another thread predicts.

Each test runs a few seconds; EMBER_SOAK_SECONDS=10 (or more) makes the concurrent test
and the interrupt test run that long."""
from __future__ import annotations

import faulthandler
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import ember as tf
from ember import keras
from ember.runtime import parallel

SOAK = float(os.environ.get("EMBER_SOAK_SECONDS", "0") or 0)
FORKS = 60 if SOAK else 16


def _conv_model(seed=1):
    tf.random.set_seed(seed)
    model = keras.Sequential([keras.Input((16, 16, 3)),
                              keras.layers.Conv2D(16, 3, padding="same"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Activation("relu"),
                              keras.layers.MaxPooling2D(),
                              keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _dense_model(seed=2):
    tf.random.set_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model


class _Until:
    """Runs ``body(i)`` in a thread until the deadline; keeps the first error."""

    def __init__(self, body, deadline, errors):
        self.count = 0

        def loop():
            try:
                while time.monotonic() < deadline:
                    body(self.count)
                    self.count += 1
            except BaseException as e:        # noqa: BLE001 - reported by the test
                errors.append(e)

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()


def test_a_trace_in_one_thread_while_others_run_eager_ops_tapes_and_a_compiled_model():
    seconds = SOAK or 2.5
    rng = np.random.default_rng(0)
    model = _conv_model()
    images = rng.random((8, 16, 16, 3), dtype=np.float32)
    want_predictions = model.predict(images, verbose=0)
    a = rng.standard_normal((40, 30)).astype(np.float32)
    b = rng.standard_normal((30, 20)).astype(np.float32)
    errors = []
    deadline = time.monotonic() + seconds

    def tracing(i):
        @tf.function
        def f(x, y):
            with tf.name_scope("traced"):
                z = tf.matmul(x, y)
                for _ in range(100):          # a trace long enough to overlap the others
                    z = z * 1.0 + 0.0
                return z * 2.0 + tf.reduce_sum(x)
        x = tf.constant(a + i % 3)
        got = f(x, tf.constant(b)).numpy()
        np.testing.assert_allclose(got, ((a + i % 3) @ b) * 2 + (a + i % 3).sum(),
                                   rtol=1e-4, atol=1e-3)
        assert f.experimental_get_tracing_count() == 1

    def eager(i):
        x = tf.constant(a) + float(i % 5)
        assert isinstance(x, tf.Tensor) and tf.executing_eagerly()
        np.testing.assert_allclose(tf.matmul(x, b).numpy(), (a + i % 5) @ b,
                                   rtol=1e-4, atol=1e-3)

    def tapes(i):
        v = tf.Variable(float(i % 7 + 1))
        with tf.GradientTape() as tape:
            y = v * v
        assert float(tape.gradient(y, v)) == 2.0 * (i % 7 + 1)

    def predicting(i):
        np.testing.assert_array_equal(model.predict(images, verbose=0), want_predictions)

    workers = [_Until(body, deadline, errors) for body in (tracing, eager, tapes, predicting)]
    for w in workers:
        w.thread.join(seconds + 60)
    assert not errors, errors[0]
    assert all(not w.thread.is_alive() for w in workers)
    assert all(w.count > 0 for w in workers), [w.count for w in workers]


@pytest.mark.parametrize("make_model", [_conv_model, _dense_model])
def test_a_compiled_model_called_from_several_threads_gives_the_results_of_one(make_model):
    model = make_model()
    shape = model.inputs[0].shape[1:]
    rng = np.random.default_rng(3)
    batches = [rng.random((16,) + tuple(shape), dtype=np.float32) for _ in range(4)]
    want = [model.predict(x, verbose=0) for x in batches]
    want_calls = [model(x).numpy() for x in batches]
    errors = []

    def body(k):
        try:
            for _ in range(8):
                np.testing.assert_array_equal(model.predict(batches[k], verbose=0), want[k])
                np.testing.assert_array_equal(model(batches[k]).numpy(), want_calls[k])
        except BaseException as e:         # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=body, args=(k,), daemon=True) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[0]


def test_gradient_tapes_in_two_threads_each_see_only_their_own_ops():
    errors = []
    start = threading.Barrier(2)

    def body(scale):
        try:
            start.wait()
            for i in range(300):
                v = tf.Variable(float(i + 1))
                with tf.GradientTape() as tape:
                    y = v * v * scale
                g = tape.gradient(y, v)
                assert g is not None and float(g) == 2.0 * (i + 1) * scale
        except BaseException as e:         # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=body, args=(s,)) for s in (1.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]


def test_a_graph_built_in_one_thread_is_invisible_to_another():
    inside = threading.Event()
    leave = threading.Event()
    seen = {}

    def build():
        @tf.function
        def f(x):
            inside.set()
            leave.wait(10)
            return x + 1.0
        seen["traced"] = float(f(tf.constant(1.0)))

    t = threading.Thread(target=build)
    t.start()
    assert inside.wait(10)
    try:
        seen["eager"] = tf.executing_eagerly()
        seen["value"] = float(tf.constant(2.0) * 3.0)
    finally:
        leave.set()
        t.join(10)
    assert seen == {"traced": 2.0, "eager": True, "value": 6.0}


# ---------------------------------------------------------------- KeyboardInterrupt ---

def _worker_threads():
    return {t for t in threading.enumerate() if t.name == "ember-worker"}


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill")
def test_repeated_ctrl_c_during_threaded_kernels_leaves_results_right():
    """SIGINT sent to the main thread at random moments while it runs convolutions big
    enough for ember's worker threads (eagerly and in a compiled function): each lands as
    a KeyboardInterrupt, and every later result is the one computed before."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are handled by the main thread")
    saved_threads = parallel.requested_threads()
    parallel.set_num_threads(2)
    rng = np.random.default_rng(5)
    x = tf.constant(rng.standard_normal((64, 24, 24, 16)).astype(np.float32))
    w = tf.constant(rng.standard_normal((3, 3, 16, 32)).astype(np.float32))

    @tf.function
    def compiled(x, w):
        y = tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME"))
        return tf.nn.conv2d(y, tf.transpose(w[:, :, :16, :16], [0, 1, 3, 2]) * 0.1, 1,
                            "SAME")

    want_eager = tf.nn.conv2d(x, w, 1, "SAME").numpy()
    want_compiled = compiled(x, w).numpy()
    workers_before = _worker_threads()
    armed = [False]
    landed = [0]

    def on_sigint(signum, frame):
        if armed[0]:          # as often as it comes, until the test's except clause
            landed[0] += 1
            raise KeyboardInterrupt
    previous = signal.signal(signal.SIGINT, on_sigint)
    faulthandler.dump_traceback_later(120, exit=True)       # a hang fails, loudly
    stop = threading.Event()
    main = threading.main_thread().ident

    def interrupter():
        r = random.Random(7)
        while not stop.is_set():
            time.sleep(r.uniform(0.0005, 0.01))
            signal.pthread_kill(main, signal.SIGINT)

    sender = threading.Thread(target=interrupter, daemon=True)
    deadline = time.monotonic() + (SOAK or 2.0)
    runs = 0
    try:
        sender.start()
        while time.monotonic() < deadline or landed[0] < 20:
            try:
                armed[0] = True
                if runs % 2:
                    compiled(x, w)
                else:
                    tf.nn.conv2d(x, w, 1, "SAME")
                armed[0] = False
            except KeyboardInterrupt:
                armed[0] = False
            runs += 1
        stop.set()
        sender.join(10)
        armed[0] = False
        time.sleep(0.05)         # signals still pending reach the (disarmed) handler
        for _ in range(3):
            np.testing.assert_array_equal(tf.nn.conv2d(x, w, 1, "SAME").numpy(), want_eager)
            np.testing.assert_array_equal(compiled(x, w).numpy(), want_compiled)
    finally:
        stop.set()
        armed[0] = False
        if sender.is_alive():
            sender.join(10)
        time.sleep(0.05)
        signal.signal(signal.SIGINT, previous)
        faulthandler.cancel_dump_traceback_later()
        parallel.set_num_threads(saved_threads)
    assert landed[0] >= 20
    # workers of interrupted hand-offs ended; at most a pool's worth made since
    assert len(_worker_threads() - workers_before) <= 1      # two threads: one worker


# ---------------------------------------------------------------------------- fork ---

FORK_SCENARIO = """
import os, random, signal, sys, threading, time
import numpy as np
import ember as tf
from tests.engine.test_thread_safety import _conv_model
forks = int(sys.argv[1])
model = _conv_model()
rng = np.random.default_rng(9)
images = rng.random((64, 16, 16, 3), dtype=np.float32)
small = images[:4]
want_small = model.predict(small, verbose=0)
a = tf.constant(rng.standard_normal((64, 256)).astype(np.float32))
b = tf.constant(rng.standard_normal((256, 256)).astype(np.float32))
stop = threading.Event()
errors = []

def predicting():
    try:
        while not stop.is_set():
            model.predict(images, verbose=0)
            for _ in range(20):        # products that hold BLAS to one thread
                tf.matmul(a, b)
    except BaseException as e:
        errors.append(repr(e))

t = threading.Thread(target=predicting, daemon=True)
t.start()
statuses = []
r = random.Random(11)
for _ in range(forks):
    time.sleep(r.uniform(0.001, 0.02))
    pid = os.fork()
    if pid == 0:                                  # the child: an op, then exit
        code = 3
        try:
            ok = np.allclose(model.predict(small, verbose=0), want_small, rtol=1e-5,
                             atol=1e-5)
            y = tf.nn.conv2d(tf.constant(images[:8]), tf.ones((3, 3, 3, 4)), 1, "SAME")
            code = 0 if ok and y.shape == (8, 16, 16, 4) else 4
        finally:
            os._exit(code)
    end = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            statuses.append(os.waitstatus_to_exitcode(status))
            break
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            statuses.append("hung")
            break
        time.sleep(0.01)
stop.set()
t.join(60)
print(statuses, errors, flush=True)
os._exit(0)
"""


def _blas_under_control():
    from ember.config import runtime
    return runtime.get_blas_thread_control()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.skipif(not _blas_under_control(), reason=(
    "BLAS thread control is off (EMBER_PLATFORM_PATHS=off or no controllable BLAS): "
    "OpenBLAS's own fork handler may then block fork() while another thread is inside "
    "a threaded product, which ember cannot prevent (docs/architecture.md, Thread safety)"))
def test_forks_while_another_thread_predicts_never_hang():
    """Forks while another thread predicts: each child predicts and convolves, and exits.
    Run in a process of its own: with BLAS thread control off, OpenBLAS's own fork
    handler can leave its thread pool unusable in the parent when another thread was in a
    threaded product at the fork (ember's products never use that pool while it controls
    BLAS), which would hang later tests of this process."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", FORK_SCENARIO, str(FORKS)], env=env,
                         capture_output=True, text=True, timeout=300, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{[0] * FORKS} []", out.stdout + out.stderr


# ------------------------------------------------------------------------ numerics ---

def test_matmul_bits_are_the_same_before_and_after_convolutions_ran():
    """In a fresh process: the same eager products (2-D and batched) before any
    convolution and after some (a kernel's result depends on its inputs, dtype and thread
    count only)."""
    code = textwrap.dedent("""
        import numpy as np, ember as tf
        rng = np.random.default_rng(0)
        a = tf.constant(rng.standard_normal((3000, 700)).astype(np.float32))
        b = tf.constant(rng.standard_normal((700, 900)).astype(np.float32))
        c = tf.constant(rng.standard_normal((6, 300, 400)).astype(np.float32))
        d = tf.constant(rng.standard_normal((6, 400, 350)).astype(np.float32))
        first = tf.matmul(a, b).numpy()
        first_batched = tf.matmul(c, d).numpy()
        x = tf.constant(rng.standard_normal((64, 28, 28, 8)).astype(np.float32))
        tf.nn.conv2d(x, tf.ones((3, 3, 8, 32)), 1, "SAME")
        tf.keras.layers.BatchNormalization()(x, training=True)
        second = tf.matmul(a, b).numpy()
        second_batched = tf.matmul(c, d).numpy()
        equal = np.array_equal(first, second) and np.array_equal(first_batched,
                                                                 second_batched)
        diff = max(np.abs(first - second).max(), np.abs(first_batched - second_batched).max())
        print(int(equal), float(diff))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    equal, diff = out.stdout.split()
    assert equal == "1", f"max |difference| {diff}"
