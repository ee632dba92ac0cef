import numpy as np
import pytest

import ember as tf


def test_user_example_square_gradient():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    grad = tape.gradient(y, x)
    assert grad.dtype is tf.float32
    assert float(grad) == 6.0


def test_constants_need_watch():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x * x
    assert float(tape.gradient(y, x)) == 12.0


def test_unconnected_gradients_zero():
    x = tf.constant([1.0, 2.0])
    z = tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch([x, z])
        y = tf.reduce_sum(x * 2.0)
    g = tape.gradient(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(g[0].numpy(), [2.0, 2.0])
    assert float(g[1]) == 0.0


def test_non_persistent_tape_single_use_and_persistent_reuse():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 12.0


def test_nested_targets_and_sources():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        out = {"s": a * b, "t": [a + b]}
    grads = tape.gradient(out, {"a": a, "b": b})
    assert float(grads["a"]) == 3.0 and float(grads["b"]) == 2.0


def test_output_gradients_weight_the_targets():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 12.0])


def test_broadcast_gradients_sum_back_to_input_shape():
    w = tf.Variable(np.ones((1, 3), np.float32))
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * w + w)
    g = tape.gradient(y, w)
    assert g.shape == (1, 3)
    np.testing.assert_allclose(g.numpy(), [[5.0, 7.0, 9.0]])


def test_second_order_with_nested_tapes():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy) == 12.0
    assert float(d2y) == 12.0  # 6x at x=2


def test_third_order():
    x = tf.constant(1.5)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.sin(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    np.testing.assert_allclose(float(d3), -np.cos(1.5), rtol=1e-6)


def test_integer_sources_get_none():
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x) is None


def test_stop_gradient_and_stop_recording():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * tf.stop_gradient(x)
    assert float(tape.gradient(y, x)) == 3.0
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            z = x * x
        y = x + z
    assert float(tape.gradient(y, x)) == 1.0


def test_reset_forgets_recorded_ops():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * 10.0
        tape.reset()
        y = x * 2.0
    assert float(tape.gradient(y, x)) == 2.0


def test_watch_accessed_variables_false():
    a = tf.Variable(2.0)
    b = tf.Variable(3.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 3.0 and gb is None
    assert tape.watched_variables() == (a,)


def test_non_trainable_variables_are_not_watched():
    a = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        y = a * a
    assert tape.gradient(y, a) is None
    assert tape.watched_variables() == ()


def test_watched_variables_in_access_order():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        _ = b * a
    assert tape.watched_variables() == (b, a)


def test_gradient_of_intermediate_source():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        h = x * 3.0
        y = h * h
    gh, gx = tape.gradient(y, [h, x])
    assert float(gh) == 12.0 and float(gx) == 36.0


def test_jacobian():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    j = tape.jacobian(y, x)
    np.testing.assert_allclose(j.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_jacobian_shapes_for_matrices():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as tape:
        y = tf.matmul(x, w)
    j = tape.jacobian(y, w)
    assert j.shape == (1, 3, 2, 3)
    expected = np.zeros((1, 3, 2, 3), np.float32)
    for k in range(3):
        expected[0, k, :, k] = [1.0, 2.0]
    np.testing.assert_allclose(j.numpy(), expected)


def test_batch_jacobian():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x * x
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 2)
    np.testing.assert_allclose(bj.numpy()[0], np.diag([3.0, 12.0]))
    np.testing.assert_allclose(bj.numpy()[1], np.diag([27.0, 48.0]))


def test_custom_gradient_replaces_gradient():
    @tf.custom_gradient
    def clip_gradient(x):
        def grad(dy):
            return tf.clip_by_value(dy, -0.5, 0.5)
        return tf.identity(x), grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(clip_gradient(x) * 10.0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 0.5])


def test_custom_gradient_log1pexp_is_stable():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return tf.math.log(1 + e), grad

    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert float(tape.gradient(y, x)) == 1.0


def test_custom_gradient_with_variables():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return dy * v, [dy * x * 100.0]
        return x * v, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gv = tape.gradient(y, [x, v])
    assert float(gx) == 2.0 and float(gv) == 300.0


def test_tape_records_only_while_active():
    x = tf.Variable(1.0)
    y0 = x * 5.0
    with tf.GradientTape() as tape:
        y = y0 + x
    assert float(tape.gradient(y, x)) == 1.0


def test_gradients_keep_float32():
    w = tf.Variable(np.ones((3, 2), np.float32))
    x = tf.constant(np.ones((4, 3), np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.5))
    g = tape.gradient(loss, w)
    assert g.dtype is tf.float32


def test_compute_gradient_matches_tensorflow_layout():
    f = lambda a, b: a * b  # noqa: E731
    t, n = tf.test.compute_gradient(f, [tf.constant([1.0, 2.0], tf.float64),
                                        tf.constant([3.0, 4.0], tf.float64)])
    assert len(t) == 2 and t[0].shape == (2, 2)
    np.testing.assert_allclose(t[0], np.diag([3.0, 4.0]))
    np.testing.assert_allclose(t[1], np.diag([1.0, 2.0]))
    assert tf.test.max_error(t, n) < 1e-6


def test_custom_gradient_inside_a_traced_function():
    @tf.custom_gradient
    def clip_gradient(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)

    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(clip_gradient(x) * 10.0)
        return tape.gradient(y, x)

    np.testing.assert_allclose(grad(tf.constant([1.0, 2.0])).numpy(), [0.5, 0.5])
