"""Vectorizing ``vectorized_map``: ``fn`` is traced once on one element (placeholders
without the batch dimension), then its graph is replayed with the batch dimension added:
each op runs once on the whole batch through a batching rule. Elementwise ops broadcast
an unbatched operand against the batched one, reductions and axis-taking ops shift their
axes, matmul batches, reshape and transpose extend their shape and permutation. Ops
without a rule, stateful ops and variable reads make ``vectorize`` return None, and
``vectorized_map`` falls back to the element-by-element loop (same results either way).
"""
from __future__ import annotations

from ember.engine.dispatch import execute
from ember.engine.graph import FuncGraph
from ember.framework import nest
from ember.framework.context import context
from ember.framework.tensor import constant
from ember.ops import array_ops
from ember.ops._base import BinaryOp, UnaryOp

__all__ = ["vectorize"]

_PASS_THROUGH = {"Cast", "Identity", "StopGradient", "Relu", "Relu6", "Elu", "Selu",
                 "Softplus", "Softsign", "LeakyRelu", "Sigmoid", "Tanh", "Gelu",
                 "Silu", "ZerosLike", "OnesLike"}
_REDUCTIONS = {"Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin",
               "LogSumExp", "EuclideanNorm"}
_AXIS_OPS = {"Softmax", "LogSoftmax", "ExpandDims", "ConcatV2", "Pack", "Cumsum", "Cumprod",
             "Squeeze", "Unpack", "Reverse", "Split"}


class _NoRule(Exception):
    pass


def _shift(axis, element_rank):
    if axis is None:
        return tuple(range(1, element_rank + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_shift(a, element_rank) for a in axis)
    return axis + 1 if axis >= 0 else axis


class _Value:
    __slots__ = ("tensor", "batched", "rank")

    def __init__(self, tensor, batched, rank):
        self.tensor, self.batched, self.rank = tensor, batched, rank


def _batched(v, n):
    """v with a leading batch dimension (an unbatched value is broadcast)."""
    if v.batched:
        return v.tensor
    shape = array_ops.concat([[n], array_ops.shape(v.tensor)], 0)
    return array_ops.broadcast_to(array_ops.expand_dims(v.tensor, 0), shape)


def _align(v, rank):
    """A batched value [B, *s] as [B, 1.., *s] of element rank ``rank`` (right-aligned
    broadcasting against an unbatched operand); an unbatched one as [1, *s]."""
    t = v.tensor
    if not v.batched:
        return array_ops.expand_dims(t, 0)
    for _ in range(rank - v.rank):
        t = array_ops.expand_dims(t, 1)
    return t


def _rule(op, vals, n):
    """The outputs (tensors) of ``op`` run on the whole batch."""
    kind = op.type
    d = op.op_def
    attrs = dict(op.attrs)
    ranks = [v.rank for v in vals]
    if None in ranks:
        raise _NoRule(kind)
    if isinstance(d, UnaryOp) or kind in _PASS_THROUGH and len(vals) == 1:
        return execute(d, (vals[0].tensor,), attrs)
    if isinstance(d, BinaryOp):
        rank = max(ranks)
        return execute(d, tuple(_align(v, rank) for v in vals), attrs)
    if kind in _REDUCTIONS and len(vals) == 1 and "axis" in attrs:
        attrs["axis"] = _shift(attrs["axis"], ranks[0])
        return execute(d, (vals[0].tensor,), attrs)
    if kind in _AXIS_OPS and "axis" in attrs and attrs["axis"] is not None:
        attrs["axis"] = _shift(attrs["axis"], ranks[0])
        return execute(d, tuple(_batched(v, n) if i == 0 or kind in ("ConcatV2", "Pack")
                                else v.tensor for i, v in enumerate(vals)), attrs)
    if kind == "Transpose" and len(vals) == 1:
        attrs["perm"] = (0,) + tuple(p + 1 for p in attrs["perm"])
        return execute(d, (vals[0].tensor,), attrs)
    if kind in ("BatchMatMulV2", "MatMul") and min(ranks) >= 2:
        rank = max(ranks)
        return execute(d, tuple(_align(v, rank) for v in vals), attrs)
    if kind == "Reshape" and vals[0].batched and not vals[1].batched:
        target = getattr(op.inputs[1], "_constant_value", None)
        if target is None:
            raise _NoRule(kind)
        shape = constant([n] + [int(s) for s in target.reshape(-1)], vals[1].tensor.dtype)
        return execute(d, (vals[0].tensor, shape), attrs)
    raise _NoRule(kind)


def vectorize(fn, elems, flat, n):
    """``fn`` applied to every row of ``elems`` at once, or None when some op of ``fn``
    has no batching rule (the caller then loops). ``n`` is the static batch size."""
    outer = context.graph
    graph = FuncGraph("vectorized_map", outer=outer)
    prev_graph, prev_tapes = context.graph, context.tapes
    context.graph, context.tapes = graph, []
    try:
        inputs = [graph.placeholder(t.dtype, t.shape[1:], name=f"vmap_in{i}")
                  for i, t in enumerate(flat)]
        result = fn(nest.pack_sequence_as(elems, inputs))
        outs = [graph._bring_in(o) if hasattr(graph, "_bring_in") else o
                for o in nest.flatten(result)]
    except Exception:
        return None
    finally:
        context.graph, context.tapes = prev_graph, prev_tapes
    if graph._variable_reads or graph._lifted_variables or \
            any(op.op_def.stateful for op in graph._operations):
        return None
    values = {}
    for ph, t in zip(inputs, flat):
        values[id(ph)] = _Value(t, True, ph.shape.rank)
    for outer_t, ph in graph.captures:
        values[id(ph)] = _Value(outer_t, False, ph.shape.rank)
    try:
        for op in graph._operations:
            if op.type == "Placeholder":
                if id(op.outputs[0]) not in values:
                    return None
                continue
            if op.type == "Const":
                out = op.outputs[0]
                values[id(out)] = _Value(constant(out._constant_value, out.dtype), False,
                                         out.shape.rank)
                continue
            vals = [values[id(i)] for i in op.inputs]
            if any(v.batched for v in vals):
                result_t = _rule(op, vals, n)
                batched = True
            else:
                result_t = execute(op.op_def, tuple(v.tensor for v in vals), dict(op.attrs))
                batched = False
            results = result_t if isinstance(result_t, (list, tuple)) else [result_t]
            for o, r in zip(op.outputs, results):
                values[id(o)] = _Value(r, batched, o.shape.rank)
    except Exception:       # no rule, or a rule that does not fit: loop instead
        return None
    flat_out = [_batched(values[id(o)], n) for o in outs]
    return nest.pack_sequence_as(result, flat_out)
