"""``tf.import_graph_def``: a TensorFlow ``GraphDef`` (e.g. a frozen ``.pb``) built into the
default ember graph with ember's ops, so it runs in a Session (and differentiates) like a
graph built in Python.

Each TensorFlow node becomes the ember op(s) of the same meaning, named
``<name>/<node name>`` (``name`` defaults to ``"import"``; ``name=""`` adds no prefix), so
``graph.get_tensor_by_name("import/output:0")`` finds it. ``input_map`` replaces tensors of
the GraphDef (``"x:0"`` or ``"x"``) with tensors of this graph; ``return_elements`` names
the tensors (``"y:0"``) and operations (``"train"``) to return. Variables
(``VariableV2``/``VarHandleOp``) become ember variables, uninitialized until their
initializer (the imported ``Assign``) runs or a Saver restores them. A node of an op type
ember does not know raises ``ValueError`` naming the node and its type.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.compat.v1.tensor_util import dtype_of_enum, make_ndarray, protos, shape_from_proto
from ember.engine.graph import Operation
from ember.framework.tensor_shape import TensorShape
from ember.framework.variables import Variable

__all__ = ["import_graph_def", "BUILDERS"]


# ------------------------------------------------------------------------ attributes ---

def attr_value(attr):
    """An AttrValue as a Python value (dtypes as ember dtypes, shapes as lists)."""
    kind = attr.WhichOneof("value")
    if kind == "s":
        return attr.s.decode("utf-8", "replace")
    if kind in ("i", "f", "b"):
        return getattr(attr, kind)
    if kind == "type":
        return dtype_of_enum(attr.type)
    if kind == "shape":
        return shape_from_proto(attr.shape)
    if kind == "tensor":
        return make_ndarray(attr.tensor)
    if kind == "list":
        lst = attr.list
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.s:
            return [s.decode("utf-8", "replace") for s in lst.s]
        if lst.type:
            return [dtype_of_enum(t) for t in lst.type]
        if lst.shape:
            return [shape_from_proto(s) for s in lst.shape]
        if lst.b:
            return list(lst.b)
        return []
    if kind == "func":
        return attr.func.name
    return None


class _Node:
    """One NodeDef being imported: its attributes and an error helper."""

    def __init__(self, node_def):
        self.name = node_def.name
        self.op = node_def.op
        self.attrs = {k: attr_value(v) for k, v in node_def.attr.items()}

    def get(self, key, default=None):
        return self.attrs.get(key, default)

    def fail(self, why):
        return ValueError(f"import_graph_def: node '{self.name}' (op {self.op}): {why}")

    def const(self, t, what):
        """The value of ``t``, which must be known when the graph is imported."""
        value = getattr(t, "_constant_value", None)
        if value is None:
            raise NotImplementedError(
                f"import_graph_def: node '{self.name}' (op {self.op}): its {what} must be a "
                f"constant for ember (it is computed from {t.name})")
        return value


def _axis(node, t, what="axis"):
    value = np.asarray(node.const(t, what))
    return int(value) if value.ndim == 0 else [int(v) for v in value.reshape(-1)]


def _spatial(node, values, what):
    """TensorFlow's 4-element strides/ksize/dilations as ember's (h, w)."""
    fmt = node.get("data_format", "NHWC")
    values = list(values or [1, 1, 1, 1])
    if len(values) != 4:
        raise node.fail(f"{what} must have 4 elements, got {values}")
    outer = (values[0], values[1]) if fmt.startswith("NC") else (values[0], values[3])
    if outer != (1, 1):
        raise node.fail(f"{what} on the batch or channel dimension ({values}) is not "
                        f"supported")
    return values[2:] if fmt.startswith("NC") else values[1:3]


def _padding(node):
    padding = node.get("padding", "VALID")
    if padding != "EXPLICIT":
        return padding
    flat = node.get("explicit_paddings", [])
    pairs = [flat[i:i + 2] for i in range(0, len(flat), 2)]
    return [[0, 0]] + pairs[1:3] + [[0, 0]] if not node.get("data_format", "NHWC") \
        .startswith("NC") else [[0, 0], [0, 0]] + pairs[2:4]


# -------------------------------------------------------------------------- builders ---

def _unary(fn):
    return lambda node, x: fn(x)


def _binary(fn):
    return lambda node, x, y: fn(x, y)


def _div(node, x, y):
    return ember.math.floordiv(x, y) if x.dtype.is_integer else ember.math.truediv(x, y)


def _matmul(node, a, b):
    return ember.linalg.matmul(a, b, transpose_a=node.get("transpose_a", False),
                               transpose_b=node.get("transpose_b", False))


def _batch_matmul(node, a, b):
    return ember.linalg.matmul(a, b, adjoint_a=node.get("adj_x", False),
                               adjoint_b=node.get("adj_y", False))


def _softmax(fn):
    return lambda node, x: fn(x, axis=-1)


def _conv2d(node, x, w):
    return ember.nn.conv2d(x, w, strides=_spatial(node, node.get("strides"), "strides"),
                           padding=_padding(node), data_format=node.get("data_format", "NHWC"),
                           dilations=_spatial(node, node.get("dilations"), "dilations"))


def _depthwise(node, x, w):
    strides = _spatial(node, node.get("strides"), "strides")
    fmt = node.get("data_format", "NHWC")
    full = [1, 1] + list(strides) if fmt.startswith("NC") else [1] + list(strides) + [1]
    return ember.nn.depthwise_conv2d(x, w, strides=full, padding=_padding(node),
                                     data_format=fmt,
                                     dilations=_spatial(node, node.get("dilations"),
                                                        "dilations"))


def _conv2d_backprop_input(node, sizes, w, dy):
    return ember.nn.conv2d_transpose(dy, w, output_shape=sizes,
                                     strides=_spatial(node, node.get("strides"), "strides"),
                                     padding=_padding(node),
                                     data_format=node.get("data_format", "NHWC"),
                                     dilations=_spatial(node, node.get("dilations"),
                                                        "dilations"))


def _pool(fn):
    def build(node, x):
        return fn(x, ksize=_spatial(node, node.get("ksize"), "ksize"),
                  strides=_spatial(node, node.get("strides"), "strides"),
                  padding=node.get("padding", "VALID"),
                  data_format=node.get("data_format", "NHWC"))
    return build


def _reduce(fn):
    def build(node, x, axis):
        return fn(x, axis=_axis(node, axis, "reduction_indices"),
                  keepdims=node.get("keep_dims", False))
    return build


def _concat_v2(node, *inputs):
    return ember.concat(list(inputs[:-1]), axis=_axis(node, inputs[-1]))


def _concat_v1(node, axis, *values):
    return ember.concat(list(values), axis=_axis(node, axis))


def _fused_batch_norm(node, x, scale, offset, mean, variance):
    eps = node.get("epsilon", 1e-4)
    fmt = node.get("data_format", "NHWC")
    if node.get("is_training", True):
        y, m, v = ember.nn.fused_batch_norm(x, scale, offset, epsilon=eps, data_format=fmt,
                                            is_training=True)[:3]
        return [y, m, v, m, v, m]
    shape = [1, -1, 1, 1] if fmt.startswith("NC") else [-1]
    inv = ember.math.rsqrt(ember.cast(variance, x.dtype) + eps) * ember.cast(scale, x.dtype)
    shift = ember.cast(offset, x.dtype) - ember.cast(mean, x.dtype) * inv
    y = x * ember.reshape(inv, shape) + ember.reshape(shift, shape)
    return [y, mean, variance, mean, variance, mean]


def _split(node, axis, x):
    return ember.split(x, node.get("num_split"), axis=_axis(node, axis))


def _split_v(node, x, sizes, axis):
    return ember.split(x, [int(s) for s in np.asarray(node.const(sizes, "size_splits"))],
                       axis=_axis(node, axis))


def _strided_slice(node, x, begin, end, strides):
    return ember.strided_slice(x, begin, end, strides,
                               begin_mask=node.get("begin_mask", 0),
                               end_mask=node.get("end_mask", 0),
                               ellipsis_mask=node.get("ellipsis_mask", 0),
                               new_axis_mask=node.get("new_axis_mask", 0),
                               shrink_axis_mask=node.get("shrink_axis_mask", 0))


def _pad(node, x, paddings, value=None):
    return ember.pad(x, node.const(paddings, "paddings"), mode="CONSTANT",
                     constant_values=0 if value is None else value)


def _mirror_pad(node, x, paddings):
    return ember.pad(x, node.const(paddings, "paddings"), mode=node.get("mode", "REFLECT"))


def _gather(node, params, indices, axis=None):
    return ember.gather(params, indices, axis=0 if axis is None else _axis(node, axis),
                        batch_dims=node.get("batch_dims", 0))


def _one_hot(node, indices, depth, on, off):
    return ember.one_hot(indices, depth, on_value=on, off_value=off,
                         axis=node.get("axis", -1))


def _source_coords(in_size, out_size, align_corners, half_pixel):
    scale = (in_size - 1) / (out_size - 1) if align_corners and out_size > 1 else \
        in_size / out_size
    dst = np.arange(out_size, dtype=np.float64)
    return (dst + 0.5) * scale - 0.5 if half_pixel else dst * scale, scale


def _resize(method):
    """TensorFlow 1's ResizeBilinear / ResizeNearestNeighbor with their ``align_corners``
    and ``half_pixel_centers`` sampling (output sizes must be known when importing)."""
    def build(node, images, size):
        out_h, out_w = [int(v) for v in np.asarray(node.const(size, "size")).reshape(-1)]
        dims = images.shape.as_list()
        if len(dims) != 4 or dims[1] is None or dims[2] is None:
            raise NotImplementedError(f"import_graph_def: node '{node.name}' (op {node.op}): "
                                      f"the input's height and width must be known")
        align = node.get("align_corners", False)
        half = node.get("half_pixel_centers", False)
        x = images if method == "nearest" else ember.cast(images, ember.float32)
        for axis, in_size, out_size in ((1, dims[1], out_h), (2, dims[2], out_w)):
            src, scale = _source_coords(in_size, out_size, align, half)
            if method == "nearest":
                if half:
                    idx = np.floor((np.arange(out_size) + 0.5) * scale)
                else:
                    idx = np.round(src) if align else np.floor(src)
                idx = np.clip(idx, 0, in_size - 1).astype(np.int32)
                x = ember.gather(x, ember.constant(idx), axis=axis)
                continue
            low = np.floor(src)
            frac = (src - low).astype(np.float32)
            lo = np.clip(low, 0, in_size - 1).astype(np.int32)
            hi = np.clip(np.ceil(src), 0, in_size - 1).astype(np.int32)
            a = ember.gather(x, ember.constant(lo), axis=axis)
            b = ember.gather(x, ember.constant(hi), axis=axis)
            shape = [1, 1, 1, 1]
            shape[axis] = out_size
            x = a + (b - a) * ember.constant(frac.reshape(shape))
        return x
    return build


def _lrn(node, x):
    return ember.nn.local_response_normalization(
        x, depth_radius=node.get("depth_radius", 5), bias=node.get("bias", 1.0),
        alpha=node.get("alpha", 1.0), beta=node.get("beta", 0.5))


def _seed(node):
    seed, seed2 = node.get("seed", 0), node.get("seed2", 0)
    return None if not seed and not seed2 else int(seed2 or seed)


def _random(fn):
    def build(node, shape):
        return fn(shape, dtype=node.get("dtype"), seed=_seed(node))
    return build


def _static_dims(s):
    """A shape vector's dimensions as far as known when importing (None unknown)."""
    value = getattr(s, "_constant_value", None)
    if value is not None:
        return [int(v) for v in np.asarray(value).reshape(-1)]
    if s.op.type == "Shape" and s.op.inputs[0].shape.rank is not None:
        return s.op.inputs[0].shape.as_list()
    return None


def _broadcast_gradient_args(node, s0, s1):
    """The axes to sum each operand's gradient over: those where its shape (padded with
    leading ones to the common rank) is 1. A dimension unknown at import time is taken as
    not broadcast (TensorFlow's gradients sum and then reshape, so summing a size-1 axis
    or not gives the same values)."""
    a, b = _static_dims(s0), _static_dims(s1)
    if a is None or b is None:
        raise NotImplementedError(
            f"import_graph_def: node '{node.name}' (op BroadcastGradientArgs): ember needs "
            f"the ranks of both shapes when importing")
    n = max(len(a), len(b))
    out = []
    for dims in (a, b):
        padded = [1] * (n - len(dims)) + dims
        out.append(ember.constant(np.asarray([i for i, d in enumerate(padded) if d == 1],
                                             s0.dtype.np)))
    return out


def _sparse_xent(node, logits, labels):
    loss = ember.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    depth = ember.shape(logits)[-1]
    backprop = ember.nn.softmax(logits) - ember.one_hot(labels, depth, dtype=logits.dtype)
    return [loss, backprop]


def _xent(node, logits, labels):
    loss = ember.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return [loss, ember.nn.softmax(logits) - labels]


BUILDERS = {
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
    "SoftmaxCrossEntropyWithLogits": _xent,
    "BroadcastTo": lambda node, x, shape: ember.broadcast_to(x, shape),
    "RandomUniform": _random(ember.random.uniform),
    "RandomStandardNormal": _random(ember.random.normal),
    "TruncatedNormal": _random(ember.random.truncated_normal),
    "RandomUniformInt": lambda node, shape, lo, hi: ember.random.uniform(
        shape, lo, hi, dtype=lo.dtype, seed=_seed(node)),
    "BroadcastGradientArgs": _broadcast_gradient_args,
    "Reciprocal": _unary(ember.math.reciprocal),
    "Identity": _unary(ember.identity), "Snapshot": _unary(ember.identity),
    "StopGradient": _unary(ember.stop_gradient), "PreventGradient": _unary(ember.identity),
    "Relu": _unary(ember.nn.relu), "Relu6": _unary(ember.nn.relu6),
    "Elu": _unary(ember.nn.elu), "Selu": _unary(ember.nn.selu),
    "Tanh": _unary(ember.math.tanh), "Sigmoid": _unary(ember.math.sigmoid),
    "Exp": _unary(ember.math.exp), "Log": _unary(ember.math.log),
    "Log1p": _unary(ember.math.log1p), "Expm1": _unary(ember.math.expm1),
    "Neg": _unary(ember.math.negative), "Sqrt": _unary(ember.math.sqrt),
    "Rsqrt": _unary(ember.math.rsqrt), "Square": _unary(ember.math.square),
    "Abs": _unary(ember.math.abs), "Floor": _unary(ember.math.floor),
    "Ceil": _unary(ember.math.ceil), "Round": _unary(ember.math.round),
    "Softplus": _unary(ember.math.softplus), "Softsign": _unary(ember.nn.softsign),
    "Erf": _unary(ember.math.erf), "Sign": _unary(ember.math.sign),
    "Sin": _unary(ember.math.sin), "Cos": _unary(ember.math.cos),
    "Reciprocal": _unary(ember.math.reciprocal), "Inv": _unary(ember.math.reciprocal),
    "LogicalNot": _unary(ember.math.logical_not), "IsNan": _unary(ember.math.is_nan),
    "ZerosLike": _unary(ember.zeros_like), "OnesLike": _unary(ember.ones_like),
    "Shape": lambda node, x: ember.shape(x, out_type=node.get("out_type", ember.int32)),
    "Size": lambda node, x: ember.size(x, out_type=node.get("out_type", ember.int32)),
    "Rank": lambda node, x: ember.rank(x),
    "AddV2": _binary(ember.math.add), "Add": _binary(ember.math.add),
    "Sub": _binary(ember.math.subtract), "Mul": _binary(ember.math.multiply),
    "RealDiv": _binary(ember.math.truediv), "Div": _div,
    "FloorDiv": _binary(ember.math.floordiv), "FloorMod": _binary(ember.math.floormod),
    "Maximum": _binary(ember.math.maximum), "Minimum": _binary(ember.math.minimum),
    "Pow": _binary(ember.math.pow), "SquaredDifference": _binary(
        ember.math.squared_difference),
    "Less": _binary(ember.math.less), "LessEqual": _binary(ember.math.less_equal),
    "Greater": _binary(ember.math.greater),
    "GreaterEqual": _binary(ember.math.greater_equal),
    "Equal": _binary(ember.math.equal), "NotEqual": _binary(ember.math.not_equal),
    "LogicalAnd": _binary(ember.math.logical_and), "LogicalOr": _binary(
        ember.math.logical_or),
    "MatMul": _matmul, "BatchMatMul": _batch_matmul, "BatchMatMulV2": _batch_matmul,
    "BatchMatMulV3": _batch_matmul,
    "BiasAdd": lambda node, x, b: ember.nn.bias_add(x, b, data_format=node.get(
        "data_format", "NHWC")),
    "BiasAddV1": lambda node, x, b: ember.nn.bias_add(x, b),
    "Softmax": _softmax(ember.nn.softmax), "LogSoftmax": _softmax(ember.nn.log_softmax),
    "LeakyRelu": lambda node, x: ember.nn.leaky_relu(x, alpha=node.get("alpha", 0.2)),
    "Conv2D": _conv2d, "DepthwiseConv2dNative": _depthwise,
    "Conv2DBackpropInput": _conv2d_backprop_input,
    "MaxPool": _pool(ember.nn.max_pool2d), "AvgPool": _pool(ember.nn.avg_pool2d),
    "Reshape": lambda node, x, shape: ember.reshape(x, shape),
    "Sum": _reduce(ember.reduce_sum), "Mean": _reduce(ember.reduce_mean),
    "Max": _reduce(ember.reduce_max), "Min": _reduce(ember.reduce_min),
    "Prod": _reduce(ember.reduce_prod), "All": _reduce(ember.reduce_all),
    "Any": _reduce(ember.reduce_any),
    "ConcatV2": _concat_v2, "Concat": _concat_v1,
    "ExpandDims": lambda node, x, dim: ember.expand_dims(x, _axis(node, dim)),
    "Squeeze": lambda node, x: ember.squeeze(x, axis=node.get("squeeze_dims") or None),
    "Transpose": lambda node, x, perm: ember.transpose(x, _axis(node, perm, "perm")),
    "Cast": lambda node, x: ember.cast(x, node.get("DstT")),
    "ArgMax": lambda node, x, d: ember.math.argmax(x, _axis(node, d, "dimension"),
                                                   output_type=node.get("output_type",
                                                                        ember.int64)),
    "ArgMin": lambda node, x, d: ember.math.argmin(x, _axis(node, d, "dimension"),
                                                   output_type=node.get("output_type",
                                                                        ember.int64)),
    "StridedSlice": _strided_slice,
    "Slice": lambda node, x, begin, size: ember.slice(x, begin, size),
    "Pack": lambda node, *xs: ember.stack(list(xs), axis=node.get("axis", 0)),
    "Unpack": lambda node, x: ember.unstack(x, num=node.get("num"), axis=node.get("axis", 0)),
    "Fill": lambda node, dims, value: ember.fill(dims, value),
    "Range": lambda node, start, limit, delta: ember.range(start, limit, delta),
    "Tile": lambda node, x, multiples: ember.tile(x, multiples),
    "Pad": _pad, "PadV2": _pad, "MirrorPad": _mirror_pad,
    "GatherV2": _gather, "Gather": _gather,
    "OneHot": _one_hot,
    "Select": lambda node, c, x, y: ember.where(c, x, y),
    "SelectV2": lambda node, c, x, y: ember.where(c, x, y),
    "FusedBatchNorm": _fused_batch_norm, "FusedBatchNormV2": _fused_batch_norm,
    "FusedBatchNormV3": _fused_batch_norm,
    "Split": _split, "SplitV": _split_v,
    "ResizeBilinear": _resize("bilinear"), "ResizeNearestNeighbor": _resize("nearest"),
    "LRN": _lrn,
    "AddN": lambda node, *xs: ember.math.add_n(list(xs)),
}

# ops that take a variable itself (not its value) as their first input
_HANDLE_OPS = {"Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
               "AssignAddVariableOp", "AssignSubVariableOp", "ReadVariableOp",
               "IsVariableInitialized", "VarIsInitializedOp", "Identity",
               "ApplyGradientDescent", "ResourceApplyGradientDescent"}


# -------------------------------------------------------------------------- importer ---

def _split_name(name):
    """``"x"`` -> ("x", 0), ``"x:1"`` -> ("x", 1), ``"^x"`` -> ("x", None)."""
    if name.startswith("^"):
        return name[1:], None
    base, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return base, int(index)
    return name, 0


def _new_variable(graph, name, dtype, shape):
    """An ember variable for a VariableV2/VarHandleOp node: no value and no initializer
    until the graph's Assign (or a Saver) gives it one; in no collection."""
    v = Variable.__new__(Variable)
    v._array = None
    v._exposed = False
    v._dtype = dtype
    v._shape = TensorShape(shape)
    v._set_identity(True, name, None, 0, 0)
    v._graph = graph
    v._initial_value = None
    v._initializer_op = None
    return v


def _sorted_nodes(graph_def):
    nodes = {n.name: n for n in graph_def.node}
    if len(nodes) != len(graph_def.node):
        seen = set()
        for n in graph_def.node:
            if n.name in seen:
                raise ValueError(f"import_graph_def: the GraphDef has two nodes named "
                                 f"'{n.name}'")
            seen.add(n.name)
    order, state = [], {}
    for root in nodes:
        stack = [(root, False)]
        while stack:
            name, done = stack.pop()
            if done:
                state[name] = 2
                order.append(nodes[name])
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ValueError(f"import_graph_def: the GraphDef has a cycle through node "
                                 f"'{name}' (TF1 while loops are not supported)")
            state[name] = 1
            stack.append((name, True))
            for inp in nodes[name].input:
                src, _ = _split_name(inp)
                if src in nodes and state.get(src) != 2:
                    stack.append((src, False))
    return order


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None,
                     op_dict=None, producer_op_list=None):
    """Imports ``graph_def`` into the default graph; returns the ``return_elements``."""
    p = protos()
    if isinstance(graph_def, (bytes, bytearray)):
        graph_def = p.graph_pb2.GraphDef.FromString(bytes(graph_def))
    if not isinstance(graph_def, p.graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got "
                        f"{type(graph_def).__name__}")
    from ember.compat.v1 import get_default_graph
    graph = get_default_graph()
    with graph.as_default():
        return _Importer(graph, graph_def, input_map, name).run(return_elements)


class _Importer:
    def __init__(self, graph, graph_def, input_map, name):
        self.graph = graph
        self.graph_def = graph_def
        prefix = "import" if name is None else name
        if prefix:
            prefix = graph.unique_name(prefix.rstrip("/"))
        self.prefix = prefix
        self.input_map = {}
        for key, value in (input_map or {}).items():
            src, index = _split_name(key)
            if index is None:
                raise ValueError(f"import_graph_def: input_map key {key!r} must name a "
                                 f"tensor, not a control input")
            if not isinstance(value, ember.Tensor) and not \
                    getattr(value, "_is_ember_variable", False):
                value = ember.convert_to_tensor(value)
            self.input_map[(src, index)] = value
        self.outputs = {}           # node name -> list of tensors (or a Variable)
        self.ops = {}               # node name -> the ember op standing for it
        self.variables = {}         # node name -> Variable
        self.used_map = set()

    def full(self, node_name):
        return f"{self.prefix}/{node_name}" if self.prefix else node_name

    def tensor(self, ref, node):
        src, index = _split_name(ref)
        if (src, index) in self.input_map:
            self.used_map.add((src, index))
            return self.input_map[(src, index)]
        if src in self.variables:
            return self.variables[src]
        outs = self.outputs.get(src)
        if outs is None:
            raise node.fail(f"input '{ref}' names no node of the GraphDef")
        if index >= len(outs):
            raise node.fail(f"input '{ref}': node '{src}' has only {len(outs)} outputs")
        return outs[index]

    def run(self, return_elements):
        names = {n.name for n in self.graph_def.node}
        missing = sorted(f"{s}:{i}" for s, i in self.input_map if s not in names)
        if missing:
            raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                             f"[{', '.join(missing)}]")
        for node_def in _sorted_nodes(self.graph_def):
            self.build(node_def)
        if return_elements is None:
            return None
        out = []
        for element in return_elements:
            src, index = _split_name(element)
            if src not in self.outputs and src not in self.variables:
                raise ValueError(f"Requested return_element {element!r} not found in "
                                 f"graph_def.")
            if ":" in element:
                out.append(self.tensor(element, _Node(self._node_def(src))))
            else:
                out.append(self.ops[src])
        return out

    def _node_def(self, name):
        return next(n for n in self.graph_def.node if n.name == name)

    def build(self, node_def):
        node = _Node(node_def)
        data = [i for i in node_def.input if not i.startswith("^")]
        control = [self.ops[_split_name(i)[0]] for i in node_def.input if i.startswith("^")
                   if not isinstance(self.ops.get(_split_name(i)[0]), (_VariableOp, type(None)))]
        full = self.full(node.name)
        g = self.graph
        before = len(g._operations)
        with g.control_dependencies(control):
            if node.op in ("VariableV2", "Variable", "VarHandleOp"):
                v = _new_variable(g, full, node.get("dtype"), node.get("shape"))
                self.variables[node.name] = v
                g.__dict__.setdefault("_imported_variables", {})[full] = v
                self.outputs[node.name] = [v]
                self.ops[node.name] = _VariableOp(full, node.op, v)
                return
            inputs = [self.tensor(i, node) for i in data]
            outs = self._call(node, inputs)
        made = g._operations[before:]
        if isinstance(outs, Operation):          # an op without outputs (NoOp, a group)
            outs.name = self._fresh(full, exact=True)
            for op in made:
                if op is not outs:
                    op.name = self._fresh(f"{full}/{op.name.rsplit('/', 1)[-1]}")
            self.ops[node.name] = outs
            self.outputs[node.name] = list(outs.outputs)
            return
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        self._name_ops(full, outs, made, node)
        self.outputs[node.name] = outs

    def _call(self, node, inputs):
        g = self.graph
        op = node.op
        if op == "Const":
            return g.constant(node.get("value"), name="Const")
        if op == "Placeholder":
            return g.placeholder(node.get("dtype"), node.get("shape"), name="Placeholder")
        if op == "PlaceholderWithDefault":
            return ember.identity(inputs[0])
        if op == "NoOp":
            from ember.ops.control_flow_ops import no_op
            return no_op()
        if op in _HANDLE_OPS and inputs and getattr(inputs[0], "_is_ember_variable", False):
            v = inputs[0]
            if op in ("Identity", "ReadVariableOp"):
                return g.read_variable(v)
            if op in ("IsVariableInitialized", "VarIsInitializedOp"):
                return g.constant(np.bool_(v._array is not None))
            if op in ("ApplyGradientDescent", "ResourceApplyGradientDescent"):
                alpha, delta = inputs[1], inputs[2]
                return g.assign_variable(v, "assign_sub", alpha * delta)
            kind = {"Assign": "assign", "AssignVariableOp": "assign",
                    "AssignAdd": "assign_add", "AssignAddVariableOp": "assign_add",
                    "AssignSub": "assign_sub", "AssignSubVariableOp": "assign_sub"}[op]
            value = inputs[1]
            out = g.assign_variable(v, kind, value)
            if kind == "assign" and v._initializer_op is None:
                v._initializer_op = out.op
            return out
        builder = BUILDERS.get(op)
        if builder is None:
            raise ValueError(f"import_graph_def: node '{node.name}' has op type '{op}', which "
                             f"ember cannot import (not one of its {len(BUILDERS)} known "
                             f"TensorFlow op types)")
        inputs = [g.read_variable(x) if getattr(x, "_is_ember_variable", False) else x
                  for x in inputs]
        try:
            return builder(node, *inputs)
        except (NotImplementedError, ValueError) as e:
            if "import_graph_def" in str(e):
                raise
            raise type(e)(f"import_graph_def: node '{node.name}' (op {op}): {e}") from None
        except TypeError as e:
            raise ValueError(f"import_graph_def: node '{node.name}' (op {op}) with "
                             f"{len(inputs)} inputs: {e}") from None

    def _name_ops(self, full, outs, made, node):
        """Names the op that makes the outputs ``full``, the helper ops ``full/...``."""
        g = self.graph
        made_ids = {id(o) for o in made}
        producers = {id(t.op): t.op for t in outs if hasattr(t, "op")}
        main = None
        if len(producers) == 1:
            op = next(iter(producers.values()))
            if id(op) in made_ids:
                main = op
        if main is None and len(outs) == 1 and hasattr(outs[0], "op"):
            # the result is an existing tensor (e.g. a cast to the same dtype): name a copy
            before = len(g._operations)
            outs[0] = ember.identity(outs[0])
            made = list(made) + g._operations[before:]
            main = outs[0].op
        elif main is None and not outs and made:
            main = made[-1]
        for op in made:
            if op is main:
                continue
            op.name = self._fresh(f"{full}/{op.name.rsplit('/', 1)[-1]}")
        if main is not None:
            main.name = self._fresh(full, exact=True)
            self.ops[node.name] = main
        else:
            # outputs from several ops (e.g. an inference FusedBatchNorm): find them by name
            aliases = g.__dict__.setdefault("_tensor_aliases", {})
            for i, t in enumerate(outs):
                aliases[f"{full}:{i}"] = t
            self.ops[node.name] = outs[0].op

    def _fresh(self, name, exact=False):
        g = self.graph
        key = name.lower()
        if key in g._names and not exact:
            k = 1
            while f"{key}_{k}" in g._names:
                k += 1
            name, key = f"{name}_{k}", f"{key}_{k}"
        g._names[key] = max(g._names.get(key, 0), 1)
        return name


class _VariableOp:
    """The operation a variable node of an imported graph stands for (variables are not
    graph operations in ember)."""

    def __init__(self, name, type_, variable):
        self.name = name
        self.type = type_
        self.variable = variable
        self.inputs = []
        self.control_inputs = []
        self.outputs = []

    def __repr__(self):
        return f"<ember imported variable '{self.name}' type={self.type}>"
