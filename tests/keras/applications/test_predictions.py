"""keras.applications forward passes against real Keras: small configurations of each
family, every weight set by the same formula in both frameworks
(tests/keras/applications/weight_formula.py), outputs on a fixed input compared with
Keras's (tests/fixtures/applications/predictions.npz)."""
import numpy as np
import pytest

from tests.keras.applications import fixtures

PREDICTIONS = fixtures.predictions()
# checked by check_heavy_architectures.py, outside the suite (54 million weights)
HEAVY_CASES = ("inception_resnet_v2_notop",)


def assert_close_to_keras(y, ref):
    scale = float(np.abs(ref).max())
    assert scale > 1e-3      # the fixture's activations are not vanishing
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-4, atol=1e-5 * scale)


def check_predictions(name):
    """Builds prediction case ``name`` with the formula's weights and compares its output
    on the fixed input with Keras's."""
    ctor, kwargs, in_shape = fixtures.PREDICTIONS[name]
    model = fixtures.build(ctor, kwargs, fill=True)
    x = fixtures.fixed_input(in_shape)
    ref = PREDICTIONS[f"{name}/y"]
    y = model(x, training=False)
    assert tuple(y.shape) == ref.shape
    assert_close_to_keras(y, ref)


@pytest.mark.parametrize("name", sorted(set(fixtures.PREDICTIONS) - set(HEAVY_CASES)))
def test_predictions_match_keras(name):
    check_predictions(name)


def test_predict_and_compiled_call_agree_with_keras():
    """model.predict (batched, compiled step) gives Keras's numbers too."""
    ctor, kwargs, in_shape = fixtures.PREDICTIONS["mobilenet_v3small_min"]
    model = fixtures.build(ctor, kwargs, fill=True)
    x = fixtures.fixed_input(in_shape)
    assert_close_to_keras(model.predict(x, batch_size=1, verbose=0),
                          PREDICTIONS["mobilenet_v3small_min/y"])


def test_stochastic_layers_are_identity_at_inference_and_random_in_training():
    """EfficientNet's stochastic-depth dropouts and top dropout act only in training."""
    from ember import keras
    ctor, kwargs, in_shape = fixtures.PREDICTIONS["efficientnet_b0"]
    model = fixtures.build(ctor, kwargs, fill=True)
    x = fixtures.fixed_input(in_shape)
    assert_close_to_keras(model(x, training=False), PREDICTIONS["efficientnet_b0/y"])
    batch = fixtures.fixed_input((2,) + tuple(in_shape[1:]))
    keras.utils.set_random_seed(3)
    a = np.asarray(model(batch, training=True))
    b = np.asarray(model(batch, training=True))
    assert not np.allclose(a, b)
