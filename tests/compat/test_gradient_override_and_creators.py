"""tf.RegisterGradient + Graph.gradient_override_map, tf.no_gradient, and
tf.variable_creator_scope (compat.v1 and TF2 spellings)."""
import itertools

import numpy as np
import pytest

import ember
import ember.compat.v1 as tf
from tests.compat.test_v1 import graph_mode  # noqa: F401 - the TF1 graph fixture

_names = itertools.count()


def _fresh(base):
    return f"{base}{next(_names)}"


def test_gradient_override_map_replaces_the_gradient(graph_mode):
    name = _fresh("ClipGrad")
    seen = []

    @tf.RegisterGradient(name)
    def _clip(op, grad):
        seen.append((op.type, op.name, len(op.inputs)))
        return tf.clip_by_value(grad * 2.0 * op.inputs[0], -1.0, 1.0)

    x = tf.placeholder(tf.float32, [4])
    with tf.get_default_graph().gradient_override_map({"Square": name}):
        y = tf.square(x, name="sq")
        z = tf.exp(x)                       # not in the map: its own gradient
    plain = tf.square(x)
    grads = [tf.gradients(tf.reduce_sum(t), [x])[0] for t in (y, z, plain)]
    xv = np.array([-2.0, -0.25, 0.25, 3.0], np.float32)
    with tf.Session() as sess:
        got, ge, gp = sess.run(grads, {x: xv})
    np.testing.assert_allclose(got, np.clip(2 * xv, -1, 1))        # as TF: the override
    np.testing.assert_allclose(ge, np.exp(xv), rtol=1e-6)
    np.testing.assert_allclose(gp, 2 * xv)
    assert seen[0] == ("Square", "sq", 1)


def test_no_gradient_and_bad_registrations(graph_mode):
    name = _fresh("Blocked")
    tf.no_gradient(name)
    x = tf.placeholder(tf.float32, [2])
    with tf.get_default_graph().gradient_override_map({"Exp": name}):
        y = tf.exp(x)
    assert tf.gradients(tf.reduce_sum(y * 2.0), [x]) == [None]
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient(name)
    with pytest.raises(KeyError, match="already has a gradient"):
        tf.RegisterGradient("Square")
    with tf.get_default_graph().gradient_override_map({"Exp": "NeverRegistered"}):
        y2 = tf.exp(x)
    with pytest.raises(LookupError, match="NeverRegistered"):
        tf.gradients(y2, [x])
    with pytest.raises(TypeError, match="mapping strings to strings"):
        with tf.get_default_graph().gradient_override_map({"Exp": 3}):
            pass


def test_variable_creator_scope_order_and_arguments():
    calls = []

    def outer(next_creator, **kwargs):
        calls.append(("outer", kwargs["name"]))
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    def inner(next_creator, **kwargs):
        calls.append(("inner", sorted(kwargs)))
        kwargs["initial_value"] = kwargs["initial_value"] * 3.0
        return next_creator(**kwargs)

    with ember.variable_creator_scope(outer):
        with tf.variable_creator_scope(inner):
            v = ember.Variable(2.0, name="v")
    assert calls == [("inner", ["initial_value", "name"]), ("outer", "v")]
    assert isinstance(v, ember.Variable) and float(v.numpy()) == 6.0 and not v.trainable
    assert ember.Variable(1.0).trainable           # outside the scopes: unchanged


def test_variable_creator_can_return_an_existing_variable(graph_mode):
    store = {}

    def sharing(next_creator, **kwargs):
        if kwargs["name"] not in store:
            store[kwargs["name"]] = next_creator(**kwargs)
        return store[kwargs["name"]]

    with tf.variable_creator_scope(sharing):
        a = tf.Variable(1.0, name="shared")
        b = tf.Variable(5.0, name="shared")
    assert a is b
    with tf.Session() as sess:
        sess.run(a.initializer)
        assert sess.run(b) == 1.0
    with pytest.raises(TypeError, match="callable"):
        with tf.variable_creator_scope(3):
            pass
