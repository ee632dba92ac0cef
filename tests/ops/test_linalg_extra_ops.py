"""tf.linalg additions for issue 20 (LU, least squares, matrix functions, tridiagonal and
banded systems, the LinearOperator family) against real TensorFlow
(tests/fixtures/linalg_extra), with numerical gradient checks."""
import importlib.util
import os

import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient, check_second_order

pytest.importorskip("scipy")
_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "linalg_extra")
_spec = importlib.util.spec_from_file_location("linalg_extra_cases",
                                               os.path.join(_DIR, "cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
REF = np.load(os.path.join(_DIR, "linalg_extra.npz"))


@pytest.fixture(scope="module")
def got():
    return _cases.cases(tf)


@pytest.mark.parametrize("name", sorted(REF.files))
def test_against_tensorflow(got, name):
    want, have = REF[name], got[name]
    assert have.shape == want.shape and have.dtype == want.dtype, (have.shape, have.dtype)
    tol = 1e-5 if want.dtype in (np.float32, np.complex64) else 1e-8
    np.testing.assert_allclose(have, want, rtol=tol, atol=tol)


def _spd(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def test_matrix_function_gradients(rng):
    a = rng.standard_normal((3, 3)) * 0.5
    check_gradient(tf.linalg.expm, [a], rtol=1e-4)
    check_second_order(tf.linalg.expm, [a])
    check_gradient(tf.linalg.sqrtm, [_spd(rng, 3)], rtol=1e-4)


def test_solver_gradients(rng):
    a = rng.standard_normal((4, 3))
    b = rng.standard_normal((4, 2))
    check_gradient(tf.linalg.lstsq, [a, b], rtol=1e-4)
    check_gradient(tf.linalg.pinv, [rng.standard_normal((3, 2))], rtol=1e-4)
    m = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    lu, p = tf.linalg.lu(m)
    check_gradient(lambda r: tf.linalg.lu_solve(lu, p, r), [rng.standard_normal((3, 2))])
    d = rng.standard_normal((3, 4)) + np.array([[0], [4], [0]])
    check_gradient(lambda d, r: tf.linalg.tridiagonal_solve(d, r),
                   [d, rng.standard_normal((4, 2))], rtol=1e-4)
    check_gradient(lambda x, d: tf.linalg.set_diag(x, d, k=1),
                   [rng.standard_normal((3, 4)), rng.standard_normal(3)])
    check_gradient(tf.linalg.cross, [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))])


def test_operator_gradients(rng):
    x = rng.standard_normal((3, 2))
    check_gradient(lambda d: tf.linalg.LinearOperatorDiag(d).solve(x),
                   [rng.uniform(1, 2, 3)])
    check_gradient(lambda d, u: tf.linalg.LinearOperatorLowRankUpdate(
        tf.linalg.LinearOperatorDiag(d), u).log_abs_determinant(),
        [rng.uniform(1, 2, 3), rng.standard_normal((3, 1))], rtol=1e-4)
    check_gradient(lambda c, r: tf.linalg.LinearOperatorToeplitz(c, r).matmul(x),
                   [rng.standard_normal(3), rng.standard_normal(3)])
    check_gradient(lambda a, b: tf.linalg.LinearOperatorKronecker(
        [tf.linalg.LinearOperatorFullMatrix(a), tf.linalg.LinearOperatorFullMatrix(b)]
    ).log_abs_determinant(), [_spd(rng, 2), _spd(rng, 2)], rtol=1e-4)
    check_gradient(lambda v: tf.linalg.LinearOperatorHouseholder(v).matmul(x),
                   [rng.standard_normal(3)])


def test_operator_behaviour():
    diag = tf.linalg.LinearOperatorDiag([2.0, 4.0])
    assert diag.shape == [2, 2] and diag.is_square and diag.is_self_adjoint
    np.testing.assert_allclose(diag.inverse().to_dense().numpy(), [[0.5, 0], [0, 0.25]])
    pd = tf.linalg.LinearOperatorDiag([2.0, 4.0], is_positive_definite=True)
    np.testing.assert_allclose(pd.cholesky().to_dense().numpy(),
                               np.sqrt(np.diag([2.0, 4.0])), rtol=1e-6)
    full = tf.linalg.LinearOperatorFullMatrix([[1.0, 2.0], [3.0, 4.0]])
    comp = full @ diag
    assert isinstance(comp, tf.linalg.LinearOperatorComposition)
    np.testing.assert_allclose(comp.to_dense().numpy(), [[2.0, 8.0], [6.0, 16.0]])
    np.testing.assert_allclose(full.H.to_dense().numpy(), [[1.0, 3.0], [2.0, 4.0]])
    np.testing.assert_allclose(float(full.cond()), np.linalg.cond([[1.0, 2.0], [3.0, 4.0]]),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="square"):
        tf.linalg.LinearOperatorZeros(3, 2)
    with pytest.raises(ValueError, match="compose"):
        tf.linalg.LinearOperatorComposition([full, tf.linalg.LinearOperatorIdentity(3)])
    with pytest.raises(ValueError, match="positive definite"):
        full.cholesky()
    spd = tf.linalg.LinearOperatorFullMatrix([[4.0, 1.0], [1.0, 3.0]], is_self_adjoint=True,
                                             is_positive_definite=True)
    low = spd.cholesky().to_dense().numpy()
    np.testing.assert_allclose(low @ low.T, [[4.0, 1.0], [1.0, 3.0]], rtol=1e-6)


def test_traced_operator():
    @tf.function
    def f(d, x):
        return tf.linalg.LinearOperatorDiag(d).solve(x)

    np.testing.assert_allclose(f(tf.constant([2.0, 4.0]), tf.ones([2, 1])).numpy(),
                               [[0.5], [0.25]])


def test_hand_values():
    assert int(tf.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]])) == 1
    np.testing.assert_allclose(tf.linalg.expm([[0.0, 1.0], [0.0, 0.0]]).numpy(),
                               [[1.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(tf.matrix_square_root([[4.0, 0.0], [0.0, 9.0]]).numpy(),
                               [[2.0, 0.0], [0.0, 3.0]], rtol=1e-6)
    e, v = tf.eig([[2.0, 0.0], [0.0, 3.0]])
    assert e.dtype is tf.complex64 and sorted(e.numpy().real.tolist()) == [2.0, 3.0]
    assert float(tf.linalg.global_norm([tf.constant([3.0]), tf.constant([4.0])])) == 5.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="square"):
        tf.linalg.expm(tf.ones([2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="complex"):
        tf.linalg.logm([[-1.0, 0.0], [0.0, 1.0]])


def test_conjugate_gradient(rng):
    op = tf.linalg.LinearOperatorFullMatrix([[4.0, 1.0], [1.0, 3.0]], is_self_adjoint=True,
                                            is_positive_definite=True)
    state = tf.linalg.experimental.conjugate_gradient(op, [1.0, 2.0])
    # real TensorFlow 2.21 converges in 2 steps to [1/11, 7/11]
    assert int(state.i) == 2
    np.testing.assert_allclose(state.x.numpy(), [1 / 11, 7 / 11], rtol=1e-6)
    a = _spd(rng, 6)
    b = rng.standard_normal((3, 6))
    batch = tf.linalg.LinearOperatorFullMatrix(np.broadcast_to(a, (3, 6, 6)),
                                               is_self_adjoint=True, is_positive_definite=True)
    pre = tf.linalg.LinearOperatorDiag(1.0 / np.diag(a), is_positive_definite=True)
    x = tf.linalg.experimental.conjugate_gradient(batch, b, preconditioner=pre, tol=1e-10,
                                                  max_iter=50).x
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b.T).T, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="positive definite"):
        tf.linalg.experimental.conjugate_gradient(tf.linalg.LinearOperatorFullMatrix(a), b[0])
