"""Logistic regression with GradientTape on generated data (no download needed).

    python examples/logistic_regression.py

Two Gaussian clouds in 2-D; learns w, b by gradient descent on the sigmoid
cross-entropy and prints the learned parameters and the accuracy.
"""
import numpy as np

import ember as tf


def make_data(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    centers = np.array([[-1.0, -1.0], [1.5, 1.0]], np.float32)
    x = centers[labels] + rng.normal(0, 0.8, size=(n, 2)).astype(np.float32)
    return x.astype(np.float32), labels.astype(np.float32)


def main():
    x, y = make_data()
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    xs, ys = tf.constant(x), tf.reshape(tf.constant(y), [-1, 1])
    for step in range(301):
        with tf.GradientTape() as tape:
            logits = tf.matmul(xs, w) + b
            # Stable sigmoid cross-entropy: max(z, 0) - z * y + log(1 + exp(-|z|))
            loss = tf.reduce_mean(tf.maximum(logits, 0.0) - logits * ys +
                                  tf.math.log1p(tf.exp(-tf.abs(logits))))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.5 * gw)
        b.assign_sub(0.5 * gb)
        if step % 100 == 0:
            print(f"step {step:3d}  loss {float(loss):.4f}")
    predictions = tf.cast(tf.matmul(xs, w) + b > 0.0, tf.float32)
    accuracy = float(tf.reduce_mean(tf.cast(tf.equal(predictions, ys), tf.float32)))
    print("learned w:", np.round(w.numpy().ravel(), 3), " b:", round(float(b), 3))
    print(f"training accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()
