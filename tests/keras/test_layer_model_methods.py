"""Keras 3's Layer and Model methods: stateless_call, stateless_compute_loss,
get/set_state_tree, save/load_own_variables, add_variable, metrics, and the clear errors of
add_metric and quantize."""
import numpy as np
import pytest

import ember
from ember import keras


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d"),
                              keras.layers.BatchNormalization(name="bn")], name="seq")
    model.compile("adam", "mse", metrics=["mae"])
    return model


def test_stateless_call_uses_given_values_and_leaves_the_layer_alone():
    layer = keras.layers.Dense(2, use_bias=True)
    layer.build((None, 3))
    before = [w.copy() for w in layer.get_weights()]
    k = np.arange(6, dtype="float32").reshape(3, 2)
    b = np.array([1.0, -1.0], "float32")
    x = np.ones((1, 3), "float32")
    out, non_trainable = layer.stateless_call([k, b], [], x)
    np.testing.assert_allclose(out.numpy(), x @ k + b)
    assert non_trainable == []
    for a, c in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, c)
    bn = keras.layers.BatchNormalization(momentum=0.5)
    bn.build((None, 2))
    data = np.array([[1.0, 2.0], [3.0, 6.0]], "float32")
    _, (mean, var) = bn.stateless_call([np.ones(2), np.zeros(2)], [np.zeros(2), np.ones(2)],
                                       data, training=True)
    np.testing.assert_allclose(mean.numpy(), 0.5 * data.mean(0), rtol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0.0, 0.0])
    with pytest.raises(ValueError, match="trainable_variables"):
        layer.stateless_call([k], [], x)


def test_state_tree_round_trip_and_stateless_compute_loss():
    model = _model()
    rs = np.random.RandomState(0)
    x, y = rs.randn(4, 3).astype("float32"), rs.randn(4, 2).astype("float32")
    model.fit(x, y, verbose=0)
    tree = model.get_state_tree("numpy_array")
    assert set(tree) == {"trainable_variables", "non_trainable_variables",
                         "optimizer_variables", "metrics_variables"}
    assert tree["trainable_variables"]["seq"]["d"]["kernel"].shape == (3, 2)
    assert set(tree["non_trainable_variables"]["seq"]["bn"]) == {"moving_mean",
                                                                 "moving_variance"}
    kernel = tree["trainable_variables"]["seq"]["d"]["kernel"]
    model.fit(x, y, verbose=0)
    assert not np.array_equal(model.layers[0].kernel.numpy(), kernel)
    model.set_state_tree(tree)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)
    with pytest.raises(ValueError, match="no trainable_variables"):
        model.set_state_tree({"trainable_variables": {"seq": {"zz": {"kernel": kernel}}}})
    y_pred = model(x)
    zeros_t = [np.zeros(v.shape.as_list(), "float32") for v in model.trainable_variables]
    nt = [v.numpy() for v in model.non_trainable_variables]
    mv = [v.numpy() for m in model.metrics for v in m.variables]
    loss, _ = model.stateless_compute_loss(zeros_t, nt, mv, x, y, y_pred)
    np.testing.assert_allclose(float(loss), float(np.mean((y_pred.numpy() - y) ** 2)),
                               rtol=1e-5)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)


def test_own_variables_add_variable_metrics_and_errors():
    class Counter(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.seen = keras.metrics.Sum(name="seen")

        def build(self, shape):
            self.w = self.add_variable((shape[-1],), "ones", name="w")

        def call(self, x):
            self.seen.update_state(ember.reduce_sum(x))
            return x * self.w

    layer = Counter()
    layer(np.ones((2, 3), "float32"))
    assert layer.metrics == [layer.seen] and len(layer.metrics_variables) == 1
    assert float(layer.seen.result()) == 6.0
    store = {}
    layer.save_own_variables(store)
    layer.w.assign([2.0, 2.0, 2.0])
    layer.load_own_variables(store)
    np.testing.assert_array_equal(layer.w.numpy(), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="expected 1 variables"):
        layer.load_own_variables({})
    with pytest.raises(NotImplementedError, match="add_metric"):
        layer.add_metric(1.0)
    with pytest.raises(NotImplementedError, match="quantiz"):
        keras.layers.Dense(2).quantize("int8")
    model = _model()
    assert model.path == "seq" and model.quantization_mode is None
    assert model.compiled_loss is model._compile_loss and model.jit_compile == "auto"
