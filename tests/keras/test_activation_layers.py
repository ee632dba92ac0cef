"""keras.layers ReLU, Softmax, LeakyReLU, PReLU and ELU: outputs, input gradients and
configs against Keras 3 fixtures (tests/fixtures/keras/make_activation_layers.py), the
standard layer checks, PReLU learning its slope, and TensorFlow's beginner quickstart."""
import json
import os

import numpy as np
import pytest

import ember as tf
from ember import keras
from ember.keras.layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from tests.keras.layer_test_utils import run_layer_test

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "keras")
REF = np.load(os.path.join(FIXTURES, "activation_layers.npz"))
with open(os.path.join(FIXTURES, "activation_layers.json")) as _f:
    REF_CONFIGS = json.load(_f)

CASES = {
    "relu": (ReLU, {}),
    "relu_max": (ReLU, {"max_value": 6.0}),
    "relu_all": (ReLU, {"max_value": 4.0, "negative_slope": 0.2, "threshold": 1.0}),
    "relu_threshold": (ReLU, {"threshold": 1.0}),
    "leaky_relu": (LeakyReLU, {}),
    "leaky_relu_01": (LeakyReLU, {"negative_slope": 0.1}),
    "elu": (ELU, {}),
    "elu_2": (ELU, {"alpha": 2.0}),
    "softmax": (Softmax, {}),
    "softmax_axis1": (Softmax, {"axis": 1}),
    "softmax_axes": (Softmax, {"axis": [1, 2]}),
    "prelu": (PReLU, {"alpha_initializer": keras.initializers.Constant(0.25)}),
    "prelu_shared": (PReLU, {"shared_axes": [1]}),
}


def _comparable(config):
    """A config with the initializer reduced to class name and arguments (module names
    differ between Keras and ember)."""
    out = {}
    for k, v in config.items():
        if k in ("name", "dtype"):
            continue
        if isinstance(v, dict) and "class_name" in v:
            v = (v["class_name"], v.get("config"))
        out[k] = v
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_and_configs_match_keras(name):
    cls, kwargs = CASES[name]
    layer = cls(**kwargs)
    x = tf.constant(REF["x"])
    layer.build(x.shape)
    if name + "_alpha" in REF:
        layer.alpha.assign(REF[name + "_alpha"])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        s = tf.reduce_sum(y * tf.cos(x))
    np.testing.assert_allclose(y.numpy(), REF[name], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tape.gradient(s, x).numpy(), REF[name + "_grad"], rtol=1e-5,
                               atol=1e-6)
    want = _comparable(REF_CONFIGS[name])
    if name == "prelu_shared":            # the fixture's initializer was RandomUniform
        want["alpha_initializer"] = ("Zeros", {})
    assert _comparable(layer.get_config()) == want
    clone = cls.from_config(layer.get_config())
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy())


@pytest.mark.parametrize("name", ["relu_all", "leaky_relu", "elu", "softmax_axes",
                                  "prelu_shared"])
def test_gradients_numerically(name):
    cls, kwargs = CASES[name]
    layer = cls(**kwargs)
    x0 = REF["x"][:, :2, :3].astype(np.float64) / 3 + 0.05    # away from the kinks
    layer.build(x0.shape)
    layer = cls.from_config({**layer.get_config(), "dtype": "float64"})
    theoretical, numerical = tf.test.compute_gradient(lambda v: layer(v), [x0])
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-5, atol=1e-6)


def test_softmax_mask_gives_masked_positions_no_probability():
    x = tf.constant(REF["x"])
    layer = Softmax()
    y = layer(x, mask=tf.constant(REF["mask"])).numpy()
    np.testing.assert_allclose(y, REF["softmax_masked"], rtol=1e-5, atol=1e-7)
    assert np.all(y[~REF["mask"]] == 0) and np.allclose(y.sum(-1), 1, rtol=1e-6)
    # a float mask broadcast over the rows (> 0.5 keeps)
    y = layer(x, mask=tf.constant(REF["mask"][:, :1].astype(np.float32))).numpy()
    np.testing.assert_allclose(y, REF["softmax_masked_float"], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="mask.*broadcastable"):
        layer(x, mask=tf.ones([2, 3, 5], tf.bool))
    # traced, the mask an input of the step
    step = tf.function(lambda v, m: layer(v, mask=m))
    np.testing.assert_allclose(step(x, tf.constant(REF["mask"])).numpy(),
                               REF["softmax_masked"], rtol=1e-5, atol=1e-7)


def test_arguments_and_keras2_names():
    with pytest.warns(UserWarning, match="alpha"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    np.testing.assert_allclose(layer(tf.constant([-2.0, 3.0])).numpy(), [-0.2, 3.0])
    for kwargs, arg in (({"max_value": -1.0}, "max_value"),
                        ({"negative_slope": -0.1}, "negative_slope"),
                        ({"threshold": -1.0}, "threshold")):
        with pytest.raises(ValueError, match=arg):
            ReLU(**kwargs)
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="shared_axes"):
        PReLU(shared_axes=[3]).build((None, 4, 5))
    prelu = PReLU(shared_axes=[1, 2])
    prelu.build((None, 5, 5, 3))
    assert tuple(prelu.alpha.shape) == (1, 1, 3)
    with pytest.raises(ValueError):
        prelu(tf.ones([1, 5, 5, 4]))


@pytest.mark.parametrize("name", ["relu_all", "leaky_relu", "elu", "softmax", "prelu"])
def test_standard_layer_checks(name):
    cls, kwargs = CASES[name]
    data = np.random.default_rng(0).normal(size=(4, 3, 5)).astype(np.float32)
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=(4, 3, 5),
                            expected_num_trainable_weights=1 if cls is PReLU else 0,
                            expected_num_non_trainable_weights=0, training_epochs=3)
    assert set(result["skipped"]) <= {"save_load"}


def test_prelu_learns_its_slopes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = np.where(x > 0, x, np.array([0.5, -0.2, 0.1], np.float32) * x)
    keras.utils.set_random_seed(0)
    layer = PReLU()
    model = keras.Sequential([keras.Input((3,)), layer])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    history = model.fit(x, y, batch_size=16, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]
    np.testing.assert_allclose(layer.alpha.numpy(), [0.5, -0.2, 0.1], atol=0.02)


def _mnist_slice():
    for path in (os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "mnist.npz"),
                 os.path.join(HERE, "..", "..", "..", "shared", "data", "mnist.npz")):
        if os.path.exists(path):
            d = np.load(path)
            return (d["x_train"][:2000], d["y_train"][:2000]), \
                (d["x_test"][:500], d["y_test"][:500]), 255.0
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x, y = digits.images.astype(np.float32), digits.target
    return (x[:1400], y[:1400]), (x[1400:], y[1400:]), 16.0


def test_tensorflow_beginner_quickstart():
    (x_train, y_train), (x_test, y_test), scale = _mnist_slice()
    x_train, x_test = x_train / scale, x_test / scale
    keras.utils.set_random_seed(0)
    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=x_train.shape[1:]),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ])
    predictions = model(x_train[:1]).numpy()
    assert predictions.shape == (1, 10)
    np.testing.assert_allclose(tf.nn.softmax(predictions).numpy().sum(), 1, rtol=1e-6)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert 1.0 < loss_fn(y_train[:1], predictions).numpy() < 4.0     # about log(10)
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.8, accuracy
    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    probs = probability_model(x_test[:5]).numpy()
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)
    np.testing.assert_array_equal(probs.argmax(-1), model(x_test[:5]).numpy().argmax(-1))
