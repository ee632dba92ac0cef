"""An ember ``Graph`` as TensorFlow's ``GraphDef`` (``Graph.as_graph_def()``).

Each ember operation becomes the TensorFlow node of the same meaning with TensorFlow's
op type and attributes: ``BatchMatMulV2`` of two matrices is ``MatMul`` with
``transpose_a``/``transpose_b``; reductions, ``ConcatV2``, ``ExpandDims``, ``Transpose``
and ``ArgMax`` get their axis as an int32 ``Const`` input (``<node>/axis``); variables
are resource variables (one ``VarHandleOp`` named after the variable, ``ReadVariableOp``
reads and ``AssignVariableOp``/``AssignAddVariableOp``/``AssignSubVariableOp`` updates).
An operation TensorFlow has no node for raises ``ValueError`` naming it and its type.
"""
from __future__ import annotations

import numpy as np

from ember.compat.v1.tensor_util import dtype_enum, make_tensor_proto, protos, shape_proto

__all__ = ["graph_to_graph_def", "EXPORTERS"]

# ember ops whose TensorFlow node has the same type and only the ``T`` attribute
_UNARY = ("Identity", "Relu", "Relu6", "Elu", "Selu", "Tanh", "Sigmoid", "Exp", "Expm1",
          "Log", "Log1p", "Neg", "Sqrt", "Rsqrt", "Square", "Abs", "Floor", "Ceil", "Round",
          "Rint", "Softplus", "Softsign", "Erf", "Erfc", "Sign", "Sin", "Cos", "Tan",
          "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Reciprocal",
          "Inv", "IsNan", "IsInf", "IsFinite", "ZerosLike", "OnesLike", "StopGradient",
          "Lgamma", "Digamma", "Invert", "PreventGradient", "Snapshot")
_BINARY = ("AddV2", "Add", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv",
           "FloorMod", "TruncateDiv", "TruncateMod", "Maximum", "Minimum", "Pow",
           "SquaredDifference", "Less", "LessEqual", "Greater", "GreaterEqual", "Atan2",
           "Xlogy", "Xdivy", "MulNoNan", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
           "LeftShift", "RightShift", "ReluGrad", "SigmoidGrad", "TanhGrad", "BiasAddGrad",
           "SelectV2")
_NO_T = ("LogicalAnd", "LogicalOr", "LogicalNot", "NoOp")
_REDUCTIONS = ("Sum", "Mean", "Max", "Min", "Prod", "All", "Any")


class _Context:
    """The GraphDef being built and the TensorFlow name of each ember tensor."""

    def __init__(self, graph, add_shapes):
        self.p = protos()
        self.gdef = self.p.graph_pb2.GraphDef()
        self.graph = graph
        self.add_shapes = add_shapes
        self.names = {}            # id(ember tensor) -> "node" / "node:i"
        self.variables = {}        # id(variable) -> VarHandleOp node name
        self.used = {op.name for op in graph._operations}

    def fresh(self, base):
        name, k = base, 1
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name

    def tensor(self, t):
        name = self.names.get(id(t))
        if name is None:
            raise ValueError(f"as_graph_def: tensor {t.name} is used before the operation "
                             f"that makes it")
        return name

    def node(self, name, op_type, inputs=(), control=(), **attrs):
        node = self.gdef.node.add(name=name, op=op_type)
        node.input.extend(list(inputs) + ["^" + c for c in control])
        for key, value in attrs.items():
            _set_attr(node.attr[key], value, self.p)
        return node

    def const(self, base, value, dtype=None):
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(base)
        self.node(name, "Const", dtype=("type", arr.dtype), value=("tensor", arr))
        return name

    def variable(self, v):
        name = self.variables.get(id(v))
        if name is None:
            base = v.name[:-2] if v.name.endswith(":0") else v.name
            name = self.fresh(base)
            self.node(name, "VarHandleOp", dtype=("type", v.dtype), shape=("shape", v.shape),
                      shared_name=("s", name), container=("s", ""),
                      allowed_devices=("strs", []))
            self.variables[id(v)] = name
        return name


def _set_attr(attr, value, p):
    kind, v = value
    if kind == "type":
        attr.type = dtype_enum(v if not isinstance(v, np.dtype) else str(v))
    elif kind == "types":
        attr.list.type.extend(dtype_enum(x) for x in v)
    elif kind == "shape":
        attr.shape.CopyFrom(shape_proto(v))
    elif kind == "shapes":
        attr.list.shape.extend(shape_proto(s) for s in v)
    elif kind == "i":
        attr.i = int(v)
    elif kind == "ints":
        attr.list.i.extend(int(x) for x in v)
    elif kind == "f":
        attr.f = float(v)
    elif kind == "b":
        attr.b = bool(v)
    elif kind == "s":
        attr.s = v.encode() if isinstance(v, str) else bytes(v)
    elif kind == "strs":
        attr.list.s.extend(x.encode() if isinstance(x, str) else bytes(x) for x in v)
    elif kind == "tensor":
        attr.tensor.CopyFrom(make_tensor_proto(v))
    else:
        raise AssertionError(kind)


def _unsupported(op, why=""):
    raise ValueError(f"as_graph_def: operation '{op.name}' of type {op.type} has no "
                     f"TensorFlow equivalent ember can write{': ' + why if why else ''}")


def _t(op, i=0):
    return ("type", op.inputs[i].dtype)


def _rank(op, i=0):
    r = op.inputs[i].shape.rank
    if r is None:
        _unsupported(op, "the input's rank is unknown")
    return r


def _positive(axis, rank):
    return axis + rank if axis < 0 else axis


def _spatial(values, fmt, rank=4):
    """(s,) or (sh, sw) strides/sizes as TensorFlow's 4-element list for ``fmt``."""
    values = list(values) if isinstance(values, (tuple, list)) else [values] * (rank - 2)
    if len(values) == 1:
        values = values * (rank - 2)
    if len(values) == rank:
        return values
    return [1, 1] + values if fmt.startswith("NC") else [1] + values + [1]


# --------------------------------------------------------------------- exporters ---

def _exp_const(ctx, op):
    value = op.attrs["value"]
    ctx.node(op.name, "Const", dtype=("type", op.outputs[0].dtype), value=("tensor", value))


def _exp_placeholder(ctx, op):
    ctx.node(op.name, "Placeholder", dtype=("type", op.attrs["dtype"]),
             shape=("shape", op.attrs["shape"]))


def _exp_read(ctx, op):
    v = op.attrs["variable"]
    ctx.node(op.name, "ReadVariableOp", [ctx.variable(v)], dtype=("type", v.dtype))


_ASSIGN_TYPES = {"assign": "AssignVariableOp", "assign_add": "AssignAddVariableOp",
                 "assign_sub": "AssignSubVariableOp"}


def _exp_assign(ctx, op):
    v, kind = op.attrs["variable"], op.attrs["kind"]
    if kind not in _ASSIGN_TYPES:
        _unsupported(op, f"variable update {kind}")
    handle = ctx.variable(v)
    ctx.node(op.name, _ASSIGN_TYPES[kind], [handle, ctx.tensor(op.inputs[-1])],
             dtype=("type", v.dtype))
    # TensorFlow's update has no output: its value is a read after it
    read = ctx.fresh(op.name + "/value")
    ctx.node(read, "ReadVariableOp", [handle], control=[op.name], dtype=("type", v.dtype))
    return [read]


def _exp_matmul(ctx, op):
    a, b = op.inputs
    ta, tb = op.attrs.get("transpose_a", False), op.attrs.get("transpose_b", False)
    if a.shape.rank == 2 and b.shape.rank == 2:
        ctx.node(op.name, "MatMul", [ctx.tensor(a), ctx.tensor(b)], T=_t(op),
                 transpose_a=("b", ta), transpose_b=("b", tb))
    else:
        ctx.node(op.name, "BatchMatMulV2", [ctx.tensor(a), ctx.tensor(b)], T=_t(op),
                 adj_x=("b", ta), adj_y=("b", tb))


def _exp_bias_add(ctx, op):
    axis = op.attrs.get("axis", -1)
    rank = op.inputs[0].shape.rank
    fmt = "NHWC" if axis == -1 or (rank is not None and axis == rank - 1) else "NCHW"
    if fmt == "NCHW" and axis != 1:
        _unsupported(op, f"bias on axis {axis}")
    ctx.node(op.name, "BiasAdd", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             data_format=("s", fmt))


def _exp_softmax(ctx, op):
    axis = op.attrs.get("axis", -1)
    rank = op.inputs[0].shape.rank
    if axis not in (-1, None) and (rank is None or axis != rank - 1):
        _unsupported(op, f"softmax over axis {axis} (TensorFlow's is over the last)")
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0])], T=_t(op))


def _exp_conv(ctx, op):
    a = op.attrs
    if op.inputs[0].shape.rank not in (None, 4):
        _unsupported(op, "only 2-D convolutions are written")
    fmt = a.get("data_format", "NHWC")
    padding = a.get("padding", "VALID")
    attrs = dict(T=_t(op), strides=("ints", _spatial(a.get("strides", 1), fmt)),
                 dilations=("ints", _spatial(a.get("dilations", 1), fmt)),
                 data_format=("s", fmt), use_cudnn_on_gpu=("b", True))
    if isinstance(padding, str):
        attrs["padding"] = ("s", padding)
    else:
        pairs = [tuple(p) for p in padding]
        pairs = [(0, 0), (0, 0)] + pairs if fmt.startswith("NC") else \
            [(0, 0)] + pairs + [(0, 0)]
        attrs["padding"] = ("s", "EXPLICIT")
        attrs["explicit_paddings"] = ("ints", [x for p in pairs for x in p])
    inputs = [ctx.tensor(t) for t in op.inputs]
    if op.type == "Conv2DBackpropInput" and len(inputs) == 2:
        shape = ctx.const(op.name + "/input_sizes", op.outputs[0].shape.as_list(), np.int32)
        inputs = [shape] + inputs
    ctx.node(op.name, op.type, inputs, **attrs)


def _exp_pool(ctx, op):
    a = op.attrs
    fmt = a.get("data_format", "NHWC")
    if op.inputs[0].shape.rank not in (None, 4) or tuple(a.get("dilations", (1, 1))) \
            not in ((1, 1), (1,), 1):
        _unsupported(op, "only undilated 2-D pooling is written")
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0])], T=_t(op),
             ksize=("ints", _spatial(a["ksize"], fmt)),
             strides=("ints", _spatial(a["strides"], fmt)),
             padding=("s", a["padding"]), data_format=("s", fmt))


def _exp_reshape(ctx, op):
    ctx.node(op.name, "Reshape", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             Tshape=_t(op, 1))


def _axis_list(op, axis):
    if axis is None:
        return list(range(_rank(op)))
    return list(axis) if isinstance(axis, (tuple, list)) else [axis]


def _exp_reduce(ctx, op):
    axes = ctx.const(op.name + "/reduction_indices", _axis_list(op, op.attrs.get("axis")),
                     np.int32)
    attrs = dict(keep_dims=("b", op.attrs.get("keepdims", False)), Tidx=("type", "int32"))
    if op.type not in ("All", "Any"):
        attrs["T"] = _t(op)
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0]), axes], **attrs)


def _exp_concat(ctx, op):
    axis = ctx.const(op.name + "/axis", op.attrs["axis"], np.int32)
    ctx.node(op.name, "ConcatV2", [ctx.tensor(t) for t in op.inputs] + [axis], T=_t(op),
             N=("i", len(op.inputs)), Tidx=("type", "int32"))


def _exp_expand_dims(ctx, op):
    dim = ctx.const(op.name + "/dim", op.attrs["axis"], np.int32)
    ctx.node(op.name, "ExpandDims", [ctx.tensor(op.inputs[0]), dim], T=_t(op),
             Tdim=("type", "int32"))


def _exp_squeeze(ctx, op):
    axis = op.attrs.get("axis")
    ctx.node(op.name, "Squeeze", [ctx.tensor(op.inputs[0])], T=_t(op),
             squeeze_dims=("ints", [] if axis is None else _axis_list(op, axis)))


def _exp_transpose(ctx, op):
    perm = op.attrs.get("perm")
    if perm is None:
        perm = list(range(_rank(op)))[::-1]
    perm = ctx.const(op.name + "/perm", list(perm), np.int32)
    ctx.node(op.name, "Transpose", [ctx.tensor(op.inputs[0]), perm], T=_t(op),
             Tperm=("type", "int32"))


def _exp_cast(ctx, op):
    ctx.node(op.name, "Cast", [ctx.tensor(op.inputs[0])], SrcT=_t(op),
             DstT=("type", op.attrs["dtype"]), Truncate=("b", False))


def _exp_arg(ctx, op):
    dim = ctx.const(op.name + "/dimension", op.attrs["axis"], np.int32)
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0]), dim], T=_t(op),
             Tidx=("type", "int32"), output_type=("type", op.attrs["output_type"]))


def _exp_strided_slice(ctx, op):
    a = op.attrs
    ctx.node(op.name, "StridedSlice", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             Index=_t(op, 1), **{k: ("i", a.get(k, 0)) for k in (
                 "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                 "shrink_axis_mask")})


def _exp_pack(ctx, op):
    ctx.node(op.name, "Pack", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             N=("i", len(op.inputs)), axis=("i", op.attrs.get("axis", 0)))


def _exp_unpack(ctx, op):
    ctx.node(op.name, "Unpack", [ctx.tensor(op.inputs[0])], T=_t(op),
             num=("i", len(op.outputs)), axis=("i", op.attrs.get("axis", 0)))


def _exp_shape(ctx, op):
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0])], T=_t(op),
             out_type=("type", op.outputs[0].dtype))


def _exp_fill(ctx, op):
    ctx.node(op.name, "Fill", [ctx.tensor(t) for t in op.inputs], T=_t(op, 1),
             index_type=_t(op, 0))


def _exp_pad(ctx, op):
    mode = op.attrs.get("mode", "CONSTANT").upper()
    ins = [ctx.tensor(t) for t in op.inputs]
    if mode == "CONSTANT":
        ctx.node(op.name, "PadV2" if len(ins) == 3 else "Pad", ins, T=_t(op),
                 Tpaddings=_t(op, 1))
    else:
        ctx.node(op.name, "MirrorPad", ins[:2], T=_t(op), Tpaddings=_t(op, 1),
                 mode=("s", mode))


def _exp_gather(ctx, op):
    axis = ctx.const(op.name + "/axis", op.attrs.get("axis", 0) or 0, np.int32)
    ctx.node(op.name, "GatherV2", [ctx.tensor(t) for t in op.inputs[:2]] + [axis],
             Tparams=_t(op), Tindices=_t(op, 1), Taxis=("type", "int32"),
             batch_dims=("i", op.attrs.get("batch_dims", 0)))


def _exp_leaky_relu(ctx, op):
    ctx.node(op.name, "LeakyRelu", [ctx.tensor(op.inputs[0])], T=_t(op),
             alpha=("f", op.attrs.get("alpha", 0.2)))


def _exp_simple(type_attr=True):
    def export(ctx, op):
        attrs = {"T": _t(op)} if type_attr and op.inputs else {}
        ctx.node(op.name, op.type, [ctx.tensor(t) for t in op.inputs], **attrs)
    return export


def _exp_equal(ctx, op):
    ctx.node(op.name, op.type, [ctx.tensor(t) for t in op.inputs], T=_t(op),
             incompatible_shape_error=("b", True))


def _exp_range(ctx, op):
    ctx.node(op.name, "Range", [ctx.tensor(t) for t in op.inputs],
             Tidx=("type", op.outputs[0].dtype))


def _exp_tile(ctx, op):
    ctx.node(op.name, "Tile", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             Tmultiples=_t(op, 1))


def _exp_slice(ctx, op):
    ctx.node(op.name, "Slice", [ctx.tensor(t) for t in op.inputs], T=_t(op), Index=_t(op, 1))


def _exp_one_hot(ctx, op):
    ctx.node(op.name, "OneHot", [ctx.tensor(t) for t in op.inputs],
             T=("type", op.outputs[0].dtype), TI=_t(op), axis=("i", op.attrs.get("axis", -1)))


def _exp_select(ctx, op):
    ctx.node(op.name, "SelectV2", [ctx.tensor(t) for t in op.inputs], T=_t(op, 1))


def _exp_truediv(ctx, op):
    a, b = op.inputs
    ins = [ctx.tensor(a), ctx.tensor(b)]
    out = op.outputs[0].dtype
    if a.dtype is not out:           # integer true division: TensorFlow casts first
        ins = []
        for k, t in enumerate((a, b)):
            name = ctx.fresh(f"{op.name}/Cast_{k}")
            ctx.node(name, "Cast", [ctx.tensor(t)], SrcT=("type", t.dtype),
                     DstT=("type", out), Truncate=("b", False))
            ins.append(name)
    ctx.node(op.name, "RealDiv", ins, T=("type", out))


def _exp_broadcast_to(ctx, op):
    ctx.node(op.name, "BroadcastTo", [ctx.tensor(t) for t in op.inputs], T=_t(op),
             Tidx=_t(op, 1))


def _exp_sum_to_shape(ctx, op):
    """``SumToShape(g, shape)`` as TensorFlow's gradients write it: the axes from
    BroadcastGradientArgs, a Sum over them keeping dims, and a Reshape to ``shape``."""
    g, target = op.inputs
    index = ("type", target.dtype)
    shape = ctx.fresh(op.name + "/Shape")
    ctx.node(shape, "Shape", [ctx.tensor(g)], T=_t(op), out_type=index)
    args = ctx.fresh(op.name + "/BroadcastGradientArgs")
    ctx.node(args, "BroadcastGradientArgs", [shape, ctx.tensor(target)], T=index)
    total = ctx.fresh(op.name + "/Sum")
    ctx.node(total, "Sum", [ctx.tensor(g), args + ":1"], T=_t(op), Tidx=index,
             keep_dims=("b", True))
    ctx.node(op.name, "Reshape", [total, ctx.tensor(target)], T=_t(op), Tshape=index)


def _exp_xent(ctx, op):
    if op.attrs.get("axis", -1) not in (-1, 1):
        _unsupported(op, "cross entropy over an axis other than the last")
    attrs = {"T": _t(op)}
    if op.type.startswith("Sparse"):
        attrs["Tlabels"] = _t(op, 1)
    ctx.node(op.name, op.type, [ctx.tensor(t) for t in op.inputs], **attrs)


def _exp_random(ctx, op):
    a = op.attrs
    ctx.node(op.name, op.type, [ctx.tensor(op.inputs[0])], T=_t(op),
             dtype=("type", a.get("dtype", op.outputs[0].dtype)),
             seed=("i", a.get("seed", 0) or 0), seed2=("i", a.get("seed2", 0) or 0))


EXPORTERS = {
    "Const": _exp_const, "Placeholder": _exp_placeholder, "ReadVariable": _exp_read,
    "AssignVariable": _exp_assign, "BatchMatMulV2": _exp_matmul, "MatMul": _exp_matmul,
    "BiasAdd": _exp_bias_add, "Softmax": _exp_softmax, "LogSoftmax": _exp_softmax,
    "Conv2D": _exp_conv, "DepthwiseConv2dNative": _exp_conv,
    "Conv2DBackpropInput": _exp_conv, "MaxPool": _exp_pool, "AvgPool": _exp_pool,
    "Reshape": _exp_reshape, "ConcatV2": _exp_concat, "ExpandDims": _exp_expand_dims,
    "Squeeze": _exp_squeeze, "Transpose": _exp_transpose, "Cast": _exp_cast,
    "ArgMax": _exp_arg, "ArgMin": _exp_arg, "StridedSlice": _exp_strided_slice,
    "Pack": _exp_pack, "Unpack": _exp_unpack, "Shape": _exp_shape, "Size": _exp_shape,
    "Fill": _exp_fill, "PadV2": _exp_pad, "Pad": _exp_pad, "MirrorPad": _exp_pad,
    "GatherV2": _exp_gather, "LeakyRelu": _exp_leaky_relu, "Equal": _exp_equal,
    "NotEqual": _exp_equal, "Range": _exp_range, "Tile": _exp_tile, "Slice": _exp_slice,
    "OneHot": _exp_one_hot, "SelectV2": _exp_select, "Select": _exp_select,
    "Rank": _exp_simple(), "TrueDiv": _exp_truediv, "BroadcastTo": _exp_broadcast_to,
    "SumToShape": _exp_sum_to_shape, "SoftmaxCrossEntropyWithLogits": _exp_xent,
    "SparseSoftmaxCrossEntropyWithLogits": _exp_xent, "RandomUniform": _exp_random,
    "RandomStandardNormal": _exp_random, "TruncatedNormal": _exp_random,
}
for _name in _UNARY + _BINARY:
    EXPORTERS.setdefault(_name, _exp_simple())
for _name in _NO_T:
    EXPORTERS[_name] = _exp_simple(type_attr=False)
for _name in _REDUCTIONS:
    EXPORTERS[_name] = _exp_reduce


def graph_to_graph_def(graph, add_shapes=False, operations=None):
    """The GraphDef of ``graph`` (of ``operations``, in graph order, when given)."""
    ctx = _Context(graph, add_shapes)
    ops = graph._operations if operations is None else operations
    for op in ops:
        exporter = EXPORTERS.get(op.type)
        if exporter is None:
            _unsupported(op)
        before = len(ctx.gdef.node)
        renamed = exporter(ctx, op)
        node = next(n for n in ctx.gdef.node[before:] if n.name == op.name)
        node.input.extend("^" + c.name for c in op.control_inputs)
        if renamed is None:
            renamed = [op.name if i == 0 else f"{op.name}:{i}"
                       for i in range(len(op.outputs))]
        for t, name in zip(op.outputs, renamed):
            ctx.names[id(t)] = name
        if add_shapes and op.outputs:
            node.attr["_output_shapes"].list.shape.extend(
                shape_proto(t.shape) for t in op.outputs)
    ctx.gdef.versions.producer = 1994
    ctx.gdef.versions.min_consumer = 12
    return ctx.gdef


def _register():
    from ember.framework import hooks
    hooks.set_graph_def_writer(
        lambda graph, add_shapes=False: graph_to_graph_def(graph, add_shapes))


_register()
