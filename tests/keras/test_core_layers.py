"""Core layers (Dense, Activation, Dropout, Flatten, Identity) through run_layer_test, plus
Dense on 3-D inputs, Dropout training vs inference, and construction/input errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten, Identity
from tests.keras.layer_test_utils import check_save_load, run_layer_test

RNG = np.random.default_rng(0)
X2 = RNG.random((3, 4)).astype("float32")
X3 = RNG.random((2, 3, 4)).astype("float32")
X4 = RNG.random((2, 3, 4, 2)).astype("float32")


def _relu(x):
    return np.maximum(x, 0)


CASES = [
    # id, cls, init kwargs, input data, expected shape, expected values (or None),
    # trainable, non-trainable
    ("dense", Dense, {"units": 5}, X2, (3, 5), None, 2, 0),
    ("dense_no_bias", Dense, {"units": 5, "use_bias": False}, X2, (3, 5), None, 1, 0),
    ("dense_ones_relu", Dense, {"units": 2, "activation": "relu", "kernel_initializer": "ones",
                                "bias_initializer": "ones"},
     X2, (3, 2), np.repeat(_relu(X2.sum(1, keepdims=True) + 1), 2, axis=1), 2, 0),
    ("dense_3d", Dense, {"units": 6}, X3, (2, 3, 6), None, 2, 0),
    ("dense_4d_ones", Dense, {"units": 3, "kernel_initializer": "ones"},
     X4, (2, 3, 4, 3), np.repeat(X4.sum(-1, keepdims=True), 3, axis=-1), 2, 0),
    ("dense_regularized", Dense, {"units": 3, "kernel_regularizer": "l2",
                                  "bias_regularizer": "l1", "kernel_constraint": "non_neg"},
     X2, (3, 3), None, 2, 0),
    ("activation_relu", Activation, {"activation": "relu"}, X2 - 0.5, (3, 4),
     _relu(X2 - 0.5), 0, 0),
    ("activation_softmax", Activation, {"activation": "softmax"}, X2, (3, 4),
     np.exp(X2) / np.exp(X2).sum(-1, keepdims=True), 0, 0),
    ("activation_tanh_3d", Activation, {"activation": "tanh"}, X3, (2, 3, 4), np.tanh(X3),
     0, 0),
    ("dropout_inference", Dropout, {"rate": 0.5}, X2, (3, 4), X2, 0, 0),
    ("dropout_noise_shape", Dropout, {"rate": 0.3, "noise_shape": (None, 1, 4), "seed": 3},
     X3, (2, 3, 4), X3, 0, 0),
    ("flatten_3d", Flatten, {}, X3, (2, 12), X3.reshape(2, 12), 0, 0),
    ("flatten_4d", Flatten, {}, X4, (2, 24), X4.reshape(2, 24), 0, 0),
    ("flatten_channels_first", Flatten, {"data_format": "channels_first"}, X4, (2, 24),
     X4.transpose(0, 2, 3, 1).reshape(2, 24), 0, 0),
    ("identity", Identity, {}, X3, (2, 3, 4), X3, 0, 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_core_layer(case):
    _, cls, kwargs, data, shape, expected, n_train, n_non_train, *extra = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=shape,
                            expected_output=expected, expected_num_trainable_weights=n_train,
                            expected_num_non_trainable_weights=n_non_train,
                            **(extra[0] if extra else {}))
    assert set(result["skipped"]) <= {"save_load"}


def test_default_compute_output_shape():
    assert Identity().compute_output_shape((None, 3)) == (None, 3)
    assert Identity().compute_output_shape((2, 3, 4)) == (2, 3, 4)


def test_functional_model_fit():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, Dense(1)(inputs))
    model.compile("sgd", "mse")
    history = model.fit(X2, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_subclassed_model_call():
    class TwoDense(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(3, activation="relu")
            self.out = Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    model = TwoDense()
    assert model(X2).shape == (3, 1)
    model.compile("sgd", "mse")
    history = model.fit(X2, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_dense_values_against_numpy():
    layer = Dense(3, activation="relu")
    out = layer(X3).numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,) and kernel.dtype == np.float32
    np.testing.assert_allclose(out, _relu(X3 @ kernel + bias), rtol=1e-6, atol=1e-6)
    assert layer.count_params() == 15


def test_dense_3d_gradient_and_summary_shape():
    layer = Dense(2)
    x = ember.constant(X3)
    with ember.GradientTape() as tape:
        y = ember.reduce_sum(layer(x))
    gk, gb = tape.gradient(y, [layer.kernel, layer.bias])
    np.testing.assert_allclose(gk.numpy(), np.repeat(X3.sum((0, 1))[:, None], 2, 1),
                               rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), [6.0, 6.0])
    assert layer.compute_output_shape((None, 7, 4)) == (None, 7, 2)


def test_dropout_training_vs_inference():
    x = np.ones((200, 50), "float32")
    layer = Dropout(0.4, seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    out = layer(x, training=True).numpy()
    kept = out != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(out[kept], 1 / 0.6, rtol=1e-6)
    assert out.dtype == np.float32
    traced = ember.function(lambda t: layer(t, training=True))
    tout = traced(ember.constant(x)).numpy()
    assert 0.5 < (tout != 0).mean() < 0.7


def test_dropout_noise_shape_shares_mask():
    x = np.ones((4, 10, 6), "float32")
    out = Dropout(0.5, noise_shape=(None, 1, 6), seed=2)(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))


def test_dropout_rate_edges():
    x = np.ones((3, 4), "float32")
    np.testing.assert_array_equal(Dropout(0.0)(x, training=True).numpy(), x)
    np.testing.assert_array_equal(Dropout(1.0)(x, training=True).numpy(), 0 * x)


def test_dropout_in_training_run():
    run_layer_test(Dropout, {"rate": 0.5}, input_shape=(8, 5), expected_output_shape=(8, 5),
                   call_kwargs={"training": True}, deterministic=False)


def test_sequential_model_of_core_layers():
    model = keras.Sequential([Flatten(input_shape=(3, 4)), Dense(8, activation="relu"),
                              Dropout(0.2), Dense(2, activation="softmax")])
    out = model(X3).numpy()
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-6)
    assert model.count_params() == 12 * 8 + 8 + 8 * 2 + 2


def test_wrong_input_size_error_text():
    keras.backend.clear_session()
    Dense(10)
    layer = Dense(10)
    assert layer.name == "dense_1"
    layer(keras.Input(shape=(784,)))
    msg = ('Input 0 of layer "dense_1" is incompatible with the layer: expected axis -1 of '
           'input shape to have value 784, but received input with shape (None, 100)')
    with pytest.raises(ValueError) as info:
        layer(keras.Input(shape=(100,)))
    assert str(info.value) == msg
    with pytest.raises(ValueError, match=r'layer "dense_1".*value 784.*\(2, 100\)'):
        layer(np.ones((2, 100), "float32"))


def test_wrong_input_size_in_sequential_model():
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input(shape=(784,)), Dense(16), Dense(10)])
    with pytest.raises(ValueError, match=r'layer "dense" is incompatible.*784.*\(2, 100\)'):
        model(np.ones((2, 100), "float32"))


def test_dense_rank_1_input_error():
    with pytest.raises(ValueError, match=r'layer "dense.*expected min_ndim=2, found ndim=1'):
        Dense(3)(np.ones((4,), "float32"))


@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None, True])
def test_invalid_units(units):
    with pytest.raises(ValueError, match=r"invalid value for `units`.*positive integer.*"
                                         r"Received: units="):
        Dense(units)


def test_unknown_activation_lists_choices():
    with pytest.raises(ValueError, match=r"Unknown activation.*relux.*Valid choices.*relu"):
        Dense(3, activation="relux")
    with pytest.raises(ValueError, match=r"Unknown activation.*Valid choices.*sigmoid"):
        Activation("sigmoidd")


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_invalid_dropout_rate(rate):
    with pytest.raises(ValueError, match=r"between 0 and 1. Received: rate="):
        Dropout(rate)


def test_unknown_constructor_argument():
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments.*unitz"):
        Dense(3, unitz=4)


def test_input_shape_keyword_and_config():
    keras.backend.clear_session()
    layer = Dense(4, input_shape=(7,), name="head")
    config = layer.get_config()
    assert config["name"] == "head" and config["units"] == 4
    model = keras.Sequential([layer])
    assert model.built and model.output_shape == (None, 4)


def test_save_load_round_trip():
    check_save_load(Dense, {"units": 3, "activation": "relu"}, input_shape=(2, 4))


# -- run_layer_test catches broken layers --------------------------------------------------
class _WrongShape(keras.layers.Layer):
    def call(self, x):
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (1,)


class _LosesConfig(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return super().get_config()


class _NumpyInCall(keras.layers.Layer):
    def call(self, x):
        return ember.constant(np.asarray(x) * 2)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@pytest.mark.parametrize("cls, kwargs, n_train, match", [
    (_WrongShape, {}, 0, r"compute_output_shape"),
    (_LosesConfig, {"factor": 3.0}, 0, r"output of the layer rebuilt from its config"),
    (_NumpyInCall, {}, 0, r"symbolic tensor.*no value"),
    (Dense, {"units": 2}, 3, r"2 trainable weights, expected 3"),
])
def test_run_layer_test_catches_bugs(cls, kwargs, n_train, match):
    with pytest.raises((AssertionError, TypeError, ValueError), match=match):
        run_layer_test(cls, kwargs, input_shape=(2, 3), expected_num_trainable_weights=n_train)
