"""Lowerings of ember's convolution and pooling ops (2-D, and 1-D through a height of 1,
as TensorFlow does) to CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and the pools; a
following bias add or BatchNormalization is folded in later by ``optimize.py``."""
from __future__ import annotations

import numpy as np

from ember.lite.lowering import (Live, _cast_const, _check_one_unknown, _const,
                                 _reshape_to, _static_shape, _unsupported)
from ember.lite.schema import PADDINGS


def _conv_common(node):
    a = node.attrs
    if a.get("data_format", "NHWC") not in ("NHWC", "NWC"):
        raise _unsupported(node, f"data_format={a['data_format']!r}; TensorFlow Lite "
                                 f"convolutions are channels-last")
    padding = a["padding"]
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise _unsupported(node, f"explicit padding {padding!r}; only 'SAME' and 'VALID'")
    return padding.upper()


def _explicit_padding(ctx, node, x, rank):
    """A convolution's explicit ``padding`` (pairs per spatial dim: causal Conv1D) as a
    PAD before a 'VALID' one; returns the padded input, its shape and the padding kind."""
    shape = [-1 if d is None else d for d in node.inputs[0].shape.as_list()]
    padding = node.attrs["padding"]
    if isinstance(padding, str):
        return x, shape, _conv_common(node)
    pairs = [tuple(int(v) for v in p) for p in padding]
    if len(pairs) != rank - 2:
        raise _unsupported(node, f"explicit padding {padding!r}")
    pads = [(0, 0)] + pairs + [(0, 0)]
    shape = [d if d < 0 else d + lo + hi for d, (lo, hi) in zip(shape, pads)]
    out = ctx.new(shape, node.inputs[0].dtype.np, node.name + "/pad")
    ctx.model.add_op("PAD", [ctx.tensor(x), ctx.tensor(np.asarray(pads, np.int32))], [out])
    return Live(out), shape, "VALID"


def _conv2d(ctx, node, x, kernel):
    x, shape, padding = _explicit_padding(ctx, node, x, 4)
    k = _const(node, kernel, "filter").astype(np.float32)
    in_ch = shape[-1]
    return _emit_conv(ctx, node, x, k, in_ch, node.attrs["strides"][-2:],
                      node.attrs.get("dilations", (1, 1))[-2:], padding, [ctx.output(node)])


def _emit_conv(ctx, node, x, k, in_ch, strides, dilations, padding, out):
    """CONV_2D, or DEPTHWISE_CONV_2D for a convolution grouped by input channel; a zero
    bias the optimizer may fill with a following bias add."""
    (sh, sw), (dh, dw) = strides, dilations
    kh, kw, fin, n_out = k.shape
    bias = ctx.model.add_constant(node.name + "/bias", np.zeros(n_out, np.float32))
    geometry = dict(padding=PADDINGS[padding], stride_h=int(sh), stride_w=int(sw),
                    dilation_h_factor=int(dh), dilation_w_factor=int(dw))
    if fin == in_ch:
        filt = ctx.model.add_constant(node.name + "/filter", k.transpose(3, 0, 1, 2))
        ctx.model.add_op("CONV_2D", [ctx.tensor(x), filt, bias], out, **geometry)
        return out
    if fin == 1 and in_ch and n_out % in_ch == 0:
        filt = ctx.model.add_constant(node.name + "/depthwise_filter",
                                      k.reshape(1, kh, kw, n_out))
        ctx.model.add_op("DEPTHWISE_CONV_2D", [ctx.tensor(x), filt, bias], out,
                         depth_multiplier=n_out // in_ch, **geometry)
        return out
    if in_ch and in_ch % fin == 0 and n_out % (in_ch // fin) == 0:   # grouped: CONV_2D too
        filt = ctx.model.add_constant(node.name + "/filter", k.transpose(3, 0, 1, 2))
        ctx.model.add_op("CONV_2D", [ctx.tensor(x), filt, bias], out, **geometry)
        return out
    raise _unsupported(node, f"a grouped convolution ({in_ch} input channels, filter "
                             f"{list(k.shape)}) with channels that do not divide")


def _to_2d(ctx, node, x, x_shape=None, which=0):
    """Reshapes input ``which`` ([batch, width, channels]) to [batch, 1, width, channels]."""
    if x_shape is None:
        x_shape = [-1 if d is None else d for d in node.inputs[which].shape.as_list()]
    _check_one_unknown(node, x_shape)
    shape4 = [x_shape[0], 1] + x_shape[1:]
    x4 = ctx.new(shape4, node.inputs[which].dtype.np, node.name + "/expand")
    ctx.model.add_op("RESHAPE", [ctx.tensor(x), ctx.tensor(np.asarray(shape4, np.int32))],
                     [x4], new_shape=shape4)
    return Live(x4), x_shape


def _conv1d(ctx, node, x, kernel):
    """A 1-D convolution as TensorFlow lowers it: height 1 added, CONV_2D, removed."""
    x, x_shape, padding = _explicit_padding(ctx, node, x, 3)
    x4, x_shape = _to_2d(ctx, node, x, x_shape)
    y_shape = _static_shape(node)
    y4 = ctx.new([y_shape[0], 1] + y_shape[1:], np.float32, node.name + "/conv")
    k = _const(node, kernel, "filter").astype(np.float32)[None]
    _emit_conv(ctx, node, x4, k, x_shape[-1], (1,) + tuple(node.attrs["strides"]),
               (1,) + tuple(node.attrs.get("dilations", (1,))), padding, [y4])
    return _reshape_to(ctx, node, Live(y4), y_shape)


def _conv_transpose(ctx, node, output_shape, kernel, x):
    padding = PADDINGS[_conv_common(node)]
    if tuple(node.attrs.get("dilations", (1, 1))) != (1, 1):
        raise _unsupported(node, "dilated transposed convolutions are not supported")
    k = _const(node, kernel, "filter").astype(np.float32)       # [kh, kw, out, in]
    sh, sw = node.attrs["strides"][-2:]
    bias = np.zeros(k.shape[2], np.float32)
    out = [ctx.output(node)]
    op = ctx.model.add_op(
        "TRANSPOSE_CONV",
        [ctx.tensor(_cast_const(output_shape, np.int32)),
         ctx.tensor(k.transpose(2, 0, 1, 3).copy(), node.name + "/filter"), ctx.tensor(x),
         ctx.model.add_constant(node.name + "/bias", bias)],
        out, padding=padding, stride_h=sh, stride_w=sw)
    op.version = 3
    return out


def _conv1d_transpose(ctx, node, output_shape, kernel, x):
    """A 1-D transposed convolution: height 1 added, TRANSPOSE_CONV, removed."""
    padding = _conv_common(node)
    if tuple(node.attrs.get("dilations", (1,))) != (1,):
        raise _unsupported(node, "dilated transposed convolutions are not supported")
    x4, _ = _to_2d(ctx, node, x, which=2)
    y_shape = _static_shape(node)
    out4 = [y_shape[0], 1] + y_shape[1:]
    if isinstance(output_shape, Live):           # [batch, width, ch] -> [batch, 1, width, ch]
        parts = ctx.new([4], np.int32, node.name + "/output_shape")
        one = np.asarray([1], np.int32)
        first = ctx.new([1], np.int32, node.name + "/batch")
        rest = ctx.new([2], np.int32, node.name + "/rest")
        ctx.model.add_op("SLICE", [ctx.tensor(output_shape), ctx.tensor(np.asarray([0], np.int32)),
                                   ctx.tensor(one)], [first])
        ctx.model.add_op("SLICE", [ctx.tensor(output_shape), ctx.tensor(one),
                                   ctx.tensor(np.asarray([2], np.int32))], [rest])
        ctx.model.add_op("CONCATENATION", [first, ctx.tensor(one), rest], [parts], axis=0)
        shape4 = parts
    else:
        shape4 = ctx.tensor(np.asarray(out4, np.int32))
    k = _const(node, kernel, "filter").astype(np.float32)[None]      # [1, kw, out, in]
    y4 = ctx.new(out4, np.float32, node.name + "/transpose_conv")
    op = ctx.model.add_op(
        "TRANSPOSE_CONV",
        [shape4, ctx.tensor(k.transpose(2, 0, 1, 3).copy(), node.name + "/filter"), x4,
         ctx.model.add_constant(node.name + "/bias", np.zeros(k.shape[2], np.float32))],
        [y4], padding=PADDINGS[padding], stride_h=1, stride_w=int(node.attrs["strides"][0]))
    op.version = 3
    return _reshape_to(ctx, node, Live(y4), y_shape)


def _pool(kind):
    def lower(ctx, node, x):
        padding = PADDINGS[_conv_common(node)]
        kh, kw = node.attrs["ksize"][-2:]
        sh, sw = node.attrs["strides"][-2:]
        if any(d != 1 for d in node.attrs.get("dilations", (1,))):
            raise _unsupported(node, "dilated pooling is not supported")
        return ctx.op(kind, node, [x], padding=padding, stride_h=sh, stride_w=sw,
                      filter_height=kh, filter_width=kw)
    return lower


def _pool1d(kind):
    def lower(ctx, node, x):
        padding = PADDINGS[_conv_common(node)]
        x4, _ = _to_2d(ctx, node, x)
        y_shape = _static_shape(node)
        y4 = ctx.new([y_shape[0], 1] + y_shape[1:], np.float32, node.name + "/pool")
        (k,), (s,) = node.attrs["ksize"], node.attrs["strides"]
        ctx.model.add_op(kind, [x4], [y4], padding=padding, stride_h=1, stride_w=int(s),
                         filter_height=1, filter_width=int(k))
        return _reshape_to(ctx, node, Live(y4), y_shape)
    return lower


CONV_LOWERINGS = {
    "Conv2D": _conv2d, "Conv1D": _conv1d, "Conv2DBackpropInput": _conv_transpose,
    "Conv1DBackpropInput": _conv1d_transpose, "MaxPool": _pool("MAX_POOL_2D"),
    "AvgPool": _pool("AVERAGE_POOL_2D"), "MaxPool1D": _pool1d("MAX_POOL_2D"),
    "AvgPool1D": _pool1d("AVERAGE_POOL_2D"),
}
