"""Memory the kernels allocate: heap reuse for NumPy buffers and reusable scratch space.

NumPy takes every array buffer from the C library's ``malloc``. With glibc's defaults a
buffer of more than 128 KiB (a threshold that creeps up to the largest buffer freed so far)
is mapped fresh from the kernel and unmapped when freed, and free memory at the top of the
heap is handed back as soon as it passes a few MiB. A training step allocates and frees the
same large activations and gradients every time, so each step would fault in and zero all
of them again. ``tune_malloc`` (run when ember is imported) tells glibc to serve buffers
up to 32 MiB from the heap and to keep freed heap memory for reuse; on a Keras MLP step this
removes about a thousand page faults and a quarter of the time. The process keeps its peak
heap size instead of shrinking after it, as TensorFlow's own allocator does.

Set the environment variable ``EMBER_MALLOC=system`` before importing ember to leave the C
library's settings alone. Nothing happens on systems without glibc.

``thread_cache`` keeps buffers a kernel reuses call after call (the convolutions' padded
images and patch matrices) per thread.
"""
from __future__ import annotations

import math
import os
import sys
import threading

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20        # glibc's upper limit for this setting on 64-bit systems
TRIM_THRESHOLD = 1 << 30

_tuned = None


def tune_malloc() -> bool:
    """Applies the heap settings above once; True when they are in effect."""
    global _tuned
    if _tuned is not None:
        return _tuned
    _tuned = False
    if os.environ.get("EMBER_MALLOC", "").strip().lower() in ("system", "0", "off", "no"):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version        # glibc only: musl ignores mallopt's settings
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _tuned


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
    """Drops every thread's cached kernel buffers (``keras.backend.clear_session`` calls
    this); each thread lets go of its own the next time it asks for them."""
    global _generation
    _generation += 1
    _local.caches = {}
    _local.generation = _generation


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
