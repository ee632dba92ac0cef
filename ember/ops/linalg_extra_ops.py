"""More of tf.linalg: LU factorization and solves, least squares, pseudo-inverse, rank,
matrix functions (expm, logm, sqrtm), general eigenproblems, tridiagonal and banded
systems, set_diag, cross, normalize.

Composites over public ops where the maths allows (gradients come with them). expm,
logm and sqrtm run SciPy's kernels (imported on first use); expm's gradient is the
Fréchet-derivative block trick, sqrtm's a Sylvester solve.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError, UnimplementedError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.ops import array_ops, creation_ops, linalg_ops, math_ops, reduce_ops
from ember.ops._base import COMPLEX, EMPTY, FLOATS, check_dtype, tensor

__all__ = [
    "banded_triangular_solve", "cross", "eig", "eigh_tridiagonal", "eigvals", "expm",
    "logm", "lstsq", "lu", "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "matrix_rank",
    "normalize", "pinv", "set_diag", "sqrtm", "tridiagonal_matmul", "tridiagonal_solve",
]


def _scipy_linalg(op_name):
    try:
        from scipy import linalg
    except ImportError:
        raise UnimplementedError(f"{op_name} needs SciPy (pip install scipy, or "
                                 f"ember[scipy])") from None
    return linalg


def _square(op_name, spec):
    if spec.shape.rank is not None and spec.shape.rank < 2:
        raise InvalidArgumentError(f"{op_name}: input must be a matrix (rank >= 2), got shape "
                                   f"{spec.shape}")
    if spec.shape.rank is not None and None not in spec.shape[-2:] and \
            spec.shape[-1] != spec.shape[-2]:
        raise InvalidArgumentError(f"{op_name}: input must be square, got shape {spec.shape}")


def _batched(fn, a, out_dtype=None):
    flat = a.reshape((-1,) + a.shape[-2:])
    outs = [np.asarray(fn(m)) for m in flat]
    out = np.stack(outs) if outs else np.zeros(flat.shape, a.dtype)
    return out.reshape(a.shape[:-2] + out.shape[1:]).astype(out_dtype or a.dtype, copy=False)


class _MatrixFunction(Op):
    """A matrix function f(A) of square matrices by SciPy (expm, logm, sqrtm)."""

    def __init__(self, name, scipy_name, grad_fn=None):
        self.scipy_name = scipy_name
        self.grad_fn = grad_fn
        self.differentiable = grad_fn is not None
        super().__init__(name)

    def infer(self, inputs):
        (a,) = inputs
        check_dtype(self.name, a.dtype, FLOATS | COMPLEX)
        _square(self.name, a)
        return a.shape, a.dtype

    def kernel(self, xp, a):
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise InvalidArgumentError(f"{self.name}: input must be square matrices, got "
                                       f"shape {list(a.shape)}")
        fn = getattr(_scipy_linalg(self.name), self.scipy_name)
        work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)

        def one(m):
            r = fn(m)
            r = r[0] if isinstance(r, tuple) else r
            if a.dtype.kind != "c":
                if np.iscomplexobj(r) and np.abs(r.imag).max(initial=0) > 1e-8 * max(
                        1.0, np.abs(r.real).max(initial=0)):
                    raise InvalidArgumentError(
                        f"{self.name}: the result is complex for this real input; pass a "
                        f"complex matrix")
                r = np.real(r)
            return r
        return _batched(one, work, a.dtype)

    def grad(self, call, g):
        return (self.grad_fn(call.inputs[0], call.outputs[0], g),)


def _expm_grad(a, y, g):
    """d/dA <G, expm(A)> = upper-right block of expm([[A^H, G], [0, A^H]])."""
    ah = linalg_ops.adjoint(a)
    top = array_ops.concat([ah, g], -1)
    bottom = array_ops.concat([array_ops.zeros_like(ah), ah], -1)
    n = array_ops.shape(a)[-1]
    big = expm(array_ops.concat([top, bottom], -2))
    return big[..., :n, n:]


class _SylvesterSolve(Op):
    """Y with A Y + Y B = C (SciPy's Bartels-Stewart), batched."""

    name = "SylvesterSolve"
    differentiable = False

    def infer(self, inputs):
        return inputs[2].shape, inputs[2].dtype

    def kernel(self, xp, a, b, c):
        solve = _scipy_linalg(self.name).solve_sylvester
        fa = a.reshape((-1,) + a.shape[-2:])
        fb = b.reshape((-1,) + b.shape[-2:])
        fc = c.reshape((-1,) + c.shape[-2:])
        out = np.stack([solve(x, y, z) for x, y, z in zip(fa, fb, fc)]) if fc.size else fc
        return out.reshape(c.shape).astype(c.dtype, copy=False)


SYLVESTER = _SylvesterSolve()


def _sqrtm_grad(a, y, g):
    yh = linalg_ops.adjoint(y)
    return execute(SYLVESTER, (yh, yh, g), EMPTY)


EXPM = _MatrixFunction("MatrixExponential", "expm", _expm_grad)
LOGM = _MatrixFunction("MatrixLogarithm", "logm")
SQRTM = _MatrixFunction("MatrixSquareRoot", "sqrtm", _sqrtm_grad)


def expm(input, name=None):  # noqa: A002
    """The matrix exponential of square matrices (batched).

    >>> ember.linalg.expm([[0.0, 0.0], [0.0, 0.0]]).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return execute(EXPM, (tensor(input),), EMPTY, name)


def logm(input, name=None):  # noqa: A002
    """The principal matrix logarithm of square matrices (not differentiable, as in
    TensorFlow)."""
    return execute(LOGM, (tensor(input),), EMPTY, name)


def sqrtm(input, name=None):  # noqa: A002
    """The principal square root X (X @ X = input) of square matrices.

    >>> ember.linalg.sqrtm([[4.0, 0.0], [0.0, 9.0]]).numpy()
    array([[2., 0.],
           [0., 3.]], dtype=float32)
    """
    return execute(SQRTM, (tensor(input),), EMPTY, name)


class _Eig(Op):
    """Eigenvalues (and right eigenvectors) of general square matrices; complex results."""

    name = "Eig"
    differentiable = False

    def output_count(self, attrs):
        return 2 if attrs["compute_v"] else 1

    def infer(self, inputs, compute_v):
        (a,) = inputs
        check_dtype(self.name, a.dtype, FLOATS | COMPLEX)
        _square(self.name, a)
        out = dtypes.complex128 if a.dtype in (dtypes.float64, dtypes.complex128) \
            else dtypes.complex64
        values = (a.shape[:-1] if a.shape.rank is not None else a.shape, out)
        return [values, (a.shape, out)] if compute_v else values

    def kernel(self, xp, a, compute_v):
        out = np.complex128 if a.dtype in (np.float64, np.complex128) else np.complex64
        flat = a.reshape((-1,) + a.shape[-2:])
        w, v = zip(*[np.linalg.eig(m) for m in flat]) if flat.shape[0] else ((), ())
        w = np.stack(w).reshape(a.shape[:-1]).astype(out) if w else \
            np.zeros(a.shape[:-1], out)
        if not compute_v:
            return w
        v = np.stack(v).reshape(a.shape).astype(out) if v else np.zeros(a.shape, out)
        return w, v


EIG = _Eig()


def eig(tensor_, name=None):
    """``(e, v)``: eigenvalues and right eigenvectors (columns) of general square
    matrices, complex (not differentiable in ember)."""
    e, v = execute(EIG, (tensor(tensor_),), {"compute_v": True}, name)
    return e, v


def eigvals(tensor_, name=None):
    """The eigenvalues of general square matrices, complex.

    >>> sorted(ember.linalg.eigvals([[2.0, 0.0], [0.0, 3.0]]).numpy().real.tolist())
    [2.0, 3.0]
    """
    return execute(EIG, (tensor(tensor_),), {"compute_v": False}, name)


# ------------------------------------------------------------------------------ LU ---
class _Lu(Op):
    """Packed LU factors with partial pivoting and the row permutation p (input[p] = L U)."""

    name = "Lu"
    num_outputs = 2
    differentiable = False

    def infer(self, inputs, output_idx_type):
        (a,) = inputs
        check_dtype(self.name, a.dtype, FLOATS | COMPLEX)
        _square(self.name, a)
        return [(a.shape, a.dtype), (a.shape[:-1] if a.shape.rank is not None else a.shape,
                                     output_idx_type)]

    def kernel(self, xp, a, output_idx_type):
        n = a.shape[-1]
        flat = a.reshape((-1, n, n)).astype(np.complex128 if a.dtype.kind == "c"
                                            else np.float64)
        lus = np.empty_like(flat)
        perms = np.empty(flat.shape[:2], np.int64)
        for b, m in enumerate(flat):
            lu_ = m.copy()
            perm = np.arange(n)
            for k in range(n):
                pivot = k + int(np.argmax(np.abs(lu_[k:, k])))
                if pivot != k:
                    lu_[[k, pivot]] = lu_[[pivot, k]]
                    perm[[k, pivot]] = perm[[pivot, k]]
                if lu_[k, k] == 0:
                    raise InvalidArgumentError(f"{self.name}: the input is not invertible")
                lu_[k + 1:, k] /= lu_[k, k]
                lu_[k + 1:, k + 1:] -= np.outer(lu_[k + 1:, k], lu_[k, k + 1:])
            lus[b], perms[b] = lu_, perm
        return (lus.reshape(a.shape).astype(a.dtype),
                perms.reshape(a.shape[:-1]).astype(output_idx_type.np))


LU = _Lu()


def lu(input, output_idx_type=dtypes.int32, name=None):  # noqa: A002
    """``(lower_upper, p)``: L (unit diagonal, below) and U (on and above the diagonal)
    packed in one matrix, and the permutation with input[p] = L @ U.

    >>> lu_, p = ember.linalg.lu([[1.0, 2.0], [3.0, 4.0]])
    >>> p.numpy()
    array([1, 0], dtype=int32)
    """
    return tuple(execute(LU, (tensor(input),),
                         {"output_idx_type": dtypes.as_dtype(output_idx_type)}, name))


def _lu_parts(lower_upper):
    lu_ = tensor(lower_upper)
    n = array_ops.shape(lu_)[-1]
    eye = creation_ops.eye(n, dtype=lu_.dtype)
    lower = linalg_ops.band_part(lu_, -1, 0) * (1 - eye) + eye
    upper = linalg_ops.band_part(lu_, 0, -1)
    return lower, upper


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrix whose LU factorization is (lower_upper, perm)."""
    lower, upper = _lu_parts(lower_upper)
    product = linalg_ops.matmul(lower, upper)
    p = tensor(perm)
    inverse = math_ops.cast(reduce_ops.argsort(p, axis=-1), dtypes.int32)
    return array_ops.gather(product, inverse, axis=-2, batch_dims=p.shape.rank - 1,
                            name=name)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """X with input @ X = rhs, from input's LU factorization.

    >>> lu_, p = ember.linalg.lu([[2.0, 0.0], [0.0, 4.0]])
    >>> ember.linalg.lu_solve(lu_, p, [[2.0], [2.0]]).numpy()
    array([[1. ],
           [0.5]], dtype=float32)
    """
    lower, upper = _lu_parts(lower_upper)
    p = tensor(perm)
    b = tensor(rhs, dtype=lower.dtype)
    permuted = array_ops.gather(b, p, axis=-2, batch_dims=p.shape.rank - 1)
    y = linalg_ops.triangular_solve(lower, permuted, lower=True)
    return linalg_ops.triangular_solve(upper, y, lower=False, name=name)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of the matrix whose LU factorization is (lower_upper, perm)."""
    lu_ = tensor(lower_upper)
    eye = creation_ops.eye(array_ops.shape(lu_)[-1], dtype=lu_.dtype)
    eye = eye + array_ops.zeros_like(lu_)
    return lu_solve(lu_, perm, eye, name=name)


# ------------------------------------------------------------- least squares & rank ---
def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solution X of matrix @ X ~ rhs (with an optional L2 penalty), by
    the normal equations (Cholesky), as TensorFlow's fast path.

    >>> ember.linalg.lstsq([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0], [1.0], [2.0]]).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    a = tensor(matrix)
    b = tensor(rhs, dtype=a.dtype)
    m, n = a.shape[-2], a.shape[-1]
    if m is None or n is None:
        raise ValueError("lstsq: the matrix's last two dimensions must be known")
    ah = linalg_ops.adjoint(a)
    reg = math_ops.cast(tensor(l2_regularizer), a.dtype)
    if m >= n:
        gram = linalg_ops.matmul(ah, a) + reg * creation_ops.eye(n, dtype=a.dtype)
        chol = linalg_ops.cholesky(gram)
        return linalg_ops.cholesky_solve(chol, linalg_ops.matmul(ah, b), name=name)
    gram = linalg_ops.matmul(a, ah) + reg * creation_ops.eye(m, dtype=a.dtype)
    chol = linalg_ops.cholesky(gram)
    return linalg_ops.matmul(ah, linalg_ops.cholesky_solve(chol, b), name=name)


def _cutoff(s, m, n, rcond):
    smax = reduce_ops.reduce_max(s, axis=-1, keepdims=True)
    if rcond is None:
        eps = np.finfo(s.dtype.np).eps
        return smax * (max(m, n) * eps)
    return smax * math_ops.cast(tensor(rcond), s.dtype)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse, from the SVD (singular values below rcond times
    the largest count as zero).

    >>> ember.linalg.pinv([[2.0, 0.0], [0.0, 0.0]]).numpy()
    array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    """
    a = tensor(a)
    m, n = a.shape[-2], a.shape[-1]
    s, u, v = linalg_ops.svd(a)
    keep = math_ops.greater(s, _cutoff(s, m or 1, n or 1, rcond))
    inv_s = array_ops.where(keep, math_ops.reciprocal_no_nan(s), array_ops.zeros_like(s))
    return linalg_ops.matmul(v * array_ops.expand_dims(math_ops.cast(inv_s, v.dtype), -2),
                             linalg_ops.adjoint(u), name=name)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above ``tol`` (default: eps * max(m, n) * the
    largest).

    >>> int(ember.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]]))
    1
    """
    a = tensor(a)
    s = linalg_ops.svd(a, compute_uv=False)
    cutoff = _cutoff(s, a.shape[-2] or 1, a.shape[-1] or 1, None) if tol is None \
        else math_ops.cast(tensor(tol), s.dtype)
    return reduce_ops.reduce_sum(math_ops.cast(math_ops.greater(s, cutoff), dtypes.int32),
                                 axis=-1, name=name)


# -------------------------------------------------------------- diagonals and bands ---
def _diag_index(rows, cols, k_lo, k_hi, max_len, align):
    """(mask, flat index into [num_diags * max_len]) for entries on diagonals k_lo..k_hi."""
    i = np.arange(rows)[:, None]
    j = np.arange(cols)[None, :]
    d = j - i
    mask = (d >= k_lo) & (d <= k_hi)
    row = k_hi - d
    length = np.minimum(rows + np.minimum(d, 0), cols - np.maximum(d, 0))
    pos = np.where(d >= 0, i, j)
    sup_right = align in ("RIGHT_LEFT", "RIGHT_RIGHT")
    sub_right = align in ("LEFT_RIGHT", "RIGHT_RIGHT")
    right = np.where(d >= 0, sup_right, sub_right)
    col = pos + np.where(right, max_len - length, 0)
    index = np.where(mask, row * max_len + col, 0)
    return mask, index.astype(np.int32)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """``input`` with diagonal ``k`` (or diagonals k[0]..k[1]) replaced by ``diagonal``.

    >>> ember.linalg.set_diag(ember.zeros([2, 3]), [1.0, 2.0], k=1).numpy()
    array([[0., 1., 0.],
           [0., 0., 2.]], dtype=float32)
    """
    x = tensor(input)
    dg = tensor(diagonal, dtype=x.dtype)
    rows, cols = x.shape[-2], x.shape[-1]
    if rows is None or cols is None:
        raise ValueError("set_diag: the input's last two dimensions must be known")
    k_lo, k_hi = (int(k), int(k)) if np.ndim(k) == 0 else (int(k[0]), int(k[1]))
    if k_lo > k_hi:
        raise ValueError(f"set_diag: k[0] must be <= k[1], got {k}")
    if k_lo == k_hi:
        dg = array_ops.expand_dims(dg, -2)
    max_len = dg.shape[-1]
    if max_len is None:
        raise ValueError("set_diag: the diagonal's length must be known")
    mask, index = _diag_index(rows, cols, k_lo, k_hi, max_len, align)
    flat = array_ops.reshape(dg, array_ops.concat([array_ops.shape(dg)[:-2], [-1]], 0))
    values = array_ops.gather(flat, index, axis=-1)
    return array_ops.where(mask, values, x, name=name)


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product of tridiagonal matrices and ``rhs`` [..., M, N]; ``diagonals`` is
    [..., 3, M] (superdiagonal, diagonal, subdiagonal; "compact"), a list of the three
    ("sequence"), or the [..., M, M] matrix ("matrix")."""
    b = tensor(rhs)
    sup, main, sub = _tridiagonal_parts(diagonals, diagonals_format, b.dtype,
                                        "tridiagonal_matmul")
    zero = array_ops.zeros_like(b[..., :1, :])
    below = array_ops.concat([b[..., 1:, :], zero], -2)       # row i+1
    above = array_ops.concat([zero, b[..., :-1, :]], -2)      # row i-1
    return math_ops.add_n([array_ops.expand_dims(main, -1) * b,
                           array_ops.expand_dims(sup, -1) * below,
                           array_ops.expand_dims(sub, -1) * above], name=name)


def _tridiagonal_parts(diagonals, fmt, dtype, fn):
    if fmt == "compact":
        d = tensor(diagonals, dtype=dtype)
        return d[..., 0, :], d[..., 1, :], d[..., 2, :]
    if fmt == "sequence":
        sup, main, sub = (tensor(t, dtype=dtype) for t in diagonals)
        return sup, main, sub
    if fmt == "matrix":
        m = tensor(diagonals, dtype=dtype)
        main = linalg_ops.diag_part(m)
        zero = array_ops.zeros_like(main[..., :1])
        sup = array_ops.concat([linalg_ops.diag_part(m[..., :-1, 1:]), zero], -1)
        sub = array_ops.concat([zero, linalg_ops.diag_part(m[..., 1:, :-1])], -1)
        return sup, main, sub
    raise ValueError(f"{fn}: diagonals_format must be 'compact', 'sequence' or 'matrix', got "
                     f"{fmt!r}")


def _tridiagonal_dense(sup, main, sub):
    n = main.shape[-1]
    if n is None:
        raise ValueError("tridiagonal: the matrix size must be known")
    stacked = array_ops.stack([sup, main, sub], axis=-2)
    zeros = array_ops.zeros(array_ops.concat([array_ops.shape(main), [n]], 0), main.dtype)
    return set_diag(zeros, stacked, k=(-1, 1), align="LEFT_RIGHT")


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """X with A @ X = rhs for tridiagonal A (formats as tridiagonal_matmul); solved as a
    dense system with partial pivoting.

    >>> ember.linalg.tridiagonal_solve([[1.0, 0.0], [2.0, 2.0], [0.0, 1.0]],
    ...                                [[3.0], [3.0]]).numpy()
    array([[1.],
           [1.]], dtype=float32)
    """
    b = tensor(rhs)
    if transpose_rhs:
        b = linalg_ops.matrix_transpose(b)
    if conjugate_rhs and b.dtype.is_complex:
        b = math_ops.conj(b)
    vector = b.shape.rank == (tensor(diagonals).shape.rank - 1
                              if diagonals_format == "compact" else None)
    if vector:
        b = array_ops.expand_dims(b, -1)
    a = _tridiagonal_dense(*_tridiagonal_parts(diagonals, diagonals_format, b.dtype,
                                               "tridiagonal_solve"))
    x = linalg_ops.solve(a, b)
    if vector:
        x = array_ops.squeeze(x, -1)
    if transpose_rhs:
        x = linalg_ops.matrix_transpose(x)
    return array_ops.identity(x, name=name)


def banded_triangular_solve(bands, rhs, lower=True, adjoint=False, name=None):
    """X with A @ X = rhs (or adjoint(A) @ X) for a banded triangular A given by its
    ``bands`` [..., K, M]: lower: the diagonal and K - 1 subdiagonals, top row first;
    upper: K - 1 superdiagonals then the diagonal. As TensorFlow lays them out,
    subdiagonals are padded on the left and superdiagonals on the right."""
    bd = tensor(bands)
    k, n = bd.shape[-2], bd.shape[-1]
    if k is None or n is None:
        raise ValueError("banded_triangular_solve: the bands' shape must be known")
    zeros = array_ops.zeros(array_ops.concat([array_ops.shape(bd)[:-2], [n, n]], 0), bd.dtype)
    band = (-(k - 1), 0) if lower else (0, k - 1)
    a = set_diag(zeros, bd, k=band, align="LEFT_RIGHT") if k > 1 else \
        set_diag(zeros, bd[..., 0, :])
    return linalg_ops.triangular_solve(a, tensor(rhs, dtype=bd.dtype), lower=lower,
                                       adjoint=adjoint, name=name)


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None,
                     tol=None, name=None):
    """Eigenvalues (ascending; and eigenvectors unless ``eigvals_only``) of the real
    symmetric (or Hermitian) tridiagonal matrix with diagonal ``alpha`` and off-diagonal
    ``beta``; ``select`` "a" (all), "v" (values in select_range) or "i" (indices
    select_range[0]..select_range[1])."""
    a = tensor(alpha)
    b = tensor(beta, dtype=a.dtype)
    n = a.shape[-1]
    if n is None:
        raise ValueError("eigh_tridiagonal: alpha's length must be known")
    dense = _tridiagonal_dense(array_ops.concat([math_ops.conj(b) if b.dtype.is_complex else b,
                                                array_ops.zeros_like(a[..., :1])], -1),
                               a, array_ops.concat([array_ops.zeros_like(a[..., :1]), b], -1))
    if eigvals_only:
        values = linalg_ops.eigvalsh(dense)
        vectors = None
    else:
        values, vectors = linalg_ops.eigh(dense)
    if select in ("a", "all"):
        return values if eigvals_only else (values, vectors)
    if select in ("i", "index"):
        lo, hi = int(select_range[0]), int(select_range[1])
        values = values[..., lo:hi + 1]
        vectors = vectors[..., lo:hi + 1] if vectors is not None else None
        return values if eigvals_only else (values, vectors)
    if select in ("v", "value"):
        vals = values.numpy() if hasattr(values, "numpy") else None
        if vals is None or vals.ndim != 1:
            raise ValueError("eigh_tridiagonal: select='v' needs one eager matrix")
        keep = np.nonzero((vals > select_range[0]) & (vals <= select_range[1]))[0]
        values = array_ops.gather(values, keep)
        vectors = array_ops.gather(vectors, keep, axis=-1) if vectors is not None else None
        return values if eigvals_only else (values, vectors)
    raise ValueError(f"eigh_tridiagonal: select must be 'a', 'v' or 'i', got {select!r}")


# ---------------------------------------------------------------------- vectors ---
def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis.

    >>> ember.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    a = tensor(a)
    b = tensor(b, dtype=a.dtype)
    if a.shape[-1] not in (None, 3) or b.shape[-1] not in (None, 3):
        raise ValueError(f"cross: the last dimension must be 3, got {a.shape} and {b.shape}")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return array_ops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1,
                           name=name)


def normalize(tensor_, ord="euclidean", axis=None, name=None):  # noqa: A002
    """``(normalized, norm)``: the tensor divided by its norm (as linalg.norm computes it)
    and the norm, kept with reduced dimensions of size 1.

    >>> t, n = ember.linalg.normalize([3.0, 4.0])
    >>> t.numpy(), float(n[0])
    (array([0.6, 0.8], dtype=float32), 5.0)
    """
    x = tensor(tensor_)
    norm = linalg_ops.norm(x, ord=ord, axis=axis, keepdims=True)
    return math_ops.divide(x, norm, name=name), norm
