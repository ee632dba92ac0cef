"""Eager overhead: ember beside plain NumPy doing the same arithmetic, in one run.

    python bench/eager_overhead.py

Prints the median time of `a + b` on 2x2 float32 tensors, and of a 2-layer MLP
(784 -> 128 relu -> 10, mean squared error) forward + backward with GradientTape on a
32x784 batch. Figures are medians over many repetitions; compare within one run.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

import ember as tf


def median_time(fn, number, repeat=15):
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def bench_add():
    a = tf.constant(np.ones((2, 2), np.float32))
    b = tf.constant(np.ones((2, 2), np.float32))
    na, nb = np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)
    return interleaved(lambda: a + b, lambda: na + nb, 5000)


def interleaved(f, g, number, rounds=15):
    """Medians of f and g timed in alternating rounds (the machine's speed drifts)."""
    tf_, tg = [], []
    for _ in range(rounds):
        tf_.append(median_time(f, number, repeat=1))
        tg.append(median_time(g, number, repeat=1))
    return statistics.median(tf_), statistics.median(tg)


def bench_mlp():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 784)).astype(np.float32)
    y = rng.standard_normal((32, 10)).astype(np.float32)
    w1 = (rng.standard_normal((784, 128)) * 0.05).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    w2 = (rng.standard_normal((128, 10)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    vw1, vb1, vw2, vb2 = (tf.Variable(v) for v in (w1, b1, w2, b2))
    tx, ty = tf.constant(x), tf.constant(y)

    def ember_step():
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(tx, vw1) + vb1)
            out = tf.matmul(h, vw2) + vb2
            loss = tf.reduce_mean(tf.square(out - ty))
        return tape.gradient(loss, [vw1, vb1, vw2, vb2])

    def numpy_step():
        pre = x @ w1 + b1
        h = np.maximum(pre, 0)
        out = h @ w2 + b2
        diff = out - y
        _loss = np.mean(diff * diff)
        dout = (2.0 / diff.size) * diff
        gw2 = h.T @ dout
        gb2 = dout.sum(0)
        dh = (dout @ w2.T) * (pre > 0)
        gw1 = x.T @ dh
        gb1 = dh.sum(0)
        return gw1, gb1, gw2, gb2

    ge = [np.asarray(g) for g in ember_step()]
    gn = numpy_step()
    for a, b in zip(ge, gn):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    return interleaved(ember_step, numpy_step, 20)


def main():
    te, tn = bench_add()
    print(f"a + b (2x2 float32):   ember {te * 1e6:7.2f} us   numpy {tn * 1e6:7.2f} us   "
          f"overhead {(te - tn) * 1e6:6.2f} us   ratio {te / tn:5.2f}x")
    te, tn = bench_mlp()
    print(f"MLP fwd+bwd (32x784):  ember {te * 1e6:7.1f} us   numpy {tn * 1e6:7.1f} us   "
          f"overhead {(te - tn) * 1e6:6.1f} us   ratio {te / tn:5.2f}x")


if __name__ == "__main__":
    main()
