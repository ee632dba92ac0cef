"""image.resize, depth_to_space, space_to_depth, image.extract_patches."""
import itertools

import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_gradient


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------------- resize ---

def ref_bilinear(img, oh, ow):
    """Half-pixel-center bilinear interpolation, one output pixel at a time."""
    n, h, w, c = img.shape
    out = np.zeros((n, oh, ow, c))
    for i, j in itertools.product(range(oh), range(ow)):
        sy = max((i + 0.5) * h / oh - 0.5, 0.0)
        sx = max((j + 0.5) * w / ow - 0.5, 0.0)
        y0, x0 = int(np.floor(sy)), int(np.floor(sx))
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        fy, fx = sy - y0, sx - x0
        top = img[:, y0, x0] * (1 - fx) + img[:, y0, x1] * fx
        bottom = img[:, y1, x0] * (1 - fx) + img[:, y1, x1] * fx
        out[:, i, j] = top * (1 - fy) + bottom * fy
    return out


def ref_nearest(img, oh, ow):
    n, h, w, c = img.shape
    ys = [min(int(np.floor((i + 0.5) * h / oh)), h - 1) for i in range(oh)]
    xs = [min(int(np.floor((j + 0.5) * w / ow)), w - 1) for j in range(ow)]
    return img[:, ys][:, :, xs]


def test_resize_hand_computed():
    # 1x2 -> 1x4: sample points -0.25, 0.25, 0.75, 1.25 (clamped at the ends)
    got = tf.image.resize(tf.constant([[[1.0], [3.0]]]), [1, 4])
    np.testing.assert_allclose(got.numpy()[0, :, 0], [1.0, 1.5, 2.5, 3.0])
    # 4 -> 2 without antialias: samples at 0.5 and 2.5 (averages of neighbours)
    got = tf.image.resize(tf.constant([[[0.0], [2.0], [4.0], [10.0]]]), [1, 2])
    np.testing.assert_allclose(got.numpy()[0, :, 0], [1.0, 7.0])
    # nearest: 3 -> 2 picks floor((j + 0.5) * 1.5) = 0, 2
    got = tf.image.resize(tf.constant([[[5], [6], [7]]]), [1, 2], method="nearest")
    assert got.dtype == tf.int32
    np.testing.assert_array_equal(got.numpy()[0, :, 0], [5, 7])


def test_resize_antialias_hand_computed():
    # 4 -> 2: triangle filter of half-width 2; output 0 weights [.75, .75, .25, 0] / 1.75
    got = tf.image.resize(tf.constant([[[0.0], [1.0], [2.0], [3.0]]]), [1, 2], antialias=True)
    np.testing.assert_allclose(got.numpy()[0, :, 0], [1.25 / 1.75, 3 - 1.25 / 1.75], rtol=1e-6)
    # upsampling with antialias is plain bilinear
    x = rand(1, 3, 4, 2)
    np.testing.assert_allclose(np.asarray(tf.image.resize(x, [5, 7], antialias=True)),
                               ref_bilinear(x, 5, 7), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [(6, 8), (2, 3), (3, 4), (5, 2), (1, 1)])
def test_resize_bilinear_and_nearest(size):
    x = rand(2, 3, 4, 2).astype(np.float32)
    got = tf.image.resize(x, size)
    assert got.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(got), ref_bilinear(x.astype(np.float64), *size),
                               rtol=1e-5, atol=1e-6)
    got = tf.image.resize(x, size, method="nearest")
    np.testing.assert_array_equal(np.asarray(got), ref_nearest(x, *size))


def test_resize_3d_input_and_int_bilinear():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    got = tf.image.resize(x, [6, 8])
    assert got.shape == (6, 8, 1) and got.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(got), ref_bilinear(x[None].astype(np.float64),
                                                             6, 8)[0], rtol=1e-6)
    # 4x6 fitted in 4x4: scale 2/3, height round(2.67) = 3 (as TensorFlow rounds)
    got = tf.image.resize(np.ones((4, 6, 3)), [4, 4], preserve_aspect_ratio=True)
    assert got.shape == (3, 4, 3)


@pytest.mark.parametrize("method,size,antialias", [("bilinear", (5, 3), False),
                                                   ("bilinear", (2, 2), True),
                                                   ("nearest", (5, 2), False),
                                                   ("bicubic", (5, 7), False),
                                                   ("bicubic", (2, 3), True),
                                                   ("area", (2, 3), False),
                                                   ("lanczos3", (5, 2), True),
                                                   ("mitchellcubic", (2, 6), False)])
def test_resize_gradient(method, size, antialias):
    # The output is float32: the map is linear, so a large step keeps differences exact.
    check_gradient(lambda x: tf.image.resize(x, size, method=method, antialias=antialias),
                   [rand(1, 3, 4, 1)], rtol=1e-4, atol=1e-4, delta=0.5)


def test_resize_second_order():
    # y = sum((R x)^2): the gradient 2 R^T R x has derivative-sum 2 R^T R 1 = 2 R^T 1.
    x = tf.constant(rand(1, 2, 3, 1))
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.image.resize(x, [3, 5]) ** 2)
        z = tf.reduce_sum(inner.gradient(y, x))
    h = outer.gradient(z, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.reduce_sum(tf.image.resize(x, [3, 5]))
    np.testing.assert_allclose(np.asarray(h), 2 * np.asarray(tape.gradient(s, x)), rtol=1e-5)


# ------------------------------------------------------------ depth_to_space & back ---

def ref_depth_to_space(x, b):
    n, h, w, c = x.shape
    co = c // (b * b)
    out = np.zeros((n, h * b, w * b, co))
    for i, j, di, dj in itertools.product(range(h), range(w), range(b), range(b)):
        out[:, i * b + di, j * b + dj] = x[:, i, j, (di * b + dj) * co:(di * b + dj + 1) * co]
    return out


@pytest.mark.parametrize("shape,b", [((2, 2, 3, 8), 2), ((1, 1, 2, 18), 3)])
def test_depth_to_space(shape, b):
    x = rand(*shape)
    want = ref_depth_to_space(x, b)
    np.testing.assert_array_equal(np.asarray(tf.nn.depth_to_space(x, b)), want)
    nchw = tf.nn.depth_to_space(np.moveaxis(x, -1, 1), b, data_format="NCHW")
    np.testing.assert_array_equal(np.moveaxis(np.asarray(nchw), 1, -1), want)
    back = tf.nn.space_to_depth(want, b)
    np.testing.assert_array_equal(np.asarray(back), x)
    back = tf.nn.space_to_depth(np.moveaxis(want, -1, 1), b, data_format="NCHW")
    np.testing.assert_array_equal(np.moveaxis(np.asarray(back), 1, -1), x)
    check_gradient(lambda t: tf.nn.depth_to_space(t, b), [x[:1, :1]])


# ---------------------------------------------------------------- extract_patches ---

def ref_patches(x, k, s, r, padding):
    n, h, w, c = x.shape
    eff = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "SAME":
        outs = [-(-h // s[0]), -(-w // s[1])]
        pads = [max((o - 1) * st + e - size, 0) // 2
                for o, st, e, size in zip(outs, s, eff, (h, w))]
    else:
        outs = [(h - eff[0]) // s[0] + 1, (w - eff[1]) // s[1] + 1]
        pads = [0, 0]
    out = np.zeros((n, outs[0], outs[1], k[0] * k[1] * c))
    for i, j, a, b in itertools.product(range(outs[0]), range(outs[1]), range(k[0]),
                                        range(k[1])):
        y, xx = i * s[0] + a * r[0] - pads[0], j * s[1] + b * r[1] - pads[1]
        if 0 <= y < h and 0 <= xx < w:
            out[:, i, j, (a * k[1] + b) * c:(a * k[1] + b + 1) * c] = x[:, y, xx]
    return out


@pytest.mark.parametrize("k,s,r,padding", [((2, 2), (2, 2), (1, 1), "VALID"),
                                           ((3, 2), (1, 2), (1, 1), "SAME"),
                                           ((2, 2), (1, 1), (2, 1), "VALID"),
                                           ((3, 3), (2, 2), (1, 2), "SAME")])
def test_extract_patches(k, s, r, padding):
    x = rand(2, 5, 6, 2)
    got = tf.image.extract_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], padding)
    np.testing.assert_array_equal(np.asarray(got), ref_patches(x, k, s, r, padding))
    check_gradient(lambda t: tf.image.extract_patches(t, [1, *k, 1], [1, *s, 1], [1, *r, 1],
                                                      padding), [rand(1, 4, 5, 1)])


# ------------------------------------------------------------------------- errors ---

@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tf.image.resize(np.ones((2, 2)), [3, 3]), InvalidArgumentError,
     r"3- or 4-dimensional"),
    (lambda: tf.image.resize(np.ones((2, 2, 1)), [3, 3], method="cubic"),
     ValueError, r"method must be one of"),
    (lambda: tf.image.resize(np.ones((2, 2, 1)), [3]), ValueError, r"two elements"),
    (lambda: tf.nn.depth_to_space(np.ones((1, 2, 2, 6)), 2), InvalidArgumentError,
     r"DepthToSpace: input depth 6 must be divisible by.*4"),
    (lambda: tf.nn.space_to_depth(np.ones((1, 3, 2, 1)), 2), InvalidArgumentError,
     r"SpaceToDepth: image height 3 and width 2"),
    (lambda: tf.image.extract_patches(np.ones((1, 2, 2, 1)), [1, 4, 4, 1], [1, 1, 1, 1],
                                      [1, 1, 1, 1], "VALID"), InvalidArgumentError,
     r"ExtractImagePatches.*\[1,2,2,1\]"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_extract_patches_window_just_longer_than_the_image_is_empty():
    # TensorFlow: (2 - 3 + 1) / 1 = 0 patches per axis, not an error
    x = tf.ones((1, 2, 2, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.extract_patches(x, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    assert y.shape == (1, 0, 0, 9)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.zeros((1, 2, 2, 1)))
