"""Convolutions: conv1d/2d/3d, transposed, depthwise, separable, grouped (im2col + GEMM).

Every convolution runs channels-last internally: the padded input is viewed as a strided
window array, copied once into a contiguous patch matrix ``(N * out_pixels, taps * C)``
and multiplied with the filter ``(taps * C, O)`` in one GEMM. The input gradient is one GEMM
followed by an accumulation over kernel taps (``col2im``); the filter gradient is one GEMM
of the patch matrix with the output gradient. The three ops (Conv, ConvBackpropInput,
ConvBackpropFilter) are each other's gradients, so any order of differentiation works.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.runtime.conv_kernels import (
    conv_backprop, conv_filter_grad, conv_forward, conv_input_grad)
from ember.runtime.windows import (
    channels_first, from_last, to_last, window_geometry, work_dtype)
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import Tensor
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops
from ember.ops._base import (
    FLOATS, _np_set, check_dtype, shape_arg, shape_value, static_int, tensor,
)

__all__ = [
    "atrous_conv2d",
    "conv1d",
    "conv1d_transpose",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "conv3d_transpose",
    "conv_transpose",
    "convolution",
    "depth_to_space",
    "depthwise_conv2d",
    "separable_conv2d",
    "space_to_depth",
]

_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _shape_text(shape):
    if isinstance(shape, TensorShape):
        shape = shape.as_list() if shape.rank is not None else None
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


# ------------------------------------------------------------------------------ ops ---

def _check_rank(op_name, spec, rank, what):
    r = spec.shape.rank
    if r is not None and r != rank:
        raise InvalidArgumentError(f"{op_name}: {what} must be {rank}-dimensional, got shape "
                                   f"{_shape_text(spec.shape)} [Op:{op_name}]")


# TensorFlow's CPU kernels of Conv2D and its input gradient (so conv1d and the transposed
# convolutions) also take int32, computed in int32 arithmetic (sums wrap modulo 2**32)
_INT_CONVS = ("Conv1D", "Conv2D", "Conv1DBackpropInput", "Conv2DBackpropInput")
_FLOATS_AND_INT32 = FLOATS | _np_set(dtypes.int32)


def _check_float(op_name, specs):
    check_dtype(op_name, specs[0].dtype, _FLOATS_AND_INT32 if op_name in _INT_CONVS else
                FLOATS, 0)
    for i, s in enumerate(specs[1:], 1):
        if s.dtype is not specs[0].dtype:
            raise InvalidArgumentError(
                f"cannot compute {op_name} as input #{i}(zero-based) was expected to be a "
                f"{specs[0].dtype.name} tensor but is a {s.dtype.name} tensor [Op:{op_name}]")


def _spatial(shape, r, cf):
    """(batch, spatial sizes, channels) of a full shape list in the given layout."""
    if cf:
        return shape[0], list(shape[2:2 + r]), shape[1]
    return shape[0], list(shape[1:1 + r]), shape[1 + r]


def _full(n, spatial, c, cf):
    return [n, c] + list(spatial) if cf else [n] + list(spatial) + [c]


def _conv_out_shape(op_name, r, xshape, wshape, attrs):
    """Checks input and filter shapes (lists, None for unknown) and gives the output shape."""
    cf = channels_first(attrs["data_format"])
    n, sizes, c = _spatial(xshape, r, cf)
    ksize = wshape[:r]
    cg, o = wshape[r], wshape[r + 1]
    if c is not None and cg is not None:
        if cg == 0 or c % cg:
            raise InvalidArgumentError(
                f"{op_name}: input depth must be evenly divisible by filter depth: {c} vs "
                f"{cg} (input shape {_shape_text(xshape)}, filter shape "
                f"{_shape_text(wshape)}) [Op:{op_name}]")
        groups = c // cg
        if o is not None and o % groups:
            raise InvalidArgumentError(
                f"{op_name}: the number of output channels {o} must be divisible by the "
                f"number of groups {groups} (input shape {_shape_text(xshape)}, filter shape "
                f"{_shape_text(wshape)}) [Op:{op_name}]")
    try:
        outs, _ = window_geometry(op_name, sizes, ksize, attrs["strides"], attrs["dilations"],
                                  attrs["padding"])
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{str(e)[:-len(f' [Op:{op_name}]')]} (input shape "
                                   f"{_shape_text(xshape)}, filter shape "
                                   f"{_shape_text(wshape)}) [Op:{op_name}]") from None
    return _full(n, outs, o, cf)


def _dims(spec, rank):
    return spec.shape.as_list() if spec.shape.rank is not None else [None] * rank


class _ConvBase(Op):
    uses_threads = True      # kernels run on ember's threads (see compiler.Plan)

    def __init__(self, name, rank):
        super().__init__(name)
        self.rank = rank

    def _geom(self, attrs):
        return attrs["strides"], attrs["dilations"], attrs["padding"]


class _Conv(_ConvBase):
    """y = conv(x, w) in any layout; attrs strides, dilations, padding, data_format."""

    def infer(self, inputs, **attrs):
        x, w = inputs
        _check_float(self.name, inputs)
        _check_rank(self.name, x, self.rank + 2, "input")
        _check_rank(self.name, w, self.rank + 2, "filter")
        shape = _conv_out_shape(self.name, self.rank, _dims(x, self.rank + 2),
                                _dims(w, self.rank + 2), attrs)
        return TensorShape(shape), x.dtype

    def kernel(self, xp, x, w, **attrs):
        self.infer([_ArraySpec(x), _ArraySpec(w)], **attrs)
        cf = channels_first(attrs["data_format"])
        y = conv_forward(work_dtype(to_last(x, cf)), work_dtype(w), *self._geom(attrs))
        return from_last(y, cf).astype(x.dtype, copy=False)

    def grad(self, call, g):
        x, w = call.inputs
        ops = _CONV_OPS[self.rank]
        needs = call.needs or (True, True)
        if needs[0] and needs[1] and context.graph is None and not context.tapes:
            # eager, and nothing records these gradients for a higher order: both from one
            # pass over dy (in traced graphs the compiler makes the same fusion)
            dx, dw = execute(FUSED_CONV_BACKPROP[self.name], (x, w, g), call.attrs)
            return dx, dw
        dx = execute(ops[1], (array_ops.shape(x), w, g), call.attrs) if needs[0] else None
        dw = execute(ops[2], (x, array_ops.shape(w), g), call.attrs) if needs[1] else None
        return dx, dw


class _ConvBackpropInput(_ConvBase):
    """dx of Conv given (input sizes, w, dy): also the transposed convolution."""

    def infer(self, inputs, **attrs):
        sizes, w, g = inputs
        _check_float(self.name, [w, g])
        _check_rank(self.name, w, self.rank + 2, "filter")
        _check_rank(self.name, g, self.rank + 2, "out_backprop")
        in_shape = shape_value(sizes)
        if in_shape is None:
            return TensorShape([None] * (self.rank + 2)), w.dtype
        if len(in_shape) != self.rank + 2:
            raise InvalidArgumentError(
                f"{self.name}: input_sizes must have {self.rank + 2} elements, got "
                f"{in_shape} [Op:{self.name}]")
        expect = _conv_out_shape(self.name, self.rank, in_shape, _dims(w, self.rank + 2), attrs)
        got = _dims(g, self.rank + 2)
        for e, a in zip(expect, got):
            if e is not None and a is not None and e != a:
                raise InvalidArgumentError(
                    f"{self.name}: out_backprop shape {_shape_text(got)} does not match the "
                    f"convolution output {_shape_text(expect)} computed for input shape "
                    f"{_shape_text(in_shape)} and filter shape "
                    f"{_shape_text(_dims(w, self.rank + 2))} [Op:{self.name}]")
        return TensorShape(in_shape), w.dtype

    def kernel(self, xp, sizes, w, g, **attrs):
        self.infer([_ArraySpec(sizes, value=True), _ArraySpec(w), _ArraySpec(g)], **attrs)
        cf = channels_first(attrs["data_format"])
        shape = [int(v) for v in sizes]
        n, sp, c = _spatial(shape, self.rank, cf)
        dx = conv_input_grad([n] + sp + [c], work_dtype(w), work_dtype(to_last(g, cf)),
                             *self._geom(attrs))
        return from_last(dx, cf).astype(w.dtype, copy=False)

    def grad(self, call, gg):
        sizes, w, g = call.inputs
        ops = _CONV_OPS[self.rank]
        dw = execute(ops[2], (gg, array_ops.shape(w), g), call.attrs)
        dg = execute(ops[0], (gg, w), call.attrs)
        return None, dw, dg


class _ConvBackpropFilter(_ConvBase):
    """dw of Conv given (x, filter sizes, dy)."""

    def infer(self, inputs, **attrs):
        x, sizes, g = inputs
        _check_float(self.name, [x, g])
        _check_rank(self.name, x, self.rank + 2, "input")
        _check_rank(self.name, g, self.rank + 2, "out_backprop")
        w_shape = shape_value(sizes)
        if w_shape is None:
            return TensorShape([None] * (self.rank + 2)), x.dtype
        if len(w_shape) != self.rank + 2:
            raise InvalidArgumentError(
                f"{self.name}: filter_sizes must have {self.rank + 2} elements, got "
                f"{w_shape} [Op:{self.name}]")
        expect = _conv_out_shape(self.name, self.rank, _dims(x, self.rank + 2), w_shape, attrs)
        got = _dims(g, self.rank + 2)
        for e, a in zip(expect, got):
            if e is not None and a is not None and e != a:
                raise InvalidArgumentError(
                    f"{self.name}: out_backprop shape {_shape_text(got)} does not match the "
                    f"convolution output {_shape_text(expect)} [Op:{self.name}]")
        return TensorShape(w_shape), x.dtype

    def kernel(self, xp, x, sizes, g, **attrs):
        self.infer([_ArraySpec(x), _ArraySpec(sizes, value=True), _ArraySpec(g)], **attrs)
        cf = channels_first(attrs["data_format"])
        dw = conv_filter_grad(work_dtype(to_last(x, cf)), [int(v) for v in sizes],
                              work_dtype(to_last(g, cf)), *self._geom(attrs))
        return dw.astype(x.dtype, copy=False)

    def grad(self, call, gw):
        x, sizes, g = call.inputs
        ops = _CONV_OPS[self.rank]
        dx = execute(ops[1], (array_ops.shape(x), gw, g), call.attrs)
        dg = execute(ops[0], (x, gw), call.attrs)
        return dx, None, dg


class _FusedConvBias(_ConvBase):
    """Conv followed by a per-channel bias add, as one kernel; made only by the compiler
    (ember.engine.fusion) from a channels-last Conv whose one consumer adds a bias.
    Inputs (x, w, bias)."""

    fresh_output = True
    plan_only = True

    def infer(self, inputs, **attrs):
        return _CONV_OPS[self.rank][0].infer(inputs[:2], **attrs)

    def kernel(self, xp, x, w, bias, **attrs):
        cf = channels_first(attrs["data_format"])
        y = conv_forward(work_dtype(to_last(x, cf)), work_dtype(w), *self._geom(attrs),
                         bias=work_dtype(bias))
        return from_last(y, cf).astype(x.dtype, copy=False)


class _FusedConvBackprop(_ConvBase):
    """A Conv's input and filter gradients from one pass over dy (``conv_backprop``); made
    only by the compiler (ember.engine.fusion) from the two gradient ops of one
    convolution. Inputs (x, w, dy); outputs (dx, dw)."""

    num_outputs = 2
    fresh_output = True
    plan_only = True
    donatable = (2,)         # dx may take dy's buffer (compiler.reuse_buffers)

    def infer(self, inputs, **attrs):
        x, w, g = inputs
        return [(x.shape, x.dtype), (w.shape, w.dtype)]

    def kernel(self, xp, x, w, g, into=None, **attrs):
        cf = channels_first(attrs["data_format"])
        args = (work_dtype(to_last(x, cf)), work_dtype(w),
                work_dtype(to_last(g, cf))) + self._geom(attrs)
        # into: the compiler found that no one reads dy after this (channels-last only)
        dx, dw = conv_backprop(*args, into=True) if into is not None and not cf else \
            conv_backprop(*args)
        return from_last(dx, cf).astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False)


class _ArraySpec:
    """A Spec for a kernel-time array (kernels run infer for their own checks)."""

    __slots__ = ("shape", "dtype", "value")

    def __init__(self, a, value=False):
        self.shape = TensorShape(a.shape)
        self.dtype = dtypes.from_numpy(a.dtype)
        self.value = a if value else None


_CONV_OPS = {}
for _r, _names in {1: ("Conv1D", "Conv1DBackpropInput", "Conv1DBackpropFilter"),
                   2: ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"),
                   3: ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2")}.items():
    _CONV_OPS[_r] = (_Conv(_names[0], _r), _ConvBackpropInput(_names[1], _r),
                     _ConvBackpropFilter(_names[2], _r))

CONV2D, CONV2D_BACKPROP_INPUT, CONV2D_BACKPROP_FILTER = _CONV_OPS[2]
FUSED_CONV_BIAS = {op.name: _FusedConvBias(f"_Fused{op.name}Bias", r)
                   for r, (op, _, _) in _CONV_OPS.items()}
FUSED_CONV_BACKPROP = {op.name: _FusedConvBackprop(f"_Fused{op.name}Backprop", r)
                       for r, (op, _, _) in _CONV_OPS.items()}


# ------------------------------------------------------------------ argument handling ---

def spatial_arg(value, r, name, op_name, data_format=None, default=1):
    """An int or a list of 1, r or r + 2 ints as a tuple of r positive ints."""
    if value is None:
        return (default,) * r
    if isinstance(value, Tensor):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)):
        vals = [int(value)] * r
    else:
        vals = [static_int(v, name, op_name) for v in value]
        if len(vals) == 1:
            vals = vals * r
        elif len(vals) == r + 2:
            cf = channels_first(data_format)
            outer = (vals[0], vals[1]) if cf else (vals[0], vals[-1])
            if outer != (1, 1):
                raise InvalidArgumentError(
                    f"{op_name}: {name} in the batch and depth dimensions must be 1, got "
                    f"{vals} [Op:{op_name}]")
            vals = vals[2:] if cf else vals[1:-1]
        elif len(vals) != r:
            raise InvalidArgumentError(
                f"{op_name}: {name} must be an int or a list of 1, {r} or {r + 2} ints, got "
                f"{list(value)} [Op:{op_name}]")
    if any(v <= 0 for v in vals):
        raise InvalidArgumentError(f"{op_name}: {name} must be positive, got {vals} "
                                   f"[Op:{op_name}]")
    return tuple(vals)


def padding_arg(padding, r, op_name, data_format=None, explicit=True):
    """'SAME', 'VALID' or a tuple of (lo, hi) pairs per spatial dimension."""
    if isinstance(padding, str):
        p = padding.upper()
        if p in ("SAME", "VALID"):
            return p
        if p == "EXPLICIT":
            raise ValueError(f"{op_name}: pass the explicit paddings as a list of pairs, not "
                             f"the string 'EXPLICIT'")
        raise ValueError(f"{op_name}: padding must be 'SAME', 'VALID' or a list of pairs, got "
                         f"{padding!r}")
    if not explicit:
        raise ValueError(f"{op_name}: padding must be 'SAME' or 'VALID', got {padding!r}")
    pairs = [tuple(int(v) for v in p) for p in np.asarray(padding).tolist()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"{op_name}: explicit padding must be a list of [before, after] "
                         f"pairs, got {padding!r}")
    if len(pairs) == r + 2:
        cf = channels_first(data_format)
        outer = (pairs[0], pairs[1]) if cf else (pairs[0], pairs[-1])
        if outer != ((0, 0), (0, 0)):
            raise ValueError(f"{op_name}: explicit padding of the batch and depth dimensions "
                             f"must be zero, got {padding!r}")
        pairs = pairs[2:] if cf else pairs[1:-1]
    elif len(pairs) != r:
        raise ValueError(f"{op_name}: explicit padding must have {r + 2} pairs, got "
                         f"{padding!r}")
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"{op_name}: explicit padding must be non-negative, got {padding!r}")
    return tuple(pairs)


def format_arg(data_format, r, op_name):
    if data_format is None:
        return _FORMATS[r][0]
    f = str(data_format).upper()
    if f in ("CHANNELS_LAST",):
        return _FORMATS[r][0]
    if f in ("CHANNELS_FIRST",):
        return _FORMATS[r][1]
    if f not in _FORMATS[r] and not (f.startswith("N") and len(f) == r + 2 and
                                     (f[1] == "C" or f[-1] == "C")):
        raise ValueError(f"{op_name}: data_format must be {' or '.join(_FORMATS[r])}, got "
                         f"{data_format!r}")
    return _FORMATS[r][1] if f[1] == "C" else _FORMATS[r][0]


def _float_pair(x, w):
    x = tensor(x)
    w = tensor(w, dtype_hint=x.dtype) if not isinstance(w, Tensor) else w
    return x, tensor(w)


def _conv(r, input, filters, strides, padding, data_format, dilations, name, op_name):
    fmt = format_arg(data_format, r, op_name)
    x, w = _float_pair(input, filters)
    attrs = {"strides": spatial_arg(strides, r, "strides", op_name, fmt),
             "dilations": spatial_arg(dilations, r, "dilations", op_name, fmt),
             "padding": padding_arg(padding, r, op_name, fmt),
             "data_format": fmt}
    return execute(_CONV_OPS[r][0], (x, w), attrs, name)


# -------------------------------------------------------------------- public functions ---

def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,
           name=None):  # noqa: A002
    """2-D convolution of ``input`` (N, H, W, C) with ``filters`` (kh, kw, C / groups, O).

    ``padding`` is 'SAME', 'VALID' or explicit ``[[0, 0], [top, bottom], [left, right],
    [0, 0]]``. When C is a multiple of the filter's input depth the convolution is grouped.

    >>> x = ember.ones([1, 3, 3, 1]); k = ember.ones([2, 2, 1, 1])
    >>> ember.nn.conv2d(x, k, 1, "VALID").numpy()[0, :, :, 0]
    array([[4., 4.],
           [4., 4.]], dtype=float32)
    """
    return _conv(2, input, filters, strides, padding, data_format, dilations, name, "Conv2D")


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,
           name=None):  # noqa: A002
    """1-D convolution of ``input`` (N, W, C) with ``filters`` (kw, C / groups, O).

    >>> ember.nn.conv1d(ember.ones([1, 4, 1]), ember.ones([3, 1, 1]), 1, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _conv(1, input, filters, stride, padding, data_format, dilations, name, "Conv1D")


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None,
           name=None):  # noqa: A002
    """3-D convolution of ``input`` (N, D, H, W, C) with ``filters`` (kd, kh, kw, C, O).

    >>> ember.nn.conv3d(ember.ones([1, 3, 3, 3, 1]), ember.ones([2, 2, 2, 1, 4]),
    ...                 [1, 1, 1, 1, 1], "VALID").shape
    TensorShape([1, 2, 2, 2, 4])
    """
    return _conv(3, input, filters, strides, padding, data_format, dilations, name, "Conv3D")


def convolution(input, filters, strides=None, padding="VALID", data_format=None,
                dilations=None, name=None):  # noqa: A002
    """N-D convolution (N = 1, 2 or 3 from the filter's rank).

    >>> ember.nn.convolution(ember.ones([1, 5, 2]), ember.ones([3, 2, 4])).shape
    TensorShape([1, 3, 4])
    """
    w = tensor(filters)
    r = w.shape.rank
    if r is None:
        r = tensor(input).shape.rank
    if r is None or not 3 <= r <= 5:
        raise ValueError(f"convolution: filters must be 3-, 4- or 5-dimensional, got shape "
                         f"{_shape_text(w.shape)}")
    return _conv(r - 2, input, w, strides, padding, data_format, dilations, name,
                 _CONV_OPS[r - 2][0].name)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """2-D convolution with dilation ``rate`` (NHWC, stride 1).

    >>> ember.nn.atrous_conv2d(ember.ones([1, 5, 5, 1]), ember.ones([2, 2, 1, 1]), 2,
    ...                        "VALID").shape
    TensorShape([1, 3, 3, 1])
    """
    return conv2d(value, filters, 1, padding, dilations=rate, name=name)


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):  # noqa: A002
    """Transposed N-D convolution (the gradient of ``convolution`` w.r.t. its input).

    ``filters`` is (*k, output_channels, input_channels); ``output_shape`` the full output
    shape (or just its spatial sizes).

    >>> ember.nn.conv_transpose(ember.ones([1, 2, 2, 1]), ember.ones([2, 2, 1, 1]),
    ...                         [1, 4, 4, 1], 2).shape
    TensorShape([1, 4, 4, 1])
    """
    w = tensor(filters)
    r = w.shape.rank
    if r is None or not 3 <= r <= 5:
        raise ValueError(f"conv_transpose: filters must be 3-, 4- or 5-dimensional, got shape "
                         f"{_shape_text(w.shape)}")
    return _conv_transpose(r - 2, input, w, output_shape, strides, padding, data_format,
                           dilations, name)


def _conv_transpose(r, input, filters, output_shape, strides, padding, data_format, dilations,
                    name):
    op = _CONV_OPS[r][1]
    fmt = format_arg(data_format, r, op.name)
    x, w = _float_pair(input, filters)
    attrs = {"strides": spatial_arg(strides, r, "strides", op.name, fmt),
             "dilations": spatial_arg(dilations, r, "dilations", op.name, fmt),
             "padding": padding_arg(padding, r, op.name, fmt),
             "data_format": fmt}
    _check_rank(op.name, x, r + 2, "input")
    _check_rank(op.name, w, r + 2, "filter")
    sizes = _output_shape_arg(output_shape, r, x, w, fmt, op.name)
    return execute(op, (sizes, w, x), attrs, name)


def _output_shape_arg(output_shape, r, x, w, fmt, op_name):
    if isinstance(output_shape, TensorShape):
        output_shape = output_shape.as_list()
    if isinstance(output_shape, (list, tuple)) and len(output_shape) == r:
        batch = x.shape[0]
        batch = array_ops.shape(x)[0] if batch is None else batch
        c = w.shape[r]
        cf = channels_first(fmt)
        output_shape = [batch, c] + list(output_shape) if cf else \
            [batch] + list(output_shape) + [c]
    sizes = shape_arg(output_shape, op_name)
    if sizes.dtype is not dtypes.int32:
        sizes = array_ops.cast(sizes, dtypes.int32)
    n = sizes.shape[0] if sizes.shape.rank == 1 else None
    if sizes.shape.rank != 1 or (n is not None and n != r + 2):
        raise ValueError(f"{op_name}: output_shape must have {r + 2} elements, got shape "
                         f"{_shape_text(sizes.shape)}")
    return sizes


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """Transposed 2-D convolution: ``filters`` is (kh, kw, out_channels, in_channels).

    >>> ember.nn.conv2d_transpose(ember.ones([1, 2, 2, 3]), ember.ones([3, 3, 5, 3]),
    ...                           [1, 4, 4, 5], 2).shape
    TensorShape([1, 4, 4, 5])
    """
    return _conv_transpose(2, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NWC", dilations=None, name=None):  # noqa: A002
    """Transposed 1-D convolution: ``filters`` is (kw, out_channels, in_channels).

    >>> ember.nn.conv1d_transpose(ember.ones([1, 3, 2]), ember.ones([3, 4, 2]), [1, 6, 4],
    ...                           2).shape
    TensorShape([1, 6, 4])
    """
    return _conv_transpose(1, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    """Transposed 3-D convolution: ``filters`` is (kd, kh, kw, out_channels, in_channels).

    >>> ember.nn.conv3d_transpose(ember.ones([1, 2, 2, 2, 1]), ember.ones([2, 2, 2, 3, 1]),
    ...                           [1, 4, 4, 4, 3], 2).shape
    TensorShape([1, 4, 4, 4, 3])
    """
    return _conv_transpose(3, input, filters, output_shape, strides, padding, data_format,
                           dilations, name)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):  # noqa: A002
    """Depthwise 2-D convolution: each input channel c is convolved with its own
    ``filter[:, :, c, :]`` (kh, kw, C, multiplier); output channel c * multiplier + m.

    >>> ember.nn.depthwise_conv2d(ember.ones([1, 3, 3, 2]), ember.ones([2, 2, 2, 3]),
    ...                           [1, 1, 1, 1], "VALID").shape
    TensorShape([1, 2, 2, 6])
    """
    op_name = "DepthwiseConv2dNative"
    fmt = format_arg(data_format, 2, op_name)
    x, w = _float_pair(input, filter)
    check_dtype(op_name, x.dtype, FLOATS, 0)      # unlike Conv2D, no int32 kernel
    _check_rank(op_name, x, 4, "input")
    _check_rank(op_name, w, 4, "filter")
    c = x.shape[1] if channels_first(fmt) else x.shape[3]
    kh, kw, fc, m = w.shape.as_list()
    if c is not None and fc is not None and c != fc:
        raise InvalidArgumentError(
            f"{op_name}: input and filter must have the same depth: {c} vs {fc} (input shape "
            f"{_shape_text(x.shape)}, filter shape {_shape_text(w.shape)}) [Op:{op_name}]")
    if fc is None or m is None:
        raise ValueError(f"{op_name}: the filter's shape must be known, got "
                         f"{_shape_text(w.shape)}")
    w = array_ops.reshape(w, [kh, kw, 1, fc * m])
    return conv2d(x, w, strides, padding, fmt, dilations, name)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                     data_format=None, dilations=None, name=None):  # noqa: A002
    """A depthwise convolution followed by a 1x1 (pointwise) convolution.

    >>> ember.nn.separable_conv2d(ember.ones([1, 4, 4, 2]), ember.ones([3, 3, 2, 2]),
    ...                           ember.ones([1, 1, 4, 5]), [1, 1, 1, 1], "SAME").shape
    TensorShape([1, 4, 4, 5])
    """
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID", format_arg(data_format, 2, "Conv2D"),
                  name=name)


from ember.ops.image_ops import depth_to_space, space_to_depth  # noqa: E402
