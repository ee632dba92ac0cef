"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU, and StackedRNNCells.

A cell is a layer with ``state_size``, ``output_size`` and
``call(inputs, states, training=False) -> (output, new_states)``. ``RNN(cell)`` runs it over
time; the built-in cells also run whole sequences in one fused op (``ember.ops.rnn_ops``).
Weight shapes, gate order and initializers are Keras's, so ``set_weights`` moves weights
between ember and Keras.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.keras import activations, constraints, initializers, regularizers
from ember.keras.layers.layer import Layer, _call_signature

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "DropoutRNNCell"]

_FUSABLE = {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid"}


def _positive_units(units, layer):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(f"Layer {layer}: received an invalid value for argument `units`, "
                         f"expected a positive integer, got {units!r}.")
    return int(units)


def _rate(value, what, layer):
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"Layer {layer}: `{what}` must be between 0 and 1, got {value}")
    return value


def activation_name(fn):
    """The fused op's name for a built-in activation, None for any other function."""
    name = activations.serialize(fn)
    return name if isinstance(name, str) and name in _FUSABLE and \
        activations.get(name) is fn else None


class DropoutRNNCell:
    """Dropout masks made once per sequence (the same for every step), as Keras does:
    ``get_dropout_mask`` for the inputs, ``get_recurrent_dropout_mask`` for the state."""

    def _dropout_mask_for(self, x, rate, attr):
        mask = getattr(self, attr, None)
        if mask is None and rate > 0:
            mask = ember.nn.dropout(ember.ones_like(x), rate=rate, seed=self.seed)
            object.__setattr__(self, attr, mask)
        return mask

    def get_dropout_mask(self, step_input):
        return self._dropout_mask_for(step_input, self.dropout, "_dropout_mask")

    def get_recurrent_dropout_mask(self, step_state):
        return self._dropout_mask_for(step_state, self.recurrent_dropout,
                                      "_recurrent_dropout_mask")

    def reset_dropout_mask(self):
        object.__setattr__(self, "_dropout_mask", None)

    def reset_recurrent_dropout_mask(self):
        object.__setattr__(self, "_recurrent_dropout_mask", None)


class _BaseCell(DropoutRNNCell, Layer):
    """Arguments and weights shared by the three built-in cells."""

    cell_kind = None
    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self.units = _positive_units(units, self.name)
        self.activation = activations.get(activation)
        self.recurrent_activation = None if recurrent_activation is None else \
            activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, "dropout", self.name)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", self.name)
        self.seed = seed
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(f"Layer {self.name}: the last dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        g = self.gates * self.units
        self.kernel = self.add_weight(shape=(dim, g), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, g), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=self._bias_shape(), name="bias",
                                    initializer=self._bias_init(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else \
            [self.state_size]
        return [ember.zeros(ember.stack([batch_size, s]) if isinstance(batch_size, ember.Tensor)
                            else [batch_size, s], dtype=self._dtype) for s in sizes]

    # which activations the fused whole-sequence op runs (None: loop over steps instead)
    def fused_activations(self):
        act = activation_name(self.activation)
        ract = "sigmoid" if self.recurrent_activation is None else \
            activation_name(self.recurrent_activation)
        if act is None or ract is None:
            return None
        return act, ract

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        if self.recurrent_activation is not None:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config

    def _dropped(self, inputs, h, training):
        if training and self.dropout > 0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0:
            h = h * self.get_recurrent_dropout_mask(h)
        return inputs, h


def _first_state(states):
    return states[0] if isinstance(states, (list, tuple)) else states


class SimpleRNNCell(_BaseCell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h @ recurrent + b)``.

    >>> cell = keras.layers.SimpleRNNCell(4)
    >>> keras.layers.RNN(cell)(ember.ones([2, 3, 5])).shape
    TensorShape([2, 4])
    """

    cell_kind = "simple"
    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                         seed, **kwargs)

    def call(self, inputs, states, training=False):
        h = _first_state(states)
        x, hr = self._dropped(inputs, h, training)
        out = ember.matmul(x, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        out = out + ember.matmul(hr, self.recurrent_kernel)
        out = self.activation(out)
        return out, [out] if isinstance(states, (list, tuple)) else out


class LSTMCell(_BaseCell):
    """One LSTM step; gates in Keras's order i, f, c, o in ``kernel (input_dim, 4 units)``,
    ``recurrent_kernel (units, 4 units)`` and ``bias (4 units,)`` (forget part 1 with
    ``unit_forget_bias``). States ``[h, c]``.

    >>> keras.layers.RNN(keras.layers.LSTMCell(3))(ember.ones([2, 4, 5])).shape
    TensorShape([2, 3])
    """

    cell_kind = "lstm"
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias,
                         kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def init(shape, dtype=None):
            return ember.concat([ember.convert_to_tensor(base((u,), dtype=dtype)),
                                 ember.ones([u], dtype=dtype or "float32"),
                                 ember.convert_to_tensor(base((2 * u,), dtype=dtype))], 0)
        return init

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        x, hr = self._dropped(inputs, h, training)
        z = ember.matmul(x, self.kernel) + ember.matmul(hr, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        zi, zf, zc, zo = ember.split(z, 4, axis=1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c = f * c + i * self.activation(zc)
        o = self.recurrent_activation(zo)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_BaseCell):
    """One GRU step; gates in Keras's order z, r, h. ``reset_after=True`` (the default)
    applies the reset gate after the recurrent product and has ``bias (2, 3 units)``
    (input and recurrent biases); ``reset_after=False`` has ``bias (3 units,)``.

    >>> keras.layers.RNN(keras.layers.GRUCell(3))(ember.ones([2, 4, 5])).shape
    TensorShape([2, 3])
    """

    cell_kind = "gru"
    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias,
                         kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.reset_after = bool(reset_after)
        self.cell_kind = "gru" if self.reset_after else "gru_v1"

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h = _first_state(states)
        u = self.units
        x, hr = self._dropped(inputs, h, training)
        mx = ember.matmul(x, self.kernel)
        if self.bias is not None:
            mx = mx + (self.bias[0] if self.reset_after else self.bias)
        xz, xr, xh = ember.split(mx, 3, axis=-1)
        if self.reset_after:
            inner = ember.matmul(hr, self.recurrent_kernel)
            if self.bias is not None:
                inner = inner + self.bias[1]
            rz, rr, rh = ember.split(inner, 3, axis=-1)
            z = self.recurrent_activation(xz + rz)
            r = self.recurrent_activation(xr + rr)
            hh = self.activation(xh + r * rh)
        else:
            inner = ember.matmul(hr, self.recurrent_kernel[:, :2 * u])
            rz, rr = ember.split(inner, 2, axis=-1)
            z = self.recurrent_activation(xz + rz)
            r = self.recurrent_activation(xr + rr)
            hh = self.activation(xh + ember.matmul(r * hr, self.recurrent_kernel[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds one cell's output to the next.
    States are the cells' states in order (nested per cell).

    >>> cells = [keras.layers.LSTMCell(3), keras.layers.GRUCell(2)]
    >>> keras.layers.RNN(keras.layers.StackedRNNCells(cells))(ember.ones([2, 4, 5])).shape
    TensorShape([2, 2])
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs `call` and `state_size`, "
                                 f"got {cell!r}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        s = last.state_size
        return s[0] if isinstance(s, (list, tuple)) else s

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                out.append(cell.get_initial_state(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else \
                    [cell.state_size]
                out.append([ember.zeros([batch_size, s]) for s in sizes])
        return out

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                with ember.name_scope(cell.name):
                    cell.build(shape)
                    cell.built = True
            out = getattr(cell, "output_size", None)
            if out is None:
                s = cell.state_size
                out = s[0] if isinstance(s, (list, tuple)) else s
            shape = shape[:-1] + (out,)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            state = list(state) if nested else [state]
            kwargs = {"training": training} if _call_signature(type(cell))[0] else {}
            inputs, state = cell.call(inputs, state, **kwargs)
            state = list(state) if isinstance(state, (list, tuple)) else [state]
            new_states.append(state)
        return inputs, new_states

    def get_config(self):
        from ember.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config["cells"] = [serialize_keras_object(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.layers import deserialize
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
