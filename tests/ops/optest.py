"""Shared checks for op tests: forward against NumPy, gradients by finite differences.

Each op family's test module keeps a table of cases and runs them through these.
Every eager op also verifies its own ``infer`` (tests/conftest.py turns that on).
"""
from __future__ import annotations

import numpy as np

import ember as tf
from ember.engine.gradient_checker import compute_gradient


def as_arrays(args):
    return [np.asarray(a) for a in args]


def check_forward(fn, np_fn, args, rtol=1e-6, atol=1e-6, dtype=None):
    """fn(*tensors) equals np_fn(*arrays) in value, shape and (given or NumPy's) dtype."""
    tensors = [tf.constant(a) for a in args]
    got = fn(*tensors)
    want = np_fn(*as_arrays(args))
    _compare(got, want, rtol, atol, dtype)
    return got


def _compare(got, want, rtol, atol, dtype):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want)
        for g, w in zip(got, want):
            _compare(g, w, rtol, atol, dtype)
        return
    g = np.asarray(got)
    w = np.asarray(want)
    assert g.shape == w.shape, f"shape {g.shape} != expected {w.shape}"
    expect_dtype = np.dtype(dtype.np if isinstance(dtype, tf.DType) else dtype) \
        if dtype is not None else w.dtype
    assert g.dtype == expect_dtype, f"dtype {g.dtype} != expected {expect_dtype}"
    if g.dtype.kind in "fc":
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(g, w)


def check_gradient(fn, args, rtol=1e-5, atol=1e-6, delta=1e-4):
    """Theoretical (tape) and numerical Jacobians of fn agree in float64."""
    xs = [np.asarray(a, dtype=np.float64) for a in args]
    theoretical, numerical = compute_gradient(fn, xs, delta=delta)
    for k, (t, n) in enumerate(zip(theoretical, numerical)):
        np.testing.assert_allclose(t, n, rtol=rtol, atol=atol,
                                   err_msg=f"gradient w.r.t. argument {k}")


def check_second_order(fn, args, rtol=1e-4, atol=1e-5, seed=0):
    """Gradients of fn's gradient (along a random direction) agree with finite differences."""
    rng = np.random.default_rng(seed)
    xs = [np.asarray(a, dtype=np.float64) for a in args]
    out_shape = np.shape(np.asarray(fn(*[tf.constant(x) for x in xs])))
    w = tf.constant(rng.standard_normal(out_shape))

    def first_grad(*ts):
        with tf.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = tf.reduce_sum(fn(*ts) * w)
        grads = tape.gradient(y, list(ts), unconnected_gradients="zero")
        # A random direction per gradient entry: a plain sum would vanish for
        # shift-invariant functions (softmax) whatever their second derivative is.
        return tf.add_n([tf.reduce_sum(g * d) for g, d in zip(grads, directions)])

    directions = [tf.constant(rng.standard_normal(np.shape(x))) for x in xs]

    check_gradient(first_grad, xs, rtol=rtol, atol=atol)
