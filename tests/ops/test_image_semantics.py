"""tf.image: gradients of the differentiable ops, random ops' semantics and seeding,
traced use and errors (values against TensorFlow are in test_image_fixtures.py)."""
import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient


def img(*shape, seed=0, lo=0.05, hi=0.95):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


GRADIENT_CASES = {
    "rgb_to_hsv": lambda x: tf.image.rgb_to_hsv(x),
    "hsv_to_rgb": lambda x: tf.image.hsv_to_rgb(x),
    "rgb_to_yuv": lambda x: tf.image.rgb_to_yuv(x),
    "yiq_to_rgb": lambda x: tf.image.yiq_to_rgb(x),
    "rgb_to_grayscale": lambda x: tf.image.rgb_to_grayscale(x),
    "adjust_brightness": lambda x: tf.image.adjust_brightness(x, 0.1),
    "adjust_contrast": lambda x: tf.image.adjust_contrast(x, 1.5),
    "adjust_saturation": lambda x: tf.image.adjust_saturation(x, 0.7),
    "adjust_hue": lambda x: tf.image.adjust_hue(x, 0.2),
    "adjust_gamma": lambda x: tf.image.adjust_gamma(x, 1.7, 0.8),
    "per_image_standardization": lambda x: tf.image.per_image_standardization(x),
    "sobel_edges": lambda x: tf.image.sobel_edges(x[None]),
    "total_variation": lambda x: tf.image.total_variation(x),
    "crop_and_resize": lambda x: tf.image.crop_and_resize(
        x[None], [[0.1, 0.2, 0.9, 0.7]], [0], [3, 2]),
    "rot90": lambda x: tf.image.rot90(x, 3),
    "resize_with_pad": lambda x: tf.image.resize_with_pad(x, 4, 6, method="bicubic"),
    "psnr": lambda x: tf.image.psnr(x, x * 0.5 + 0.2, 1.0),
}


FLOAT32_ONLY = ("crop_and_resize", "psnr", "resize_with_pad")


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients(name):
    # hsv ops are piecewise: inputs away from ties keep finite differences on one piece
    x = img(3, 4, 3, seed=len(name))
    if name in FLOAT32_ONLY:  # computed in float32 like TensorFlow: a larger step
        check_gradient(GRADIENT_CASES[name], [x], rtol=2e-2, atol=2e-3, delta=1e-2)
    else:
        check_gradient(GRADIENT_CASES[name], [x], rtol=2e-3, atol=2e-4, delta=1e-5)


def test_ssim_gradient():
    a, b = img(1, 8, 8, 1, seed=1), img(1, 8, 8, 1, seed=2)
    check_gradient(lambda x: tf.image.ssim(x, tf.constant(b), 1.0, filter_size=3), [a],
                   rtol=2e-2, atol=2e-3, delta=1e-2)  # float32 inside, as TensorFlow


def test_hsv_round_trip_and_ranges():
    x = img(2, 5, 7, 3, seed=3, lo=0, hi=1).astype(np.float32)
    hsv = tf.image.rgb_to_hsv(x).numpy()
    assert hsv.min() >= 0 and hsv.max() <= 1
    np.testing.assert_allclose(tf.image.hsv_to_rgb(hsv).numpy(), x, atol=2e-6)
    np.testing.assert_allclose(tf.image.yuv_to_rgb(tf.image.rgb_to_yuv(x)).numpy(), x,
                               atol=2e-6)


@pytest.mark.parametrize("fn,mirror", [
    (tf.image.random_flip_left_right, lambda x: x[:, :, ::-1]),
    (tf.image.random_flip_up_down, lambda x: x[:, ::-1]),
])
def test_random_flip_is_each_image_or_its_mirror(fn, mirror):
    x = img(16, 3, 4, 2, seed=4).astype(np.float32)
    tf.random.set_seed(3)
    y = fn(x).numpy()
    same = np.all(y == x, axis=(1, 2, 3))
    flipped = np.all(y == mirror(x), axis=(1, 2, 3))
    assert np.all(same | flipped) and same.any() and flipped.any()


def test_stateless_random_ops_are_functions_of_the_seed():
    x = img(8, 5, 6, 3, seed=5).astype(np.float32)
    for fn in (lambda s: tf.image.stateless_random_flip_left_right(x, s),
               lambda s: tf.image.stateless_random_flip_up_down(x, s),
               lambda s: tf.image.stateless_random_brightness(x, 0.3, s),
               lambda s: tf.image.stateless_random_contrast(x, 0.2, 1.8, s),
               lambda s: tf.image.stateless_random_saturation(x, 0.2, 1.8, s),
               lambda s: tf.image.stateless_random_hue(x, 0.4, s),
               lambda s: tf.image.stateless_random_crop(x, [8, 3, 4, 3], s)):
        a, b = fn([1, 2]).numpy(), fn([1, 2]).numpy()
        np.testing.assert_array_equal(a, b)
        outs = [fn([k, 7]).numpy() for k in range(6)]
        assert any(not np.array_equal(outs[0], o) for o in outs[1:])


def test_random_adjustments_stay_in_their_family():
    x = img(5, 6, 3, seed=6).astype(np.float32)
    tf.random.set_seed(1)
    y = tf.image.random_brightness(x, 0.2).numpy()
    delta = y - x
    assert np.ptp(delta) < 1e-6 and abs(delta.mean()) <= 0.2
    y = tf.image.random_contrast(x, 0.5, 1.5).numpy()
    mean = x.mean(axis=(0, 1))
    f = (y - mean) / (x - mean)
    assert np.ptp(f) < 1e-3 and 0.5 <= f.mean() <= 1.5
    crop = tf.image.random_crop(x, [3, 4, 3]).numpy()
    windows = [x[i:i + 3, j:j + 4] for i in range(3) for j in range(3)]
    assert any(np.array_equal(crop, w) for w in windows)


def test_convert_image_dtype_identity_and_saturation():
    x = np.array([-0.5, 0.0, 0.5, 1.0, 1.5], np.float32)
    np.testing.assert_array_equal(tf.image.convert_image_dtype(x, tf.uint8, saturate=True),
                                  [0, 0, 127, 255, 255])  # 0.5 * 255.5 truncates
    assert tf.image.convert_image_dtype(x, tf.float32).dtype == tf.float32


def test_works_traced():
    x = img(2, 5, 7, 3, seed=7).astype(np.float32)

    @tf.function
    def f(v):
        v = tf.image.resize(v, [6, 4], method="bicubic")
        v = tf.image.adjust_hue(tf.image.flip_left_right(v), 0.1)
        return tf.image.ssim(v, v * 0.9, 1.0, filter_size=3)

    np.testing.assert_allclose(f(x).numpy(), tf.image.ssim(
        tf.image.adjust_hue(tf.image.flip_left_right(tf.image.resize(x, [6, 4], "bicubic")),
                            0.1), tf.image.adjust_hue(tf.image.flip_left_right(
                                tf.image.resize(x, [6, 4], "bicubic")), 0.1) * 0.9, 1.0,
        filter_size=3).numpy(), rtol=1e-5)


def test_jpeg_quality_round_trip():
    pytest.importorskip("PIL")
    x = np.tile(np.linspace(0, 1, 16, dtype=np.float32)[None, :, None], [16, 1, 3])
    y = tf.image.adjust_jpeg_quality(x, 95).numpy()
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.abs(y - x).max() < 0.05


@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tf.image.flip_left_right(np.ones((3, 3))), ValueError, "flip_left_right"),
    (lambda: tf.image.crop_to_bounding_box(np.ones((4, 4, 1)), 2, 2, 3, 3), ValueError,
     "does not fit"),
    (lambda: tf.image.pad_to_bounding_box(np.ones((4, 4, 1)), 1, 1, 4, 4), ValueError,
     "smaller than"),
    (lambda: tf.image.central_crop(np.ones((4, 4, 1)), 0.0), ValueError, "central_fraction"),
    (lambda: tf.image.rgb_to_hsv(np.ones((4, 4, 2))), ValueError, "last dimension"),
    (lambda: tf.image.random_hue(np.ones((2, 2, 3)), 0.7), ValueError, "max_delta"),
    (lambda: tf.image.random_contrast(np.ones((2, 2, 3)), 1.0, 0.5), ValueError, "upper"),
    (lambda: tf.image.ssim(np.ones((1, 4, 4, 1)), np.ones((1, 4, 4, 1)), 1.0), ValueError,
     "filter_size"),
    (lambda: tf.image.non_max_suppression(np.ones((3, 4)), np.ones(2), 2), Exception,
     "same number"),
    (lambda: tf.image.convert_image_dtype(np.ones(2), tf.string), Exception, "dtype"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_sample_distorted_bounding_box_windows_cover_the_object():
    box = np.array([0.1, 0.2, 0.6, 0.7])
    for k in range(5):
        begin, size, drawn = tf.image.stateless_sample_distorted_bounding_box(
            [20, 30, 3], [[box]], [k, 1], min_object_covered=0.4,
            aspect_ratio_range=(0.5, 2.0), area_range=(0.1, 1.0))
        (top, left, _), (h, w, c) = begin.numpy(), size.numpy()
        assert c == -1 and 0 <= top and top + h <= 20 and 0 <= left and left + w <= 30
        ih = max(min(top + h, 12) - max(top, 2), 0)
        iw = max(min(left + w, 21) - max(left, 6), 0)
        assert ih * iw >= 0.4 * 10 * 15 - 1e-6
        np.testing.assert_allclose(drawn.numpy()[0, 0], [top / 20, left / 30, (top + h) / 20,
                                                         (left + w) / 30], rtol=1e-6)
        again = tf.image.stateless_sample_distorted_bounding_box(
            [20, 30, 3], [[box]], [k, 1], min_object_covered=0.4,
            aspect_ratio_range=(0.5, 2.0), area_range=(0.1, 1.0))
        np.testing.assert_array_equal(again[0].numpy(), begin.numpy())
    tf.random.set_seed(4)
    begin, size, _ = tf.image.sample_distorted_bounding_box([8, 8, 1], [[[0.0, 0.0, 1.0, 1.0]]])
    assert tf.slice(tf.zeros([8, 8, 1]), begin, size).shape.rank == 3
