"""Stateless random draws (TensorFlow's Philox stream and distributions, in NumPy)
against NumPy's own generator for the same number of values, interleaved round by round;
prints the medians and the ratio per distribution.

    PYTHONPATH=$PWD python bench/stateless_random.py [n]
"""
import statistics
import sys
import time

import numpy as np

import ember as tf

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
rng = np.random.default_rng(0)
cases = {
    "uniform": (lambda: tf.random.stateless_uniform([n], [1, 2]),
                lambda: rng.random(n, dtype=np.float32)),
    "normal": (lambda: tf.random.stateless_normal([n], [1, 2]),
               lambda: rng.standard_normal(n, dtype=np.float32)),
    "truncated_normal": (lambda: tf.random.stateless_truncated_normal([n], [1, 2]),
                         lambda: rng.standard_normal(n, dtype=np.float32)),
}
for name, (ember_fn, numpy_fn) in cases.items():
    a, b = [], []
    for _ in range(5):
        t = time.perf_counter()
        ember_fn()
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        numpy_fn()
        b.append(time.perf_counter() - t)
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{name:17s} n={n}: ember {ma * 1e3:7.1f} ms, numpy {mb * 1e3:6.1f} ms, "
          f"ratio {ma / mb:4.1f}")
