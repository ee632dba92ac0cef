"""tf.IndexedSlices: dense conversion (duplicates summed), composite behaviour, sparse.mask."""
import numpy as np

import ember as tf
from tests.ops.optest import check_gradient

V = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


def test_conversion_and_properties():
    s = tf.IndexedSlices(tf.constant(V), tf.constant([0, 2]), tf.constant([3, 2]))
    np.testing.assert_array_equal(tf.convert_to_tensor(s), [[1, 2], [0, 0], [3, 4]])
    assert s.shape == (3, 2) and s.dtype == tf.float32
    dup = tf.IndexedSlices(tf.constant(V), tf.constant([0, 0]), tf.constant([3, 2]))
    np.testing.assert_array_equal(tf.convert_to_tensor(dup), [[4, 6], [0, 0], [0, 0]])
    np.testing.assert_array_equal((-s).values, -V)
    np.testing.assert_array_equal(tf.reduce_sum(s), V.sum())       # ops take it as a tensor
    assert "IndexedSlices(indices=" in repr(s)


def test_mask_and_traced():
    s = tf.IndexedSlices(tf.constant(V), tf.constant([0, 2]), tf.constant([3, 2]))
    m = tf.sparse.mask(s, [2])
    np.testing.assert_array_equal(m.indices, [0])
    np.testing.assert_array_equal(m.values, [[1, 2]])
    f = tf.function(lambda x: tf.convert_to_tensor(x) * 2.0)
    np.testing.assert_array_equal(f(s), 2 * np.array([[1, 2], [0, 0], [3, 4]]))
    check_gradient(lambda v: tf.convert_to_tensor(
        tf.IndexedSlices(v, tf.constant([1, 1]), tf.constant([3, 2]))), [V.astype(np.float64)])
