"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Weights use Keras's layouts so Keras weight files load unchanged: a convolution kernel is
``kernel_size + (input_channels // groups, filters)``, a transposed one
``kernel_size + (filters, input_channels)``, a depthwise one
``kernel_size + (input_channels, depth_multiplier)`` and a separable layer's pointwise kernel
``(1,) * rank + (input_channels * depth_multiplier, filters)``.
"""
from __future__ import annotations

import numbers

import ember
from ember.keras import activations, backend, constraints, initializers, regularizers
from ember.keras.layers.layer import InputSpec, Layer

__all__ = [
    "Conv1D", "Conv2D", "Conv3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "Convolution1D", "Convolution2D", "Convolution3D",
    "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
    "SeparableConvolution1D", "SeparableConvolution2D",
]

_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
_CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


# ------------------------------------------------------------------- argument helpers ---

def standardize_tuple(value, n, name, allow_zero=False):
    """``value`` (an int or n ints) as a tuple of n ints, each > 0 (>= 0 with
    ``allow_zero``)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        vals = (int(value),) * n
    else:
        try:
            vals = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value}") from None
        if len(vals) != n or not all(isinstance(v, numbers.Integral) and
                                     not isinstance(v, bool) for v in vals):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                             f"Received {name}={value}")
        vals = tuple(int(v) for v in vals)
    bad = [v for v in vals if (v < 0 if allow_zero else v <= 0)]
    if bad:
        cond = "`value >= 0`" if allow_zero else "`value > 0`"
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received "
                         f"{name}={value} including values {set(bad)} that do not satisfy "
                         f"{cond}")
    return vals


def standardize_padding(value, allow_causal=False):
    if isinstance(value, (list, tuple)):
        return value
    padding = str(value).lower()
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be a list/tuple or one of "
                         f"{sorted(allowed)}. Received: {value}")
    return padding


def standardize_data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of "
                         f"{{'channels_first', 'channels_last'}}. Received: "
                         f"data_format={data_format}")
    return fmt


def op_data_format(data_format, rank):
    return (_CHANNELS_FIRST if data_format == "channels_first" else _CHANNELS_LAST)[rank]


def shape_text(shape):
    shape = tuple(shape)
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _positive_int(value, name, cls_name, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Invalid value for argument `{name}` of {cls_name}. Expected a "
                         f"strictly positive value. Received {name}={value}.")
    return int(value)


def conv_output_length(n, k, padding, stride, dilation):
    """Keras's output length of a convolution along one axis (None when unknown)."""
    if n is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = n
    else:
        out = n - eff + 1
    return (out + stride - 1) // stride


def deconv_output_length(n, k, padding, output_padding, stride, dilation):
    """Keras's output length of a transposed convolution along one axis; ``n`` may be an
    int32 scalar tensor."""
    if n is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return n * stride + max(k - stride, 0)
        return n * stride
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


def _set_static_shape(y, shape):
    if hasattr(y, "set_shape"):
        y.set_shape(shape)
    return y


# ------------------------------------------------------------------------ base class ---

class _ConvBase(Layer):
    """Shared argument handling, weights and bias of every convolution layer."""

    rank = 2

    def _init_common(self, kernel_size, strides, padding, data_format, dilation_rate,
                     activation, use_bias, bias_initializer, bias_regularizer,
                     bias_constraint, allow_causal):
        r = self.rank
        self.kernel_size = standardize_tuple(kernel_size, r, "kernel_size")
        self.strides = standardize_tuple(strides, r, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=allow_causal)
        if not isinstance(self.padding, str):
            raise ValueError(f"{type(self).__name__}: `padding` must be 'valid' or 'same', "
                             f"got {padding!r}")
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.input_spec = InputSpec(ndim=r + 2)

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                             f"layer: expected ndim={self.rank + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{shape_text(input_shape)}")
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError(f"Layer {self.name}: the channel dimension of the inputs "
                             f"(axis {self._channel_axis}) must be known. Received input "
                             f"shape {shape_text(input_shape)}")
        return int(c)

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def _full_shape(self, batch, spatial, channels):
        if self.data_format == "channels_first":
            return (batch, channels) + tuple(spatial)
        return (batch,) + tuple(spatial) + (channels,)

    def _build_bias(self, n):
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(n,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None

    def _finish(self, y):
        if self.bias is not None:
            if self.data_format == "channels_first":
                y = y + ember.reshape(self.bias, (1, -1) + (1,) * self.rank)
            else:
                y = y + self.bias
        if self.activation is not None and self.activation is not activations.linear:
            y = self.activation(y)
        return y

    def _op_padding(self):
        if self.padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            return [[left, 0]]
        return self.padding.upper()

    def _common_config(self):
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._input_channels(input_shape)
        spatial = [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides,
                       self.dilation_rate)]
        if any(o is not None and o <= 0 for o in spatial):
            raise ValueError(f"Layer {self.name}: computed output size would be "
                             f"non-positive {tuple(spatial)} for input shape "
                             f"{shape_text(input_shape)}, kernel_size {self.kernel_size}, "
                             f"strides {self.strides}, dilation_rate {self.dilation_rate} "
                             f"and padding '{self.padding}'")
        return self._full_shape(input_shape[0], spatial, self._out_channels(input_shape))

    def _check_window(self, input_shape):
        self.compute_output_shape(input_shape)


# ----------------------------------------------------------------------- convolutions ---

class _Conv(_ConvBase):
    """N-D convolution layer (``rank`` set by the subclass)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.filters = _positive_int(filters, "filters", name)
        self.groups = _positive_int(groups, "groups", name)
        if self.filters % self.groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number "
                             f"of groups. Received: groups={self.groups}, "
                             f"filters={self.filters}.")
        self._init_common(kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias, bias_initializer, bias_regularizer,
                          bias_constraint, allow_causal=self.rank == 1)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _out_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        if c % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (full input shape is "
                             f"{shape_text(input_shape)}).")
        self._check_window(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (c // self.groups,
                                                                self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def call(self, inputs):
        y = ember.nn.convolution(inputs, self.kernel, strides=self.strides,
                                 padding=self._op_padding(),
                                 data_format=op_data_format(self.data_format, self.rank),
                                 dilations=self.dilation_rate)
        return self._finish(y)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, "groups": self.groups})
        config.update(self._common_config())
        config.update({
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        })
        return config


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); ``padding="causal"`` pads on the
    left only.

    >>> Conv1D(4, 3)(ember.ones([2, 10, 3])).shape
    TensorShape([2, 8, 4])
    """

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over images (batch, height, width, channels); kernel
    ``(kh, kw, in_channels // groups, filters)``.

    >>> Conv2D(8, 3, padding="same")(ember.ones([2, 6, 6, 3])).shape
    TensorShape([2, 6, 6, 8])
    """

    rank = 2


class Conv3D(_Conv):
    """3-D convolution over volumes (batch, depth, height, width, channels).

    >>> Conv3D(2, 2)(ember.ones([1, 3, 3, 3, 1])).shape
    TensorShape([1, 2, 2, 2, 2])
    """

    rank = 3


# ------------------------------------------------------------- transposed convolutions ---

class _ConvTranspose(_ConvBase):
    """N-D transposed convolution (the gradient of a convolution w.r.t. its input)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive_int(filters, "filters", type(self).__name__)
        self._init_common(kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias, bias_initializer, bias_regularizer,
                          bias_constraint, allow_causal=False)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = standardize_tuple(output_padding, self.rank,
                                                    "output_padding", allow_zero=True)
            for s, p in zip(self.strides, self.output_padding):
                if p >= s:
                    raise ValueError(f"Strides must be greater than output padding. "
                                     f"Received strides={self.strides}, "
                                     f"output_padding={self.output_padding}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def _out_channels(self, input_shape):
        return self.filters

    def _out_spatial(self, spatial):
        ops = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in
                zip(spatial, self.kernel_size, ops, self.strides, self.dilation_rate)]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._input_channels(input_shape)
        return self._full_shape(input_shape[0], self._out_spatial(self._spatial(input_shape)),
                                self.filters)

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (self.filters, c),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def call(self, inputs):
        static = inputs.shape.as_list()
        spatial = self._spatial(static)
        static_out = self._out_spatial(spatial)
        if all(n is not None for n in spatial):
            output_shape = static_out
        else:
            dyn = ember.shape(inputs)
            first = 2 if self.data_format == "channels_first" else 1
            dyn_spatial = [n if n is not None else dyn[first + i] for i, n in
                           enumerate(spatial)]
            out = self._out_spatial(dyn_spatial)
            output_shape = ember.stack(list(self._full_shape(
                dyn[0], [ember.cast(o, "int32") for o in out], self.filters)))
        y = ember.nn.conv_transpose(inputs, self.kernel, output_shape, strides=self.strides,
                                    padding=self.padding.upper(),
                                    data_format=op_data_format(self.data_format, self.rank),
                                    dilations=self.dilation_rate)
        y = _set_static_shape(y, self._full_shape(static[0], static_out, self.filters))
        return self._finish(y)

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config.update(self._common_config())
        config.update({
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        })
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution; kernel ``(kw, filters, in_channels)``.

    >>> Conv1DTranspose(4, 3, strides=2)(ember.ones([1, 5, 2])).shape
    TensorShape([1, 11, 4])
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution; kernel ``(kh, kw, filters, in_channels)``.

    >>> Conv2DTranspose(4, 3, strides=2, padding="same")(ember.ones([1, 5, 5, 2])).shape
    TensorShape([1, 10, 10, 4])
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution; kernel ``(kd, kh, kw, filters, in_channels)``.

    >>> Conv3DTranspose(2, 2, strides=2)(ember.ones([1, 2, 2, 2, 1])).shape
    TensorShape([1, 4, 4, 4, 2])
    """

    rank = 3


# --------------------------------------------------------------- depthwise / separable ---

def _depthwise(inputs, kernel, rank, strides, padding, data_format, dilations):
    """Depthwise convolution of any rank as a grouped convolution with one group per
    input channel."""
    shape = kernel.shape.as_list()
    flat = ember.reshape(kernel, shape[:rank] + [1, shape[rank] * shape[rank + 1]])
    return ember.nn.convolution(inputs, flat, strides=strides, padding=padding,
                                data_format=data_format, dilations=dilations)


class _DepthwiseConv(_ConvBase):
    """Depthwise N-D convolution: each input channel gets ``depth_multiplier`` filters;
    output channel ``c * depth_multiplier + m``."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier",
                                              type(self).__name__)
        self._init_common(kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias, bias_initializer, bias_regularizer,
                          bias_constraint, allow_causal=self.rank == 1)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _out_channels(self, input_shape):
        return self._input_channels(input_shape) * self.depth_multiplier

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        self._check_window(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (c, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint)
        self._build_bias(c * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    @property
    def depthwise_kernel(self):
        return self.kernel

    def call(self, inputs):
        y = _depthwise(inputs, self.kernel, self.rank, self.strides, self._op_padding(),
                       op_data_format(self.data_format, self.rank), self.dilation_rate)
        return self._finish(y)

    def get_config(self):
        config = super().get_config()
        config["depth_multiplier"] = self.depth_multiplier
        config.update(self._common_config())
        config.update({
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution; kernel ``(kw, in_channels, depth_multiplier)``.

    >>> DepthwiseConv1D(3, depth_multiplier=2)(ember.ones([1, 5, 4])).shape
    TensorShape([1, 3, 8])
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution; kernel ``(kh, kw, in_channels, depth_multiplier)``.

    >>> DepthwiseConv2D(3)(ember.ones([1, 5, 5, 4])).shape
    TensorShape([1, 3, 3, 4])
    """

    rank = 2


class _SeparableConv(_ConvBase):
    """A depthwise convolution followed by a pointwise (1x1) convolution to ``filters``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.filters = _positive_int(filters, "filters", name)
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", name)
        self._init_common(kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias, bias_initializer, bias_regularizer,
                          bias_constraint, allow_causal=self.rank == 1)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _out_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        self._check_window(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (c, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (c * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: c})
        self.built = True

    def call(self, inputs):
        fmt = op_data_format(self.data_format, self.rank)
        y = _depthwise(inputs, self.depthwise_kernel, self.rank, self.strides,
                       self._op_padding(), fmt, self.dilation_rate)
        y = ember.nn.convolution(y, self.pointwise_kernel, strides=1, padding="VALID",
                                 data_format=fmt)
        return self._finish(y)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, "depth_multiplier": self.depth_multiplier})
        config.update(self._common_config())
        config.update({
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution.

    >>> SeparableConv1D(6, 3)(ember.ones([1, 5, 4])).shape
    TensorShape([1, 3, 6])
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution: ``depthwise_kernel`` (kh, kw, in, dm) then
    ``pointwise_kernel`` (1, 1, in * dm, filters).

    >>> SeparableConv2D(6, 3, padding="same")(ember.ones([1, 5, 5, 4])).shape
    TensorShape([1, 5, 5, 6])
    """

    rank = 2


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
