"""ember.runtime.fastpath: the fast forms agree with plain NumPy on the shapes they take."""
import numpy as np
import pytest

import ember as tf
from ember.runtime import fastpath, tuning
from ember.runtime.fastpath import add_reduce, widen_operands


@pytest.mark.parametrize("shape,axes", [
    ((64, 28, 28, 32), (0, 1, 2)), ((512, 130), (0,)), ((40, 30, 7), (0,)),
    ((40, 30, 7), (0, 1)), ((3, 5), (0,)), ((64, 28, 28, 32), (1, 2)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [False, True])
def test_add_reduce_matches_numpy(shape, axes, dtype, keepdims):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    got = add_reduce(a, axes, keepdims)
    want = a.astype(np.float64).sum(axis=axes, keepdims=keepdims)
    assert got.shape == want.shape and got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-4 if dtype == np.float32 else 1e-12,
                               atol=1e-2 if dtype == np.float32 else 1e-9)


def test_add_reduce_non_contiguous_and_integer_fall_back():
    a = np.random.default_rng(1).standard_normal((200, 64)).astype(np.float32).T
    np.testing.assert_allclose(add_reduce(a, (0,)), a.sum(0), rtol=1e-5, atol=1e-5)
    b = np.arange(200 * 64, dtype=np.int32).reshape(200, 64)
    np.testing.assert_array_equal(add_reduce(b, (0,)), b.sum(0, dtype=np.int32))


def test_add_reduce_propagates_nan_and_inf():
    a = np.ones((300, 20), np.float32)
    a[5, 3] = np.nan
    a[7, 4] = np.inf
    got = add_reduce(a, (0,))
    assert np.isnan(got[3]) and np.isinf(got[4]) and got[0] == 300


@pytest.mark.parametrize("other_shape", [(32,), (1, 1, 1, 32), (1, 32), (), (1, 1, 1, 1)])
def test_widen_operands_same_values_as_broadcasting(other_shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 12, 12, 32)).astype(np.float32)
    v = rng.standard_normal(other_shape).astype(np.float32)
    for args in ((x, v), (v, x)):
        wide = widen_operands(args)
        assert wide is not None and wide[1] == x.shape
        got = np.subtract(*wide[0]).reshape(wide[1])
        np.testing.assert_array_equal(got, np.subtract(*args))


def test_widen_operands_declines_what_it_cannot_view():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 12, 12, 32)).astype(np.float32)
    assert widen_operands((x[:, ::-1], np.ones(32, np.float32)[None])) is None  # not contiguous
    assert widen_operands((x, np.ones((12, 1, 32), np.float32))) is None   # not per-channel
    assert widen_operands((np.ones((300, 300), np.float32), np.ones(300, np.float32))) is None
    assert widen_operands((np.ones((4, 4), np.float32), np.ones(4, np.float32))) is None


def test_bias_add_eager_and_compiled_plan_match_numpy():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((32, 14, 14, 48)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    s = rng.standard_normal(48).astype(np.float32)
    want = np.maximum((x + b) * s - 1.5, 0)
    np.testing.assert_allclose(np.asarray(tf.nn.relu((tf.constant(x) + b) * s - 1.5)), want,
                               rtol=1e-6)

    @tf.function
    def f(x):
        y = (x + b) * s - 1.5          # fused elementwise tree with per-channel operands
        return tf.nn.relu(y), x + b    # and a lone bias add
    got, biased = f(tf.constant(x))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(biased), x + b, rtol=1e-6)


def test_channel_ufunc_writes_into_out():
    from ember.runtime.fastpath import channel_ufunc
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 16, 16, 24)).astype(np.float32)
    v = rng.standard_normal(24).astype(np.float32)
    want = x * v
    out = np.empty_like(x)
    got = channel_ufunc(np.multiply, (x, v), out=out)
    assert np.shares_memory(got, out)
    np.testing.assert_array_equal(out, want)
    small = np.ones((2, 3), np.float32)         # too small to widen: plain NumPy
    np.testing.assert_array_equal(channel_ufunc(np.add, (small, v[:3])), small + v[:3])


# ------------------------------------------------------ chunked elementwise trees ---

def test_chunked_tree_matches_whole_arrays(monkeypatch):
    """A FusedElementwise tree on large arrays runs chunk by chunk (several chunks, a short
    last one) with the same values as running each ufunc on the whole arrays."""
    from ember.runtime import fastpath
    monkeypatch.setattr(tuning, "CHUNK", 1000)
    rng = np.random.default_rng(0)
    v = rng.standard_normal((700, 401)).astype(np.float32)       # 280700: not a multiple
    g = rng.standard_normal((700, 401)).astype(np.float32)
    steps = ((np.multiply, (0, 1), None),          # v * m
             (np.multiply, (2, 3), None),          # g * lr
             (np.subtract, (4, 5), 0))             # in place in the first temporary
    m, lr = np.float32(0.9), np.float32(0.01)
    out = fastpath.run_in_chunks((v, m, g, lr), steps)
    np.testing.assert_array_equal(out, v * m - g * lr)
    assert out.shape == v.shape and out.dtype == np.float32
    assert not np.shares_memory(out, v) and not np.shares_memory(out, g)


@pytest.mark.parametrize("kind", ["assign_add", "assign_sub"])
def test_large_in_place_variable_updates_run_in_chunks(kind, monkeypatch):
    """A compiled assign_add/assign_sub on a large variable updates it chunk by chunk on
    two threads (a short last chunk), to the same values; a small variable takes one
    call."""
    from ember.runtime import fastpath
    from ember.runtime import parallel
    monkeypatch.setattr(tuning, "CHUNK", 1000)
    monkeypatch.setattr(tuning, "MIN_CHUNKED", 4000)
    chunks = []
    real = parallel.map_items
    monkeypatch.setattr(parallel, "map_items", lambda fn, n, *a, **k: chunks.append(n) or
                        real(fn, n, *a, **k))
    rng = np.random.default_rng(4)
    start = rng.standard_normal((70, 101)).astype(np.float32)
    step = rng.standard_normal((70, 101)).astype(np.float32)
    big, small = tf.Variable(start), tf.Variable(start[:3])

    @tf.function
    def update(d):
        getattr(big, kind)(d)
        getattr(small, kind)(d[:3])
        return big.read_value(), small.read_value()

    got_big, got_small = update(tf.constant(step))
    sign = 1 if kind == "assign_add" else -1
    np.testing.assert_array_equal(got_big.numpy(), start + sign * step)
    np.testing.assert_array_equal(got_small.numpy(), start[:3] + sign * step[:3])
    assert chunks == [-(-start.size // 1000)]


def test_chunked_tree_declines_broadcast_operands():
    from ember.runtime import fastpath
    a = np.ones((600, 600), np.float32)
    assert fastpath.run_in_chunks((a, np.ones(600, np.float32)),
                                  ((np.add, (0, 1), None), (np.negative, (2,), None))) is None
    assert fastpath.run_in_chunks((np.ones((10, 10), np.float32), np.float32(1)),
                                  ((np.add, (0, 1), None), (np.negative, (2,), None))) is None
    assert fastpath.run_in_chunks((a.T, np.float32(1)),
                                  ((np.add, (0, 1), None), (np.negative, (2,), None))) is None


def test_compiled_optimizer_style_update_on_large_arrays_matches_eager():
    def update(v, g):
        return v * 0.9 - g * 0.01, tf.reduce_sum(g * g * 0.5)

    rng = np.random.default_rng(1)
    v = tf.constant(rng.standard_normal((640, 512)).astype(np.float32))
    g = tf.constant(rng.standard_normal((640, 512)).astype(np.float32))
    eager = [np.asarray(t) for t in update(v, g)]
    traced = [np.asarray(t) for t in tf.function(update)(v, g)]
    np.testing.assert_array_equal(traced[0], eager[0])
    np.testing.assert_allclose(traced[1], eager[1], rtol=1e-5)


def test_moments_keep_precision_next_to_a_large_mean():
    from ember.runtime import fastpath
    rng = np.random.default_rng(2)
    x = (1000 + 0.01 * rng.standard_normal((3000, 16))).astype(np.float32)
    parts = [fastpath.moments(x[i:i + 512]) for i in range(0, 3000, 512)]
    mean, var = fastpath.combine_moments(parts, 16)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(mean, xd.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var, xd.var(0), rtol=1e-6)
    empty_mean, empty_var = fastpath.combine_moments([], 4)
    assert empty_mean.shape == empty_var.shape == (4,) and not empty_var.any()


@pytest.mark.parametrize("p, c, threads", [(12544, 64, 2), (50176, 32, 2), (50176, 32, 3),
                                           (12545, 64, 2), (40, 8, 2)])
def test_channel_blocks_cover_the_rows_in_a_multiple_of_the_threads(p, c, threads):
    """Batch-norm blocks: every row once, in order, each block but a last short one a
    multiple of k rows and at most BLOCK_BYTES; as many blocks as a multiple of the
    threads when the array is worth threads (an array of 3 MiB is not one block)."""
    from ember.runtime import parallel
    from ember.runtime.fastpath import ChannelBlocks
    saved = parallel._requested
    parallel.set_num_threads(threads)
    try:
        b = ChannelBlocks(p, c, 4)
        blocks = b.blocks()
        threaded = parallel.worth_threads(p, c)
    finally:
        parallel.set_num_threads(saved)
    assert blocks[0][0] == 0 and blocks[-1][1] == p
    assert all(e == s2 for (_, e), (s2, _) in zip(blocks, blocks[1:]))
    whole = [blk for blk in blocks if (blk[1] - blk[0]) % b.k == 0]
    assert len(blocks) - len(whole) == (1 if p % b.k else 0)
    assert all((e - s) * c * 4 <= tuning.CHANNEL_BLOCK_BYTES for s, e in blocks)
    if threaded:
        assert len(whole) % threads == 0 and len(whole) >= threads
    else:
        assert len(blocks) <= 2


# ------------------------------------------------------------------ channel blocks ---

@pytest.mark.parametrize("p,c", [(5000, 32), (6400, 32), (4099, 48), (7, 512), (3, 5)])
def test_channel_blocks_tiles_and_totals(p, c):
    """``tiles`` repeats each per-channel vector along a wide row; ``totals`` adds up the
    blocks' column sums (wide rows and a short narrow last block) to per-channel values."""
    from ember.runtime.fastpath import ChannelBlocks
    rng = np.random.default_rng(p)
    blocks = ChannelBlocks(p, c, 4)
    a, b = (rng.standard_normal(c) for _ in range(2))
    t = blocks.tiles((a, b), np.float32)
    assert t.shape == (2, blocks.k * c) and t.dtype == np.float32
    np.testing.assert_array_equal(t[0], np.tile(a.astype(np.float32), blocks.k))
    np.testing.assert_array_equal(t[1], np.tile(b.astype(np.float32), blocks.k))
    x = rng.standard_normal((p, c)).astype(np.float32)
    spans = blocks.blocks()
    assert any((e - s) % blocks.k for s, e in spans) == (p % blocks.k != 0)
    parts = [(blocks.sum_rows(blocks.view(x, s, e)), blocks.dot_rows(*[blocks.view(x, s, e)] * 2))
             for s, e in spans]
    sums = blocks.totals(parts, 2)
    assert sums.shape == (2, c) and sums.dtype == np.float64
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(sums[0], x64.sum(axis=0), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(sums[1], (x64 * x64).sum(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(blocks.totals([], 3), np.zeros((3, c)))


# ------------------------------------------------------------------------- run_steps ---

def _momentum_operands():
    """g, m and m * 0.9 - g * 0.01 (a momentum update: operands (g, 0.01, m, 0.9))."""
    rng = np.random.default_rng(0)
    g, m = (rng.standard_normal((6, 5)).astype(np.float32) for _ in range(2))
    return g, m, m * np.float32(0.9) - g * np.float32(0.01)


def test_run_steps_computes_in_a_writable_operand_and_in_out_as_scratch():
    g, m, want = _momentum_operands()
    made = []
    real = np.multiply

    class Spy:          # np.multiply, recording which calls were given their output
        def __call__(self, *a, **kw):
            made.append("out" in kw)
            return real(*a, **kw)

        def __getattr__(self, name):
            return getattr(real, name)

    steps = ((Spy(), (0, 1), None), (Spy(), (2, 3), None), (np.subtract, (5, 4), None))
    g_buf, m_before, out = g.copy(), m.copy(), np.empty_like(m)
    got = fastpath.run_steps([g_buf, np.float32(0.01), m, np.float32(0.9)], steps, out,
                             writable=0, scratch=True)
    assert got is out
    np.testing.assert_array_equal(out, want)
    assert made == [True, True]                 # into g's buffer, then into out
    np.testing.assert_array_equal(g_buf, g * np.float32(0.01))
    np.testing.assert_array_equal(m, m_before)  # inputs that are not writable stay


def test_run_steps_keeps_operands_that_later_steps_read():
    g, m, want = _momentum_operands()
    # g read again by the last step: not written over; the penultimate result is read by
    # the last step twice: not computed in out
    steps = ((np.multiply, (0, 1), None), (np.multiply, (2, 3), None),
             (np.subtract, (5, 4), None), (np.add, (6, 0), None))
    g_buf, out = g.copy(), np.empty_like(m)
    fastpath.run_steps([g_buf, np.float32(0.01), m, np.float32(0.9)], steps, out,
                       writable=0, scratch=True)
    np.testing.assert_array_equal(g_buf, g)
    np.testing.assert_array_equal(out, want + g)
    twice = ((np.multiply, (2, 3), None), (np.add, (4, 4), None))
    out = np.empty_like(m)
    fastpath.run_steps([g, np.float32(0.01), m, np.float32(0.9)], twice, out, scratch=True)
    np.testing.assert_array_equal(out, 2 * (m * np.float32(0.9)))


def test_run_steps_keeps_booleans_out_of_float_buffers():
    """A comparison's booleans never go into a writable operand or into out: True + True
    is True, where 1.0 + 1.0 would be 2."""
    rng = np.random.default_rng(1)
    x, g = (rng.standard_normal((4, 6)).astype(np.float32) for _ in range(2))
    steps = ((np.greater, (0, 1), None), (np.add, (3, 3), None),
             (np.multiply, (4, 2), None))
    want = np.where(x > 0, g, np.float32(0))
    for kw in ({"writable": 0}, {"scratch": True}, {"writable": 0, "scratch": True}):
        out = np.empty_like(g)
        fastpath.run_steps([x.copy(), np.float32(0), g], steps, out, **kw)
        np.testing.assert_array_equal(out, want, err_msg=str(kw))
