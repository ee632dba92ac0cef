"""keras.ops.linalg: decompositions and solvers with NumPy/Keras conventions
(``svd`` returns ``(u, s, vh)``, ``qr(x, mode="reduced")``)."""
from __future__ import annotations

import ember
from ember.keras.ops._common import floating, tensor

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
           "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular",
           "svd"]


def _t(x):
    return ember.linalg.matrix_transpose(x)


def cholesky(x, upper=False):
    low = ember.linalg.cholesky(floating(x))
    return _t(low) if upper else low


def cholesky_inverse(x, upper=False):
    """inv(A) from A's Cholesky factor x."""
    x = floating(x)
    low = _t(x) if upper else x
    eye = ember.eye(x.shape[-1], dtype=x.dtype)
    return ember.linalg.cholesky_solve(low, ember.broadcast_to(eye, ember.shape(x)))


def det(x):
    return ember.linalg.det(floating(x))


def eigh(x):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric x."""
    return ember.linalg.eigh(floating(x))


def inv(x):
    return ember.linalg.inv(floating(x))


def solve(a, b):
    a, b = floating(a), floating(b)
    vec = len(b.shape) == len(a.shape) - 1
    if vec:
        b = ember.expand_dims(b, -1)
    out = ember.linalg.solve(a, b)
    return ember.squeeze(out, axis=[-1]) if vec else out


def solve_triangular(a, b, lower=False):
    a, b = floating(a), floating(b)
    vec = len(b.shape) == len(a.shape) - 1
    if vec:
        b = ember.expand_dims(b, -1)
    out = ember.linalg.triangular_solve(a, b, lower=lower)
    return ember.squeeze(out, axis=[-1]) if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) with x = u @ diag(s) @ vh; only s when compute_uv is False."""
    x = floating(x)
    if not compute_uv:
        return ember.linalg.svd(x, full_matrices=full_matrices, compute_uv=False)
    s, u, v = ember.linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
    return u, s, _t(v)


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"keras.ops.qr: mode must be 'reduced' or 'complete'; received "
                         f"{mode!r}")
    return ember.linalg.qr(floating(x), full_matrices=(mode == "complete"))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norms as numpy.linalg.norm (axis None: the whole flattened x for
    ord None, else x's last one or two axes)."""
    x = floating(x)
    nd = len(x.shape)
    if axis is None:
        if ord is None:
            out = ember.sqrt(ember.reduce_sum(ember.square(x)))
            return ember.reshape(out, [1] * nd) if keepdims else out
        axis = tuple(range(nd))
    axes = tuple(a % nd for a in axis) if isinstance(axis, (list, tuple)) else (axis % nd,)
    a = ember.abs(x)
    if len(axes) == 1:
        ax = axes[0]
        if ord is None or ord == 2:
            return ember.sqrt(ember.reduce_sum(ember.square(x), axis=ax, keepdims=keepdims))
        if ord == float("inf"):
            return ember.reduce_max(a, axis=ax, keepdims=keepdims)
        if ord == float("-inf"):
            return ember.reduce_min(a, axis=ax, keepdims=keepdims)
        if ord == 0:
            return ember.reduce_sum(ember.cast(ember.not_equal(x, 0.0), x.dtype), axis=ax,
                                    keepdims=keepdims)
        if ord == 1:
            return ember.reduce_sum(a, axis=ax, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"keras.ops.norm: ord {ord!r} is for matrices; received one "
                             f"axis")
        return ember.pow(ember.reduce_sum(ember.pow(a, float(ord)), axis=ax,
                                          keepdims=keepdims), 1.0 / ord)
    r, c = axes
    if ord in (None, "fro"):
        return ember.sqrt(ember.reduce_sum(ember.square(x), axis=list(axes), keepdims=keepdims))
    if ord in (1, -1):
        s = ember.reduce_sum(a, axis=r, keepdims=True)
        red = ember.reduce_max if ord == 1 else ember.reduce_min
        out = red(s, axis=c, keepdims=True)
    elif ord in (float("inf"), float("-inf")):
        s = ember.reduce_sum(a, axis=c, keepdims=True)
        red = ember.reduce_max if ord > 0 else ember.reduce_min
        out = red(s, axis=r, keepdims=True)
    elif ord in (2, -2, "nuc"):
        perm = [d for d in range(nd) if d not in axes] + [r, c]
        sv = ember.linalg.svd(ember.transpose(x, perm), compute_uv=False)
        out = ember.reduce_sum(sv, -1) if ord == "nuc" else (
            ember.reduce_max(sv, -1) if ord == 2 else ember.reduce_min(sv, -1))
        if keepdims:
            for d in sorted(axes):
                out = ember.expand_dims(out, d)
        return out
    else:
        raise ValueError(f"keras.ops.norm: invalid ord {ord!r} for a matrix norm")
    return out if keepdims else ember.squeeze(out, axis=list(axes))


def pinv(x, rcond=1e-15):
    x = floating(x)
    s, u, v = ember.linalg.svd(x, full_matrices=False)
    cutoff = rcond * ember.reduce_max(s, axis=-1, keepdims=True)
    s_inv = ember.where(s > cutoff, 1.0 / ember.where(s > cutoff, s, ember.ones_like(s)),
                        ember.zeros_like(s))
    return ember.matmul(v * ember.expand_dims(s_inv, -2), u, transpose_b=True)


def lstsq(a, b, rcond=None):
    """The least-squares solution of a @ x = b (through the pseudo-inverse)."""
    a, b = floating(a), floating(b)
    if rcond is None:
        import numpy as np
        rcond = np.finfo(a.dtype.as_numpy_dtype).eps * max(a.shape[-2], a.shape[-1])
    p = pinv(a, rcond)
    vec = len(b.shape) == 1
    out = ember.matmul(p, ember.expand_dims(b, -1) if vec else b)
    return ember.squeeze(out, axis=[-1]) if vec else out


def matrix_rank(x, tol=None):
    x = floating(x)
    s = ember.linalg.svd(x, compute_uv=False)
    if tol is None:
        import numpy as np
        tol = ember.reduce_max(s, axis=-1, keepdims=True) * max(x.shape[-2], x.shape[-1]) * \
            float(np.finfo(x.dtype.as_numpy_dtype).eps)
    return ember.reduce_sum(ember.cast(s > tol, "int32"), axis=-1)


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), J @ tangents): a forward-mode product via two reverse passes."""
    primals = [floating(p) for p in primals]
    tangents = [ember.cast(tensor(t), p.dtype) for t, p in zip(tangents, primals)]
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            for p in primals:
                inner.watch(p)
            res = fun(*primals)
            out, aux = res if has_aux else (res, None)
        u = ember.ones_like(out)
        outer.watch(u)
        vjp = inner.gradient(out, primals, output_gradients=u)
        dot = ember.add_n([ember.reduce_sum(ember.convert_to_tensor(g) * t)
                           for g, t in zip(vjp, tangents)
                           if g is not None])
    tangent_out = outer.gradient(dot, u)
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


def eig(x):
    """(eigenvalues, eigenvectors as columns) of general square x, both complex."""
    return ember.linalg.eig(floating(x))
def lu_factor(x):
    """LU decomposition with partial pivoting of (batched) square x: (lu, p) with L's
    multipliers below the diagonal of lu and U on and above it, and p the permutation as
    Keras's TensorFlow backend gives it (row i of x is row p[i] of L @ U)."""
    a = floating(x)
    n = a.shape[-1]
    if n is None or a.shape[-2] != n:
        raise ValueError(f"keras.ops.lu_factor: expected square matrices of a known size; "
                         f"received shape {tuple(a.shape)}")
    idx = ember.range(n)
    rows = ember.reshape(idx, [n, 1])
    cols = ember.reshape(idx, [1, n])
    batch = list(a.shape[:-2])
    perm = ember.broadcast_to(idx, batch + [n]) if batch else idx
    zeros = ember.zeros_like(a[..., :, 0])
    for k in range(n):
        col = ember.abs(a[..., :, k])
        col = ember.where(ember.broadcast_to(idx >= k, ember.shape(col)), col,
                          -ember.ones_like(col))
        pivot = ember.cast(ember.argmax(col, axis=-1), "int32")
        pv = ember.expand_dims(pivot, -1)
        swap = ember.where(ember.equal(idx, k), pv,
                           ember.where(ember.equal(idx, pv), k * ember.ones_like(pv), idx))
        a = ember.gather(a, swap, axis=-2, batch_dims=len(batch))
        perm = ember.gather(perm, swap, axis=-1, batch_dims=len(batch))
        below = ember.broadcast_to(idx > k, ember.shape(zeros))
        m = ember.where(below, a[..., :, k] / a[..., k:k + 1, k], zeros)
        row_k = ember.where(ember.broadcast_to(idx > k, ember.shape(zeros)), a[..., k, :],
                            zeros)
        a = a - ember.expand_dims(m, -1) * ember.expand_dims(row_k, -2)
        a = ember.where(ember.logical_and(rows > k, ember.equal(cols, k)),
                        ember.expand_dims(m, -1) * ember.ones_like(a), a)
    inverse = ember.cast(ember.argsort(perm, axis=-1, stable=True), "int32")
    return a, inverse
