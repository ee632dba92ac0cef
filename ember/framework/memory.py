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

``scratch`` hands kernels reusable temporaries for the buffers above 32 MiB (convolution
patch matrices), which glibc always maps fresh.
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


def scratch(slot, shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype`` for a kernel's temporary use.

    The buffer behind ``slot`` (a string naming the use) is kept per thread and handed out
    again by the next call with the same slot, so the array must not outlive the kernel
    that asked for it and must never be returned to a caller. Buffers below the heap
    threshold come straight from NumPy."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MMAP_THRESHOLD:
        return np.empty(shape, dtype)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    buf = pool.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = pool[slot] = np.empty(nbytes, np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def release_scratch():
    """Frees this thread's scratch buffers (``keras.backend.clear_session`` calls this)."""
    _local.pool = {}
