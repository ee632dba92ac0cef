import numpy as np
import pytest

import ember as tf


def test_variable_basics():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    assert v.name == "w:0" and v.dtype is tf.float32 and v.shape == (2, 2)
    assert v.trainable
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    assert "ember.Variable 'w:0' shape=(2, 2) dtype=float32" in repr(v)
    assert tf.Variable(3.0).name == "Variable:0"


def test_assign_family_updates_value():
    v = tf.Variable([1.0, 2.0])
    assert v.assign([5.0, 6.0]) is v
    np.testing.assert_array_equal(v.numpy(), [5, 6])
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [6, 7])
    v.assign_sub(tf.constant([2.0, 2.0]))
    np.testing.assert_array_equal(v.read_value().numpy(), [4, 5])
    assert v.assign([0.0, 0.0], read_value=False) is None


def test_reads_are_snapshots():
    v = tf.Variable([1.0, 2.0])
    before = v.read_value()
    v.assign([9.0, 9.0])
    np.testing.assert_array_equal(before.numpy(), [1, 2])


def test_assign_checks_shape_and_dtype():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match=r"Shape mismatch.*\(2,\).*\(3,\)"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="float64"):
        v.assign(tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(TypeError):
        tf.Variable([1, 2]).assign([1.5, 2.5])


def test_variable_usable_as_tensor():
    v = tf.Variable([1.0, 2.0])
    np.testing.assert_array_equal((v + 1).numpy(), [2, 3])
    np.testing.assert_array_equal((2 * v).numpy(), [2, 4])
    np.testing.assert_array_equal(tf.reduce_sum(v).numpy(), 3.0)
    np.testing.assert_array_equal(np.asarray(v), [1, 2])
    m = tf.Variable([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal((m @ m).numpy(), np.eye(2))
    assert float(tf.Variable(2.5)) == 2.5


def test_variable_dtype_argument_and_callable_initial_value():
    v = tf.Variable(1, dtype=tf.float64)
    assert v.dtype is tf.float64
    w = tf.Variable(lambda: tf.ones([3]), trainable=False)
    assert w.shape == (3,) and not w.trainable
    with pytest.raises(ValueError, match="initial_value"):
        tf.Variable()


def test_variables_are_hashable():
    a, b = tf.Variable(1.0), tf.Variable(1.0)
    assert len({a, b}) == 2
