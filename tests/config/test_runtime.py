"""ember.config.runtime: the kernel runtime's process-wide switches change speed, never
results, and importing ember switches nothing on."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember as tf
from ember.runtime import parallel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _conv_and_product():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 12, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 8, 16)).astype(np.float32)
    a = rng.standard_normal((600, 300)).astype(np.float32)
    b = rng.standard_normal((300, 200)).astype(np.float32)
    return (tf.nn.conv2d(x, w, 1, "SAME").numpy(), tf.matmul(a, b).numpy(),
            _reference_conv(x, w), a.astype(np.float64) @ b)


def _reference_conv(x, w):
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros(x.shape[:3] + (w.shape[3],))
    for i in range(3):
        for j in range(3):
            out += xp[:, i:i + x.shape[1], j:j + x.shape[2], :] @ w[i, j]
    return out


def _check(conv, prod, want_conv, want_prod):
    np.testing.assert_allclose(conv, want_conv, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(prod, want_prod, rtol=1e-4, atol=1e-3)


def test_spinning_off_and_on():
    available = tf.config.runtime.get_spinning()
    saved_threads = parallel.requested_threads()
    try:
        tf.config.runtime.set_spinning(False)
        assert tf.config.runtime.get_spinning() is False
        with parallel.spinning():
            parallel.set_num_threads(2)
            assert parallel.run(lambda lo, hi: hi, parallel.split(4, 1, 1)) == [2, 4]
            assert not any(w.spins for w in parallel._workers)
        _check(*_conv_and_product())
    finally:
        tf.config.runtime.set_spinning(True)
        parallel.set_num_threads(saved_threads)
    assert tf.config.runtime.get_spinning() is available


def test_blas_thread_control_off_and_on():
    controllable = tf.config.runtime.get_blas_thread_control()
    try:
        tf.config.runtime.set_blas_thread_control(False)
        assert tf.config.runtime.get_blas_thread_control() is False
        _check(*_conv_and_product())
    finally:
        tf.config.runtime.set_blas_thread_control(True)
    assert tf.config.runtime.get_blas_thread_control() is controllable


def test_blas_thread_control_cannot_change_while_a_kernel_holds_blas():
    if not parallel.blas_controllable():
        pytest.skip("NumPy's BLAS cannot be controlled here")
    with parallel.single_threaded_blas():
        with pytest.raises(RuntimeError, match="set_blas_control"):
            tf.config.runtime.set_blas_thread_control(False)
    assert parallel.blas_controllable()


def test_the_platform_paths_off_and_import_changes_nothing():
    code = textwrap.dedent("""
        import ember as tf
        from ember.runtime import parallel
        rt = tf.config.runtime
        print(rt.platform_paths_enabled(), rt.get_heap_tuning(), rt.get_spinning(),
              rt.get_blas_thread_control(), parallel.small_gemm_macs())
    """)
    env = dict(os.environ, PYTHONPATH=ROOT, EMBER_PLATFORM_PATHS="off")
    env.pop("EMBER_MALLOC", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False", "False", "0"]
    env.pop("EMBER_PLATFORM_PATHS")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split()[:2] == ["True", "False"]       # no heap tuning at import
