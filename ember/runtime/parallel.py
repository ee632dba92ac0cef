"""Intra-op parallelism: ember's worker threads, and the BLAS library's own threads.

NumPy runs every ufunc, copy and reduction on one core. Its BLAS runs a large matrix
product on all cores, but loses much of that on the skinny products convolutions make, and
its threads keep spinning for a while after each product, slowing whatever runs next. So
ember's heavy kernels split their work themselves into cache-sized items (groups of images,
blocks of rows) that the threads take one after another (``map_items``, ``for_blocks``;
``run`` runs one function per share on several threads). Each thread runs NumPy on its item
(NumPy releases the GIL inside its loops), and while items do matrix products the BLAS
library is held to one thread (``single_threaded_blas``), so the two kinds of threads never
compete for the cores. ember finds NumPy's OpenBLAS, MKL or BLIS among the loaded libraries
through ctypes; ``EMBER_BLAS_THREADS=off`` leaves BLAS alone (threaded kernels then do
their matrix products in the calling thread). While a compiled plan runs, a 2-thread
machine's worker waits for its next share spinning rather than asleep (``spinning``;
``EMBER_SPIN=off`` keeps it asleep).

Results do not depend on timing: an item always covers the same data, whichever thread
runs it, and partial results are combined in item order. They can differ in the last bits
between different thread counts when shares are cut per thread (``split``).

A KeyboardInterrupt (or any exception) that interrupts the hand-off between the caller and
a worker ends that worker once its share is done (``_retire``) before it propagates, and a
region, BLAS hold or worker left behind by an interrupted call is taken back by the next
one; a forked child starts with fresh workers and locks (``_reset_after_fork``).

The number of threads is the number of cores this process may run on, capped by
``OMP_NUM_THREADS`` when that is set, or what ``set_num_threads`` (also
``ember.config.threading.set_intra_op_parallelism_threads``) sets. With one thread every
kernel runs in the calling thread.
"""
from __future__ import annotations

import ctypes
import glob
import itertools
import os
import sys
import threading
import time
import weakref

import numpy as np

from ember.runtime import tuning
from ember.runtime.memory import platform_paths_off

__all__ = ["num_threads", "set_num_threads", "requested_threads", "split", "worth_threads",
           "run", "map_items", "for_blocks",
           "blas_controllable", "blas_held", "small_gemm_macs", "single_threaded_blas",
           "spinning", "ForkSafeLock", "set_blas_control", "set_spinning",
           "spinning_available"]

_requested = 0           # 0: the default
_default = None
_local = threading.local()


def _default_threads() -> int:
    """The cores this process may run on, capped by OMP_NUM_THREADS (read once)."""
    global _default
    if _default is not None:
        return _default
    n = _cores()
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        n = min(n, int(env))
    _default = max(1, n)
    return _default


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def num_threads() -> int:
    """The number of threads ember's kernels split their work across."""
    return _requested or _default_threads()


def requested_threads() -> int:
    """The number set by ``set_num_threads`` (0: the default)."""
    return _requested


def set_num_threads(n: int) -> None:
    """Sets that number; 0 restores the default (the cores this process may use)."""
    global _requested
    n = int(n)
    if n < 0:
        raise ValueError(f"set_num_threads: the number of threads must be >= 0, got {n}")
    _requested = n


def split(n: int, work_per_item: int = 1, min_work: int | None = None,
          threads: int | None = None):
    """``range(n)`` as a list of (lo, hi) shares, one per thread, with ``min_work`` units of
    work per share on average (``tuning.MIN_ELEMENTS`` by default; one share when the
    whole is small)."""
    if min_work is None:
        min_work = tuning.MIN_ELEMENTS
    t = num_threads() if threads is None else threads
    if t > 1 and n > 1:
        t = min(t, n, max(1, (n * max(work_per_item, 1)) // max(min_work, 1)))
    if t <= 1 or n <= 1:
        return [(0, n)]
    return [(n * i // t, n * (i + 1) // t) for i in range(t)]


def worth_threads(n: int, work_per_item: int = 1, min_work: int | None = None) -> bool:
    """True when n items of this much work are worth more than one thread (``split``
    would cut them into several shares)."""
    return len(split(n, work_per_item, min_work)) > 1


# ------------------------------------------------------------------------ the workers ---

class _Worker:
    """One daemon thread that runs the tasks it is handed, one at a time. It waits for the
    next task on a lock (asleep), or, when the task before said so, on a spin word
    (``_SpinWords``): then the caller waits for its result the same way."""

    def __init__(self):
        _spawned.append(self)      # first: one an interrupted run() made is found again
        self.thread = None
        self.go = threading.Lock()
        self.go.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        self.task = None
        self.result = None
        self.error = None
        self.sent = 0              # tasks handed over
        self.finished = -1         # the last task that signalled on a spin word
        self.spins = False         # waits for its next task on a spin word
        self.stop = False          # set by _retire: leave the loop at the next wake-up
        self.words = _SpinWords() if _spin_lib() else None
        self.thread = threading.Thread(target=self._loop, name="ember-worker", daemon=True)
        self.thread.start()

    def _loop(self):
        _local.in_worker = True
        lib = _spin_lib()
        r = 0
        spin = False
        settings = None
        while True:
            if spin:
                lib.wait(self.words.go[r & 1])      # spins in C, without the GIL
            else:
                self.go.acquire()
            if self.stop:
                return
            fn, args, err, signal, spin = self.task
            self.task = None
            if fn is not None:
                try:
                    if err != settings:      # the caller's floating-point settings
                        np.seterr(**err)
                        settings = err
                    self.result = fn(*args)
                except BaseException as e:   # handed to the caller, which re-raises it
                    self.result = None
                    self.error = e
            if signal:
                self.finished = r
                self.words.set_done(r, tuning.SPIN_END_US)
            else:
                try:
                    self.done.release()
                except RuntimeError:    # its caller stopped waiting: _retire ends this worker
                    pass
            r += 1

    def post(self, fn, args, err, spin):
        """Hands over ``fn(*args)``; ``spin``: the worker signals its end on a spin word and
        then waits for its next task spinning."""
        r = self.sent
        self.sent += 1
        self.error = None
        if self.words is not None:
            self.words.arm(r)
        self.task = (fn, args, err, spin, spin)
        if self.spins:
            self.words.set_go(r, tuning.SPIN_START_US)
        else:
            self.go.release()
        self.spins = spin
        return r, spin

    def wait(self, r, spin):
        """Waits for task r's end (its result and error are then set)."""
        if not spin:
            self.done.acquire()
        elif self.finished != r:
            _spin_lib().wait(self.words.done[r & 1])

    def park(self):
        """Sends a spinning worker back to waiting asleep."""
        if self.spins:
            r = self.sent
            self.sent += 1
            self.words.arm(r)
            self.task = (None, None, None, True, False)
            self.spins = False
            self.words.set_go(r, 0.0)
            self.wait(r, True)

    def retire(self):
        """Tells the worker to end once its current task (if any) is done, and wakes it
        whichever way it waits."""
        self.stop = True
        words = getattr(self, "words", None)      # (one interrupted while being made)
        if words is not None:
            for word in words._words[:2]:
                word.value = 1
        try:
            self.go.release()
        except (RuntimeError, AttributeError):
            pass


# -------------------------------------------------------------- spinning hand-offs ---
#
# Handing a share to a sleeping thread and waiting asleep for it costs a system call and a
# wake-up each way: on the VMs ember is benchmarked on, about 20 us for the waker and 55 us
# until the woken thread runs, twice per parallel region, and a training step has dozens
# of regions. Inside ``spinning()`` (a compiled plan with threaded kernels) the worker
# waits for its next task spinning in C on a word (libc's pthread_spin_lock through
# ctypes, which lets go of the GIL meanwhile), and the caller waits for a task's end the
# same way. What is left is the GIL: a thread that asks for it while the other holds it
# sleeps until it is let go, and pays that wake-up anyway. So each side lets the other
# reach its next NumPy call (which lets go of the GIL) before asking: a word set to n > 1
# rather than 1 makes pthread_spin_lock count it down to 0 (x86-64 glibc: a pause per
# count) before it returns. The worker starts its share tuning.SPIN_START_US after the task
# is handed over, time the caller spends on its own share's first steps; the caller goes
# on tuning.SPIN_END_US after the worker's signal, time the worker needs to start spinning
# again.
# Results never depend on this timing; only waiting does. Only one worker spins (two
# threads); ``EMBER_SPIN=off`` turns spinning off.

SPIN = True      # the A/B switch of bench/step_ab.py (ember.config.runtime sets spinning)

_spin = None
_spin_owner = threading.local()


class _SpinLib:
    """libc's pthread_spin_lock (``wait``, without the GIL), and how long it takes to count
    a word down by one (``count_ns``)."""

    def __init__(self, libc):
        self.wait = libc.pthread_spin_lock
        self.wait.argtypes = (ctypes.c_void_p,)
        self.wait.restype = ctypes.c_int
        self.count_ns = 1.0

    def counts(self, us):
        """A word's value that keeps ``wait`` counting for about ``us`` microseconds."""
        return max(1, min(int(us * 1000.0 / self.count_ns), 1 << 30))


def _load_spin():
    """The _SpinLib, or () where spin words do not behave as ember uses them: 0 locked,
    1 unlocked, n > 1 counted down to 0."""
    if os.environ.get("EMBER_SPIN", "").strip().lower() in ("off", "0", "no") or \
            platform_paths_off() or not sys.platform.startswith("linux") or \
            os.uname().machine not in ("x86_64", "AMD64"):
        return ()
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return ()
    except (ValueError, OSError, AttributeError):
        return ()
    try:
        libc = ctypes.CDLL(None)
        lib = _SpinLib(libc)
        init = libc.pthread_spin_init
    except (OSError, AttributeError):
        return ()
    init.argtypes = (ctypes.c_void_p, ctypes.c_int)
    init.restype = ctypes.c_int
    word = ctypes.c_int32(0)
    at = ctypes.addressof(word)
    if init(at, 0) != 0 or word.value != 1 or lib.wait(at) != 0 or word.value != 0:
        return ()
    # n > 1 counted down: tried in a thread of its own, which a 1 lets out if it waits
    word.value = 2
    probe = threading.Thread(target=lib.wait, args=(at,), daemon=True)
    probe.start()
    probe.join(1.0)
    counted = not probe.is_alive() and word.value == 0
    if not counted:
        word.value = 1
        probe.join()
        return ()
    n = 4000
    word.value = n
    t = time.perf_counter()
    if lib.wait(at) != 0 or word.value != 0:
        return ()
    lib.count_ns = max((time.perf_counter() - t) * 1e9 / n, 0.5)
    return lib


def _spin_lib():
    global _spin
    if _spin is None:
        _spin = _load_spin()
    return _spin


def set_spinning(enabled: bool) -> None:
    """Lets a 2-thread machine's worker wait for its next share spinning while a compiled
    plan with threaded kernels runs (``enabled``, the default where spin words work), or
    always asleep. Takes effect for regions started afterwards."""
    global _spin
    if not _take_region(wait=60.0):
        raise RuntimeError("set_spinning: a parallel region is running; change this "
                           "setting while ember is idle")
    try:
        _retire(list(_workers))         # workers are made with or without spin words
        _spin = None if enabled else ()
    finally:
        _give_region()


def spinning_available() -> bool:
    """True when compiled plans' workers may spin (see ``set_spinning``)."""
    return bool(_spin_lib())


class _SpinWords:
    """A worker's four spin words, each on a cache line of its own: task r is handed over
    on ``go[r & 1]`` and signals its end on ``done[r & 1]``."""

    def __init__(self):
        self._mem = (ctypes.c_int32 * 96)()
        base = (ctypes.addressof(self._mem) + 63) // 64 * 64
        self.go = [base, base + 64]
        self.done = [base + 128, base + 192]
        self._words = [ctypes.c_int32.from_address(a) for a in self.go + self.done]

    def arm(self, r):
        """Before task r is handed over: the word task r + 1 comes on and the one task r
        signals on are locked (no one touches them now: task r - 1 has ended)."""
        self._words[(r + 1) & 1].value = 0
        self._words[2 + (r & 1)].value = 0

    def set_go(self, r, us):
        self._words[r & 1].value = _spin_lib().counts(us)

    def set_done(self, r, us):
        self._words[2 + (r & 1)].value = _spin_lib().counts(us)


# Spinning pays only while each thread has a core of its own. When other work shares the
# cores (another process training, tests run in parallel), a thread that spins waits for
# one the system has put aside, and a step took twice as long as with sleeping threads
# (two MiniVGG trainings at once on two cores: 300 against 147 ms). Such sharing shows as
# the process's threads being preempted: about 30 times a second while ember has the cores
# to itself, 280 and more when it does not. Above tuning.SPIN_MAX_PREEMPTIONS per second
# of a plan's run, the next tuning.SPIN_BACKOFF_RUNS runs sleep instead, and the one after
# that tries spinning again.

_spin_backoff = 0


def _preemptions():
    """How often this process's threads were preempted so far (Linux: getrusage)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw


class spinning:
    """While a compiled plan runs: ember's worker waits for its next share spinning, and the
    caller waits for shares the same way (see above); on leaving, the worker goes back to
    waiting asleep. Nests; does nothing with more than two threads, where spin words are
    not available, or for a while after the cores were found shared."""

    __slots__ = ("_on", "_start", "_preempted")

    def __enter__(self):
        global _spin_backoff
        # not from inside a parallel region (leaving would wait for the region to end),
        # and only with a core for each thread: a spinning thread must not wait for one
        # that cannot run
        self._on = num_threads() == 2 and not getattr(_local, "in_worker", False) and \
            not _region_busy() and _cores() >= 2 and bool(_spin_lib())
        if self._on and getattr(_spin_owner, "depth", 0) == 0:
            if _spin_backoff > 0:
                _spin_backoff -= 1
                self._on = False
            else:
                self._start, self._preempted = time.perf_counter(), _preemptions()
        if self._on:
            _spin_owner.depth = getattr(_spin_owner, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        global _spin_backoff
        depth = getattr(_spin_owner, "depth", 0)     # 0 in a child forked meanwhile
        if self._on and depth > 0:
            _spin_owner.depth = depth - 1
            if depth == 1:
                elapsed = time.perf_counter() - self._start
                if elapsed >= tuning.SPIN_JUDGED_SECONDS and \
                        (_preemptions() - self._preempted) > \
                        tuning.SPIN_MAX_PREEMPTIONS * elapsed:
                    _spin_backoff = tuning.SPIN_BACKOFF_RUNS
                if any(w.spins for w in _workers):
                    _park_workers()
        return False


def _park_workers(wait: float = 5.0):
    """Sends spinning workers back to sleep, in a region of their own (waiting up to
    ``wait`` seconds for another thread's region to end first)."""
    global _handoff_open
    if not _take_region(wait=wait):
        return    # inside this thread's own region, or another's for long: the next
        #           region, asleep or not, stops the spinning
    try:
        _handoff_open = True
        for w in _workers:
            w.park()
        _handoff_open = False
    finally:
        try:
            if _handoff_open:
                _retire(list(_workers))
        finally:
            _give_region()


_workers = []          # the pool, in the order regions hand shares to them
_spawned = []          # every worker made and not retired (the pool, unless interrupted)

# One parallel region at a time; a region asked for while another runs (another thread's,
# or one nested in a share) runs serially. The region belongs to the thread whose
# (ident, token) ``dict.setdefault`` stored: one C call, so a KeyboardInterrupt cannot
# split taking it from recording who took it, nor giving it back (``dict.pop``) from
# forgetting it. A thread that finds its own ident there is either inside its own region
# (a region asked for from the caller's share: run serially) or was interrupted before it
# gave one back; only then is no ``run`` of the region's on its stack, and it takes the
# region back.
_region = {}
# True from the first task handed to a worker until every task handed over has been
# waited for: a region left with it set (an exception in the hand-off itself, such as a
# KeyboardInterrupt while the caller waited) retires its workers before anything else runs
_handoff_open = False


def _take_region(wait: float = 0.0) -> bool:
    """Takes the region for this thread: True when taken, False when another thread (or
    an enclosing region of this one) holds it; ``wait``: seconds to wait for another
    thread's region to end."""
    me = threading.get_ident()
    mine = (me, object())
    give_up = time.monotonic() + wait
    while True:
        owner = _region.setdefault("owner", mine)
        if owner is not mine and owner[0] == me:
            if _region_on_stack():
                return False                 # nested inside this thread's own region
            _region["owner"] = owner = mine  # left behind by an interrupted call
        if owner is mine:
            if _handoff_open:
                _retire(_workers)            # left open by an interrupted region
            if len(_spawned) != len(_workers):
                _retire([w for w in _spawned if w not in _workers])    # ditto, made
            return True
        if time.monotonic() >= give_up:
            return False
        time.sleep(0.0002)


def _region_on_stack() -> bool:
    """True when a function holding the region is running in this thread (above the one
    asking for it, which called _take_region)."""
    codes = (run.__code__, _park_workers.__code__, set_spinning.__code__)
    frame = sys._getframe(3)
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def _give_region():
    _region.pop("owner", None)


def _region_busy() -> bool:
    return "owner" in _region


def _retire(workers):
    """Ends the workers of a region whose hand-off an exception interrupted: each finishes
    the task it runs, if any, and leaves; new workers take their place on next use. Waits
    for them (a KeyboardInterrupt meanwhile is raised once they are gone), so nothing of
    the interrupted call runs on once the exception propagates."""
    global _handoff_open
    pending = None
    for w in workers:
        w.retire()
    for w in workers:
        while w.thread is not None and w.thread.is_alive():
            try:
                w.thread.join(0.05)
            except BaseException as e:      # noqa: B036 - re-raised below
                pending = pending or e
    for w in workers:
        if w in _workers:
            _workers.remove(w)
        if w in _spawned:
            _spawned.remove(w)
    _handoff_open = False
    if pending is not None:
        raise pending


def park_spinning_workers() -> None:
    """Sends a spinning worker back to sleep before a long stretch of serial work inside a
    plan (a recurrent layer's loop over time), so it does not hold a core meanwhile; the
    plan's next parallel region wakes it as usual."""
    if any(w.spins for w in _workers) and not getattr(_local, "in_worker", False):
        _park_workers(wait=0.0)


def _reset_after_fork():
    """In a forked child only the forking thread exists: every lock, worker and thread
    state of the parent is made afresh (another parent thread may have held any of them
    at the fork), and BLAS gets back the thread count a region in the parent held."""
    global _workers, _region, _blas_depth, _blas_lock, _handoff_open, _spin_backoff
    held = _blas_depth > 0 and bool(_blas)
    _workers = []
    _spawned.clear()
    _region = {}
    _handoff_open = False
    _spin_backoff = 0
    _blas_lock = threading.Lock()
    _blas_depth = 0
    _local.__dict__.clear()
    _spin_owner.__dict__.clear()
    for lock in list(_fork_locks):
        lock._reset()
    if held and _blas_saved != 1:
        try:
            _blas[0](_blas_saved)
        except Exception:       # noqa: BLE001 - BLAS stays on one thread; results are right
            pass


class ForkSafeLock:
    """A reentrant lock that a forked child gets back unlocked (another thread of the
    parent may have held it at the fork); for locks that code running in a child must be
    able to take, such as a traced function's tracing lock."""

    __slots__ = ("_lock", "__weakref__")

    def __init__(self):
        self._lock = threading.RLock()
        _fork_locks.add(self)

    def _reset(self):
        self._lock = threading.RLock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()
        return False


_fork_locks = weakref.WeakSet()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def run(fn, shares, blas: bool = False):
    """``[fn(lo, hi) for lo, hi in shares]``, the shares run by different threads (the first
    by the caller). ``blas=True``: the shares do matrix products, so the BLAS library is
    held to one thread meanwhile; where ember cannot do that, the shares run one after
    another in the caller, with BLAS using its own threads.

    An exception in any share is re-raised once every share has ended. An exception that
    interrupts the hand-off itself (a KeyboardInterrupt while the caller waits) ends the
    workers involved after their current share, so no later call can mistake a share of
    this one for its own."""
    global _handoff_open
    if len(shares) == 1 or getattr(_local, "in_worker", False) or \
            (blas and not blas_controllable()) or not _take_region():
        return _serially(fn, shares, blas)
    used = ()
    try:
        while len(_workers) < len(shares) - 1:
            _workers.append(_Worker())
        used = _workers[:len(shares) - 1]
        if blas:
            _blas_enter()
        try:
            err = np.geterr()
            spin = SPIN and len(used) == 1 and getattr(_spin_owner, "depth", 0) > 0
            _handoff_open = True
            posted = [w.post(fn, share, err, spin) for w, share in zip(used, shares[1:])]
            results = [None] * len(shares)
            try:
                results[0] = fn(*shares[0])
            finally:
                for w, (r, s) in zip(used, posted):
                    w.wait(r, s)
                _handoff_open = False
            for i, w in enumerate(used, 1):
                if w.error is not None:
                    err, w.error = w.error, None
                    raise err
                results[i], w.result = w.result, None
            return results
        finally:
            if blas:
                _blas_exit()
    finally:
        try:
            if _handoff_open:
                _retire(used)
        finally:
            _give_region()


def _serially(fn, shares, blas):
    """The shares one after another in the caller (BLAS on one thread for matrix
    products)."""
    if blas:
        with single_threaded_blas():
            return [fn(lo, hi) for lo, hi in shares]
    return [fn(lo, hi) for lo, hi in shares]


def map_items(fn, n: int, blas: bool = False, threads: int | None = None):
    """``[fn(i) for i in range(n)]``, each thread taking the next item as soon as it is
    free (a thread that starts late or runs slow takes fewer). The result list does not
    depend on which thread ran what."""
    t = min(num_threads() if threads is None else threads, n)
    if t <= 1:
        return _serially(lambda i, _: fn(i), [(i, i + 1) for i in range(n)], blas)
    results = [None] * n
    counter = itertools.count()

    def drain(_lo, _hi):
        for i in counter:             # next() on a count is atomic under the GIL
            if i >= n:
                return
            results[i] = fn(i)

    run(drain, [(0, 0)] * t, blas)
    return results


# --------------------------------------------------------------------------- the BLAS ---

_SET_NAMES = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
              "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
              "MKL_Set_Num_Threads", "bli_thread_set_num_threads")
_GET_NAMES = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
              "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
              "MKL_Get_Max_Threads", "bli_thread_get_num_threads")

_blas = None              # (set, get) once looked up; () when not found
_blas_lock = threading.Lock()
_blas_depth = 0
_blas_saved = 1


def _candidate_libraries():
    """Paths of loaded shared libraries that may be NumPy's BLAS."""
    base = os.path.dirname(np.__file__)
    paths = []
    for pattern in ("../numpy.libs/*", ".dylibs/*", "../numpy/.libs/*"):
        paths.extend(sorted(glob.glob(os.path.join(base, pattern))))
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.rsplit(None, 1)[-1] if "/" in line else ""
                if p.startswith("/") and p not in paths:
                    paths.append(p)
    except OSError:
        pass
    words = ("blas", "mkl_rt", "blis")
    return [p for p in paths if any(w in os.path.basename(p).lower() for w in words)]


def _find_blas():
    if os.environ.get("EMBER_BLAS_THREADS", "").strip().lower() in ("off", "0", "no") or \
            platform_paths_off():
        return ()
    for path in _candidate_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in zip(_SET_NAMES, _GET_NAMES):
            setter = getattr(lib, set_name, None)
            getter = getattr(lib, get_name, None)
            if setter is None or getter is None:
                continue
            setter.argtypes = (ctypes.c_int,)
            setter.restype = None
            getter.argtypes = ()
            getter.restype = ctypes.c_int
            return setter, getter, lib
    return ()


def blas_controllable() -> bool:
    """True when ember can hold NumPy's BLAS library to one thread."""
    global _blas
    if _blas is None:
        with _blas_lock:
            if _blas is None:
                _blas = _find_blas() if sys.platform != "emscripten" else ()
    return bool(_blas)


def _blas_enter():
    global _blas_depth, _blas_saved
    with _blas_lock:
        if _blas_depth == 0:
            _blas_saved = _blas[1]()
            if _blas_saved != 1:
                _blas[0](1)
        _blas_depth += 1


def _blas_exit():
    global _blas_depth
    with _blas_lock:
        _blas_depth -= 1
        if _blas_depth == 0 and _blas_saved != 1:
            _blas[0](_blas_saved)


# OpenBLAS cores whose float32 products of at most tuning.SMALL_GEMM_MACS multiply-adds (M*N*K)
# run in a kernel that reads the operands in place instead of packing them first: on the
# skinny blocks convolutions make (N = 32 or 64 channels) about a third faster
_SMALL_GEMM_CORES = ("skylakex", "cooperlake", "sapphirerapids")
_CORE_NAMES = ("openblas_get_corename", "scipy_openblas_get_corename64_",
               "scipy_openblas_get_corename", "openblas_get_corename64_")
_small_gemm = None


def small_gemm_macs() -> int:
    """The size (M*N*K) up to which NumPy's BLAS multiplies float32 matrices without
    packing them (OpenBLAS on AVX-512 cores), 0 when it has no such kernel or is not
    known; kernels cut large products into a stack of such small ones.
    ``EMBER_SMALL_GEMM=off`` (or ``on``) overrides what the BLAS library reports."""
    global _small_gemm
    if _small_gemm is None:
        limit = 0
        setting = os.environ.get("EMBER_SMALL_GEMM", "").strip().lower()
        if setting in ("off", "0", "no"):
            pass
        elif setting in ("on", "1", "yes"):
            limit = tuning.SMALL_GEMM_MACS
        elif blas_controllable():
            lib = _blas[2]
            for name in _CORE_NAMES:
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.argtypes = ()
                    fn.restype = ctypes.c_char_p
                    core = (fn() or b"").decode("ascii", "replace").lower()
                    limit = tuning.SMALL_GEMM_MACS if core in _SMALL_GEMM_CORES else 0
                    break
        _small_gemm = limit
    return _small_gemm


def set_blas_control(enabled: bool) -> None:
    """Lets ember hold NumPy's BLAS to one thread around its own products (``enabled``,
    the default where it can), or never touch BLAS's thread count (threaded kernels then
    make their products in the calling thread, BLAS using its own threads)."""
    global _blas
    with _blas_lock:
        if _blas_depth:
            raise RuntimeError("set_blas_control: a kernel holds BLAS to one thread right "
                               "now; change this setting while ember is idle")
        _blas = None if enabled else ()


def blas_held() -> bool:
    """True while some thread holds NumPy's BLAS to one thread (inside a compiled plan with
    threaded kernels, or a parallel region doing matrix products)."""
    return _blas_depth > 0


class single_threaded_blas:
    """A context in which NumPy's BLAS uses one thread (nothing happens where ember cannot
    control it); contexts nest, and the outermost restores the previous setting."""

    __slots__ = ("_on",)

    def __enter__(self):
        self._on = blas_controllable()
        if self._on:
            _blas_enter()
        return self

    def __exit__(self, *exc):
        if self._on:
            _blas_exit()
        return False


def for_blocks(fn, n: int, item_bytes: int, blas: bool = False,
               block_bytes: int | None = None, threads: int | None = None):
    """Calls ``fn(s, e)`` over blocks of items ``s:e`` covering ``range(n)``, each block
    holding about ``block_bytes`` (at least one item) so that a kernel's passes over it
    stay in the core's cache; the blocks are shared out across threads (a block is worth
    a thread of its own when it holds ``tuning.MIN_ELEMENTS`` or more, and then there are
    at least as many blocks as threads; ``threads=1`` keeps them in the calling thread;
    ``block_bytes`` is ``tuning.BLOCK_BYTES`` by default). Returns fn's results in block order."""
    per = max(1, (tuning.BLOCK_BYTES if block_bytes is None else block_bytes) //
              max(int(item_bytes), 1))
    if not worth_threads(n, max(int(item_bytes) // 4, 1)):
        threads = 1
    else:       # never fewer blocks than threads (-0.13 ms on a 3 MiB max pool)
        t = min(num_threads() if threads is None else threads, n)
        per = min(per, -(-n // t))
    starts = range(0, n, per)
    return map_items(lambda i: fn(starts[i], min(starts[i] + per, n)), len(starts), blas,
                     threads)
