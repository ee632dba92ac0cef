"""Per-step time of a small MLP training step run four ways, in one process:

    python bench/function_overhead.py

batch 32, 784 -> 128 relu -> 10, softmax cross-entropy, gradients, SGD update:
eagerly (GradientTape), under ember.function (traced + compiled), through a
compat.v1 Session.run, and as hand-written NumPy doing the same arithmetic.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

import ember as tf

BATCH, IN, HIDDEN, OUT, LR = 32, 784, 128, 10, 0.1


def median_time(fn, number=100, repeat=11):
    for _ in range(5):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    labels = rng.integers(0, OUT, BATCH)
    y = np.eye(OUT, dtype=np.float32)[labels]
    w1 = (rng.standard_normal((IN, HIDDEN)) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((HIDDEN, OUT)) * 0.05).astype(np.float32)
    return x, y, w1, np.zeros(HIDDEN, np.float32), w2, np.zeros(OUT, np.float32)


def ember_variables(params):
    return [tf.Variable(p) for p in params]


def step_fn(variables, x, y):
    w1, b1, w2, b2 = variables
    with tf.GradientTape() as tape:
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        logits = tf.matmul(h, w2) + b2
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    grads = tape.gradient(loss, variables)
    for v, g in zip(variables, grads):
        v.assign_sub(LR * g)
    return loss


def numpy_step(params, x, y):
    w1, b1, w2, b2 = params
    pre = x @ w1 + b1
    h = np.maximum(pre, 0)
    logits = h @ w2 + b2
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - (y * logits).sum(1))
    dlogits = (e / s - y) / BATCH
    gw2 = h.T @ dlogits
    gb2 = dlogits.sum(0)
    dh = (dlogits @ w2.T) * (pre > 0)
    gw1 = x.T @ dh
    gb1 = dh.sum(0)
    w1 -= LR * gw1
    b1 -= LR * gb1
    w2 -= LR * gw2
    b2 -= LR * gb2
    return loss


def session_step_runner(params, x, y):
    import ember.compat.v1 as v1
    graph = v1.Graph()
    with graph.as_default():
        xp = v1.placeholder(tf.float32, [None, IN])
        yp = v1.placeholder(tf.float32, [None, OUT])
        variables = [v1.Variable(p) for p in params]
        w1, b1, w2, b2 = variables
        h = tf.nn.relu(tf.matmul(xp, w1) + b1)
        logits = tf.matmul(h, w2) + b2
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yp, logits=logits))
        train = v1.train.GradientDescentOptimizer(LR).minimize(loss)
        init = v1.global_variables_initializer()
    sess = v1.Session(graph=graph)
    sess.run(init)
    feed = {xp: x, yp: y}
    return lambda: sess.run([train, loss], feed_dict=feed), variables


def check_agreement(x, y, params):
    ref = [p.copy() for p in params]
    losses_np = [numpy_step(ref, x, y) for _ in range(3)]
    eager_vars = ember_variables(params)
    tx, ty = tf.constant(x), tf.constant(y)
    losses_eager = [float(step_fn(eager_vars, tx, ty)) for _ in range(3)]
    traced_vars = ember_variables(params)
    traced = tf.function(lambda a, b: step_fn(traced_vars, a, b))
    losses_traced = [float(traced(tx, ty)) for _ in range(3)]
    np.testing.assert_allclose(losses_eager, losses_np, rtol=1e-4)
    np.testing.assert_allclose(losses_traced, losses_np, rtol=1e-4)
    for v, r in zip(traced_vars, ref):
        np.testing.assert_allclose(v.numpy(), r, rtol=1e-3, atol=1e-5)


def main():
    x, y, *params = make_data()
    check_agreement(x, y, params)
    tx, ty = tf.constant(x), tf.constant(y)

    eager_vars = ember_variables(params)
    traced_vars = ember_variables(params)
    traced = tf.function(lambda a, b: step_fn(traced_vars, a, b))
    run_session, _ = session_step_runner(params, x, y)
    np_params = [p.copy() for p in params]
    runners = {"eager": lambda: step_fn(eager_vars, tx, ty),
               "function": lambda: traced(tx, ty),
               "session": run_session,
               "numpy": lambda: numpy_step(np_params, x, y)}
    # Interleaved rounds: machine speed drifts, so every method sees the same conditions.
    samples = {k: [] for k in runners}
    for _ in range(15):
        for k, fn in runners.items():
            samples[k].append(median_time(fn, number=20, repeat=1))
    t_eager, t_func, t_sess, t_numpy = (statistics.median(samples[k]) for k in runners)

    print(f"MLP train step, batch {BATCH}, {IN}-{HIDDEN}-{OUT} (median per step):")
    print(f"  eager (GradientTape)   {t_eager * 1e6:8.1f} us")
    print(f"  ember.function         {t_func * 1e6:8.1f} us   {t_eager / t_func:5.2f}x faster "
          f"than eager, {t_func / t_numpy:5.2f}x NumPy")
    print(f"  compat.v1 Session.run  {t_sess * 1e6:8.1f} us   {t_eager / t_sess:5.2f}x faster "
          f"than eager, {t_sess / t_numpy:5.2f}x NumPy")
    print(f"  hand-written NumPy     {t_numpy * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
