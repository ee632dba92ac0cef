"""SimpleRNN, LSTM and GRU: ``RNN`` over the matching built-in cell, with its arguments."""
from __future__ import annotations

from ember.keras import regularizers
from ember.keras.layers.layer import InputSpec
from ember.keras.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from ember.keras.layers.rnn.rnn import RNN

__all__ = ["SimpleRNN", "LSTM", "GRU"]

_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask", "time_major")
_LAYER_ARGS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "input_dim",
               "batch_size", "input_length", "weights", "activity_regularizer")


class _CellLayer(RNN):
    cell_class = None

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)
        kwargs.pop("implementation", None)
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_ARGS if k in kwargs}
        layer_kwargs = {k: kwargs.pop(k) for k in _LAYER_ARGS if k in kwargs}
        cell_kwargs = dict(kwargs)
        cell_kwargs["dtype"] = layer_kwargs.get("dtype")
        cell_kwargs["trainable"] = layer_kwargs.get("trainable", True)
        cell = self.cell_class(units, name=f"{type(self).__name__.lower()}_cell",
                               **cell_kwargs)
        super().__init__(cell, **rnn_kwargs, **layer_kwargs)
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, name):      # units, activation, dropout, ... come from the cell
        if name.startswith("_") or name in ("cell",):
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is not None and hasattr(cell, name):
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            config.pop(k, None)
        config.update(super().get_config())
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class SimpleRNN(_CellLayer):
    """Fully connected RNN whose output is fed back: Keras's ``SimpleRNN``.

    >>> keras.layers.SimpleRNN(4)(ember.ones([2, 3, 5])).shape
    TensorShape([2, 4])
    """

    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)


class LSTM(_CellLayer):
    """Long short-term memory (Hochreiter 1997): Keras's ``LSTM``; weights ``kernel``,
    ``recurrent_kernel``, ``bias`` with gates i, f, c, o. The whole sequence runs as one
    fused op (and its gradient as one backpropagation-through-time kernel).

    >>> keras.layers.LSTM(4, return_sequences=True)(ember.ones([2, 3, 5])).shape
    TensorShape([2, 3, 4])
    """

    cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, **kwargs)


class GRU(_CellLayer):
    """Gated recurrent unit (Cho 2014): Keras's ``GRU``, gates z, r, h; ``reset_after``
    True (default, bias (2, 3 units)) or False (bias (3 units,)).

    >>> keras.layers.GRU(4)(ember.ones([2, 3, 5])).shape
    TensorShape([2, 4])
    """

    cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, reset_after=reset_after,
                         **kwargs)
