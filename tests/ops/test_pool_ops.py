"""Pooling: max/avg in 1-3 dimensions against loop references, gradients, errors."""
import itertools

import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_gradient, check_second_order


def ref_pool(x, ksize, strides, padding, kind, dilations=None):
    """Channels-last pooling by loops; SAME padding is excluded from max and mean."""
    r = x.ndim - 2
    dilations = dilations or (1,) * r
    pads, outs = [], []
    for n, k, s, d in zip(x.shape[1:-1], ksize, strides, dilations):
        eff = (k - 1) * d + 1
        if padding == "SAME":
            o = -(-n // s)
            total = max((o - 1) * s + eff - n, 0)
            pads.append(total // 2)
        else:
            o = (n - eff) // s + 1
            pads.append(0)
        outs.append(o)
    y = np.zeros((x.shape[0],) + tuple(outs) + (x.shape[-1],), dtype=np.float64)
    for pos in itertools.product(*[range(o) for o in outs]):
        vals = []
        for tap in itertools.product(*[range(k) for k in ksize]):
            idx = tuple(p * s + t * d - lo for p, s, t, d, lo in
                        zip(pos, strides, tap, dilations, pads))
            if all(0 <= i < n for i, n in zip(idx, x.shape[1:-1])):
                vals.append(x[(slice(None),) + idx])
        vals = np.stack(vals)
        y[(slice(None),) + pos] = vals.max(0) if kind == "max" else vals.mean(0)
    return y


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


FNS = {
    (1, "max"): tf.nn.max_pool1d, (2, "max"): tf.nn.max_pool2d, (3, "max"): tf.nn.max_pool3d,
    (1, "avg"): tf.nn.avg_pool1d, (2, "avg"): tf.nn.avg_pool2d, (3, "avg"): tf.nn.avg_pool3d,
}
FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}

# (input shape channels-last, ksize, strides, padding)
CASES = [
    ((2, 7, 3), (2,), (2,), "VALID"),
    ((2, 7, 3), (3,), (2,), "SAME"),
    ((1, 5, 2), (3,), (1,), "SAME"),
    ((2, 4, 4, 3), (2, 2), (2, 2), "VALID"),
    ((2, 5, 5, 2), (3, 3), (2, 2), "SAME"),
    ((1, 6, 5, 2), (3, 2), (1, 2), "VALID"),
    ((1, 5, 6, 1), (2, 3), (2, 1), "SAME"),
    ((1, 4, 4, 4, 2), (2, 2, 2), (2, 2, 2), "VALID"),
    ((1, 3, 4, 5, 1), (2, 3, 2), (1, 2, 2), "SAME"),
]


@pytest.mark.parametrize("cf", [False, True])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,padding", CASES)
def test_pool_forward(xs, k, s, padding, kind, cf):
    r = len(xs) - 2
    x = rand(*xs).astype(np.float32)
    want = ref_pool(x.astype(np.float64), k, s, padding, kind)
    fmt = FORMATS[r][1 if cf else 0]
    got = FNS[(r, kind)](np.moveaxis(x, -1, 1) if cf else x, list(k), list(s), padding,
                         data_format=fmt)
    got = np.asarray(got)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if cf else got, want, rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,padding", CASES)
def test_pool_generic_matches(xs, k, s, padding, kind):
    x = rand(*xs)
    want = ref_pool(x, k, s, padding, kind)
    fn = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
    np.testing.assert_allclose(np.asarray(fn(x, list(k), list(s), padding)), want, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tf.nn.pool(x, list(k), kind.upper(), list(s),
                                                     padding)), want, atol=1e-12)


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
def test_pool_dilated(kind):
    x = rand(1, 7, 6, 2)
    want = ref_pool(x, (2, 2), (1, 1), "SAME", kind.lower(), dilations=(2, 3))
    np.testing.assert_allclose(np.asarray(tf.nn.pool(x, [2, 2], kind, padding="SAME",
                                                     dilations=[2, 3])), want, atol=1e-12)


def test_hand_computed():
    x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    np.testing.assert_array_equal(tf.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0],
                                  [[5, 7], [13, 15]])
    # SAME 3x3 stride 2 on 4x4: padding only at the end; counts exclude it.
    np.testing.assert_array_equal(tf.nn.avg_pool2d(x, 3, 2, "SAME").numpy()[0, :, :, 0],
                                  [[5.0, 6.5], [11.0, 12.5]])


def test_max_pool_int_and_explicit_padding():
    x = np.arange(12, dtype=np.int32).reshape(1, 3, 4, 1)
    y = tf.nn.max_pool2d(x, 2, 2, [[0, 0], [1, 0], [0, 0], [0, 0]])
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[1, 3], [9, 11]])


def test_max_pool_gradient_goes_to_first_max():
    x = tf.constant(np.ones((1, 2, 2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 1, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[1, 0], [0, 0]])


def distinct(*shape, seed=0):
    """Values with well-separated entries, so max is stable under finite differences."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape).astype(np.float64) * 0.1


GRAD_CASES = [
    ((1, 5, 2), (2,), (1,), "VALID", "NWC"),
    ((1, 4, 4, 2), (2, 2), (2, 2), "VALID", "NHWC"),
    ((1, 5, 5, 1), (3, 3), (2, 2), "SAME", "NHWC"),
    ((1, 2, 4, 5), (2, 3), (1, 2), "SAME", "NCHW"),
    ((1, 3, 3, 3, 1), (2, 2, 2), (1, 1, 1), "SAME", "NDHWC"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,padding,fmt", GRAD_CASES)
def test_pool_gradient(xs, k, s, padding, fmt, kind):
    r = len(xs) - 2
    check_gradient(lambda x: FNS[(r, kind)](x, list(k), list(s), padding, data_format=fmt),
                   [distinct(*xs)])


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_second_order(kind):
    fn = FNS[(2, kind)]
    check_second_order(lambda x: fn(x, 2, 1, "SAME") ** 2, [distinct(1, 3, 3, 2)])


def test_float16_avg_pool():
    x = rand(1, 4, 4, 2).astype(np.float16)
    y = tf.nn.avg_pool2d(x, 2, 2, "VALID")
    assert y.dtype == tf.float16
    np.testing.assert_allclose(np.asarray(y, np.float64),
                               ref_pool(x.astype(np.float64), (2, 2), (2, 2), "VALID", "avg"),
                               atol=1e-2)


@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tf.nn.max_pool2d(np.ones((4, 4, 1), np.float32), 2, 2, "VALID"),
     InvalidArgumentError, r"MaxPool.*4-dimensional.*\[4,4,1\]"),
    (lambda: tf.nn.max_pool2d(np.ones((1, 2, 2, 1), np.float32), 4, 1, "VALID"),
     InvalidArgumentError, r"MaxPool.*effective_filter_size: 4.*\[1,2,2,1\]"),
    (lambda: tf.nn.avg_pool2d(np.ones((1, 4, 4, 1), np.float32), 2, -1, "VALID"),
     InvalidArgumentError, r"strides must be positive"),
    (lambda: tf.nn.avg_pool2d(np.ones((1, 4, 4, 1), np.int32), 2, 2, "VALID"),
     InvalidArgumentError, r"int32 is not in the list"),
    (lambda: tf.nn.avg_pool2d(np.ones((1, 4, 4, 1), np.float32), 2, 2,
                              [[0, 0], [1, 1], [1, 1], [0, 0]]), ValueError, r"SAME' or 'VALID"),
    (lambda: tf.nn.pool(np.ones((1, 4, 4, 1), np.float32), [2, 2], "MIN"), ValueError,
     r"pooling_type"),
    (lambda: tf.nn.max_pool(np.ones((4, 4), np.float32), 2, 2, "VALID"), InvalidArgumentError,
     r"3-, 4- or 5-dimensional"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
