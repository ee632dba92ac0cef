"""vectorized_map runs fn once on the whole batch where every op has a batching rule,
and falls back to the loop elsewhere; the results equal map_fn's either way."""
import numpy as np
import pytest

import ember as tf
from ember.ops.vectorize import vectorize

RNG = np.random.default_rng(0)
X = tf.constant(RNG.standard_normal((5, 3, 4)).astype(np.float32))
W = tf.constant(RNG.standard_normal((4, 2)).astype(np.float32))

CASES = [
    ("reduce_all", lambda e: tf.reduce_sum(e), True),
    ("matmul_softmax", lambda e: tf.nn.softmax(tf.matmul(e, W)) * 2.0 + 1.0, True),
    ("reshape_transpose", lambda e: tf.transpose(tf.reshape(e, [4, 3])), True),
    ("concat_unbatched", lambda e: tf.concat([e, tf.ones([3, 1])], axis=1), True),
    ("tuple_out", lambda e: (tf.reduce_max(e, axis=0), tf.cast(e > 0, tf.int32)), True),
    ("manual_softmax", lambda e: tf.exp(e) / tf.reduce_sum(tf.exp(e), -1, keepdims=True), True),
    ("broadcast_low_rank", lambda e: e + tf.constant([1.0, 2.0, 3.0, 4.0]), True),
    ("broadcast_high_rank", lambda e: e[0] * tf.ones([2, 3, 4]), None),
    ("constant_out", lambda e: tf.constant(3.0), True),
    ("gather_falls_back", lambda e: tf.gather(e, [0, 2]), False),
]


def _signature(f):
    return tf.nest.map_structure(lambda t: t.dtype, f(X[0]))


@pytest.mark.parametrize("name,fn,vectorizes", CASES, ids=[c[0] for c in CASES])
def test_equals_map_fn(name, fn, vectorizes):
    got = tf.vectorized_map(fn, X)
    want = tf.map_fn(fn, X, fn_output_signature=_signature(fn))
    for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
    if vectorizes is not None:
        assert (vectorize(fn, X, [X], 5) is not None) == vectorizes


def test_traced_and_gradient():
    f = tf.function(lambda x: tf.vectorized_map(lambda e: tf.reduce_sum(tf.square(e)) + 1.0,
                                                x))
    np.testing.assert_allclose(f(X).numpy(), (X.numpy() ** 2).sum(axis=(1, 2)) + 1, rtol=1e-5)
    with tf.GradientTape() as tape:
        tape.watch(X)
        y = tf.reduce_sum(tf.vectorized_map(lambda e: tf.sin(e) * 2.0, X))
    np.testing.assert_allclose(tape.gradient(y, X).numpy(), 2 * np.cos(X.numpy()), rtol=1e-5)


def test_variables_fall_back():
    v = tf.Variable(np.ones((4, 2), np.float32))
    fn = lambda e: tf.matmul(e, v)  # noqa: E731
    assert vectorize(fn, X, [X], 5) is None
    np.testing.assert_allclose(tf.vectorized_map(fn, X).numpy(), X.numpy() @ np.ones((4, 2)),
                               rtol=1e-5)


def test_no_fallback_raises():
    with pytest.raises(ValueError, match="fallback_to_while_loop"):
        tf.vectorized_map(lambda e: tf.gather(e, [0]), X, fallback_to_while_loop=False)
