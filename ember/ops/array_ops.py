"""Array ops: creation, shape manipulation, joining and splitting, selection."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op, execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape, broadcast_static
from ember.ops import math_ops
from ember.ops._base import (
    ANY, EMPTY, NUMERIC, check_dtype, normalize_axis, shape_arg, shape_from_spec,
    shape_value, static_axes, static_int, tensor,
)

__all__ = [
    "broadcast_to",
    "concat",
    "expand_dims",
    "fill",
    "identity",
    "ones",
    "ones_like",
    "rank",
    "reshape",
    "shape",
    "size",
    "split",
    "squeeze",
    "stack",
    "stop_gradient",
    "transpose",
    "unstack",
    "where",
    "where_v2",
    "zeros",
    "zeros_like",
]

# ------------------------------------------------------------------- identity & friends ---


class _Identity(Op):
    name = "Identity"

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


def identity(input, name=None):  # noqa: A002
    """Returns a tensor with the same value (reads a variable's current value)."""
    return execute(IDENTITY, (tensor(input),), EMPTY, name)


def stop_gradient(input, name=None):  # noqa: A002
    """The same value, but gradients do not flow through it."""
    return execute(STOP_GRADIENT, (tensor(input),), EMPTY, name)


# --------------------------------------------------------------------------- creation ---

class _Fill(Op):
    name = "Fill"

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


def _scalar(value, dtype):
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

    def __init__(self, name, value):
        super().__init__(name)
        self.value = value

    def infer(self, inputs, dtype=None):
        return inputs[0].shape, dtype or inputs[0].dtype

    def kernel(self, xp, a, dtype=None):
        d = dtype.np if dtype is not None else a.dtype
        if d == np.dtype(object):
            return np.full(np.shape(a), b"", dtype=object)
        return np.full(np.shape(a), self.value, dtype=d)


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
    name = "Shape"
    differentiable = False

    def infer(self, inputs, out_type):
        r = inputs[0].shape.rank
        return [r], out_type

    def kernel(self, xp, a, out_type):
        return np.array(np.shape(a), dtype=out_type.np)


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
    name = "Size"
    differentiable = False

    def infer(self, inputs, out_type):
        return [], out_type

    def kernel(self, xp, a, out_type):
        return np.array(np.size(a), dtype=out_type.np)


SIZE = _Size()


def size(input, out_type=dtypes.int32, name=None):  # noqa: A002
    return execute(SIZE, (tensor(input),), {"out_type": dtypes.as_dtype(out_type)}, name)


class _Reshape(Op):
    name = "Reshape"

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
            if known == 0 or n % known:
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
            raise InvalidArgumentError(
                f"Input to reshape is a tensor with {np.size(a)} values, but the requested "
                f"shape {target.tolist()} does not fit them (input shape {list(np.shape(a))}) "
                f"[Op:Reshape]") from None

    def grad(self, call, g):
        return reshape(g, shape(call.inputs[0])), None


RESHAPE = _Reshape()


def reshape(tensor_, shape_, name=None):
    """Gives a tensor a new shape with the same number of elements (-1 infers one dim).

    >>> ember.reshape(ember.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    return execute(RESHAPE, (tensor(tensor_), shape_arg(shape_, "reshape")), EMPTY, name)


class _ExpandDims(Op):
    name = "ExpandDims"

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
            raise ValueError("squeeze without axis needs a fully known shape in a graph")
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


def broadcast_to(input, shape, name=None):  # noqa: A002
    """Broadcasts ``input`` to ``shape``."""
    return execute(BROADCAST_TO, (tensor(input), shape_arg(shape, "broadcast_to")), EMPTY, name)


class _SumToShape(Op):
    """Sums a broadcast gradient back to a shape (the backward walker's one unbroadcast)."""

    name = "SumToShape"

    def infer(self, inputs):
        return shape_from_spec(inputs[1]), inputs[0].dtype

    def kernel(self, xp, g, target):
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
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(target) if d == 1 and g.shape[lead + i] != 1)
    out = np.sum(g, axis=axes, keepdims=True, dtype=g.dtype) if axes else g
    return np.reshape(out, target)


SUM_TO_SHAPE = _SumToShape()


def sum_to_shape(g, target_shape):
    return execute(SUM_TO_SHAPE, (g, target_shape))


def sum_to_shape_of(g, x):
    """``g`` summed to ``x``'s shape when broadcasting made it larger."""
    if type(g) is EagerTensor:
        xs = x._value.shape if type(x) is EagerTensor else tuple(x.shape)
        if g._value.shape == xs:
            return g
        return execute(SUM_TO_SHAPE, (g, EagerTensor(np.array(xs, dtype=np.int32))))
    gs, xs = g.shape, x.shape
    if gs.is_fully_defined() and gs == xs:
        return g
    return execute(SUM_TO_SHAPE, (g, shape(x)))


# ------------------------------------------------------------------------------- where ---

class _Select(Op):
    name = "SelectV2"

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

    def output_count(self, attrs):
        return attrs["num"]

    def infer(self, inputs, num, axis):
        x = inputs[0]
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
        return tuple(np.take(a, i, axis=axis) for i in range(num))

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


class _Concat(Op):
    name = "ConcatV2"

    def infer(self, inputs, axis):
        first = inputs[0]
        r = None
        for sp in inputs:
            if sp.shape.rank is not None:
                r = sp.shape.rank
        if r is None:
            return TensorShape(None), first.dtype
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
                    f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                    f"{first.shape} vs. shape[{i}] = {sp.shape} [Op:ConcatV2]")
            for k, d in enumerate(sp.shape.as_list()):
                if k == a:
                    continue
                if d is not None and dims[k] is not None and d != dims[k]:
                    raise InvalidArgumentError(
                        f"ConcatOp : Dimension {k} in both shapes must be equal: shape[0] = "
                        f"{first.shape} vs. shape[{i}] = {sp.shape} [Op:ConcatV2]")
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
