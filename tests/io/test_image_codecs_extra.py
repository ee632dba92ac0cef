"""decode_and_crop_jpeg, extract_jpeg_shape, decode_webp and decode_jxl against real
TensorFlow (tests/fixtures/image_codecs, written by make_codec_fixtures.py)."""
import os

import numpy as np
import pytest

import ember

pytest.importorskip("PIL")
FIX = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "image_codecs",
                           "codecs.npz"))


def _data(name):
    return FIX[name].tobytes()


@pytest.mark.parametrize("name", ["jpeg", "jpeg_gray", "jpeg_progressive"])
@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_extract_jpeg_shape(name, dtype):
    got = ember.image.extract_jpeg_shape(ember.constant(_data(name)), output_type=dtype)
    assert got.dtype.name == dtype
    np.testing.assert_array_equal(got.numpy(), FIX[f"shape_{name}"])
    np.testing.assert_array_equal(ember.io.extract_jpeg_shape(_data(name)).numpy(),
                                  FIX[f"shape_{name}"])


@pytest.mark.parametrize("key, source, window, channels", [
    ("crop_rgb", "jpeg", [2, 3, 8, 10], 0), ("crop_rgb_full", "jpeg", [0, 0, 13, 17], 0),
    ("crop_gray", "jpeg_gray", [1, 1, 5, 4], 0), ("crop_to_gray", "jpeg", [0, 5, 4, 4], 1),
    ("crop_to_rgb", "jpeg_gray", [3, 0, 2, 6], 3)])
def test_decode_and_crop_jpeg(key, source, window, channels):
    got = ember.image.decode_and_crop_jpeg(_data(source), window, channels=channels).numpy()
    want = FIX[key]
    assert got.shape == want.shape and got.dtype == np.uint8
    # Pillow's and TensorFlow's libjpeg builds upsample chroma slightly differently
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 6
    full = ember.image.decode_jpeg(_data(source), channels=channels).numpy()
    y, x, h, w = window
    np.testing.assert_array_equal(got, full[y:y + h, x:x + w])


def test_decode_and_crop_jpeg_rejects_a_window_outside():
    with pytest.raises(ember.errors.InvalidArgumentError, match="crop window"):
        ember.image.decode_and_crop_jpeg(_data("jpeg"), [10, 0, 5, 5])


@pytest.mark.parametrize("name, channels", [("webp_rgb", 0), ("webp_rgba", 0),
                                            ("webp_anim", 0), ("webp_rgba", 4)])
def test_decode_webp_lossless_is_exact(name, channels):
    got = ember.image.decode_webp(_data(name), channels=channels).numpy()
    key = f"decoded_{name}" + ("_4" if channels == 4 else "")
    np.testing.assert_array_equal(got, FIX[key])


def test_decode_webp_channel_mismatch_and_jxl():
    with pytest.raises(ember.errors.InvalidArgumentError, match="channels"):
        ember.io.decode_webp(_data("webp_rgb"), channels=4)
    with pytest.raises(ValueError, match="channels"):
        ember.io.decode_webp(_data("webp_rgb"), channels=1)
    try:
        ember.image.decode_jxl(b"\xff\x0a")
    except NotImplementedError as e:
        assert "JPEG XL" in str(e)
    except ember.errors.InvalidArgumentError as e:
        assert "decode_jxl" in str(e)
    else:
        pytest.fail("decode_jxl accepted a truncated file")
