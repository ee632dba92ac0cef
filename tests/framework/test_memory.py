"""ember.framework.memory: heap settings and kernel scratch buffers."""
import os
import platform
import subprocess
import sys
import threading

import numpy as np
import pytest

from ember.framework import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r"""
import resource, numpy as np
import ember
from ember.framework import memory
print(memory.tune_malloc())
def step():
    bufs = [np.ones(1 << 19, np.float32) for _ in range(6)]   # 2 MiB each
    return sum(float(b[0]) for b in bufs)
step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
"""


def _probe(env_value):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("EMBER_MALLOC", None)
    if env_value is not None:
        env["EMBER_MALLOC"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not GLIBC, reason="heap settings apply to glibc only")
def test_import_keeps_freed_buffers_for_reuse():
    tuned, faults = _probe(None)
    assert tuned
    # 20 steps of six fresh 2 MiB buffers: served from the kept heap, not faulted in anew
    assert faults < 100


@pytest.mark.skipif(not GLIBC, reason="heap settings apply to glibc only")
def test_environment_variable_leaves_the_c_library_alone():
    tuned, faults = _probe("system")
    assert not tuned
    assert faults > 1000          # glibc's defaults: each buffer mapped and zeroed again


def test_scratch_reuses_one_buffer_per_slot():
    n = memory.MMAP_THRESHOLD // 4 + 16
    a = memory.scratch("test.a", (n,), np.float32)
    a[:3] = [1, 2, 3]
    b = memory.scratch("test.a", (n // 2, 2), np.float32)
    assert np.shares_memory(a, b) and b.shape == (n // 2, 2) and b.dtype == np.float32
    c = memory.scratch("test.b", (n,), np.float32)
    assert not np.shares_memory(a, c)
    d = memory.scratch("test.a", (n + 100,), np.float64)    # larger: a new buffer
    assert d.shape == (n + 100,) and d.dtype == np.float64 and not np.shares_memory(a, d)
    memory.release_scratch()
    e = memory.scratch("test.a", (n,), np.float32)
    assert not np.shares_memory(d, e)
    memory.release_scratch()


def test_small_scratch_is_a_fresh_array():
    a = memory.scratch("test.small", (10, 10), np.float32)
    b = memory.scratch("test.small", (10, 10), np.float32)
    assert a.shape == (10, 10) and not np.shares_memory(a, b)


def test_scratch_is_per_thread():
    n = memory.MMAP_THRESHOLD // 4 + 16
    main = memory.scratch("test.t", (n,), np.float32)
    seen = []
    t = threading.Thread(target=lambda: seen.append(memory.scratch("test.t", (n,),
                                                                   np.float32)))
    t.start()
    t.join()
    assert not np.shares_memory(main, seen[0])
    memory.release_scratch()


def test_convolution_on_scratch_matches_direct_sum():
    import ember
    rng = np.random.default_rng(0)
    # a patch matrix above the scratch threshold: 16*64*64 positions x 3*3*32 taps
    x = rng.standard_normal((16, 64, 64, 32)).astype(np.float32)
    w = rng.standard_normal((3, 3, 32, 8)).astype(np.float32)
    y1 = ember.nn.conv2d(x, w, 1, "SAME").numpy()
    y2 = ember.nn.conv2d(x[:, ::-1], w, 1, "SAME").numpy()     # reuses the buffer
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ref = sum(np.einsum("nhwc,co->nhwo", xp[:, i:i + 64, j:j + 64], w[i, j])
              for i in range(3) for j in range(3))
    np.testing.assert_allclose(y1, ref, rtol=1e-4, atol=1e-3)
    xr = np.pad(x[:, ::-1], ((0, 0), (1, 1), (1, 1), (0, 0)))
    ref2 = sum(np.einsum("nhwc,co->nhwo", xr[:, i:i + 64, j:j + 64], w[i, j])
               for i in range(3) for j in range(3))
    np.testing.assert_allclose(y2, ref2, rtol=1e-4, atol=1e-3)
