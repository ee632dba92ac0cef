"""The kernels ember's TensorFlow Lite interpreter runs: one function per builtin operator,
``kernel(inputs, options) -> list of outputs`` on NumPy arrays (convolutions and pooling
through ember's own ops). ``inputs`` holds None for an omitted optional input."""
from __future__ import annotations

import numpy as np


def _act(x, code):
    if code == 0:
        return x
    if code == 1:
        return np.maximum(x, 0)
    if code == 2:
        return np.clip(x, -1, 1)
    if code == 3:
        return np.clip(x, 0, 6)
    if code == 4:
        return np.tanh(x)
    if code == 5:
        return np.signbit(x).astype(x.dtype)
    raise NotImplementedError(f"ember.lite: fused activation code {code} is not supported")


def _binary(fn):
    def kernel(ins, o):
        a, b = ins
        out = fn(a, b)
        if out.dtype != a.dtype and a.dtype.kind in "iu":
            out = out.astype(a.dtype)
        return [_act(out, o.get("fused_activation_function", 0))]
    return kernel


def _int_div(a, b):
    """DIV: true division for floats; integers divide as C does (toward zero)."""
    if a.dtype.kind == "f":
        return a / b
    return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype)


def _unary(fn):
    return lambda ins, o: [fn(ins[0]).astype(ins[0].dtype, copy=False)]


def _sigmoid(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out


def _softmax(ins, o):
    z = ins[0] * np.float32(o.get("beta", 1.0) or 1.0)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return [(z / z.sum(axis=-1, keepdims=True)).astype(ins[0].dtype)]


def _log_softmax(ins, o):
    z = ins[0] - ins[0].max(axis=-1, keepdims=True)
    return [(z - np.log(np.exp(z).sum(axis=-1, keepdims=True))).astype(ins[0].dtype)]


def _gelu(ins, o):
    x = ins[0].astype(np.float64)
    if o.get("approximate"):
        y = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    else:
        from math import erf
        y = 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))
    return [y.astype(ins[0].dtype)]


def _fully_connected(ins, o):
    x, w, b = (ins + [None])[:3]
    if o.get("weights_format", 0):
        raise NotImplementedError("ember.lite: FULLY_CONNECTED with shuffled weights is not "
                                  "supported")
    n_in = w.shape[1]
    y = x.reshape(-1, n_in) @ w.T
    if b is not None:
        y = y + b
    if o.get("keep_num_dims"):
        y = y.reshape(x.shape[:-1] + (w.shape[0],))
    return [_act(y.astype(np.float32, copy=False), o.get("fused_activation_function", 0))]


def _ember():
    import ember
    return ember


def _padding(o):
    return "SAME" if o.get("padding", 0) == 0 else "VALID"


def _conv2d(ins, o):
    x, w, b = (ins + [None])[:3]
    e = _ember()
    k = w.transpose(1, 2, 3, 0)          # a filter of fewer input channels: grouped
    y = e.nn.conv2d(x, k, strides=[1, o["stride_h"], o["stride_w"], 1], padding=_padding(o),
                    dilations=[1, o.get("dilation_h_factor", 1),
                               o.get("dilation_w_factor", 1), 1]).numpy()
    if b is not None:
        y = y + b
    return [_act(y, o.get("fused_activation_function", 0))]


def _depthwise(ins, o):
    x, w, b = (ins + [None])[:3]
    e = _ember()
    c = x.shape[-1]
    k = w.reshape(w.shape[1], w.shape[2], c, w.shape[3] // c)
    y = e.nn.depthwise_conv2d(x, k, strides=[1, o["stride_h"], o["stride_w"], 1],
                              padding=_padding(o),
                              dilations=[o.get("dilation_h_factor", 1),
                                         o.get("dilation_w_factor", 1)]).numpy()
    if b is not None:
        y = y + b
    return [_act(y, o.get("fused_activation_function", 0))]


def _transpose_conv(ins, o):
    shape, w, x, b = (ins + [None])[:4]
    e = _ember()
    y = e.nn.conv2d_transpose(x, w.transpose(1, 2, 0, 3), [int(d) for d in shape],
                              strides=[1, o["stride_h"], o["stride_w"], 1],
                              padding=_padding(o)).numpy()
    if b is not None:
        y = y + b
    return [_act(y, o.get("fused_activation_function", 0))]


def _pool(name):
    def kernel(ins, o):
        fn = getattr(_ember().nn, name)
        y = fn(ins[0], ksize=[1, o["filter_height"], o["filter_width"], 1],
               strides=[1, o["stride_h"], o["stride_w"], 1], padding=_padding(o)).numpy()
        return [_act(y, o.get("fused_activation_function", 0))]
    return kernel


def _reducer(fn):
    def kernel(ins, o):
        x, axis = ins
        axes = tuple(sorted({int(a) % x.ndim for a in np.atleast_1d(axis)}))
        out = fn(x, axis=axes, keepdims=bool(o.get("keep_dims")))
        return [np.asarray(out).astype(x.dtype)]
    return kernel


def _reshape(ins, o):
    x = ins[0]
    if len(ins) > 1 and ins[1] is not None:
        shape = [int(d) for d in np.asarray(ins[1]).reshape(-1)]
    else:
        shape = list(o.get("new_shape") or [])
    return [x.reshape(shape)]


def _squeeze(ins, o):
    dims = o.get("squeeze_dims") or None
    return [np.squeeze(ins[0], axis=None if dims is None else tuple(dims))]


def _strided_slice(ins, o):
    from ember.framework.op import get_op
    x, begin, end, strides = ins
    if o.get("offset"):
        end = begin + end
    attrs = {k: int(o.get(k, 0)) for k in ("begin_mask", "end_mask", "ellipsis_mask",
                                           "new_axis_mask", "shrink_axis_mask")}
    return [np.asarray(get_op("StridedSlice").kernel(np, x, begin, end, strides, **attrs))]


def _slice(ins, o):
    x, begin, size = ins
    idx = tuple(slice(int(b), None if int(s) < 0 else int(b) + int(s))
                for b, s in zip(begin, size))
    return [x[idx]]


def _pad(ins, o):
    x, pads = ins[0], np.asarray(ins[1]).reshape(-1, 2)
    value = ins[2].reshape(()) if len(ins) > 2 and ins[2] is not None else 0
    return [np.pad(x, [tuple(int(v) for v in p) for p in pads], constant_values=value)]


def _gather(ins, o):
    params, idx = ins
    axis = int(o.get("axis", 0)) % params.ndim
    batch_dims = int(o.get("batch_dims", 0)) % max(idx.ndim, 1) if o.get("batch_dims") else 0
    n = params.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx[(idx < 0) | (idx >= n)].reshape(-1)[0])
        raise ValueError(f"ember.lite: GATHER index {bad} is out of range [0, {n})")
    if not batch_dims:
        return [np.take(params, idx, axis=axis)]
    if axis == batch_dims == params.ndim - 1 == idx.ndim - 1:
        return [np.take_along_axis(params, idx, axis=axis)]
    raise NotImplementedError(f"ember.lite: GATHER with batch_dims={batch_dims} on axis "
                              f"{axis} is not supported (only along the last axis)")


def _batch_matmul(ins, o):
    a, b = ins
    if o.get("adj_x"):
        a = np.swapaxes(a, -1, -2)
    if o.get("adj_y"):
        b = np.swapaxes(b, -1, -2)
    return [np.matmul(a, b)]


def _concat(ins, o):
    return [_act(np.concatenate(ins, axis=int(o.get("axis", 0))),
                 o.get("fused_activation_function", 0))]


def _arg_max(ins, o):
    from ember.lite.schema import TENSOR_TYPES
    return [np.argmax(ins[0], axis=int(np.asarray(ins[1]).reshape(-1)[0])).astype(
        TENSOR_TYPES[o.get("output_type", 4) or 4])]


def _shape(ins, o):
    from ember.lite.schema import TENSOR_TYPES
    return [np.asarray(ins[0].shape, TENSOR_TYPES[o.get("out_type", 2) or 2])]


def _resize(method):
    def kernel(ins, o):
        from ember.framework.op import get_op
        if o.get("align_corners") or not o.get("half_pixel_centers"):
            raise NotImplementedError(
                f"ember.lite: resizing with align_corners={o.get('align_corners')}, "
                f"half_pixel_centers={o.get('half_pixel_centers')} is not supported (ember "
                f"resizes as TensorFlow 2 does: half-pixel centers)")
        x, size = ins
        out = get_op("ResizeBilinear").kernel(np, x.astype(np.float32), size=tuple(
            int(d) for d in size), method=method, antialias=False)
        return [np.asarray(out).astype(x.dtype)]
    return kernel


def _split(ins, o):
    axis, x = int(np.asarray(ins[0]).reshape(())), ins[1]
    return np.split(x, int(o["num_splits"]), axis=axis)


def _split_v(ins, o):
    x, sizes, axis = ins[0], [int(v) for v in ins[1]], int(np.asarray(ins[2]).reshape(()))
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


def _cumsum(ins, o):
    x, axis = ins[0], int(np.asarray(ins[1]).reshape(()))
    if o.get("reverse"):
        x = np.flip(x, axis)
    y = np.cumsum(x, axis=axis, dtype=x.dtype)
    if o.get("exclusive"):
        y = y - x
    return [np.flip(y, axis) if o.get("reverse") else y]


def _gather_nd(ins, o):
    params, idx = ins
    k = idx.shape[-1]
    return [params[tuple(np.moveaxis(idx, -1, 0))] if k else
            np.broadcast_to(params, idx.shape[:-1] + params.shape)]


def _one_hot(ins, o):
    idx, depth, on, off = ins
    depth = int(np.asarray(depth).reshape(()))
    hot = np.arange(depth) == idx[..., None]
    out = np.where(hot, on.reshape(()), off.reshape(()))
    axis = int(o.get("axis", -1))
    return [out if axis == -1 else np.moveaxis(out, -1, axis)]


def _mirror_pad(ins, o):
    x, pads = ins[0], np.asarray(ins[1]).reshape(-1, 2)
    mode = "reflect" if o.get("mode", 0) == 0 else "symmetric"
    return [np.pad(x, [tuple(int(v) for v in p) for p in pads], mode=mode)]


def _top_k(ins, o):
    x, k = ins[0], int(np.asarray(ins[1]).reshape(()))
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, order, axis=-1), order.astype(np.int32)]


def _compare(fn):
    return lambda ins, o: [fn(ins[0], ins[1])]


def _hard_swish(x):
    return x * np.clip(x + 3, 0, 6) / 6


KERNELS = {
    "ADD": _binary(np.add), "SUB": _binary(np.subtract), "MUL": _binary(np.multiply),
    "DIV": _binary(_int_div), "MAXIMUM": _binary(np.maximum),
    "MINIMUM": _binary(np.minimum), "POW": _binary(np.power),
    "SQUARED_DIFFERENCE": _binary(lambda a, b: (a - b) ** 2),
    "RELU": _unary(lambda x: np.maximum(x, 0)), "RELU6": _unary(lambda x: np.clip(x, 0, 6)),
    "RELU_N1_TO_1": _unary(lambda x: np.clip(x, -1, 1)), "LOGISTIC": _unary(_sigmoid),
    "TANH": _unary(np.tanh), "EXP": _unary(np.exp), "LOG": _unary(np.log),
    "SQRT": _unary(np.sqrt), "RSQRT": _unary(lambda x: 1 / np.sqrt(x)),
    "NEG": _unary(np.negative), "SQUARE": _unary(np.square), "ABS": _unary(np.abs),
    "FLOOR": _unary(np.floor), "ELU": _unary(lambda x: np.where(x > 0, x, np.expm1(x))),
    "HARD_SWISH": _unary(_hard_swish), "GELU": _gelu,
    "LEAKY_RELU": lambda ins, o: [np.where(ins[0] >= 0, ins[0],
                                           ins[0] * np.float32(o["alpha"]))],
    "SOFTMAX": _softmax, "LOG_SOFTMAX": _log_softmax,
    "FULLY_CONNECTED": _fully_connected, "CONV_2D": _conv2d,
    "DEPTHWISE_CONV_2D": _depthwise, "TRANSPOSE_CONV": _transpose_conv,
    "MAX_POOL_2D": _pool("max_pool2d"), "AVERAGE_POOL_2D": _pool("avg_pool2d"),
    "MEAN": _reducer(np.mean), "SUM": _reducer(np.sum), "REDUCE_PROD": _reducer(np.prod),
    "REDUCE_ANY": _reducer(np.any), "REDUCE_ALL": _reducer(np.all), "TOPK_V2": _top_k,
    "REDUCE_MAX": _reducer(np.max),
    "REDUCE_MIN": _reducer(np.min), "RESHAPE": _reshape, "SQUEEZE": _squeeze,
    "EXPAND_DIMS": lambda ins, o: [np.expand_dims(ins[0], int(np.asarray(ins[1]).reshape(())))],
    "TRANSPOSE": lambda ins, o: [np.transpose(ins[0], [int(p) for p in ins[1]])],
    "CONCATENATION": _concat,
    "PACK": lambda ins, o: [np.stack(ins, axis=int(o.get("axis", 0)))],
    "PAD": _pad, "PADV2": _pad, "STRIDED_SLICE": _strided_slice, "SLICE": _slice,
    "TILE": lambda ins, o: [np.tile(ins[0], [int(m) for m in ins[1]])],
    "SHAPE": _shape, "GATHER": _gather, "BATCH_MATMUL": _batch_matmul,
    "ARG_MAX": _arg_max,
    "SPACE_TO_BATCH_ND": lambda ins, o: [
        _ember().space_to_batch_nd(ins[0], ins[1], ins[2]).numpy()],
    "BATCH_TO_SPACE_ND": lambda ins, o: [
        _ember().batch_to_space(ins[0], ins[1], ins[2]).numpy()],
    "SPLIT": _split, "SPLIT_V": _split_v, "CUMSUM": _cumsum, "GATHER_ND": _gather_nd,
    "ONE_HOT": _one_hot, "MIRROR_PAD": _mirror_pad,
    "UNPACK": lambda ins, o: [np.take(ins[0], k, axis=int(o.get("axis", 0)))
                              for k in range(ins[0].shape[int(o.get("axis", 0))])],
    "PRELU": lambda ins, o: [np.where(ins[0] >= 0, ins[0], ins[0] * ins[1])],
    "SIN": _unary(np.sin), "COS": _unary(np.cos), "ROUND": _unary(np.round),
    "CEIL": _unary(np.ceil), "ZEROS_LIKE": _unary(np.zeros_like),
    "RANGE": lambda ins, o: [np.arange(ins[0].reshape(()), ins[1].reshape(()),
                                       ins[2].reshape(()), dtype=ins[0].dtype)],
    "BROADCAST_TO": lambda ins, o: [np.broadcast_to(ins[0], [int(d) for d in ins[1]]).copy()],
    "REVERSE_V2": lambda ins, o: [np.flip(ins[0], tuple(int(a) for a in np.atleast_1d(ins[1])))],
    "RESIZE_BILINEAR": _resize("bilinear"), "RESIZE_NEAREST_NEIGHBOR": _resize("nearest"),
    "LESS": _compare(np.less), "GREATER": _compare(np.greater),
    "GREATER_EQUAL": _compare(np.greater_equal), "LESS_EQUAL": _compare(np.less_equal),
    "EQUAL": _compare(np.equal), "NOT_EQUAL": _compare(np.not_equal),
    "LOGICAL_AND": _compare(np.logical_and), "LOGICAL_OR": _compare(np.logical_or),
    "FLOOR_DIV": _binary(np.floor_divide), "FLOOR_MOD": _binary(np.mod),
    "LOGICAL_NOT": lambda ins, o: [np.logical_not(ins[0])],
    "SELECT": lambda ins, o: [np.where(ins[0], ins[1], ins[2])],
    "SELECT_V2": lambda ins, o: [np.where(ins[0], ins[1], ins[2])],
    "FILL": lambda ins, o: [np.full([int(d) for d in ins[0]], ins[1].reshape(()))],
}
