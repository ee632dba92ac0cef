"""Structured LinearOperators: block diagonal and block lower triangular, Kronecker
products, low-rank updates, Toeplitz, circulant (1-3 D, by FFT), Householder
reflections, permutations and tridiagonal matrices. Each gives its dense matrix; the
methods its structure makes cheap are overridden."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, fft_ops, linalg_ops, math_ops, reduce_ops
from ember.ops._base import tensor
from ember.ops.linear_operator import LinearOperator, _broadcast_batch, _float

__all__ = ["LinearOperatorBlockDiag", "LinearOperatorBlockLowerTriangular",
           "LinearOperatorCirculant", "LinearOperatorCirculant2D",
           "LinearOperatorCirculant3D", "LinearOperatorHouseholder",
           "LinearOperatorKronecker", "LinearOperatorLowRankUpdate",
           "LinearOperatorPermutation", "LinearOperatorToeplitz", "LinearOperatorTridiag"]


def _same_dtype(cls_name, operators):
    if any(op.dtype is not operators[0].dtype for op in operators):
        raise TypeError(f"{cls_name}: operators must have one dtype, got "
                        f"{[op.dtype.name for op in operators]}")


def _dims(op, what, cls_name):
    shape = op.shape
    if shape[-1] is None or shape[-2] is None:
        raise ValueError(f"{cls_name}: the {what} operators' matrix sizes must be known")
    return shape[-2], shape[-1]


def _batch_of(operators):
    batch = TensorShape([])
    for op in operators:
        batch = _broadcast_batch(batch, op.batch_shape)
    return batch


def _broadcast_dense(dense, batch):
    if batch.rank and batch.is_fully_defined():
        return array_ops.broadcast_to(dense, batch.concatenate(dense.shape[-2:]).as_list())
    return dense


class LinearOperatorBlockDiag(LinearOperator):
    """The block-diagonal operator with ``operators`` on the diagonal.

    >>> a = ember.linalg.LinearOperatorDiag([1.0, 2.0])
    >>> b = ember.linalg.LinearOperatorFullMatrix([[3.0]])
    >>> ember.linalg.LinearOperatorBlockDiag([a, b]).to_dense().numpy()
    array([[1., 0., 0.],
           [0., 2., 0.],
           [0., 0., 3.]], dtype=float32)
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name=None):
        operators = list(operators)
        if not operators:
            raise ValueError("LinearOperatorBlockDiag: expected at least one operator")
        _same_dtype("LinearOperatorBlockDiag", operators)
        self.operators = operators
        self._sizes = [_dims(op, "block", "LinearOperatorBlockDiag") for op in operators]
        if is_non_singular is None and all(op.is_non_singular for op in operators):
            is_non_singular = True
        if is_self_adjoint is None and all(op.is_self_adjoint for op in operators):
            is_self_adjoint = True
        if is_positive_definite is None and all(op.is_positive_definite for op in operators):
            is_positive_definite = True
        super().__init__(operators[0].dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, all(op.is_square for op in operators),
                         name or "_ds_".join(op.name for op in operators),
                         {"operators": operators})

    def _shape(self):
        rows = sum(r for r, _ in self._sizes)
        cols = sum(c for _, c in self._sizes)
        return _batch_of(self.operators).concatenate([rows, cols])

    def _to_dense(self):
        batch = _batch_of(self.operators)
        cols = sum(c for _, c in self._sizes)
        rows, start = [], 0
        for op, (_, c) in zip(self.operators, self._sizes):
            block = _broadcast_dense(op.to_dense(), batch)
            pad = [[0, 0]] * batch.rank + [[0, 0], [start, cols - start - c]]
            rows.append(array_ops.pad(block, pad))
            start += c
        return array_ops.concat(rows, -2)

    def _split(self, x, sizes):
        parts, start = [], 0
        for s in sizes:
            parts.append(x[..., start:start + s, :])
            start += s
        return parts

    def _matmul(self, x, adjoint, adjoint_arg):
        x = linalg_ops.adjoint(x) if adjoint_arg else x
        sizes = [r if adjoint else c for r, c in self._sizes]
        outs = [op.matmul(part, adjoint=adjoint)
                for op, part in zip(self.operators, self._split(x, sizes))]
        return array_ops.concat(outs, -2)

    def _solve(self, rhs, adjoint):
        sizes = [c if adjoint else r for r, c in self._sizes]
        outs = [op.solve(part, adjoint=adjoint)
                for op, part in zip(self.operators, self._split(rhs, sizes))]
        return array_ops.concat(outs, -2)

    def _determinant(self):
        out = self.operators[0].determinant()
        for op in self.operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        return math_ops.add_n([op.log_abs_determinant() for op in self.operators])

    def _diag_part(self):
        return array_ops.concat([op.diag_part() for op in self.operators], -1)


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """A block lower-triangular operator: ``operators[i]`` holds the blocks of block
    row i, (i + 1) of them, the last on the diagonal (square)."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        rows = [list(r) for r in operators]
        if not rows or any(len(r) != i + 1 for i, r in enumerate(rows)):
            raise ValueError("LinearOperatorBlockLowerTriangular: block row i must hold i + 1 "
                             "operators")
        flat = [op for r in rows for op in r]
        _same_dtype("LinearOperatorBlockLowerTriangular", flat)
        self.operators = rows
        self._sizes = [_dims(r[-1], "diagonal", "LinearOperatorBlockLowerTriangular")[0]
                       for r in rows]
        for i, r in enumerate(rows):
            for j, op in enumerate(r):
                if op.shape[-2] != self._sizes[i] or op.shape[-1] != self._sizes[j]:
                    raise ValueError(f"LinearOperatorBlockLowerTriangular: block ({i}, {j}) "
                                     f"has shape {op.shape}, expected "
                                     f"[{self._sizes[i]}, {self._sizes[j]}]")
        if is_non_singular is None and all(r[-1].is_non_singular for r in rows):
            is_non_singular = True
        super().__init__(flat[0].dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name or "LinearOperatorBlockLowerTriangular",
                         {"operators": operators})

    def _shape(self):
        n = sum(self._sizes)
        return _batch_of([op for r in self.operators for op in r]).concatenate([n, n])

    def _to_dense(self):
        batch = _batch_of([op for r in self.operators for op in r])
        n = sum(self._sizes)
        out, start = [], 0
        for r in self.operators:
            blocks = [_broadcast_dense(op.to_dense(), batch) for op in r]
            row = array_ops.concat(blocks, -1)
            width = sum(self._sizes[:len(r)])
            out.append(array_ops.pad(row, [[0, 0]] * batch.rank + [[0, 0], [0, n - width]]))
            start += self._sizes[len(r) - 1]
        return array_ops.concat(out, -2)

    def _determinant(self):
        out = self.operators[0][-1].determinant()
        for r in self.operators[1:]:
            out = out * r[-1].determinant()
        return out

    def _log_abs_determinant(self):
        return math_ops.add_n([r[-1].log_abs_determinant() for r in self.operators])

    def _solve(self, rhs, adjoint):
        if adjoint:
            return super()._solve(rhs, adjoint)
        parts, start = [], 0
        for size in self._sizes:
            parts.append(rhs[..., start:start + size, :])
            start += size
        xs = []
        for i, r in enumerate(self.operators):
            acc = parts[i]
            for j, op in enumerate(r[:-1]):
                acc = acc - op.matmul(xs[j])
            xs.append(r[-1].solve(acc))
        return array_ops.concat(xs, -2)


def _kron(a, b):
    """Kronecker product of the last two dimensions."""
    m, n = a.shape[-2], a.shape[-1]
    p, q = b.shape[-2], b.shape[-1]
    prod = array_ops.expand_dims(array_ops.expand_dims(a, -1), -3) * \
        array_ops.expand_dims(array_ops.expand_dims(b, -3), -2)          # [.., m, p, n, q]
    batch = array_ops.shape(prod)[:-4]
    return array_ops.reshape(prod, array_ops.concat([batch, [m * p, n * q]], 0))


class LinearOperatorKronecker(LinearOperator):
    """The Kronecker product of ``operators`` (left to right).

    >>> a = ember.linalg.LinearOperatorFullMatrix([[1.0, 2.0], [3.0, 4.0]])
    >>> b = ember.linalg.LinearOperatorDiag([1.0, 10.0])
    >>> float(ember.linalg.LinearOperatorKronecker([a, b]).determinant())
    400.0
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        operators = list(operators)
        if not operators:
            raise ValueError("LinearOperatorKronecker: expected at least one operator")
        _same_dtype("LinearOperatorKronecker", operators)
        self.operators = operators
        self._sizes = [_dims(op, "factor", "LinearOperatorKronecker") for op in operators]
        if is_non_singular is None and all(op.is_non_singular for op in operators):
            is_non_singular = True
        if is_self_adjoint is None and all(op.is_self_adjoint for op in operators):
            is_self_adjoint = True
        super().__init__(operators[0].dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square,
                         name or "_x_".join(op.name for op in operators),
                         {"operators": operators})

    def _shape(self):
        rows = int(np.prod([r for r, _ in self._sizes]))
        cols = int(np.prod([c for _, c in self._sizes]))
        return _batch_of(self.operators).concatenate([rows, cols])

    def _to_dense(self):
        out = self.operators[0].to_dense()
        for op in self.operators[1:]:
            out = _kron(out, op.to_dense())
        return out

    def _determinant(self):
        if not all(r == c for r, c in self._sizes):
            return super()._determinant()
        total = int(np.prod([r for r, _ in self._sizes]))
        out = None
        for op, (r, _) in zip(self.operators, self._sizes):
            term = op.determinant() ** (total // r)
            out = term if out is None else out * term
        return out

    def _log_abs_determinant(self):
        if not all(r == c for r, c in self._sizes):
            return super()._log_abs_determinant()
        total = int(np.prod([r for r, _ in self._sizes]))
        return math_ops.add_n([op.log_abs_determinant() * float(total // r)
                               for op, (r, _) in zip(self.operators, self._sizes)])

    def _diag_part(self):
        if not all(r == c for r, c in self._sizes):
            return super()._diag_part()
        out = self.operators[0].diag_part()
        for op in self.operators[1:]:
            d = op.diag_part()
            out = array_ops.reshape(array_ops.expand_dims(out, -1) * array_ops.expand_dims(
                d, -2), array_ops.concat([array_ops.shape(out)[:-1], [-1]], 0))
        return out

    def _solve(self, rhs, adjoint):
        if not all(r == c for r, c in self._sizes):
            return super()._solve(rhs, adjoint)
        inv = [op.inverse() for op in self.operators]
        return LinearOperatorKronecker(inv).matmul(rhs, adjoint=adjoint)


class LinearOperatorLowRankUpdate(LinearOperator):
    """base_operator + U diag(diag_update) V^H (V = U when not given; diag_update = 1
    when not given), with solves by the Woodbury identity and the determinant by the
    matrix determinant lemma."""

    def __init__(self, base_operator, u, diag_update=None, v=None,
                 is_diag_update_positive=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorLowRankUpdate"):
        self.base_operator = base_operator
        self.u = tensor(u, dtype=base_operator.dtype)
        self.v = tensor(v, dtype=base_operator.dtype) if v is not None else self.u
        self.diag_update = tensor(diag_update, dtype=base_operator.dtype) \
            if diag_update is not None else None
        if is_self_adjoint is None and v is None and base_operator.is_self_adjoint:
            is_self_adjoint = True
        super().__init__(base_operator.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name,
                         {"base_operator": base_operator, "u": u, "diag_update": diag_update,
                          "v": v})

    def _shape(self):
        return self.base_operator.shape

    def _scaled_v(self):
        v = self.v
        if self.diag_update is not None:
            v = v * array_ops.expand_dims(math_ops.conj(self.diag_update)
                                          if self.dtype.is_complex else self.diag_update, -2)
        return v

    def _to_dense(self):
        return self.base_operator.to_dense() + linalg_ops.matmul(self.u, self._scaled_v(),
                                                                 adjoint_b=True)

    def _capacitance(self):
        """D^-1 + V^H L^-1 U (with D = I when there is no diag_update)."""
        k = self.u.shape[-1]
        linv_u = self.base_operator.solve(self.u)
        vh_linv_u = linalg_ops.matmul(self.v, linv_u, adjoint_a=True)
        if self.diag_update is None:
            d_inv = linalg_ops.diag(array_ops.ones([k], self.dtype))
        else:
            d_inv = linalg_ops.diag(math_ops.reciprocal(self.diag_update))
        return d_inv + vh_linv_u, linv_u

    def _solve(self, rhs, adjoint):
        if adjoint:
            return super()._solve(rhs, adjoint)
        cap, linv_u = self._capacitance()
        linv_rhs = self.base_operator.solve(rhs)
        correction = linalg_ops.matmul(linv_u, linalg_ops.solve(
            cap, linalg_ops.matmul(self.v, linv_rhs, adjoint_a=True)))
        return linv_rhs - correction

    def _log_abs_determinant(self):
        cap, _ = self._capacitance()
        out = self.base_operator.log_abs_determinant() + linalg_ops.slogdet(cap)[1]
        if self.diag_update is not None:
            out = out + reduce_ops.reduce_sum(math_ops.log(math_ops.abs(self.diag_update)),
                                              axis=-1)
        return out

    def _determinant(self):
        cap, _ = self._capacitance()
        out = self.base_operator.determinant() * linalg_ops.det(cap)
        if self.diag_update is not None:
            out = out * reduce_ops.reduce_prod(self.diag_update, axis=-1)
        return out


class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz matrix with first column ``col`` and first row ``row`` (row[0] is
    ignored; col[0] is the diagonal).

    >>> ember.linalg.LinearOperatorToeplitz([1.0, 2.0, 3.0], [1.0, 4.0, 5.0]).to_dense().numpy()
    array([[1., 4., 5.],
           [2., 1., 4.],
           [3., 2., 1.]], dtype=float32)
    """

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorToeplitz"):
        self.col = _float(col)
        self.row = tensor(row, dtype=self.col.dtype)
        n = self.col.shape[-1]
        if n is None or self.row.shape[-1] != n:
            raise ValueError(f"LinearOperatorToeplitz: col and row must have one known length, "
                             f"got {self.col.shape} and {self.row.shape}")
        super().__init__(self.col.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"col": col, "row": row})

    def _shape(self):
        n = self.col.shape[-1]
        return _broadcast_batch(self.col.shape[:-1], self.row.shape[:-1]).concatenate([n, n])

    def _to_dense(self):
        n = self.col.shape[-1]
        i = np.arange(n)[:, None]
        j = np.arange(n)[None, :]
        # [col[n-1], ..., col[1], col[0], row[1], ..., row[n-1]], indexed by j - i + n - 1
        both = array_ops.concat([array_ops.reverse(self.col, [-1]), self.row[..., 1:]], -1)
        return array_ops.gather(both, (j - i + n - 1).astype(np.int32), axis=-1)


class _CirculantBase(LinearOperator):
    """A (block) circulant operator given by its spectrum: A = F^-1 diag(spectrum) F with F
    the (rank-d) DFT of the (flattened) domain."""

    rank = 1

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=True, name=None):
        self.spectrum = tensor(spectrum)
        if not self.spectrum.dtype.is_complex:
            cdt = dtypes.complex128 if self.spectrum.dtype == dtypes.float64 \
                else dtypes.complex64
            self.spectrum = math_ops.cast(self.spectrum, cdt)
        self._io_dtype = dtypes.as_dtype(input_output_dtype)
        self._block = self.spectrum.shape[-self.rank:].as_list()
        if None in self._block:
            raise ValueError(f"{type(self).__name__}: the spectrum's shape must be known")
        super().__init__(self._io_dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name or type(self).__name__,
                         {"spectrum": spectrum, "input_output_dtype": input_output_dtype})

    @property
    def block_shape(self):
        return TensorShape(self._block)

    def _n(self):
        return int(np.prod(self._block))

    def _shape(self):
        n = self._n()
        return self.spectrum.shape[:-self.rank].concatenate([n, n])

    def _fft(self, x, inverse):
        fns = {1: (fft_ops.fft, fft_ops.ifft), 2: (fft_ops.fft2d, fft_ops.ifft2d),
               3: (fft_ops.fft3d, fft_ops.ifft3d)}[self.rank]
        return fns[1 if inverse else 0](x)

    def _apply(self, x, spectrum):
        """spectrum-weighted circular convolution of the columns of x [..., N, R]."""
        cdt = self.spectrum.dtype
        xc = math_ops.cast(x, cdt) if not x.dtype.is_complex else math_ops.cast(x, cdt)
        cols = linalg_ops.matrix_transpose(xc)                       # [..., R, N]
        shape = array_ops.concat([array_ops.shape(cols)[:-1], self._block], 0)
        blocks = array_ops.reshape(cols, shape)
        spec = spectrum
        for _ in range(1):
            spec = array_ops.expand_dims(spec, -self.rank - 1)       # broadcast over R
        out = self._fft(self._fft(blocks, False) * spec, True)
        out = array_ops.reshape(out, array_ops.shape(cols))
        out = linalg_ops.matrix_transpose(out)
        return math_ops.cast(out if self._io_dtype.is_complex else math_ops.real(out),
                             self._io_dtype)

    def _to_dense(self):
        n = self._n()
        eye = linalg_ops.diag(array_ops.ones([n], self._io_dtype))
        return self._apply(eye, self.spectrum)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = linalg_ops.adjoint(x) if adjoint_arg else x
        return self._apply(x, math_ops.conj(self.spectrum) if adjoint else self.spectrum)

    def _solve(self, rhs, adjoint):
        spec = math_ops.conj(self.spectrum) if adjoint else self.spectrum
        return self._apply(rhs, math_ops.reciprocal(spec))

    def _adjoint_op(self):
        # as TensorFlow: the conjugate spectrum, with the default (complex64) input/output
        return type(self)(math_ops.conj(self.spectrum))

    def _flat_spectrum(self):
        return array_ops.reshape(self.spectrum, array_ops.concat(
            [array_ops.shape(self.spectrum)[:-self.rank], [-1]], 0))

    def _determinant(self):
        det = reduce_ops.reduce_prod(self._flat_spectrum(), axis=-1)
        return det if self._io_dtype.is_complex else math_ops.cast(math_ops.real(det),
                                                                   self._io_dtype)

    def _log_abs_determinant(self):
        out = reduce_ops.reduce_sum(math_ops.log(math_ops.abs(self._flat_spectrum())), axis=-1)
        return math_ops.cast(out, self._io_dtype.real_dtype) if not \
            self._io_dtype.is_complex else out

    def _eigvals(self):
        return self._flat_spectrum()

    def convolution_kernel(self, name="convolution_kernel"):
        """The first column of the matrix, as a block of the spectrum's shape."""
        h = self._fft(self.spectrum, True)
        return h if self._io_dtype.is_complex else math_ops.cast(math_ops.real(h),
                                                                 self._io_dtype)


class LinearOperatorCirculant(_CirculantBase):
    """The circulant matrix whose eigenvalues are ``spectrum`` [..., N]: A x is the
    inverse FFT of spectrum * FFT(x)."""

    rank = 1


class LinearOperatorCirculant2D(_CirculantBase):
    """Block circulant with circulant blocks, from a spectrum [..., N0, N1] (2-D FFT)."""

    rank = 2


class LinearOperatorCirculant3D(_CirculantBase):
    """Nested block circulant, from a spectrum [..., N0, N1, N2] (3-D FFT)."""

    rank = 3


class LinearOperatorHouseholder(LinearOperator):
    """The reflection I - 2 v v^H / (v^H v) across the hyperplane orthogonal to
    ``reflection_axis`` v: self-adjoint, its own inverse, determinant -1.

    >>> ember.linalg.LinearOperatorHouseholder([1.0, 0.0]).matvec([3.0, 4.0]).numpy()
    array([-3.,  4.], dtype=float32)
    """

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorHouseholder"):
        self.reflection_axis = _float(reflection_axis)
        if is_positive_definite:
            raise ValueError("LinearOperatorHouseholder is not positive definite")
        super().__init__(self.reflection_axis.dtype, True, True, False, True, name,
                         {"reflection_axis": reflection_axis})

    def _shape(self):
        v = self.reflection_axis.shape
        return v.concatenate(v[-1:])

    def _unit(self):
        v = self.reflection_axis
        norm = math_ops.sqrt(reduce_ops.reduce_sum(math_ops.real(v * math_ops.conj(v)),
                                                   axis=-1, keepdims=True))
        return v / math_ops.cast(norm, v.dtype)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = linalg_ops.adjoint(x) if adjoint_arg else x
        u = array_ops.expand_dims(self._unit(), -1)
        return x - 2.0 * linalg_ops.matmul(u, linalg_ops.matmul(u, x, adjoint_a=True))

    def _to_dense(self):
        n = self.reflection_axis.shape[-1]
        return self._matmul(linalg_ops.diag(array_ops.ones([n], self.dtype)), False, False)

    def _solve(self, rhs, adjoint):
        return self._matmul(rhs, False, False)

    def _determinant(self):
        return -array_ops.ones_like(self.reflection_axis[..., 0])

    def _log_abs_determinant(self):
        return array_ops.zeros_like(math_ops.real(self.reflection_axis[..., 0]))

    def _inverse_op(self):
        return self


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix whose row i is the unit vector e_perm[i], so (P x)[i] =
    x[perm[i]].

    >>> ember.linalg.LinearOperatorPermutation([2, 0, 1]).matvec([1.0, 2.0, 3.0]).numpy()
    array([3., 1., 2.], dtype=float32)
    """

    def __init__(self, perm, dtype=dtypes.float32, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorPermutation"):
        self.perm = tensor(perm, dtype_hint=dtypes.int64)
        if not self.perm.dtype.is_integer:
            raise TypeError(f"LinearOperatorPermutation: perm must be integers, got "
                            f"{self.perm.dtype.name}")
        super().__init__(dtype, True, is_self_adjoint, is_positive_definite, True, name,
                         {"perm": perm, "dtype": dtype})

    def _shape(self):
        p = self.perm.shape
        return p.concatenate(p[-1:])

    def _to_dense(self):
        return array_ops.one_hot(self.perm, self.perm.shape[-1], dtype=self.dtype)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = linalg_ops.adjoint(x) if adjoint_arg else x
        batch = self.perm.shape.rank - 1
        if adjoint:
            inverse = reduce_ops.argsort(self.perm, axis=-1)
            return array_ops.gather(x, inverse, axis=-2, batch_dims=batch)
        return array_ops.gather(x, self.perm, axis=-2, batch_dims=batch)

    def _solve(self, rhs, adjoint):
        return self._matmul(rhs, not adjoint, False)

    def _determinant(self):
        return linalg_ops.det(self.to_dense())

    def _log_abs_determinant(self):
        return array_ops.zeros(self.batch_shape.as_list(), self.dtype)


class LinearOperatorTridiag(LinearOperator):
    """A tridiagonal operator from ``diagonals`` in the formats of
    ``tf.linalg.tridiagonal_matmul`` ("compact" [..., 3, N]: superdiagonal, diagonal,
    subdiagonal; "sequence"; "matrix")."""

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorTridiag"):
        from ember.ops.linalg_extra_ops import _tridiagonal_parts
        self.diagonals_format = diagonals_format
        if diagonals_format == "sequence":
            dtype = _float(diagonals[1]).dtype
        else:
            dtype = _float(diagonals).dtype
        self.diagonals = diagonals
        self._parts = _tridiagonal_parts(diagonals, diagonals_format, dtype,
                                         "LinearOperatorTridiag")
        super().__init__(dtype, is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name, {"diagonals": diagonals, "diagonals_format": diagonals_format})

    def _shape(self):
        main = self._parts[1].shape
        return main.concatenate(main[-1:])

    def _to_dense(self):
        from ember.ops.linalg_extra_ops import _tridiagonal_dense
        return _tridiagonal_dense(*self._parts)

    def _matmul(self, x, adjoint, adjoint_arg):
        from ember.ops.linalg_extra_ops import tridiagonal_matmul
        if adjoint:
            return super()._matmul(x, adjoint, adjoint_arg)
        x = linalg_ops.adjoint(x) if adjoint_arg else x
        return tridiagonal_matmul(list(self._parts), x, diagonals_format="sequence")

    def _diag_part(self):
        return self._parts[1]
