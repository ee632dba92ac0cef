"""``tf.linalg.LinearOperator``: a matrix (or a batch of them) known by its structure
rather than its entries, and the simple operators: FullMatrix, Diag, Identity,
ScaledIdentity, Zeros, LowerTriangular, Adjoint, Inversion, Composition.

The base class computes everything from ``to_dense()`` with ember's linalg ops (matmul,
solve, det, slogdet, eigvals, Cholesky), so any subclass that gives ``_to_dense`` is
complete; structured operators override what their structure makes cheap (a diagonal
solve is a division, a triangular one a triangular solve, a Kronecker product's
determinant a product of powers). All methods are written with public ops, so gradients
flow to the operator's parameters.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, creation_ops, linalg_ops, math_ops, reduce_ops
from ember.ops._base import tensor

__all__ = ["LinearOperator", "LinearOperatorAdjoint", "LinearOperatorComposition",
           "LinearOperatorDiag", "LinearOperatorFullMatrix", "LinearOperatorIdentity",
           "LinearOperatorInversion", "LinearOperatorLowerTriangular",
           "LinearOperatorScaledIdentity", "LinearOperatorZeros"]


def _adjoint(x):
    return linalg_ops.adjoint(x)


class LinearOperator:
    """Base class: an operator A of shape batch_shape + [M, N].

    Subclasses define ``_shape()`` (a TensorShape) and ``_to_dense()``; they may override
    ``_matmul``, ``_solve``, ``_determinant``, ``_log_abs_determinant``, ``_diag_part``,
    ``_trace``, ``_eigvals``, ``_adjoint_op``, ``_inverse_op`` and ``_cholesky_op``.
    """

    def __init__(self, dtype, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        if is_positive_definite and is_non_singular is False:
            raise ValueError("A positive definite operator is always non-singular")
        if is_positive_definite and is_square is False:
            raise ValueError("A positive definite operator is always square")
        if is_non_singular and is_square is False:
            raise ValueError("A non-singular operator is always square")
        self._is_non_singular = True if is_positive_definite else is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_hint = True if (is_non_singular or is_positive_definite) else is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # -- description
    @property
    def dtype(self):
        return self._dtype

    @property
    def name(self):
        return self._name

    @property
    def parameters(self):
        return dict(self._parameters)

    @property
    def graph_parents(self):
        return []

    @property
    def is_non_singular(self):
        return self._is_non_singular

    @property
    def is_self_adjoint(self):
        return self._is_self_adjoint

    @property
    def is_positive_definite(self):
        return self._is_positive_definite

    @property
    def is_square(self):
        shape = self.shape
        known = shape[-1] is not None and shape[-2] is not None
        if known:
            return shape[-1] == shape[-2]
        return self._is_square_hint

    @property
    def shape(self) -> TensorShape:
        return self._shape()

    def _shape(self) -> TensorShape:
        return self.to_dense().shape

    @property
    def batch_shape(self) -> TensorShape:
        return self.shape[:-2]

    @property
    def tensor_rank(self):
        return self.shape.rank

    @property
    def domain_dimension(self):
        return self.shape[-1]

    @property
    def range_dimension(self):
        return self.shape[-2]

    def shape_tensor(self, name="shape_tensor"):
        shape = self.shape
        if shape.is_fully_defined():
            return tensor(np.asarray(shape.as_list(), np.int32))
        return array_ops.shape(self.to_dense())

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        return self.shape_tensor()[:-2]

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        return array_ops.size(self.shape_tensor())

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        return self.shape_tensor()[-1]

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        return self.shape_tensor()[-2]

    def __repr__(self):
        return (f"<ember.linalg.{type(self).__name__} '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name if self.dtype else None}>")

    # -- the dense matrix
    def to_dense(self, name="to_dense"):
        """The operator as a dense tensor batch_shape + [M, N]."""
        return self._to_dense()

    def _to_dense(self):
        raise NotImplementedError(f"{type(self).__name__} must define _to_dense")

    # -- products and solves
    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """A @ x (adjoint(A) @ x with ``adjoint``; x's adjoint with ``adjoint_arg``); x is
        a tensor or another LinearOperator (giving a composition)."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        x = tensor(x, dtype=self.dtype)
        return self._matmul(x, adjoint, adjoint_arg)

    def _matmul(self, x, adjoint, adjoint_arg):
        return linalg_ops.matmul(self.to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def __matmul__(self, other):
        return self.matmul(other)

    def matvec(self, x, adjoint=False, name="matvec"):
        """A @ x for vectors x (batch_shape + [N])."""
        x = tensor(x, dtype=self.dtype)
        return array_ops.squeeze(self.matmul(array_ops.expand_dims(x, -1), adjoint), -1)

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with A @ X = rhs (adjoint(A) @ X with ``adjoint``)."""
        if isinstance(rhs, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = rhs.adjoint() if adjoint_arg else rhs
            return LinearOperatorComposition([left.inverse(), right])
        if self.is_square is False:
            raise NotImplementedError("solve: the operator is not square")
        rhs = tensor(rhs, dtype=self.dtype)
        if adjoint_arg:
            rhs = _adjoint(rhs)
        return self._solve(rhs, adjoint)

    def _solve(self, rhs, adjoint):
        return linalg_ops.solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        rhs = tensor(rhs, dtype=self.dtype)
        return array_ops.squeeze(self.solve(array_ops.expand_dims(rhs, -1), adjoint), -1)

    # -- scalars
    def _check_square(self, what):
        if self.is_square is False:
            raise NotImplementedError(f"{what}: the operator is not square")

    def determinant(self, name="det"):
        self._check_square("determinant")
        return self._determinant()

    def _determinant(self):
        return linalg_ops.det(self.to_dense())

    def log_abs_determinant(self, name="log_abs_det"):
        self._check_square("log_abs_determinant")
        return self._log_abs_determinant()

    def _log_abs_determinant(self):
        return linalg_ops.slogdet(self.to_dense())[1]

    def diag_part(self, name="diag_part"):
        return self._diag_part()

    def _diag_part(self):
        return linalg_ops.diag_part(self.to_dense())

    def trace(self, name="trace"):
        return self._trace()

    def _trace(self):
        return reduce_ops.reduce_sum(self.diag_part(), axis=-1)

    def add_to_tensor(self, x, name="add_to_tensor"):
        return self.to_dense() + tensor(x, dtype=self.dtype)

    def eigvals(self, name="eigvals"):
        self._check_square("eigvals")
        return self._eigvals()

    def _eigvals(self):
        if self.is_self_adjoint:
            return linalg_ops.eigvalsh(self.to_dense())
        from ember.ops.linalg_extra_ops import eigvals
        return eigvals(self.to_dense())

    def cond(self, name="cond"):
        """The condition number (largest over smallest singular value)."""
        s = linalg_ops.svd(self.to_dense(), compute_uv=False)
        return reduce_ops.reduce_max(s, axis=-1) / reduce_ops.reduce_min(s, axis=-1)

    # -- derived operators
    def adjoint(self, name=None):
        if self.is_self_adjoint:
            return self
        return self._adjoint_op()

    def _adjoint_op(self):
        return LinearOperatorAdjoint(self)

    H = property(adjoint)

    def inverse(self, name=None):
        if self.is_square is False:
            raise ValueError("inverse: the operator is not square")
        if self.is_non_singular is False:
            raise ValueError("inverse: the operator is singular")
        return self._inverse_op()

    def _inverse_op(self):
        return LinearOperatorInversion(self)

    def cholesky(self, name=None):
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError("cholesky: the operator must be self-adjoint and positive "
                             "definite (set is_self_adjoint and is_positive_definite)")
        return self._cholesky_op()

    def _cholesky_op(self):
        return LinearOperatorLowerTriangular(linalg_ops.cholesky(self.to_dense()),
                                             is_non_singular=True)

    # -- assertions
    def assert_non_singular(self, name="assert_non_singular"):
        from ember.ops.check_ops import assert_positive
        return assert_positive(math_ops.abs(self.determinant()),
                               message=f"{self.name} is singular")

    def assert_positive_definite(self, name="assert_positive_definite"):
        from ember.ops.check_ops import assert_positive
        return assert_positive(math_ops.real(self.eigvals()) if self.is_self_adjoint else
                               math_ops.real(linalg_ops.eigvalsh(self.to_dense())),
                               message=f"{self.name} is not positive definite")

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        from ember.ops.check_ops import assert_near
        dense = self.to_dense()
        return assert_near(dense, _adjoint(dense), message=f"{self.name} is not self-adjoint")


def _float(x, dtype=None):
    x = tensor(x, dtype=dtype)
    if dtype is None and not (x.dtype.is_floating or x.dtype.is_complex):
        x = math_ops.cast(x, dtypes.float32)
    return x


class LinearOperatorFullMatrix(LinearOperator):
    """An operator given by its dense matrix [..., M, N].

    >>> op = ember.linalg.LinearOperatorFullMatrix([[1.0, 2.0], [3.0, 4.0]])
    >>> op.matvec([1.0, 1.0]).numpy()
    array([3., 7.], dtype=float32)
    """

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorFullMatrix"):
        self._matrix = _float(matrix)
        if self._matrix.shape.rank is not None and self._matrix.shape.rank < 2:
            raise ValueError(f"LinearOperatorFullMatrix: matrix must have rank >= 2, got "
                             f"shape {self._matrix.shape}")
        super().__init__(self._matrix.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, {"matrix": matrix})

    def _shape(self):
        return self._matrix.shape

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """The diagonal operator diag(d) for d of shape [..., N].

    >>> op = ember.linalg.LinearOperatorDiag([2.0, 4.0])
    >>> op.solvevec([2.0, 2.0]).numpy(), float(op.determinant())
    (array([1. , 0.5], dtype=float32), 8.0)
    """

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorDiag"):
        self._diag = _float(diag)
        if is_self_adjoint is None and not self._diag.dtype.is_complex:
            is_self_adjoint = True
        super().__init__(self._diag.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"diag": diag})

    @property
    def diag(self):
        return self._diag

    def _shape(self):
        n = self._diag.shape[-1:] if self._diag.shape.rank is not None else TensorShape(None)
        return self._diag.shape.concatenate(n) if self._diag.shape.rank is not None else n

    def _to_dense(self):
        return linalg_ops.diag(self._diag)

    def _d(self, adjoint):
        return math_ops.conj(self._diag) if adjoint and self._diag.dtype.is_complex \
            else self._diag

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        return array_ops.expand_dims(self._d(adjoint), -1) * x

    def _solve(self, rhs, adjoint):
        return rhs / array_ops.expand_dims(self._d(adjoint), -1)

    def _determinant(self):
        return reduce_ops.reduce_prod(self._diag, axis=-1)

    def _log_abs_determinant(self):
        return reduce_ops.reduce_sum(math_ops.log(math_ops.abs(self._diag)), axis=-1)

    def _diag_part(self):
        return self._diag

    def _eigvals(self):
        return self._diag

    def _inverse_op(self):
        return LinearOperatorDiag(math_ops.reciprocal(self._diag),
                                  is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite)

    def _adjoint_op(self):
        return LinearOperatorDiag(math_ops.conj(self._diag))

    def _cholesky_op(self):
        return LinearOperatorDiag(math_ops.sqrt(self._diag), is_non_singular=True,
                                  is_self_adjoint=True, is_positive_definite=True)


class LinearOperatorScaledIdentity(LinearOperator):
    """multiplier * I of size ``num_rows`` (``multiplier`` may have batch dimensions).

    >>> op = ember.linalg.LinearOperatorScaledIdentity(3, 2.0)
    >>> float(op.determinant()), op.to_dense().shape
    (8.0, TensorShape([3, 3]))
    """

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorScaledIdentity"):
        self._num_rows = int(num_rows)
        if self._num_rows < 0:
            raise ValueError(f"{name}: num_rows must be >= 0, got {num_rows}")
        self._multiplier = _float(multiplier)
        if is_self_adjoint is None and not self._multiplier.dtype.is_complex:
            is_self_adjoint = True
        super().__init__(self._multiplier.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name,
                         {"num_rows": num_rows, "multiplier": multiplier})

    @property
    def multiplier(self):
        return self._multiplier

    def _shape(self):
        return self._multiplier.shape.concatenate([self._num_rows, self._num_rows])

    def _scale(self, adjoint):
        m = math_ops.conj(self._multiplier) if adjoint and self.dtype.is_complex \
            else self._multiplier
        return array_ops.expand_dims(array_ops.expand_dims(m, -1), -1)

    def _to_dense(self):
        return self._scale(False) * creation_ops.eye(self._num_rows, dtype=self.dtype)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        return self._scale(adjoint) * x

    def _solve(self, rhs, adjoint):
        return rhs / self._scale(adjoint)

    def _determinant(self):
        return self._multiplier ** self._num_rows

    def _log_abs_determinant(self):
        return self._num_rows * math_ops.log(math_ops.abs(self._multiplier))

    def _diag_part(self):
        return array_ops.expand_dims(self._multiplier, -1) * array_ops.ones(
            [self._num_rows], self.dtype)

    def _eigvals(self):
        return self._diag_part()

    def _inverse_op(self):
        return LinearOperatorScaledIdentity(self._num_rows, math_ops.reciprocal(
            self._multiplier), is_non_singular=self.is_non_singular,
            is_self_adjoint=self.is_self_adjoint)


class LinearOperatorIdentity(LinearOperator):
    """The identity of size ``num_rows`` (with optional batch_shape).

    >>> ember.linalg.LinearOperatorIdentity(2).matvec([3.0, 4.0]).numpy()
    array([3., 4.], dtype=float32)
    """

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True,
                 is_self_adjoint=True, is_positive_definite=True, is_square=True,
                 assert_proper_shapes=False, name="LinearOperatorIdentity"):
        self._num_rows = int(num_rows)
        if self._num_rows < 0:
            raise ValueError(f"{name}: num_rows must be >= 0, got {num_rows}")
        self._batch = [int(d) for d in batch_shape] if batch_shape is not None else []
        super().__init__(dtype or dtypes.float32, True, True, True, True, name,
                         {"num_rows": num_rows, "batch_shape": batch_shape})

    def _shape(self):
        return TensorShape(self._batch + [self._num_rows, self._num_rows])

    def _to_dense(self):
        eye = creation_ops.eye(self._num_rows, dtype=self.dtype)
        return eye if not self._batch else array_ops.broadcast_to(eye, self._shape())

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        return x + array_ops.zeros(self._batch + [1, 1], self.dtype) if self._batch else x

    def _solve(self, rhs, adjoint):
        return self._matmul(rhs, False, False)

    def _determinant(self):
        return array_ops.ones(self._batch, self.dtype)

    def _log_abs_determinant(self):
        return array_ops.zeros(self._batch, self.dtype)

    def _diag_part(self):
        return array_ops.ones(self._batch + [self._num_rows], self.dtype)

    def _eigvals(self):
        return self._diag_part()

    def _inverse_op(self):
        return self

    def _cholesky_op(self):
        return self


class LinearOperatorZeros(LinearOperator):
    """The zero operator of shape batch_shape + [num_rows, num_columns]."""

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None,
                 is_non_singular=False, is_self_adjoint=True, is_positive_definite=False,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorZeros"):
        self._rows = int(num_rows)
        self._cols = int(num_columns) if num_columns is not None else self._rows
        self._batch = [int(d) for d in batch_shape] if batch_shape is not None else []
        if is_square and self._rows != self._cols:
            raise ValueError(f"LinearOperatorZeros initialized as is_square=True, but got "
                             f"num_rows({self._rows}) != num_columns({self._cols})")
        if is_non_singular:
            raise ValueError("LinearOperatorZeros is singular")
        if is_positive_definite:
            raise ValueError("LinearOperatorZeros is not positive definite")
        super().__init__(dtype or dtypes.float32, False,
                         is_self_adjoint and self._rows == self._cols, False,
                         self._rows == self._cols, name,
                         {"num_rows": num_rows, "num_columns": num_columns})

    def _shape(self):
        return TensorShape(self._batch + [self._rows, self._cols])

    def _to_dense(self):
        return array_ops.zeros(self._shape().as_list(), self.dtype)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        rows = self._cols if adjoint else self._rows
        shape = array_ops.concat([array_ops.shape(x)[:-2], [rows], array_ops.shape(x)[-1:]], 0)
        out = array_ops.zeros(shape, self.dtype)
        return out + array_ops.zeros(self._batch + [1, 1], self.dtype) if self._batch else out

    def _solve(self, rhs, adjoint):
        raise ValueError("LinearOperatorZeros is singular: it cannot solve")

    def _determinant(self):
        return array_ops.zeros(self._batch, self.dtype)

    def _log_abs_determinant(self):
        return math_ops.log(array_ops.zeros(self._batch, self.dtype))

    def _diag_part(self):
        return array_ops.zeros(self._batch + [min(self._rows, self._cols)], self.dtype)


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of ``tril`` (entries above the diagonal are ignored).

    >>> op = ember.linalg.LinearOperatorLowerTriangular([[2.0, 9.0], [1.0, 4.0]])
    >>> op.to_dense().numpy()
    array([[2., 0.],
           [1., 4.]], dtype=float32)
    """

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        self._tril = linalg_ops.band_part(_float(tril), -1, 0)
        super().__init__(self._tril.dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name, {"tril": tril})

    def _shape(self):
        return self._tril.shape

    def _to_dense(self):
        return self._tril

    def _solve(self, rhs, adjoint):
        return linalg_ops.triangular_solve(self._tril, rhs, lower=True, adjoint=adjoint)

    def _determinant(self):
        return reduce_ops.reduce_prod(linalg_ops.diag_part(self._tril), axis=-1)

    def _log_abs_determinant(self):
        return reduce_ops.reduce_sum(math_ops.log(math_ops.abs(linalg_ops.diag_part(
            self._tril))), axis=-1)

    def _eigvals(self):
        return linalg_ops.diag_part(self._tril)


class LinearOperatorAdjoint(LinearOperator):
    """The adjoint (conjugate transpose) of another operator."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        self.operator = operator
        super().__init__(operator.dtype,
                         operator.is_non_singular if is_non_singular is None else
                         is_non_singular,
                         operator.is_self_adjoint if is_self_adjoint is None else
                         is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else
                         is_positive_definite,
                         operator.is_square if is_square is None else is_square,
                         name or operator.name + "_adjoint", {"operator": operator})

    def _shape(self):
        s = self.operator.shape
        return s[:-2].concatenate([s[-1], s[-2]])

    def _to_dense(self):
        return _adjoint(self.operator.to_dense())

    def _matmul(self, x, adjoint, adjoint_arg):
        return self.operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint):
        return self.operator.solve(rhs, adjoint=not adjoint)

    def _determinant(self):
        d = self.operator.determinant()
        return math_ops.conj(d) if self.dtype.is_complex else d

    def _log_abs_determinant(self):
        return self.operator.log_abs_determinant()

    def _adjoint_op(self):
        return self.operator


class LinearOperatorInversion(LinearOperator):
    """The inverse of a non-singular operator: matmul solves with it and solve multiplies."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        if operator.is_non_singular is False or operator.is_square is False:
            raise ValueError("LinearOperatorInversion: the operator must be non-singular "
                             "and square")
        self.operator = operator
        super().__init__(operator.dtype, True,
                         operator.is_self_adjoint if is_self_adjoint is None else
                         is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else
                         is_positive_definite, True, name or operator.name + "_inv",
                         {"operator": operator})

    def _shape(self):
        return self.operator.shape

    def _to_dense(self):
        return linalg_ops.inv(self.operator.to_dense())

    def _matmul(self, x, adjoint, adjoint_arg):
        return self.operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint):
        return self.operator.matmul(rhs, adjoint=adjoint)

    def _determinant(self):
        return math_ops.reciprocal(self.operator.determinant())

    def _log_abs_determinant(self):
        return -self.operator.log_abs_determinant()

    def _inverse_op(self):
        return self.operator


class LinearOperatorComposition(LinearOperator):
    """The product A1 @ A2 @ ... of ``operators`` (applied right to left).

    >>> a = ember.linalg.LinearOperatorDiag([1.0, 2.0])
    >>> b = ember.linalg.LinearOperatorFullMatrix([[0.0, 1.0], [1.0, 0.0]])
    >>> ember.linalg.LinearOperatorComposition([a, b]).to_dense().numpy()
    array([[0., 1.],
           [2., 0.]], dtype=float32)
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        operators = list(operators)
        if not operators:
            raise ValueError("LinearOperatorComposition: expected at least one operator")
        if any(op.dtype is not operators[0].dtype for op in operators):
            raise TypeError("LinearOperatorComposition: operators must have one dtype, got "
                            f"{[op.dtype.name for op in operators]}")
        for left, right in zip(operators, operators[1:]):
            a, b = left.domain_dimension, right.range_dimension
            if a is not None and b is not None and a != b:
                raise ValueError(f"LinearOperatorComposition: operator shapes {left.shape} "
                                 f"and {right.shape} do not compose")
        self.operators = operators
        if is_non_singular is None and all(op.is_non_singular for op in operators):
            is_non_singular = True
        super().__init__(operators[0].dtype, is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square,
                         name or "_o_".join(op.name for op in operators),
                         {"operators": operators})

    def _shape(self):
        batch = TensorShape([])
        for op in self.operators:
            batch = _broadcast_batch(batch, op.batch_shape)
        return batch.concatenate([self.operators[0].range_dimension,
                                  self.operators[-1].domain_dimension])

    def _to_dense(self):
        out = self.operators[-1].to_dense()
        for op in reversed(self.operators[:-1]):
            out = op.matmul(out)
        return out

    def _matmul(self, x, adjoint, adjoint_arg):
        if adjoint:
            out = self.operators[0].matmul(x, adjoint=True, adjoint_arg=adjoint_arg)
            for op in self.operators[1:]:
                out = op.matmul(out, adjoint=True)
            return out
        out = self.operators[-1].matmul(x, adjoint_arg=adjoint_arg)
        for op in reversed(self.operators[:-1]):
            out = op.matmul(out)
        return out

    def _solve(self, rhs, adjoint):
        if not all(op.is_square is not False for op in self.operators):
            return super()._solve(rhs, adjoint)
        if adjoint:
            out = rhs
            for op in reversed(self.operators):
                out = op.solve(out, adjoint=True)
            return out
        out = rhs
        for op in self.operators:
            out = op.solve(out)
        return out

    def _determinant(self):
        if all(op.is_square for op in self.operators):
            out = self.operators[0].determinant()
            for op in self.operators[1:]:
                out = out * op.determinant()
            return out
        return super()._determinant()

    def _log_abs_determinant(self):
        if all(op.is_square for op in self.operators):
            return math_ops.add_n([op.log_abs_determinant() for op in self.operators])
        return super()._log_abs_determinant()


def _broadcast_batch(a, b):
    from ember.framework.tensor_shape import broadcast_static
    return broadcast_static(a, b, "LinearOperator")


class CGState(tuple):
    """conjugate_gradient's result: (i, x, r, p, gamma)."""

    __slots__ = ()
    _fields = ("i", "x", "r", "p", "gamma")

    def __new__(cls, i, x, r, p, gamma):
        return super().__new__(cls, (i, x, r, p, gamma))

    i = property(lambda self: self[0])
    x = property(lambda self: self[1])
    r = property(lambda self: self[2])
    p = property(lambda self: self[3])
    gamma = property(lambda self: self[4])

    def __repr__(self):
        return "CGState(" + ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self)) + ")"


def conjugate_gradient(operator, rhs, preconditioner=None, x=None, tol=1e-5, max_iter=20,
                       name="conjugate_gradient"):
    """Solves operator @ x = rhs for a self-adjoint positive definite ``operator`` by
    (preconditioned) conjugate gradients, stopping when every residual norm is below
    ``tol`` times its initial value or after ``max_iter`` steps; returns a CGState.

    >>> op = ember.linalg.LinearOperatorFullMatrix([[4.0, 1.0], [1.0, 3.0]],
    ...     is_self_adjoint=True, is_positive_definite=True)
    >>> ember.linalg.experimental.conjugate_gradient(op, [1.0, 2.0]).x.numpy()
    array([0.09090909, 0.6363636 ], dtype=float32)
    """
    from ember.ops.control_flow_ops import while_loop
    if not (operator.is_self_adjoint and operator.is_positive_definite):
        raise ValueError("conjugate_gradient: the operator must be self-adjoint and positive "
                         "definite (set is_self_adjoint and is_positive_definite)")
    rhs = tensor(rhs, dtype=operator.dtype)

    def dot(a, b):
        return reduce_ops.reduce_sum(math_ops.conj(a) * b if a.dtype.is_complex else a * b,
                                     axis=-1)

    def precondition(r):
        return r if preconditioner is None else preconditioner.matvec(r)

    if x is None:
        x = array_ops.zeros_like(rhs)
        r0 = rhs
    else:
        x = tensor(x, dtype=operator.dtype)
        r0 = rhs - operator.matvec(x)
    q0 = precondition(r0)
    gamma0 = dot(r0, q0)
    limit = float(tol) * _norm(r0)

    def keep_going(i, x, r, p, gamma):
        return math_ops.logical_and(math_ops.less(i, max_iter), reduce_ops.reduce_any(
            math_ops.greater(_norm(r), limit)))

    def step(i, x, r, p, gamma):
        z = operator.matvec(p)
        alpha = gamma / dot(p, z)
        x = x + array_ops.expand_dims(alpha, -1) * p
        r = r - array_ops.expand_dims(alpha, -1) * z
        q = precondition(r)
        new_gamma = dot(r, q)
        beta = new_gamma / gamma
        p = q + array_ops.expand_dims(beta, -1) * p
        return i + 1, x, r, p, new_gamma

    start = tensor(np.int32(0))
    return CGState(*while_loop(keep_going, step, [start, x, r0, q0, gamma0]))


def _norm(v):
    return math_ops.sqrt(reduce_ops.reduce_sum(math_ops.real(v * math_ops.conj(v)) if
                                               v.dtype.is_complex else v * v, axis=-1))
