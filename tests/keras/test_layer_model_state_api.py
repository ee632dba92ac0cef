"""Keras 3's Layer/Model state API: stateless_call, stateless_compute_loss, state trees,
own-variable stores, StatelessScope, recompute_grad and tf.keras 2's compiled_loss."""
import numpy as np
import pytest

import ember
from ember import keras


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,), name="x")
    d = keras.layers.Dense(2, name="d1")
    bn = keras.layers.BatchNormalization(name="bn")
    model = keras.Model(inputs, bn(d(inputs)), name="m")
    return model, d, bn


X = np.random.RandomState(0).rand(8, 3).astype("float32")
Y = np.random.RandomState(1).rand(8, 2).astype("float32")


def test_stateless_call_uses_the_given_values_and_changes_no_variable():
    model, d, bn = _model()
    trainable = [v.numpy() * 2 + 0.1 for v in model.trainable_variables]
    non_trainable = [v.numpy() + 0.3 for v in model.non_trainable_variables]
    before = [v.numpy().copy() for v in model.variables]
    out, new_nt = model.stateless_call(trainable, non_trainable, X, training=True)
    for a, v in zip(before, model.variables):
        np.testing.assert_array_equal(a, v.numpy())
    # the same computation with the values assigned for real
    for v, value in zip(model.variables, trainable + non_trainable):
        v.assign(value)
    expected = model(X, training=True)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    for got, v in zip(new_nt, model.non_trainable_variables):   # updated moving statistics
        np.testing.assert_allclose(got.numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(new_nt[0].numpy(), non_trainable[0])
    with pytest.raises(ValueError, match="trainable_variables"):
        model.stateless_call(trainable[:1], non_trainable, X)


def test_stateless_call_gradients_equal_the_stateful_ones():
    model, _, _ = _model()
    trainable = [ember.constant(v.numpy() * 1.5) for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    with ember.GradientTape() as tape:
        for t in trainable:
            tape.watch(t)
        out, _ = model.stateless_call(trainable, non_trainable, X, training=False)
        loss = ember.reduce_sum(out * out)
    grads = tape.gradient(loss, trainable)
    for v, t in zip(model.trainable_variables, trainable):
        v.assign(t)
    with ember.GradientTape() as tape:
        loss2 = ember.reduce_sum(model(X, training=False) ** 2)
    expected = tape.gradient(loss2, model.trainable_variables)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)


def test_stateless_call_returns_the_losses_the_call_added():
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5))
    layer.build((None, 3))
    kernel = np.full((3, 2), 2.0, "float32")
    _, _, losses = layer.stateless_call([kernel, np.zeros(2, "float32")], [], X,
                                        return_losses=True)
    assert len(losses) == 1
    assert float(losses[0]) == pytest.approx(0.5 * 4.0 * 6)


def test_stateless_compute_loss_and_metrics_variables():
    model, _, _ = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, Y, verbose=0, epochs=1)
    assert len(model.metrics_variables) == 4          # loss and mae: total and count each
    trainable = [v.numpy() for v in model.trainable_variables]
    non_trainable = [v.numpy() for v in model.non_trainable_variables]
    metric_values = [v.numpy() for v in model.metrics_variables]
    y_pred = model(X, training=False)
    loss, (t, n, m) = model.stateless_compute_loss(trainable, non_trainable, metric_values,
                                                   x=X, y=Y, y_pred=y_pred)
    assert float(loss) == pytest.approx(float(np.mean((Y - y_pred.numpy()) ** 2)), rel=1e-5)
    assert len(t) == 4 and len(n) == 2 and len(m) == 4


def test_state_tree_round_trip():
    model, d, _ = _model()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, Y, verbose=0, epochs=1)
    tree = model.get_state_tree("numpy_array")
    assert set(tree) == {"trainable_variables", "non_trainable_variables",
                         "optimizer_variables", "metrics_variables"}
    assert set(tree["trainable_variables"]["d1"]) == {"kernel", "bias"}
    assert set(tree["non_trainable_variables"]["bn"]) == {"moving_mean", "moving_variance"}
    np.testing.assert_array_equal(tree["trainable_variables"]["d1"]["kernel"],
                                  d.kernel.numpy())
    saved = model.get_state_tree("numpy_array")
    model.fit(X, Y, verbose=0, epochs=2)
    model.set_state_tree(saved)
    np.testing.assert_array_equal(d.kernel.numpy(), saved["trainable_variables"]["d1"]["kernel"])
    with pytest.raises(ValueError, match="no variable at path"):
        model.set_state_tree({"trainable_variables": {"d9": {"kernel": np.zeros((3, 2))}}})
    with pytest.raises(ValueError, match="value_format"):
        model.get_state_tree("jax")


def test_own_variable_stores_and_small_methods():
    layer = keras.layers.Dense(2, name="dd")
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    other = keras.layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.kernel.numpy(), layer.kernel.numpy())
    with pytest.raises(ValueError, match="expected 2 variables"):
        other.load_own_variables({"0": store["0"]})
    assert layer.path == "dd" and layer.kernel.path == "dd/kernel"
    assert layer.input_dtype == "float32" and layer.supports_jit
    assert layer.call_signature_parameters == ["inputs"]
    v = layer.add_variable((4,), "ones", name="extra")
    np.testing.assert_array_equal(v.numpy(), np.ones(4))
    with pytest.raises(NotImplementedError, match="compile"):
        layer.add_metric(1.0)
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int3")
    with pytest.raises(NotImplementedError, match="quantize"):
        layer.quantize("int8")


def test_keras_stateless_scope_collects_assignments_and_losses():
    v = keras.Variable(np.zeros(3, "float32"))
    with keras.StatelessScope([(v, np.ones(3, "float32"))], collect_losses=True) as scope:
        np.testing.assert_array_equal(v.numpy(), [1, 1, 1])
        v.assign_add(np.full(3, 2.0, "float32"))
        np.testing.assert_array_equal(v.value().numpy(), [3, 3, 3])
        layer = keras.layers.Layer()
        layer.add_loss(ember.constant(5.0))
    np.testing.assert_array_equal(v.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(scope.get_current_value(v).numpy(), [3, 3, 3])
    assert [float(x) for x in scope.losses] == [5.0]
    assert layer.losses == []


def test_recompute_grad_gives_the_same_gradients():
    keras.utils.set_random_seed(1)
    dense = keras.layers.Dense(4)
    x = ember.constant(X)

    def block(z):
        return ember.nn.relu(dense(z)) * 3.0

    recomputed = ember.recompute_grad(block)
    with ember.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = ember.reduce_sum(recomputed(x) ** 2)
        b = ember.reduce_sum(block(x) ** 2)
    np.testing.assert_allclose(float(a), float(b), rtol=1e-6)
    sources = [x] + dense.trainable_variables
    for ga, gb in zip(tape.gradient(a, sources), tape.gradient(b, sources)):
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-5, atol=1e-6)


def test_tf_keras2_custom_train_step_with_compiled_loss_and_metrics_trains():
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with ember.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    keras.utils.set_random_seed(2)
    inputs = keras.Input((3,))
    model = Custom(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    x = np.random.RandomState(3).rand(64, 3).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["mae"][-1] < 0.5 * history.history["mae"][0]
