"""Convolution gradients as functions (conv2d_backprop_*_v2, depthwise_conv2d_backprop_*),
atrous_conv2d_transpose and the general ``tf.conv``. Each backprop is the gradient of the
forward op taken with a GradientTape, so it works eagerly and in traced functions."""
from __future__ import annotations

from ember.engine.tape import GradientTape
from ember.ops import array_ops, conv_ops
from ember.ops._base import tensor

__all__ = ["atrous_conv2d_transpose", "conv", "conv2d_backprop_filter_v2",
           "conv2d_backprop_input_v2", "depthwise_conv2d_backprop_filter",
           "depthwise_conv2d_backprop_input"]


def _padding(padding, explicit_paddings, fn):
    if str(padding).upper() == "EXPLICIT":
        pads = list(explicit_paddings)
        if len(pads) != 8:
            raise ValueError(f"{fn}: explicit_paddings must have 8 values, got {pads}")
        return [pads[i:i + 2] for i in range(0, 8, 2)]
    return padding


def _grad_wrt(forward, wrt, other, out_backprop):
    wrt = tensor(wrt)
    with GradientTape() as tape:
        tape.watch(wrt)
        y = forward(wrt, other)
    return tape.gradient(y, wrt, output_gradients=tensor(out_backprop, dtype=y.dtype))


def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding,  # noqa: A002
                              use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                              dilations=(1, 1, 1, 1), name=None):
    """The gradient of conv2d with respect to ``filter`` (whose shape ``filter`` gives)."""
    pad = _padding(padding, explicit_paddings, "conv2d_backprop_filter_v2")
    x = tensor(input)
    return _grad_wrt(lambda w, x: conv_ops.conv2d(x, w, strides, pad, data_format, dilations),
                     array_ops.zeros_like(tensor(filter, dtype=x.dtype)), x, out_backprop)


def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding,  # noqa: A002
                             use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                             dilations=(1, 1, 1, 1), name=None):
    """The gradient of conv2d with respect to ``input`` (whose shape ``input`` gives)."""
    pad = _padding(padding, explicit_paddings, "conv2d_backprop_input_v2")
    w = tensor(filter)
    return _grad_wrt(lambda x, w: conv_ops.conv2d(x, w, strides, pad, data_format, dilations),
                     array_ops.zeros_like(tensor(input, dtype=w.dtype)), w, out_backprop)


def depthwise_conv2d_backprop_filter(input, filter_sizes, out_backprop, strides,  # noqa: A002
                                     padding, data_format="NHWC", dilations=(1, 1, 1, 1),
                                     name=None):
    """The gradient of depthwise_conv2d with respect to its filter, of shape
    ``filter_sizes`` ([kh, kw, channels, multiplier])."""
    x = tensor(input)
    w = array_ops.zeros(filter_sizes, dtype=x.dtype)
    return _grad_wrt(lambda w, x: conv_ops.depthwise_conv2d(x, w, strides, padding,
                                                            data_format, dilations[1:3]),
                     w, x, out_backprop)


def depthwise_conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,
                                    data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """The gradient of depthwise_conv2d with respect to its input, of shape
    ``input_sizes``."""
    w = tensor(filter)
    x = array_ops.zeros(input_sizes, dtype=w.dtype)
    return _grad_wrt(lambda x, w: conv_ops.depthwise_conv2d(x, w, strides, padding,
                                                            data_format, dilations[1:3]),
                     x, w, out_backprop)


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of atrous_conv2d: a transposed convolution with dilation ``rate``
    (stride 1); ``filters`` is (kh, kw, out_channels, in_channels).

    >>> ember.nn.atrous_conv2d_transpose(ember.ones([1, 3, 3, 1]), ember.ones([2, 2, 1, 1]),
    ...                                  [1, 5, 5, 1], 2, "VALID").shape
    TensorShape([1, 5, 5, 1])
    """
    if int(rate) < 1:
        raise ValueError(f"atrous_conv2d_transpose: rate must be >= 1, got {rate}")
    return conv_ops.conv2d_transpose(value, filters, output_shape, 1, padding,
                                     dilations=int(rate), name=name)


def conv(input, filter, strides, padding, explicit_paddings=(),  # noqa: A002
         data_format="CHANNELS_LAST", dilations=(), batch_dims=1, groups=1, name=None):
    """The general N-D convolution op: ``filter`` (*k, in / groups, out); ``strides`` and
    ``dilations`` have one entry per input dimension; ``data_format`` "CHANNELS_LAST" or
    "CHANNELS_FIRST"; leading ``batch_dims`` dimensions are batch."""
    x = tensor(input)
    rank = x.shape.rank
    if rank is None:
        raise ValueError("conv: the input's rank must be known")
    if int(groups) != 1:
        raise ValueError(f"conv: ember supports groups=1, got {groups}")
    channels_first = str(data_format).upper() == "CHANNELS_FIRST"
    batch_dims = int(batch_dims)
    spatial = rank - batch_dims - 1
    if spatial not in (1, 2, 3):
        raise ValueError(f"conv: 1 to 3 spatial dimensions are supported, got {spatial}")
    lead = array_ops.shape(x)[:batch_dims]
    if batch_dims != 1:
        x = array_ops.reshape(x, array_ops.concat([[-1], array_ops.shape(x)[batch_dims:]], 0))
    fmt = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[spatial]
    if channels_first:
        fmt = "NC" + fmt[1:-1]
    strides = list(strides)[batch_dims:] if len(strides) == rank else strides
    dil = list(dilations)[batch_dims:] if dilations and len(dilations) == rank else \
        (dilations or None)
    if channels_first:
        strides = strides[1:] if len(strides) == spatial + 1 else strides
        dil = dil[1:] if dil and len(dil) == spatial + 1 else dil
    else:
        strides = strides[:-1] if len(strides) == spatial + 1 else strides
        dil = dil[:-1] if dil and len(dil) == spatial + 1 else dil
    pad = padding
    if str(padding).upper() == "EXPLICIT":
        pads = list(explicit_paddings)
        pad = [pads[i:i + 2] for i in range(0, len(pads), 2)][batch_dims - 1:]
    y = conv_ops.convolution(x, filter, strides, pad, fmt, dil)
    if batch_dims != 1:
        y = array_ops.reshape(y, array_ops.concat([lead, array_ops.shape(y)[1:]], 0))
    return array_ops.identity(y, name=name)


