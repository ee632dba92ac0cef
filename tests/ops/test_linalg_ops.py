"""Linear algebra: matmul, einsum, tensordot, norms, inverses, determinants, solves,
decompositions and diagonals — forward vs NumPy, gradients, second order, errors."""
import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_forward, check_gradient, check_second_order
from tests.docexamples import run_examples

R = np.random.default_rng(2)


def rn(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def spd(*batch, n=3, dtype=np.float64):
    a = R.standard_normal(batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def well(*batch, n=3, dtype=np.float64):
    return (R.standard_normal(batch + (n, n)) + 3 * np.eye(n)).astype(dtype)


# ------------------------------------------------------------------------- matmul ---

MATMUL = [
    (rn(2, 3, dtype=np.float32), rn(3, 4, dtype=np.float32), {}),
    (rn(5, 2, 3), rn(5, 3, 4), {}),
    (rn(5, 2, 3), rn(3, 4), {}),
    (rn(1, 2, 3), rn(4, 3, 2), {}),
    (rn(3, 2), rn(3, 4), {"transpose_a": True}),
    (rn(2, 3), rn(4, 3), {"transpose_b": True}),
    (rn(2, 3, 2), rn(2, 4, 3), {"transpose_a": True, "transpose_b": True}),
    (R.integers(-5, 5, (2, 3)).astype(np.int32), R.integers(-5, 5, (3, 2)).astype(np.int32), {}),
    (np.zeros((0, 3), np.float32), np.zeros((3, 2), np.float32), {}),
    (np.zeros((2, 0)), np.zeros((0, 2)), {}),
]


def _np_matmul(a, b, transpose_a=False, transpose_b=False):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return a @ b


@pytest.mark.parametrize("a,b,kw", MATMUL)
def test_matmul_forward(a, b, kw):
    check_forward(lambda x, y: tf.matmul(x, y, **kw), lambda x, y: _np_matmul(x, y, **kw),
                  [a, b], rtol=1e-5)


@pytest.mark.parametrize("a,b,kw", [c for c in MATMUL[:7]])
def test_matmul_gradient(a, b, kw):
    check_gradient(lambda x, y: tf.matmul(x, y, **kw), [a, b])


def test_matmul_second_order():
    check_second_order(lambda x, y: tf.matmul(x * x, y), [rn(2, 3), rn(3, 2)])


# ------------------------------------------------------------------------- einsum ---

EINSUM = [
    ("ij,jk->ik", [rn(2, 3), rn(3, 4)]),
    ("bij,bjk->bik", [rn(2, 2, 3), rn(2, 3, 4)]),
    ("i,i->", [rn(4), rn(4)]),
    ("ij->ji", [rn(2, 3)]),
    ("ii->i", [rn(3, 3)]),
    ("ii", [rn(3, 3)]),
    ("ij->", [rn(2, 3)]),
    ("bhqd,bhkd->bhqk", [rn(2, 2, 3, 4), rn(2, 2, 5, 4)]),
    ("ij,jk", [rn(2, 3), rn(3, 4)]),
    ("i,j->ij", [rn(2), rn(3)]),
    ("...ij,...jk->...ik", [rn(2, 1, 2, 3), rn(4, 3, 2)]),
    ("...i,i->...", [rn(2, 3, 4), rn(4)]),
    ("ij,ij->ij", [rn(2, 3), rn(2, 3)]),
    ("ijk->kji", [rn(2, 3, 4)]),
    ("i,jk->ij", [rn(2), rn(3, 4)]),
    ("bij, bkj -> bik", [rn(2, 3, 2), rn(2, 4, 2)]),
    ("ij,jk,kl->il", [rn(2, 3), rn(3, 4), rn(4, 2)]),
    ("iij->ij", [rn(2, 2, 3)]),
]


@pytest.mark.parametrize("eq,args", EINSUM)
def test_einsum_forward(eq, args):
    check_forward(lambda *ts: tf.einsum(eq, *ts), lambda *a: np.einsum(eq, *a), args)


def test_einsum_float32_and_int():
    out = tf.einsum("ij,jk->ik", rn(2, 3, dtype=np.float32), rn(3, 2, dtype=np.float32))
    assert out.dtype == tf.float32
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    check_forward(lambda t: tf.einsum("ij->j", t), lambda x: np.einsum("ij->j", x), [a])
    check_forward(lambda t: tf.einsum("ij,kj->ik", t, t), lambda x: x @ x.T, [a])


@pytest.mark.parametrize("eq,args", EINSUM)
def test_einsum_gradient(eq, args):
    check_gradient(lambda *ts: tf.einsum(eq, *ts), args)


@pytest.mark.parametrize("eq,args", [EINSUM[1], EINSUM[4], EINSUM[10], EINSUM[16]])
def test_einsum_second_order(eq, args):
    check_second_order(lambda *ts: tf.einsum(eq, *[t * t for t in ts]), args)


# ---------------------------------------------------------------------- tensordot ---

TENSORDOT = [
    (rn(2, 3, 4), rn(3, 4, 5), 2),
    (rn(2, 3), rn(3, 2), 1),
    (rn(2, 3), rn(4, 5), 0),
    (rn(2, 3, 4), rn(4, 3, 2), [[1, 2], [1, 0]]),
    (rn(2, 3), rn(2, 3), [[0, -1], [0, 1]]),
    (rn(3, 2), rn(4, 3), [0, 1]),
]


@pytest.mark.parametrize("a,b,axes", TENSORDOT)
def test_tensordot(a, b, axes):
    check_forward(lambda x, y: tf.tensordot(x, y, axes), lambda x, y: np.tensordot(x, y, axes),
                  [a, b])
    check_gradient(lambda x, y: tf.tensordot(x, y, axes), [a, b])


# --------------------------------------------------------------------------- norms ---

NORMS = [
    # (x, ord, axis, keepdims)
    (rn(3, 4), "euclidean", None, False),
    (rn(3, 4), "euclidean", None, True),
    (rn(3, 4), "euclidean", 1, False),
    (rn(3, 4), 1, 0, True),
    (rn(3, 4), np.inf, -1, False),
    (rn(3, 4), 3, 1, False),
    (rn(3, 4), 0.5, 0, False),
    (rn(3, 4), 2, None, False),
    (rn(2, 3, 4), "fro", (-2, -1), False),
    (rn(2, 3, 4), "euclidean", [1, 2], True),
    (rn(2, 3, 4), 1, (1, 2), False),
    (rn(2, 3, 4), np.inf, (1, 2), False),
    (rn(2, 3, 4), 2, (1, 2), False),
    (rn(3, 2, 4), 1, (2, 0), True),
    (rn(3, 2, 4), 2, (0, 2), True),
]


def _np_norm(a, ord, axis, keepdims):
    if ord == "euclidean":
        ord = "fro" if isinstance(axis, (tuple, list)) else None
    if axis is None:
        out = np.linalg.norm(a.reshape(-1), ord=None if ord in (None, "fro") else ord)
        return np.reshape(out, [1] * a.ndim) if keepdims else out
    if isinstance(axis, (tuple, list)):
        axis = tuple(axis)
        return np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)
    return np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("x,ord,axis,keepdims", NORMS)
def test_norm_forward(x, ord, axis, keepdims):
    check_forward(lambda t: tf.norm(t, ord=ord, axis=axis, keepdims=keepdims),
                  lambda a: _np_norm(a, ord, axis, keepdims), [x])
    assert tf.norm(x.astype(np.float32), ord=ord, axis=axis).dtype == tf.float32


@pytest.mark.parametrize("x,ord,axis,keepdims", NORMS)
def test_norm_gradient(x, ord, axis, keepdims):
    check_gradient(lambda t: tf.norm(t, ord=ord, axis=axis, keepdims=keepdims), [x])


def test_norm_gradient_at_zero_is_finite():
    x = tf.zeros([3], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.norm(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0, 0, 0])


# ---------------------------------------------------------- inverses and solves ---

INV_CASES = [well(), well(2, n=2), well(2, 3, n=4), well(dtype=np.float32),
             np.zeros((0, 2, 2)), np.zeros((0, 0))]


@pytest.mark.parametrize("a", INV_CASES)
def test_inv_det_slogdet_forward(a):
    tol = 1e-4 if a.dtype == np.float32 else 1e-6
    check_forward(tf.linalg.inv, np.linalg.inv, [a], rtol=tol, atol=tol)
    check_forward(lambda t: tf.linalg.inv(t, adjoint=True),
                  lambda x: np.linalg.inv(np.swapaxes(x, -1, -2)), [a], rtol=tol, atol=tol)
    check_forward(tf.linalg.det, lambda x: np.linalg.det(x).astype(x.dtype), [a],
                  rtol=tol, atol=tol)
    check_forward(lambda t: list(tf.linalg.slogdet(t)),
                  lambda x: [v.astype(x.dtype) for v in np.linalg.slogdet(x)], [a],
                  rtol=tol, atol=tol)


@pytest.mark.parametrize("a", INV_CASES[:3])
def test_inv_det_slogdet_gradient(a):
    check_gradient(tf.linalg.inv, [a])
    check_gradient(lambda t: tf.linalg.inv(t, adjoint=True), [a])
    check_gradient(tf.linalg.det, [a])
    check_gradient(lambda t: tf.linalg.slogdet(t)[1], [a])


def test_det_and_inv_second_order():
    check_second_order(tf.linalg.det, [well(2)])
    check_second_order(tf.linalg.inv, [well()])
    check_second_order(lambda t: tf.linalg.slogdet(t)[1], [well()])


SOLVE_CASES = [
    (well(), rn(3, 2), False),
    (well(), rn(3, 2), True),
    (well(2, n=2), rn(2, 2, 4), False),
    (well(2, n=2), rn(2, 2, 1), True),
]


@pytest.mark.parametrize("a,b,adj", SOLVE_CASES)
def test_solve(a, b, adj):
    def np_solve(x, y):
        return np.linalg.solve(np.swapaxes(x, -1, -2) if adj else x, y)
    check_forward(lambda x, y: tf.linalg.solve(x, y, adjoint=adj), np_solve, [a, b])
    check_gradient(lambda x, y: tf.linalg.solve(x, y, adjoint=adj), [a, b])


def test_solve_float32_and_triangular():
    a, b = well(dtype=np.float32), rn(3, 2, dtype=np.float32)
    out = tf.linalg.solve(a, b)
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), np.linalg.solve(a, b), rtol=1e-4, atol=1e-5)
    low = np.tril(well())
    np.testing.assert_allclose(tf.linalg.triangular_solve(low + np.triu(rn(3, 3), 1), b).numpy(),
                               np.linalg.solve(low, b), rtol=1e-5, atol=1e-5)


def test_cholesky_and_friends():
    for a in (spd(), spd(2, n=4), spd(dtype=np.float32)):
        tol = 1e-5 if a.dtype == np.float32 else 1e-7
        check_forward(tf.linalg.cholesky, np.linalg.cholesky, [a], rtol=tol, atol=tol)
        check_forward(tf.linalg.logdet, lambda x: np.linalg.slogdet(x)[1].astype(x.dtype),
                      [a], rtol=tol, atol=tol)
    a, b = spd(), rn(3, 2)
    chol = tf.linalg.cholesky(a)
    np.testing.assert_allclose(tf.linalg.cholesky_solve(chol, b).numpy(),
                               np.linalg.solve(a, b), rtol=1e-6)


def _sym(t):
    return 0.5 * (t + tf.linalg.matrix_transpose(t))


def test_cholesky_gradient():
    check_gradient(lambda t: tf.linalg.cholesky(_sym(t)), [spd()])
    check_gradient(lambda t: tf.linalg.cholesky(_sym(t)), [spd(2, n=2)])
    check_gradient(lambda t: tf.linalg.logdet(_sym(t)), [spd()])


# ---------------------------------------------------------- matvec & friends ---

def test_matvec():
    a, v = rn(2, 3, 4), rn(4)
    check_forward(tf.linalg.matvec, lambda x, y: x @ y, [a, v])
    check_forward(lambda x, y: tf.linalg.matvec(x, y, transpose_a=True),
                  lambda x, y: np.einsum("...ji,...j->...i", x, y), [a, rn(2, 3)])
    check_forward(lambda x, y: tf.linalg.matvec(x, y), lambda x, y: x @ y,
                  [R.integers(-3, 3, (2, 3)).astype(np.int32), np.arange(3, dtype=np.int32)])
    check_gradient(tf.linalg.matvec, [a, v])
    check_gradient(lambda x, y: tf.linalg.matvec(x, y, adjoint_a=True), [rn(3, 2), rn(3)])


DIAG_FORWARD = [
    (tf.linalg.matrix_transpose, lambda a: np.swapaxes(a, -1, -2), rn(2, 3, 4)),
    (tf.linalg.matrix_transpose, lambda a: np.swapaxes(a, -1, -2),
     np.arange(6, dtype=np.int32).reshape(2, 3)),
    (tf.linalg.adjoint, lambda a: np.conj(np.swapaxes(a, -1, -2)),
     (rn(2, 3) + 1j * rn(2, 3)).astype(np.complex64)),
    (tf.linalg.trace, lambda a: np.trace(a, axis1=-2, axis2=-1), rn(2, 3, 3)),
    (tf.linalg.trace, lambda a: np.trace(a, axis1=-2, axis2=-1).astype(np.int32),
     np.arange(12, dtype=np.int32).reshape(3, 4)),
    (tf.linalg.diag, lambda v: v[..., None] * np.eye(v.shape[-1]), rn(2, 3)),
    (tf.linalg.diag, lambda v: np.diag(v), np.arange(1, 4, dtype=np.int32)),
    (lambda v: tf.linalg.diag(v, k=1), lambda v: np.diag(v, 1), rn(3)),
    (lambda v: tf.linalg.diag(v, k=-2), lambda v: np.diag(v, -2), rn(2)),
    (lambda v: tf.linalg.diag(v, num_rows=2, num_cols=4),
     lambda v: np.pad(np.diag(v), [(0, 0), (0, 2)]), rn(2)),
    (tf.linalg.diag_part, lambda a: np.diagonal(a, axis1=-2, axis2=-1), rn(2, 3, 4)),
    (lambda a: tf.linalg.diag_part(a, k=1), lambda a: np.diagonal(a, 1, -2, -1), rn(2, 4, 3)),
    (lambda a: tf.linalg.diag_part(a, k=-1), lambda a: np.diagonal(a, -1, -2, -1), rn(3, 3)),
    (lambda a: tf.linalg.band_part(a, 1, 0), lambda a: np.tril(np.triu(a, -1)), rn(2, 4, 4)),
    (lambda a: tf.linalg.band_part(a, -1, 0), np.tril, rn(3, 4)),
    (lambda a: tf.linalg.band_part(a, 0, -1), np.triu, np.arange(9, dtype=np.int32).reshape(3, 3)),
    (lambda a: tf.linalg.band_part(a, 0, 0), lambda a: a * np.eye(3, 2), rn(3, 2)),
]


@pytest.mark.parametrize("fn,np_fn,x", DIAG_FORWARD)
def test_matrix_structure_forward(fn, np_fn, x):
    check_forward(fn, lambda a: np.asarray(np_fn(a)).astype(a.dtype), [x])


@pytest.mark.parametrize("fn,np_fn,x", [c for c in DIAG_FORWARD
                                        if c[2].dtype == np.float64])
def test_matrix_structure_gradient(fn, np_fn, x):
    check_gradient(fn, [x])


def test_diag_padding_value():
    out = tf.linalg.diag([1., 2.], padding_value=9.)
    np.testing.assert_array_equal(out.numpy(), [[1, 9], [9, 2]])


# ---------------------------------------------------------------- decompositions ---

def test_svd():
    a = rn(2, 4, 3)
    s, u, v = tf.linalg.svd(a)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False))
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @
                               np.swapaxes(v.numpy(), -1, -2), a, atol=1e-10)
    assert u.shape == (2, 4, 3) and v.shape == (2, 3, 3)
    s, u, v = tf.linalg.svd(a, full_matrices=True)
    assert u.shape == (2, 4, 4) and v.shape == (2, 3, 3)
    s32 = tf.linalg.svd(a.astype(np.float32), compute_uv=False)
    assert s32.dtype == tf.float32 and s32.shape == (2, 3)


SVD_GRADIENTS = [
    lambda t: tf.linalg.svd(t, compute_uv=False),
    lambda t: tf.linalg.svd(t)[0],
    lambda t: tf.square(tf.linalg.svd(t)[1]),
    lambda t: tf.square(tf.linalg.svd(t)[2]),
    lambda t: tf.matmul(*tf.linalg.svd(t)[1:], transpose_b=True),
]


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 3, 4)])
@pytest.mark.parametrize("fn", SVD_GRADIENTS)
def test_svd_gradient(fn, shape):
    check_gradient(fn, [rn(*shape)])


def test_svd_second_order_and_matrix_2_norm():
    check_second_order(lambda t: tf.linalg.svd(t, compute_uv=False), [rn(3, 2)])
    check_second_order(lambda t: tf.norm(t, ord=2, axis=[0, 1]), [rn(3, 3)])


def test_ops_inside_function_match_eager():
    def f(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = (tf.reduce_sum(tf.einsum("ii->i", x) ** 2) + tf.linalg.det(x) +
                    tf.reduce_sum(tf.linalg.solve(x, y)) + tf.norm(x, ord=2, axis=[0, 1]) +
                    tf.linalg.slogdet(x)[1] + tf.reduce_sum(tf.linalg.inv(x)) +
                    tf.reduce_sum(tf.tensordot(x, y, 1)) + tf.linalg.trace(x) +
                    tf.reduce_sum(tf.linalg.cholesky(tf.matmul(x, x, transpose_b=True))))
        return loss, tape.gradient(loss, x)
    x, y = tf.constant(well()), tf.constant(rn(3, 2))
    eager = f(x, y)
    graph = tf.function(f)(x, y)
    for e, g in zip(eager, graph):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10)


def test_qr_and_eigh():
    a = rn(2, 4, 3)
    q, r = tf.linalg.qr(a)
    assert q.shape == (2, 4, 3) and r.shape == (2, 3, 3)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-10)
    np.testing.assert_allclose(np.tril(r.numpy(), -1), 0, atol=1e-12)
    q, r = tf.linalg.qr(a, full_matrices=True)
    assert q.shape == (2, 4, 4) and r.shape == (2, 4, 3)
    m = spd(2)
    e, v = tf.linalg.eigh(m)
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(m))
    np.testing.assert_allclose(v.numpy() @ (e.numpy()[..., None] * np.swapaxes(v.numpy(), -1,
                                                                               -2)), m,
                               atol=1e-10)
    assert tf.linalg.eigvalsh(m.astype(np.float32)).dtype == tf.float32


def test_linalg_namespace():
    for name in ["matmul", "einsum", "tensordot", "norm", "inv", "det", "slogdet", "matvec",
                 "matrix_transpose", "trace", "diag", "diag_part", "band_part", "solve",
                 "cholesky", "qr", "svd", "eigh", "logdet", "adjoint", "eye", "l2_normalize"]:
        assert callable(getattr(tf.linalg, name)), name
    assert tf.norm is tf.linalg.norm and tf.einsum is tf.linalg.einsum


# ------------------------------------------------------------------------- errors ---

ERRORS = [
    (lambda: tf.matmul(tf.ones([2, 3]), tf.ones([4, 5])), InvalidArgumentError,
     r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: \[4, 5\].*MatMul"),
    (lambda: tf.matmul(tf.ones([3]), tf.ones([3, 2])), InvalidArgumentError,
     r"In\[0\]: \[3\].*MatMul"),
    (lambda: tf.matmul(tf.ones([2, 2]), tf.ones([2, 2], tf.float64)), InvalidArgumentError,
     r"float32.*float64"),
    (lambda: tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([4, 5])), InvalidArgumentError,
     r"Expected dimension 3 at axis 0 of input 1 shaped \[4, 5\]"),
    (lambda: tf.einsum("ij,jk->ik", tf.ones([2, 3])), ValueError, r"names 2 inputs but 1"),
    (lambda: tf.einsum("ijk->i", tf.ones([2, 3])), ValueError, r"'ijk'.*rank 2"),
    (lambda: tf.einsum("ij->ii", tf.ones([2, 2])), ValueError, r"repeat"),
    (lambda: tf.einsum("ij->k", tf.ones([2, 2])), ValueError, r"'k' does not appear"),
    (lambda: tf.einsum("i1->i", tf.ones([2, 2])), ValueError, r"invalid subscript"),
    (lambda: tf.tensordot(tf.ones([2, 3]), tf.ones([4, 5]), 1), InvalidArgumentError,
     r"dimension 3 of a.*dimension 4 of b"),
    (lambda: tf.tensordot(tf.ones([2, 3]), tf.ones([3]), 3), ValueError, r"axes=3"),
    (lambda: tf.tensordot(tf.ones([2, 3]), tf.ones([3]), [[0, 1], [0]]), ValueError,
     r"one length"),
    (lambda: tf.norm(tf.ones([3]), ord="fro"), ValueError, r"supported vector norm, got fro"),
    (lambda: tf.norm(tf.ones([3]), ord=-1), ValueError, r"supported vector norm"),
    (lambda: tf.norm(tf.ones([2, 2]), ord=3, axis=[0, 1]), ValueError,
     r"supported matrix norm"),
    (lambda: tf.norm(tf.ones([2, 2]), axis=[0, 0]), ValueError, r"2 unique integers"),
    (lambda: tf.norm(tf.ones([2, 2]), axis=[0, 1, 2]), ValueError, r"2 unique integers"),
    (lambda: tf.norm(tf.ones([2, 2]), axis=3), ValueError, r"out of range"),
    (lambda: tf.linalg.inv(tf.ones([2, 3])), InvalidArgumentError,
     r"must be square.*\[2, 3\].*MatrixInverse"),
    (lambda: tf.linalg.inv(tf.ones([2, 2])), InvalidArgumentError, r"not invertible"),
    (lambda: tf.linalg.det(tf.ones([3])), InvalidArgumentError, r"rank >= 2"),
    (lambda: tf.linalg.inv(tf.ones([2, 2], tf.int32)), InvalidArgumentError,
     r"int32.*MatrixInverse"),
    (lambda: tf.linalg.solve(tf.eye(2), tf.ones([3, 1])), InvalidArgumentError,
     r"number of rows"),
    (lambda: tf.linalg.solve(tf.ones([2, 2]), tf.ones([2, 1])), InvalidArgumentError,
     r"not invertible"),
    (lambda: tf.linalg.solve(tf.eye(2), tf.ones([2])), InvalidArgumentError, r"same rank"),
    (lambda: tf.linalg.cholesky(-tf.eye(2)), InvalidArgumentError,
     r"Cholesky decomposition was not successful"),
    (lambda: tf.linalg.matrix_transpose(tf.ones([3])), ValueError, r"rank >= 2"),
    (lambda: tf.linalg.diag_part(tf.ones([3])), InvalidArgumentError, r"at least 2-D"),
    (lambda: tf.linalg.diag_part(tf.ones([2, 2]), k=3), InvalidArgumentError, r"k=3"),
    (lambda: tf.linalg.diag([1., 2.], num_rows=5, num_cols=5), InvalidArgumentError,
     r"does not fit"),
    (lambda: tf.linalg.band_part(tf.ones([2, 2]), 3, 0), InvalidArgumentError, r"num_lower"),
]


@pytest.mark.parametrize("fn,err,match", ERRORS)
def test_linalg_errors(fn, err, match):
    with pytest.raises(err, match=match):
        fn()


def test_docstring_examples():
    """Examples print float32 results to the last digit; compared within a few ulps."""
    from ember.ops import linalg_ops
    failed, attempted = run_examples(linalg_ops, {"ember": tf, "np": np})
    assert failed == 0 and attempted > 10
