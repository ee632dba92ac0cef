"""Reductions (sum, mean, max, ...), arg-reductions, sorting and top-k."""
from __future__ import annotations

import collections
import warnings

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import (
    BOOL, FLOATS, INTS, NUMERIC, REAL, add_reduce, check_dtype, dtype_error, normalize_axis,
    static_axes, static_int, tensor,
)

__all__ = [
    "argmax",
    "argmin",
    "argsort",
    "bincount",
    "count_nonzero",
    "reduce_all",
    "reduce_any",
    "reduce_euclidean_norm",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_std",
    "reduce_sum",
    "reduce_variance",
    "in_top_k",
    "sort",
    "top_k",
]


def _axes(axis, rank, op_name):
    """Normalized, sorted, de-duplicated axes (all axes when None)."""
    if axis is None:
        return tuple(range(rank))
    out = set()
    for a in axis:
        if not -rank <= a < max(rank, 1) or (rank == 0 and a not in (0, -1)):
            raise InvalidArgumentError(
                f"Invalid reduction dimension {a} for input with {rank} dimensions. "
                f"[Op:{op_name}]")
        out.add(a % rank if rank else 0)
    return tuple(sorted(out)) if rank else ()


class Reduction(Op):
    """A reduction over ``axis`` (None: all axes), keeping reduced dims when ``keepdims``."""

    def __init__(self, name, np_fn, allowed=NUMERIC, grad_fn=None):
        super().__init__(name)
        self.np_fn = np_fn
        self.allowed = allowed
        self.grad_fn = grad_fn
        if grad_fn is None:
            self.differentiable = False

    def infer(self, inputs, axis, keepdims):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        if x.shape.rank is None:
            return TensorShape(None), x.dtype
        axes = _axes(axis, x.shape.rank, self.name)
        dims = x.shape.as_list()
        if keepdims:
            out = [1 if i in axes else d for i, d in enumerate(dims)]
        else:
            out = [d for i, d in enumerate(dims) if i not in axes]
        return TensorShape(out), x.dtype

    def kernel(self, xp, a, axis, keepdims):
        if a.dtype not in self.allowed:
            raise dtype_error(self.name, a.dtype, self.allowed)
        axes = _axes(axis, np.ndim(a), self.name)
        return np.asarray(self.np_fn(a, axes, keepdims), dtype=a.dtype)

    def grad(self, call, g):
        return (self.grad_fn(call, g),)


def _kept(call, g):
    """``g`` reshaped so it broadcasts against the reduction's input."""
    if call.attrs["keepdims"]:
        return g
    x = call.inputs[0]
    r = x.shape.rank
    axes = _axes(call.attrs["axis"], r, "reduce")
    if x.shape.is_fully_defined():
        dims = [1 if i in axes else d for i, d in enumerate(x.shape.as_list())]
        return array_ops.reshape(g, dims)
    for a in axes:
        g = array_ops.expand_dims(g, a)
    return g


def _sum_grad(call, g):
    x = call.inputs[0]
    return array_ops.broadcast_to(_kept(call, g), array_ops.shape(x))


def _mean_grad(call, g):
    x = call.inputs[0]
    axes = _axes(call.attrs["axis"], x.shape.rank, "Mean")
    if x.shape.is_fully_defined():
        n = 1
        for a in axes:
            n *= x.shape[a]
        count = float(n)
    else:
        shp = array_ops.shape(x)
        count = math_ops.cast(reduce_prod(array_ops.stack([shp[a] for a in axes])) if axes
                              else 1, g.dtype)
    return array_ops.broadcast_to(_kept(call, g), array_ops.shape(x)) / count


def _extremum_grad(call, g):
    x = call.inputs[0]
    y = _kept(call, call.outputs[0])
    mask = math_ops.cast(math_ops.equal(x, y), g.dtype)
    count = reduce_sum(mask, axis=call.attrs["axis"], keepdims=True)
    return mask * (_kept(call, g) / count)


def _prod_grad(call, g):
    """Products of all other elements, by exclusive cumulative products (safe at zeros)."""
    x = call.inputs[0]
    gk = array_ops.broadcast_to(_kept(call, g), array_ops.shape(x))
    if not x.shape.is_fully_defined():
        return gk * _kept(call, call.outputs[0]) / x
    dims = x.shape.as_list()
    rank = len(dims)
    axes = _axes(call.attrs["axis"], rank, "Prod")
    if not axes:
        return gk
    if x.shape.num_elements() == 0:
        return array_ops.zeros_like(x)
    other = [i for i in range(rank) if i not in axes]
    perm = list(axes) + other
    inv = [perm.index(i) for i in range(rank)]
    n_red = int(np.prod([dims[a] for a in axes]))
    n_other = int(np.prod([dims[a] for a in other])) if other else 1
    flat = array_ops.reshape(array_ops.transpose(x, perm), [n_red, n_other])
    left = math_ops.cumprod(flat, axis=0, exclusive=True)
    right = math_ops.cumprod(flat, axis=0, exclusive=True, reverse=True)
    others = array_ops.reshape(left * right, [dims[p] for p in perm])
    others = array_ops.transpose(others, inv)
    if x.dtype.is_complex:
        others = math_ops.conj(others)
    return gk * others


def _logsumexp_grad(call, g):
    x = call.inputs[0]
    axis = call.attrs["axis"]
    m = reduce_max(x, axis=axis, keepdims=True)
    m = array_ops.stop_gradient(array_ops.where(math_ops.is_finite(m), m,
                                                array_ops.zeros_like(m)))
    e = math_ops.exp(x - m)
    return _kept(call, g) * (e / reduce_sum(e, axis=axis, keepdims=True))


def _euclidean_grad(call, g):
    x = call.inputs[0]
    y = _kept(call, call.outputs[0])
    return _kept(call, g) * math_ops.divide_no_nan(x, y)


def _np_sum(a, axes, keepdims):
    if a.dtype.kind == "b":
        return np.sum(a, axis=axes, keepdims=keepdims, dtype=a.dtype)
    return add_reduce(a, axes, keepdims)


def _np_mean(a, axes, keepdims):
    if a.dtype.kind in "iu":
        wide = np.uint64 if a.dtype.kind == "u" else np.int64
        s = np.sum(a, axis=axes, keepdims=keepdims, dtype=wide)
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        if not n:
            return s.astype(a.dtype)
        q = np.abs(s) // n if a.dtype.kind == "i" else s // n
        return (np.sign(s) * q if a.dtype.kind == "i" else q).astype(a.dtype)
    if a.size == 0:
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.mean(a, axis=axes, keepdims=keepdims, dtype=a.dtype)
    n = 1
    for ax in axes:
        n *= a.shape[ax]
    total = add_reduce(a, axes, keepdims)
    return np.true_divide(total, a.dtype.type(n), dtype=a.dtype) if a.dtype.kind != "V" \
        else (total / n).astype(a.dtype)


def _np_max(a, axes, keepdims):
    if a.size == 0:
        return np.full(_reduced_shape(a.shape, axes, keepdims), _lowest(a.dtype), a.dtype)
    return np.max(a, axis=axes, keepdims=keepdims)


def _np_min(a, axes, keepdims):
    if a.size == 0:
        return np.full(_reduced_shape(a.shape, axes, keepdims), _highest(a.dtype), a.dtype)
    return np.min(a, axis=axes, keepdims=keepdims)


def _np_logsumexp(a, axes, keepdims):
    m = _np_max(a, axes, True)
    m = np.where(np.isfinite(m), m, np.zeros((), a.dtype))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s = np.sum(np.exp(a - m), axis=axes, keepdims=True, dtype=a.dtype)
        out = np.log(s) + m
    return out if keepdims else np.reshape(out, _reduced_shape(a.shape, axes, False))


def _np_euclidean(a, axes, keepdims):
    if a.dtype.kind in "iu":
        s = np.sum(a.astype(np.float64) ** 2, axis=axes, keepdims=keepdims)
        return np.floor(np.sqrt(s)).astype(a.dtype)
    if a.dtype.kind == "c":
        return np.sqrt(np.sum(a * np.conj(a), axis=axes, keepdims=keepdims, dtype=a.dtype))
    return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdims, dtype=a.dtype))


def _reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _lowest(d):
    return -np.inf if d.kind == "f" else np.iinfo(d).min


def _highest(d):
    return np.inf if d.kind == "f" else np.iinfo(d).max


SUM = Reduction("Sum", _np_sum, NUMERIC, _sum_grad)
MEAN = Reduction("Mean", _np_mean, NUMERIC, _mean_grad)
MAX = Reduction("Max", _np_max, REAL, _extremum_grad)
MIN = Reduction("Min", _np_min, REAL, _extremum_grad)
PROD = Reduction("Prod", lambda a, axes, k: np.prod(a, axis=axes, keepdims=k, dtype=a.dtype),
                 NUMERIC, _prod_grad)
ANY = Reduction("Any", lambda a, axes, k: np.any(a, axis=axes, keepdims=k), BOOL)
ALL = Reduction("All", lambda a, axes, k: np.all(a, axis=axes, keepdims=k), BOOL)
LOGSUMEXP = Reduction("ReduceLogSumExp", _np_logsumexp, FLOATS, _logsumexp_grad)
EUCLIDEAN_NORM = Reduction("EuclideanNorm", _np_euclidean, NUMERIC, _euclidean_grad)


def _reduce(op, input_tensor, axis, keepdims, name):
    x = tensor(input_tensor)
    axes = static_axes(axis, "axis", op.name)
    return execute(op, (x,), {"axis": axes, "keepdims": bool(keepdims)}, name)


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over ``axis`` (all axes when None).

    >>> ember.reduce_sum([[1, 2], [3, 4]], axis=0).numpy()
    array([4, 6], dtype=int32)
    """
    return _reduce(SUM, input_tensor, axis, keepdims, name)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over ``axis``; integer tensors give the integer mean (rounded toward zero), as
    TensorFlow.

    >>> int(ember.reduce_mean([1, 2]))
    1
    """
    return _reduce(MEAN, input_tensor, axis, keepdims, name)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Maximum over ``axis``; an empty reduction gives the dtype's lowest value (-inf).

    >>> ember.reduce_max([[1., 5.], [3., 2.]], axis=1).numpy()
    array([5., 3.], dtype=float32)
    """
    return _reduce(MAX, input_tensor, axis, keepdims, name)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Minimum over ``axis``; an empty reduction gives the dtype's highest value (inf).

    >>> ember.reduce_min([[1., 5.], [3., 2.]], axis=1).numpy()
    array([1., 2.], dtype=float32)
    """
    return _reduce(MIN, input_tensor, axis, keepdims, name)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product over ``axis``; its gradient is exact also where inputs are zero.

    >>> ember.reduce_prod([[1., 2.], [3., 4.]], axis=0).numpy()
    array([3., 8.], dtype=float32)
    """
    return _reduce(PROD, input_tensor, axis, keepdims, name)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over ``axis`` of a bool tensor.

    >>> ember.reduce_any([[True, False], [False, False]], axis=1).numpy()
    array([ True, False])
    """
    return _reduce(ANY, input_tensor, axis, keepdims, name)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over ``axis`` of a bool tensor.

    >>> ember.reduce_all([[True, False], [True, True]], axis=1).numpy()
    array([False,  True])
    """
    return _reduce(ALL, input_tensor, axis, keepdims, name)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow; the gradient is the
    softmax of ``x`` along ``axis``.

    >>> round(float(ember.reduce_logsumexp([1000., 1000.])), 2)
    1000.69
    """
    return _reduce(LOGSUMEXP, input_tensor, axis, keepdims, name)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """``sqrt(sum(x ** 2))`` over ``axis`` (integer inputs give the truncated integer root).

    >>> float(ember.math.reduce_euclidean_norm([3., 4.]))
    5.0
    """
    return _reduce(EUCLIDEAN_NORM, input_tensor, axis, keepdims, name)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance over ``axis`` (float or complex input; complex gives real).

    >>> float(ember.math.reduce_variance([1., 2., 3., 4.]))
    1.25
    """
    x = tensor(input_tensor)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"reduce_variance: input must be either real or complex, received "
                        f"{x.dtype.name} tensor")
    mean = reduce_mean(x, axis=axis, keepdims=True)
    diff = x - mean
    if x.dtype.is_complex:
        sq = math_ops.real(diff * math_ops.conj(diff))
    else:
        sq = math_ops.square(diff)
    return reduce_mean(sq, axis=axis, keepdims=keepdims, name=name)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation over ``axis`` (float or complex input).

    >>> round(float(ember.math.reduce_std([1., 2., 3., 4.])), 4)
    1.118
    """
    x = tensor(input_tensor)
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"reduce_std: input must be either real or complex, received "
                        f"{x.dtype.name} tensor")
    return math_ops.sqrt(reduce_variance(x, axis=axis, keepdims=keepdims), name=name)


def count_nonzero(input, axis=None, keepdims=None, dtype=dtypes.int64, name=None):  # noqa: A002
    """Number of non-zero (non-empty for strings) elements over ``axis``, as ``dtype``.

    >>> int(ember.math.count_nonzero([[0, 1], [2, 0]]))
    2
    """
    x = tensor(input)
    zero = EagerTensor(np.array(b"" if x.dtype is dtypes.string else 0, dtype=x.dtype.np))
    flags = math_ops.cast(math_ops.not_equal(x, zero), dtypes.as_dtype(dtype))
    return reduce_sum(flags, axis=axis, keepdims=bool(keepdims), name=name)


# ------------------------------------------------------------------ arg-reductions ---

_INDEX_TYPES = frozenset([np.dtype(np.int16), np.dtype(np.uint16), np.dtype(np.int32),
                          np.dtype(np.int64)])


class _ArgReduce(Op):
    differentiable = False

    def __init__(self, name, np_fn):
        super().__init__(name)
        self.np_fn = np_fn

    def infer(self, inputs, axis, output_type):
        x = inputs[0]
        check_dtype(self.name, x.dtype, NUMERIC | BOOL)
        if output_type._np not in _INDEX_TYPES:
            raise InvalidArgumentError(f"{self.name}: output_type must be int16, uint16, "
                                       f"int32 or int64, got {output_type.name} "
                                       f"[Op:{self.name}]")
        r = x.shape.rank
        if r is None:
            return TensorShape(None), output_type
        if not -r <= axis < r:
            raise InvalidArgumentError(f"Expected dimension in the range [{-r}, {r}), but got "
                                       f"{axis} [Op:{self.name}]")
        axis %= r
        dims = x.shape.as_list()
        if dims[axis] == 0:
            raise InvalidArgumentError(f"Reduction axis {axis} is empty in shape {dims} "
                                       f"[Op:{self.name}]")
        return TensorShape(dims[:axis] + dims[axis + 1:]), output_type

    def kernel(self, xp, a, axis, output_type):
        if a.dtype not in NUMERIC | BOOL or not -a.ndim <= axis < a.ndim or \
                a.shape[axis] == 0:
            self.infer([_spec(a)], axis=axis, output_type=output_type)
        return np.asarray(self.np_fn(a, axis=axis), dtype=output_type.np)


def _spec(a):
    from ember.framework.op import Spec
    return Spec(TensorShape(a.shape), dtypes.from_numpy(a.dtype), a)


ARGMAX = _ArgReduce("ArgMax", np.argmax)
ARGMIN = _ArgReduce("ArgMin", np.argmin)


def _arg(op, input, axis, output_type, name):  # noqa: A002
    x = tensor(input)
    axis = 0 if axis is None else static_int(axis, "axis", op.name)
    return execute(op, (x,), {"axis": axis, "output_type": dtypes.as_dtype(output_type)}, name)


def argmax(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Index of the largest value along ``axis`` (0 when None); ties give the first index.

    >>> ember.math.argmax([[1, 9], [7, 3]], axis=1).numpy()
    array([1, 0])
    """
    return _arg(ARGMAX, input, axis, output_type, name)


def argmin(input, axis=None, output_type=dtypes.int64, name=None):  # noqa: A002
    """Index of the smallest value along ``axis`` (0 when None); ties give the first index.

    >>> ember.math.argmin([[1, 9], [7, 3]], axis=1).numpy()
    array([0, 1])
    """
    return _arg(ARGMIN, input, axis, output_type, name)


# ---------------------------------------------------------- sorting and top-k ---

def _stable_argsort(a, axis, descending):
    """Stable order along ``axis``; ties keep increasing index also when descending."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.flip(a, axis)
    order = np.flip(np.argsort(rev, axis=axis, kind="stable"), axis)
    return (n - 1) - order


def _along(idx, axis):
    grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grids[axis] = idx
    return tuple(grids)


class _TakeAlongAxis(Op):
    """``x`` gathered with same-rank ``indices`` along ``axis`` (for sort and top-k)."""

    name = "TakeAlongAxis"

    def infer(self, inputs, axis):
        x, idx = inputs
        return idx.shape, x.dtype

    def kernel(self, xp, a, idx, axis):
        return np.take_along_axis(a, idx.astype(np.intp), axis=axis)

    def grad(self, call, g):
        x, idx = call.inputs
        return _scatter_along(g, idx, x, call.attrs["axis"]), None


class _ScatterAlongAxis(Op):
    """Zeros shaped like ``ref`` with ``updates`` added at ``indices`` along ``axis``."""

    name = "ScatterAlongAxis"

    def infer(self, inputs, axis):
        upd, idx, ref = inputs
        return ref.shape, upd.dtype

    def kernel(self, xp, upd, idx, ref, axis):
        out = np.zeros(ref.shape, dtype=upd.dtype)
        np.add.at(out, _along(idx.astype(np.intp), axis), upd)
        return out

    def grad(self, call, g):
        upd, idx, ref = call.inputs
        return _take_along(g, idx, call.attrs["axis"]), None, None


TAKE_ALONG_AXIS = _TakeAlongAxis()
SCATTER_ALONG_AXIS = _ScatterAlongAxis()


def _take_along(x, idx, axis):
    return execute(TAKE_ALONG_AXIS, (x, idx), {"axis": axis})


def _scatter_along(upd, idx, ref, axis):
    return execute(SCATTER_ALONG_AXIS, (upd, idx, ref), {"axis": axis})


class _ArgSort(Op):
    name = "ArgSort"
    differentiable = False

    def infer(self, inputs, axis, descending):
        x = inputs[0]
        check_dtype(self.name, x.dtype, REAL)
        r = x.shape.rank
        if r is not None:
            if r == 0:
                raise InvalidArgumentError("sort: input must have rank >= 1, got a scalar "
                                           "[Op:ArgSort]")
            normalize_axis(axis, r, self.name)
        return x.shape, dtypes.int32

    def kernel(self, xp, a, axis, descending):
        if a.dtype not in REAL or a.ndim == 0:
            self.infer([_spec(a)], axis=axis, descending=descending)
        axis = normalize_axis(axis, a.ndim, self.name)
        return _stable_argsort(a, axis, descending).astype(np.int32)


ARGSORT = _ArgSort()


def _direction(direction, fn):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{fn}: direction must be 'ASCENDING' or 'DESCENDING', got "
                         f"{direction!r}")
    return direction == "DESCENDING"


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices (int32) that sort ``values`` along ``axis``; the order is always stable.

    >>> ember.argsort([3., 1., 2.]).numpy()
    array([1, 2, 0], dtype=int32)
    """
    desc = _direction(direction, "argsort")
    x = tensor(values)
    return execute(ARGSORT, (x,), {"axis": static_int(axis, "axis", "ArgSort"),
                                   "descending": desc}, name)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``; differentiable (the gradient follows the order).

    >>> ember.sort([3., 1., 2.], direction="DESCENDING").numpy()
    array([3., 2., 1.], dtype=float32)
    """
    desc = _direction(direction, "sort")
    x = tensor(values)
    axis = static_int(axis, "axis", "Sort")
    idx = execute(ARGSORT, (x,), {"axis": axis, "descending": desc})
    r = x.shape.rank
    return _take_along(x, idx, axis % r if r else axis)


TopKV2Result = collections.namedtuple("TopKV2", ["values", "indices"])


class _TopK(Op):
    name = "TopKV2"
    num_outputs = 2

    def infer(self, inputs, sorted, index_type):  # noqa: A002
        x, k = inputs
        check_dtype(self.name, x.dtype, REAL)
        if k.shape.rank not in (None, 0):
            raise InvalidArgumentError(f"k must be a scalar, got shape {k.shape} [Op:TopKV2]")
        kv = None if k.value is None else int(np.asarray(k.value))
        if kv is not None and kv < 0:
            raise InvalidArgumentError(f"Need k >= 0, got {kv} [Op:TopKV2]")
        r = x.shape.rank
        if r is None:
            return [(TensorShape(None), x.dtype), (TensorShape(None), index_type)]
        if r < 1:
            raise InvalidArgumentError(f"input must be at least 1-D, got shape {x.shape} "
                                       f"[Op:TopKV2]")
        n = x.shape[-1]
        if kv is not None and n is not None and n < kv:
            raise InvalidArgumentError(f"input must have at least k columns. Had {n}, needed "
                                       f"{kv} [Op:TopKV2]")
        out = TensorShape(x.shape.as_list()[:-1] + [kv])
        return [(out, x.dtype), (out, index_type)]

    def kernel(self, xp, a, k, sorted, index_type):  # noqa: A002
        kv = int(k)
        if a.dtype not in REAL or a.ndim < 1 or kv < 0 or a.shape[-1] < kv:
            self.infer([_spec(a), _spec(np.asarray(k))], sorted=sorted, index_type=index_type)
        idx = _stable_argsort(a, -1, True)[..., :kv]
        return np.take_along_axis(a, idx, axis=-1), idx.astype(index_type.np)

    def grad(self, call, g_values, g_indices):
        x = call.inputs[0]
        idx = call.outputs[1]
        return _scatter_along(g_values, idx, x, max(x.shape.rank - 1, 0)), None


TOP_K = _TopK()


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002
    """The ``k`` largest entries along the last axis and their indices, largest first
    (equal values keep their order of appearance).

    >>> v, i = ember.math.top_k([1., 5., 3.], k=2)
    >>> v.numpy(), i.numpy()
    (array([5., 3.], dtype=float32), array([1, 2], dtype=int32))
    """
    x = tensor(input)
    kt = tensor(k, dtype=dtypes.int32) if not isinstance(k, EagerTensor) else k
    values, indices = execute(TOP_K, (x, kt), {"sorted": bool(sorted),
                                               "index_type": dtypes.as_dtype(index_type)}, name)
    return TopKV2Result(values, indices)


def in_top_k(targets, predictions, k, name=None):
    """True where ``targets[i]`` is among the ``k`` largest ``predictions[i]``, as
    TensorFlow's ``InTopKV2``: classes tied at the boundary all count as in; a row holding
    a non-finite score, or a target outside ``[0, classes)``, gives False.

    >>> ember.math.in_top_k([2, 0], [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]], 2).numpy()
    array([ True,  True])
    """
    predictions = tensor(predictions)
    targets = tensor(targets)
    if not predictions.dtype.is_floating and not predictions.dtype.is_integer:
        raise dtype_error("InTopKV2", predictions.dtype.np, REAL)
    if not targets.dtype.is_integer:
        raise InvalidArgumentError(f"in_top_k: targets must be int32 or int64, got "
                                   f"{targets.dtype.name} [Op:InTopKV2]")
    if predictions.shape.rank not in (None, 2) or targets.shape.rank not in (None, 1):
        raise InvalidArgumentError(f"in_top_k: predictions must be 2-dimensional and targets "
                                   f"1-dimensional, got shapes {predictions.shape} and "
                                   f"{targets.shape} [Op:InTopKV2]")
    classes = math_ops.cast(array_ops.shape(predictions)[1], targets.dtype)
    valid = math_ops.logical_and(math_ops.greater_equal(targets, 0),
                                 math_ops.less(targets, classes))
    safe = array_ops.where(valid, targets, array_ops.zeros_like(targets))
    score = array_ops.gather(predictions, safe, batch_dims=1)
    above = reduce_sum(math_ops.cast(math_ops.greater(
        predictions, array_ops.expand_dims(score, -1)), dtypes.int32), axis=1)
    finite = reduce_all(math_ops.is_finite(math_ops.cast(predictions, dtypes.float64)), axis=1)
    within = math_ops.less(above, math_ops.cast(k, dtypes.int32))
    return math_ops.logical_and(math_ops.logical_and(valid, finite), within, name=name)


# ----------------------------------------------------------------------- bincount ---

class _Bincount(Op):
    name = "DenseBincount"
    differentiable = False
    data_dependent_shape = True

    def infer(self, inputs, minlength, maxlength, binary_output, per_row, dtype):
        arr = inputs[0]
        if arr.dtype._np not in INTS:
            raise InvalidArgumentError(f"bincount: arr must be an integer tensor, got "
                                       f"{arr.dtype.name} [Op:DenseBincount]")
        out_dtype = inputs[1].dtype if len(inputs) > 1 else dtype
        if len(inputs) > 1 and inputs[1].shape.rank is not None and arr.shape.rank \
                is not None and not inputs[1].shape.is_compatible_with(arr.shape):
            raise InvalidArgumentError(f"bincount: weights shape {inputs[1].shape} must "
                                       f"equal arr shape {arr.shape} [Op:DenseBincount]")
        if per_row and arr.shape.rank is not None and arr.shape.rank != 2:
            raise InvalidArgumentError(f"bincount with axis=-1 needs a 2-D arr, got shape "
                                       f"{arr.shape} [Op:DenseBincount]")
        length = None
        if arr.value is not None:
            length = _bin_length(np.asarray(arr.value), minlength, maxlength)
        elif minlength is not None and maxlength is not None and minlength >= maxlength:
            length = max(maxlength, 0)     # the length whatever the values
        lead = [arr.shape[0]] if per_row else []
        return TensorShape(lead + [length]), out_dtype

    def kernel(self, xp, arr, *rest, minlength, maxlength, binary_output, per_row, dtype):
        if arr.dtype not in INTS:
            raise InvalidArgumentError(f"bincount: arr must be an integer tensor, got "
                                       f"{arr.dtype} [Op:DenseBincount]")
        if arr.size and arr.min() < 0:
            raise InvalidArgumentError("bincount: input arr must be non-negative "
                                       "[Op:DenseBincount]")
        w = rest[0] if rest else None
        if w is not None and w.shape != arr.shape:
            raise InvalidArgumentError(f"bincount: weights shape {list(w.shape)} must equal "
                                       f"arr shape {list(arr.shape)} [Op:DenseBincount]")
        n = _bin_length(arr, minlength, maxlength)
        out_dtype = w.dtype if w is not None else dtype.np
        rows = arr.shape[0] if per_row else 1
        vals = arr.reshape(rows, -1).astype(np.int64)
        keep = vals < n
        flat = (vals + np.arange(rows, dtype=np.int64)[:, None] * n)[keep]
        if binary_output:
            counts = np.zeros(rows * n, dtype=out_dtype)
            counts[flat] = 1
        else:
            wf = None if w is None else w.reshape(rows, -1)[keep]
            counts = np.bincount(flat, weights=wf, minlength=rows * n).astype(out_dtype)
        return counts.reshape((rows, n) if per_row else (n,))


def _bin_length(arr, minlength, maxlength):
    n = int(arr.max()) + 1 if arr.size else 0
    n = max(n, minlength if minlength is not None else 0, 0)
    if maxlength is not None:
        n = min(n, maxlength)
    return n


BINCOUNT = _Bincount()


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None,
             axis=None, binary_output=False):
    """Counts of each value in a non-negative integer ``arr`` (sums of ``weights`` when
    given); ``axis=-1`` counts each row of a 2-D ``arr`` separately.

    >>> ember.math.bincount([1, 1, 3]).numpy()
    array([0, 2, 0, 1], dtype=int32)
    """
    a = tensor(arr)
    if axis not in (None, 0, -1):
        raise ValueError(f"bincount: axis must be None, 0 or -1, got {axis}")
    per_row = axis == -1 and a.shape.rank != 1    # TensorFlow: a vector is one row
    if axis is None and a.shape.rank not in (None, 1):
        a = array_ops.reshape(a, [-1])
    inputs = (a,)
    if weights is not None:
        w = tensor(weights)
        if axis is None and w.shape.rank not in (None, 1):
            w = array_ops.reshape(w, [-1])
        inputs = (a, w)
    attrs = {"minlength": None if minlength is None else static_int(minlength, "minlength",
                                                                    "DenseBincount"),
             "maxlength": None if maxlength is None else static_int(maxlength, "maxlength",
                                                                    "DenseBincount"),
             "binary_output": bool(binary_output), "per_row": per_row,
             "dtype": dtypes.as_dtype(dtype)}
    return execute(BINCOUNT, inputs, attrs, name)
