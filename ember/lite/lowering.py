"""Lowering of ember graph ops to TensorFlow Lite builtin operators, one function per
ember op type (``LOWERINGS``). A lowering gets the ``Lowering`` context, the graph node
and its inputs (each a ``Const`` numpy value or a ``Live`` tensor index) and returns the
TFLite tensor index of each output."""
from __future__ import annotations

import numpy as np

from ember.lite.model_ir import LiteModel


class Live(int):
    """A TFLite tensor index holding a run-time value."""


class Lowering:
    """Builds the ``LiteModel`` while the converter walks the graph."""

    def __init__(self):
        self.model = LiteModel()
        self._const_cache = {}

    def tensor(self, value, name="const", dtype=None) -> int:
        """A tensor index for an input: a live index as is, a constant materialized once."""
        if isinstance(value, Live):
            return int(value)
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in self._const_cache:
            self._const_cache[key] = self.model.add_constant(name, arr)
        return self._const_cache[key]

    def output(self, node, i=0) -> int:
        """A new tensor for output ``i`` of ``node``, shaped as the graph inferred it."""
        t = node.outputs[i]
        return self.new(t.shape, t.dtype.np, node.name + (f":{i}" if i else ""))

    def new(self, shape, dtype, name) -> int:
        dims = [-1 if d is None else d for d in shape.as_list()] \
            if hasattr(shape, "as_list") else list(shape)
        return self.model.add_tensor(name, dims, dtype)

    def op(self, kind, node, inputs, outputs=None, **options):
        outputs = [self.output(node)] if outputs is None else outputs
        self.model.add_op(kind, [self.tensor(v) for v in inputs], outputs, **options)
        return outputs


def _unsupported(node, why):
    return NotImplementedError(
        f"ember.lite: cannot convert op {node.op_def.name!r} (node {node.name!r}) to "
        f"TensorFlow Lite: {why}")


def _const(node, value, what):
    if isinstance(value, Live):
        raise _unsupported(node, f"its {what} must be a constant (a variable or a literal), "
                                 f"but it is computed at run time")
    return np.asarray(value)


def _static_shape(node, i=0):
    return [-1 if d is None else d for d in node.outputs[i].shape.as_list()]


def _rank(node, i=0):
    return node.inputs[i].shape.rank


def _axis(node, axis, rank=None):
    """``axis`` (an int or ints) made non-negative against the rank of input 0."""
    rank = _rank(node) if rank is None else rank
    if np.ndim(axis) == 0:
        return int(axis) % rank
    return [int(a) % rank for a in axis]


# ------------------------------------------------------------------------- elementwise ops

_BINARY = {"AddV2": "ADD", "Add": "ADD", "BiasAdd": "ADD", "Sub": "SUB", "Mul": "MUL",
           "RealDiv": "DIV", "TrueDiv": "DIV", "Maximum": "MAXIMUM", "Minimum": "MINIMUM",
           "SquaredDifference": "SQUARED_DIFFERENCE", "Pow": "POW", "FloorDiv": "FLOOR_DIV",
           "FloorMod": "FLOOR_MOD"}
_COMPARE = {"Less": "LESS", "LessEqual": "LESS_EQUAL", "Greater": "GREATER",
            "GreaterEqual": "GREATER_EQUAL", "Equal": "EQUAL", "NotEqual": "NOT_EQUAL",
            "LogicalAnd": "LOGICAL_AND", "LogicalOr": "LOGICAL_OR"}
_UNARY = {"Relu": "RELU", "Relu6": "RELU6", "Sigmoid": "LOGISTIC", "Tanh": "TANH",
          "Exp": "EXP", "Log": "LOG", "Sqrt": "SQRT", "Rsqrt": "RSQRT", "Neg": "NEG",
          "Square": "SQUARE", "Abs": "ABS", "Elu": "ELU", "Floor": "FLOOR", "Sin": "SIN",
          "Cos": "COS", "Round": "ROUND", "Ceil": "CEIL", "ZerosLike": "ZEROS_LIKE"}


def _binary(kind):
    def lower(ctx, node, a, b):
        if node.op_def.name == "BiasAdd" and node.attrs.get("data_format", "NHWC") != "NHWC":
            raise _unsupported(node, "only data_format='NHWC' is supported")
        dtype = node.outputs[0].dtype.np
        return ctx.op(kind, node, [_cast_const(a, dtype), _cast_const(b, dtype)])
    return lower


def _compare(kind):
    def lower(ctx, node, a, b):
        dtype = node.inputs[0].dtype.np if isinstance(a, Live) else node.inputs[1].dtype.np
        return ctx.op(kind, node, [_cast_const(a, dtype), _cast_const(b, dtype)])
    return lower


def _select(ctx, node, cond, a, b):
    dtype = node.outputs[0].dtype.np
    return ctx.op("SELECT_V2", node, [_cast_const(cond, np.bool_), _cast_const(a, dtype),
                                      _cast_const(b, dtype)])


def _cast_const(v, dtype):
    return v if isinstance(v, Live) else np.asarray(v, dtype)


def _unary(kind):
    def lower(ctx, node, x):
        return ctx.op(kind, node, [x])
    return lower


def _softplus(ctx, node, x):
    """log(1 + exp(x)) in its overflow-free form max(x, 0) + log(1 + exp(-|x|))."""
    shape, dtype = node.outputs[0].shape, node.outputs[0].dtype.np
    steps = [("ABS", []), ("NEG", []), ("EXP", []), ("ADD", [np.ones((), dtype)]),
             ("LOG", [])]
    t = ctx.tensor(x)
    for kind, extra in steps:
        out = ctx.new(shape, dtype, f"{node.name}/{kind.lower()}")
        ctx.model.add_op(kind, [t] + [ctx.tensor(v) for v in extra], [out])
        t = out
    relu = ctx.new(shape, dtype, node.name + "/relu")
    ctx.model.add_op("RELU", [ctx.tensor(x)], [relu])
    return ctx.op("ADD", node, [Live(relu), Live(t)])


def _leaky_relu(ctx, node, x):
    return ctx.op("LEAKY_RELU", node, [x], alpha=float(node.attrs["alpha"]))


def _softmax(kind):
    def lower(ctx, node, x):
        rank = _rank(node)
        axis = _axis(node, node.attrs.get("axis", -1))
        options = {"beta": 1.0} if kind == "SOFTMAX" else {}
        if axis == rank - 1:
            return ctx.op(kind, node, [x], **options)
        # TensorFlow Lite normalizes the last axis: move ``axis`` there and back.
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        shape = _static_shape(node)
        moved = [shape[p] for p in perm]
        a = ctx.new(moved, node.outputs[0].dtype.np, node.name + "/to_last")
        ctx.model.add_op("TRANSPOSE", [ctx.tensor(x), ctx.tensor(np.asarray(perm, np.int32))],
                         [a])
        b = ctx.new(moved, node.outputs[0].dtype.np, node.name + "/normalized")
        ctx.model.add_op(kind, [a], [b], **options)
        return ctx.op("TRANSPOSE", node, [Live(b), np.asarray(perm, np.int32)])
    return lower


def _clip(ctx, node, x, lo, hi):
    if not isinstance(lo, Live) and not isinstance(hi, Live):
        lo_v, hi_v = np.asarray(lo), np.asarray(hi)
        if lo_v.size == 1 and hi_v.size == 1:
            if float(lo_v) == 0.0 and float(hi_v) == 6.0:
                return ctx.op("RELU6", node, [x])
            if float(lo_v) == -1.0 and float(hi_v) == 1.0:
                return ctx.op("RELU_N1_TO_1", node, [x])
    dtype = node.outputs[0].dtype.np
    mid = ctx.new(node.outputs[0].shape, dtype, node.name + "/min")
    ctx.model.add_op("MINIMUM", [ctx.tensor(x), ctx.tensor(_cast_const(hi, dtype))], [mid])
    return ctx.op("MAXIMUM", node, [Live(mid), _cast_const(lo, dtype)])


def _top_k(ctx, node, x, k):
    outs = [ctx.output(node, 0), ctx.output(node, 1)]
    if node.outputs[1].dtype.np != np.int32:
        raise _unsupported(node, "TensorFlow Lite's TOPK_V2 gives int32 indices")
    return ctx.op("TOPK_V2", node, [x, _cast_const(k, np.int32)], outs)


def _arg_sort(ctx, node, x):
    """ArgSort on the last axis as TOPK_V2 with k = its length (of -x when ascending)."""
    rank = _rank(node)
    n = node.inputs[0].shape.as_list()[-1]
    if _axis(node, node.attrs.get("axis", -1)) != rank - 1 or n is None:
        raise _unsupported(node, "only sorting along a last axis of known length")
    shape, dtype = _static_shape(node), node.inputs[0].dtype.np
    src = ctx.tensor(x)
    if not node.attrs.get("descending"):
        neg = ctx.new(shape, dtype, node.name + "/neg")
        ctx.model.add_op("NEG", [src], [neg])
        src = neg
    values = ctx.new(shape, dtype, node.name + "/values")
    out = ctx.output(node)
    ctx.model.add_op("TOPK_V2", [src, ctx.tensor(np.asarray(n, np.int32))], [values, out])
    return [out]


def _take_along_axis(ctx, node, x, indices):
    rank = _rank(node)
    if _axis(node, node.attrs["axis"]) != rank - 1 or _rank(node, 1) != rank:
        raise _unsupported(node, "only along the last axis with indices of the same rank")
    return ctx.op("GATHER", node, [x, _cast_const(indices, np.int32)], axis=rank - 1,
                  batch_dims=rank - 1)


def _log_sum_exp(ctx, node, x):
    """log(sum(exp(x - max))) + max over the axes, as the stable composite."""
    rank = _rank(node)
    axis = node.attrs.get("axis")
    axes = np.asarray(list(range(rank)) if axis is None else _axis(node, np.atleast_1d(axis)),
                      np.int32)
    keep = bool(node.attrs.get("keepdims", False))
    shape = [-1 if d is None else d for d in node.inputs[0].shape.as_list()]
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    dtype = node.outputs[0].dtype.np
    t = ctx.tensor(x)

    def emit(kind, inputs, out_shape, **options):
        out = ctx.new(out_shape, dtype, f"{node.name}/{kind.lower()}")
        ctx.model.add_op(kind, [ctx.tensor(v) for v in inputs], [out], **options)
        return Live(out)
    m = emit("REDUCE_MAX", [Live(t), axes], kept, keep_dims=True)
    e = emit("EXP", [emit("SUB", [Live(t), m], shape)], shape)
    lse = emit("ADD", [emit("LOG", [emit("SUM", [e, axes], kept, keep_dims=True)], kept), m],
               kept)
    if keep:
        return [int(lse)]
    return _reshape_to(ctx, node, lse)


def _cast(ctx, node, x):
    from ember.lite import schema
    src, dst = np.dtype(node.inputs[0].dtype.np), np.dtype(node.outputs[0].dtype.np)
    if dst not in schema.TYPE_CODES or src not in schema.TYPE_CODES:
        raise _unsupported(node, f"casting {src} to {dst} has no TensorFlow Lite type")
    return ctx.op("CAST", node, [x])


# ---------------------------------------------------------------------------- shape ops

def _reshape_to(ctx, node, x, shape=None):
    shape = _static_shape(node) if shape is None else shape
    if sum(d < 0 for d in shape) > 1:
        raise _unsupported(node, f"the output shape {shape} has more than one dimension "
                                 f"unknown before run time")
    return ctx.op("RESHAPE", node, [x, np.asarray(shape, np.int32)],
                  new_shape=[int(d) for d in shape])


def _reshape(ctx, node, x, shape):
    if not isinstance(shape, Live):
        target = [int(d) for d in np.asarray(shape).reshape(-1)]
        if sum(d < 0 for d in target) <= 1:
            return ctx.op("RESHAPE", node, [x, np.asarray(target, np.int32)],
                          new_shape=target)
    static = _static_shape(node)
    if sum(d < 0 for d in static) <= 1:
        return _reshape_to(ctx, node, x, static)
    return ctx.op("RESHAPE", node, [x, shape])


def _expand_dims(ctx, node, x):
    return _reshape_to(ctx, node, x)


def _squeeze(ctx, node, x):
    axis = node.attrs.get("axis")
    if not axis:
        return _reshape_to(ctx, node, x)
    return ctx.op("SQUEEZE", node, [x], squeeze_dims=_axis(node, axis))


def _transpose(ctx, node, x):
    return ctx.op("TRANSPOSE", node, [x, np.asarray(node.attrs["perm"], np.int32)])


def _concat(ctx, node, *values):
    return ctx.op("CONCATENATION", node, list(values), axis=_axis(node, node.attrs["axis"]))


def _pack(ctx, node, *values):
    return ctx.op("PACK", node, list(values), values_count=len(values),
                  axis=_axis(node, node.attrs["axis"], len(_static_shape(node))))


def _pad(ctx, node, x, paddings, value=None):
    mode = node.attrs.get("mode", "CONSTANT").upper()
    pads = _const(node, paddings, "paddings").astype(np.int32)
    if mode in ("REFLECT", "SYMMETRIC"):
        return ctx.op("MIRROR_PAD", node, [x, pads], mode=0 if mode == "REFLECT" else 1)
    if value is None or (not isinstance(value, Live) and float(np.asarray(value)) == 0.0):
        return ctx.op("PAD", node, [x, pads])
    dtype = node.outputs[0].dtype.np
    return ctx.op("PADV2", node, [x, pads, _cast_const(value, dtype)])


def _reducer(kind):
    def lower(ctx, node, x):
        axis = node.attrs.get("axis")
        axis = list(range(_rank(node))) if axis is None else _axis(node, np.atleast_1d(axis))
        return ctx.op(kind, node, [x, np.asarray(axis, np.int32)],
                      keep_dims=bool(node.attrs.get("keepdims", False)))
    return lower


def _strided_slice(ctx, node, x, begin, end, strides):
    a = node.attrs
    ints = [np.asarray(v, np.int32) if not isinstance(v, Live) else v
            for v in (begin, end, strides)]
    return ctx.op("STRIDED_SLICE", node, [x] + ints,
                  begin_mask=int(a.get("begin_mask", 0)), end_mask=int(a.get("end_mask", 0)),
                  ellipsis_mask=int(a.get("ellipsis_mask", 0)),
                  new_axis_mask=int(a.get("new_axis_mask", 0)),
                  shrink_axis_mask=int(a.get("shrink_axis_mask", 0)))


def _slice(ctx, node, x, begin, size):
    return ctx.op("SLICE", node, [x, _cast_const(begin, np.int32), _cast_const(size, np.int32)])


def _tile(ctx, node, x, multiples):
    return ctx.op("TILE", node, [x, _cast_const(multiples, np.int32)])


def _shape(ctx, node, x):
    from ember.lite import schema
    out = np.dtype(node.attrs.get("out_type").np)
    return ctx.op("SHAPE", node, [x], out_type=schema.TYPE_CODES[out])


def _gather(ctx, node, params, indices):
    if node.attrs.get("batch_dims", 0):
        raise _unsupported(node, "batch_dims other than 0 is not supported")
    return ctx.op("GATHER", node, [params, _cast_const(indices, np.int32)],
                  axis=_axis(node, node.attrs.get("axis", 0)))


def _resize(ctx, node, x):
    method, size = node.attrs["method"], [int(d) for d in node.attrs["size"]]
    if node.attrs.get("antialias") or method not in ("bilinear", "nearest"):
        raise _unsupported(node, f"method={method!r}"
                           f"{' with antialias' if node.attrs.get('antialias') else ''}; "
                           f"TensorFlow Lite resizes 'bilinear' and 'nearest' only")
    if _rank(node) != 4:
        raise _unsupported(node, "only 4-D (batch, height, width, channels) images")
    kind = "RESIZE_BILINEAR" if method == "bilinear" else "RESIZE_NEAREST_NEIGHBOR"
    return ctx.op(kind, node, [x, np.asarray(size, np.int32)], half_pixel_centers=True)


def _repeat(ctx, node, x, repeats):
    """``repeat`` of every element the same number of times along one axis (UpSampling2D):
    a new axis after it, TILE, and the two axes merged."""
    reps = np.asarray(_const(node, repeats, "repeats")).reshape(-1)
    if reps.size != 1 and len(set(reps.tolist())) != 1:
        raise _unsupported(node, "repeats that differ between elements")
    r = int(reps[0])
    shape = [-1 if d is None else d for d in node.inputs[0].shape.as_list()]
    axis = node.attrs["axis"] % len(shape)
    _check_one_unknown(node, shape)
    expanded = shape[:axis + 1] + [1] + shape[axis + 1:]
    t = ctx.new(expanded, node.outputs[0].dtype.np, node.name + "/expand")
    ctx.model.add_op("RESHAPE", [ctx.tensor(x), ctx.tensor(np.asarray(expanded, np.int32))],
                     [t], new_shape=expanded)
    tiled_shape = list(expanded)
    tiled_shape[axis + 1] = r
    tiled = ctx.new(tiled_shape, node.outputs[0].dtype.np, node.name + "/tile")
    multiples = [1] * len(expanded)
    multiples[axis + 1] = r
    ctx.model.add_op("TILE", [t, ctx.tensor(np.asarray(multiples, np.int32))], [tiled])
    return _reshape_to(ctx, node, Live(tiled))


def _split_v(ctx, node, x):
    sizes, axis = node.attrs["sizes"], _axis(node, node.attrs["axis"])
    outs = [ctx.output(node, i) for i in range(len(node.outputs))]
    return ctx.op("SPLIT_V", node, [x, np.asarray(sizes, np.int32),
                                    np.asarray(axis, np.int32)], outs, num_splits=len(sizes))


def _unpack(ctx, node, x):
    outs = [ctx.output(node, i) for i in range(len(node.outputs))]
    return ctx.op("UNPACK", node, [x], outs, num=int(node.attrs["num"]),
                  axis=_axis(node, node.attrs["axis"]))


def _cumsum(ctx, node, x):
    return ctx.op("CUMSUM", node, [x, np.asarray(_axis(node, node.attrs["axis"]), np.int32)],
                  exclusive=bool(node.attrs.get("exclusive")),
                  reverse=bool(node.attrs.get("reverse")))


def _broadcast_to(ctx, node, x, shape):
    return ctx.op("BROADCAST_TO", node, [x, _cast_const(shape, np.int32)])


def _reverse(ctx, node, x):
    return ctx.op("REVERSE_V2", node, [x, np.asarray(_axis(node, node.attrs["axis"]),
                                                     np.int32)])


def _gather_nd(ctx, node, params, indices):
    return ctx.op("GATHER_ND", node, [params, _cast_const(indices, np.int32)])


def _one_hot(ctx, node, indices, depth, on, off):
    dtype = node.outputs[0].dtype.np
    return ctx.op("ONE_HOT", node, [indices, _cast_const(depth, np.int32),
                                    _cast_const(on, dtype), _cast_const(off, dtype)],
                  axis=int(node.attrs.get("axis", -1)))


def _range(ctx, node, start, limit, delta):
    dtype = node.outputs[0].dtype.np
    return ctx.op("RANGE", node, [_cast_const(v, dtype) for v in (start, limit, delta)])


def _embedding_lookup(ctx, node, table, ids):
    return ctx.op("GATHER", node, [table, _cast_const(ids, np.int32)], axis=0)


def _arg_max(ctx, node, x):
    from ember.lite import schema
    out = np.dtype(node.attrs["output_type"].np)
    return ctx.op("ARG_MAX", node, [x, np.asarray([_axis(node, node.attrs["axis"])], np.int32)],
                  output_type=schema.TYPE_CODES[out])


# ----------------------------------------------------------------------- linear algebra

def _matmul(ctx, node, a, b):
    ta, tb = node.attrs.get("transpose_a", False), node.attrs.get("transpose_b", False)
    if not isinstance(b, Live) and np.ndim(b) == 2 and not ta:
        w = np.asarray(b, np.float32)
        weights = w if tb else w.T
        return ctx.op("FULLY_CONNECTED", node,
                      [a, np.ascontiguousarray(weights), Live(-1)],
                      keep_num_dims=_rank(node) > 2)
    return ctx.op("BATCH_MATMUL", node, [a, b], adj_x=bool(ta), adj_y=bool(tb))


def _check_one_unknown(node, shape):
    if sum(d < 0 for d in shape) > 1:
        raise _unsupported(node, f"the input shape {shape} has more than one dimension "
                                 f"unknown before run time")


LOWERINGS = {
    **{name: _binary(kind) for name, kind in _BINARY.items()},
    **{name: _unary(kind) for name, kind in _UNARY.items()},
    **{name: _compare(kind) for name, kind in _COMPARE.items()},
    "SelectV2": _select, "LogicalNot": _unary("LOGICAL_NOT"),
    "LeakyRelu": _leaky_relu, "Softplus": _softplus, "Softmax": _softmax("SOFTMAX"),
    "LogSoftmax": _softmax("LOG_SOFTMAX"), "ClipByValue": _clip, "Cast": _cast,
    "Reshape": _reshape, "ExpandDims": _expand_dims, "Squeeze": _squeeze,
    "Transpose": _transpose, "ConcatV2": _concat, "Pack": _pack, "PadV2": _pad,
    "Mean": _reducer("MEAN"), "Sum": _reducer("SUM"), "Max": _reducer("REDUCE_MAX"),
    "Min": _reducer("REDUCE_MIN"), "Prod": _reducer("REDUCE_PROD"),
    "Any": _reducer("REDUCE_ANY"), "All": _reducer("REDUCE_ALL"), "TopKV2": _top_k,
    "ReduceLogSumExp": _log_sum_exp, "ArgSort": _arg_sort,
    "TakeAlongAxis": _take_along_axis, "StridedSlice": _strided_slice, "Slice": _slice,
    "Tile": _tile, "Shape": _shape, "GatherV2": _gather,
    "SplitV": _split_v, "Unpack": _unpack, "Cumsum": _cumsum, "BroadcastTo": _broadcast_to,
    "ReverseV2": _reverse, "GatherNd": _gather_nd, "OneHot": _one_hot, "Range": _range,
    "EmbeddingLookup": _embedding_lookup, "ResizeBilinear": _resize, "Repeat": _repeat,
    "ArgMax": _arg_max,
    "BatchMatMulV2": _matmul,
}


def _einsum(ctx, node, *operands):
    from ember.lite.einsum import lower_einsum
    return lower_einsum(ctx, node, *operands)


def _rnn_sequence(ctx, node, *inputs):
    from ember.lite.rnn import lower_rnn_sequence
    return lower_rnn_sequence(ctx, node, *inputs)


def _fill(ctx, node, dims, value):
    return ctx.op("FILL", node, [_cast_const(dims, np.int32),
                                 _cast_const(value, node.outputs[0].dtype.np)])


LOWERINGS.update({"Einsum": _einsum, "RNNSequence": _rnn_sequence, "Fill": _fill})


def _register_families():
    from ember.lite.conv_lowering import CONV_LOWERINGS
    LOWERINGS.update(CONV_LOWERINGS)


_register_families()
