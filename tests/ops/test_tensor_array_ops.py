"""tf.TensorArray eagerly, in traced functions and while loops, with gradients."""
import numpy as np
import pytest

import ember as tf
from ember.engine.gradient_checker import compute_gradient

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype(np.float32)


def test_eager_write_read_stack_size_concat():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in range(4):
        ta = ta.write(i, X[i])
    np.testing.assert_array_equal(ta.stack(), X)
    assert int(ta.size()) == 4
    np.testing.assert_array_equal(ta.read(2), X[2])
    np.testing.assert_array_equal(ta.gather([3, 0]), X[[3, 0]])
    np.testing.assert_array_equal(ta.concat(), X.reshape(-1))
    assert ta.element_shape == tf.TensorShape([3])
    ta.write(0, np.zeros(3, np.float32))           # eagerly the array changes in place
    np.testing.assert_array_equal(ta.read(0), np.zeros(3))


def test_fixed_size_errors_and_unwritten_elements():
    ta = tf.TensorArray(tf.float32, size=3, element_shape=[2])
    np.testing.assert_array_equal(ta.stack(), np.zeros((3, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not resizeable and size is: 3"):
        ta.write(3, [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="read from index 5"):
        ta.read(5)
    with pytest.raises(ValueError, match="incompatible"):
        ta.write(0, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="holds float32"):
        ta.write(0, tf.constant([1, 2]))


def test_unstack_scatter_split():
    ta = tf.TensorArray(tf.float32, size=4).unstack(X)
    np.testing.assert_array_equal(ta.stack(), X)
    sc = tf.TensorArray(tf.float32, size=4, element_shape=[3]).scatter([3, 1], X[:2])
    want = np.zeros_like(X)
    want[3], want[1] = X[0], X[1]
    np.testing.assert_array_equal(sc.stack(), want)
    sp = tf.TensorArray(tf.float32, size=2).split(X, [2, 2])
    np.testing.assert_array_equal(sp.stack(), X.reshape(2, 2, 3))
    with pytest.raises(NotImplementedError, match="different lengths"):
        tf.TensorArray(tf.float32, size=2).split(X, [1, 3])


def test_traced_dynamic_array_in_autograph_loop():
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(tf.shape(x)[0]):
            ta = ta.write(i, x[i] * 2.0)
        return ta.stack(), ta.size()

    stacked, size = f(tf.constant(X))
    np.testing.assert_allclose(stacked, X * 2.0)
    assert int(size) == 4


def test_traced_array_in_while_loop_with_unknown_element_shape():
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):
        n = tf.shape(x)[0]
        src = tf.TensorArray(tf.float32, size=n).unstack(x)
        out = tf.TensorArray(tf.float32, size=n)

        def body(i, out):
            return i + 1, out.write(n - 1 - i, src.read(i) + 1.0)
        _, out = tf.while_loop(lambda i, o: i < n, body, [0, out])
        return out.stack()

    np.testing.assert_allclose(f(tf.constant(X)), X[::-1] + 1.0)
    np.testing.assert_allclose(f(tf.constant(X[:2])), X[1::-1] + 1.0)


def _rnn(x, w):
    ta = tf.TensorArray(x.dtype, size=0, dynamic_size=True)
    h = tf.zeros_like(x[0])
    for t in tf.range(tf.shape(x)[0]):
        h = tf.tanh(h * w + x[t])
        ta = ta.write(t, h)
    return ta.stack()


def test_gradients_through_writes_in_loops_match_eager_and_numeric():
    x = tf.constant(X)
    w = tf.Variable(np.float32([0.5, -0.3, 0.1]))
    with tf.GradientTape() as tape:
        traced = tf.reduce_sum(tf.function(_rnn)(x, w) ** 2)
    g_traced = tape.gradient(traced, w)
    with tf.GradientTape() as tape:
        eager = tf.reduce_sum(_rnn(x, w) ** 2)
    np.testing.assert_allclose(traced, eager, rtol=1e-5)
    np.testing.assert_allclose(g_traced, tape.gradient(eager, w), rtol=1e-4, atol=1e-6)

    f = tf.function(_rnn)
    xs = [X.astype(np.float64), np.array([0.5, -0.3, 0.1])]
    theoretical, numerical = compute_gradient(f, xs)
    for t, n in zip(theoretical, numerical):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-6)


def test_gradient_of_stack_and_gather_eager():
    def f(x):
        ta = tf.TensorArray(tf.float64, size=3)
        ta = ta.write(0, x[1]).write(2, x[0] * 3.0)
        return ta.stack() + tf.reduce_sum(ta.gather([2, 2]))
    theoretical, numerical = compute_gradient(f, [X[:2].astype(np.float64)])
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-6, atol=1e-8)


def test_tensor_array_spec_in_input_signature():
    @tf.function(input_signature=[tf.TensorArraySpec([3], tf.float32)])
    def total(ta):
        return tf.reduce_sum(ta.stack(), axis=0)

    ta = tf.TensorArray(tf.float32, size=4).unstack(X)
    np.testing.assert_allclose(total(ta), X.sum(0), rtol=1e-6)
    assert tf.TensorArraySpec.from_value(ta) == tf.TensorArraySpec([3], tf.float32)


def test_element_shape_learned_in_a_loop_is_known_after_it():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def f(x):
        ta = tf.TensorArray(tf.float32, size=tf.shape(x)[1])
        for t in tf.range(tf.shape(x)[1]):
            ta = ta.write(t, x[:, t] * 2.0)
        stacked = ta.stack()
        assert stacked.shape.rank == 2          # known while tracing
        return tf.transpose(stacked)

    np.testing.assert_allclose(f(tf.constant(X)), X * 2.0)
