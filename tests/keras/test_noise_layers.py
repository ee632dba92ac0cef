"""SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout and AlphaDropout: identity at
inference (through run_layer_test), whole-channel masks and noise statistics in training
(eager and traced), configs and errors."""
import numpy as np
import pytest

import ember
from ember.keras.layers.noise import (
    AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D,
    SpatialDropout3D,
)
from tests.keras.layer_test_utils import run_layer_test

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((4, 6, 5)).astype("float32")
X4 = RNG.standard_normal((4, 3, 3, 5)).astype("float32")
X5 = RNG.standard_normal((2, 2, 3, 2, 4)).astype("float32")

CASES = [
    ("spatial1d", SpatialDropout1D, {"rate": 0.5}, X3),
    ("spatial2d", SpatialDropout2D, {"rate": 0.3, "seed": 1}, X4),
    ("spatial2d_channels_first", SpatialDropout2D,
     {"rate": 0.3, "data_format": "channels_first"}, X4),
    ("spatial3d", SpatialDropout3D, {"rate": 0.2}, X5),
    ("gaussian_noise", GaussianNoise, {"stddev": 0.5, "seed": 2}, X3),
    ("gaussian_dropout", GaussianDropout, {"rate": 0.4}, X4),
    ("alpha_dropout", AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 5)}, X3),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_identity_at_inference(case):
    _, cls, kwargs, data = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=data.shape,
                            expected_output=data, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0, training_epochs=2)
    assert set(result["skipped"]) <= {"save_load"}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_training_mode_runs_through_checks(case):
    _, cls, kwargs, data = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=data.shape,
                            call_kwargs={"training": True}, deterministic=False,
                            supports_training=False, run_saving_check=False)
    assert not np.allclose(result["output"].numpy(), data)


def _channel_masks(y, x, channel_axis, spatial_axes, rate):
    """Each (sample, channel) block is either all zero or all x / (1 - rate)."""
    ratio = np.where(x != 0, y / x, 0.0)
    kept = np.isclose(ratio, 1 / (1 - rate), rtol=1e-5)
    dropped = y == 0
    assert np.all(kept | dropped)
    per_block = kept.all(axis=spatial_axes)
    assert np.array_equal(per_block, ~dropped.all(axis=spatial_axes))
    return per_block


@pytest.mark.parametrize("layer, shape, channel_axis, spatial", [
    (SpatialDropout1D(0.5, seed=3), (64, 5, 8), 2, (1,)),
    (SpatialDropout2D(0.5, seed=3), (64, 3, 4, 8), 3, (1, 2)),
    (SpatialDropout2D(0.5, data_format="channels_first", seed=3), (64, 8, 3, 4), 1, (2, 3)),
    (SpatialDropout3D(0.5), (32, 2, 2, 3, 8), 4, (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_channels(layer, shape, channel_axis, spatial):
    x = RNG.uniform(0.5, 1.5, size=shape).astype("float32")
    y = layer(x, training=True).numpy()
    assert y.dtype == np.float32
    kept = _channel_masks(y, x, channel_axis, spatial, 0.5)
    assert 0.35 < kept.mean() < 0.65
    traced = ember.function(lambda t: layer(t, training=True))(ember.constant(x)).numpy()
    _channel_masks(traced, x, channel_axis, spatial, 0.5)


def test_gaussian_noise_statistics():
    x = np.zeros((200, 100), "float32")
    y = GaussianNoise(0.3)(x, training=True).numpy()
    assert y.dtype == np.float32
    assert abs(y.mean()) < 0.01 and y.std() == pytest.approx(0.3, rel=0.03)
    np.testing.assert_array_equal(GaussianNoise(0.3)(x, training=False).numpy(), x)


def test_gaussian_dropout_statistics():
    x = np.ones((200, 100), "float32")
    y = GaussianDropout(0.2)(x, training=True).numpy()
    assert y.mean() == pytest.approx(1.0, abs=0.01)
    assert y.std() == pytest.approx(np.sqrt(0.2 / 0.8), rel=0.03)
    np.testing.assert_array_equal(GaussianDropout(1.0)(x, training=True).numpy(), 0 * x)


def test_alpha_dropout_keeps_mean_and_variance():
    x = RNG.standard_normal((400, 100)).astype("float32")
    y = AlphaDropout(0.2)(x, training=True).numpy()
    assert abs(y.mean()) < 0.03 and y.var() == pytest.approx(1.0, abs=0.05)
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.2, rtol=1e-6)
    assert dropped.mean() == pytest.approx(0.2, abs=0.01)
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] - a * alpha_p * 0.2, rtol=1e-5,
                               atol=1e-5)


def test_graph_mode_noise_differs_between_calls():
    layer = GaussianNoise(1.0)
    fn = ember.function(lambda t: layer(t, training=True))
    x = ember.zeros([4, 4])
    assert not np.array_equal(fn(x).numpy(), fn(x).numpy())


@pytest.mark.parametrize("make, match", [
    (lambda: SpatialDropout2D(1.5), "rate"),
    (lambda: SpatialDropout1D(-0.1), "rate"),
    (lambda: GaussianNoise(-1.0), "stddev"),
    (lambda: GaussianDropout("a lot"), "rate"),
    (lambda: SpatialDropout2D(0.5, data_format="NHWC"), "data_format"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_rank():
    with pytest.raises(ValueError, match=r'"sd2".*expected ndim=4, found ndim=3'):
        SpatialDropout2D(0.5, name="sd2")(X3, training=True)


def test_configs():
    assert SpatialDropout1D(0.5, seed=1).get_config()["seed"] == 1
    assert "data_format" not in SpatialDropout1D(0.5).get_config()
    assert SpatialDropout2D(0.5).get_config()["data_format"] == "channels_last"
    assert GaussianNoise(0.2).get_config()["stddev"] == 0.2
    assert AlphaDropout(0.1, noise_shape=(None, 1)).get_config()["noise_shape"] == (None, 1)
