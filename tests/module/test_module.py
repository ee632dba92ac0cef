"""tf.Module: naming, variable and submodule tracking (order as TensorFlow walks them)."""
import numpy as np
import pytest

import ember as tf


class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
            self.b = tf.Variable(tf.zeros([out_features]), name="b")
        self.count = tf.Variable(0, trainable=False, name="count")

    @tf.Module.with_name_scope
    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        if tf.reduce_sum(y) > 0:
            return tf.nn.relu(y)
        return y


class Sequential(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.layers = [Dense(3, 4, name="first"), Dense(4, 2)]
        self.extra = {"z": tf.Variable(1.0, name="z"), "a": (tf.Variable(2.0, name="a"),)}

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_names_and_default_name():
    assert Dense(1, 1).name == "dense"
    assert Dense(1, 1, name="d1").name_scope.name == "d1/"
    assert tf.Module().name == "module"
    with pytest.raises(ValueError, match="not a valid module name"):
        tf.Module(name="has space")


def test_variables_in_attribute_order_with_scoped_names():
    m = Sequential()
    names = [v.name for v in m.variables]
    # own attributes first (extra: dict keys sorted; layers), then submodules'
    assert names == ["a:0", "z:0", "first/b:0", "count:0", "first/w:0",
                     "dense/b:0", "count:0", "dense/w:0"]
    assert [v.name for v in m.trainable_variables] == [
        "a:0", "z:0", "first/b:0", "first/w:0", "dense/b:0", "dense/w:0"]
    assert [v.name for v in m.non_trainable_variables] == ["count:0", "count:0"]
    assert [s.name for s in m.submodules] == ["first", "dense"]


def test_flatten_with_paths_and_shared_objects():
    m = Sequential()
    m.alias = m.layers[0]
    paths = [p for p, _ in m._flatten(with_path=True, predicate=lambda x: isinstance(
        x, tf.Variable))]
    assert ("layers", 0, "w") in paths and ("alias", "w") in paths
    assert ("extra", "a", 0) in paths
    assert len(m.variables) == 8          # the alias adds no variable twice
    assert len(m.submodules) == 2


def test_cycles_terminate():
    a, b = tf.Module(name="a"), tf.Module(name="b")
    a.child, b.child = b, a
    a.v = tf.Variable(1.0)
    assert a.submodules == (b, a) or a.submodules == (b,)
    assert len(a.variables) == 1


def test_call_traced_with_autograph_and_gradients():
    m = Sequential()
    x = tf.constant([[1.0, -2.0, 0.5]])
    eager = m(x)
    traced = tf.function(m)(x)
    np.testing.assert_allclose(traced, eager, rtol=1e-6)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.function(m)(x) ** 2)
    grads = tape.gradient(loss, m.trainable_variables)
    assert all(g is not None for g in grads[2:])


def test_keras_layers_are_not_modules():
    # as in Keras 3 on TensorFlow: a Keras layer is not a tf.Module
    assert not isinstance(tf.keras.layers.Dense(2), tf.Module)
