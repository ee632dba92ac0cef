"""Cost of AutoGraph at trace time (it adds nothing to the compiled plan's run time).

    PYTHONPATH=. python bench/autograph_trace.py

Traces a function with a Python-only loop (which stays Python) and one with a tensor
loop, with autograph on (conversion cached after the first trace, as in use) and off,
and times a steady-state call of each.
"""
import time

import numpy as np

import ember as tf


def python_loop(x):
    for k in range(8):
        x = x * 0.5 + float(k)
    return x


def tensor_loop(x, n):
    s = tf.zeros_like(x)
    i = tf.constant(0)
    while i < n:
        s += x * tf.cast(i, tf.float32)
        i += 1
    return s


def best(fn, reps=20):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


x = tf.constant(np.ones(16, np.float32))
n = tf.constant(10)
for name, fn, args in (("python loop", python_loop, (x,)), ("tensor loop", tensor_loop, (x, n))):
    for autograph in (True, False):
        if not autograph and fn is tensor_loop:
            continue
        trace = best(lambda: tf.function(fn, autograph=autograph).get_concrete_function(*args))
        f = tf.function(fn, autograph=autograph)
        f(*args)
        call = best(lambda: f(*args), reps=200)
        print(f"{name:12s} autograph={autograph!s:5s} trace {trace:7.2f} ms   call {call:6.3f} ms")
