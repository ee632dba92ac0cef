"""ember.framework.fastpath: the fast forms agree with plain NumPy on the shapes they take."""
import numpy as np
import pytest

import ember as tf
from ember.framework.fastpath import add_reduce, widen_operands


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
    from ember.framework.fastpath import channel_ufunc
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
