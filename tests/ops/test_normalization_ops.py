"""batch_normalization, fused_batch_norm, local_response_normalization."""
import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_gradient, check_second_order


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_batch_normalization_values():
    x, m, v, o, s = rand(3, 4), rand(4, seed=1), rand(4, seed=2) ** 2, rand(4, seed=3), \
        rand(4, seed=4)
    got = tf.nn.batch_normalization(x, m, v, o, s, 1e-3)
    np.testing.assert_allclose(np.asarray(got), (x - m) / np.sqrt(v + 1e-3) * s + o, rtol=1e-10,
                               atol=1e-12)
    got = tf.nn.batch_normalization(x.astype(np.float32), m.astype(np.float32),
                                    v.astype(np.float32), None, None, 0.0)
    assert got.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(got), (x - m) / np.sqrt(v), rtol=1e-5)


def test_batch_normalization_gradient():
    check_gradient(lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 0.01),
                   [rand(2, 3), rand(3, seed=1), rand(3, seed=2) ** 2 + 0.5, rand(3, seed=3),
                    rand(3, seed=4)])


def np_bn_train(x, scale, offset, eps, axis):
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean = x.mean(axes)
    var = x.var(axes)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) \
        + offset.reshape(shape)
    m = x.size // x.shape[axis]
    return y, mean, var * m / (m - 1)


@pytest.mark.parametrize("fmt,shape", [("NHWC", (4, 3, 2, 3)), ("NCHW", (3, 2, 4, 2)),
                                       ("NDHWC", (2, 2, 2, 2, 3))])
def test_fused_batch_norm_training(fmt, shape):
    x = rand(*shape).astype(np.float32) * 3 + 1
    axis = 1 if fmt.startswith("NC") else -1
    c = shape[axis]
    scale, offset = rand(c, seed=1).astype(np.float32), rand(c, seed=2).astype(np.float32)
    y, m, v = tf.nn.fused_batch_norm(x, scale, offset, epsilon=0.01, data_format=fmt)
    wy, wm, wv = np_bn_train(x.astype(np.float64), scale, offset, 0.01, axis)
    assert y.dtype == m.dtype == v.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(y), wy, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(m), wm, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(v), wv, rtol=1e-5)


def test_fused_batch_norm_exponential_average():
    x = rand(5, 2, 2, 2)
    y, m, v = tf.nn.fused_batch_norm(x, [1.0, 1.0], [0.0, 0.0], mean=[1.0, 2.0],
                                     variance=[3.0, 4.0], exponential_avg_factor=0.25)
    _, wm, wv = np_bn_train(x, np.ones(2), np.zeros(2), 0.001, -1)
    np.testing.assert_allclose(np.asarray(m), 0.75 * np.array([1.0, 2.0]) + 0.25 * wm)
    np.testing.assert_allclose(np.asarray(v), 0.75 * np.array([3.0, 4.0]) + 0.25 * wv)


def test_fused_batch_norm_inference():
    x = rand(2, 3, 3, 2).astype(np.float32)
    mean, var = np.array([0.5, -1.0], np.float32), np.array([2.0, 0.5], np.float32)
    y, m, v = tf.nn.fused_batch_norm(x, [2.0, 1.0], [0.0, 1.0], mean, var, epsilon=0.0,
                                     is_training=False)
    want = (x - mean) / np.sqrt(var + 1.001e-5) * np.array([2.0, 1.0]) + np.array([0.0, 1.0])
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(m), mean)
    np.testing.assert_array_equal(np.asarray(v), var)


def test_fused_batch_norm_float16_input():
    x = rand(4, 2, 2, 3).astype(np.float16)
    y, m, v = tf.nn.fused_batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    assert y.dtype == tf.float16 and m.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(y, np.float64),
                               np_bn_train(x.astype(np.float64), np.ones(3), np.zeros(3),
                                           0.001, -1)[0], atol=1e-2)


@pytest.mark.parametrize("fmt,shape", [("NHWC", (3, 2, 2, 2)), ("NCHW", (2, 2, 3, 2))])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_fused_batch_norm_gradient(fmt, shape, which):
    c = shape[1] if fmt == "NCHW" else shape[-1]

    def fn(x, s, o):
        return tf.nn.fused_batch_norm(x, s, o, epsilon=0.01, data_format=fmt)[which]
    check_gradient(fn, [rand(*shape), rand(c, seed=1), rand(c, seed=2)], rtol=1e-4, atol=1e-6)


def test_fused_batch_norm_second_order():
    check_second_order(lambda x, s: tf.nn.fused_batch_norm(x, s, [0.0, 0.0],
                                                           epsilon=0.01)[0] ** 2,
                       [rand(3, 2, 1, 2), rand(2, seed=1)])


def test_fused_batch_norm_inference_gradient():
    check_gradient(lambda x, s, o, m, v: tf.nn.fused_batch_norm(
        x, s, o, m, v, is_training=False)[0],
        [rand(2, 2, 1, 2), rand(2, seed=1), rand(2, seed=2), rand(2, seed=3),
         rand(2, seed=4) ** 2 + 1])


def np_lrn(x, r, bias, alpha, beta):
    c = x.shape[-1]
    sq = np.zeros_like(x)
    for d in range(c):
        sq[..., d] = (x[..., max(0, d - r):d + r + 1] ** 2).sum(-1)
    return x / (bias + alpha * sq) ** beta


@pytest.mark.parametrize("r,bias,alpha,beta", [(5, 1.0, 1.0, 0.5), (1, 2.0, 0.5, 0.75),
                                               (0, 1.0, 1.0, 1.0)])
def test_lrn(r, bias, alpha, beta):
    x = rand(2, 2, 2, 4)
    np.testing.assert_allclose(
        np.asarray(tf.nn.local_response_normalization(x, r, bias, alpha, beta)),
        np_lrn(x, r, bias, alpha, beta), rtol=1e-12)
    check_gradient(lambda t: tf.nn.local_response_normalization(t, r, bias, alpha, beta),
                   [rand(1, 1, 2, 3)])


@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tf.nn.fused_batch_norm(np.ones((2, 2, 2, 3), np.float32), np.ones(2, np.float32),
                                    np.zeros(2, np.float32)), InvalidArgumentError,
     r"FusedBatchNormV3: scale must have as many.*\[2\].*\[2,2,2,3\]"),
    (lambda: tf.nn.fused_batch_norm(np.ones((2, 2), np.float32), [1.0, 1.0], [0.0, 0.0],
                                    is_training=False), ValueError, r"mean and variance"),
    (lambda: tf.nn.fused_batch_norm(np.ones((2, 2, 2, 2), np.int32), [1.0, 1.0], [0.0, 0.0]),
     InvalidArgumentError, r"int32 is not in the list"),
    (lambda: tf.nn.local_response_normalization(np.ones((2, 3), np.float32)),
     InvalidArgumentError, r"LRN.*4-dimensional"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_fused_batch_norm_large_batch_values_and_gradients(fmt):
    # large enough for the BLAS channel sums; checked against float64 NumPy formulas
    shape = (16, 12, 10, 8) if fmt == "NHWC" else (16, 8, 12, 10)
    axis = -1 if fmt == "NHWC" else 1
    x = (rand(*shape) * 2 + 5).astype(np.float32)
    scale, offset = rand(8, seed=1).astype(np.float32), rand(8, seed=2).astype(np.float32)
    dy = rand(*shape, seed=3).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        s, o = tf.constant(scale), tf.constant(offset)
        tape.watch([s, o])
        y, m, v = tf.nn.fused_batch_norm(xt, s, o, epsilon=0.01, data_format=fmt)
    dx, ds, do = tape.gradient(y, [xt, s, o], output_gradients=tf.constant(dy))
    wy, wm, wv = np_bn_train(x.astype(np.float64), scale, offset, 0.01, axis)
    np.testing.assert_allclose(np.asarray(y), wy, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(m), wm, rtol=1e-5)
    axes = tuple(i for i in range(4) if i != axis % 4)
    pshape = [1] * 4
    pshape[axis] = -1
    x64, g64 = x.astype(np.float64), dy.astype(np.float64)
    inv = 1 / np.sqrt(x64.var(axes) + 0.01)
    xhat = (x64 - x64.mean(axes).reshape(pshape)) * inv.reshape(pshape)
    n = x.size // 8
    want_ds = (g64 * xhat).sum(axes)
    want_do = g64.sum(axes)
    want_dx = (scale * inv).reshape(pshape) * (
        g64 - want_do.reshape(pshape) / n - xhat * want_ds.reshape(pshape) / n)
    np.testing.assert_allclose(np.asarray(ds), want_ds, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(do), want_do, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(dx), want_dx, rtol=1e-3, atol=1e-4)


def test_fused_batch_norm_gradient_traced_equals_eager():
    x = rand(8, 6, 6, 4).astype(np.float32) * 3 + 1
    s, o = rand(4, seed=1).astype(np.float32), rand(4, seed=2).astype(np.float32)

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.fused_batch_norm(x, s, o)[0]
            loss = tf.reduce_sum(y * y * tf.range(4.0))
        return tape.gradient(loss, x)
    eager = step(tf.constant(x))
    traced = tf.function(step)(tf.constant(x))
    np.testing.assert_allclose(np.asarray(traced), np.asarray(eager), rtol=1e-5, atol=1e-6)
