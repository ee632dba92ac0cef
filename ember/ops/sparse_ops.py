"""``tf.sparse``: ``SparseTensor`` (COO: int64 ``indices`` [N, rank], ``values`` [N], int64
``dense_shape`` [rank]) and its ops.

A SparseTensor is a ``nest.CompositeTensor`` of its three tensors, so it passes through
``ember.function`` arguments and results, ``cond`` and ``while_loop``. Two ops have
kernels of their own (``SparseToDense``, ``SparseDenseMatMul``); everything else is built
from public ops (gather, segment sums, unique, where), so it works eagerly and traced,
and values get gradients.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.nest import CompositeTensor
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["SparseTensor", "SparseTensorSpec", "to_dense", "from_dense", "sparse_dense_matmul", "add",
           "reduce_sum", "reduce_max", "reorder", "reshape", "transpose", "retain", "slice",
           "concat", "expand_dims", "fill_empty_rows", "reset_shape", "to_indicator", "eye",
           "map_values", "softmax", "maximum", "minimum", "split", "segment_sum",
           "segment_mean", "segment_sqrt_n", "bincount", "sampled_addmm"]


class _Namespace:
    """The op functions sparse ops are written with (``tf.x`` and ``tf.math.x`` alike)."""

    def __init__(self):
        from ember.framework import tensor
        from ember.ops import array_ops, creation_ops, linalg_ops, math_ops, reduce_ops
        for module in (tensor, array_ops, creation_ops, linalg_ops, math_ops, reduce_ops):
            for name in getattr(module, "__all__", ()):
                setattr(self, name, getattr(module, name))
        self.constant = tensor.constant
        self.math = self


_NAMESPACE = []


def _ops():
    if not _NAMESPACE:
        _NAMESPACE.append(_Namespace())
    return _NAMESPACE[0]


def _known(t):
    if isinstance(t, EagerTensor):
        return t._value
    return getattr(t, "_constant_value", None)


class SparseTensor(CompositeTensor):
    """A tensor stored as the positions and values of its non-default entries.

    >>> st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0],
    ...                             dense_shape=[3, 4])
    >>> tf.sparse.to_dense(st).numpy()
    array([[1., 0., 0., 0.], [0., 0., 2., 0.], [0., 0., 0., 0.]], dtype=float32)
    """

    def __init__(self, indices, values, dense_shape):
        self.indices = convert_to_tensor(indices, dtype=dtypes.int64) if not isinstance(
            indices, Tensor) or indices.dtype is dtypes.int64 else _ops().cast(indices,
                                                                               dtypes.int64)
        self.values = convert_to_tensor(values)
        self.dense_shape = convert_to_tensor(dense_shape, dtype=dtypes.int64) if not \
            isinstance(dense_shape, Tensor) else _ops().cast(dense_shape, dtypes.int64)
        if self.indices.shape.rank not in (None, 2):
            raise ValueError(f"SparseTensor: indices must be a matrix [N, rank], got shape "
                             f"{self.indices.shape}")
        if self.values.shape.rank not in (None, 1):
            raise ValueError(f"SparseTensor: values must be a vector, got shape "
                             f"{self.values.shape}")
        n_idx, n_val = self.indices.shape[0] if self.indices.shape.rank else None, \
            self.values.shape[0] if self.values.shape.rank else None
        if n_idx is not None and n_val is not None and n_idx != n_val:
            raise ValueError(f"SparseTensor: {n_idx} indices but {n_val} values")

    @classmethod
    def from_value(cls, value):
        if isinstance(value, SparseTensor):
            return value
        raise TypeError(f"SparseTensor.from_value: expected a SparseTensor, got "
                        f"{type(value).__name__}")

    # -- composite -----------------------------------------------------------------------
    def _ember_components(self):
        return [self.indices, self.values, self.dense_shape]

    def _ember_rebuild(self, components):
        out = SparseTensor.__new__(SparseTensor)
        out.indices, out.values, out.dense_shape = components
        return out

    # -- properties ---------------------------------------------------------------------
    @property
    def dtype(self):
        return self.values.dtype

    @property
    def shape(self) -> TensorShape:
        v = _known(self.dense_shape)
        if v is not None:
            return TensorShape([int(d) for d in v])
        rank = self.dense_shape.shape[0] if self.dense_shape.shape.rank else None
        return TensorShape(None if rank is None else [None] * rank)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def rank(self):
        return self.shape.rank

    def with_values(self, new_values):
        """The same positions with new values."""
        return SparseTensor(self.indices, new_values, self.dense_shape)

    def consumers(self):
        return []

    def __mul__(self, other):
        return _cwise(self, other, "multiply")

    def __truediv__(self, other):
        return _cwise(self, other, "divide")

    __div__ = __truediv__

    def __neg__(self):
        return self.with_values(-self.values)

    def __repr__(self):
        return (f"SparseTensor(indices={self.indices}, values={self.values}, "
                f"dense_shape={self.dense_shape})")

    __str__ = __repr__


class SparseTensorSpec(CompositeTensor):
    """Describes a SparseTensor argument (``input_signature``): dense shape and dtype.

    >>> @tf.function(input_signature=[tf.SparseTensorSpec([None, 4], tf.float32)])
    ... def row_sums(sp):
    ...     return tf.sparse.reduce_sum(sp, axis=1)
    """

    def __init__(self, shape=None, dtype=dtypes.float32):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @classmethod
    def from_value(cls, value):
        _check_sparse(value, "SparseTensorSpec.from_value")
        return cls(value.shape, value.dtype)

    def _ember_components(self):
        from ember.engine.function import TensorSpec
        rank = self._shape.rank
        return [TensorSpec([None, rank], dtypes.int64), TensorSpec([None], self._dtype),
                TensorSpec([rank], dtypes.int64)]

    def _ember_rebuild(self, components):
        if all(type(c).__name__ == "TensorSpec" for c in components):
            return SparseTensorSpec(self._shape, self._dtype)
        out = SparseTensor.__new__(SparseTensor)
        out.indices, out.values, out.dense_shape = components
        return out

    def is_compatible_with(self, other) -> bool:
        shape = getattr(other, "shape", None)
        return isinstance(other, (SparseTensor, SparseTensorSpec)) and \
            other.dtype is self._dtype and self._shape.is_compatible_with(shape)

    def __eq__(self, other):
        return isinstance(other, SparseTensorSpec) and self._shape == other._shape and \
            self._dtype is other._dtype

    def __hash__(self):
        return hash((self._shape, self._dtype.name))

    def __repr__(self):
        return f"SparseTensorSpec(TensorShape({self._shape.as_list() if self._shape.rank is not None else None}), {self._dtype!r})"


def _check_sparse(sp, what):
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"{what}: expected a SparseTensor, got {type(sp).__name__}")


def _cwise(sp, dense, kind):
    tf = _ops()
    dense = convert_to_tensor(dense, dtype_hint=sp.dtype)
    full = tf.broadcast_to(dense, sp.dense_shape)
    at = tf.gather_nd(full, sp.indices)
    return sp.with_values(tf.multiply(sp.values, at) if kind == "multiply" else
                          tf.divide(sp.values, at))


# ------------------------------------------------------------------- to_dense op ---

class _SparseToDense(Op):
    """A dense tensor of ``dense_shape`` holding ``values`` at ``indices``, ``default``
    elsewhere."""

    name = "SparseToDense"
    strings = True

    def infer(self, inputs):
        idx, vals, shape, _ = inputs
        if shape.value is not None:
            return TensorShape([int(d) for d in shape.value]), vals.dtype
        rank = idx.shape[1] if idx.shape.rank == 2 else None
        return TensorShape(None if rank is None else [None] * rank), vals.dtype

    def kernel(self, xp, idx, vals, shape, default):
        shape = tuple(int(d) for d in shape)
        idx = np.asarray(idx, dtype=np.int64).reshape(-1, len(shape))
        if idx.size and (np.any(idx < 0) or np.any(idx >= np.asarray(shape))):
            bad = idx[np.any((idx < 0) | (idx >= np.asarray(shape)), axis=1)][0]
            raise InvalidArgumentError(f"to_dense: index {bad.tolist()} is out of bounds for "
                                       f"dense shape {list(shape)}")
        out = np.full(shape, default, dtype=np.asarray(vals).dtype)
        out[tuple(idx.T)] = vals
        return out

    def grad(self, call, g):
        tf = _ops()
        return None, tf.gather_nd(g, call.inputs[0]), None, None


SPARSE_TO_DENSE = _SparseToDense()


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor (``default_value``, 0 by default, where no entry is given)."""
    _check_sparse(sp_input, "to_dense")
    default = convert_to_tensor(0 if default_value is None else default_value,
                                dtype=sp_input.dtype)
    return execute(SPARSE_TO_DENSE, [sp_input.indices, sp_input.values, sp_input.dense_shape,
                                     default], {}, name)


def from_dense(tensor, name=None):
    """The SparseTensor of ``tensor``'s non-zero entries."""
    tf = _ops()
    tensor = convert_to_tensor(tensor)
    zero = tf.zeros([], tensor.dtype) if tensor.dtype is not dtypes.string else \
        convert_to_tensor(b"")
    indices = tf.where(tf.not_equal(tensor, zero))
    return SparseTensor(indices, tf.gather_nd(tensor, indices),
                        tf.shape(tensor, out_type=dtypes.int64))


# ------------------------------------------------------------------------ matmul ---

class _SparseDenseMatMul(Op):
    """``A @ b`` with A given by (rows, cols, values) and ``m`` rows."""

    name = "SparseDenseMatMul"

    def infer(self, inputs):
        rows, cols, vals, m, b = inputs
        if vals.dtype is not b.dtype:
            raise TypeError(f"sparse_dense_matmul: the sparse values are {vals.dtype.name} but "
                            f"the dense matrix is {b.dtype.name}")
        if b.shape.rank not in (None, 2):
            raise ValueError(f"sparse_dense_matmul: the dense operand must be a matrix, got "
                             f"shape {b.shape}")
        mv = None if m.value is None else int(m.value)
        n = b.shape[1] if b.shape.rank == 2 else None
        return TensorShape([mv, n]), b.dtype

    def kernel(self, xp, rows, cols, vals, m, b):
        rows = np.asarray(rows, np.int64)
        cols = np.asarray(cols, np.int64)
        if cols.size and (cols.max() >= b.shape[0] or cols.min() < 0):
            raise InvalidArgumentError(f"sparse_dense_matmul: a column index "
                                       f"({int(cols.max())}) is out of range for a dense "
                                       f"operand with {b.shape[0]} rows")
        out = np.zeros((int(m), b.shape[1]), dtype=b.dtype)
        if rows.size:
            np.add.at(out, rows, np.asarray(vals)[:, None] * b[cols])
        return out

    def grad(self, call, g):
        tf = _ops()
        rows, cols, vals, m, b = call.inputs
        d_vals = tf.reduce_sum(tf.gather(g, rows) * tf.gather(b, cols), axis=1)
        d_b = execute(SPARSE_DENSE_MATMUL, [cols, rows, vals, tf.shape(b, out_type=dtypes.int64
                                                                        )[0], g])
        return None, None, d_vals, None, d_b


SPARSE_DENSE_MATMUL = _SparseDenseMatMul()


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``sp_a @ b`` for a sparse matrix and a dense one (either may come first; adjoints
    conjugate-transpose). Gradients flow to the sparse values and to ``b``.

    >>> tf.sparse.sparse_dense_matmul(st, tf.ones([4, 2]))
    """
    tf = _ops()
    if not isinstance(sp_a, SparseTensor) and isinstance(b, SparseTensor):
        # dense @ sparse = (sparse^H @ dense^H)^H
        out = sparse_dense_matmul(b, sp_a, adjoint_a=not adjoint_b, adjoint_b=not adjoint_a)
        return _adjoint(out)
    _check_sparse(sp_a, "sparse_dense_matmul")
    b = convert_to_tensor(b, dtype_hint=sp_a.dtype)
    if adjoint_b:
        b = _adjoint(b)
    if sp_a.indices.shape.rank == 2 and sp_a.indices.shape[1] not in (None, 2):
        raise ValueError("sparse_dense_matmul: the sparse operand must be a matrix")
    rows, cols = sp_a.indices[:, 0], sp_a.indices[:, 1]
    vals = sp_a.values
    m = sp_a.dense_shape[0]
    if adjoint_a:
        rows, cols, m = cols, rows, sp_a.dense_shape[1]
        if vals.dtype.is_complex:
            vals = tf.math.conj(vals)
    return execute(SPARSE_DENSE_MATMUL, [rows, cols, vals, m, b], {}, name)


def _adjoint(x):
    tf = _ops()
    x = tf.transpose(x)
    return tf.math.conj(x) if x.dtype.is_complex else x


# ---------------------------------------------------------------- index helpers ---

def _strides(dense_shape):
    """Row-major strides of ``dense_shape`` (int64 vector)."""
    tf = _ops()
    return tf.math.cumprod(dense_shape, exclusive=True, reverse=True)


def _linear(indices, dense_shape):
    tf = _ops()
    return tf.reduce_sum(indices * _strides(dense_shape)[None, :], axis=1)


def _unlinear(lin, dense_shape):
    strides = _strides(dense_shape)
    return (lin[:, None] // strides[None, :]) % dense_shape[None, :]


def reorder(sp_input, name=None):
    """The same SparseTensor with entries in row-major (canonical) order."""
    _check_sparse(sp_input, "reorder")
    tf = _ops()
    order = tf.argsort(_linear(sp_input.indices, sp_input.dense_shape), stable=True)
    return SparseTensor(tf.gather(sp_input.indices, order), tf.gather(sp_input.values, order),
                        sp_input.dense_shape)


def _combine(indices, values, dense_shape):
    """Entries at equal positions summed, in canonical order."""
    tf = _ops()
    lin = _linear(indices, dense_shape)
    uniq, pos = tf.unique(lin)
    summed = tf.math.unsorted_segment_sum(values, pos, tf.size(uniq))
    order = tf.argsort(uniq)
    return SparseTensor(_unlinear(tf.gather(uniq, order), dense_shape),
                        tf.gather(summed, order), dense_shape)


# ------------------------------------------------------------------ arithmetic ---

def add(a, b, threshold=0):
    """``a + b``: a SparseTensor when both are sparse (entries whose magnitude is below
    ``threshold`` dropped), a dense tensor when one is dense."""
    tf = _ops()
    a_sp, b_sp = isinstance(a, SparseTensor), isinstance(b, SparseTensor)
    if not a_sp and not b_sp:
        raise TypeError("sparse.add: at least one argument must be a SparseTensor")
    if a_sp != b_sp:
        sp, dense = (a, b) if a_sp else (b, a)
        return to_dense(sp) + convert_to_tensor(dense, dtype_hint=sp.dtype)
    if a.dtype is not b.dtype:
        raise TypeError(f"sparse.add: dtypes differ ({a.dtype.name} and {b.dtype.name})")
    out = _combine(tf.concat([a.indices, b.indices], 0), tf.concat([a.values, b.values], 0),
                   a.dense_shape)
    known = _known(convert_to_tensor(threshold)) if not isinstance(threshold, (int, float)) \
        else threshold
    if known is not None and float(np.max(np.abs(known))) == 0.0:
        return out
    keep = tf.abs(out.values) >= tf.cast(threshold, out.values.dtype if not
                                         out.dtype.is_complex else dtypes.float32)
    return retain(out, keep)


def _dense_with(sp, fill):
    return to_dense(sp, default_value=fill)


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The sum over ``axis`` (all by default) of the entries (dense result, or sparse with
    ``output_is_sparse``)."""
    _check_sparse(sp_input, "sparse.reduce_sum")
    out = _ops().reduce_sum(to_dense(sp_input), axis=axis, keepdims=bool(keepdims))
    return from_dense(out) if output_is_sparse else out


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """The maximum over ``axis`` of the entries present (absent entries take no part)."""
    _check_sparse(sp_input, "sparse.reduce_max")
    d = sp_input.dtype
    low = -np.inf if d.is_floating else np.iinfo(d.np).min
    out = _ops().reduce_max(_dense_with(sp_input, low), axis=axis, keepdims=bool(keepdims))
    return from_dense(out) if output_is_sparse else out


def _elementwise(a, b, fn, what):
    tf = _ops()
    _check_sparse(a, what)
    _check_sparse(b, what)
    union = _combine(tf.concat([a.indices, b.indices], 0),
                     tf.zeros_like(tf.concat([a.values, b.values], 0)), a.dense_shape)
    va = tf.gather_nd(to_dense(a), union.indices)
    vb = tf.gather_nd(to_dense(b), union.indices)
    return union.with_values(fn(va, vb))


def maximum(sp_a, sp_b, name=None):
    """Element-wise maximum of two SparseTensors (absent entries count as 0)."""
    return _elementwise(sp_a, sp_b, _ops().maximum, "sparse.maximum")


def minimum(sp_a, sp_b, name=None):
    """Element-wise minimum of two SparseTensors (absent entries count as 0)."""
    return _elementwise(sp_a, sp_b, _ops().minimum, "sparse.minimum")


def softmax(sp_input, name=None):
    """Softmax over the entries present in each innermost row (absent entries take no
    part)."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.softmax")
    v = sp_input.values
    low = -np.inf if v.dtype.is_floating else np.iinfo(v.dtype.np).min
    row_max = tf.reduce_max(to_dense(sp_input, default_value=low), axis=-1)
    lead = sp_input.indices[:, :-1]
    top = tf.stop_gradient(tf.gather_nd(row_max, lead))
    e = tf.exp(v - top)
    rows = _linear(lead, sp_input.dense_shape[:-1])
    uniq, seg = tf.unique(rows)
    total = tf.math.unsorted_segment_sum(e, seg, tf.size(uniq))
    return sp_input.with_values(e / tf.gather(total, seg))


# ------------------------------------------------------------------- structure ---

def retain(sp_input, to_retain):
    """The entries where the bool vector ``to_retain`` is true."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.retain")
    keep = convert_to_tensor(to_retain)
    return SparseTensor(tf.boolean_mask(sp_input.indices, keep),
                        tf.boolean_mask(sp_input.values, keep), sp_input.dense_shape)


def reshape(sp_input, shape, name=None):
    """The same entries in a dense shape of the same size (one dimension may be -1)."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.reshape")
    old = sp_input.dense_shape
    new = tf.cast(convert_to_tensor(shape), dtypes.int64)
    total = tf.reduce_prod(old)
    known_part = tf.reduce_prod(tf.where(new < 0, tf.ones_like(new), new))
    new = tf.where(new < 0, total // known_part, new)
    ok_old, ok_new = _known(total), _known(tf.reduce_prod(new))
    if ok_old is not None and ok_new is not None and int(ok_old) != int(ok_new):
        raise ValueError(f"sparse.reshape: cannot reshape a SparseTensor with "
                         f"{int(ok_old)} elements to shape {_known(new).tolist()}")
    lin = _linear(sp_input.indices, old)
    return SparseTensor(_unlinear(lin, new), sp_input.values, new)


def transpose(sp_input, perm=None, name=None):
    """The SparseTensor with its dimensions permuted (reversed by default)."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.transpose")
    rank = sp_input.shape.rank
    if perm is None:
        perm = list(range(rank - 1, -1, -1))
    perm_t = convert_to_tensor(perm, dtype=dtypes.int32)
    out = SparseTensor(tf.gather(sp_input.indices, perm_t, axis=1), sp_input.values,
                       tf.gather(sp_input.dense_shape, perm_t))
    return reorder(out)


def slice(sp_input, start, size, name=None):  # noqa: A001
    """The entries inside the box ``[start, start + size)``, re-based at ``start``."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.slice")
    start = tf.cast(convert_to_tensor(start), dtypes.int64)
    size = tf.cast(convert_to_tensor(size), dtypes.int64)
    idx = sp_input.indices
    inside = tf.reduce_all((idx >= start[None, :]) & (idx < (start + size)[None, :]), axis=1)
    shape = tf.maximum(tf.minimum(size, sp_input.dense_shape - start), 0)
    return SparseTensor(tf.boolean_mask(idx, inside) - start[None, :],
                        tf.boolean_mask(sp_input.values, inside), shape)


def split(sp_input=None, num_split=None, axis=None, name=None):
    """``num_split`` SparseTensors along ``axis`` (the first ones one longer when the
    size does not divide evenly, as TensorFlow splits)."""
    _check_sparse(sp_input, "sparse.split")
    shape = _known(sp_input.dense_shape)
    if shape is None:
        raise NotImplementedError("sparse.split: the dense shape must be known")
    rank = len(shape)
    axis = int(axis) + rank if int(axis) < 0 else int(axis)
    n = int(shape[axis])
    base, extra = divmod(n, int(num_split))
    out, begin = [], 0
    for k in range(int(num_split)):
        length = base + (1 if k < extra else 0)
        start = [0] * rank
        start[axis] = begin
        size = [int(d) for d in shape]
        size[axis] = length
        out.append(slice(sp_input, start, size))
        begin += length
    return out


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None):
    """SparseTensors joined along ``axis`` (other dimensions must match unless
    ``expand_nonconcat_dims``, which takes their maximum)."""
    tf = _ops()
    sp_inputs = list(sp_inputs)
    for s in sp_inputs:
        _check_sparse(s, "sparse.concat")
    rank = sp_inputs[0].shape.rank
    axis = int(axis) + rank if int(axis) < 0 else int(axis)
    onehot = convert_to_tensor(np.eye(rank, dtype=np.int64)[axis])
    shapes = [s.dense_shape for s in sp_inputs]
    other = tf.reduce_max(tf.stack(shapes), axis=0) if expand_nonconcat_dims else shapes[0]
    if not expand_nonconcat_dims:
        known = [_known(s) for s in shapes]
        if all(k is not None for k in known):
            for k in known[1:]:
                if any(a != b for i, (a, b) in enumerate(zip(known[0], k)) if i != axis):
                    raise ValueError(f"sparse.concat: shapes {known[0].tolist()} and "
                                     f"{k.tolist()} differ outside axis {axis}")
    offset = tf.zeros([], dtypes.int64)
    indices = []
    for s in sp_inputs:
        indices.append(s.indices + offset * onehot[None, :])
        offset = offset + s.dense_shape[axis]
    shape = other * (1 - onehot) + offset * onehot
    return reorder(SparseTensor(tf.concat(indices, 0), tf.concat([s.values for s in sp_inputs],
                                                                   0), shape))


def expand_dims(sp_input, axis=None, name=None):
    """A new dimension of size 1 at ``axis``."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.expand_dims")
    rank = sp_input.shape.rank
    axis = 0 if axis is None else int(axis)
    axis = axis + rank + 1 if axis < 0 else axis
    idx = sp_input.indices
    zeros = tf.zeros_like(idx[:, :1])
    new_idx = tf.concat([idx[:, :axis], zeros, idx[:, axis:]], 1)
    one = tf.ones([1], dtypes.int64)
    shape = tf.concat([sp_input.dense_shape[:axis], one, sp_input.dense_shape[axis:]], 0)
    return SparseTensor(new_idx, sp_input.values, shape)


def fill_empty_rows(sp_input, default_value, name=None):
    """Adds ``default_value`` at ``[row, 0, ...]`` for every row without entries; returns
    ``(sparse, empty_row_indicator)``."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.fill_empty_rows")
    rows = sp_input.dense_shape[0]
    counts = tf.math.unsorted_segment_sum(tf.ones_like(sp_input.indices[:, 0]),
                                          sp_input.indices[:, 0], rows)
    empty = tf.equal(counts, 0)
    new_rows = tf.where(empty)
    rank = sp_input.indices.shape[1]
    pad = tf.zeros_like(tf.tile(new_rows, [1, rank - 1])) if rank and rank > 1 else None
    new_idx = new_rows if pad is None else tf.concat([new_rows, pad], 1)
    n_new = tf.shape(new_rows)[0]
    fill = tf.fill(tf.reshape(n_new, [1]), convert_to_tensor(default_value,
                                                               dtype=sp_input.dtype))
    out = SparseTensor(tf.concat([sp_input.indices, new_idx], 0),
                       tf.concat([sp_input.values, fill], 0), sp_input.dense_shape)
    return reorder(out), empty


def reset_shape(sp_input, new_shape=None):
    """The same entries with a new dense shape (by default the tightest one)."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.reset_shape")
    if new_shape is None:
        shape = tf.reduce_max(sp_input.indices, axis=0) + 1
    else:
        shape = tf.cast(convert_to_tensor(new_shape), dtypes.int64)
        need, have = _known(tf.reduce_max(sp_input.indices, axis=0) + 1), _known(shape)
        if need is not None and have is not None and np.any(have < need):
            raise ValueError(f"sparse.reset_shape: new shape {have.tolist()} is smaller than "
                             f"the entries need ({need.tolist()})")
    return SparseTensor(sp_input.indices, sp_input.values, shape)


def to_indicator(sp_input, vocab_size, name=None):
    """A dense bool tensor ``[..., vocab_size]``, true at each row's integer values."""
    tf = _ops()
    _check_sparse(sp_input, "sparse.to_indicator")
    idx = tf.concat([sp_input.indices[:, :-1], tf.cast(sp_input.values, dtypes.int64)[:, None]],
                    1)
    shape = tf.concat([sp_input.dense_shape[:-1], tf.cast(tf.reshape(vocab_size, [1]),
                                                          dtypes.int64)], 0)
    ones = tf.ones_like(sp_input.values, dtype=dtypes.bool)
    return to_dense(SparseTensor(idx, ones, shape), default_value=False)


def eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """The identity matrix as a SparseTensor."""
    rows = int(_known(convert_to_tensor(num_rows)))
    cols = rows if num_columns is None else int(_known(convert_to_tensor(num_columns)))
    n = min(rows, cols)
    idx = np.stack([np.arange(n), np.arange(n)], 1).astype(np.int64)
    return SparseTensor(idx.reshape(n, 2), np.ones(n, dtypes.as_dtype(dtype).np), [rows, cols])


def map_values(op, *args, **kwargs):
    """``op`` applied to the values of the SparseTensor arguments (which must share their
    positions); other arguments pass through."""
    first = next((a for a in list(args) + list(kwargs.values()) if isinstance(a, SparseTensor)),
                 None)
    if first is None:
        raise ValueError("map_values: no SparseTensor among the arguments")
    unwrap = lambda a: a.values if isinstance(a, SparseTensor) else a  # noqa: E731
    return first.with_values(op(*[unwrap(a) for a in args],
                                **{k: unwrap(v) for k, v in kwargs.items()}))


# -------------------------------------------------------------------- segments ---

def _sparse_segment(data, indices, segment_ids, num_segments, scale):
    tf = _ops()
    rows = tf.gather(convert_to_tensor(data), indices)
    ids = convert_to_tensor(segment_ids)
    n = (tf.reduce_max(ids) + 1) if num_segments is None else num_segments
    total = tf.math.unsorted_segment_sum(rows, ids, n)
    if scale is None:
        return total
    counts = tf.math.unsorted_segment_sum(tf.ones_like(ids, dtype=total.dtype), ids, n)
    denom = tf.maximum(scale(counts), tf.ones_like(counts))
    return total / tf.reshape(denom, tf.concat([[-1], tf.ones([tf.rank(total) - 1],
                                                                dtypes.int32)], 0))


def segment_sum(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows ``data[indices]`` per segment id."""
    return _sparse_segment(data, indices, segment_ids, num_segments, None)


def segment_mean(data, indices, segment_ids, num_segments=None, name=None):
    """Means of the rows ``data[indices]`` per segment id (empty segments give 0)."""
    return _sparse_segment(data, indices, segment_ids, num_segments, lambda c: c)


def segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None):
    """Sums of the rows ``data[indices]`` per segment divided by sqrt of their count."""
    return _sparse_segment(data, indices, segment_ids, num_segments, lambda c: c ** 0.5)


# ------------------------------------------------------------ counts, sampled matmul ---

def bincount(values, weights=None, axis=0, minlength=None, maxlength=None,
             binary_output=False, name=None):
    """Counts (or summed ``weights``) of each non-negative integer in ``values`` as a
    SparseTensor: over everything (``axis=0``) or per row of a matrix (``axis=-1``).

    >>> tf.sparse.bincount(tf.constant([1, 1, 3]))    # indices [[1], [3]], values [2, 1]
    """
    tf = _ops()
    if isinstance(values, SparseTensor):
        vals, rows = values.values, values.indices[:, 0]
        n_rows = values.dense_shape[0]
        w = weights.values if isinstance(weights, SparseTensor) else weights
    else:
        values = convert_to_tensor(values)
        vals = tf.reshape(values, [-1])
        if axis in (-1, 1) and values.shape.rank == 2:
            n_rows = tf.shape(values, out_type=dtypes.int64)[0]
            rows = tf.reshape(tf.tile(tf.range(n_rows)[:, None], [1, tf.shape(values)[1]]),
                              [-1])
        else:
            rows, n_rows = None, None
        w = None if weights is None else tf.reshape(convert_to_tensor(weights), [-1])
    if axis not in (0, -1, 1):
        raise ValueError(f"sparse.bincount: axis must be 0 or -1, got {axis}")
    if axis == 0:
        rows = None
    vals = tf.cast(vals, dtypes.int64)
    size = tf.maximum(tf.reduce_max(tf.concat([vals, tf.constant([-1], dtypes.int64)], 0)) + 1,
                      0)
    if minlength is not None:
        size = tf.maximum(size, tf.cast(minlength, dtypes.int64))
    if maxlength is not None:
        size = tf.minimum(size, tf.cast(maxlength, dtypes.int64))
    keep = vals < size
    vals = tf.boolean_mask(vals, keep)
    counts_dtype = w.dtype if w is not None else (values.dtype if not isinstance(
        values, SparseTensor) else values.values.dtype)
    contrib = tf.ones_like(vals, dtype=counts_dtype) if w is None else tf.boolean_mask(w, keep)
    if binary_output:
        contrib = tf.ones_like(contrib)
    if rows is None:
        counts = tf.math.unsorted_segment_sum(contrib, vals, size)
    else:
        ids = tf.boolean_mask(tf.cast(rows, dtypes.int64), keep) * size + vals
        counts = tf.reshape(tf.math.unsorted_segment_sum(contrib, ids, n_rows * size),
                            tf.stack([n_rows, size]))
    if binary_output:
        counts = tf.cast(counts > 0, counts_dtype)
    return from_dense(counts)


def sampled_addmm(indices, values, dense_shape, mat1, mat2, beta=1.0, alpha=1.0,
                  output_type=dtypes.float32):
    """``alpha * (mat1 @ mat2)`` at ``indices`` plus ``beta * values``; returns
    ``(indices, values, dense_shape)`` (batches of matrices allowed)."""
    tf = _ops()
    mat1 = tf.cast(convert_to_tensor(mat1), output_type)
    mat2 = tf.cast(convert_to_tensor(mat2), output_type)
    indices = convert_to_tensor(indices)
    values = tf.cast(convert_to_tensor(values), output_type)
    product = tf.matmul(mat1, mat2)
    picked = tf.gather_nd(product, indices, batch_dims=max(0, mat1.shape.rank - 2)) if \
        indices.shape.rank == 3 else tf.gather_nd(product, indices)
    return indices, alpha * picked + beta * values, convert_to_tensor(dense_shape)
