"""vectorized_map (one batched run of fn) against map_fn (fn row by row), interleaved
round by round in one process; prints the median time of each and their ratio.

    PYTHONPATH=$PWD python bench/vectorized_map.py [batch]
"""
import statistics
import sys
import time

import numpy as np

import ember as tf

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 256
rng = np.random.default_rng(0)
x = tf.constant(rng.standard_normal((batch, 16, 32)).astype(np.float32))
w = tf.constant(rng.standard_normal((32, 8)).astype(np.float32))


def fn(e):
    return tf.reduce_sum(tf.nn.softmax(tf.matmul(e, w)) * 2.0 + 1.0, axis=0)


vec, loop = [], []
for _ in range(7):
    t = time.perf_counter()
    a = tf.vectorized_map(fn, x)
    vec.append(time.perf_counter() - t)
    t = time.perf_counter()
    b = tf.map_fn(fn, x)
    loop.append(time.perf_counter() - t)
np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)
v, m = statistics.median(vec), statistics.median(loop)
print(f"batch {batch}: vectorized_map {v * 1e3:.2f} ms, map_fn {m * 1e3:.2f} ms, "
      f"speed-up {m / v:.1f}x")
