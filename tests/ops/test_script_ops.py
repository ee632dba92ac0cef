"""py_function and numpy_function: eager, traced (run at graph run time), gradients."""
import numpy as np
import pytest

import ember as tf


def test_py_function_eager_and_traced_runs_each_call():
    calls = []

    def f(x):
        calls.append(float(x.numpy()))
        return x * 2.0, tf.cast(x, tf.int32)

    out = tf.py_function(f, [tf.constant(1.5)], Tout=[tf.float32, tf.int32])
    assert float(out[0]) == 3.0 and int(out[1]) == 1
    g = tf.function(lambda x: tf.py_function(f, [x], [tf.float32, tf.int32])[0] + 1.0)
    assert float(g(tf.constant(2.0))) == 5.0
    assert float(g(tf.constant(3.0))) == 7.0
    assert calls == [1.5, 2.0, 3.0]


def test_py_function_gradient_in_trace_and_eager():
    def cube(x):
        return x ** 3

    x = tf.Variable(2.0)
    for fn in (lambda v: tf.py_function(cube, [v], tf.float32),
               tf.function(lambda v: tf.py_function(cube, [v], tf.float32))):
        with tf.GradientTape() as tape:
            y = fn(x)
        assert float(y) == 8.0
        assert float(tape.gradient(y, x)) == pytest.approx(12.0)


def test_numpy_function():
    f = lambda a: np.sort(a)[::-1].copy()  # noqa: E731
    np.testing.assert_array_equal(tf.numpy_function(f, [tf.constant([3, 1, 2])], tf.int32),
                                  [3, 2, 1])
    g = tf.function(lambda x: tf.numpy_function(f, [x], tf.int32) * 2)
    np.testing.assert_array_equal(g(tf.constant([1, 5, 2])), [10, 4, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="returned float64"):
        tf.numpy_function(lambda a: a * 0.5, [tf.constant([1])], tf.int32)
