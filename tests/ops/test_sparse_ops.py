"""tf.sparse: SparseTensor and its ops against dense NumPy computations, eagerly and traced,
with gradients through values and dense operands."""
import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient

S = tf.sparse
IDX = np.array([[0, 0], [1, 2], [2, 1], [2, 3]], np.int64)
VAL = np.array([1.0, -2.0, 3.0, 4.0], np.float32)
SHAPE = [3, 4]
DENSE = np.zeros(SHAPE, np.float32)
DENSE[tuple(IDX.T)] = VAL


def st(values=VAL):
    return S.SparseTensor(IDX, values, SHAPE)


def test_sparse_tensor_basics_and_dense_round_trip():
    s = st()
    assert s.indices.dtype == tf.int64 and s.dense_shape.dtype == tf.int64
    assert s.shape == (3, 4) and s.dtype == tf.float32
    np.testing.assert_array_equal(S.to_dense(s), DENSE)
    np.testing.assert_array_equal(S.to_dense(s, default_value=7.0)[0, 1], 7.0)
    back = S.from_dense(tf.constant(DENSE))
    np.testing.assert_array_equal(back.indices, IDX)
    np.testing.assert_array_equal(back.values, VAL)
    assert "SparseTensor(indices=" in repr(s)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        S.to_dense(S.SparseTensor([[5, 0]], [1.0], [3, 4]))
    with pytest.raises(ValueError, match="indices but"):
        S.SparseTensor([[0, 0]], [1.0, 2.0], [3, 4])
    np.testing.assert_array_equal(S.to_dense(s * tf.constant([1.0, 2.0, 3.0, 4.0])),
                                  DENSE * [1, 2, 3, 4])


def test_sparse_dense_matmul_and_gradients():
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    np.testing.assert_allclose(S.sparse_dense_matmul(st(), b), DENSE @ b)
    np.testing.assert_allclose(S.sparse_dense_matmul(st(), b.T, adjoint_b=True), DENSE @ b)
    c = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(S.sparse_dense_matmul(st(), c, adjoint_a=True), DENSE.T @ c)
    d = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(S.sparse_dense_matmul(d, st()), d @ DENSE)
    traced = tf.function(lambda s, m: S.sparse_dense_matmul(s, m))(st(), tf.constant(b))
    np.testing.assert_allclose(traced, DENSE @ b)
    check_gradient(lambda v, m: S.sparse_dense_matmul(S.SparseTensor(IDX, v, SHAPE), m),
                   [VAL.astype(np.float64), b.astype(np.float64)])
    check_gradient(lambda v: S.to_dense(S.SparseTensor(IDX, v, SHAPE)) * 2.0,
                   [VAL.astype(np.float64)])


def test_add_reduce_and_elementwise():
    other = S.SparseTensor([[0, 0], [0, 3], [2, 3]], [10.0, 5.0, -4.0], SHAPE)
    other_dense = S.to_dense(other).numpy()
    total = S.add(st(), other)
    np.testing.assert_array_equal(S.to_dense(total), DENSE + other_dense)
    assert total.indices.shape[0] == 5           # [2, 3] summed to 0 but kept
    pruned = S.add(st(), other, threshold=0.5)
    assert pruned.indices.shape[0] == 4
    np.testing.assert_array_equal(S.add(st(), tf.ones(SHAPE)), DENSE + 1)
    np.testing.assert_allclose(S.reduce_sum(st()), DENSE.sum())
    np.testing.assert_allclose(S.reduce_sum(st(), axis=1), DENSE.sum(1))
    np.testing.assert_allclose(S.reduce_max(st(), axis=1), [1.0, -2.0, 4.0])
    np.testing.assert_array_equal(S.to_dense(S.maximum(st(), other)),
                                  np.maximum(DENSE, other_dense))
    np.testing.assert_array_equal(S.to_dense(S.minimum(st(), other)),
                                  np.minimum(DENSE, other_dense))
    sm = S.to_dense(S.softmax(st())).numpy()
    np.testing.assert_allclose(sm[2, [1, 3]], np.exp([3, 4]) / np.exp([3, 4]).sum(), rtol=1e-6)
    assert sm[0, 0] == 1.0 and sm[2, 0] == 0.0
    check_gradient(lambda v: S.softmax(S.SparseTensor(IDX, v, SHAPE)).values,
                   [VAL.astype(np.float64)])


def test_structure_ops():
    shuffled = S.SparseTensor(IDX[::-1].copy(), VAL[::-1].copy(), SHAPE)
    np.testing.assert_array_equal(S.reorder(shuffled).indices, IDX)
    np.testing.assert_array_equal(S.to_dense(S.reshape(st(), [2, -1])), DENSE.reshape(2, 6))
    np.testing.assert_array_equal(S.to_dense(S.transpose(st())), DENSE.T)
    np.testing.assert_array_equal(S.to_dense(S.retain(st(), [True, False, True, False])),
                                  np.where(np.isin(np.arange(12).reshape(3, 4), [0, 9]),
                                           DENSE, 0))
    np.testing.assert_array_equal(S.to_dense(S.slice(st(), [1, 1], [2, 2])), DENSE[1:3, 1:3])
    parts = S.split(sp_input=st(), num_split=2, axis=1)
    np.testing.assert_array_equal(S.to_dense(parts[1]), DENSE[:, 2:])
    np.testing.assert_array_equal(S.to_dense(S.concat(1, [st(), st()])),
                                  np.concatenate([DENSE, DENSE], 1))
    np.testing.assert_array_equal(S.to_dense(S.expand_dims(st(), 1)), DENSE[:, None, :])
    sparse_rows = S.SparseTensor([[0, 1], [2, 0]], [5.0, 6.0], [4, 2])
    filled, empty = S.fill_empty_rows(sparse_rows, -1.0)
    np.testing.assert_array_equal(empty, [False, True, False, True])
    np.testing.assert_array_equal(S.to_dense(filled), [[0, 5], [-1, 0], [6, 0], [-1, 0]])
    assert S.reset_shape(st()).shape == (3, 4)
    ind = S.to_indicator(S.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 1], [2, 2]), 3)
    np.testing.assert_array_equal(ind, [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(S.to_dense(S.eye(3)), np.eye(3))
    np.testing.assert_array_equal(S.map_values(tf.abs, st()).values, np.abs(VAL))


def test_segments_and_traced_composites():
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(S.segment_sum(data, [0, 1, 3], [0, 0, 1]),
                                  [data[0] + data[1], data[3]])
    np.testing.assert_array_equal(S.segment_mean(data, [0, 1, 3], [0, 0, 1]),
                                  [(data[0] + data[1]) / 2, data[3]])
    np.testing.assert_allclose(S.segment_sqrt_n(data, [0, 1], [0, 0]),
                               [(data[0] + data[1]) / np.sqrt(2)])

    @tf.function
    def f(s):
        return S.to_dense(S.transpose(S.add(s, s)))

    np.testing.assert_array_equal(f(st()), 2 * DENSE.T)


def test_bincount_and_sampled_addmm_as_tensorflow():
    b = S.bincount(tf.constant([[1, 1, 3], [2, 0, 2]]), axis=-1)
    np.testing.assert_array_equal(b.indices, [[0, 1], [0, 3], [1, 0], [1, 2]])
    np.testing.assert_array_equal(b.values, [2, 1, 1, 2])
    np.testing.assert_array_equal(b.dense_shape, [2, 4])
    b = S.bincount(tf.constant([1, 1, 3, 5]), minlength=7)
    np.testing.assert_array_equal(b.indices, [[1], [3], [5]])
    np.testing.assert_array_equal(b.dense_shape, [7])
    b = S.bincount(tf.constant([1, 1, 3, 5]), weights=tf.constant([1.0, 2, 3, 4]), maxlength=4)
    np.testing.assert_array_equal(b.indices, [[1], [3]])
    np.testing.assert_array_equal(b.values, [3.0, 3.0])
    np.testing.assert_array_equal(b.dense_shape, [4])
    assert b.dtype == tf.float32
    binary = S.bincount(tf.constant([2, 2, 0]), binary_output=True)
    np.testing.assert_array_equal(binary.values, [1, 1])
    idx, vals, shape = S.sampled_addmm([[0, 0], [1, 1]], [1.0, 2.0], [2, 2], tf.ones([2, 3]),
                                       tf.ones([3, 2]) * 2, beta=1.0, alpha=0.5)
    np.testing.assert_array_equal(vals, [4.0, 5.0])
    np.testing.assert_array_equal(shape, [2, 2])


def test_sparse_tensor_spec_in_input_signature():
    @tf.function(input_signature=[tf.SparseTensorSpec([None, 4], tf.float32)])
    def row_sums(sp):
        return tf.sparse.reduce_sum(sp, axis=1)

    np.testing.assert_allclose(row_sums(st()), DENSE.sum(1))
    other = S.SparseTensor([[0, 3]], [2.0], [1, 4])
    np.testing.assert_allclose(row_sums(other), [2.0])
    assert row_sums.experimental_get_tracing_count() == 1
    spec = tf.SparseTensorSpec.from_value(st())
    assert spec.shape == (3, 4) and spec.dtype == tf.float32 and spec.is_compatible_with(st())
