"""ember.keras.activations: values against NumPy, gradients, get/serialize, tracing, errors."""
import math

import numpy as np
import pytest

import ember as tf
from ember.keras import activations
from tests.ops.optest import check_gradient

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras 3: zero below the threshold, clip to [0, max_value], then the leak below it.
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - x, 0.0)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def np_hard_sigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def np_gelu(x, approximate=False):
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


# name, function, reference, kwargs
CASES = [
    ("relu", activations.relu, np_relu, {}),
    ("relu_leaky", activations.relu, np_relu, {"negative_slope": 0.1}),
    ("relu_max", activations.relu, np_relu, {"max_value": 2.5}),
    ("relu_max6", activations.relu, np_relu, {"max_value": 6}),
    ("relu_threshold", activations.relu, np_relu, {"threshold": 0.5}),
    ("relu_all", activations.relu, np_relu,
     {"negative_slope": 0.2, "max_value": 3.0, "threshold": -0.5}),
    ("relu6", activations.relu6, lambda x: np.clip(x, 0, 6), {}),
    ("leaky_relu", activations.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), {}),
    ("leaky_relu_slope", activations.leaky_relu,
     lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
     {"negative_slope": 0.05}),
    ("elu", activations.elu, np_elu, {}),
    ("elu_alpha", activations.elu, np_elu, {"alpha": 0.7}),
    ("selu", activations.selu,
     lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))), {}),
    ("celu", activations.celu,
     lambda x, alpha=1.0: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(
         np.minimum(x, 0) / alpha)), {"alpha": 1.5}),
    ("gelu", activations.gelu, np_gelu, {}),
    ("gelu_approx", activations.gelu, np_gelu, {"approximate": True}),
    ("softplus", activations.softplus, np_softplus, {}),
    ("softsign", activations.softsign, lambda x: x / (np.abs(x) + 1), {}),
    ("silu", activations.silu, lambda x: x * np_sigmoid(x), {}),
    ("swish", activations.swish, lambda x: x * np_sigmoid(x), {}),
    ("sigmoid", activations.sigmoid, np_sigmoid, {}),
    ("hard_sigmoid", activations.hard_sigmoid, np_hard_sigmoid, {}),
    ("hard_silu", activations.hard_silu, lambda x: x * np_hard_sigmoid(x), {}),
    ("hard_swish", activations.hard_swish, lambda x: x * np_hard_sigmoid(x), {}),
    ("log_sigmoid", activations.log_sigmoid, lambda x: -np_softplus(-x), {}),
    ("sparse_sigmoid", activations.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1), {}),
    ("tanh", activations.tanh, np.tanh, {}),
    ("hard_tanh", activations.hard_tanh, lambda x: np.clip(x, -1, 1), {}),
    ("tanh_shrink", activations.tanh_shrink, lambda x: x - np.tanh(x), {}),
    ("soft_shrink", activations.soft_shrink,
     lambda x, threshold=0.5: np.sign(x) * np.maximum(np.abs(x) - threshold, 0),
     {"threshold": 0.7}),
    ("hard_shrink", activations.hard_shrink,
     lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0), {}),
    ("squareplus", activations.squareplus, lambda x, b=4: (x + np.sqrt(x * x + b)) / 2,
     {"b": 2}),
    ("sparse_plus", activations.sparse_plus,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)), {}),
    ("threshold", activations.threshold,
     lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
     {"threshold": 0.3, "default_value": -2.0}),
    ("exponential", activations.exponential, np.exp, {}),
    ("mish", activations.mish, lambda x: x * np.tanh(np_softplus(x)), {}),
    ("linear", activations.linear, lambda x: x, {}),
    ("softmax", activations.softmax, lambda x: np.exp(np_log_softmax(x)), {}),
    ("softmax_axis0", activations.softmax, lambda x, axis: np.exp(np_log_softmax(x, axis)),
     {"axis": 0}),
    ("log_softmax", activations.log_softmax, np_log_softmax, {}),
]
IDS = [c[0] for c in CASES]


def grid(shape=(3, 7), seed=0):
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    x.flat[:5] = [-6.5, -1.0, 0.0, 1.0, 6.5]
    return x.astype(np.float32)


@pytest.mark.parametrize("shape", [(3, 7), (11,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_numpy(case, shape):
    _, fn, np_fn, kwargs = case
    x = grid(shape)
    got = fn(tf.constant(x), **kwargs)
    want = np_fn(x.astype(np.float64), **kwargs)
    assert got.dtype == tf.float32 and got.shape == x.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float64(case):
    _, fn, np_fn, kwargs = case
    x = grid().astype(np.float64)
    got = fn(tf.constant(x), **kwargs)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), np_fn(x, **kwargs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_traced_equals_eager(case):
    _, fn, _, kwargs = case
    x = tf.constant(grid())
    traced = tf.function(lambda v: fn(v, **kwargs))(x)
    np.testing.assert_allclose(traced.numpy(), np.asarray(fn(x, **kwargs)), rtol=1e-6)


def test_extreme_inputs_stay_finite():
    x = np.array([-1e4, -80.0, 0.0, 80.0, 1e4], np.float32)
    for name in ("sigmoid", "softplus", "log_sigmoid", "silu", "mish", "elu", "selu", "gelu",
                 "softsign", "tanh", "hard_sigmoid", "hard_silu", "celu"):
        out = activations.get(name)(x).numpy()
        assert np.isfinite(out).all(), name
    np.testing.assert_allclose(activations.softmax([[1000.0, 0.0, -1000.0]]).numpy(),
                               [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(activations.softplus(x).numpy()[-1], 1e4)


def test_softmax_over_several_axes():
    x = grid((2, 3, 4))
    got = activations.softmax(x, axis=(1, 2)).numpy()
    flat = x.reshape(2, -1).astype(np.float64)
    want = np.exp(np_log_softmax(flat)).reshape(x.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    got = activations.log_softmax(x, axis=(0, 2)).numpy()
    moved = np.moveaxis(x, 1, 0).reshape(3, -1).astype(np.float64)
    want = np.moveaxis(np_log_softmax(moved).reshape(3, 2, 4), 0, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_glu():
    x = grid((2, 6))
    a, b = x[:, :3].astype(np.float64), x[:, 3:].astype(np.float64)
    np.testing.assert_allclose(activations.glu(x).numpy(), a * np_sigmoid(b), rtol=1e-6)
    with pytest.raises(ValueError, match="glu: axis -1 of x must have an even size"):
        activations.glu(grid((2, 5)))


def test_keras2_argument_names():
    x = grid()
    np.testing.assert_allclose(activations.relu(x, alpha=0.1).numpy(),
                               np_relu(x.astype(np.float64), negative_slope=0.1), rtol=1e-6)
    np.testing.assert_allclose(activations.leaky_relu(x, alpha=0.3).numpy(),
                               np.where(x > 0, x, 0.3 * x), rtol=1e-6)


def test_integer_inputs():
    x = tf.constant([-2, 0, 3])
    assert activations.relu(x).dtype == tf.int32
    np.testing.assert_array_equal(activations.relu(x).numpy(), [0, 0, 3])
    np.testing.assert_allclose(activations.sigmoid(x).numpy(), np_sigmoid(np.array([-2, 0, 3])),
                               rtol=1e-6)


SMOOTH = ["elu", "elu_alpha", "selu", "celu", "gelu", "gelu_approx", "softplus", "softsign",
          "silu", "sigmoid", "log_sigmoid", "tanh", "tanh_shrink", "squareplus", "exponential",
          "mish", "softmax", "log_softmax", "relu_all", "hard_silu", "sparse_plus"]


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in SMOOTH],
                         ids=[c[0] for c in CASES if c[0] in SMOOTH])
def test_gradient(case):
    _, fn, _, kwargs = case
    x = np.random.default_rng(1).standard_normal((2, 5)) * 1.5
    # Keep away from kinks of the piecewise functions.
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    x = np.where(np.abs(np.abs(x) - 1.0) < 0.05, 1.3, x)
    x = np.where(np.abs(np.abs(x) - 3.0) < 0.05, 2.5, x)
    x = np.where(np.abs(x + 0.5) < 0.05, -0.8, x)
    check_gradient(lambda v: fn(v, **kwargs), [x], rtol=1e-5, atol=1e-6, delta=1e-6)


# -------------------------------------------------------------- get / serialize ---

NAMES = sorted(activations.ALL_OBJECTS_DICT)


@pytest.mark.parametrize("name", NAMES)
def test_get_serialize_round_trip(name):
    fn = activations.get(name)
    assert callable(fn)
    serialized = activations.serialize(fn)
    assert isinstance(serialized, str)
    assert activations.get(serialized) is fn
    assert activations.deserialize(serialized) is fn
    assert activations.deserialize(name) is fn


def test_aliases_and_names():
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.get("softmax")) == "softmax"


def test_get_none_callable_and_dict():
    assert activations.get(None) is activations.linear
    x = tf.constant([1.0, -2.0])
    assert activations.get(None)(x) is x

    def custom(v):
        return v * 2.0
    assert activations.get(custom) is custom
    assert activations.get(tf.nn.relu) is tf.nn.relu
    config = {"module": "keras.activations", "class_name": "function", "config": "relu",
              "registered_name": "relu"}
    assert activations.get(config) is activations.relu
    serialized = activations.serialize(custom)
    assert isinstance(serialized, dict) and serialized["config"] == "custom"
    assert activations.deserialize(serialized, custom_objects={"custom": custom}) is custom


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match=r"Unknown activation function: 'rellu'\. Valid "
                                         r"choices:.*relu.*softmax"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="Unknown activation function: 'nope'.*Valid"):
        activations.deserialize("nope")
    with pytest.raises(ValueError, match="Could not interpret activation function"):
        activations.get(3)
