"""ember.runtime.memory: heap settings and kernel scratch buffers."""
import os
import platform
import subprocess
import sys
import threading

import numpy as np
import pytest

from ember.runtime import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = r"""
import resource, sys, numpy as np
import ember
if sys.argv[1:] == ["enable"]:
    ember.config.runtime.set_heap_tuning(True)
print(ember.config.runtime.get_heap_tuning())
def step():
    bufs = [np.ones(1 << 19, np.float32) for _ in range(6)]   # 2 MiB each
    return sum(float(b[0]) for b in bufs)
step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
"""


def _probe(env_value, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("EMBER_MALLOC", None)
    env.pop("EMBER_PLATFORM_PATHS", None)
    if env_value is not None:
        env["EMBER_MALLOC"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not GLIBC, reason="heap settings apply to glibc only")
def test_import_leaves_the_c_library_alone():
    tuned, faults = _probe(None)
    assert not tuned
    assert faults > 1000          # glibc's defaults: each buffer mapped and zeroed again


@pytest.mark.skipif(not GLIBC, reason="heap settings apply to glibc only")
@pytest.mark.parametrize("how", ["environment", "config"])
def test_heap_tuning_on_request_keeps_freed_buffers_for_reuse(how):
    tuned, faults = _probe("tuned") if how == "environment" else _probe(None, "enable")
    assert tuned
    # 20 steps of six fresh 2 MiB buffers: served from the kept heap, not faulted in anew
    assert faults < 100


def test_heap_tuning_is_off_with_the_platform_paths_off(monkeypatch):
    monkeypatch.setenv("EMBER_PLATFORM_PATHS", "off")
    assert memory.set_heap_tuning(True) is False
    assert memory.heap_tuning() is False


def test_thread_cache_is_kept_per_thread_and_name():
    a = memory.thread_cache("test.a")
    a["k"] = 1
    assert memory.thread_cache("test.a") is a
    assert memory.thread_cache("test.b") is not a
    seen = []
    t = threading.Thread(target=lambda: seen.append(memory.thread_cache("test.a")))
    t.start()
    t.join()
    assert seen[0] is not a and "k" not in seen[0]
    memory.release_scratch()


def test_release_scratch_empties_every_threads_cache():
    import queue
    requests, answers = queue.Queue(), queue.Queue()

    def worker():
        while True:
            if requests.get() is None:
                return
            cache = memory.thread_cache("test.w")
            answers.put(dict(cache))
            cache["k"] = "kept"

    t = threading.Thread(target=worker)
    t.start()
    try:
        requests.put(1)
        assert answers.get(timeout=10) == {}
        requests.put(1)
        assert answers.get(timeout=10) == {"k": "kept"}      # kept between calls
        memory.thread_cache("test.w")["k"] = "main"
        memory.release_scratch()                              # from another thread
        assert memory.thread_cache("test.w") == {}
        requests.put(1)
        assert answers.get(timeout=10) == {}                  # the worker's went too
    finally:
        requests.put(None)
        t.join()


def test_convolution_buffers_are_released_by_clear_session():
    import ember
    from ember.keras import backend
    x = ember.ones([2, 6, 6, 3])
    ember.nn.conv2d(x, ember.ones([3, 3, 3, 4]), 1, "SAME")
    assert memory.thread_cache("conv.patches")
    backend.clear_session(free_memory=True)
    assert not memory.thread_cache("conv.patches")


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


def test_convolution_buffers_are_bounded_least_recently_used_first(monkeypatch):
    import ember
    from ember.runtime import tuning
    memory.release_scratch()
    w = ember.ones([3, 3, 2, 2])
    ember.nn.conv2d(ember.ones([1, 8, 8, 2]), w, 1, "SAME")
    one = sum(p.nbytes for p in memory.thread_cache("conv.patches").values())
    monkeypatch.setattr(tuning, "CONV_CACHE_BYTES", 2 * one + one // 2)
    for size in (8, 9, 10, 8):             # three geometries, then the first again
        y = ember.nn.conv2d(ember.ones([1, size, size, 2]), w, 1, "SAME")
        np.testing.assert_allclose(y.numpy()[0, 1, 1], 18.0)
    cache = memory.thread_cache("conv.patches")
    assert sum(p.nbytes for p in cache.values()) <= tuning.CONV_CACHE_BYTES
    sizes = [key[0][0] for key in cache]
    assert sizes[-1] == 8 and 9 not in sizes             # the oldest went first
    memory.release_scratch()


def test_recycler_hands_back_only_arrays_nobody_holds():
    r = memory.Recycler(keep=3, min_bytes=0)
    a = r.empty((64, 32), np.float32)
    address = a.ctypes.data
    b = r.empty((64, 32), np.float32)          # a is held: a new array
    assert b.ctypes.data != address
    view = a[3:]
    del a
    c = r.empty((64, 32), np.float32)          # a's view still holds it
    assert c.ctypes.data not in (address, b.ctypes.data)
    del view
    d = r.zeros((64, 32), np.float32)          # now free: reused, and zeroed
    assert d.ctypes.data == address
    assert not d.any()
    e = r.empty((64, 32), np.float64)          # another dtype never shares
    assert e.dtype == np.float64 and e.ctypes.data not in (b.ctypes.data, d.ctypes.data)


def test_recycler_leaves_small_arrays_to_numpy_and_forgets_on_release():
    r = memory.Recycler(min_bytes=1 << 20)
    small = r.empty(10, np.float32)
    del small
    assert r._arrays == []
    big = r.empty(1 << 19, np.float32)
    del big
    assert len(r._arrays) == 1
    memory.release_scratch()
    assert r._arrays == []


def test_recycler_under_threads_never_hands_one_array_to_two_holders():
    import threading
    r = memory.Recycler(keep=8, min_bytes=0)
    held, clash = [], []

    def work():
        mark = threading.get_ident() % 1000
        for k in range(300):
            a = r.empty((16, 16), np.float32)
            a.fill(mark)
            if (a != mark).any():           # another thread wrote into the same array
                clash.append(1)
            if k < 2:
                held.append(a)              # a few stay held: never handed out again
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not clash
    assert len({a.ctypes.data for a in held}) == len(held)


def test_recycler_keeps_at_most_its_byte_budget(monkeypatch):
    from ember.runtime import tuning
    monkeypatch.setattr(tuning, "RECYCLE_BYTES", 3000)
    r = memory.Recycler(keep=10, min_bytes=0)
    arrays = [r.empty(256, np.float32) for _ in range(4)]      # 1 KiB each
    assert sum(a.nbytes for a in r._arrays) <= 3000 and len(r._arrays) == 2
    big = r.empty(1000, np.float32)                            # over the budget alone
    assert all(a is not big for a in r._arrays)
    del arrays, big
