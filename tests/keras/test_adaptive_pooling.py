"""Adaptive pooling layers against real Keras (tests/fixtures/keras_adaptive_pooling)."""
import os
import sys

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_adaptive_pooling")
sys.path.insert(0, HERE)
from make_adaptive_fixtures import CASES  # noqa: E402

FIX = np.load(os.path.join(HERE, "adaptive.npz"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    cls, kwargs, _ = CASES[name]
    layer = getattr(keras.layers, cls)(**kwargs)
    x = FIX[f"in_{name}"]
    got = layer(x).numpy()
    np.testing.assert_allclose(got, FIX[f"out_{name}"], rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(x.shape) == got.shape
    traced = ember.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(ember.constant(x)).numpy(), got, rtol=1e-6)
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_gradient_flows_and_errors():
    x = ember.Variable(np.arange(12, dtype=np.float32).reshape(1, 6, 2))
    with ember.GradientTape() as tape:
        y = ember.reduce_sum(keras.layers.AdaptiveAveragePooling1D(4)(x))
    g = tape.gradient(y, x).numpy()
    assert g.shape == (1, 6, 2) and np.all(g > 0)
    with pytest.raises(TypeError, match="output_size"):
        keras.layers.AdaptiveMaxPooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="rank"):
        keras.layers.AdaptiveMaxPooling2D(2)(np.ones((2, 3, 3)))
