"""The user's own examples (shared/seeds), run on ember and checked against NumPy."""
import numpy as np

import ember as tf

y_true = tf.constant([1.0, 2.0, 3.0])
y_pred = tf.constant([1.1, 2.1, 2.9])
T = np.array([1.0, 2.0, 3.0], np.float32)
P = np.array([1.1, 2.1, 2.9], np.float32)


def test_tensor_and_variable_printing_examples():
    tensor = tf.constant([[1, 2], [3, 4]])
    assert "shape=(2, 2), dtype=int32" in str(tensor)
    variable = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    variable.assign([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(variable.numpy(), [[5, 6], [7, 8]])


def test_matmul_example():
    a = tf.constant([[1, 2], [3, 4]])
    b = tf.constant([[5, 6], [7, 8]])
    result = tf.matmul(a, b)
    np.testing.assert_array_equal(result.numpy(), np.array([[1, 2], [3, 4]]) @
                                  np.array([[5, 6], [7, 8]]))
    assert result.dtype is tf.int32


def test_gradient_example():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    assert float(tape.gradient(y, x)) == 6.0


def mse_loss(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred))


def mae_loss(y_true, y_pred):
    return tf.reduce_mean(tf.abs(y_true - y_pred))


def huber_loss(y_true, y_pred, delta=1.0):
    error = y_true - y_pred
    is_small_error = tf.abs(error) <= delta
    small_error_loss = tf.square(error) / 2
    large_error_loss = delta * (tf.abs(error) - delta / 2)
    return tf.reduce_mean(tf.where(is_small_error, small_error_loss, large_error_loss))


def kl_divergence(p, q):
    return tf.reduce_sum(p * tf.math.log(p / q))


def contrastive_loss(y_true, y_pred, margin=1.0):
    square_pred = tf.square(y_pred)
    margin_square = tf.square(tf.maximum(margin - y_pred, 0))
    return tf.reduce_mean(y_true * square_pred + (1 - y_true) * margin_square)


def test_regression_losses_match_numpy():
    mse = mse_loss(y_true, y_pred)
    assert mse.dtype is tf.float32
    np.testing.assert_allclose(mse.numpy(), np.mean((T - P) ** 2), rtol=1e-6)
    np.testing.assert_allclose(mae_loss(y_true, y_pred).numpy(), np.mean(np.abs(T - P)),
                               rtol=1e-6)
    big = tf.constant([0.0, 5.0, 3.2])
    err = T - np.array([0.0, 5.0, 3.2], np.float32)
    want = np.mean(np.where(np.abs(err) <= 1.0, err ** 2 / 2, np.abs(err) - 0.5))
    np.testing.assert_allclose(huber_loss(y_true, big).numpy(), want, rtol=1e-6)


def test_kl_and_contrastive_examples():
    p = tf.constant([0.4, 0.6])
    q = tf.constant([0.5, 0.5])
    np.testing.assert_allclose(kl_divergence(p, q).numpy(),
                               0.4 * np.log(0.8) + 0.6 * np.log(1.2), rtol=1e-5)
    yt = tf.constant([1.0, 0.0, 1.0])
    yp = tf.constant([0.5, 0.3, 0.7])
    t, pr = np.array([1.0, 0.0, 1.0]), np.array([0.5, 0.3, 0.7])
    want = np.mean(t * pr ** 2 + (1 - t) * np.maximum(1 - pr, 0) ** 2)
    np.testing.assert_allclose(contrastive_loss(yt, yp).numpy(), want, rtol=1e-6)


def test_cross_entropies_with_logits_written_with_raw_ops():
    labels = tf.constant([1.0, 0.0, 1.0])
    logits = tf.constant([0.8, 0.2, 0.6])
    # sigmoid CE: max(x, 0) - x * z + log(1 + exp(-|x|))
    raw = tf.maximum(logits, 0.0) - logits * labels + tf.math.log1p(tf.exp(-tf.abs(logits)))
    x, z = np.array([0.8, 0.2, 0.6]), np.array([1.0, 0.0, 1.0])
    p = 1 / (1 + np.exp(-x))
    want = -(z * np.log(p) + (1 - z) * np.log(1 - p))
    np.testing.assert_allclose(raw.numpy(), want, rtol=1e-6)

    onehot = tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    lg = tf.constant([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    m = tf.reduce_max(lg, axis=1, keepdims=True)
    log_softmax = lg - m - tf.math.log(tf.reduce_sum(tf.exp(lg - m), axis=1, keepdims=True))
    ce = -tf.reduce_sum(onehot * log_softmax, axis=1)
    L = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    sm = np.exp(L) / np.exp(L).sum(1, keepdims=True)
    np.testing.assert_allclose(ce.numpy(), -np.log([sm[0, 1], sm[1, 0]]), rtol=1e-6)


def test_fitting_a_line_with_gradient_tape():
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, size=(200, 1)).astype(np.float32)
    ys = 3.0 * xs + 2.0 + rng.normal(0, 0.05, size=(200, 1)).astype(np.float32)
    w = tf.Variable(0.0)
    b = tf.Variable(0.0)
    losses = []
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * xs + b - ys))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        losses.append(float(loss))
    assert losses[-1] < losses[0] / 100
    assert abs(float(w) - 3.0) < 0.05 and abs(float(b) - 2.0) < 0.05
