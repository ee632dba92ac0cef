"""Every tf.image case of tests/fixtures/image/image_cases.py against real TensorFlow's
outputs (image.npz, written by make_image_fixtures.py)."""
import os
import sys

import numpy as np
import pytest

import ember as tf

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")
sys.path.insert(0, HERE)
from image_cases import CASES  # noqa: E402

FIXTURES = np.load(os.path.join(HERE, "image.npz"))
EXACT = ("nearest", "flip", "rot90", "transpose", "crop_to", "pad_to", "crop_or_pad",
         "nms", "central_crop", "convert_f32_u8", "convert_u8_i32", "convert_i32",
         "convert_f32_i16", "u8")


@pytest.fixture(scope="module")
def inputs():
    return {k[3:]: tf.constant(FIXTURES[k]) for k in FIXTURES.files if k.startswith("in_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name, inputs):
    want = FIXTURES[f"out_{name}"]
    got = np.asarray(CASES[name](tf, inputs))
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if any(k in name for k in EXACT) and "bilinear" not in name and "scores" not in name:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def test_every_case_has_a_fixture():
    assert sorted(f"out_{n}" for n in CASES) == sorted(k for k in FIXTURES.files
                                                       if k.startswith("out_"))
