"""Array ops: creation, shape manipulation, joining and splitting, selection."""
from __future__ import annotations

import builtins
import collections

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.simplification import register_simplification
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import math_ops
from ember.ops.math_ops import cast  # noqa: F401  (_base.shape_arg uses array_ops.cast)
from ember.ops._base import (
    ANY, EMPTY, NUMERIC, add_reduce, check_dtype, normalize_axis, shape_arg, shape_from_spec,
    shape_value, static_axes, static_int, tensor,
)

__all__ = [
    "boolean_mask",
    "broadcast_to",
    "concat",
    "expand_dims",
    "fill",
    "gather",
    "gather_nd",
    "identity",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "rank",
    "repeat",
    "reshape",
    "reverse",
    "roll",
    "scatter_nd",
    "shape",
    "size",
    "slice",
    "split",
    "squeeze",
    "stack",
    "stop_gradient",
    "strided_slice",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_sub",
    "tensor_scatter_nd_update",
    "tile",
    "transpose",
    "unique",
    "unstack",
    "where",
    "where_v2",
    "zeros",
    "zeros_like",
]

# ------------------------------------------------------------------- identity & friends ---


class _Identity(Op):
    name = "Identity"
    strings = True
    grad_passes_slices = True

    def infer(self, inputs):
        return inputs[0].shape, inputs[0].dtype

    def kernel(self, xp, a):
        return a

    def grad(self, call, g):
        return (g,)


class _StopGradient(_Identity):
    name = "StopGradient"
    differentiable = False


IDENTITY = _Identity()
STOP_GRADIENT = _StopGradient()
# a compiled plan drops them (its gradients are built before the compiler runs)
register_simplification(IDENTITY, forwards=True)
register_simplification(STOP_GRADIENT, forwards=True)


def identity(input, name=None):  # noqa: A002
    """Returns a tensor with the same value (reads a variable's current value)."""
    return execute(IDENTITY, (tensor(input),), EMPTY, name)


def stop_gradient(input, name=None):  # noqa: A002
    """The same value, but gradients do not flow through it."""
    return execute(STOP_GRADIENT, (tensor(input),), EMPTY, name)


# --------------------------------------------------------------------------- creation ---

class _Fill(Op):
    name = "Fill"
    strings = True

    def infer(self, inputs):
        dims, value = inputs
        if value.shape.rank not in (None, 0):
            raise InvalidArgumentError(f"fill: value must be a scalar, got shape {value.shape} "
                                       f"[Op:Fill]")
        return shape_from_spec(dims), value.dtype

    def kernel(self, xp, dims, value):
        if np.ndim(value) != 0:
            raise InvalidArgumentError(f"fill: value must be a scalar, got shape "
                                       f"{np.shape(value)} [Op:Fill]")
        if np.any(dims < 0):
            raise InvalidArgumentError(f"fill: dims must be non-negative, got {dims.tolist()} "
                                       f"[Op:Fill]")
        return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)

    def grad(self, call, g):
        from ember.ops.reduce_ops import reduce_sum
        return None, reduce_sum(g)


FILL = _Fill()


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` filled with the scalar ``value``."""
    return execute(FILL, (shape_arg(dims, "fill"), tensor(value)), EMPTY, name)


def _array(x):
    """An indexing result as an array: a single element of a string tensor's object array
    comes back from NumPy as the bare bytes."""
    return x if isinstance(x, (np.ndarray, np.generic)) else np.array(x, dtype=object)


def _scalar(value, dtype):
    if dtype is dtypes.string:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
    return EagerTensor(np.array(value, dtype=dtype.np))


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of zeros.

    >>> ember.zeros([2, 3]).shape
    TensorShape([2, 3])
    """
    dtype = dtypes.as_dtype(dtype)
    return fill(shape, _scalar(0, dtype) if dtype is not dtypes.string else
                EagerTensor(np.array(b"", dtype=object)), name)


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of ones."""
    return fill(shape, _scalar(1, dtypes.as_dtype(dtype)), name)


class _LikeOp(Op):
    """zeros_like / ones_like: a tensor of the input's shape (and dtype unless given)."""
    differentiable = False
    strings = True      # zeros_like of strings is b""; ones_like refuses them

    def __init__(self, name, value):
        super().__init__(name)
        self.value = value

    def infer(self, inputs, dtype=None):
        self._check_string(inputs[0].dtype, dtype)
        return inputs[0].shape, dtype or inputs[0].dtype

    def _check_string(self, in_dtype, dtype):
        if self.value and (in_dtype is dtypes.string or dtype is dtypes.string):
            raise InvalidArgumentError(f"{self.name} does not support string tensors "
                                       f"[Op:{self.name}]")

    def kernel(self, xp, a, dtype=None):
        d = dtype.np if dtype is not None else a.dtype
        if d == np.dtype(object):
            self._check_string(dtypes.string, dtype)
            return np.full(np.shape(a), b"", dtype=object)
        return np.full(np.shape(a), self.value, dtype=d)

    def fold_static(self, inputs, dtype=None):
        s = inputs[0].shape
        n = s.num_elements()
        if n is None or n > 4096 or (dtype or inputs[0].dtype).is_bool is None:
            return None
        d = (dtype or inputs[0].dtype).np
        return None if d == np.dtype(object) else np.full(s.as_list(), self.value, dtype=d)


ZEROS_LIKE = _LikeOp("ZerosLike", 0)
ONES_LIKE = _LikeOp("OnesLike", 1)


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    attrs = {"dtype": dtypes.as_dtype(dtype)} if dtype is not None else EMPTY
    return execute(ZEROS_LIKE, (tensor(input),), attrs, name)


def ones_like(input, dtype=None, name=None):  # noqa: A002
    attrs = {"dtype": dtypes.as_dtype(dtype)} if dtype is not None else EMPTY
    return execute(ONES_LIKE, (tensor(input),), attrs, name)


# ------------------------------------------------------------------------------ shapes ---

class _Shape(Op):
    reads_shape_only = True
    name = "Shape"
    strings = True
    differentiable = False

    def infer(self, inputs, out_type):
        r = inputs[0].shape.rank
        return [r], out_type

    def kernel(self, xp, a, out_type):
        return np.array(np.shape(a), dtype=out_type.np)

    def fold_static(self, inputs, out_type):
        s = inputs[0].shape
        if s.is_fully_defined():
            return np.array(s.as_list(), dtype=out_type.np)
        return None


SHAPE = _Shape()


def shape(input, out_type=dtypes.int32, name=None):  # noqa: A002
    """The dynamic shape of a tensor as a 1-D integer tensor."""
    return execute(SHAPE, (tensor(input) if not getattr(input, "_is_ember_variable", False)
                           else input.value(),), {"out_type": dtypes.as_dtype(out_type)}, name)


def rank(input, name=None):  # noqa: A002
    t = tensor(input)
    r = t.shape.rank
    if r is not None:
        return EagerTensor(np.array(r, dtype=np.int32))
    return size(shape(t))


class _Size(Op):
    reads_shape_only = True
    name = "Size"
    strings = True
    differentiable = False

    def infer(self, inputs, out_type):
        return [], out_type

    def kernel(self, xp, a, out_type):
        return np.array(np.size(a), dtype=out_type.np)

    def fold_static(self, inputs, out_type):
        n = inputs[0].shape.num_elements()
        return None if n is None else np.array(n, dtype=out_type.np)


SIZE = _Size()


def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return execute(SIZE, (tensor(input),), {"out_type": dtypes.as_dtype(out_type)}, name)


class _Reshape(Op):
    name = "Reshape"
    strings = True

    def infer(self, inputs):
        x, target = inputs
        want = shape_value(target)
        if want is None:
            return shape_from_spec(target), x.dtype
        n = x.shape.num_elements()
        if want.count(-1) > 1:
            raise InvalidArgumentError(f"Only one input size may be -1, not both in shape "
                                       f"{want} [Op:Reshape]")
        if -1 in want:
            known = 1
            for d in want:
                if d != -1:
                    known *= d
            if n is None:
                return TensorShape([None if d == -1 else d for d in want]), x.dtype
            if known == 0:
                if n == 0:
                    raise InvalidArgumentError(
                        f"Reshape cannot infer the missing input size for an empty tensor "
                        f"unless all specified input sizes are non-zero (requested shape "
                        f"{want}) [Op:Reshape]")
                raise InvalidArgumentError(
                    f"Input to reshape is a tensor with {n} values, but the requested shape "
                    f"{want} has 0 [Op:Reshape]")
            if n % known:
                raise InvalidArgumentError(
                    f"Input to reshape is a tensor with {n} values, but the requested shape "
                    f"requires a multiple of {known} [Op:Reshape]")
            return TensorShape([n // known if d == -1 else d for d in want]), x.dtype
        total = 1
        for d in want:
            total *= d
        if n is not None and n != total:
            raise InvalidArgumentError(
                f"Input to reshape is a tensor with {n} values, but the requested shape has "
                f"{total} [Op:Reshape]")
        return TensorShape(want), x.dtype

    def kernel(self, xp, a, target):
        try:
            return np.reshape(a, tuple(int(d) for d in target))
        except ValueError:
            self.infer([_spec(a), _spec(target)])
            raise InvalidArgumentError(
                f"Input to reshape is a tensor with {np.size(a)} values, but the requested "
                f"shape {target.tolist()} does not fit them (input shape {list(np.shape(a))}) "
                f"[Op:Reshape]") from None

    def grad(self, call, g):
        return reshape(g, shape(call.inputs[0])), None


RESHAPE = _Reshape()
register_simplification(RESHAPE, same_shape=True)


def reshape(tensor_, shape_, name=None):
    """Gives a tensor a new shape with the same number of elements (-1 infers one dim).

    >>> ember.reshape(ember.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    return execute(RESHAPE, (tensor(tensor_), shape_arg(shape_, "reshape")), EMPTY, name)


class _ExpandDims(Op):
    name = "ExpandDims"
    strings = True

    def infer(self, inputs, axis):
        x = inputs[0]
        r = x.shape.rank
        if r is None:
            return TensorShape(None), x.dtype
        if not -r - 1 <= axis <= r:
            raise InvalidArgumentError(f"expand_dims: axis {axis} out of range for rank {r} "
                                       f"(expected -{r + 1} <= axis <= {r}) [Op:ExpandDims]")
        a = axis if axis >= 0 else axis + r + 1
        dims = x.shape.as_list()
        return TensorShape(dims[:a] + [1] + dims[a:]), x.dtype

    def kernel(self, xp, a, axis):
        r = np.ndim(a)
        if not -r - 1 <= axis <= r:
            raise InvalidArgumentError(f"expand_dims: axis {axis} out of range for rank {r} "
                                       f"[Op:ExpandDims]")
        return np.expand_dims(a, axis)

    def grad(self, call, g):
        return (reshape(g, shape(call.inputs[0])),)


EXPAND_DIMS = _ExpandDims()


def expand_dims(input, axis, name=None):  # noqa: A002
    """Inserts a dimension of size 1 at ``axis``."""
    return execute(EXPAND_DIMS, (tensor(input),),
                   {"axis": static_int(axis, "axis", "ExpandDims")}, name)


class _Squeeze(Op):
    name = "Squeeze"
    strings = True

    def infer(self, inputs, axis):
        x = inputs[0]
        if x.shape.rank is None:
            return TensorShape(None), x.dtype
        dims = x.shape.as_list()
        r = len(dims)
        if axis:
            ax = {normalize_axis(a, r, self.name) for a in axis}
            for a in ax:
                if dims[a] is not None and dims[a] != 1:
                    raise InvalidArgumentError(
                        f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]} "
                        f"[Op:Squeeze]")
            return TensorShape([d for i, d in enumerate(dims) if i not in ax]), x.dtype
        if None in dims:
            return TensorShape(None), x.dtype   # an unknown dim may be 1: rank unknown
        return TensorShape([d for d in dims if d != 1]), x.dtype

    def kernel(self, xp, a, axis):
        if axis:
            r = np.ndim(a)
            ax = tuple(normalize_axis(x, r, self.name) for x in axis)
            for x in ax:
                if a.shape[x] != 1:
                    raise InvalidArgumentError(
                        f"Can not squeeze dim[{x}], expected a dimension of 1, got "
                        f"{a.shape[x]} [Op:Squeeze]")
            return np.squeeze(a, axis=ax)
        return np.squeeze(a)

    def grad(self, call, g):
        return (reshape(g, shape(call.inputs[0])),)


SQUEEZE = _Squeeze()


def squeeze(input, axis=None, name=None):  # noqa: A002
    """Removes dimensions of size 1 (all of them, or those in ``axis``)."""
    axes = static_axes(axis, "axis", "Squeeze")
    return execute(SQUEEZE, (tensor(input),), {"axis": axes or ()}, name)


class _Transpose(Op):
    name = "Transpose"
    strings = True

    def infer(self, inputs, perm):
        x = inputs[0]
        if x.shape.rank is None:
            return TensorShape(None), x.dtype
        r = x.shape.rank
        if sorted(p % r if r else p for p in perm) != list(range(r)) or len(perm) != r:
            raise InvalidArgumentError(f"transpose expects a permutation of 0..{r - 1} for a "
                                       f"tensor of rank {r}, got perm={list(perm)} "
                                       f"[Op:Transpose]")
        dims = x.shape.as_list()
        return TensorShape([dims[p] for p in perm]), x.dtype

    def kernel(self, xp, a, perm):
        if len(perm) != np.ndim(a) or sorted(perm) != list(range(np.ndim(a))):
            raise InvalidArgumentError(f"transpose expects a permutation of 0..{np.ndim(a) - 1}"
                                       f" for a tensor of shape {list(np.shape(a))}, got "
                                       f"perm={list(perm)} [Op:Transpose]")
        return np.transpose(a, perm)

    def grad(self, call, g):
        perm = call.attrs["perm"]
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        return (transpose(g, inv),)


TRANSPOSE = _Transpose()
register_simplification(TRANSPOSE, permutation="perm")


def transpose(a, perm=None, conjugate=False, name=None):
    """Permutes dimensions (reverses them when ``perm`` is None)."""
    a = tensor(a)
    if perm is None:
        r = a.shape.rank
        if r is None:
            raise ValueError("transpose: perm is required for a tensor of unknown rank")
        perm = tuple(range(r - 1, -1, -1))
    else:
        perm = static_axes(perm, "perm", "Transpose")
        r = a.shape.rank
        if r is not None:
            perm = tuple(p % r if r and -r <= p < 0 else p for p in perm)
    out = execute(TRANSPOSE, (a,), {"perm": perm}, name)
    return math_ops.conj(out) if conjugate else out


class _BroadcastTo(Op):
    name = "BroadcastTo"
    strings = True

    def infer(self, inputs):
        x, target = inputs
        want = shape_from_spec(target)
        try:
            out = broadcast_static(x.shape, want, self.name)
        except InvalidArgumentError:
            raise InvalidArgumentError(f"Unable to broadcast tensor of shape {x.shape} to "
                                       f"tensor of shape {want} [Op:BroadcastTo]") from None
        if want.rank is not None and out.rank is not None and out.rank != want.rank:
            raise InvalidArgumentError(f"Unable to broadcast tensor of shape {x.shape} to "
                                       f"tensor of shape {want} [Op:BroadcastTo]")
        if want.rank is not None and out.rank is not None:
            out = TensorShape([w if w is not None else o for w, o in zip(want, out)])
        return out, x.dtype

    def kernel(self, xp, a, target):
        try:
            return np.array(np.broadcast_to(a, tuple(int(d) for d in target)))
        except ValueError:
            raise InvalidArgumentError(f"Unable to broadcast tensor of shape "
                                       f"{list(np.shape(a))} to tensor of shape "
                                       f"{target.tolist()} [Op:BroadcastTo]") from None

    def grad(self, call, g):
        return sum_to_shape(g, shape(call.inputs[0])), None


BROADCAST_TO = _BroadcastTo()
register_simplification(BROADCAST_TO, same_shape=True)


def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcasts ``input`` to ``shape``."""
    return execute(BROADCAST_TO, (tensor(input), shape_arg(shape, "broadcast_to")), EMPTY, name)


class _SumToShape(Op):
    """Sums a broadcast gradient back to a shape (the backward walker's one unbroadcast)."""

    name = "SumToShape"

    def infer(self, inputs, static_shape=None):
        shape = shape_from_spec(inputs[1])
        if static_shape is not None and shape.is_compatible_with(static_shape):
            shape = shape.merge_with(static_shape)
        return shape, inputs[0].dtype

    def kernel(self, xp, g, target, static_shape=None):
        return _sum_to(g, tuple(int(d) for d in target))

    def grad(self, call, gg):
        return broadcast_to(gg, shape(call.inputs[0])), None


def _sum_to(g, target):
    if np.shape(g) == target:
        return g
    lead = np.ndim(g) - len(target)
    if lead < 0:
        raise InvalidArgumentError(f"SumToShape: gradient of shape {np.shape(g)} cannot be "
                                   f"summed to shape {target}")
    ones = tuple(lead + i for i, d in enumerate(target) if d == 1 and g.shape[lead + i] != 1)
    if not ones and g.dtype.kind != "b":
        # the common case (a bias gradient): only leading axes go
        return add_reduce(g, tuple(range(lead))) if lead else g
    axes = tuple(range(lead)) + ones
    out = np.sum(g, axis=axes, keepdims=True, dtype=g.dtype) if axes else g
    return np.reshape(out, target)


SUM_TO_SHAPE = _SumToShape()
register_simplification(SUM_TO_SHAPE, same_shape=True)


def sum_to_shape(g, target_shape):
    return execute(SUM_TO_SHAPE, (g, target_shape))


def sum_to_shape_of(g, x):
    """``g`` summed to ``x``'s shape when broadcasting made it larger."""
    if type(g) is EagerTensor:
        xs = x._value.shape if type(x) is EagerTensor else (
            x._array.shape if getattr(x, "_is_ember_variable", False) and x._array is not None
            else tuple(x.shape))
        if g._value.shape == xs:
            return g
        return execute(SUM_TO_SHAPE, (g, EagerTensor(np.array(xs, dtype=np.int32))))
    gs, xs = g.shape, x.shape
    if gs.is_fully_defined() and gs == xs:
        return g
    if xs.is_fully_defined():
        return execute(SUM_TO_SHAPE, (g, EagerTensor(np.array(xs.as_list(), dtype=np.int32))))
    return execute(SUM_TO_SHAPE, (g, shape(x)), {"static_shape": xs})


# ------------------------------------------------------------------------------- where ---

class _Select(Op):
    name = "SelectV2"
    strings = True

    def infer(self, inputs):
        c, x, y = inputs
        if c.dtype is not dtypes.bool:
            raise InvalidArgumentError(f"where: condition must be bool, got {c.dtype.name} "
                                       f"[Op:SelectV2]")
        if x.dtype is not y.dtype:
            raise InvalidArgumentError(f"where: x and y must have one dtype, got "
                                       f"{x.dtype.name} and {y.dtype.name} [Op:SelectV2]")
        s = broadcast_static(broadcast_static(c.shape, x.shape, self.name), y.shape, self.name)
        return s, x.dtype

    def kernel(self, xp, c, a, b):
        if c.dtype != np.bool_ or a.dtype != b.dtype:
            raise InvalidArgumentError(
                f"where: condition must be bool and x, y of one dtype; got {c.dtype}, "
                f"{a.dtype}, {b.dtype} [Op:SelectV2]")
        return np.where(c, a, b)

    def grad(self, call, g):
        c = call.inputs[0]
        zero = zeros_like(g)
        return None, where(c, g, zero), where(c, zero, g)


SELECT = _Select()


class _WhereIndices(Op):
    name = "Where"
    differentiable = False
    data_dependent_shape = True

    def infer(self, inputs):
        x = inputs[0]
        r = x.shape.rank
        if x.value is not None:
            return [int(np.count_nonzero(x.value)), r], dtypes.int64
        return TensorShape([None, r]), dtypes.int64

    def kernel(self, xp, a):
        return np.argwhere(a).astype(np.int64)


WHERE_INDICES = _WhereIndices()


def where(condition, x=None, y=None, name=None):
    """Picks from ``x`` where ``condition`` is true, else from ``y`` (broadcasting);
    with only ``condition``, returns the coordinates of its true elements (int64)."""
    if x is None and y is None:
        return execute(WHERE_INDICES, (tensor(condition),), EMPTY, name)
    if x is None or y is None:
        raise ValueError("where: x and y must both be given, or neither")
    from ember.ops._base import binary_args
    x, y = binary_args(x, y)
    return execute(SELECT, (tensor(condition, dtype_hint=dtypes.bool), x, y), EMPTY, name)


where_v2 = where

# ------------------------------------------------------------------- stack & concat ---


class _Pack(Op):
    name = "Pack"
    strings = True

    def infer(self, inputs, axis):
        first = inputs[0]
        s = first.shape
        for i, sp in enumerate(inputs[1:], 1):
            if sp.dtype is not first.dtype:
                raise InvalidArgumentError(f"stack: input {i} has dtype {sp.dtype.name}, "
                                           f"input 0 has {first.dtype.name} [Op:Pack]")
            if not sp.shape.is_compatible_with(s):
                raise InvalidArgumentError(
                    f"Shapes of all inputs must match: values[0].shape = {first.shape} != "
                    f"values[{i}].shape = {sp.shape} [Op:Pack]")
            s = s.merge_with(sp.shape)
        if s.rank is None:
            return TensorShape(None), first.dtype
        r = s.rank + 1
        a = normalize_axis(axis, r, self.name)
        dims = s.as_list()
        return TensorShape(dims[:a] + [len(inputs)] + dims[a:]), first.dtype

    def kernel(self, xp, *arrays, axis):
        first = arrays[0]
        for i, a in enumerate(arrays[1:], 1):
            if np.shape(a) != np.shape(first):
                raise InvalidArgumentError(
                    f"Shapes of all inputs must match: values[0].shape = "
                    f"{list(np.shape(first))} != values[{i}].shape = {list(np.shape(a))} "
                    f"[Op:Pack]")
            if a.dtype != first.dtype:
                raise InvalidArgumentError(f"stack: input {i} has dtype {a.dtype}, input 0 "
                                           f"has {first.dtype} [Op:Pack]")
        return np.stack(arrays, axis=normalize_axis(axis, np.ndim(first) + 1, self.name))

    def grad(self, call, g):
        return tuple(unstack(g, num=len(call.inputs), axis=call.attrs["axis"]))


PACK = _Pack()


def stack(values, axis=0, name="stack"):
    """Stacks tensors of one shape along a new ``axis``."""
    ts = [tensor(v) for v in values]
    if not ts:
        raise ValueError("stack: values must be a non-empty list")
    return execute(PACK, tuple(ts), {"axis": static_int(axis, "axis", "Pack")}, name)


class _Unpack(Op):
    name = "Unpack"
    strings = True

    def output_count(self, attrs):
        return attrs["num"]

    def infer(self, inputs, num, axis):
        x = inputs[0]
        if x.shape.rank is None:
            return [(TensorShape(None), x.dtype)] * num
        dims = x.shape.as_list()
        a = normalize_axis(axis, len(dims), self.name)
        if dims[a] is not None and dims[a] != num:
            raise InvalidArgumentError(f"unstack: num={num} but dimension {a} has size "
                                       f"{dims[a]} [Op:Unpack]")
        out = TensorShape(dims[:a] + dims[a + 1:])
        return [(out, x.dtype)] * num

    def kernel(self, xp, a, num, axis):
        axis = normalize_axis(axis, np.ndim(a), self.name)
        if a.shape[axis] != num:
            raise InvalidArgumentError(f"unstack: num={num} but dimension {axis} has size "
                                       f"{a.shape[axis]} [Op:Unpack]")
        return tuple(_array(np.take(a, i, axis=axis)) for i in range(num))

    def grad(self, call, *grads):
        return (stack(list(grads), axis=call.attrs["axis"]),)


UNPACK = _Unpack()


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits ``value`` along ``axis`` into a list of tensors of rank one less."""
    value = tensor(value)
    axis = static_int(axis, "axis", "Unpack")
    if num is None:
        dims = value.shape
        if dims.rank is None or dims[axis] is None:
            raise ValueError(f"unstack: cannot infer num from shape {dims}; pass num=")
        num = dims[axis]
    return execute(UNPACK, (value,), {"num": int(num), "axis": axis}, name)


def _dims_text(shape):
    """A shape as TensorFlow's messages print it: ``[2,3]``, ``?`` for an unknown size."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


class _Concat(Op):
    name = "ConcatV2"
    strings = True

    def infer(self, inputs, axis):
        first = inputs[0]
        known = [i for i, sp in enumerate(inputs) if sp.shape.rank is not None]
        if not known:
            return TensorShape(None), first.dtype
        ref = known[0]
        r = inputs[ref].shape.rank
        ref_text = f"shape[{ref}] = {_dims_text(inputs[ref].shape)}"
        a = normalize_axis(axis, r, self.name)
        dims = [None] * r
        total = 0
        for i, sp in enumerate(inputs):
            if sp.dtype is not first.dtype:
                raise InvalidArgumentError(f"concat: input {i} has dtype {sp.dtype.name}, "
                                           f"input 0 has {first.dtype.name} [Op:ConcatV2]")
            if sp.shape.rank is None:
                total = None
                continue
            if sp.shape.rank != r:
                raise InvalidArgumentError(
                    f"ConcatOp : Ranks of all input tensors should match: {ref_text} vs. "
                    f"shape[{i}] = {_dims_text(sp.shape)} [Op:ConcatV2]")
            for k, d in enumerate(sp.shape.as_list()):
                if k == a:
                    continue
                if d is not None and dims[k] is not None and d != dims[k]:
                    raise InvalidArgumentError(
                        f"ConcatOp : Dimension {k} in both shapes must be equal: {ref_text} "
                        f"vs. shape[{i}] = {_dims_text(sp.shape)} [Op:ConcatV2]")
                dims[k] = d if d is not None else dims[k]
            d = sp.shape[a]
            total = None if total is None or d is None else total + d
        dims[a] = total
        return TensorShape(dims), first.dtype

    def kernel(self, xp, *arrays, axis):
        first = arrays[0]
        r = np.ndim(first)
        a = normalize_axis(axis, r, self.name)
        for i, x in enumerate(arrays[1:], 1):
            if np.ndim(x) != r or any(p != q for k, (p, q) in
                                      enumerate(zip(np.shape(first), np.shape(x))) if k != a):
                self.infer([_spec(t) for t in arrays], axis=axis)
                raise InvalidArgumentError(
                    f"ConcatOp : Dimensions of inputs should match: shape[0] = "
                    f"{list(np.shape(first))} vs. shape[{i}] = {list(np.shape(x))} "
                    f"[Op:ConcatV2]")
            if x.dtype != first.dtype:
                raise InvalidArgumentError(f"concat: input {i} has dtype {x.dtype}, input 0 "
                                           f"has {first.dtype} [Op:ConcatV2]")
        return np.concatenate(arrays, axis=a)

    def grad(self, call, g):
        axis = call.attrs["axis"]
        sizes = [t.shape[axis] for t in call.inputs]
        if any(s is None for s in sizes):
            sizes = stack([shape(t)[axis] for t in call.inputs])
        return tuple(split(g, sizes, axis=axis))


CONCAT = _Concat()


def concat(values, axis, name="concat"):
    """Joins tensors along an existing ``axis``."""
    ts = [tensor(v) for v in values]
    if not ts:
        raise ValueError("concat: values must be a non-empty list")
    if len(ts) == 1:
        return identity(ts[0])
    return execute(CONCAT, tuple(ts), {"axis": static_int(axis, "axis", "ConcatV2")}, name)


class _Split(Op):
    name = "SplitV"
    strings = True

    def output_count(self, attrs):
        return len(attrs["sizes"])

    def infer(self, inputs, sizes, axis):
        x = inputs[0]
        dims = x.shape.as_list()
        a = normalize_axis(axis, len(dims), self.name)
        n = dims[a]
        if n is not None and -1 not in sizes and sum(sizes) != n:
            raise InvalidArgumentError(
                f"Determined shape must either match input shape along split_dim exactly if "
                f"fully specified, or be less than the size of the input along split_dim if "
                f"not fully specified.  Got: {sum(sizes)} vs {n} (sizes {list(sizes)}) "
                f"[Op:SplitV]")
        out = []
        for s in sizes:
            if s == -1:
                s = None if n is None else n - sum(z for z in sizes if z != -1)
            out.append((TensorShape(dims[:a] + [s] + dims[a + 1:]), x.dtype))
        return out

    def kernel(self, xp, a, sizes, axis):
        axis = normalize_axis(axis, np.ndim(a), self.name)
        n = a.shape[axis]
        sizes = list(sizes)
        if -1 in sizes:
            sizes[sizes.index(-1)] = n - sum(s for s in sizes if s != -1)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            self.infer([_spec(a)], sizes=tuple(sizes), axis=axis)
            raise InvalidArgumentError(
                f"split: sizes {list(sizes)} do not add up to dimension {axis} of size {n} "
                f"(input shape {list(a.shape)}) [Op:SplitV]")
        cuts = np.cumsum(sizes)[:-1]
        return tuple(np.split(a, cuts, axis=axis))

    def grad(self, call, *grads):
        return (concat(list(grads), axis=call.attrs["axis"]),)


SPLIT = _Split()


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits into ``num_or_size_splits`` equal parts, or parts of the given sizes."""
    value = tensor(value)
    axis = static_int(axis, "axis", "SplitV")
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, Tensor) and num_or_size_splits.shape.rank == 0):
        k = static_int(num_or_size_splits, "num_or_size_splits", "SplitV")
        n = value.shape[axis] if value.shape.rank is not None else None
        if k <= 0:
            raise ValueError(f"split: num_or_size_splits must be positive, got {k}")
        if n is not None and n % k:
            raise InvalidArgumentError(
                f"Number of ways to split should evenly divide the split dimension, but got "
                f"split_dim {axis} (size = {n}) and num_split {k} [Op:Split]")
        if n is None:
            raise ValueError("split: the split dimension must be known to split evenly")
        sizes = (n // k,) * k
    else:
        sizes = static_axes(num_or_size_splits, "num_or_size_splits", "SplitV")
    return execute(SPLIT, (value,), {"sizes": tuple(sizes), "axis": axis}, name)


# ---------------------------------------------------------- helpers for jacobians ---

def one_hot_flat(i, n, dtype, shape_):
    """A tensor of ``shape_`` that is 1 at flat position ``i`` and 0 elsewhere."""
    arr = np.zeros(n, dtype=dtype.np)
    arr[i] = 1
    return EagerTensor(arr.reshape(shape_))


def one_hot_rows(j, per, batch, dtype, shape_):
    """A tensor of ``shape_`` ([batch, ...]) that is 1 at flat position ``j`` of every row."""
    arr = np.zeros((batch, per), dtype=dtype.np)
    arr[:, j] = 1
    return EagerTensor(arr.reshape(shape_))


# =========================================================== indexing, gather & scatter ===

_PySlice = builtins.slice
_INDEX_DTYPES = frozenset({np.dtype(np.int32), np.dtype(np.int64)})


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _check_index_dtype(op_name, dt, what):
    if dt._np not in _INDEX_DTYPES:
        raise InvalidArgumentError(f"{op_name}: {what} must be int32 or int64, got "
                                   f"{dt.name} [Op:{op_name}]")


def _int_tensor(value, what, op_name):
    """An int32/int64 tensor from a Python int, list, array or integer tensor."""
    if isinstance(value, Tensor) or getattr(value, "_is_ember_variable", False):
        t = tensor(value)
    else:
        arr = np.asarray(value)
        if arr.dtype.kind == "b" or arr.dtype == object or (
                arr.size and arr.dtype.kind not in "iu"):
            raise TypeError(f"{op_name}: `{what}` must contain integers, got {value!r}")
        if arr.dtype not in (np.int32, np.int64):
            big = arr.size and (arr.max() >= 2 ** 31 or arr.min() < -2 ** 31)
            arr = arr.astype(np.int64 if big else np.int32)
        t = convert_to_tensor(arr)
    if t.dtype._np not in _INDEX_DTYPES:
        raise TypeError(f"{op_name}: `{what}` must be an int32 or int64 tensor, got "
                        f"{t.dtype.name}")
    return t


def _index_str(pos):
    return ",".join(str(int(p)) for p in pos)


def _check_bounds(op_name, idx, n):
    """TensorFlow's error for an index outside [0, n)."""
    bad = (idx < 0) | (idx >= n)
    if np.any(bad):
        pos = np.argwhere(bad)[0]
        raise InvalidArgumentError(f"{op_name}: indices[{_index_str(pos)}] = "
                                   f"{int(idx[tuple(pos)])} is not in [0, {n}) [Op:{op_name}]")


# --------------------------------------------------------------------------------- tile ---

class _Tile(Op):
    name = "Tile"
    strings = True

    def infer(self, inputs):
        x, m = inputs
        _check_index_dtype(self.name, m.dtype, "multiples")
        if m.shape.rank not in (None, 1):
            raise InvalidArgumentError(f"Expected multiples to be 1-D, but got shape "
                                       f"{m.shape} [Op:Tile]")
        n = m.shape[0] if m.shape.rank == 1 else None
        r = x.shape.rank
        if r is not None and n is not None and n != r:
            raise InvalidArgumentError(f"Expected multiples argument to be a vector of length "
                                       f"{r} but got length {n} [Op:Tile]")
        if r is None:
            return TensorShape(None if n is None else [None] * n), x.dtype
        mv = shape_value(m)
        if mv is None:
            return TensorShape([None] * r), x.dtype
        for i, k in enumerate(mv):
            if k < 0:
                raise InvalidArgumentError(f"Expected multiples[{i}] >= 0, but got {k} "
                                           f"[Op:Tile]")
        return TensorShape([None if d is None else d * k
                            for d, k in zip(x.shape.as_list(), mv)]), x.dtype

    def kernel(self, xp, a, m):
        if m.shape != (np.ndim(a),) or np.any(m < 0):
            self.infer([_spec(a), _spec(m)])
        return np.tile(a, tuple(int(k) for k in m)) if np.ndim(a) else a.copy()

    def grad(self, call, g):
        x, m = call.inputs
        r = x.shape.rank
        if r == 0:
            return g, None
        pairs = stack([math_ops.cast(m, dtypes.int32), shape(x)], axis=1)
        split_g = reshape(g, reshape(pairs, [-1]))
        from ember.ops.reduce_ops import reduce_sum
        return reduce_sum(split_g, axis=list(range(0, 2 * r, 2))), None


TILE = _Tile()


def _spec(a):
    from ember.framework.op import Spec
    return Spec(TensorShape(np.shape(a)), dtypes.from_numpy(np.asarray(a).dtype), a)


def tile(input, multiples, name=None):  # noqa: A002
    """Repeats ``input`` ``multiples[i]`` times along each axis ``i``.

    >>> ember.tile([[1, 2]], [2, 2]).numpy()
    array([[1, 2, 1, 2],
           [1, 2, 1, 2]], dtype=int32)
    """
    return execute(TILE, (tensor(input), _int_tensor(multiples, "multiples", "Tile")),
                   EMPTY, name)


# ---------------------------------------------------------------------------------- pad ---

_PAD_MODES = ("CONSTANT", "REFLECT", "SYMMETRIC")


def _pad_check(op_name, dims, pv, mode):
    for i, (d, (b, e)) in enumerate(zip(dims, pv)):
        if b < 0 or e < 0:
            raise InvalidArgumentError(f"Paddings must be non-negative: {b} {e} "
                                       f"[Op:{op_name}]")
        if d is None:
            continue
        if mode == "REFLECT" and (b >= d or e >= d) and (b or e):
            raise InvalidArgumentError(f"paddings must be less than the dimension size: {b}, "
                                       f"{e} not less than {d} (dimension {i}) [Op:{op_name}]")
        if mode == "SYMMETRIC" and (b > d or e > d):
            raise InvalidArgumentError(f"paddings must be no greater than the dimension size: "
                                       f"{b}, {e} greater than {d} (dimension {i}) "
                                       f"[Op:{op_name}]")


def _paddings_of(spec, rank, op_name):
    _check_index_dtype(op_name, spec.dtype, "paddings")
    ps = spec.shape
    if ps.rank is not None and (ps.rank != 2 or (ps[1] is not None and ps[1] != 2)):
        raise InvalidArgumentError(f"paddings must be a matrix with 2 columns: {ps} "
                                   f"[Op:{op_name}]")
    if rank is not None and ps.rank == 2 and ps[0] is not None and ps[0] != rank:
        raise InvalidArgumentError(f"The first dimension of paddings must be the rank of "
                                   f"inputs ({rank}), got paddings of shape {ps} "
                                   f"[Op:{op_name}]")
    if spec.value is None:
        return None
    return np.asarray(spec.value).reshape(-1, 2).tolist()


class _Pad(Op):
    name = "PadV2"
    strings = True

    def infer(self, inputs, mode):
        x, p, c = inputs
        r = x.shape.rank
        pv = _paddings_of(p, r, self.name)
        if c.shape.rank not in (None, 0):
            raise InvalidArgumentError(f"constant_values must be a scalar. Shape of "
                                       f"constant_values is {c.shape} [Op:PadV2]")
        if c.dtype is not x.dtype:
            raise InvalidArgumentError(f"pad: constant_values has dtype {c.dtype.name} but the "
                                       f"input has {x.dtype.name} [Op:PadV2]")
        if r is None:
            return TensorShape(None), x.dtype
        if pv is None:
            return TensorShape([None] * r), x.dtype
        dims = x.shape.as_list()
        _pad_check(self.name, dims, pv, mode)
        return TensorShape([None if d is None else d + b + e
                            for d, (b, e) in zip(dims, pv)]), x.dtype

    def kernel(self, xp, a, p, c, mode):
        self.infer([_spec(a), _spec(p), _spec(c)], mode=mode)
        pads = [(int(b), int(e)) for b, e in p.reshape(-1, 2)]
        if not pads:
            return a.copy()
        if mode == "CONSTANT" and a.dtype == object:     # np.pad would store np.bytes_
            out = np.full([d + b + e for d, (b, e) in zip(a.shape, pads)], c[()], dtype=object)
            out[tuple(builtins.slice(b, b + d) for d, (b, _) in zip(a.shape, pads))] = a
            return out
        if mode == "CONSTANT":
            return np.pad(a, pads, mode="constant", constant_values=c[()])
        return np.pad(a, pads, mode=mode.lower())

    def grad(self, call, g):
        x, p, c = call.inputs
        mode = call.attrs["mode"]
        if mode == "CONSTANT":
            begin = reshape(slice(p, [0, 0], [-1, 1]), [-1])
            dx = slice(g, begin, shape(x, out_type=p.dtype))
            from ember.ops.reduce_ops import reduce_sum
            return dx, None, reduce_sum(g) - reduce_sum(dx)
        return execute(MIRROR_PAD_GRAD, (g, p), {"mode": mode}), None, None


PAD = _Pad()


class _MirrorPadGrad(Op):
    """Folds the gradient of a REFLECT/SYMMETRIC pad back onto the unpadded input."""

    name = "MirrorPadGrad"

    def infer(self, inputs, mode):
        g, p = inputs
        r = g.shape.rank
        pv = _paddings_of(p, r, self.name)
        if r is None:
            return TensorShape(None), g.dtype
        if pv is None:
            return TensorShape([None] * r), g.dtype
        return TensorShape([None if d is None else d - b - e
                            for d, (b, e) in zip(g.shape.as_list(), pv)]), g.dtype

    def kernel(self, xp, g, p, mode):
        out = g
        for ax, (b, e) in enumerate(p.reshape(-1, 2)):
            b, e = int(b), int(e)
            if not b and not e:
                continue
            n = out.shape[ax] - b - e
            src = np.arange(out.shape[ax]) - b
            if mode == "REFLECT":
                src = np.where(src < 0, -src, np.where(src >= n, 2 * (n - 1) - src, src))
            else:
                src = np.where(src < 0, -src - 1, np.where(src >= n, 2 * n - 1 - src, src))
            moved = np.moveaxis(out, ax, 0)
            acc = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            np.add.at(acc, src, moved)
            out = np.moveaxis(acc, 0, ax)
        return np.ascontiguousarray(out)

    def grad(self, call, gg):
        return pad(gg, call.inputs[1], mode=call.attrs["mode"]), None


MIRROR_PAD_GRAD = _MirrorPadGrad()


def pad(tensor_, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pads a tensor: ``paddings[i] = [before, after]`` for dimension ``i``.

    ``mode`` is CONSTANT (with ``constant_values``), REFLECT or SYMMETRIC.

    >>> ember.pad([[1, 2]], [[1, 0], [0, 1]]).numpy()
    array([[0, 0, 0],
           [1, 2, 0]], dtype=int32)
    """
    m = str(mode).upper()
    if m not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of CONSTANT, REFLECT, SYMMETRIC, got {mode!r}")
    x = tensor(tensor_)
    if x.dtype is dtypes.string and isinstance(constant_values, int) and constant_values == 0:
        constant_values = b""       # TensorFlow's default pads strings with empty ones
    c = tensor(constant_values, dtype_hint=x.dtype)
    if c.dtype is not x.dtype and not isinstance(constant_values, Tensor):
        c = math_ops.cast(c, x.dtype)
    return execute(PAD, (x, _int_tensor(paddings, "paddings", "PadV2"), c), {"mode": m}, name)


# ------------------------------------------------------------------------------- gather ---

def _gather_axes(op_name, prank, irank, axis, batch_dims):
    if irank is not None and batch_dims < 0:
        batch_dims += irank
    if prank is not None and axis < 0:
        axis += prank
    if prank is not None and not 0 <= axis < max(prank, 1):
        raise InvalidArgumentError(f"Expected axis in the range [{-prank}, {prank}), but got "
                                   f"{axis} [Op:{op_name}]")
    if prank == 0:
        raise InvalidArgumentError(f"{op_name}: params must be at least 1-D, got a scalar "
                                   f"[Op:{op_name}]")
    if batch_dims < 0 or (irank is not None and batch_dims > irank):
        raise InvalidArgumentError(f"Expected batch_dims in the range [{-(irank or 0)}, "
                                   f"{irank}], but got {batch_dims} [Op:{op_name}]")
    if batch_dims > axis:
        raise InvalidArgumentError(f"batch_dims ({batch_dims}) must be less than or equal to "
                                   f"axis ({axis}) [Op:{op_name}]")
    return axis, batch_dims


class _Gather(Op):
    name = "GatherV2"
    strings = True
    fresh_output = True       # take() and fancy indexing copy: never a view of params

    def infer(self, inputs, axis, batch_dims):
        p, i = inputs
        _check_index_dtype(self.name, i.dtype, "indices")
        pr, ir = p.shape.rank, i.shape.rank
        if pr is None or ir is None:
            return TensorShape(None), p.dtype
        axis, bd = _gather_axes(self.name, pr, ir, axis, batch_dims)
        pd, idd = p.shape.as_list(), i.shape.as_list()
        for k in range(bd):
            if pd[k] is not None and idd[k] is not None and pd[k] != idd[k]:
                raise InvalidArgumentError(
                    f"params.shape[{k}]: {pd[k]} should be equal to indices.shape[{k}]: "
                    f"{idd[k]} [Op:GatherV2]")
        return TensorShape(pd[:axis] + idd[bd:] + pd[axis + 1:]), p.dtype

    def kernel(self, xp, p, idx, axis, batch_dims):
        axis, bd = _gather_axes(self.name, p.ndim, idx.ndim, axis, batch_dims)
        self.infer([_spec(p), _spec(idx)], axis=axis, batch_dims=bd)
        _check_bounds(self.name, idx, p.shape[axis])
        if bd == 0:
            return _array(np.take(p, idx, axis=axis))
        bi, ai, ir, shape4 = _gather_index(p.shape, idx, axis, bd)
        out = p.reshape(shape4)[bi, ai, ir]
        return out.reshape(p.shape[:axis] + idx.shape[bd:] + p.shape[axis + 1:])

    def grad(self, call, g):
        p, i = call.inputs
        a = call.attrs
        if a["axis"] == 0 and a["batch_dims"] == 0:
            return rows_gradient(g, i, p), None
        dp = execute(GATHER_GRAD, (g, i, shape(p)), {"axis": a["axis"],
                                                     "batch_dims": a["batch_dims"]})
        return dp, None


def rows_gradient(g, indices, params):
    """The gradient w.r.t. ``params`` of rows gathered from it at ``indices`` (axis 0), as
    TensorFlow gives it: an IndexedSlices with one row of ``g`` per index."""
    from ember.ops.indexed_slices import IndexedSlices
    inner = params.shape.as_list()[1:] if params.shape.rank is not None else None
    if inner is not None and all(d is not None for d in inner):
        values = reshape(g, [-1] + inner)
        dense_shape = shape(params)
    else:
        dense_shape = shape(params)
        values = reshape(g, concat([[-1], dense_shape[1:]], 0))
    return IndexedSlices(values, reshape(indices, [-1]), dense_shape)


def _gather_index(pshape, idx, axis, bd):
    """Broadcastable index arrays into params viewed as [batch, outer, n, inner]."""
    nb = _prod(pshape[:bd])
    na = _prod(pshape[bd:axis])
    shape4 = (nb, na, pshape[axis], _prod(pshape[axis + 1:]))
    ir = idx.reshape(nb, _prod(idx.shape[bd:]))
    return (np.arange(nb)[:, None, None], np.arange(na)[None, :, None], ir[:, None, :],
            shape4)


GATHER = _Gather()


class _GatherGrad(Op):
    """The gradient of gather w.r.t. params: the incoming gradient scatter-added densely."""

    name = "GatherGrad"

    def infer(self, inputs, axis, batch_dims):
        return shape_from_spec(inputs[2]), inputs[0].dtype

    def kernel(self, xp, g, idx, pshape, axis, batch_dims):
        pshape = tuple(int(d) for d in pshape)
        axis, bd = _gather_axes(self.name, len(pshape), idx.ndim, axis, batch_dims)
        bi, ai, ir, shape4 = _gather_index(pshape, idx, axis, bd)
        out = np.zeros(shape4, dtype=g.dtype)
        np.add.at(out, (bi, ai, ir), g.reshape(shape4[:2] + (ir.shape[-1], shape4[3])))
        return out.reshape(pshape)

    def grad(self, call, gg):
        a = call.attrs
        return (gather(gg, call.inputs[1], axis=a["axis"], batch_dims=a["batch_dims"]),
                None, None)


GATHER_GRAD = _GatherGrad()


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Gathers slices of ``params`` along ``axis`` at ``indices``.

    >>> ember.gather([10, 20, 30], [2, 0]).numpy()
    array([30, 10], dtype=int32)
    """
    bd = static_int(batch_dims, "batch_dims", "GatherV2")
    ax = bd if axis is None else static_int(axis, "axis", "GatherV2")
    return execute(GATHER, (tensor(params), _int_tensor(indices, "indices", "GatherV2")),
                   {"axis": ax, "batch_dims": bd}, name)


# ---------------------------------------------------------------------------- gather_nd ---

def _nd_index(idx):
    return tuple(np.moveaxis(idx, -1, 0))


def _check_nd_bounds(op_name, idx, dims, what="param shape"):
    k = idx.shape[-1]
    bad = np.any((idx < 0) | (idx >= np.asarray(dims[:k], dtype=np.int64)), axis=-1)
    if np.any(bad):
        pos = np.argwhere(bad)[0]
        raise InvalidArgumentError(
            f"{op_name}: indices[{_index_str(pos)}] = {idx[tuple(pos)].tolist()} does not "
            f"index into {what} {list(dims)} [Op:{op_name}]")


class _GatherNd(Op):
    name = "GatherNd"
    strings = True

    def infer(self, inputs):
        p, i = inputs
        _check_index_dtype(self.name, i.dtype, "indices")
        if p.shape.rank is None or i.shape.rank is None:
            return TensorShape(None), p.dtype
        if i.shape.rank == 0:
            raise InvalidArgumentError("indices must be at least a vector, got a scalar "
                                       "[Op:GatherNd]")
        k = i.shape[-1]
        if k is None:
            return TensorShape(None), p.dtype
        if k > p.shape.rank:
            raise InvalidArgumentError(
                f"index innermost dimension length must be <= params rank; saw: {k} vs. "
                f"{p.shape.rank} [Op:GatherNd]")
        return TensorShape(i.shape.as_list()[:-1] + p.shape.as_list()[k:]), p.dtype

    def kernel(self, xp, p, idx):
        self.infer([_spec(p), _spec(idx)])
        k = idx.shape[-1]
        lead = idx.shape[:-1]
        if k == 0:
            return np.array(np.broadcast_to(p, lead + p.shape))
        _check_nd_bounds(self.name, idx, p.shape)
        return _array(p[_nd_index(idx)])

    def grad(self, call, g):
        p, i = call.inputs
        return scatter_nd(i, g, shape(p, out_type=i.dtype)), None


GATHER_ND = _GatherNd()


def gather_nd(params, indices, batch_dims=0, name=None):
    """Gathers slices of ``params`` at the index tuples in the last axis of ``indices``.

    >>> ember.gather_nd([[1, 2], [3, 4]], [[1, 0], [0, 1]]).numpy()
    array([3, 2], dtype=int32)
    """
    p = tensor(params)
    i = _int_tensor(indices, "indices", "GatherNd")
    bd = static_int(batch_dims, "batch_dims", "GatherNd")
    if bd == 0:
        return execute(GATHER_ND, (p, i), EMPTY, name)
    ps, is_ = p.shape, i.shape
    if not (ps.is_fully_defined() and is_.is_fully_defined()):
        raise ValueError("gather_nd: batch_dims > 0 needs fully known shapes")
    ps, is_ = ps.as_list(), is_.as_list()
    if bd < 0 or bd >= len(is_) or bd > len(ps) or ps[:bd] != is_[:bd]:
        raise InvalidArgumentError(f"gather_nd: batch_dims={bd} needs params and indices to "
                                   f"share their first {bd} dimensions, got {ps} and {is_} "
                                   f"[Op:GatherNd]")
    nb = _prod(ps[:bd])
    k = is_[-1]
    flat_p = reshape(p, [nb] + ps[bd:])
    flat_i = reshape(i, [nb, -1, k])
    m = _prod(is_[bd:-1])
    batch = EagerTensor(np.broadcast_to(np.arange(nb, dtype=i.dtype.np)[:, None, None],
                                        (nb, m, 1)).copy())
    out = execute(GATHER_ND, (flat_p, concat([batch, flat_i], axis=-1)), EMPTY, name)
    return reshape(out, is_[:-1] + ps[bd + k:])


# --------------------------------------------------------------------------- scatter_nd ---

def _scatter_updates_check(op_name, i, u, out_dims):
    """updates must have shape indices.shape[:-1] + out_shape[K:]."""
    if i.shape.rank is None or u.shape.rank is None or out_dims is None:
        return
    if i.shape.rank == 0:
        raise InvalidArgumentError(f"{op_name}: indices must be at least a vector, got a "
                                   f"scalar [Op:{op_name}]")
    k = i.shape[-1]
    if k is None:
        return
    if k > len(out_dims):
        raise InvalidArgumentError(
            f"{op_name}: index innermost dimension length must be <= output rank; saw: {k} "
            f"vs. {len(out_dims)} [Op:{op_name}]")
    want = TensorShape(i.shape.as_list()[:-1] + list(out_dims[k:]))
    if not u.shape.is_compatible_with(want):
        raise InvalidArgumentError(
            f"{op_name}: updates must have shape indices.shape[:-1] + shape[{k}:] = {want}, "
            f"got updates of shape {u.shape} (indices {i.shape}, output shape "
            f"{list(out_dims)}) [Op:{op_name}]")


class _ScatterNd(Op):
    name = "ScatterNd"
    strings = True      # string updates fill b"" elsewhere; the last update of an index wins

    def infer(self, inputs):
        i, u, s = inputs
        _check_index_dtype(self.name, i.dtype, "indices")
        out = shape_from_spec(s)
        sv = shape_value(s)
        if sv is not None and any(d < 0 for d in sv):
            raise InvalidArgumentError(f"ScatterNd: shape must be non-negative, got {sv} "
                                       f"[Op:ScatterNd]")
        _scatter_updates_check(self.name, i, u, sv)
        return out, u.dtype

    def kernel(self, xp, idx, u, s):
        self.infer([_spec(idx), _spec(u), _spec(s)])
        dims = tuple(int(d) for d in s)
        k = idx.shape[-1]
        if u.dtype == object:
            out = np.full(dims, b"", dtype=object)
            if k == 0:
                return _array(u.reshape((-1,) + dims)[-1]) if u.size else out
            _check_nd_bounds(self.name, idx, dims, "shape")
            out[_nd_index(idx)] = u
            return out
        out = np.zeros(dims, dtype=u.dtype)
        if k == 0:
            return out + np.sum(u.reshape((-1,) + dims), axis=0, dtype=u.dtype)
        _check_nd_bounds(self.name, idx, dims, "shape")
        np.add.at(out, _nd_index(idx), u)
        return out

    def grad(self, call, g):
        return None, gather_nd(g, call.inputs[0]), None


SCATTER_ND = _ScatterNd()


def scatter_nd(indices, updates, shape, name=None):  # noqa: A002
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (duplicates add).

    >>> ember.scatter_nd([[1], [3]], [5, 7], [4]).numpy()
    array([0, 5, 0, 7], dtype=int32)
    """
    return execute(SCATTER_ND, (_int_tensor(indices, "indices", "ScatterNd"), tensor(updates),
                                shape_arg(shape, "scatter_nd")), EMPTY, name)


class _TensorScatter(Op):
    """tensor_scatter_nd_update / _add: a copy of ``tensor`` changed at ``indices``."""
    strings = True      # update takes strings, add refuses them in infer

    def __init__(self, name, add):
        super().__init__(name)
        self.add = add

    def infer(self, inputs):
        t, i, u = inputs
        _check_index_dtype(self.name, i.dtype, "indices")
        if u.dtype is not t.dtype:
            raise InvalidArgumentError(f"{self.name}: updates has dtype {u.dtype.name} but "
                                       f"tensor has {t.dtype.name} [Op:{self.name}]")
        if self.add and t.dtype is dtypes.string:
            raise InvalidArgumentError(f"{self.name} does not support string tensors "
                                       f"[Op:{self.name}]")
        _scatter_updates_check(self.name, i, u,
                               t.shape.as_list() if t.shape.rank is not None else None)
        return t.shape, t.dtype

    def kernel(self, xp, a, idx, u):
        self.infer([_spec(a), _spec(idx), _spec(u)])
        k = idx.shape[-1]
        if k == 0:
            rows = u.reshape((-1,) + a.shape)
            if self.add:
                return a + np.sum(rows, axis=0, dtype=a.dtype)
            return _array(rows[-1]).copy() if rows.shape[0] else a.copy()
        _check_nd_bounds(self.name, idx, a.shape, "tensor shape")
        out = a.copy()
        if self.add:
            np.add.at(out, _nd_index(idx), u)
        else:
            out[_nd_index(idx)] = u
        return out

    def grad(self, call, g):
        t, i, u = call.inputs
        du = gather_nd(g, i)
        if self.add:
            return g, None, du
        return tensor_scatter_nd_update(g, i, zeros_like(du)), None, du


TENSOR_SCATTER_UPDATE = _TensorScatter("TensorScatterUpdate", add=False)
TENSOR_SCATTER_ADD = _TensorScatter("TensorScatterAdd", add=True)


def _tensor_scatter_args(tensor_, indices, updates, op_name):
    t = tensor(tensor_)
    u = tensor(updates, dtype_hint=t.dtype)
    return t, _int_tensor(indices, "indices", op_name), u


def tensor_scatter_nd_update(tensor, indices, updates, name=None):  # noqa: F811
    """A copy of ``tensor`` with the slices at ``indices`` replaced by ``updates``.

    >>> ember.tensor_scatter_nd_update([1, 2, 3], [[0]], [9]).numpy()
    array([9, 2, 3], dtype=int32)
    """
    return execute(TENSOR_SCATTER_UPDATE,
                   _tensor_scatter_args(tensor, indices, updates, "TensorScatterUpdate"),
                   EMPTY, name)


def tensor_scatter_nd_add(tensor, indices, updates, name=None):  # noqa: F811
    """A copy of ``tensor`` with ``updates`` added at ``indices`` (duplicates add).

    >>> ember.tensor_scatter_nd_add([1, 2, 3], [[0], [0]], [5, 5]).numpy()
    array([11,  2,  3], dtype=int32)
    """
    return execute(TENSOR_SCATTER_ADD,
                   _tensor_scatter_args(tensor, indices, updates, "TensorScatterAdd"),
                   EMPTY, name)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):  # noqa: F811
    """A copy of ``tensor`` with ``updates`` subtracted at ``indices``."""
    t, i, u = _tensor_scatter_args(tensor, indices, updates, "TensorScatterSub")
    return execute(TENSOR_SCATTER_ADD, (t, i, math_ops.negative(u)), EMPTY, name)


# -------------------------------------------------------------------------------- slice ---

class _Slice(Op):
    name = "Slice"
    strings = True

    def infer(self, inputs):
        x, b, s = inputs
        _check_index_dtype(self.name, b.dtype, "begin")
        _check_index_dtype(self.name, s.dtype, "size")
        r = x.shape.rank
        for what, sp in (("begin", b), ("size", s)):
            if sp.shape.rank not in (None, 1) or (
                    r is not None and sp.shape.rank == 1 and sp.shape[0] not in (None, r)):
                raise InvalidArgumentError(
                    f"Expected {what} to be a vector of length {r} (the input's rank), but got "
                    f"shape {sp.shape} [Op:Slice]")
        if r is None:
            return TensorShape(None), x.dtype
        bv, sv = shape_value(b), shape_value(s)
        out = []
        for i, d in enumerate(x.shape.as_list()):
            bi = None if bv is None else bv[i]
            si = None if sv is None else sv[i]
            if d is None or bi is None:
                out.append(si if si is not None and si >= 0 else None)
                continue
            if not 0 <= bi <= d:
                raise InvalidArgumentError(f"Expected begin[{i}] in [0, {d}], but got {bi} "
                                           f"[Op:Slice]")
            if si is None:
                out.append(None)
                continue
            if si == -1:
                si = d - bi
            if not 0 <= si <= d - bi:
                raise InvalidArgumentError(f"Expected size[{i}] in [0, {d - bi}], but got "
                                           f"{si} [Op:Slice]")
            out.append(si)
        return TensorShape(out), x.dtype

    def kernel(self, xp, a, b, s):
        shp = self.infer([_spec(a), _spec(b), _spec(s)])[0]
        return a[tuple(_PySlice(int(bi), int(bi) + n) for bi, n in zip(b, shp.as_list()))].copy()

    def grad(self, call, g):
        x, b, _ = call.inputs
        after = shape(x, out_type=b.dtype) - b - shape(g, out_type=b.dtype)
        return pad(g, stack([b, after], axis=1)), None, None


SLICE = _Slice()


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's public name
    """Extracts ``size[i]`` elements from ``begin[i]`` along each axis (-1: to the end).

    >>> ember.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [2, -1]).numpy()
    array([[2, 3],
           [5, 6]], dtype=int32)
    """
    return execute(SLICE, (tensor(input_), _int_tensor(begin, "begin", "Slice"),
                           _int_tensor(size, "size", "Slice")), EMPTY, name)


# ------------------------------------------------------------------------ strided slice ---

_UNKNOWN = object()


def _ss_resolve(op_name, dims, begin, end, strides, masks):
    """Output dims and the NumPy index of a strided-slice spec over an input of ``dims``.

    ``begin``/``end``/``strides`` hold ints or _UNKNOWN; ``dims`` ints or None.
    """
    bm, em, elm, nam, sam = masks
    n = len(strides)
    rank = len(dims)
    kinds = []
    for i in range(n):
        if elm >> i & 1:
            if "..." in kinds:
                raise InvalidArgumentError(f"Multiple ellipses in slice spec not allowed "
                                           f"[Op:{op_name}]")
            kinds.append("...")
        elif nam >> i & 1:
            kinds.append("new")
        elif sam >> i & 1:
            kinds.append("int")
        else:
            kinds.append("slice")
    consumed = sum(k in ("int", "slice") for k in kinds)
    if consumed > rank:
        raise InvalidArgumentError(f"Index out of range using input dim {rank}; input has "
                                   f"only {rank} dims [Op:{op_name}]")
    out, index = [], []
    d = 0
    for i, kind in enumerate(kinds):
        if kind == "...":
            span = rank - consumed
            out.extend(dims[d:d + span])
            index.append(Ellipsis)
            d += span
        elif kind == "new":
            out.append(1)
            index.append(None)
        elif kind == "int":
            b = 0 if bm >> i & 1 else begin[i]
            size = dims[d]
            if b is not _UNKNOWN and size is not None and not -size <= b < size:
                raise InvalidArgumentError(f"slice index {b} of dimension {d} out of bounds "
                                           f"(dimension {d} has size {size}) [Op:{op_name}]")
            index.append(b)
            d += 1
        else:
            s = strides[i]
            if s == 0:
                raise InvalidArgumentError(f"strides[{i}] must be non-zero [Op:{op_name}]")
            b = None if bm >> i & 1 else begin[i]
            e = None if em >> i & 1 else end[i]
            size = dims[d]
            if _UNKNOWN in (b, e, s) or size is None:
                full = b is None and e is None and s in (1, -1)
                out.append(size if full else None)
            else:
                out.append(len(builtins.range(size)[_PySlice(b, e, s)]))
            index.append(_PySlice(b, e, s))
            d += 1
    out.extend(dims[d:])
    if "..." not in kinds:
        index.append(Ellipsis)
    return out, tuple(index)


_SS_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _ss_lengths(op_name, specs):
    n = None
    for sp in specs:
        _check_index_dtype(op_name, sp.dtype, "begin, end and strides")
        if sp.shape.rank not in (None, 1):
            raise InvalidArgumentError(f"Expected begin, end, and strides to be 1D equal size "
                                       f"tensors, but got shapes "
                                       f"{', '.join(str(q.shape) for q in specs)} instead. "
                                       f"[Op:{op_name}]")
        if sp.shape.rank == 1 and sp.shape[0] is not None:
            if n is not None and sp.shape[0] != n:
                raise InvalidArgumentError(
                    f"Expected begin, end, and strides to be 1D equal size tensors, but got "
                    f"shapes {', '.join(str(q.shape) for q in specs)} instead. [Op:{op_name}]")
            n = sp.shape[0]
    return n


def _ss_values(specs, n):
    out = []
    for sp in specs:
        v = shape_value(sp)
        out.append(v if v is not None else [_UNKNOWN] * n)
    return out


def _masks(attrs):
    return tuple(attrs[k] for k in _SS_MASKS)


class _StridedSlice(Op):
    name = "StridedSlice"
    strings = True

    def infer(self, inputs, **attrs):
        x = inputs[0]
        n = _ss_lengths(self.name, inputs[1:])
        if x.shape.rank is None or n is None:
            return TensorShape(None), x.dtype
        b, e, s = _ss_values(inputs[1:], n)
        out, _ = _ss_resolve(self.name, x.shape.as_list(), b, e, s, _masks(attrs))
        return TensorShape(out), x.dtype

    def kernel(self, xp, a, b, e, s, **attrs):
        _ss_lengths(self.name, [_spec(b), _spec(e), _spec(s)])
        _, index = _ss_resolve(self.name, list(a.shape), b.tolist(), e.tolist(), s.tolist(),
                               _masks(attrs))
        return np.array(a[index])

    def grad(self, call, g):
        x, b, e, s = call.inputs
        dx = execute(STRIDED_SLICE_GRAD, (shape(x, out_type=b.dtype), b, e, s, g), call.attrs)
        return dx, None, None, None


STRIDED_SLICE = _StridedSlice()


class _StridedSliceGrad(Op):
    """Places the gradient of a strided slice into zeros of the input's shape."""

    name = "StridedSliceGrad"

    def infer(self, inputs, **attrs):
        _ss_lengths(self.name, inputs[1:4])
        return shape_from_spec(inputs[0]), inputs[4].dtype

    def kernel(self, xp, shp, b, e, s, dy, **attrs):
        dims = [int(d) for d in shp]
        _, index = _ss_resolve(self.name, dims, b.tolist(), e.tolist(), s.tolist(),
                               _masks(attrs))
        out = np.zeros(dims, dtype=dy.dtype)
        out[index] = dy
        return out

    def grad(self, call, gg):
        _, b, e, s, _ = call.inputs
        return None, None, None, None, execute(STRIDED_SLICE, (gg, b, e, s), call.attrs)


STRIDED_SLICE_GRAD = _StridedSliceGrad()


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """Extracts a strided slice, as ``input_[begin:end:strides]`` per dimension.

    The masks are bit fields over the entries of ``begin``: ``begin_mask``/``end_mask``
    ignore that begin/end, ``ellipsis_mask`` marks ``...``, ``new_axis_mask`` a new axis of
    size 1 and ``shrink_axis_mask`` an integer index that removes the dimension.

    >>> ember.strided_slice([[1, 2, 3], [4, 5, 6]], [0, 2], [2, 0], [1, -1]).numpy()
    array([[3, 2],
           [6, 5]], dtype=int32)
    """
    b = _int_tensor(begin, "begin", "StridedSlice")
    e = _int_tensor(end, "end", "StridedSlice")
    s = ones_like(b) if strides is None else _int_tensor(strides, "strides", "StridedSlice")
    attrs = dict(zip(_SS_MASKS, (int(begin_mask), int(end_mask), int(ellipsis_mask),
                                 int(new_axis_mask), int(shrink_axis_mask))))
    return execute(STRIDED_SLICE, (tensor(input_), b, e, s), attrs, name)


# ------------------------------------------------------------------------------ getitem ---

def _is_int_scalar(k):
    if isinstance(k, (bool, np.bool_)):
        return False
    if isinstance(k, (int, np.integer)):
        return True
    if isinstance(k, (Tensor, np.ndarray)) or getattr(k, "_is_ember_variable", False):
        return k.shape is not None and len(k.shape) == 0 and \
            dtypes.as_dtype(k.dtype).is_integer
    return False


def _static_or_tensor(v):
    """A Python int for ints and eager scalars; symbolic tensors stay tensors."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, np.ndarray) or isinstance(v, EagerTensor):
        return int(v)
    t = tensor(v)
    if isinstance(t, EagerTensor):
        return int(t)
    return t


def _slice_part(v, what):
    if v is None:
        return None
    if _is_int_scalar(v):
        return _static_or_tensor(v)
    raise TypeError(f"slice {what} must be an integer or a scalar integer tensor, got {v!r}")


def _pack_index(values):
    if all(isinstance(v, int) for v in values):
        big = any(not -2 ** 31 <= v < 2 ** 31 for v in values)
        return EagerTensor(np.array(values, dtype=np.int64 if big else np.int32)
                           .reshape(len(values)))
    return stack([math_ops.cast(v, dtypes.int32) if isinstance(v, Tensor) else v
                  for v in values])


_BAD_INDEX = ("Only integers, slices (`:`), ellipsis (`...`), ember.newaxis (`None`), scalar "
              "int32/int64 tensors, 1-D integer tensors or lists, and boolean tensors are "
              "valid indices, got {!r}")


def getitem(x, key):
    """``x[key]``: NumPy-style indexing, differentiable with respect to ``x``.

    Supports ints, slices with steps, ``...``, ``None``, scalar integer tensors, one
    integer list/tensor (gathered along its axis) or one boolean mask tensor.

    >>> ember.constant([[1, 2, 3], [4, 5, 6]])[:, ::-1][0].numpy()
    array([3, 2, 1], dtype=int32)
    """
    x = tensor(x)
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides, kinds = [], [], [], []
    masks = dict.fromkeys(_SS_MASKS, 0)
    advanced = None

    def add(kind, b=0, e=0, s=1, **bits):
        i = len(begin)
        for m, on in bits.items():
            if on:
                masks[m] |= 1 << i
        begin.append(b)
        end.append(e)
        strides.append(s)
        kinds.append(kind)

    for k in key:
        if k is Ellipsis:
            if "..." in kinds:
                raise IndexError("an index can only have a single ellipsis ('...')")
            add("...", ellipsis_mask=True)
        elif k is None:
            add("new", new_axis_mask=True)
        elif isinstance(k, _PySlice):
            b, e = _slice_part(k.start, "start"), _slice_part(k.stop, "stop")
            s = 1 if k.step is None else _slice_part(k.step, "step")
            if isinstance(s, int) and s == 0:
                raise ValueError("slice step cannot be zero")
            add("slice", 0 if b is None else b, 0 if e is None else e, s,
                begin_mask=b is None, end_mask=e is None)
        elif _is_int_scalar(k):
            v = _static_or_tensor(k)
            add("int", v, v + 1 if isinstance(v, int) else v, 1, shrink_axis_mask=True)
        else:
            if isinstance(k, (float, str, bytes, bool, np.bool_, np.floating)):
                raise TypeError(_BAD_INDEX.format(k))
            if isinstance(k, list) and not k:
                k = np.zeros(0, np.int32)
            t = tensor(k) if isinstance(k, Tensor) or getattr(
                k, "_is_ember_variable", False) else convert_to_tensor(np.asarray(k))
            if not (t.dtype.is_bool or t.dtype.is_integer) or t.shape.rank is None:
                raise TypeError(_BAD_INDEX.format(k))
            if advanced is not None:
                raise TypeError("getitem supports only one integer-list/tensor or boolean "
                                "mask index per subscript; index in two steps instead")
            advanced = (len(kinds), t)
            for _ in range(t.shape.rank if t.dtype.is_bool else 1):
                add("full", begin_mask=True, end_mask=True)

    trivial = all(kd == "full" or (kd == "slice" and isinstance(s, int) and s == 1
                                   and masks["begin_mask"] >> i & 1
                                   and masks["end_mask"] >> i & 1)
                  for i, (kd, s) in enumerate(zip(kinds, strides)))
    if trivial and x.shape.rank is not None and len(kinds) <= x.shape.rank:
        result = x
    else:
        result = execute(STRIDED_SLICE, (x, _pack_index(begin), _pack_index(end),
                                         _pack_index(strides)), masks)
    if advanced is None:
        return result
    pos, t = advanced
    ell = 0
    if "..." in kinds[:pos]:
        if x.shape.rank is None:
            raise ValueError("getitem: an ellipsis before a tensor index needs a known rank")
        ell = x.shape.rank - sum(kd in ("int", "slice", "full") for kd in kinds)
    axis = sum({"...": ell, "new": 1, "int": 0}.get(kd, 1) for kd in kinds[:pos])
    if t.dtype.is_bool:
        return boolean_mask(result, t, axis=axis)
    if isinstance(t, EagerTensor):
        n = result.shape[axis]
        if n is not None and np.any(t._value < 0):
            t = EagerTensor(np.where(t._value < 0, t._value + n, t._value)
                            .astype(t._value.dtype))
    else:
        n = math_ops.cast(shape(result)[axis], t.dtype)
        t = where(math_ops.less(t, zeros_like(t)), t + n, t)
    return gather(result, t, axis=axis)


# ------------------------------------------------------------------------- boolean_mask ---

def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):  # noqa: F811
    """The elements (or slices along ``axis``) of ``tensor`` where ``mask`` is true.

    >>> ember.boolean_mask([1, 2, 3, 4], [True, False, True, False]).numpy()
    array([1, 3], dtype=int32)
    """
    t = _as_tensor(tensor)
    m = _as_tensor(mask, dtype_hint=dtypes.bool)
    if m.dtype is dtypes.string:
        raise TypeError("boolean_mask: mask must be a bool (or numeric) tensor, got string")
    k = m.shape.rank
    if k is None:
        raise ValueError("Number of mask dimensions must be specified, even if some "
                         "dimensions are None.  E.g. shape=[None] is ok, but shape=None is "
                         "not.")
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else static_int(axis, "axis", "boolean_mask")
    r = t.shape.rank
    if r is not None:
        if axis < 0:
            axis += r
        if not 0 <= axis or axis + k > r:
            raise ValueError(f"boolean_mask: a mask of rank {k} at axis {axis} does not fit a "
                             f"tensor of shape {t.shape}")
        part = TensorShape(t.shape.as_list()[axis:axis + k])
        if not part.is_compatible_with(m.shape):
            raise ValueError(f"Shapes {part} and {m.shape} are incompatible (boolean_mask: "
                             f"tensor dimensions {axis}..{axis + k - 1} must match the mask)")
    dims = t.shape.as_list() if r is not None else None
    if dims is not None and None not in dims:
        flat_shape = dims[:axis] + [_prod(dims[axis:axis + k])] + dims[axis + k:]
    elif dims is not None and None not in dims[:axis] + dims[axis + k:]:
        flat_shape = dims[:axis] + [-1] + dims[axis + k:]
    else:
        ts = shape(t)
        flat_shape = concat([ts[:axis], [-1], ts[axis + k:]], axis=0)
    flat = reshape(t, flat_shape)
    idx = reshape(where(reshape(m, [-1])), [-1])
    return gather(flat, idx, axis=axis, name=name)


_as_tensor = tensor


# ------------------------------------------------------------------------------ one_hot ---

_ONE_HOT_INDEX = frozenset({np.dtype(np.uint8), np.dtype(np.int8), np.dtype(np.int32),
                            np.dtype(np.int64)})


class _OneHot(Op):
    name = "OneHot"
    differentiable = False

    def infer(self, inputs, axis):
        i, depth, on, off = inputs
        if i.dtype._np not in _ONE_HOT_INDEX:
            raise InvalidArgumentError(f"one_hot: indices must be uint8, int8, int32 or int64, "
                                       f"got {i.dtype.name} [Op:OneHot]")
        if depth.shape.rank not in (None, 0) or not depth.dtype.is_integer:
            raise InvalidArgumentError(f"depth must be a scalar integer, but got shape "
                                       f"{depth.shape} {depth.dtype.name} [Op:OneHot]")
        for what, sp in (("on_value", on), ("off_value", off)):
            if sp.shape.rank not in (None, 0):
                raise InvalidArgumentError(f"{what} must be a scalar, but got shape "
                                           f"{sp.shape} [Op:OneHot]")
        if on.dtype is not off.dtype:
            raise InvalidArgumentError(f"one_hot: on_value ({on.dtype.name}) and off_value "
                                       f"({off.dtype.name}) must have one dtype [Op:OneHot]")
        d = None if depth.value is None else int(depth.value)
        if d is not None and d < 0:
            raise InvalidArgumentError(f"depth must be non-negative, got: {d} [Op:OneHot]")
        r = i.shape.rank
        if r is None:
            return TensorShape(None), on.dtype
        if not -1 <= axis <= r:
            raise InvalidArgumentError(f"Expected axis to be -1 or between [0, {r + 1}).  But "
                                       f"received: {axis} [Op:OneHot]")
        dims = i.shape.as_list()
        a = r if axis == -1 else axis
        return TensorShape(dims[:a] + [d] + dims[a:]), on.dtype

    def kernel(self, xp, idx, depth, on, off, axis):
        self.infer([_spec(idx), _spec(depth), _spec(on), _spec(off)], axis=axis)
        hot = idx[..., None] == np.arange(int(depth), dtype=np.int64)
        out = np.where(hot, on, off).astype(on.dtype, copy=False)
        if axis != -1:
            out = np.moveaxis(out, -1, axis)
        return np.ascontiguousarray(out)


ONE_HOT = _OneHot()


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot tensor: ``on_value`` where the new axis equals the index, else ``off_value``.

    Out-of-range (including negative) indices give a row of ``off_value``.

    >>> ember.one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    i = tensor(indices)
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
    elif on_value is not None and not _python_number(on_value):
        dt = tensor(on_value).dtype
    elif off_value is not None and not _python_number(off_value):
        dt = tensor(off_value).dtype
    elif on_value is not None or off_value is not None:
        v = on_value if on_value is not None else off_value
        dt = tensor(v).dtype
    else:
        dt = dtypes.float32
    on = _scalar(1, dt) if on_value is None else tensor(on_value, dtype_hint=dt)
    off = _scalar(0, dt) if off_value is None else tensor(off_value, dtype_hint=dt)
    for what, v in (("on_value", on), ("off_value", off)):
        if v.dtype is not dt:
            raise TypeError(f"one_hot: dtype {v.dtype.name} of {what} does not match dtype "
                            f"{dt.name}")
    ax = -1 if axis is None else static_int(axis, "axis", "OneHot")
    return execute(ONE_HOT, (i, tensor(depth, dtype_hint=dtypes.int32), on, off),
                   {"axis": ax}, name)


def _python_number(v):
    return isinstance(v, (int, float, np.number)) and not isinstance(v, np.ndarray)


# ------------------------------------------------------------------------------ reverse ---

def _unique_axes(op_name, axes, rank):
    out = []
    for a in axes:
        n = normalize_axis(a, rank, op_name)
        if n in out:
            raise InvalidArgumentError(f"{op_name}: axis {n} specified more than once "
                                       f"[Op:{op_name}]")
        out.append(n)
    return tuple(out)


class _Reverse(Op):
    name = "ReverseV2"
    strings = True

    def infer(self, inputs, axis):
        x = inputs[0]
        if x.shape.rank is not None:
            _unique_axes(self.name, axis, x.shape.rank)
        return x.shape, x.dtype

    def kernel(self, xp, a, axis):
        return np.flip(a, _unique_axes(self.name, axis, a.ndim)).copy()

    def grad(self, call, g):
        return (execute(REVERSE, (g,), call.attrs),)


REVERSE = _Reverse()


def reverse(tensor, axis, name=None):  # noqa: F811
    """Reverses ``tensor`` along each dimension in ``axis``.

    >>> ember.reverse([[1, 2], [3, 4]], [1]).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    return execute(REVERSE, (_as_tensor(tensor),),
                   {"axis": static_axes(axis, "axis", "ReverseV2") or ()}, name)


# --------------------------------------------------------------------------------- roll ---

class _Roll(Op):
    name = "Roll"
    strings = True

    def infer(self, inputs, axis):
        x, shift = inputs
        _check_index_dtype(self.name, shift.dtype, "shift")
        n = 1 if shift.shape.rank == 0 else (shift.shape[0] if shift.shape.rank == 1 else -1)
        if n is not None and n != len(axis):
            raise InvalidArgumentError(f"shift and axis must have the same size, got shift of "
                                       f"shape {shift.shape} and axis {list(axis)} [Op:Roll]")
        if x.shape.rank is not None:
            for a in axis:
                normalize_axis(a, x.shape.rank, self.name)
        return x.shape, x.dtype

    def kernel(self, xp, a, shift, axis):
        self.infer([_spec(a), _spec(shift)], axis=axis)
        if a.ndim == 0:
            return a.copy()
        return np.roll(a, tuple(int(s) for s in shift.reshape(-1)), axis)

    def grad(self, call, g):
        return execute(ROLL, (g, math_ops.negative(call.inputs[1])), call.attrs), None


ROLL = _Roll()


def roll(input, shift, axis, name=None):  # noqa: A002
    """Shifts elements cyclically by ``shift`` along ``axis`` (repeated axes add up).

    >>> ember.roll([1, 2, 3, 4], 1, 0).numpy()
    array([4, 1, 2, 3], dtype=int32)
    """
    return execute(ROLL, (tensor(input), _int_tensor(shift, "shift", "Roll")),
                   {"axis": static_axes(axis, "axis", "Roll")}, name)


# ------------------------------------------------------------------------------- repeat ---

def _repeats_for(op_name, reps, n):
    reps = np.asarray(reps).reshape(-1)
    if reps.size not in (1, n) and n is not None:
        raise InvalidArgumentError(f"{op_name}: repeats must be a scalar or have one entry per "
                                   f"element along the axis ({n}), got {reps.size} entries "
                                   f"[Op:{op_name}]")
    if np.any(reps < 0):
        raise InvalidArgumentError(f"{op_name}: repeats must be non-negative, got "
                                   f"{reps.tolist()} [Op:{op_name}]")
    return reps


class _Repeat(Op):
    name = "Repeat"
    strings = True

    def infer(self, inputs, axis):
        x, reps = inputs
        _check_index_dtype(self.name, reps.dtype, "repeats")
        if reps.shape.rank not in (None, 0, 1):
            raise InvalidArgumentError(f"Repeat: repeats must be a scalar or 1-D, got shape "
                                       f"{reps.shape} [Op:Repeat]")
        if x.shape.rank is None:
            return TensorShape(None), x.dtype
        dims = x.shape.as_list()
        a = normalize_axis(axis, len(dims), self.name)
        n = dims[a]
        if reps.value is None:
            dims[a] = None
        else:
            rv = _repeats_for(self.name, reps.value, n)
            dims[a] = None if n is None else (int(rv.sum()) if rv.size == n
                                              else n * int(rv[0]))
        return TensorShape(dims), x.dtype

    def kernel(self, xp, a, reps, axis):
        self.infer([_spec(a), _spec(reps)], axis=axis)
        ax = normalize_axis(axis, a.ndim, self.name)
        rv = _repeats_for(self.name, reps, a.shape[ax])
        return np.repeat(a, rv if rv.size != 1 else int(rv[0]), axis=ax)

    def grad(self, call, g):
        x, reps = call.inputs
        n = shape(x)[call.attrs["axis"]]
        return execute(REPEAT_GRAD, (g, reps, n), call.attrs), None


REPEAT = _Repeat()


class _RepeatGrad(Op):
    """Sums the gradient of a repeat over each element's copies."""

    name = "RepeatGrad"

    def infer(self, inputs, axis):
        g, _, n = inputs
        if g.shape.rank is None:
            return TensorShape(None), g.dtype
        dims = g.shape.as_list()
        dims[normalize_axis(axis, len(dims), self.name)] = \
            None if n.value is None else int(n.value)
        return TensorShape(dims), g.dtype

    def kernel(self, xp, g, reps, n, axis):
        ax = normalize_axis(axis, g.ndim, self.name)
        n = int(n)
        rv = _repeats_for(self.name, reps, n)
        seg = np.repeat(np.arange(n), rv if rv.size != 1 else int(rv[0]))
        moved = np.moveaxis(g, ax, 0)
        acc = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(acc, seg, moved)
        return np.ascontiguousarray(np.moveaxis(acc, 0, ax))

    def grad(self, call, gg):
        return execute(REPEAT, (gg, call.inputs[1]), call.attrs), None, None


REPEAT_GRAD = _RepeatGrad()


def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """Repeats each element ``repeats`` times along ``axis`` (flattened when None).

    >>> ember.repeat([1, 2], [2, 3], axis=0).numpy()
    array([1, 1, 2, 2, 2], dtype=int32)
    """
    x = tensor(input)
    if axis is None:
        x = reshape(x, [-1])
        axis = 0
    return execute(REPEAT, (x, _int_tensor(repeats, "repeats", "Repeat")),
                   {"axis": static_int(axis, "axis", "Repeat")}, name)


# ------------------------------------------------------------------------------- unique ---

UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])


def _unique_np(a):
    uniq, first, inverse = np.unique(a, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.size)
    return uniq[order], rank_of[inverse.reshape(-1)]


class _Unique(Op):
    name = "Unique"
    strings = True
    num_outputs = 2
    differentiable = False
    data_dependent_shape = True

    def infer(self, inputs, out_idx):
        x = inputs[0]
        if x.shape.rank not in (None, 1):
            raise InvalidArgumentError(f"unique expects a 1D vector, got shape {x.shape} "
                                       f"[Op:Unique]")
        if out_idx._np not in _INDEX_DTYPES:
            raise InvalidArgumentError(f"unique: out_idx must be int32 or int64, got "
                                       f"{out_idx.name} [Op:Unique]")
        n = None if x.value is None else len(np.unique(x.value))
        return [(TensorShape([n]), x.dtype), (x.shape if x.shape.rank else [None], out_idx)]

    def kernel(self, xp, a, out_idx):
        self.infer([_spec(a)], out_idx=out_idx)
        y, idx = _unique_np(a)
        return y, idx.astype(out_idx.np)


UNIQUE = _Unique()


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct elements of 1-D ``x`` in order of first appearance, and for each
    element of ``x`` the position of its value in ``y``.

    >>> y, idx = ember.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    >>> y.numpy(), idx.numpy()
    (array([1, 2, 4, 7, 8], dtype=int32), array([0, 0, 1, 2, 2, 2, 3, 4, 4], dtype=int32))
    """
    y, idx = execute(UNIQUE, (tensor(x),), {"out_idx": dtypes.as_dtype(out_idx)}, name)
    return UniqueOutput(y, idx)


