"""Reductions (sum, mean, max, ...), arg-reductions, sorting and top-k."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op, execute
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import (
    BOOL, NUMERIC, REAL, check_dtype, dtype_error, static_axes, tensor,
)

__all__ = [
    "reduce_all",
    "reduce_any",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
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
    x = call.inputs[0]
    y = _kept(call, call.outputs[0])
    return _kept(call, g) * y / x


def _np_sum(a, axes, keepdims):
    return np.sum(a, axis=axes, keepdims=keepdims, dtype=a.dtype)


def _np_mean(a, axes, keepdims):
    if a.dtype.kind in "iu":
        s = np.sum(a, axis=axes, keepdims=keepdims, dtype=np.int64)
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        return (s // max(n, 1)).astype(a.dtype) if n else s.astype(a.dtype)
    if a.size == 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.mean(a, axis=axes, keepdims=keepdims, dtype=a.dtype)
    return np.mean(a, axis=axes, keepdims=keepdims, dtype=a.dtype)


def _np_max(a, axes, keepdims):
    if a.size == 0:
        return np.full(_reduced_shape(a.shape, axes, keepdims), _lowest(a.dtype), a.dtype)
    return np.max(a, axis=axes, keepdims=keepdims)


def _np_min(a, axes, keepdims):
    if a.size == 0:
        return np.full(_reduced_shape(a.shape, axes, keepdims), _highest(a.dtype), a.dtype)
    return np.min(a, axis=axes, keepdims=keepdims)


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
    """Mean over ``axis``; integer tensors give the integer (floor) mean, as TensorFlow."""
    return _reduce(MEAN, input_tensor, axis, keepdims, name)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(MAX, input_tensor, axis, keepdims, name)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(MIN, input_tensor, axis, keepdims, name)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(PROD, input_tensor, axis, keepdims, name)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(ANY, input_tensor, axis, keepdims, name)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce(ALL, input_tensor, axis, keepdims, name)
