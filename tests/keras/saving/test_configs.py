"""Configs of models and of every serializable Keras object; to_json, model_from_json,
clone_model, serialize/deserialize_keras_object, registration and custom object scopes."""
from __future__ import annotations

import json

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.saving import (
    CustomObjectScope, custom_object_scope, deserialize_keras_object, get_registered_name,
    get_registered_object, register_keras_serializable, serialize_keras_object,
)


def _multi_io_model():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = keras.layers.Dense(4, activation="relu", name="shared")
    x = keras.layers.Concatenate()([shared(a), keras.layers.Dense(4)(b)])
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(x))
    y = shared(keras.layers.Dense(4)(h))                  # second call of the shared layer
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                              keras.layers.Dense(2)], name="inner")
    return keras.Model([a, b], [keras.layers.Dense(2, name="o1")(h), inner(y)])


def _feed():
    rng = np.random.default_rng(0)
    return [rng.random((3, 4)).astype("float32"), rng.random((3, 3)).astype("float32")]


def _same_outputs(m1, m2):
    for p, q in zip(ember.nest.flatten(m1(_feed())), ember.nest.flatten(m2(_feed()))):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-6)


def test_functional_config_keras3_format():
    model = _multi_io_model()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["o1", 0, 0], ["inner", 0, 0]]
    shared = [l for l in config["layers"] if l["name"] == "shared"][0]
    assert len(shared["inbound_nodes"]) == 2
    arg = shared["inbound_nodes"][1]["args"][0]
    assert arg["class_name"] == "__keras_tensor__"
    assert arg["config"]["keras_history"][0].startswith("dense")
    assert arg["config"]["shape"] == [None, 4]
    inner = [l for l in config["layers"] if l["name"] == "inner"][0]
    assert inner["class_name"] == "Sequential" and inner["module"] == "keras"
    json.dumps(config)


def test_functional_from_config_same_structure_and_outputs():
    model = _multi_io_model()
    clone = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert len(clone.weights) == len(model.weights)
    clone.set_weights(model.get_weights())
    _same_outputs(model, clone)
    assert _norm(clone.get_config()) == _norm(model.get_config())


def _norm(c):
    return json.loads(json.dumps(c))


def test_to_json_and_model_from_json():
    model = _multi_io_model()
    text = model.to_json()
    rebuilt = keras.models.model_from_json(text)
    assert isinstance(rebuilt, keras.Model)
    rebuilt.set_weights(model.get_weights())
    _same_outputs(model, rebuilt)
    seq = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    again = keras.models.model_from_json(seq.to_json())
    assert isinstance(again, keras.Sequential) and again.built
    with pytest.raises(ValueError, match="not valid JSON"):
        keras.models.model_from_json("{oops")


def test_layer_order_matches_keras():
    # Keras lists layers deepest first, ties by the order a walk from the outputs meets
    # them (checked against Keras 3.15 for this graph).
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    d = keras.layers.Dense(5, name="shared")
    x = keras.layers.Concatenate(name="cat")([a, keras.layers.Dense(4, name="d0")(b)])
    h = keras.layers.BatchNormalization(name="bn")(keras.layers.Dense(4, name="d1")(x))
    model = keras.Model([a, b], [keras.layers.Dense(2, name="o1")(h),
                                 keras.layers.Dense(1, name="o2")(d(a))])
    assert [l.name for l in model.layers] == ["b", "a", "d0", "cat", "d1", "bn", "shared",
                                              "o1", "o2"]


def test_clone_model_functional_sequential_and_options():
    model = _multi_io_model()
    twin = keras.models.clone_model(model)
    assert all(l1 is not l2 for l1, l2 in zip(twin.layers, model.layers))
    twin.set_weights(model.get_weights())
    _same_outputs(model, twin)

    seen = []

    def share_dense(layer):
        seen.append(layer.name)
        return layer if isinstance(layer, keras.layers.Dense) else \
            layer.__class__.from_config(layer.get_config())
    shared = keras.models.clone_model(model, clone_function=share_dense)
    assert "shared" in seen
    assert shared.get_layer("o1") is model.get_layer("o1")

    new_a, new_b = keras.Input((4,), name="new_a"), keras.Input((3,), name="new_b")
    on_inputs = keras.models.clone_model(model, input_tensors=[new_a, new_b])
    assert on_inputs.inputs[0] is new_a

    seq = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    seq_twin = keras.models.clone_model(seq)
    assert isinstance(seq_twin, keras.Sequential) and len(seq_twin.layers) == 2
    seq_twin.set_weights(seq.get_weights())
    x = np.ones((2, 5), "float32")
    np.testing.assert_allclose(seq_twin(x).numpy(), seq(x).numpy())


def test_serialize_keras_object_format_builtins_and_custom():
    dense = keras.layers.Dense(3, kernel_initializer="he_normal",
                               kernel_regularizer=keras.regularizers.L2(0.1),
                               kernel_constraint=keras.constraints.MaxNorm(2.0))
    s = serialize_keras_object(dense)
    assert s["module"] == "keras.layers" and s["class_name"] == "Dense"
    assert s["registered_name"] is None
    assert s["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert s["config"]["kernel_regularizer"]["class_name"] == "L2"
    back = deserialize_keras_object(s)
    assert isinstance(back.kernel_regularizer, keras.regularizers.L2)

    @register_keras_serializable(package="MyPkg")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    assert get_registered_name(Scale) == "MyPkg>Scale"
    assert get_registered_object("MyPkg>Scale") is Scale
    s = serialize_keras_object(Scale(3.0))
    assert s["registered_name"] == "MyPkg>Scale"
    assert deserialize_keras_object(s).factor == 3.0


def test_custom_objects_and_scopes():
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Twice(name="twice")(inputs))
    config = json.loads(model.to_json())
    with pytest.raises(ValueError, match="Unknown layer: 'Twice'"):
        keras.models.model_from_json(json.dumps(config))
    m1 = keras.models.model_from_json(json.dumps(config), custom_objects={"Twice": Twice})
    with custom_object_scope({"Twice": Twice}):
        m2 = keras.models.model_from_json(json.dumps(config))
    with CustomObjectScope({"Twice": Twice}):
        m3 = keras.models.model_from_config(config)
    for m in (m1, m2, m3):
        np.testing.assert_allclose(m(np.ones((1, 2), "float32")).numpy(), [[2.0, 2.0]])


@pytest.mark.parametrize("obj", [
    keras.optimizers.Adam(1e-3, beta_1=0.8, amsgrad=True),
    keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    keras.optimizers.RMSprop(0.01, rho=0.8),
    keras.optimizers.AdamW(0.01, weight_decay=0.1),
    keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
    keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    keras.losses.Huber(delta=2.0),
    keras.metrics.AUC(num_thresholds=50),
    keras.metrics.BinaryAccuracy(threshold=0.3),
    keras.initializers.HeNormal(seed=3),
    keras.initializers.Constant(0.5),
    keras.regularizers.L1L2(0.1, 0.2),
    keras.constraints.MinMaxNorm(0.5, 2.0),
    keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1),
], ids=lambda o: type(o).__name__)
def test_object_config_round_trip(obj):
    s = json.loads(json.dumps(serialize_keras_object(obj)))
    assert s["module"].startswith("keras.") and s["registered_name"] is None
    back = deserialize_keras_object(s)
    assert type(back) is type(obj)
    assert _norm(back.get_config()) == _norm(obj.get_config())


def test_functions_serialize_by_public_name():
    s = serialize_keras_object(keras.losses.mean_squared_error)
    assert s == {"module": "builtins", "class_name": "function",
                 "config": "mean_squared_error", "registered_name": "function"}
    assert deserialize_keras_object(s) is keras.losses.mean_squared_error


def test_operations_on_keras_tensors_serialize_as_keras_ops():
    inputs = keras.Input((3,), name="x")
    h = ember.nn.relu(1.0 - inputs * 2.0) / 4.0
    model = keras.Model(inputs, keras.layers.Dense(2)(ember.math.square(h) + h))
    config = model.get_config()
    ops = {l["class_name"]: l for l in config["layers"] if l["module"].startswith(
        "keras.src.ops")}
    assert set(ops) == {"Multiply", "Subtract", "Relu", "TrueDivide", "Square", "Add"}
    assert ops["Subtract"]["inbound_nodes"][0]["args"][0] == 1.0       # constant first
    assert ops["Multiply"]["inbound_nodes"][0]["args"][1] == 2.0
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(rebuilt(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert _norm(rebuilt.get_config()) == _norm(config)

    summed = keras.Model(inputs, ember.math.cumsum(inputs, axis=1, exclusive=True))
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        summed.get_config()


def test_operations_with_settings_serialize_as_keras_ops():
    x = keras.Input((3, 4), name="x")
    h = ember.concat([x, ember.transpose(ember.reshape(x, (-1, 4, 3)), (0, 2, 1))], axis=-1)
    h = ember.nn.softmax(h, axis=1) + ember.expand_dims(ember.reduce_mean(x, axis=2), -1)
    h = ember.squeeze(ember.reduce_sum(h, axis=-1, keepdims=True), axis=2)
    out = keras.layers.Dense(2)(ember.cast(ember.cast(h, "float16"), "float32") +
                                ember.reduce_max(x, axis=-1) -
                                ember.reduce_min(x, axis=2))
    model = keras.Model(x, out)
    config = model.get_config()
    entries = {l["class_name"]: l for l in config["layers"]
               if l["module"].startswith("keras.src.ops")}
    assert entries["Mean"]["config"] == {"name": entries["Mean"]["name"], "axis": 2,
                                         "keepdims": False}
    assert entries["Reshape"]["config"]["newshape"] == [-1, 4, 3]
    assert entries["Transpose"]["config"]["axes"] == [0, 2, 1]
    assert entries["Concatenate"]["inbound_nodes"][0]["args"][0][0]["class_name"] == \
        "__keras_tensor__"                                   # one list argument
    assert entries["Cast"]["module"] == "keras.src.ops.core"
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    data = np.linspace(-1, 1, 24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_allclose(rebuilt(data).numpy(), model(data).numpy(), rtol=1e-6)
    assert _norm(rebuilt.get_config()) == _norm(config)


def test_single_output_in_a_list_returns_the_tensor():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs)])       # as Keras 3
    assert model.get_config()["output_layers"] == [[model.layers[1].name, 0, 0]]
    out = model(np.ones((3, 2), "float32"))
    assert isinstance(out, ember.Tensor) and tuple(out.shape) == (3, 1)
    assert model.predict(np.ones((3, 2), "float32"), verbose=0).shape == (3, 1)
