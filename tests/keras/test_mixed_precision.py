"""Mixed precision: DTypePolicy, float32 variables autocast to float16/bfloat16 inside a
layer's call, compile's automatic LossScaleOptimizer, against real Keras fixtures."""
import os

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import dtype_policies

FIX = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "mixed_precision",
                           "mixed_precision.npz"))


@pytest.fixture(autouse=True)
def _restore_global_policy():
    saved = dtype_policies._GLOBAL["policy"]
    yield
    dtype_policies._GLOBAL["policy"] = saved


def _model(policy):
    keras.config.set_dtype_policy(policy)
    inp = keras.Input((5,))
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(inp)
    logits = keras.layers.Dense(3, name="logits")(h)
    out = keras.layers.Activation("softmax", dtype="float32", name="probs")(logits)
    model = keras.Model(inp, out)
    model.set_weights([FIX[f"w{i}"] for i in range(4)])
    keras.config.set_dtype_policy("float32")
    return model


def test_policy_names_and_dtypes():
    p = keras.DTypePolicy("mixed_float16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("mixed_float16", "float16", "float32")
    p = keras.mixed_precision.Policy("mixed_bfloat16")
    assert (p.compute_dtype, p.variable_dtype) == ("bfloat16", "float32")
    assert keras.dtype_policies.get("float64").compute_dtype == "float64"
    assert repr(p) == '<DTypePolicy "mixed_bfloat16">'
    assert keras.dtype_policies.deserialize(keras.dtype_policies.serialize(p)) == p
    with pytest.raises(ValueError, match="mixed_float17"):
        keras.DTypePolicy("mixed_float17")
    with pytest.raises(ValueError, match="policy"):
        keras.config.set_dtype_policy(3)


def test_global_policy_reaches_new_layers_and_inputs_stay_floatx():
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert keras.config.dtype_policy() == keras.DTypePolicy("mixed_float16")
    d = keras.layers.Dense(3)
    y = d(np.ones((2, 4), "float32"))
    assert y.dtype == ember.float16
    assert d.kernel.dtype == ember.float32 and d.bias.dtype == ember.float32
    assert (d.dtype, d.compute_dtype, d.variable_dtype, d.input_dtype) == \
        ("float32", "float16", "float32", "float16")
    assert keras.Input((4,)).dtype == ember.float32
    keras.mixed_precision.set_global_policy("float32")
    assert keras.layers.Dense(2).dtype_policy.name == "float32"


def test_autocast_reads_float32_variable_in_compute_dtype_with_float32_gradient():
    layer = keras.layers.Dense(2, dtype="mixed_float16", use_bias=False)
    x = ember.constant(np.arange(6, dtype="float32").reshape(3, 2) / 4)
    layer.build((None, 2))
    with ember.GradientTape() as tape:
        y = layer(x)
        loss = ember.reduce_sum(ember.cast(y, "float32"))
    g = tape.gradient(loss, layer.kernel)
    assert y.dtype == ember.float16 and g.dtype == ember.float32
    # d/dW sum(x @ W) = x^T @ 1
    np.testing.assert_allclose(g.numpy(), x.numpy().T @ np.ones((3, 2)), rtol=1e-3)
    # outside the layer's call the variable reads as stored
    assert ember.convert_to_tensor(layer.kernel).dtype == ember.float32


def test_non_autocast_weights_and_normalization_stay_float32():
    bn = keras.layers.BatchNormalization(dtype="mixed_float16")
    x = np.random.RandomState(0).randn(8, 3).astype("float32") * 3 + 1
    y = bn(x, training=True)
    assert y.dtype == ember.float16
    assert all(v.dtype == ember.float32 for v in bn.weights)
    expect = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(y.numpy().astype("float32"), expect, atol=5e-3)
    # the input is cast to float16 first; the statistics are then taken in float32
    x16 = x.astype("float16").astype("float32")
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x16.mean(0), rtol=1e-5)


@pytest.mark.parametrize("policy,key,tol", [("mixed_float16", "float16", 2e-3),
                                            ("mixed_bfloat16", "bfloat16", 2e-2)])
def test_model_matches_keras_forward(policy, key, tol):
    model = _model(policy)
    x = FIX["x"]
    hidden = keras.Model(model.inputs, model.get_layer("hidden").output)
    h = hidden(x)
    assert h.dtype == ember.as_dtype(key)
    assert model.get_layer("hidden").output.dtype == ember.as_dtype(key)
    np.testing.assert_allclose(h.numpy().astype("float32"), FIX[f"{key}_hidden"], atol=tol)
    probs = model(x)
    assert probs.dtype == ember.float32 and model.output.dtype == ember.float32
    np.testing.assert_allclose(probs.numpy(), FIX[f"{key}_probs"], atol=tol)


@pytest.mark.parametrize("policy,key,tol", [("mixed_float16", "float16", 3e-3),
                                            ("mixed_bfloat16", "bfloat16", 3e-2)])
def test_mixed_model_trains_like_keras_with_float32_variables(policy, key, tol):
    model = _model(policy)
    model.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy")
    assert type(model.optimizer).__name__ == str(FIX[f"{key}_optimizer"])
    loss = model.evaluate(FIX["x"], FIX["y"], verbose=0)
    np.testing.assert_allclose(loss, FIX[f"{key}_loss"], rtol=tol)
    for _ in range(3):
        model.train_on_batch(FIX["x"], FIX["y"])
    for i, w in enumerate(model.get_weights()):
        assert w.dtype == np.float32
        np.testing.assert_allclose(w, FIX[f"{key}_trained_w{i}"], atol=tol * 3)
    if policy == "mixed_float16":
        # every step was finite: the scale stayed at its initial value
        assert float(model.optimizer.dynamic_scale.numpy()) == 2.0 ** 15


def test_mixed_float16_fit_uses_a_dynamic_loss_scale_and_learns():
    keras.mixed_precision.set_global_policy("mixed_float16")
    rs = np.random.RandomState(1)
    x = rs.randn(128, 6).astype("float32")
    y = (x[:, :3].sum(1) > 0).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1),
                              keras.layers.Activation("sigmoid", dtype="float32")])
    # a scale so large that float16 gradients overflow: steps are skipped and it halves
    model.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.02),
                                                      initial_scale=2.0 ** 30),
                  "binary_crossentropy", metrics=["accuracy"])
    w_before = model.get_weights()
    model.train_on_batch(x[:32], y[:32])
    assert float(model.optimizer.dynamic_scale.numpy()) == 2.0 ** 29
    for a, b in zip(w_before, model.get_weights()):
        np.testing.assert_array_equal(a, b)       # the overflowing step was skipped
    hist = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert float(model.optimizer.dynamic_scale.numpy()) < 2.0 ** 29
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
    assert all(v.dtype == ember.float32 for v in model.weights)
    assert all(v.dtype == ember.float32 for v in model.optimizer.variables
               if v.dtype.is_floating)


def test_auto_scale_loss_off_and_explicit_optimizer_kept():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", auto_scale_loss=False)
    assert type(model.optimizer).__name__ == "SGD"
    opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), initial_scale=8.0)
    model.compile(opt, "mse")
    assert model.optimizer is opt


def test_mixed_policy_config_and_save_round_trip(tmp_path):
    model = _model("mixed_float16")
    cfg = model.get_layer("hidden").get_config()["dtype"]
    assert cfg == {"module": "keras", "class_name": "DTypePolicy",
                   "config": {"name": "mixed_float16"}, "registered_name": None}
    assert model.get_layer("probs").get_config()["dtype"] == "float32"
    clone = keras.layers.Dense.from_config(model.get_layer("hidden").get_config())
    assert clone.dtype_policy.name == "mixed_float16"
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_layer("hidden").dtype_policy.name == "mixed_float16"
    np.testing.assert_allclose(loaded.predict(FIX["x"], verbose=0),
                               model.predict(FIX["x"], verbose=0), atol=1e-6)


def test_nested_float32_layer_inside_mixed_layer_reads_float32():
    inner = keras.layers.Dense(2, dtype="float32")

    class Outer(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.inner = inner

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1], shape[-1]), initializer="identity")

        def call(self, x):
            h = ember.matmul(x, self.w)
            assert h.dtype == ember.float16
            return self.inner(h)

    y = Outer(dtype="mixed_float16")(np.ones((1, 3), "float32"))
    assert y.dtype == ember.float32 and inner.kernel.dtype == ember.float32
