"""ActivityRegularization and Rescaling through run_layer_test, plus their losses, dtypes,
per-channel scales and errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.layers.preprocessing_core import Rescaling
from ember.keras.layers.regularization import ActivityRegularization
from tests.keras.layer_test_utils import check_save_load, run_layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype("float32")
IMG = RNG.integers(0, 256, size=(2, 3, 3, 2)).astype("uint8")


# -- ActivityRegularization ------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"l1": 0.1}, {"l2": 0.5}, {"l1": 0.01, "l2": 0.02}, {}])
def test_activity_regularization_layer(kwargs):
    result = run_layer_test(ActivityRegularization, kwargs, input_data=X,
                            expected_output_shape=(4, 3), expected_output=X,
                            expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0, expected_num_losses=1)
    assert set(result["skipped"]) <= {"save_load"}


def test_activity_regularization_loss_single_sample():
    x = X[:1]
    layer = ActivityRegularization(l1=0.1, l2=0.5)
    layer(x)
    (loss,) = layer.losses
    assert loss.dtype == ember.float32
    np.testing.assert_allclose(float(loss), 0.1 * np.abs(x).sum() + 0.5 * (x ** 2).sum(),
                               rtol=1e-6)


def test_activity_regularization_loss_is_not_divided_by_batch():
    layer = ActivityRegularization(l1=0.1, l2=0.5)
    layer(X)
    np.testing.assert_allclose(float(layer.losses[0]),
                               0.1 * np.abs(X).sum() + 0.5 * (X ** 2).sum(), rtol=1e-6)


def test_losses_are_reset_between_eager_calls():
    layer = ActivityRegularization(l1=0.1)
    layer(X)
    layer(X)
    assert len(layer.losses) == 1


def test_activity_regularization_adds_to_training_loss():
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(2, kernel_initializer="ones"),
                              ActivityRegularization(l2=10.0)])
    model.compile("sgd", "mse")
    y = np.zeros((4, 2), "float32")
    plain = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(2, kernel_initializer="ones")])
    plain.compile("sgd", "mse")
    assert model.evaluate(X, y, verbose=0) > plain.evaluate(X, y, verbose=0) + 1.0
    before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=3, batch_size=4, verbose=0)
    assert model.evaluate(X, y, verbose=0) < before


def test_activity_regularization_traced_loss():
    layer = ActivityRegularization(l1=1.0)
    fn = ember.function(lambda t: (layer(t), ember.add_n(layer.losses)))
    out, loss = fn(ember.constant(X[:1]))
    np.testing.assert_allclose(out.numpy(), X[:1])
    np.testing.assert_allclose(float(loss), np.abs(X[:1]).sum(), rtol=1e-6)


def test_activity_regularization_config():
    config = ActivityRegularization(l1=0.25, l2=0.5, name="ar").get_config()
    assert config["l1"] == 0.25 and config["l2"] == 0.5 and config["name"] == "ar"
    assert "activity_regularizer" not in config
    again = ActivityRegularization.from_config(config)
    assert again.activity_regularizer.l1 == 0.25 and again.get_config() == config


@pytest.mark.parametrize("kwargs", [{"l1": -1.0}, {"l2": "big"}])
def test_activity_regularization_bad_factors(kwargs):
    with pytest.raises(ValueError, match=r"invalid value for argument l[12]"):
        ActivityRegularization(**kwargs)


# -- Rescaling -----------------------------------------------------------------------------
RESCALING = [
    ("scale", {"scale": 0.5}, X, (4, 3), X * 0.5, None),
    ("scale_offset", {"scale": 2.0, "offset": -1.0}, X, (4, 3), X * 2 - 1, None),
    ("uint8_pixels", {"scale": 1 / 255}, IMG, (2, 3, 3, 2),
     IMG.astype("float32") * np.float32(1 / 255), "float32"),
    ("per_channel", {"scale": [1.0, 0.5, 2.0], "offset": [0.0, 1.0, -1.0]}, X, (4, 3),
     X * np.array([1, 0.5, 2], "float32") + np.array([0, 1, -1], "float32"), None),
    ("int_scale", {"scale": 3}, X, (4, 3), 3 * X, None),
]


@pytest.mark.parametrize("case", RESCALING, ids=[c[0] for c in RESCALING])
def test_rescaling_layer(case):
    _, kwargs, data, shape, expected, out_dtype = case
    result = run_layer_test(Rescaling, kwargs, input_data=data, expected_output_shape=shape,
                            expected_output=expected, expected_output_dtype=out_dtype,
                            expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0)
    assert set(result["skipped"]) <= {"save_load"}


def test_rescaling_dtypes():
    out = Rescaling(0.5, dtype="float64")(ember.constant(X))
    assert out.dtype == ember.float64
    out = Rescaling(1 / 255)(ember.constant(IMG))
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy().max(), IMG.max() / 255, rtol=1e-6)
    out = Rescaling(2.0)(ember.constant(np.arange(3, dtype="int32")[None]))
    assert out.dtype == ember.float32


def test_rescaling_channels_first():
    x = RNG.random((2, 3, 4, 5)).astype("float32")
    old = keras.backend.image_data_format()
    keras.backend.set_image_data_format("channels_first")
    try:
        out = Rescaling([1.0, 2.0, 3.0])(x).numpy()
    finally:
        keras.backend.set_image_data_format(old)
    np.testing.assert_allclose(out, x * np.array([1, 2, 3], "float32")[:, None, None])


def test_rescaling_gradient():
    x = ember.constant(X)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ember.reduce_sum(Rescaling(0.25, offset=3.0)(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.full_like(X, 0.25))


def test_rescaling_config():
    config = Rescaling(np.array([0.5, 2.0]), offset=1, name="rs").get_config()
    assert config["scale"] == [0.5, 2.0] and config["offset"] == 1
    assert Rescaling.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs", [{"scale": "half"}, {"scale": None},
                                    {"scale": 1.0, "offset": [1.0, float("nan")]},
                                    {"scale": True}])
def test_rescaling_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=r"Rescaling: `(scale|offset)` must be"):
        Rescaling(**kwargs)


def test_save_load_round_trip():
    check_save_load(Rescaling, {"scale": 0.5, "offset": 1.0}, input_shape=(2, 3))
