"""Convolutions: forward against a direct loop reference, gradients, second order, errors."""
import itertools

import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_gradient, check_second_order


# ----------------------------------------------------------------- direct reference ---

def ref_pads(sizes, ksize, strides, dilations, padding):
    pads = []
    for n, k, s, d in zip(sizes, ksize, strides, dilations):
        eff = (k - 1) * d + 1
        if padding == "SAME":
            o = -(-n // s)
            total = max((o - 1) * s + eff - n, 0)
            pads.append((total // 2, total - total // 2))
        elif padding == "VALID":
            pads.append((0, 0))
    return pads if isinstance(padding, str) else list(padding)


def ref_conv(x, w, strides, padding, dilations):
    """Channels-last N-D (grouped) convolution by explicit loops over every index."""
    r = x.ndim - 2
    ksize = w.shape[:r]
    cg, o = w.shape[r], w.shape[r + 1]
    groups = x.shape[-1] // cg
    og = o // groups
    pads = ref_pads(x.shape[1:-1], ksize, strides, dilations, padding)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(xp.shape[1 + i] - (ksize[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(r)]
    y = np.zeros((x.shape[0],) + tuple(outs) + (o,))
    for n in range(x.shape[0]):
        for pos in itertools.product(*[range(v) for v in outs]):
            for oc in range(o):
                g = oc // og
                acc = 0.0
                for tap in itertools.product(*[range(k) for k in ksize]):
                    idx = tuple(p * s + t * d for p, s, t, d in
                                zip(pos, strides, tap, dilations))
                    for c in range(cg):
                        acc += xp[(n,) + idx + (g * cg + c,)] * w[tap + (c, oc)]
                y[(n,) + pos + (oc,)] = acc
    return y


def ref_conv_transpose(x, w, out_shape, strides, padding, dilations):
    """Transposed convolution as the adjoint of ref_conv: scatter each input entry."""
    r = x.ndim - 2
    ksize = w.shape[:r]
    pads = ref_pads(out_shape[1:-1], ksize, strides, dilations, padding)
    padded = [out_shape[0]] + [n + lo + hi for n, (lo, hi) in zip(out_shape[1:-1], pads)] + \
        [out_shape[-1]]
    y = np.zeros(padded)
    for n in range(x.shape[0]):
        for pos in itertools.product(*[range(v) for v in x.shape[1:-1]]):
            for tap in itertools.product(*[range(k) for k in ksize]):
                idx = tuple(p * s + t * d for p, s, t, d in zip(pos, strides, tap, dilations))
                y[(n,) + idx] += w[tap] @ x[(n,) + pos]
    return y[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in
                                    zip(out_shape[1:-1], pads)) + (slice(None),)]


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def to_first(a):
    return np.moveaxis(a, -1, 1)


# ------------------------------------------------------------------------- forward ---

# (input shape NHWC, filter shape, strides, padding, dilations)
CONV2D_CASES = [
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1)),
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "VALID", (1, 1)),
    ((1, 6, 7, 2), (3, 2, 2, 3), (2, 2), "SAME", (1, 1)),
    ((1, 6, 7, 2), (3, 2, 2, 3), (2, 3), "VALID", (1, 1)),
    ((1, 7, 6, 2), (2, 3, 2, 2), (1, 1), "SAME", (2, 2)),
    ((1, 7, 6, 2), (2, 2, 2, 2), (1, 1), "VALID", (3, 1)),
    ((1, 5, 4, 2), (3, 3, 2, 2), (1, 2), ((1, 2), (0, 1)), (1, 1)),
    ((2, 5, 5, 4), (3, 3, 2, 6), (1, 1), "SAME", (1, 1)),      # 2 groups
    ((1, 6, 6, 6), (2, 2, 2, 3), (2, 2), "VALID", (1, 1)),     # 3 groups
    ((1, 6, 6, 4), (3, 3, 1, 4), (1, 1), "SAME", (2, 1)),      # 4 groups (depthwise-like)
    ((2, 4, 4, 3), (1, 1, 3, 5), (1, 1), "VALID", (1, 1)),
    ((1, 3, 3, 2), (3, 3, 2, 2), (1, 1), "VALID", (1, 1)),     # kernel == input
]


def _explicit(padding, cf):
    if isinstance(padding, str):
        return padding
    pairs = [list(p) for p in padding]
    return [[0, 0], [0, 0]] + pairs if cf else [[0, 0]] + pairs + [[0, 0]]


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV2D_CASES)
def test_conv2d_forward(xs, ws, strides, padding, dil, data_format):
    x, w = rand(*xs).astype(np.float32), rand(*ws, seed=1).astype(np.float32)
    want = ref_conv(x.astype(np.float64), w.astype(np.float64), strides, padding, dil)
    cf = data_format == "NCHW"
    got = tf.nn.conv2d(to_first(x) if cf else x, w, strides, _explicit(padding, cf),
                       data_format=data_format, dilations=dil)
    got = np.asarray(got)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if cf else got, want, rtol=1e-4,
                               atol=1e-4)


CONV1D_CASES = [
    ((2, 7, 3), (3, 3, 2), 1, "SAME", 1),
    ((2, 7, 3), (3, 3, 2), 2, "VALID", 1),
    ((1, 8, 4), (2, 2, 4), 1, "SAME", 3),
    ((1, 6, 2), (3, 2, 2), 1, ((2, 1),), 1),
]


@pytest.mark.parametrize("data_format", ["NWC", "NCW"])
@pytest.mark.parametrize("xs,ws,stride,padding,dil", CONV1D_CASES)
def test_conv1d_forward(xs, ws, stride, padding, dil, data_format):
    x, w = rand(*xs), rand(*ws, seed=1)
    want = ref_conv(x, w, (stride,), padding, (dil,))
    cf = data_format == "NCW"
    got = np.asarray(tf.nn.conv1d(to_first(x) if cf else x, w, stride,
                                  _explicit(padding, cf), data_format=data_format,
                                  dilations=dil))
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if cf else got, want, rtol=1e-10,
                               atol=1e-10)


CONV3D_CASES = [
    ((1, 4, 4, 3, 2), (2, 2, 2, 2, 3), (1, 1, 1), "SAME", (1, 1, 1)),
    ((1, 5, 4, 4, 2), (3, 2, 2, 2, 2), (2, 1, 2), "VALID", (1, 1, 1)),
    ((1, 5, 5, 3, 4), (2, 2, 1, 2, 2), (1, 1, 1), "SAME", (2, 1, 1)),   # 2 groups
]


@pytest.mark.parametrize("data_format", ["NDHWC", "NCDHW"])
@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV3D_CASES)
def test_conv3d_forward(xs, ws, strides, padding, dil, data_format):
    x, w = rand(*xs), rand(*ws, seed=1)
    want = ref_conv(x, w, strides, padding, dil)
    cf = data_format == "NCDHW"
    got = np.asarray(tf.nn.conv3d(to_first(x) if cf else x, w, list(strides), padding,
                                  data_format=data_format, dilations=dil))
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if cf else got, want, rtol=1e-10,
                               atol=1e-10)


def test_convolution_dispatches_on_filter_rank():
    x, w = rand(1, 6, 2), rand(3, 2, 4, seed=1)
    np.testing.assert_allclose(np.asarray(tf.nn.convolution(x, w, padding="SAME")),
                               ref_conv(x, w, (1,), "SAME", (1,)), atol=1e-12)
    x, w = rand(1, 5, 5, 2), rand(2, 2, 2, 3, seed=1)
    np.testing.assert_allclose(np.asarray(tf.nn.convolution(x, w, strides=2,
                                                            dilations=None)),
                               ref_conv(x, w, (2, 2), "VALID", (1, 1)), atol=1e-12)
    np.testing.assert_allclose(np.asarray(tf.nn.atrous_conv2d(x, w, 2, "SAME")),
                               ref_conv(x, w, (1, 1), "SAME", (2, 2)), atol=1e-12)


def test_conv2d_hand_computed():
    x = tf.reshape(tf.range(9.0), [1, 3, 3, 1])
    k = tf.constant([[1.0, 0.0], [0.0, -1.0]], shape=[2, 2, 1, 1])
    np.testing.assert_array_equal(tf.nn.conv2d(x, k, 1, "VALID").numpy()[0, :, :, 0],
                                  [[-4.0, -4.0], [-4.0, -4.0]])


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_conv2d_dtype_preserved(dtype):
    x, w = rand(1, 4, 4, 2).astype(dtype), rand(3, 3, 2, 2, seed=1).astype(dtype)
    y = tf.nn.conv2d(x, w, 1, "SAME")
    assert y.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(np.asarray(y, np.float64),
                               ref_conv(x.astype(np.float64), w.astype(np.float64), (1, 1),
                                        "SAME", (1, 1)),
                               rtol=1e-2 if dtype == np.float16 else 1e-12,
                               atol=2e-2 if dtype == np.float16 else 1e-12)


def test_conv2d_empty_batch():
    y = tf.nn.conv2d(np.zeros((0, 4, 4, 2), np.float32), np.ones((3, 3, 2, 5), np.float32), 1,
                     "SAME")
    assert y.shape == (0, 4, 4, 5)


# --------------------------------------------------------------------- transposed ---

# (input shape, filter (k, out_c, in_c), output shape, strides, padding, dilations)
TRANSPOSE2D_CASES = [
    ((1, 2, 2, 3), (3, 3, 2, 3), (1, 4, 4, 2), (2, 2), "SAME", (1, 1)),
    ((2, 3, 2, 2), (2, 2, 3, 2), (2, 6, 4, 3), (2, 2), "VALID", (1, 1)),
    ((1, 3, 3, 2), (3, 3, 2, 2), (1, 7, 7, 2), (2, 2), "VALID", (1, 1)),
    ((1, 3, 3, 2), (3, 3, 2, 2), (1, 5, 6, 2), (2, 2), "SAME", (1, 1)),
    ((1, 4, 4, 1), (2, 2, 2, 1), (1, 4, 4, 2), (1, 1), "SAME", (2, 2)),
]


@pytest.mark.parametrize("xs,ws,out,strides,padding,dil", TRANSPOSE2D_CASES)
def test_conv2d_transpose_forward(xs, ws, out, strides, padding, dil):
    x, w = rand(*xs), rand(*ws, seed=1)
    got = tf.nn.conv2d_transpose(x, w, out, strides, padding, dilations=dil)
    assert got.shape == out
    np.testing.assert_allclose(np.asarray(got),
                               ref_conv_transpose(x, w, out, strides, padding, dil),
                               atol=1e-12)
    got_nchw = tf.nn.conv2d_transpose(to_first(x), w, [out[0], out[3], out[1], out[2]],
                                      strides, padding, data_format="NCHW", dilations=dil)
    np.testing.assert_allclose(np.moveaxis(np.asarray(got_nchw), 1, -1), np.asarray(got),
                               atol=1e-12)


def test_conv1d_and_conv3d_transpose_forward():
    x, w = rand(2, 3, 2), rand(3, 4, 2, seed=1)
    np.testing.assert_allclose(
        np.asarray(tf.nn.conv1d_transpose(x, w, [2, 6, 4], 2)),
        ref_conv_transpose(x, w, (2, 6, 4), (2,), "SAME", (1,)), atol=1e-12)
    x, w = rand(1, 2, 2, 2, 1), rand(2, 2, 2, 3, 1, seed=1)
    np.testing.assert_allclose(
        np.asarray(tf.nn.conv3d_transpose(x, w, [1, 4, 4, 4, 3], 2, "VALID")),
        ref_conv_transpose(x, w, (1, 4, 4, 4, 3), (2, 2, 2), "VALID", (1, 1, 1)), atol=1e-12)
    got = tf.nn.conv_transpose(rand(1, 2, 2, 1), np.ones((2, 2, 1, 1)), [4, 4], 2)
    assert got.shape == (1, 4, 4, 1)


def test_conv_transpose_is_conv_input_gradient():
    x, w = tf.constant(rand(2, 5, 5, 3)), tf.constant(rand(3, 3, 3, 4, seed=1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.conv2d(x, w, 2, "SAME")
    g = tf.constant(rand(*y.shape, seed=2))
    dx = tape.gradient(y, x, output_gradients=g)
    np.testing.assert_allclose(np.asarray(tf.nn.conv2d_transpose(g, w, x.shape, 2, "SAME")),
                               np.asarray(dx), atol=1e-12)


# ---------------------------------------------------------- depthwise and separable ---

@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
@pytest.mark.parametrize("strides,padding,dil", [((1, 1), "SAME", (1, 1)),
                                                 ((2, 2), "VALID", (1, 1)),
                                                 ((1, 1), "VALID", (2, 2))])
def test_depthwise_conv2d_forward(strides, padding, dil, data_format):
    x, w = rand(2, 6, 6, 3), rand(3, 3, 3, 2, seed=1)
    want = np.concatenate([ref_conv(x[..., c:c + 1], w[:, :, c:c + 1, :], strides, padding,
                                    dil) for c in range(3)], axis=-1)
    cf = data_format == "NCHW"
    got = np.asarray(tf.nn.depthwise_conv2d(to_first(x) if cf else x, w, list(strides),
                                            padding, data_format=data_format, dilations=dil))
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if cf else got, want, atol=1e-12)


def test_separable_conv2d_forward():
    x, dw, pw = rand(1, 5, 5, 2), rand(3, 3, 2, 2, seed=1), rand(1, 1, 4, 3, seed=2)
    mid = np.concatenate([ref_conv(x[..., c:c + 1], dw[:, :, c:c + 1, :], (1, 1), "SAME",
                                   (1, 1)) for c in range(2)], axis=-1)
    want = ref_conv(mid, pw, (1, 1), "VALID", (1, 1))
    got = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME")
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-12)


# ---------------------------------------------------------------------- gradients ---

GRAD2D_CASES = [
    ((1, 4, 4, 2), (3, 3, 2, 2), 1, "SAME", 1, "NHWC"),
    ((2, 4, 3, 2), (2, 2, 2, 3), 1, "VALID", 1, "NHWC"),
    ((1, 5, 5, 1), (3, 3, 1, 2), 2, "SAME", 1, "NHWC"),
    ((1, 5, 4, 2), (2, 2, 2, 2), 1, "SAME", 2, "NHWC"),
    ((1, 4, 4, 4), (2, 2, 2, 2), 1, "VALID", 1, "NHWC"),        # groups
    ((1, 5, 5, 4), (3, 3, 2, 4), 2, "SAME", 1, "NHWC"),         # groups + stride
    ((1, 2, 4, 4), (2, 2, 2, 2), 1, "SAME", 1, "NCHW"),
    ((1, 2, 5, 4), (3, 2, 2, 3), (2, 1), "VALID", 1, "NCHW"),
    ((1, 4, 4, 2), (2, 2, 2, 2), 1, [[0, 0], [1, 0], [2, 1], [0, 0]], 1, "NHWC"),
]


@pytest.mark.parametrize("xs,ws,strides,padding,dil,fmt", GRAD2D_CASES)
def test_conv2d_gradient(xs, ws, strides, padding, dil, fmt):
    check_gradient(lambda x, w: tf.nn.conv2d(x, w, strides, padding, data_format=fmt,
                                             dilations=dil),
                   [rand(*xs), rand(*ws, seed=1)])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"), [(1, 5, 2), (3, 2, 2)]),
    (lambda x, w: tf.nn.conv1d(x, w, 1, "VALID", data_format="NCW", dilations=2),
     [(1, 2, 6), (2, 2, 2)]),
    (lambda x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
     [(1, 3, 3, 2, 1), (2, 2, 2, 1, 2)]),
    (lambda x, w: tf.nn.conv2d_transpose(x, w, [1, 4, 4, 2], 2, "SAME"),
     [(1, 2, 2, 3), (3, 3, 2, 3)]),
    (lambda x, w: tf.nn.conv1d_transpose(x, w, [1, 5, 2], 2, "VALID"),
     [(1, 2, 2), (2, 2, 2)]),
    (lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
     [(1, 4, 4, 2), (2, 2, 2, 2)]),
])
def test_other_conv_gradients(fn, shapes):
    check_gradient(fn, [rand(*s, seed=i) for i, s in enumerate(shapes)])


def test_separable_conv2d_gradient():
    check_gradient(lambda x, d, p: tf.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "VALID"),
                   [rand(1, 4, 4, 2), rand(2, 2, 2, 1, seed=1), rand(1, 1, 2, 2, seed=2)])


@pytest.mark.parametrize("strides,padding,groups", [(1, "SAME", 1), (2, "VALID", 1),
                                                     (1, "SAME", 2)])
def test_conv2d_second_order(strides, padding, groups):
    check_second_order(lambda x, w: tf.nn.conv2d(x, w, strides, padding) ** 2,
                       [rand(1, 4, 4, 2), rand(2, 2, 2 // groups, 2, seed=1)])


def test_backprop_ops_gradients():
    """ConvBackpropInput and ConvBackpropFilter are differentiable w.r.t. their tensors."""
    from ember.engine.dispatch import execute
    from ember.ops.conv_ops import CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT
    attrs = {"strides": (2, 1), "dilations": (1, 1), "padding": "SAME", "data_format": "NHWC"}
    check_gradient(lambda w, g: execute(CONV2D_BACKPROP_INPUT,
                                        (tf.constant([1, 4, 3, 2]), w, g), attrs),
                   [rand(2, 2, 2, 3), rand(1, 2, 3, 3, seed=1)])
    check_gradient(lambda x, g: execute(CONV2D_BACKPROP_FILTER,
                                        (x, tf.constant([2, 2, 2, 3]), g), attrs),
                   [rand(1, 4, 3, 2), rand(1, 2, 3, 3, seed=1)])


def test_conv2d_float32_gradient_dtype():
    x, w = tf.constant(rand(1, 4, 4, 2).astype(np.float32)), \
        tf.constant(rand(3, 3, 2, 2).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "SAME"))
    dx, dw = tape.gradient(y, [x, w])
    assert dx.dtype == tf.float32 and dw.dtype == tf.float32


def test_conv2d_in_function():
    f = tf.function(lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"))
    x, w = rand(2, 4, 4, 2).astype(np.float32), rand(3, 3, 2, 3).astype(np.float32)
    np.testing.assert_allclose(np.asarray(f(x, w)), np.asarray(tf.nn.conv2d(x, w, 1, "SAME")),
                               rtol=1e-6)


# ------------------------------------------------------------------------- errors ---

@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tf.nn.conv2d(np.ones((4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32),
                          1, "SAME"), InvalidArgumentError, r"Conv2D.*4-dimensional.*\[4,4,1\]"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 3), np.float32), np.ones((2, 2, 2, 1), np.float32),
                          1, "SAME"), InvalidArgumentError, r"divisible by filter depth: 3 vs 2"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 4), np.float32), np.ones((2, 2, 2, 3), np.float32),
                          1, "SAME"), InvalidArgumentError, r"divisible by the number of groups"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32),
                          0, "SAME"), InvalidArgumentError, r"strides must be positive"),
    (lambda: tf.nn.conv2d(np.ones((1, 2, 2, 1), np.float32), np.ones((4, 4, 1, 1), np.float32),
                          1, "VALID"), InvalidArgumentError,
     r"Conv2D.*effective_filter_size: 4.*\[1,2,2,1\].*\[4,4,1,1\]"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float64),
                          1, "SAME"), InvalidArgumentError, r"float32 tensor but is a float64"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 1), np.int64), np.ones((2, 2, 1, 1), np.int64),
                          1, "SAME"), InvalidArgumentError, r"int64 is not in the list"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32),
                          [1, 2, 2, 2], "SAME"), InvalidArgumentError, r"batch and depth"),
    (lambda: tf.nn.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32),
                          1, "FULL"), ValueError, r"padding must be"),
    (lambda: tf.nn.conv3d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 2, 1, 1),
                                                                      np.float32),
                          1, "SAME"), InvalidArgumentError, r"Conv3D.*5-dimensional"),
    (lambda: tf.nn.depthwise_conv2d(np.ones((1, 4, 4, 3), np.float32),
                                    np.ones((2, 2, 2, 1), np.float32), [1, 1, 1, 1], "SAME"),
     InvalidArgumentError, r"same depth: 3 vs 2"),
    (lambda: tf.nn.conv2d_transpose(np.ones((1, 2, 2, 1), np.float32),
                                    np.ones((2, 2, 1, 1), np.float32), [1, 7, 7, 1], 2, "SAME"),
     InvalidArgumentError, r"Conv2DBackpropInput.*out_backprop shape \[1,2,2,1\].*\[1,4,4,1\]"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_public_names():
    for name in ["conv1d", "conv2d", "conv3d", "convolution", "conv1d_transpose",
                 "conv2d_transpose", "conv3d_transpose", "depthwise_conv2d",
                 "separable_conv2d", "depth_to_space", "space_to_depth"]:
        assert callable(getattr(tf.nn, name))


def test_eager_conv_gradients_run_as_one_kernel_unless_recorded(monkeypatch):
    """Eager gradients of a convolution w.r.t. both inputs come from one fused kernel; while
    an outer tape records them (for a second order), from the two differentiable ops."""
    from ember.ops import conv_ops
    from ember.runtime import conv_kernels
    calls = []
    real = conv_kernels.conv_backprop
    monkeypatch.setattr(conv_ops, "conv_backprop",
                        lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((2, 6, 5, 4)).astype(np.float32))
    w = tf.constant(rng.standard_normal((3, 3, 4, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.conv2d(x, w, 1, "SAME")
    dx, dw = tape.gradient(y, [x, w])
    assert calls == [1]
    with tf.GradientTape() as outer:
        outer.watch([x, w])
        with tf.GradientTape() as inner:
            inner.watch([x, w])
            y = tf.nn.conv2d(x, w, 1, "SAME")
        dx2, dw2 = inner.gradient(y, [x, w])
        loss = tf.reduce_sum(dw2 * dw2)
    assert calls == [1]
    np.testing.assert_allclose(dx2.numpy(), dx.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw2.numpy(), dw.numpy(), rtol=1e-5, atol=1e-5)
    # the recorded gradients can be differentiated again: with dy = 1, dw[t, c, o] sums x
    # over the windows, so d(sum(dw * dw))/dx is the input gradient of a convolution with
    # the filter 2 * dw for dy = 1
    ddx = outer.gradient(loss, x)
    with tf.GradientTape() as check:
        check.watch(x)
        y2 = tf.nn.conv2d(x, 2 * dw2, 1, "SAME")
    want = check.gradient(y2, x)
    np.testing.assert_allclose(ddx.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


# ------------------------------------- windows longer than the input; int32 (real TF) ---

FIXTURE = np.load(__import__("os").path.join(__import__("os").path.dirname(__file__), "..",
                                             "fixtures", "conv", "int32_conv.npz"))


EMPTY_CASES = [
    ("conv1d", lambda x: tf.nn.conv1d(x, tf.ones([3, 1, 2]), 1, "VALID"), [1, 2, 1], [1, 0, 2]),
    ("conv2d", lambda x: tf.nn.conv2d(x, tf.ones([3, 3, 1, 2]), 1, "VALID"), [1, 2, 2, 1],
     [1, 0, 0, 2]),
    ("conv2d_nchw", lambda x: tf.nn.conv2d(x, tf.ones([3, 3, 1, 2]), 1, "VALID",
                                           data_format="NCHW"), [1, 1, 2, 2], [1, 2, 0, 0]),
    ("conv2d_s2", lambda x: tf.nn.conv2d(x, tf.ones([4, 4, 1, 2]), 2, "VALID"), [1, 1, 1, 1],
     [1, 0, 0, 2]),
    ("conv2d_dilated", lambda x: tf.nn.conv2d(x, tf.ones([2, 2, 1, 2]), 1, "VALID",
                                              dilations=2), [1, 2, 2, 1], [1, 0, 0, 2]),
    ("conv3d", lambda x: tf.nn.conv3d(x, tf.ones([3, 3, 3, 1, 2]), [1] * 5, "VALID"),
     [1, 2, 2, 2, 1], [1, 0, 0, 0, 2]),
    ("depthwise", lambda x: tf.nn.depthwise_conv2d(x, tf.ones([3, 3, 1, 2]), [1] * 4,
                                                   "VALID"), [1, 2, 2, 1], [1, 0, 0, 2]),
    ("max_pool1d", lambda x: tf.nn.max_pool1d(x, 3, 1, "VALID"), [1, 2, 1], [1, 0, 1]),
    ("max_pool2d", lambda x: tf.nn.max_pool2d(x, 3, 1, "VALID"), [1, 2, 2, 1], [1, 0, 0, 1]),
    ("avg_pool2d", lambda x: tf.nn.avg_pool2d(x, 3, 1, "VALID"), [1, 2, 2, 1], [1, 0, 0, 1]),
    ("max_pool3d", lambda x: tf.nn.max_pool3d(x, 3, 1, "VALID"), [1, 2, 2, 2, 1],
     [1, 0, 0, 0, 1]),
    ("avg_pool3d", lambda x: tf.nn.avg_pool3d(x, 3, 1, "VALID"), [1, 2, 2, 2, 1],
     [1, 0, 0, 0, 1]),
]


@pytest.mark.parametrize("name,fn,in_shape,out_shape", EMPTY_CASES,
                         ids=[c[0] for c in EMPTY_CASES])
def test_valid_window_longer_than_input_gives_an_empty_result(name, fn, in_shape, out_shape):
    # TensorFlow's kernels: output size (n - window + stride) / stride, truncated; empty
    # when that is 0, an error only when it is negative
    x = tf.ones(in_shape)
    y = fn(x)
    assert y.shape == tuple(out_shape) and y.dtype == tf.float32
    traced = tf.function(fn)
    assert traced(x).shape == tuple(out_shape)
    spec = tf.function(fn, input_signature=[tf.TensorSpec([None] + in_shape[1:])])
    assert spec.get_concrete_function().structured_outputs.shape.as_list() == \
        [None] + out_shape[1:]

    def loss(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            s = tf.reduce_sum(fn(v))
        return tape.gradient(s, v)

    for g in (loss(x), tf.function(loss)(x)):
        assert g.shape == tuple(in_shape)
        np.testing.assert_array_equal(g.numpy(), np.zeros(in_shape, np.float32))


def test_empty_conv_filter_gradient_and_fixture():
    x, w = tf.ones([1, 2, 2, 1]), tf.ones([3, 3, 1, 2])
    with tf.GradientTape() as tape:
        tape.watch(w)
        s = tf.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID"))
    np.testing.assert_array_equal(tape.gradient(s, w).numpy(), np.zeros([3, 3, 1, 2]))
    assert tf.nn.conv2d(x, w, 1, "VALID").shape == FIXTURE["empty_conv2d"].shape
    assert tf.nn.conv2d(tf.ones([1, 1, 1, 1]), tf.ones([4, 4, 1, 2]), 2, "VALID").shape == \
        FIXTURE["empty_conv2d_s2"].shape
    assert tf.nn.max_pool2d(x, 3, 1, "VALID").shape == FIXTURE["empty_max_pool"].shape


@pytest.mark.parametrize("n,k,s,size", [(2, 4, 1, -1), (2, 5, 1, -2), (1, 5, 2, -1),
                                        (1, 6, 2, -1)])
def test_window_too_long_for_an_empty_result_raises(n, k, s, size):
    with pytest.raises(InvalidArgumentError,
                       match=f"Computed output size would be negative: {size} "
                             f"\\[input_size: {n}, effective_filter_size: {k}, stride: {s}\\]"):
        tf.nn.conv2d(tf.ones([1, n, n, 1]), tf.ones([k, k, 1, 2]), s, "VALID")
    with pytest.raises(InvalidArgumentError, match="Computed output size would be negative"):
        tf.nn.max_pool2d(tf.ones([1, n, n, 1]), k, s, "VALID")


INT32_CASES = {
    "conv2d_valid": lambda x, w, x8: tf.nn.conv2d(x, w, 1, "VALID"),
    "conv2d_same": lambda x, w, x8: tf.nn.conv2d(x, w, 1, "SAME"),
    "conv2d_same_s2": lambda x, w, x8: tf.nn.conv2d(x8, w, 2, "SAME"),
    "conv2d_same_d2": lambda x, w, x8: tf.nn.conv2d(x8, w, 1, "SAME", dilations=2),
    "conv2d_grouped": lambda x, w, x8: tf.nn.conv2d(tf.concat([x, -x], -1), w, 1, "VALID"),
    "conv2d_explicit": lambda x, w, x8: tf.nn.conv2d(x, w, 1, [[0, 0], [1, 0], [0, 2], [0, 0]]),
    "conv2d_wraps": lambda x, w, x8: tf.nn.conv2d(tf.fill([1, 3, 3, 1], 2 ** 20),
                                                  tf.fill([3, 3, 1, 1], 2 ** 12 + 1), 1,
                                                  "VALID"),
    "conv1d_same": lambda x, w, x8: tf.nn.conv1d(x[:, 0], w[0], 1, "SAME"),
    "conv2d_transpose": lambda x, w, x8: tf.nn.conv2d_transpose(x, w[..., :1], [1, 6, 6, 1],
                                                                1, "VALID"),
    "conv1d_transpose": lambda x, w, x8: tf.nn.conv1d_transpose(x[:, 0], w[0, ..., :1],
                                                                [1, 6, 1], 1, "VALID"),
}


@pytest.mark.parametrize("name", sorted(INT32_CASES))
def test_int32_convolutions_match_tensorflow(name):
    args = [tf.constant(FIXTURE[k]) for k in ("x", "w", "x8")]
    assert args[0].dtype == tf.int32
    fn = INT32_CASES[name]
    for got in (fn(*args), tf.function(fn)(*args)):
        assert got.dtype == tf.int32
        np.testing.assert_array_equal(got.numpy(), FIXTURE[name])


def test_int32_only_where_tensorflow_has_an_int32_kernel():
    x = tf.constant(FIXTURE["x"])
    w = tf.constant(FIXTURE["w"])
    for fn, op in ((lambda: tf.nn.conv3d(x[:, None], w[None], [1] * 5, "VALID"), "Conv3D"),
                   (lambda: tf.nn.depthwise_conv2d(x, w, [1] * 4, "VALID"),
                    "DepthwiseConv2dNative"),
                   (lambda: tf.nn.conv2d(tf.cast(x, tf.int64), tf.cast(w, tf.int64), 1,
                                         "VALID"), "Conv2D")):
        with pytest.raises(InvalidArgumentError, match=f"not in the list of allowed.*{op}"):
            fn()
    with pytest.raises(InvalidArgumentError, match="expected to be a int32 tensor"):
        tf.nn.conv2d(x, tf.cast(w, tf.float32), 1, "VALID")
