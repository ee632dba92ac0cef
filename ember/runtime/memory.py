"""Memory the kernels allocate: opt-in heap tuning for NumPy buffers, and reusable
scratch space.

NumPy takes every array buffer from the C library's ``malloc``. With glibc's defaults a
buffer of more than 128 KiB (a threshold that creeps up to the largest buffer freed so far)
is mapped fresh from the kernel and unmapped when freed, and free memory at the top of the
heap is handed back as soon as it passes a few MiB. A training step allocates and frees the
same large activations and gradients every time, so each step faults in and zeroes all of
them again. Heap tuning (``ember.config.runtime.set_heap_tuning(True)``, or the
environment variable ``EMBER_MALLOC=tuned`` read when ember is imported) tells glibc to
serve buffers up to 32 MiB from the heap and to keep freed heap memory for reuse; on a
Keras MLP step this removes about a thousand page faults and a quarter of the time. The
process then keeps its peak heap size instead of shrinking after it, as TensorFlow's own
allocator does. It changes the allocator of the whole process, so ember never does it
unasked. The two thresholds are ``tuning.MMAP_THRESHOLD`` and ``tuning.TRIM_THRESHOLD``.
Nothing happens on systems without glibc, or with ``EMBER_PLATFORM_PATHS=off``.

``thread_cache`` keeps buffers a kernel reuses call after call (the convolutions' padded
images and patch matrices) per thread. A ``Recycler`` hands a kernel's large output arrays
out again once nothing references them, so a training step's big results land in memory
that is already mapped, whatever glibc does (the recurrent ops and segment sums use one).
"""
from __future__ import annotations

import math
import os
import sys
import threading
import weakref

import numpy as np

from ember.runtime import tuning

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_GLIBC_DEFAULT = 128 << 10       # both thresholds' defaults

_tuned = False


def _setting(name):
    return os.environ.get(name, "").strip().lower()


def platform_paths_off() -> bool:
    """True when ``EMBER_PLATFORM_PATHS=off``: ember then uses none of its glibc/x86-64
    specific paths (heap tuning, spinning threads, BLAS thread control), as on systems
    without them."""
    return _setting("EMBER_PLATFORM_PATHS") in ("off", "0", "no", "false")


def _mallopt():
    if platform_paths_off() or not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version        # glibc only: musl ignores mallopt's settings
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt


def set_heap_tuning(enabled: bool) -> bool:
    """Applies the heap settings above (``enabled``) or glibc's default thresholds again
    (glibc's own creeping of the mmap threshold stays off once set). Returns whether the
    tuning is in effect afterwards."""
    global _tuned
    mallopt = _mallopt()
    if mallopt is None:
        _tuned = False
        return False
    mmap_at, trim_at = (tuning.MMAP_THRESHOLD, tuning.TRIM_THRESHOLD) if enabled else \
        (_GLIBC_DEFAULT, _GLIBC_DEFAULT)
    done = bool(mallopt(_M_MMAP_THRESHOLD, mmap_at)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, trim_at))
    _tuned = bool(enabled) and done
    return _tuned


def heap_tuning() -> bool:
    """True while the heap settings above are in effect."""
    return _tuned


def tune_from_environment() -> bool:
    """At import: heap tuning when ``EMBER_MALLOC=tuned`` (also ``on``) asks for it;
    nothing otherwise."""
    if _setting("EMBER_MALLOC") in ("tuned", "on", "1", "yes", "true"):
        return set_heap_tuning(True)
    return False


_local = threading.local()
_generation = 0


def thread_cache(name: str) -> dict:
    """This thread's dict for the kernel buffers kept under ``name`` (convolution patch
    buffers), reused by later calls in the same thread; ``release_scratch`` empties every
    thread's. A kernel must not return these buffers to its caller."""
    if getattr(_local, "generation", None) != _generation:
        _local.caches = {}
        _local.generation = _generation
    cache = _local.caches.get(name)
    if cache is None:
        cache = _local.caches[name] = {}
    return cache


def release_scratch():
    """Drops every thread's cached kernel buffers and every ``Recycler``'s arrays
    (``keras.backend.clear_session`` calls this); each thread lets go of its own cached
    buffers the next time it asks for them."""
    global _generation
    _generation += 1
    _local.caches = {}
    _local.generation = _generation
    for r in list(_recyclers):
        r.clear()


def _unshared_count() -> int:
    """What ``sys.getrefcount`` reports, in ``Recycler.empty``'s loop, for an array that only
    the recycler's list holds (measured once, so that it holds whatever the interpreter's
    reference counting details)."""
    arrays = [np.empty(0)]
    for a in arrays:
        return sys.getrefcount(a)
    return 0


_UNSHARED = _unshared_count()


class Recycler:
    """Large buffers a kernel returns, handed out again once nobody holds them.

    A training step makes the same large arrays every step; glibc often maps each one
    afresh (a page fault per 4 KiB touched, and on these VMs several microseconds each:
    2.5 ms of a 5 MiB embedding gradient's 3 ms). ``empty(shape, dtype)`` returns one of
    the arrays it returned before when no one else references it any more (no array,
    view or plan slot: its reference count says so), else a new one; it keeps the last
    ``keep`` arrays it made, and at most ``tuning.RECYCLE_BYTES`` of them (the oldest go
    first; a larger array is not kept). The reuse is decided under a lock, and an array
    someone still holds is never handed out, so results never share memory; buffers below
    ``min_bytes`` are left to NumPy."""

    def __init__(self, keep: int = 4, min_bytes: int = 1 << 20):
        self.keep, self.min_bytes = keep, min_bytes
        self._arrays = []
        self._lock = threading.Lock()
        _recyclers.add(self)

    def empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < self.min_bytes or nbytes > tuning.RECYCLE_BYTES:
            return np.empty(shape, dtype)
        with self._lock:
            for a in self._arrays:
                if a.shape == shape and a.dtype == dtype and \
                        sys.getrefcount(a) <= _UNSHARED:
                    return a
            a = np.empty(shape, dtype)
            self._arrays.append(a)
            kept = sum(b.nbytes for b in self._arrays)
            while len(self._arrays) > self.keep or kept > tuning.RECYCLE_BYTES:
                kept -= self._arrays.pop(0).nbytes
            return a

    def zeros(self, shape, dtype):
        a = self.empty(shape, dtype)
        a.fill(0)
        return a

    def clear(self):
        with self._lock:
            self._arrays = []


_recyclers = weakref.WeakSet()


def empty_aligned(shape, dtype, alignment: int = 64):
    """An uninitialised C-contiguous array whose data starts on an ``alignment``-byte
    boundary (NumPy's large buffers start 16 bytes past one). ``alignment`` 0 gives a plain
    ``np.empty``."""
    if not alignment:
        return np.empty(shape, dtype)
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + alignment, np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def aligned(a, alignment: int = 64):
    """A C-contiguous copy of ``a`` whose data starts on an ``alignment``-byte boundary
    (``a`` itself when it already is one): BLAS kernels that read a small operand in place
    run slower when its rows straddle cache lines."""
    a = np.asarray(a)
    if a.flags.c_contiguous and a.ctypes.data % alignment == 0:
        return a
    out = empty_aligned(a.shape, a.dtype, alignment)
    np.copyto(out, a)
    return out
