"""Lambda: any ember op or function as a layer; shape inference by tracing; serialization
of named functions (by name) and Python lambdas (source text, safe mode)."""
import json

import numpy as np
import pytest

import ember
import ember as tf
from ember import keras
from ember.keras.layers import lambda_layer
from ember.keras.layers.lambda_layer import Lambda
from ember.keras.saving.serialization import (
    custom_object_scope, deserialize_keras_object, register_keras_serializable,
    serialize_keras_object,
)
from tests.keras.layer_test_utils import check_save_load, run_layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype("float32")
X3 = RNG.standard_normal((2, 3, 4)).astype("float32")
SCALE = 3.0


@register_keras_serializable(package="LambdaTest")
def double_plus_one(x):
    return x * 2.0 + 1.0


def plain_square(x):
    return ember.square(x)


def with_training(x, training=None):
    return x * 0.0 if training else x


def _crelu(x):
    return np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=-1)


# -- run_layer_test on named functions (full serialization round trip) ----------------------
NAMED = [
    ("crelu", {"function": ember.nn.crelu}, X, (3, 8), _crelu(X)),
    ("crelu_3d", {"function": tf.nn.crelu}, X3, (2, 3, 8), _crelu(X3)),
    ("registered", {"function": double_plus_one}, X, (3, 4), X * 2 + 1),
    ("reduce_mean_args", {"function": ember.reduce_mean, "arguments": {"axis": 1}}, X3,
     (2, 4), X3.mean(1)),
    ("softmax_axis", {"function": ember.nn.softmax, "arguments": {"axis": 1}}, X3,
     (2, 3, 4), np.exp(X3) / np.exp(X3).sum(1, keepdims=True)),
    ("explicit_output_shape", {"function": ember.nn.crelu, "output_shape": (8,)}, X, (3, 8),
     _crelu(X)),
]


@pytest.mark.parametrize("case", NAMED, ids=[c[0] for c in NAMED])
def test_lambda_named_function(case):
    _, kwargs, data, shape, expected = case
    result = run_layer_test(Lambda, kwargs, input_data=data, expected_output_shape=shape,
                            expected_output=expected, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0)
    assert set(result["skipped"]) <= {"save_load"}


def test_lambda_crelu_doubles_last_axis():
    layer = Lambda(ember.nn.crelu)
    out = layer(X)
    assert out.shape == (3, 8) and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), _crelu(X))
    inputs = keras.Input(shape=(5, 6))
    sym = Lambda(ember.nn.crelu)(inputs)
    assert tuple(sym.shape.as_list()) == (None, 5, 12)
    assert layer.compute_output_shape((None, 7)) == (None, 14)
    model = keras.Sequential([keras.Input(shape=(4,)), Lambda(tf.nn.crelu),
                              keras.layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.layers[0].output_shape == (None, 8)


# -- run_layer_test on Python lambdas (serialization tested separately below) ----------------
LAMBDAS = [
    ("double", {"function": lambda x: x * 2}, X, (3, 4), X * 2),
    ("arguments", {"function": lambda x, k: x * k, "arguments": {"k": 3.0}}, X, (3, 4),
     X * 3),
    ("multi_input", {"function": lambda xs: xs[0] - xs[1]}, [X, 2 * X], (3, 4), -X),
    ("multi_output", {"function": lambda x: [x, ember.nn.relu(x)]}, X, [(3, 4), (3, 4)],
     [X, np.maximum(X, 0)]),
    ("transpose", {"function": lambda x: ember.transpose(x, [0, 2, 1])}, X3, (2, 4, 3),
     X3.transpose(0, 2, 1)),
    ("callable_output_shape", {"function": lambda x: ember.concat([x, x], -1),
                               "output_shape": lambda s: tuple(s[:-1]) + (2 * s[-1],)},
     X, (3, 8), np.concatenate([X, X], -1)),
]


@pytest.mark.parametrize("case", LAMBDAS, ids=[c[0] for c in LAMBDAS])
def test_lambda_python_lambda(case):
    _, kwargs, data, shape, expected = case
    run_layer_test(Lambda, kwargs, input_data=data, expected_output_shape=shape,
                   expected_output=expected, expected_num_trainable_weights=0,
                   run_serialization_check=False, run_saving_check=False)


def test_training_argument_is_forwarded():
    layer = Lambda(with_training)
    np.testing.assert_array_equal(layer(X).numpy(), X)
    np.testing.assert_array_equal(layer(X, training=True).numpy(), 0 * X)
    seq = keras.Sequential([keras.Input(shape=(4,)), Lambda(with_training)])
    np.testing.assert_array_equal(seq(X, training=True).numpy(), 0 * X)
    np.testing.assert_array_equal(seq(X).numpy(), X)


def test_output_shape_forms():
    assert Lambda(ember.nn.relu, output_shape=(4,)).compute_output_shape((None, 4)) == \
        (None, 4)
    assert Lambda(ember.nn.relu, output_shape=[4]).compute_output_shape((7, 4)) == (7, 4)
    assert Lambda(lambda x: x, output_shape=lambda s: (s[0], 1)).compute_output_shape(
        (5, 3)) == (5, 1)
    two = Lambda(lambda xs: xs, output_shape=[(2,), (3,)])
    assert two.compute_output_shape([(None, 2), (None, 3)]) == [(None, 2), (None, 3)]
    assert Lambda(lambda xs: [xs[1], xs[0]]).compute_output_shape([(None, 2), (None, 3)]) == \
        [(None, 3), (None, 2)]


def test_output_shape_inference_failure_is_clear():
    layer = Lambda(lambda x: x.numpy())
    with pytest.raises(NotImplementedError, match=r"could not automatically infer the shape "
                                                  r"of the Lambda's output.*`output_shape`"):
        layer.compute_output_shape((None, 3))


def test_mask():
    layer = Lambda(ember.nn.relu, mask=lambda inputs, mask: ember.greater(inputs, 0.0))
    assert layer.supports_masking
    np.testing.assert_array_equal(layer.compute_mask(ember.constant(X)).numpy(), X > 0)
    assert Lambda(ember.nn.relu).compute_mask(ember.constant(X)) is None


def test_gradient_through_lambda():
    x = ember.constant(X)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ember.reduce_sum(Lambda(ember.nn.crelu)(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.sign(X))


# -- serialization ---------------------------------------------------------------------------
def test_named_ember_function_config():
    config = Lambda(ember.nn.crelu).get_config()
    fn = config["function"]
    assert fn["class_name"] == "function" and fn["config"] == "crelu"
    assert fn["module"].startswith("ember.")
    json.dumps(config)
    assert Lambda.from_config(config).function is ember.nn.crelu


def test_registered_function_config():
    config = Lambda(double_plus_one).get_config()
    assert config["function"]["registered_name"] == "LambdaTest>double_plus_one"
    assert Lambda.from_config(json.loads(json.dumps(config))).function is double_plus_one


def test_module_level_function_needs_custom_objects():
    config = json.loads(json.dumps(Lambda(plain_square).get_config()))
    assert config["function"]["config"] == "plain_square"
    with pytest.raises(ValueError, match=r"Could not locate function 'plain_square'.*"
                                         r"custom_objects=\{'plain_square': plain_square\}"):
        Lambda.from_config(config)
    layer = Lambda.from_config(config, custom_objects={"plain_square": plain_square})
    np.testing.assert_allclose(layer(X).numpy(), X ** 2)
    with custom_object_scope({"plain_square": plain_square}):
        again = deserialize_keras_object(serialize_keras_object(Lambda(plain_square)),
                                         module_objects={"Lambda": Lambda})
    assert again.function is plain_square


def test_deserialize_with_custom_objects_argument():
    config = serialize_keras_object(Lambda(plain_square))
    layer = deserialize_keras_object(config, module_objects={"Lambda": Lambda},
                                     custom_objects={"plain_square": plain_square})
    assert layer.function is plain_square


def test_lambda_source_config_and_safe_mode():
    layer = Lambda(lambda x, a=2.0: tf.nn.relu(x) * a + SCALE, name="lam")
    config = json.loads(json.dumps(layer.get_config()))
    fn = config["function"]
    assert fn["class_name"] == "__lambda__"
    assert fn["config"]["source"] == "lambda x, a=2.0: tf.nn.relu(x) * a + SCALE"
    assert fn["config"]["globals"] == {"SCALE": {"value": 3.0}, "tf": {"module": "ember"}}
    assert fn["config"]["defaults"] == [2.0]     # Keras's marshalled form is written too
    assert isinstance(fn["config"]["code"], str)
    with pytest.raises(ValueError, match=r"deserialization of a Lambda layer whose `function` "
                                         r"is a Python lambda.*safe_mode=False"):
        Lambda.from_config(config)
    revived = Lambda.from_config(config, safe_mode=False)
    assert revived.name == "lam"
    np.testing.assert_allclose(revived(X).numpy(), np.maximum(X, 0) * 2 + 3, rtol=1e-6)
    assert revived.get_config() == config


def test_enable_unsafe_deserialization(monkeypatch):
    monkeypatch.setattr(lambda_layer, "_UNSAFE_ENABLED", False)
    config = Lambda(lambda x: x + 1).get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config)
    lambda_layer.enable_unsafe_deserialization()
    np.testing.assert_allclose(Lambda.from_config(config)(X).numpy(), X + 1)
    with pytest.raises(ValueError, match="safe_mode=False"):
        Lambda.from_config(config, safe_mode=True)


def test_lambdas_on_one_line_are_told_apart():
    a, b, c = Lambda(lambda x: x * 2), Lambda(lambda x: 2 * x), Lambda(lambda x: x + 1)
    assert a.get_config()["function"]["config"]["source"] == "lambda x: x * 2"
    assert b.get_config()["function"]["config"]["source"] == "lambda x: 2 * x"
    assert c.get_config()["function"]["config"]["source"] == "lambda x: x + 1"


def test_nested_lambda_source():
    layer = Lambda(lambda x: (lambda y: y * 2)(x) + 1)
    config = layer.get_config()
    assert config["function"]["config"]["source"] == "lambda x: (lambda y: y * 2)(x) + 1"
    np.testing.assert_allclose(Lambda.from_config(config, safe_mode=False)(X).numpy(),
                               2 * X + 1, rtol=1e-6)


def test_multiline_lambda_source():
    layer = Lambda(lambda x: ember.concat([x,
                                          x * 2], -1))
    config = layer.get_config()
    revived = Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(revived(X).numpy(), np.concatenate([X, 2 * X], -1))


def test_lambda_output_shape_and_arguments_serialized():
    layer = Lambda(lambda x, k, unused: x * k, output_shape=lambda s: s,
                   arguments={"k": ember.constant([1.0, 2.0, 3.0, 4.0]),
                              "unused": np.array([1, 2], dtype="int32")})
    config = json.loads(json.dumps(layer.get_config()))
    assert config["output_shape"]["class_name"] == "__lambda__"
    assert config["arguments"]["k"]["class_name"] == "__tensor__"
    revived = Lambda.from_config(config, safe_mode=False)
    assert revived.arguments["unused"].dtype == np.int32
    np.testing.assert_allclose(revived(X).numpy(), X * np.arange(1, 5, dtype="float32"))
    assert revived.compute_output_shape((None, 4)) == (None, 4)


def test_closure_lambda_cannot_be_serialized():
    def make(k):
        return Lambda(lambda x: x * k)
    layer = make(3.0)
    np.testing.assert_allclose(layer(X).numpy(), 3 * X)
    with pytest.raises(ValueError, match=r"uses the local variable\(s\) k of the function "
                                         r"that defined it.*arguments="):
        layer.get_config()


def test_local_function_cannot_be_serialized():
    def local(x):
        return x

    with pytest.raises(ValueError, match=r"function .*<locals>.local passed as "
                                         r"`function`.*defined inside another function.*"
                                         r"module level"):
        Lambda(local).get_config()


def test_lambda_without_source_cannot_be_serialized():
    fn = eval("lambda x: x + 1")  # noqa: S307
    with pytest.raises(ValueError, match=r"source code is not available.*"
                                         r"register_keras_serializable"):
        Lambda(fn).get_config()


def test_unknown_global_at_load_time():
    config = {"name": "l", "trainable": True, "dtype": "float32", "arguments": {},
              "function": {"class_name": "__lambda__",
                           "config": {"source": "lambda x: helper(x)",
                                      "globals": {"helper": {"custom_object": "helper"}}}}}
    with pytest.raises(ValueError, match=r"global name 'helper'.*custom_objects"):
        Lambda.from_config(config, safe_mode=False)
    layer = Lambda.from_config(config, custom_objects={"helper": ember.nn.relu},
                               safe_mode=False)
    np.testing.assert_allclose(layer(X).numpy(), np.maximum(X, 0))


def test_bytecode_config_needs_opt_in_and_must_be_readable():
    config = {"name": "l", "trainable": True, "dtype": "float32", "arguments": {},
              "function": {"class_name": "__lambda__",
                           "config": {"code": "4wEAAAAA", "defaults": None, "closure": None}}}
    with pytest.raises(ValueError, match=r"safe_mode=False"):
        Lambda.from_config(config)
    with pytest.raises(ValueError, match=r"saved as Python bytecode that Python .* cannot "
                                         r"read"):
        Lambda.from_config(config, safe_mode=False)


def test_constructor_errors():
    with pytest.raises(TypeError, match=r"`function` must be callable"):
        Lambda(3)
    with pytest.raises(TypeError, match=r"`arguments` must be a dict"):
        Lambda(ember.nn.relu, arguments=[1])
    with pytest.raises(TypeError, match=r"`output_shape` must be a shape tuple"):
        Lambda(ember.nn.relu, output_shape="8")


def test_traced_and_functional_with_ember_op():
    layer = Lambda(ember.nn.crelu)
    traced = ember.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(ember.constant(X)).numpy(), _crelu(X))
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(3)(Lambda(ember.nn.crelu)(inputs)))
    assert model.count_params() == 8 * 3 + 3


def test_save_load_round_trip():
    check_save_load(Lambda, {"function": ember.nn.crelu}, input_shape=(2, 4))
