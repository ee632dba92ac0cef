"""map_fn, scan, foldl, foldr, vectorized_map: eager and traced against NumPy, gradients
checked numerically."""
import numpy as np
import pytest

import ember as tf
from ember.engine.gradient_checker import compute_gradient

RNG = np.random.default_rng(1)
X = RNG.standard_normal((5, 3))


def both(fn, *args):
    """fn eagerly and traced (with an unknown first dimension where possible)."""
    eager = fn(*[tf.constant(a) for a in args])
    traced = tf.function(fn)(*[tf.constant(a) for a in args])
    return eager, traced


def _close(a, b, **kw):
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **kw)


def test_map_fn_values_structures_and_signature():
    e, t = both(lambda x: tf.map_fn(lambda r: tf.reduce_sum(r * r), x), X)
    _close(e, (X ** 2).sum(1))
    _close(t, (X ** 2).sum(1))
    sig = (tf.float64, tf.int32)
    e, t = both(lambda x: tf.map_fn(lambda r: (r[0] * 2.0, tf.cast(r[1] > 0, tf.int32)),
                                    x, fn_output_signature=sig), X)
    want = (X[:, 0] * 2.0, (X[:, 1] > 0).astype(np.int32))
    _close(e, want)
    _close(t, want)
    e, t = both(lambda a, b: tf.map_fn(lambda p: p[0] + p[1], (a, b),
                                      fn_output_signature=tf.float64), X, X[::-1].copy())
    _close(e, X + X[::-1])
    _close(t, X + X[::-1])
    assert t.shape == (5, 3)


def test_map_fn_unknown_length_and_errors():
    f = tf.function(lambda x: tf.map_fn(lambda r: r * 3.0, x),
                    input_signature=[tf.TensorSpec([None, 3], tf.float64)])
    for n in (1, 4):
        _close(f(tf.constant(X[:n])), X[:n] * 3.0)
    with pytest.raises(TypeError, match="fn_output_signature"):
        tf.map_fn(lambda r: tf.cast(r, tf.int32), tf.constant(X))
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.map_fn(lambda r: r, tf.constant(1.0))


def test_scan_fold_values():
    v = np.arange(1.0, 6.0)
    for fn, want in [
        (lambda e: tf.scan(lambda a, x: a + x, e), np.cumsum(v)),
        (lambda e: tf.scan(lambda a, x: a * 0.5 + x, e, initializer=tf.constant(1.0,
                                                                               tf.float64)),
         np.array([1.5, 2.75, 4.375, 6.1875, 8.09375])),
        (lambda e: tf.scan(lambda a, x: a + x, e, reverse=True), np.cumsum(v[::-1])[::-1]),
        (lambda e: tf.foldl(lambda a, x: a * 2.0 + x, e), 57.0),
        (lambda e: tf.foldr(lambda a, x: a * 2.0 + x, e), 129.0),
        (lambda e: tf.foldl(lambda a, x: a + x, e, initializer=tf.constant(10.0, tf.float64)),
         25.0),
    ]:
        e, t = both(fn, v)
        _close(e, want)
        _close(t, want)


def test_scan_with_structured_accumulator():
    def fn(e):
        return tf.scan(lambda acc, x: (acc[0] + x, acc[1] * x), e,
                       initializer=(tf.constant(0.0, tf.float64), tf.constant(1.0, tf.float64)))
    v = np.array([1.0, 2.0, 3.0])
    e, t = both(fn, v)
    _close(e, (np.cumsum(v), np.cumprod(v)))
    _close(t, (np.cumsum(v), np.cumprod(v)))


def test_vectorized_map_matches_loop():
    e, t = both(lambda x: tf.vectorized_map(lambda r: tf.tensordot(r, r, 1) + r[0], x), X)
    want = (X * X).sum(1) + X[:, 0]
    _close(e, want)
    _close(t, want)


@pytest.mark.parametrize("fn", [
    lambda x: tf.map_fn(lambda r: tf.sin(r) * r[0], x),
    lambda x: tf.scan(lambda a, r: a * r + 1.0, x),
    lambda x: tf.foldl(lambda a, r: a * tf.tanh(r), x),
    lambda x: tf.foldr(lambda a, r: a + r * r, x),
], ids=["map_fn", "scan", "foldl", "foldr"])
@pytest.mark.parametrize("traced", [False, True])
def test_gradients_numerically(fn, traced):
    f = tf.function(fn) if traced else fn
    theoretical, numerical = compute_gradient(f, [X[:3]])
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-5, atol=1e-7)


def _relu_like(v):
    if v > 0:
        return v
    return v * 0.1


def test_functions_given_to_map_fn_are_converted_when_traced():
    f = tf.function(lambda x: tf.map_fn(_relu_like, x))
    np.testing.assert_allclose(f(tf.constant([2.0, -1.0])), [2.0, -0.1], rtol=1e-6)
    g = tf.function(lambda x: tf.foldl(lambda a, v: a + _relu_like(v), x,
                                       initializer=tf.constant(0.0)))
    np.testing.assert_allclose(g(tf.constant([2.0, -1.0])), 1.9, rtol=1e-6)
