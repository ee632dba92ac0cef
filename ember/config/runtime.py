"""ember.config.runtime: the process-wide settings of ember's kernel runtime, in one place.

Importing ember changes nothing in the host process; these calls (and the environment
variables beside them, read when ember first needs them) are the only switches:

====================  ======================================  ============================
setting               call                                    environment (at start-up)
====================  ======================================  ============================
kernel threads        ``ember.config.threading``              ``OMP_NUM_THREADS``
heap tuning (glibc)   ``set_heap_tuning`` (off by default)    ``EMBER_MALLOC=tuned``
spinning workers      ``set_spinning`` (on where available)   ``EMBER_SPIN=off``
BLAS thread control   ``set_blas_thread_control`` (on)        ``EMBER_BLAS_THREADS=off``
all three above       --                                      ``EMBER_PLATFORM_PATHS=off``
====================  ======================================  ============================

Heap tuning, spinning and BLAS thread control are the glibc / x86-64 specific paths:
``EMBER_PLATFORM_PATHS=off`` turns them all off, as they are on macOS or Windows (the
test suite passes either way). None of them changes a result, only speed.
"""
from __future__ import annotations

from ember.runtime import memory, parallel

__all__ = ["get_heap_tuning", "set_heap_tuning", "get_spinning", "set_spinning",
           "get_blas_thread_control", "set_blas_thread_control", "platform_paths_enabled"]


def set_heap_tuning(enabled: bool) -> bool:
    """Asks glibc to serve buffers up to 32 MiB from the heap and keep freed memory for
    reuse (``True``), or restores its default thresholds (``False``). This is the
    allocator of the whole process: training steps that allocate the same large buffers
    every time stop faulting them in anew, and the process keeps its peak heap. Returns
    whether the tuning is in effect (never on systems without glibc)."""
    return memory.set_heap_tuning(bool(enabled))


def get_heap_tuning() -> bool:
    """True while heap tuning is in effect."""
    return memory.heap_tuning()


def set_spinning(enabled: bool) -> None:
    """On a 2-thread machine, lets ember's worker wait for its next share spinning (in C,
    without the GIL) while a compiled plan with threaded kernels runs; it sleeps again
    when the plan ends. Off: it always waits asleep."""
    parallel.set_spinning(bool(enabled))


def get_spinning() -> bool:
    """True when workers may spin (Linux, glibc, x86-64, and not switched off)."""
    return parallel.spinning_available()


def set_blas_thread_control(enabled: bool) -> None:
    """Lets ember hold NumPy's BLAS library (OpenBLAS, MKL, BLIS) to one thread around its
    own matrix products and threaded kernels (the default where it finds the library).
    Off: BLAS keeps its thread count; kernels that split products across ember's threads
    then make them in the calling thread."""
    parallel.set_blas_control(bool(enabled))


def get_blas_thread_control() -> bool:
    """True when ember controls BLAS's thread count."""
    return parallel.blas_controllable()


def platform_paths_enabled() -> bool:
    """False when ``EMBER_PLATFORM_PATHS=off`` turned the platform-specific paths off."""
    return not memory.platform_paths_off()
