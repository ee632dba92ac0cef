"""clip_by_norm, global_norm, clip_by_global_norm against NumPy, with gradients."""
import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient

RNG = np.random.default_rng(2)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((5,)).astype(np.float32)


def np_clip_by_norm(t, c, axes=None):
    n = np.sqrt((t * t).sum(axis=axes, keepdims=True))
    return t * c / np.maximum(n, c)


@pytest.mark.parametrize("clip,axes", [(0.5, None), (100.0, None), (1.0, 1), (1.0, [0])])
def test_clip_by_norm(clip, axes):
    got = tf.clip_by_norm(tf.constant(A), clip, axes=axes)
    np.testing.assert_allclose(got, np_clip_by_norm(A, clip, None if axes is None else
                                                    tuple(np.atleast_1d(axes))), rtol=1e-6)
    np.testing.assert_array_equal(tf.clip_by_norm(tf.zeros([3]), 1.0), np.zeros(3))
    check_gradient(lambda t: tf.clip_by_norm(t, clip, axes=axes), [A.astype(np.float64)])


def test_global_norm_and_clip_by_global_norm():
    norm = np.sqrt((A ** 2).sum() + (B ** 2).sum())
    np.testing.assert_allclose(tf.global_norm([tf.constant(A), None, tf.constant(B)]), norm,
                               rtol=1e-6)
    clipped, got_norm = tf.clip_by_global_norm([tf.constant(A), None, tf.constant(B)], 1.0)
    assert clipped[1] is None
    np.testing.assert_allclose(got_norm, norm, rtol=1e-6)
    np.testing.assert_allclose(clipped[0], A / norm, rtol=1e-5)
    np.testing.assert_allclose(clipped[2], B / norm, rtol=1e-5)
    same, _ = tf.clip_by_global_norm([tf.constant(A)], 1e6)
    np.testing.assert_allclose(same[0], A, rtol=1e-6)
    with np.errstate(invalid="ignore"):
        nan, _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.isnan(np.asarray(nan[0])).all()
    check_gradient(lambda a, b: tf.clip_by_global_norm([a, b], 0.7)[0][0],
                   [A.astype(np.float64), B.astype(np.float64)])
    with pytest.raises(TypeError, match="sequence"):
        tf.clip_by_global_norm(tf.constant(A), 1.0)
