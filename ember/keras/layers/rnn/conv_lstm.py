"""Convolutional LSTMs (Shi et al. 2015): ConvLSTM1D, ConvLSTM2D, ConvLSTM3D.

The cell's gates are convolutions: the input's with ``kernel`` (kernel_size + (channels,
4 filters)), the state's with ``recurrent_kernel`` (kernel_size + (filters, 4 filters)),
always stride 1 and "same" padding; gates i, f, c, o in Keras's order. Inputs are
(batch, time, *spatial, channels) with ``data_format="channels_last"`` (the default of
``keras.config.image_data_format()``) or (batch, time, channels, *spatial) with
"channels_first", whose states and outputs are channels-first too; the kernels' layout is
the same for both.
"""
from __future__ import annotations

import ember
from ember.keras.layers.convolutional import standardize_data_format
from ember.keras.layers.layer import InputSpec
from ember.keras.layers.rnn.cells import LSTMCell
from ember.keras.layers.rnn.rnn import RNN

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTMCell"]


def _tuple(value, rank, what, layer):
    t = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(t) != rank or not all(isinstance(v, int) and v > 0 for v in t):
        raise ValueError(f"Layer {layer}: `{what}` must be an int or {rank} positive ints, "
                         f"got {value!r}")
    return t


def _conv_out(size, k, stride, padding, dilation):
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - dilation * (k - 1) - 1) // stride + 1


class ConvLSTMCell(LSTMCell):
    """One ConvLSTM step over inputs (batch, *spatial, channels); states [h, c] of shape
    (batch, *output spatial, filters). Channels first: (batch, channels, *spatial) and
    (batch, filters, *output spatial)."""

    _FORMATS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, **kwargs)
        padding = padding.lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"Layer {self.name}: padding must be 'valid' or 'same', got "
                             f"{padding!r}")
        self.rank = rank
        self.filters = filters
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size", self.name)
        self.strides = _tuple(strides, rank, "strides", self.name)
        self.padding = padding
        self.data_format = standardize_data_format(data_format)
        self._first = self.data_format == "channels_first"
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate", self.name)
        self._out_spatial = None

    def build(self, input_shape):
        channels = input_shape[1] if self._first else input_shape[-1]
        spatial = input_shape[2:] if self._first else input_shape[1:-1]
        if channels is None:
            raise ValueError(f"Layer {self.name}: the channel dimension must be known, got "
                             f"input shape {tuple(input_shape)} ({self.data_format})")
        self._out_spatial = tuple(
            _conv_out(s, k, st, self.padding, d) for s, k, st, d in
            zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        g = 4 * self.filters
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, g), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, g), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=(g,), name="bias", initializer=self._bias_init(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def get_initial_state(self, batch_size=None):
        shape = [batch_size, self.filters, *self._out_spatial] if self._first else \
            [batch_size, *self._out_spatial, self.filters]
        if any(isinstance(d, ember.Tensor) for d in shape):
            shape = ember.stack(shape)
        return [ember.zeros(shape, dtype=self._dtype), ember.zeros(shape, dtype=self._dtype)]

    def fused_activations(self):
        return None

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        x, hr = self._dropped(inputs, h, training)
        fmt = self._FORMATS[self.rank] if self._first else None
        z = ember.nn.convolution(x, self.kernel, strides=list(self.strides),
                                 padding=self.padding.upper(),
                                 dilations=list(self.dilation_rate), data_format=fmt)
        z = z + ember.nn.convolution(hr, self.recurrent_kernel, padding="SAME",
                                     data_format=fmt)
        if self.bias is not None:
            z = z + (ember.reshape(self.bias, [-1] + [1] * self.rank) if self._first
                     else self.bias)
        zi, zf, zc, zo = ember.split(z, 4, axis=1 if self._first else -1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c = f * c + i * self.activation(zc)
        h = self.recurrent_activation(zo) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.pop("units", None)
        config.update({"rank": self.rank, "filters": self.filters,
                       "kernel_size": self.kernel_size, "strides": self.strides,
                       "padding": self.padding, "data_format": self.data_format,
                       "dilation_rate": self.dilation_rate})
        return config


class _ConvLSTM(RNN):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        layer_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype", "input_shape",
                                                   "batch_input_shape", "batch_size",
                                                   "activity_regularizer") if k in kwargs}
        cell = ConvLSTMCell(self.rank, filters, kernel_size, strides=strides, padding=padding,
                            data_format=data_format, dilation_rate=dilation_rate,
                            name="conv_lstm_cell", dtype=layer_kwargs.get("dtype"), **kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, **layer_kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def __getattr__(self, name):
        if name.startswith("_") or name == "cell":
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is not None and hasattr(cell, name):
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = self.cell.get_config()
        for k in ("name", "trainable", "dtype", "rank"):
            config.pop(k, None)
        config.update(super().get_config())
        for k in ("unroll", "zero_output_for_mask", "time_major"):
            config.pop(k, None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class ConvLSTM1D(_ConvLSTM):
    """ConvLSTM over inputs (batch, time, steps, channels) (channels first: (batch, time,
    channels, steps)).

    >>> keras.layers.ConvLSTM1D(2, 3)(ember.ones([1, 4, 6, 3])).shape
    TensorShape([1, 4, 2])
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """ConvLSTM over inputs (batch, time, rows, cols, channels) (channels first: (batch,
    time, channels, rows, cols)).

    >>> keras.layers.ConvLSTM2D(2, 3, padding="same")(ember.ones([1, 4, 5, 5, 3])).shape
    TensorShape([1, 5, 5, 2])
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """ConvLSTM over inputs (batch, time, d1, d2, d3, channels) (channels first: (batch,
    time, channels, d1, d2, d3)).

    >>> keras.layers.ConvLSTM3D(2, 3)(ember.ones([1, 2, 4, 4, 4, 1])).shape
    TensorShape([1, 2, 2, 2, 2])
    """

    rank = 3
