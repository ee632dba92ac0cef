"""ember.runtime.parallel (work shares, worker threads, BLAS thread control) and
ember.config.threading."""
import contextlib
import itertools
import os
import threading
import time

import numpy as np
import pytest

import ember as tf
from ember.config import threading as config_threading
from ember.runtime import parallel
from ember.runtime import tuning

TIMEOUT = 20        # seconds a thread may take before the test calls it a deadlock


@pytest.fixture(autouse=True)
def _restore_settings():
    """Every test leaves the thread settings as it found them."""
    requested = parallel._requested
    inter = config_threading.get_inter_op_parallelism_threads()
    backoff = parallel._spin_backoff
    try:
        yield
    finally:
        parallel.set_num_threads(requested)
        config_threading.set_inter_op_parallelism_threads(inter)
        parallel._spin_backoff = backoff


def _check_cover(shares, n):
    """Shares are contiguous (lo, hi) pairs that cover range(n) exactly, in order."""
    assert shares, "split returned no shares"
    assert shares[0][0] == 0
    assert shares[-1][1] == n
    for (lo, hi), (lo2, _) in zip(shares, shares[1:]):
        assert hi == lo2, f"shares {shares} are not contiguous"
    covered = [i for lo, hi in shares for i in range(lo, hi)]
    assert covered == list(range(n))


def _in_thread(fn, *args):
    """Runs fn(*args) in a fresh thread; returns its result, or fails on a hang/exception."""
    box = {}

    def target():
        try:
            box["result"] = fn(*args)
        except BaseException as e:         # re-raised below in the test's thread
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(TIMEOUT)
    assert not t.is_alive(), "the call did not finish (deadlock?)"
    if "error" in box:
        raise box["error"]
    return box["result"]


# ------------------------------------------------------------------------------ split ---

def test_split_shares_cover_the_range():
    for n, work, min_work, threads in itertools.product(
            [0, 1, 2, 3, 7, 64, 1001], [1, 3, 1000], [1, 50, 1 << 16], [1, 2, 3, 8]):
        case = f"split({n}, {work}, {min_work}, {threads})"
        shares = parallel.split(n, work, min_work, threads)
        _check_cover(shares, n)
        assert len(shares) <= max(threads, 1), case
        assert len(shares) <= max(n, 1), case
        if n > 0:
            assert all(hi > lo for lo, hi in shares), f"empty share in {case} = {shares}"
        sizes = [hi - lo for lo, hi in shares]
        assert max(sizes) - min(sizes) <= 1, f"unbalanced shares {case} = {shares}"
        if len(shares) > 1:
            # a split only happens when each thread gets min_work on average
            assert n * work // len(shares) >= min_work, case


def test_split_uses_every_thread_when_the_work_is_large():
    assert parallel.split(12, 1000, 10, threads=4) == [(0, 3), (3, 6), (6, 9), (9, 12)]
    assert parallel.split(10, 1000, 10, threads=3) == [(0, 3), (3, 6), (6, 10)]


def test_split_gives_one_share_when_the_work_is_small():
    assert parallel.split(100, 1, 1 << 16, threads=8) == [(0, 100)]
    assert parallel.split(5, 10, 51, threads=8) == [(0, 5)]
    # just enough work for two threads, not for three
    assert len(parallel.split(4, 25, 50, threads=8)) == 2


def test_split_never_has_more_shares_than_items():
    assert parallel.split(3, 1 << 20, 1, threads=8) == [(0, 1), (1, 2), (2, 3)]
    assert parallel.split(1, 1 << 20, 1, threads=8) == [(0, 1)]
    assert parallel.split(0, 1 << 20, 1, threads=8) == [(0, 0)]


def test_split_defaults_to_num_threads():
    parallel.set_num_threads(3)
    assert parallel.split(9, 1, 1) == [(0, 3), (3, 6), (6, 9)]
    parallel.set_num_threads(1)
    assert parallel.split(9, 1, 1) == [(0, 9)]


def test_module_constants_are_read_when_called(monkeypatch):
    parallel.set_num_threads(2)
    monkeypatch.setattr(tuning, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(tuning, "BLOCK_BYTES", 8)
    assert parallel.split(8) == [(0, 4), (4, 8)]
    blocks = parallel.for_blocks(lambda s, e: (s, e), 4, 4)
    assert blocks == [(0, 2), (2, 4)]


# -------------------------------------------------------------------------------- run ---

def test_run_returns_results_in_share_order():
    parallel.set_num_threads(4)
    shares = parallel.split(40, 1, 1)
    assert len(shares) == 4

    def fn(lo, hi):
        # later shares finish first: the order must not come from completion times
        time.sleep(0.004 * (40 - lo) / 10)
        return (lo, hi, sum(range(lo, hi)))

    out = parallel.run(fn, shares)
    assert out == [(lo, hi, sum(range(lo, hi))) for lo, hi in shares]


def test_run_uses_several_threads_at_once():
    parallel.set_num_threads(3)
    shares = parallel.split(3, 1, 1)
    assert len(shares) == 3
    # every share waits for all the others: only possible if they run at the same time
    barrier = threading.Barrier(len(shares), timeout=TIMEOUT)
    names, idents = {}, {}

    def fn(lo, hi):
        barrier.wait()
        names[lo] = threading.current_thread().name
        idents[lo] = threading.get_ident()
        return lo

    assert parallel.run(fn, shares) == [0, 1, 2]
    assert names[0] == threading.current_thread().name          # the caller runs share 0
    assert names[1] == names[2] == "ember-worker"
    assert len(set(idents.values())) == 3


def test_run_with_one_share_runs_in_the_caller():
    me = threading.get_ident()
    seen = []
    assert parallel.run(lambda lo, hi: seen.append(threading.get_ident()) or hi,
                        [(0, 5)]) == [5]
    assert seen == [me]


class _ShareError(Exception):
    pass


@pytest.mark.parametrize("bad", [0, 1, 2])
def test_run_reraises_a_share_error_with_its_type(bad):
    parallel.set_num_threads(3)
    shares = parallel.split(3, 1, 1)

    def fn(lo, hi):
        if lo == bad:
            raise _ShareError(f"share {lo} failed")
        return lo

    with pytest.raises(_ShareError, match=f"share {bad} failed"):
        parallel.run(fn, shares)
    # the pool still works, with the same number of threads, and no stale error or result
    barrier = threading.Barrier(3, timeout=TIMEOUT)

    def ok(lo, hi):
        barrier.wait()
        return (lo, threading.current_thread().name)

    out = parallel.run(ok, shares)
    assert [lo for lo, _ in out] == [0, 1, 2]
    assert [name for _, name in out[1:]] == ["ember-worker", "ember-worker"]
    assert parallel.run(lambda lo, hi: -lo, shares) == [0, -1, -2]


def test_run_shares_run_under_the_callers_floating_point_settings():
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)

    def fn(lo, hi):
        return np.float64(1.0) / np.float64(lo)        # divides by zero in share 0 only

    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            parallel.run(lambda lo, hi: fn(1 - lo, hi), shares)   # the worker's share
        with pytest.raises(FloatingPointError):
            parallel.run(fn, shares)                              # the caller's share
    with np.errstate(divide="ignore"):
        out = parallel.run(lambda lo, hi: fn(1 - lo, hi), shares)
    assert out[0] == 1.0 and out[1] == np.inf


def test_run_reraises_the_first_share_error_when_several_fail():
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)

    def fn(lo, hi):
        if lo == 0:
            time.sleep(0.01)
            raise KeyError("caller")
        raise _ShareError("worker")

    with pytest.raises(KeyError, match="caller"):
        parallel.run(fn, shares)
    # the worker's error of that call is not reported by the next call
    assert parallel.run(lambda lo, hi: hi, shares) == [1, 2]


def test_run_waits_for_the_workers_before_raising():
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)
    finished = []

    def fn(lo, hi):
        if lo == 0:
            raise _ShareError("caller share")
        time.sleep(0.05)
        finished.append(lo)
        return lo

    with pytest.raises(_ShareError):
        parallel.run(fn, shares)
    assert finished == [1]


def test_nested_run_runs_serially_without_deadlock():
    parallel.set_num_threads(2)
    outer = parallel.split(4, 1, 1)
    assert len(outer) == 2

    def inner_fn(lo, hi):
        return (lo, hi, threading.get_ident())

    def outer_fn(lo, hi):
        me = threading.get_ident()
        inner = parallel.run(inner_fn, parallel.split(hi - lo, 1, 1))
        assert len(inner) == 2
        assert all(ident == me for _, _, ident in inner), "a nested share changed thread"
        return [(lo + a, lo + b) for a, b, _ in inner]

    out = _in_thread(parallel.run, outer_fn, outer)
    assert out == [[(0, 1), (1, 2)], [(2, 3), (3, 4)]]


def test_nested_blas_run_restores_the_blas_threads():
    parallel.set_num_threads(2)
    before = parallel._blas[1]() if parallel.blas_controllable() else None

    def outer_fn(lo, hi):
        return sum(parallel.run(lambda a, b: b - a, parallel.split(5, 1, 1), blas=True))

    assert _in_thread(parallel.run, outer_fn, parallel.split(2, 1, 1), True) == [5, 5]
    if before is not None:
        assert parallel._blas[1]() == before


def test_run_from_two_user_threads_at_once():
    parallel.set_num_threads(2)
    shares = parallel.split(6, 1, 1)
    errors = []
    results = {}

    def user(tag):
        try:
            out = []
            for i in range(200):
                out.append(parallel.run(lambda lo, hi: (tag, i, sum(range(lo, hi))), shares))
            results[tag] = out
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=user, args=(tag,), daemon=True) for tag in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a user thread did not finish"
    assert not errors, errors
    for tag in "ab":
        assert results[tag] == [[(tag, i, 3), (tag, i, 12)] for i in range(200)]


def test_blas_run_holds_blas_to_one_thread_in_every_share():
    if not parallel.blas_controllable():
        pytest.skip("NumPy's BLAS thread count cannot be controlled here")
    parallel.set_num_threads(2)
    before = parallel._blas[1]()
    seen = parallel.run(lambda lo, hi: parallel._blas[1](), parallel.split(2, 1, 1), blas=True)
    assert seen == [1, 1]
    assert parallel._blas[1]() == before


def test_blas_run_without_blas_control_runs_in_the_caller(monkeypatch):
    monkeypatch.setattr(parallel, "_blas", None)
    monkeypatch.setenv("EMBER_BLAS_THREADS", "off")
    assert parallel.blas_controllable() is False
    parallel.set_num_threads(2)
    me = threading.get_ident()
    out = parallel.run(lambda lo, hi: (lo, threading.get_ident()), parallel.split(4, 1, 1),
                       blas=True)
    assert out == [(0, me), (2, me)]
    # without blas the same shares do use a worker
    out = parallel.run(lambda lo, hi: (lo, threading.get_ident()), parallel.split(4, 1, 1))
    assert out[0] == (0, me) and out[1][1] != me
    with parallel.single_threaded_blas():       # does nothing, and does not fail
        pass


# ------------------------------------------------------------------------- for_blocks ---

@pytest.mark.parametrize("n,item_bytes,block_bytes", [
    (10, 4, 12), (7, 100, 10), (1, 8, 1 << 20), (0, 4, 16), (1000, 4, 64), (33, 3, 10),
    (8, 4 << 16, 8 << 16), (9, 4 << 16, 1)])
@pytest.mark.parametrize("threads", [1, 2])
def test_for_blocks_covers_the_range_in_order(n, item_bytes, block_bytes, threads):
    parallel.set_num_threads(threads)
    calls = []
    lock = threading.Lock()

    def fn(s, e):
        with lock:
            calls.append((s, e))
        return (s, e)

    out = parallel.for_blocks(fn, n, item_bytes, block_bytes=block_bytes)
    per = max(1, block_bytes // item_bytes)
    assert sorted(calls) == out                       # results in block order
    assert [i for s, e in out for i in range(s, e)] == list(range(n))
    assert all(0 < e - s <= per for s, e in out)
    if n:
        assert len(out) >= -(-n // per)


def test_for_blocks_shares_blocks_across_threads():
    parallel.set_num_threads(2)
    # every block waits for a block on another thread: only possible with two threads
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    idents = set()

    def fn(s, e):
        barrier.wait()
        idents.add(threading.get_ident())
        return (s, e)

    # 65536 elements' work per item (item_bytes // 4): enough for two threads
    out = _in_thread(parallel.for_blocks, fn, 4, 4 << 16, False, 4 << 16)
    assert out == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert len(idents) == 2


def test_for_blocks_cuts_one_block_for_each_thread_when_threads_pay():
    parallel.set_num_threads(2)
    # 6 items of 65536 elements' work, all in one block of block_bytes: still two blocks
    out = _in_thread(parallel.for_blocks, lambda s, e: (s, e), 6, 4 << 16, False, 64 << 20)
    assert out == [(0, 3), (3, 6)]
    # too little work for a second thread: one block, as block_bytes asks
    out = _in_thread(parallel.for_blocks, lambda s, e: (s, e), 6, 64, False, 64 << 20)
    assert out == [(0, 6)]


# -------------------------------------------------------------------- thread settings ---

def test_set_num_threads():
    parallel.set_num_threads(3)
    assert parallel.num_threads() == 3
    parallel.set_num_threads(1)
    assert parallel.num_threads() == 1
    parallel.set_num_threads(0)
    assert parallel.num_threads() == parallel._default_threads() >= 1


def test_negative_num_threads_raises_and_keeps_the_setting():
    parallel.set_num_threads(2)
    with pytest.raises(ValueError):
        parallel.set_num_threads(-1)
    assert parallel.num_threads() == 2


def test_default_threads_follow_omp_num_threads(monkeypatch):
    """The default is read once (as a process starts); OMP_NUM_THREADS caps it."""
    parallel.set_num_threads(0)
    monkeypatch.setattr(parallel, "_default", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert parallel.num_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "100000")
    assert parallel.num_threads() == 1                      # read once
    monkeypatch.setattr(parallel, "_default", None)
    assert parallel.num_threads() == parallel._default_threads() < 100000


def test_one_thread_runs_everything_in_the_caller():
    parallel.set_num_threads(1)
    me = threading.get_ident()
    seen = []
    lock = threading.Lock()

    def fn(lo, hi):
        with lock:
            seen.append(threading.get_ident())
        return hi - lo

    assert parallel.run(fn, parallel.split(100, 1 << 20, 1)) == [100]
    parallel.for_blocks(fn, 50, 4 << 20, block_bytes=4 << 20)
    assert len(seen) == 51 and set(seen) == {me}


@pytest.mark.parametrize("threads", [1, 2])
def test_one_thread_runs_kernels_in_the_caller(monkeypatch, threads):
    """With one thread a kernel never hands work to a worker; with two (the control) the
    same kernel does."""
    parallel.set_num_threads(threads)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", 256)     # several blocks of images
    created = []

    class Worker(parallel._Worker):
        def __init__(self):
            created.append(self)
            super().__init__()

    monkeypatch.setattr(parallel, "_workers", [])       # a fresh pool, restored afterwards
    monkeypatch.setattr(parallel, "_spawned", [])
    monkeypatch.setattr(parallel, "_Worker", Worker)
    x = tf.constant(np.ones((4, 5, 5, 2), np.float32))
    w = tf.constant(np.ones((3, 3, 2, 3), np.float32))
    y = tf.nn.conv2d(x, w, 1, "VALID")
    np.testing.assert_array_equal(y.numpy(), np.full((4, 3, 3, 3), 18.0, np.float32))
    if threads == 1:
        assert not created
    elif parallel.blas_controllable():
        assert created


# -------------------------------------------------------------------------- the BLAS ---

def test_blas_controllable_is_a_stable_bool():
    a = parallel.blas_controllable()
    assert isinstance(a, bool) and parallel.blas_controllable() is a
    assert a == bool(parallel._blas)
    if a:
        setter, getter = parallel._blas[:2]
        assert isinstance(getter(), int) and getter() >= 1


@pytest.fixture
def blas_threads():
    """NumPy's BLAS at 2 threads for the test (so 'one thread' is a change), restored after."""
    if not parallel.blas_controllable():
        pytest.skip("NumPy's BLAS thread count cannot be controlled here")
    setter, getter = parallel._blas[:2]
    original = getter()
    setter(2)
    if getter() != 2:
        setter(original)
        pytest.skip("this BLAS does not accept 2 threads")
    try:
        yield getter
    finally:
        setter(original)


def test_single_threaded_blas_sets_one_thread_and_restores(blas_threads):
    with parallel.single_threaded_blas():
        assert blas_threads() == 1
    assert blas_threads() == 2


def test_single_threaded_blas_contexts_nest(blas_threads):
    with parallel.single_threaded_blas():
        with parallel.single_threaded_blas():
            assert blas_threads() == 1
        assert blas_threads() == 1            # the inner context does not restore early
    assert blas_threads() == 2


def test_single_threaded_blas_restores_after_an_exception(blas_threads):
    with pytest.raises(_ShareError):
        with parallel.single_threaded_blas():
            raise _ShareError()
    assert blas_threads() == 2


def test_blas_run_restores_after_a_share_error(blas_threads):
    parallel.set_num_threads(2)

    def fn(lo, hi):
        assert blas_threads() == 1
        if lo:
            raise _ShareError()
        return lo

    with pytest.raises(_ShareError):
        parallel.run(fn, parallel.split(2, 1, 1), blas=True)
    assert blas_threads() == 2
    with parallel.single_threaded_blas():     # a run inside the context keeps it at one
        assert parallel.run(lambda lo, hi: blas_threads(), parallel.split(2, 1, 1),
                            blas=True) == [1, 1]
        assert blas_threads() == 1
    assert blas_threads() == 2


# ---------------------------------------------------------------- config.threading ---

def test_config_threading_is_ember_config_threading():
    assert tf.config.threading is config_threading


def test_intra_op_parallelism_threads():
    config_threading.set_intra_op_parallelism_threads(3)
    assert config_threading.get_intra_op_parallelism_threads() == 3
    assert parallel.num_threads() == 3
    parallel.set_num_threads(2)
    assert config_threading.get_intra_op_parallelism_threads() == 2
    config_threading.set_intra_op_parallelism_threads(0)
    assert config_threading.get_intra_op_parallelism_threads() == 0
    assert parallel.num_threads() == parallel._default_threads()
    with pytest.raises(ValueError):
        config_threading.set_intra_op_parallelism_threads(-2)
    assert config_threading.get_intra_op_parallelism_threads() == 0


def test_inter_op_parallelism_threads():
    assert config_threading.get_inter_op_parallelism_threads() == 0     # the default
    config_threading.set_inter_op_parallelism_threads(4)
    assert config_threading.get_inter_op_parallelism_threads() == 4
    assert parallel._requested == 0            # no effect on the intra-op setting
    with pytest.raises(ValueError):
        config_threading.set_inter_op_parallelism_threads(-1)
    assert config_threading.get_inter_op_parallelism_threads() == 4
    config_threading.set_inter_op_parallelism_threads(0)
    assert config_threading.get_inter_op_parallelism_threads() == 0


def test_matmul_splits_large_products_across_ember_threads(monkeypatch):
    """A large product is cut by rows or by columns across ember's threads whatever ran
    before, one share per thread; the pieces give NumPy's product."""
    from ember.runtime.matmul_kernels import matmul_kernel
    rng = np.random.default_rng(0)
    parallel.set_num_threads(2)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    calls = []
    real_run = parallel.run

    def run(fn, shares, *args, **kwargs):
        calls.append(len(shares))
        return real_run(fn, shares, *args, **kwargs)

    monkeypatch.setattr(parallel, "run", run)
    for shape_a, shape_b in [((400, 70), (70, 50)), ((3, 300), (300, 500))]:   # rows, cols
        a = rng.standard_normal(shape_a).astype(np.float32)
        b = rng.standard_normal(shape_b).astype(np.float32)
        with parallel.single_threaded_blas():
            want = np.matmul(a, b)
        for threads in (2, 3, 1):
            parallel.set_num_threads(threads)
            calls.clear()
            out = matmul_kernel(a, b)
            np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
            if parallel.blas_controllable():
                assert calls == ([threads] if threads > 1 else [])
    parallel.set_num_threads(0)


@pytest.mark.parametrize("shape_a,shape_b,cut", [
    ((6, 40, 30), (6, 30, 20), "batch"),          # an item per thread: by batch items
    ((4, 1, 40, 30), (3, 30, 20), "batch"),       # broadcast batch axes
    ((1, 90, 30), (1, 30, 20), "rows"),           # one batch item: by rows
    ((30, 20), (5, 20, 60), "batch"),             # a 2-D operand broadcast over a batch
    ((1, 3, 20), (1, 20, 90), "cols")])           # short and wide: by columns
def test_batched_products_follow_embers_threads(shape_a, shape_b, cut, monkeypatch):
    """3-D and larger products run on ember's configured threads with BLAS held to one
    thread in every share, never on BLAS's own threads; split by batch items, the result
    is the same whatever the thread count; it is NumPy's product."""
    from ember.runtime.matmul_kernels import matmul_kernel
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    monkeypatch.setattr(tuning, "MATMUL_SMALL_MACS", 1)
    shares, held = [], []
    real_run = parallel.run

    def run(fn, cut_into, *args, **kwargs):
        shares.append(cut_into)

        def share(lo, hi):
            held.append(parallel.blas_held())
            return fn(lo, hi)
        return real_run(share, cut_into, *args, **kwargs)

    monkeypatch.setattr(parallel, "run", run)
    outs = {}
    for threads in (2, 3, 1):
        parallel.set_num_threads(threads)
        shares.clear()
        held.clear()
        outs[threads] = matmul_kernel(a, b)
        np.testing.assert_allclose(outs[threads], want, rtol=1e-5, atol=1e-5)
        if threads == 1:
            assert not shares
            continue
        assert len(shares) == 1 and len(shares[0]) > 1, shares
        extent = {"batch": outs[threads].shape[0], "rows": a.shape[-2],
                  "cols": b.shape[-1]}[cut]
        assert shares[0][-1][1] == extent, (cut, shares)
        if parallel.blas_controllable():
            assert held and all(held)
    parallel.set_num_threads(0)
    if cut == "batch":
        for threads in (3, 1):
            np.testing.assert_array_equal(outs[threads], outs[2])


def test_middling_batched_products_hold_blas_to_one_thread(monkeypatch):
    """A batched product too small to split still runs with BLAS on one thread (its own
    threads would make the bits depend on BLAS's choices, not on ember's setting)."""
    from ember.runtime import matmul_kernels
    entered = []
    real = parallel.single_threaded_blas

    class recording(real):
        __slots__ = ()

        def __enter__(self):
            entered.append(True)
            return super().__enter__()

    monkeypatch.setattr(parallel, "single_threaded_blas", recording)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((8, 64, 64)).astype(np.float32)     # 2M multiply-adds
    got = matmul_kernels.matmul_kernel(a, a)
    np.testing.assert_allclose(got, np.matmul(a, a), rtol=1e-5, atol=1e-4)
    assert entered
    entered.clear()
    small = a[:1, :8, :8]
    matmul_kernels.matmul_kernel(small, small)     # below tuning.MATMUL_SMALL_MACS
    assert not entered


@pytest.mark.parametrize("shapes", [((300, 40), (40, 70), False, False),   # by rows
                                    ((40, 300), (70, 40), True, True),    # by rows, a.T b.T
                                    ((3, 40), (40, 500), False, False)])  # by columns
def test_matmul_with_an_epilogue_in_blocks(shapes, monkeypatch):
    """_MatMulEx: the product and an elementwise tree on it (operands (M, N), (N,), (1, N)
    and a scalar), in blocks of rows or columns across threads once ember's threads run
    products, and whole before that: NumPy's product followed by the tree either way."""
    from ember.ops.linalg_ops import MATMUL_EX
    shape_a, shape_b, ta, tb = shapes
    rng = np.random.default_rng(len(shape_a) + shape_a[0])
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    prod = np.matmul(a.T if ta else a, b.T if tb else b)
    m, n = prod.shape
    v, row, col = (rng.standard_normal(s).astype(np.float32) for s in [(m, n), (n,), (1, n)])
    # ((v * 0.9 - p * 0.01) + row) * col: operands (v, 0.9, p, 0.01, row, col), p at 2
    steps = ((np.multiply, (0, 1), None), (np.multiply, (2, 3), None),
             (np.subtract, (6, 7), 0), (np.add, (8, 4), 0), (np.multiply, (9, 5), 0))
    want = ((v * np.float32(0.9) - prod * np.float32(0.01)) + row) * col
    parallel.set_num_threads(2)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    import ember.ops.linalg_ops as linalg
    monkeypatch.setattr(tuning, "EPILOGUE_BYTES", 512)          # several blocks
    blocks = []
    real = parallel.map_items
    monkeypatch.setattr(parallel, "map_items",
                        lambda fn, n, *args, **kw: blocks.append(n) or real(fn, n, *args, **kw))
    for held in (False, True):
        blocks.clear()
        with (parallel.single_threaded_blas() if held else contextlib.nullcontext()):
            got = MATMUL_EX.kernel(np, a, b, v, np.float32(0.9), np.float32(0.01), row, col,
                                   transpose_a=ta, transpose_b=tb, steps=steps,
                                   dtype="float32", at=2)
        assert got.shape == (m, n) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        if parallel.blas_controllable():
            assert blocks and blocks[0] >= 2 and blocks[0] % 2 == 0


# ------------------------------------------------------------------ spinning hand-offs ---

@pytest.fixture
def spin(monkeypatch):
    """Spin words available, and spinning judged by nothing but the test itself (a loaded
    test machine would otherwise turn it off for a while)."""
    if not parallel._spin_lib():
        pytest.skip("spin words are not available on this platform (Linux, glibc, x86-64)")
    monkeypatch.setattr(parallel, "_spin_backoff", 0)
    monkeypatch.setattr(tuning, "SPIN_MAX_PREEMPTIONS", float("inf"))


def _running_share(thread, samples=30):
    """The share of samples over 0.15 s in which a thread was runnable (Linux: 'R')."""
    runnable = 0
    for _ in range(samples):
        with open(f"/proc/self/task/{thread.native_id}/stat") as f:
            runnable += f.read().rsplit(")", 1)[1].split()[0] == "R"
        time.sleep(0.005)
    return runnable / samples


def _sums(i):
    return lambda lo, hi: (threading.get_ident(), i * sum(range(lo, hi)))


def test_spinning_hands_shares_to_a_spinning_worker_and_parks_it_on_leaving(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(10, 1, 1)

    def body():
        out = []
        with parallel.spinning():
            for i in range(300):
                out.append(parallel.run(_sums(i), shares))
                assert parallel._workers[0].spins      # waits for the next share spinning
            worker = parallel._workers[0]
            spun = _running_share(worker.thread)
        assert not any(w.spins for w in parallel._workers)
        return out, spun, _running_share(worker.thread)

    out, spun, parked = _in_thread(body)
    assert [[v for _, v in r] for r in out] == [[i * 10, i * 35] for i in range(300)]
    assert all(r[0][0] != r[1][0] for r in out)           # on two threads
    # runnable (running, or waiting for a core on a loaded machine) while the session
    # lasts, and asleep after it
    assert spun > 0.8 and parked < 0.2, (spun, parked)
    # outside a session the worker is handed shares asleep, as before
    assert parallel.run(lambda lo, hi: hi, shares) == [5, 10]


def test_park_spinning_workers_sends_a_spinning_worker_to_sleep_inside_the_session(spin):
    """A recurrent layer's loop over time parks the spinning worker in the middle of a
    plan; the plan's next region wakes it and gets its share done."""
    parallel.set_num_threads(2)
    shares = parallel.split(10, 1, 1)

    def body():
        with parallel.spinning():
            first = parallel.run(_sums(1), shares)
            assert parallel._workers[0].spins
            parallel.park_spinning_workers()
            parked = not any(w.spins for w in parallel._workers)
            again = parallel.run(_sums(2), shares)
        return first, parked, again

    first, parked, again = _in_thread(body)
    assert parked
    assert [v for _, v in first] == [10, 35] and [v for _, v in again] == [20, 70]


def test_spinning_passes_share_errors_on_and_keeps_working(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)

    def fails_in(which):
        def fn(lo, hi):
            if lo == which:
                raise _ShareError(f"share {lo}")
            return lo
        return fn

    def body():
        with parallel.spinning():
            for i in range(20):
                with pytest.raises(_ShareError, match="share 1"):
                    parallel.run(fails_in(1), shares)           # the worker's share
                with pytest.raises(_ShareError, match="share 0"):
                    parallel.run(fails_in(0), shares)           # the caller's share
                assert parallel.run(_sums(i), shares)[1][1] == i
        return [w.spins for w in parallel._workers]

    assert not any(_in_thread(body))


def test_spinning_nests_and_only_the_outermost_exit_parks_the_worker(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(4, 1, 1)

    def body():
        states = []
        with parallel.spinning():
            with parallel.spinning():
                parallel.run(_sums(1), shares)
            states.append(parallel._workers[0].spins)
            assert [v for _, v in parallel.run(_sums(2), shares)] == [2, 10]
        states.append(parallel._workers[0].spins)
        return states

    assert _in_thread(body) == [True, False]


def test_spinning_is_off_with_more_threads_or_without_spin_words(monkeypatch):
    parallel.set_num_threads(3)
    shares = parallel.split(9, 1, 1)

    def body():
        with parallel.spinning():
            got = [v for _, v in parallel.run(_sums(1), shares)]
            return got, [w.spins for w in parallel._workers[:2]]

    assert _in_thread(body) == ([3, 12, 21], [False, False])
    monkeypatch.setattr(parallel, "_spin", ())
    parallel.set_num_threads(2)
    shares = parallel.split(4, 1, 1)
    assert _in_thread(lambda: [body()[0] for _ in range(3)]) == [[1, 5]] * 3
    assert not parallel._workers[0].spins


def test_spinning_is_off_when_the_threads_would_share_a_core(spin, monkeypatch):
    parallel.set_num_threads(2)
    monkeypatch.setattr(parallel, "_cores", lambda: 1)
    shares = parallel.split(4, 1, 1)

    def body():
        with parallel.spinning():
            got = [v for _, v in parallel.run(_sums(2), shares)]
            return got, parallel._workers[0].spins

    assert _in_thread(body) == ([2, 10], False)


def test_a_region_from_another_thread_during_a_session_hands_over_cleanly(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(6, 1, 1)
    other = {}

    def from_other_thread():
        other["out"] = [v for _, v in parallel.run(_sums(3), shares)]

    def body():
        states = []
        with parallel.spinning():
            parallel.run(_sums(1), shares)
            states.append(parallel._workers[0].spins)
            t = threading.Thread(target=from_other_thread, daemon=True)
            t.start()
            t.join(TIMEOUT)
            states.append(parallel._workers[0].spins)       # back to waiting asleep
            out = [v for _, v in parallel.run(_sums(2), shares)]
            states.append(parallel._workers[0].spins)
        return states, out

    assert _in_thread(body) == ([True, False, True], [6, 24])
    assert other["out"] == [9, 36]


def test_spinning_entered_inside_a_region_share_does_not_wait_for_that_region(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)

    def fn(lo, hi):
        if lo == 0:
            with parallel.spinning():       # the region is held: off, and leaving is free
                return sum(v for _, v in parallel.run(_sums(1), shares))
        return -1

    assert _in_thread(lambda: parallel.run(fn, shares)) == [1, -1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_during_a_session_runs_regions_of_its_own(spin):
    parallel.set_num_threads(2)
    shares = parallel.split(4, 1, 1)

    def body():
        with parallel.spinning():
            parallel.run(_sums(1), shares)
            pid = os.fork()
            if pid == 0:                                     # the child
                ok = [v for _, v in parallel.run(_sums(2), shares)] == [2, 10]
                os._exit(0 if ok else 3)
            got = [v for _, v in parallel.run(_sums(3), shares)]
        return os.waitpid(pid, 0)[1], got

    status, got = _in_thread(body)
    assert os.waitstatus_to_exitcode(status) == 0 and got == [3, 15]


def test_compiled_training_spins_while_a_step_runs_and_leaves_the_worker_asleep(spin, monkeypatch):
    parallel.set_num_threads(2)
    parks = []
    real_park = parallel._Worker.park
    monkeypatch.setattr(parallel._Worker, "park",
                        lambda self: parks.append(self.spins) or real_park(self))
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.random((128, 16, 16, 16), dtype=np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int32")

    def train(spin):
        monkeypatch.setattr(parallel, "SPIN", spin)
        tf.random.set_seed(3)
        model = keras.Sequential([keras.Input((16, 16, 16)),
                                  keras.layers.Conv2D(32, 3, padding="same"),
                                  keras.layers.BatchNormalization(),
                                  keras.layers.Activation("relu"), keras.layers.Flatten(),
                                  keras.layers.Dense(2)])
        model.compile(keras.optimizers.SGD(0.001),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        losses = model.fit(x, y, batch_size=64, epochs=3, verbose=0).history["loss"]
        return losses, model.predict(x, verbose=0)

    spun, parks_spun = _in_thread(train, True), parks.count(True)
    slept = _in_thread(train, False)
    assert parks_spun >= 6          # each step's plan ended with a spinning worker
    assert parks.count(True) == parks_spun
    assert not any(w.spins for w in parallel._workers)
    assert spun[0] == slept[0]                          # the same numbers either way
    np.testing.assert_array_equal(spun[1], slept[1])


def test_spinning_backs_off_while_the_cores_are_shared(spin, monkeypatch):
    """A run whose threads were preempted more than SPIN_MAX_PREEMPTIONS times a second
    turns spinning off for the next SPIN_BACKOFF_RUNS runs; the one after spins again."""
    parallel.set_num_threads(2)
    monkeypatch.setattr(tuning, "SPIN_MAX_PREEMPTIONS", 150.0)
    monkeypatch.setattr(tuning, "SPIN_BACKOFF_RUNS", 3)
    monkeypatch.setattr(tuning, "SPIN_JUDGED_SECONDS", 0.0)
    preempted = [0]
    monkeypatch.setattr(parallel, "_preemptions", lambda: preempted[0])
    shares = parallel.split(4, 1, 1)

    def one_run(busy):
        with parallel.spinning():
            parallel.run(_sums(1), shares)
            spun = parallel._workers[0].spins
            time.sleep(0.01)
            if busy:
                preempted[0] += 100          # 100 in 10 ms: 10000 a second
        return spun

    def body():
        return [one_run(busy) for busy in (False, True, False, False, False, False)]

    assert _in_thread(body) == [True, True, False, False, False, True]


def test_a_region_left_behind_by_an_interrupted_call_is_taken_back():
    """A region this thread took and never gave back (a KeyboardInterrupt just before
    giving it back) is taken back by its next call; a nested one still runs serially."""
    parallel.set_num_threads(2)
    shares = parallel.split(2, 1, 1)

    def body():
        parallel._region["owner"] = (threading.get_ident(), object())    # left behind
        got = parallel.run(lambda lo, hi: threading.get_ident(), shares)
        assert got[0] != got[1]                                          # on two threads
        assert not parallel._region_busy()
        nested = parallel.run(lambda lo, hi: parallel.run(
            lambda a, b: threading.get_ident(), shares), shares)
        assert nested[0][0] == nested[0][1]                  # the inner one ran serially
        return True

    assert _in_thread(body)
