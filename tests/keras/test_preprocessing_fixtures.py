"""Keras preprocessing layers against real Keras's outputs on the same inputs
(tests/fixtures/keras_preprocessing, written by make_preprocessing_fixtures.py)."""
import os
import sys

import numpy as np
import pytest

from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_preprocessing")
sys.path.insert(0, HERE)
from preprocessing_cases import CASES  # noqa: E402

FIXTURES = np.load(os.path.join(HERE, "preprocessing.npz"))
INPUTS = {k[3:]: FIXTURES[k] for k in FIXTURES.files if k.startswith("in_")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    want = FIXTURES[f"out_{name}"]
    got = np.asarray(CASES[name](keras, INPUTS))
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "iu":
        assert got.dtype.kind in "iu", got.dtype
        np.testing.assert_array_equal(got, want)
    else:
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-4)


def test_every_case_has_a_fixture():
    assert sorted(f"out_{n}" for n in CASES) == sorted(k for k in FIXTURES.files
                                                       if k.startswith("out_"))
