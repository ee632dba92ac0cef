"""TF1's recurrent API: ``tf.nn.rnn_cell`` (BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell,
MultiRNNCell, DropoutWrapper, ResidualWrapper, LSTMStateTuple) and ``tf.nn.dynamic_rnn``,
``static_rnn`` and ``bidirectional_dynamic_rnn``.

Cells keep TensorFlow 1's variables, names and math, so TF1 checkpoints' layouts match:
one ``kernel`` over ``[inputs, state]`` and a ``bias`` per cell, under
``<rnn scope>/<cell name>/`` (``rnn/basic_lstm_cell/kernel``; an LSTM's gates in the order
i, j, f, o with ``forget_bias`` added to f; a GRU's ``gates`` (r, u) and ``candidate``
kernels). Variables are made with ``get_variable`` the first time a cell runs, so
``variable_scope(reuse=...)`` shares them.

``dynamic_rnn`` runs the cell over the time axis (unrolled when the number of steps is
known, a ``while_loop`` otherwise); with ``sequence_length``, outputs past a sequence's end
are zeros and its state stays the one at its last step, as in TensorFlow.
"""
from __future__ import annotations

import collections

import ember as _tf


def _v1():
    import ember.compat.v1 as v1
    return v1


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM's state: the cell ``c`` and the output ``h``."""

    __slots__ = ()

    @property
    def dtype(self):
        return self.c.dtype


class RNNCell:
    """The base of TF1 cells: ``cell(inputs, state) -> (output, new_state)``."""

    _default_name = "rnn_cell"

    def __init__(self, num_units=None, activation=None, reuse=None, name=None, dtype=None):
        self._num_units = num_units
        self._activation = activation or _tf.tanh
        self._reuse = reuse
        self.name = name or self._default_name
        self._dtype = dtype
        self._built = False

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def zero_state(self, batch_size, dtype):
        def zeros(size):
            return _tf.zeros(_tf.stack([batch_size, size]), dtype=dtype)
        return _tf.nest.map_structure(zeros, self.state_size)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            batch_size = _tf.shape(inputs)[0]
            dtype = dtype or inputs.dtype
        return self.zero_state(batch_size, dtype or "float32")

    def __call__(self, inputs, state, scope=None):
        v1 = _v1()
        inputs = _tf.convert_to_tensor(inputs)
        with v1.variable_scope(scope or self.name,
                               reuse=True if self._built else self._reuse):
            if not self._built:
                self.build(inputs.shape[-1], inputs.dtype)
                self._built = True
            return self.call(inputs, state)

    def _variable(self, name, shape, dtype, initializer=None):
        return _v1().get_variable(name, shape, dtype=dtype, initializer=initializer)


class BasicRNNCell(RNNCell):
    """``output = new_state = activation(W [inputs, state] + b)``."""

    _default_name = "basic_rnn_cell"

    def build(self, depth, dtype):
        self.kernel = self._variable("kernel", [depth + self._num_units, self._num_units], dtype)
        self.bias = self._variable("bias", [self._num_units], dtype,
                                   _v1().zeros_initializer())

    def call(self, inputs, state):
        out = self._activation(_tf.matmul(_tf.concat([inputs, state], 1), self.kernel) +
                               self.bias)
        return out, out


class BasicLSTMCell(RNNCell):
    """The LSTM of TF1's ``BasicLSTMCell``: gates i, j, f, o from one kernel,
    ``c = c * sigmoid(f + forget_bias) + sigmoid(i) * activation(j)``,
    ``h = activation(c) * sigmoid(o)``."""

    _default_name = "basic_lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    def zero_state(self, batch_size, dtype):
        zeros = _tf.zeros(_tf.stack([batch_size, self._num_units]), dtype=dtype)
        if self._state_is_tuple:
            return LSTMStateTuple(zeros, zeros)
        return _tf.concat([zeros, zeros], 1)

    def build(self, depth, dtype):
        n = self._num_units
        self.kernel = self._variable("kernel", [depth + n, 4 * n], dtype)
        self.bias = self._variable("bias", [4 * n], dtype, _v1().zeros_initializer())

    def _split_state(self, state):
        if self._state_is_tuple:
            return state
        c, h = _tf.split(state, 2, axis=1)
        return LSTMStateTuple(c, h)

    def _join_state(self, c, h):
        return LSTMStateTuple(c, h) if self._state_is_tuple else _tf.concat([c, h], 1)

    def call(self, inputs, state):
        c, h = self._split_state(state)
        gates = _tf.matmul(_tf.concat([inputs, h], 1), self.kernel) + self.bias
        i, j, f, o = _tf.split(gates, 4, axis=1)
        new_c = c * _tf.sigmoid(f + self._forget_bias) + _tf.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * _tf.sigmoid(o)
        return new_h, self._join_state(new_c, new_h)


class LSTMCell(BasicLSTMCell):
    """TF1's ``LSTMCell``: ``BasicLSTMCell`` plus optional peepholes (``w_f_diag``,
    ``w_i_diag``, ``w_o_diag``), cell clipping and an output projection (``num_proj``,
    ``proj_clip``)."""

    _default_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None):
        super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip

    @property
    def state_size(self):
        h = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, h) if self._state_is_tuple else \
            self._num_units + h

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def zero_state(self, batch_size, dtype):
        c = _tf.zeros(_tf.stack([batch_size, self._num_units]), dtype=dtype)
        h = _tf.zeros(_tf.stack([batch_size, self.output_size]), dtype=dtype)
        return LSTMStateTuple(c, h) if self._state_is_tuple else _tf.concat([c, h], 1)

    def _split_state(self, state):
        if self._state_is_tuple:
            return state
        return LSTMStateTuple(state[:, :self._num_units], state[:, self._num_units:])

    def build(self, depth, dtype):
        n = self._num_units
        h = self.output_size
        self.kernel = self._variable("kernel", [depth + h, 4 * n], dtype, self._initializer)
        self.bias = self._variable("bias", [4 * n], dtype, _v1().zeros_initializer())
        if self._use_peepholes:
            self.w_f_diag = self._variable("w_f_diag", [n], dtype, self._initializer)
            self.w_i_diag = self._variable("w_i_diag", [n], dtype, self._initializer)
            self.w_o_diag = self._variable("w_o_diag", [n], dtype, self._initializer)
        if self._num_proj:
            with _v1().variable_scope("projection"):
                self.proj_kernel = self._variable("kernel", [n, self._num_proj], dtype,
                                                  self._initializer)

    def call(self, inputs, state):
        c, h = self._split_state(state)
        gates = _tf.matmul(_tf.concat([inputs, h], 1), self.kernel) + self.bias
        i, j, f, o = _tf.split(gates, 4, axis=1)
        if self._use_peepholes:
            new_c = c * _tf.sigmoid(f + self._forget_bias + self.w_f_diag * c) + \
                _tf.sigmoid(i + self.w_i_diag * c) * self._activation(j)
        else:
            new_c = c * _tf.sigmoid(f + self._forget_bias) + _tf.sigmoid(i) * \
                self._activation(j)
        if self._cell_clip is not None:
            new_c = _tf.clip_by_value(new_c, -self._cell_clip, self._cell_clip)
        gate_o = o + self.w_o_diag * new_c if self._use_peepholes else o
        new_h = _tf.sigmoid(gate_o) * self._activation(new_c)
        if self._num_proj:
            new_h = _tf.matmul(new_h, self.proj_kernel)
            if self._proj_clip is not None:
                new_h = _tf.clip_by_value(new_h, -self._proj_clip, self._proj_clip)
        return new_h, self._join_state(new_c, new_h)


class GRUCell(RNNCell):
    """TF1's GRU: ``r, u = sigmoid(W_g [x, h] + b_g)`` (``gates``, bias 1.0 by default),
    ``c = activation(W_c [x, r * h] + b_c)`` (``candidate``), ``h = u * h + (1 - u) * c``."""

    _default_name = "gru_cell"

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, name, dtype)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    def build(self, depth, dtype):
        v1 = _v1()
        n = self._num_units
        with v1.variable_scope("gates"):
            self.gate_kernel = self._variable("kernel", [depth + n, 2 * n], dtype,
                                              self._kernel_initializer)
            self.gate_bias = self._variable("bias", [2 * n], dtype, self._bias_initializer or
                                            v1.constant_initializer(1.0))
        with v1.variable_scope("candidate"):
            self.candidate_kernel = self._variable("kernel", [depth + n, n], dtype,
                                                   self._kernel_initializer)
            self.candidate_bias = self._variable("bias", [n], dtype, self._bias_initializer or
                                                 v1.zeros_initializer())

    def call(self, inputs, state):
        gates = _tf.sigmoid(_tf.matmul(_tf.concat([inputs, state], 1), self.gate_kernel) +
                            self.gate_bias)
        r, u = _tf.split(gates, 2, axis=1)
        candidate = self._activation(_tf.matmul(_tf.concat([inputs, r * state], 1),
                                                self.candidate_kernel) + self.candidate_bias)
        new_h = u * state + (1.0 - u) * candidate
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Cells stacked: each cell's output is the next one's input (``cell_<i>`` scopes)."""

    _default_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("MultiRNNCell: needs at least one cell")
        if not state_is_tuple:
            raise NotImplementedError("MultiRNNCell(state_is_tuple=False) is not supported "
                                      "by ember")
        self._cells = list(cells)

    @property
    def state_size(self):
        return tuple(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

    def __call__(self, inputs, state, scope=None):
        v1 = _v1()
        with v1.variable_scope(scope or self.name):
            new_states = []
            out = inputs
            for i, (cell, s) in enumerate(zip(self._cells, state)):
                with v1.variable_scope(f"cell_{i}"):
                    out, new_s = cell(out, s)
                new_states.append(new_s)
        return out, tuple(new_states)


class DropoutWrapper(RNNCell):
    """Dropout on a cell's inputs, outputs and/or state (keep probabilities)."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__()
        if variational_recurrent:
            raise NotImplementedError("DropoutWrapper(variational_recurrent=True) is not "
                                      "supported by ember")
        self._cell = cell
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)
        self._seed = seed

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def _drop(self, x, keep):
        if isinstance(keep, (int, float)) and keep >= 1.0:
            return x
        return _tf.nn.dropout(x, rate=1.0 - keep, seed=self._seed)

    def __call__(self, inputs, state, scope=None):
        inputs = self._drop(inputs, self._keep[0])
        out, new_state = self._cell(inputs, state, scope)
        out = self._drop(out, self._keep[1])
        if not (isinstance(self._keep[2], (int, float)) and self._keep[2] >= 1.0):
            new_state = _tf.nest.map_structure(lambda s: self._drop(s, self._keep[2]),
                                               new_state)
        return out, new_state


class ResidualWrapper(RNNCell):
    """The cell's output plus its input."""

    def __init__(self, cell, residual_fn=None):
        super().__init__()
        self._cell = cell
        self._residual_fn = residual_fn or (lambda i, o: i + o)

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        out, new_state = self._cell(inputs, state, scope)
        return self._residual_fn(inputs, out), new_state


class _RNNCellNamespace:
    """``tf.nn.rnn_cell``."""
    RNNCell = RNNCell
    BasicRNNCell = BasicRNNCell
    BasicLSTMCell = BasicLSTMCell
    LSTMCell = LSTMCell
    GRUCell = GRUCell
    MultiRNNCell = MultiRNNCell
    DropoutWrapper = DropoutWrapper
    ResidualWrapper = ResidualWrapper
    LSTMStateTuple = LSTMStateTuple


rnn_cell = _RNNCellNamespace()


# -- running cells over time --------------------------------------------------------------
def _masked(step_mask, new, old):
    """``new`` where the sequence is still running, else ``old`` (per batch row)."""
    return _tf.nest.map_structure(
        lambda n, o: _tf.where(_tf.reshape(step_mask, [-1] + [1] * (len(n.shape) - 1)),
                               n, o), new, old)


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """Runs ``cell`` over ``inputs`` (batch, time, depth) — or (time, batch, depth) with
    ``time_major`` — and returns ``(outputs, final_state)``."""
    v1 = _v1()
    x = _tf.convert_to_tensor(inputs)
    if x.shape.rank is not None and x.shape.rank < 3:
        raise ValueError(f"dynamic_rnn: inputs must have rank 3 (batch, time, depth), got "
                         f"shape {x.shape}")
    if not time_major:
        x = _tf.transpose(x, [1, 0, 2])
    batch = _tf.shape(x)[1]
    if initial_state is None:
        if dtype is None:
            raise ValueError("dynamic_rnn: give initial_state or dtype")
        state = cell.zero_state(batch, dtype)
    else:
        state = initial_state
    lengths = None if sequence_length is None else _tf.cast(sequence_length, "int32")
    steps = x.shape[0]
    with v1.variable_scope(scope or "rnn"):
        if steps is not None:
            outputs = []
            for t in range(steps):
                out, new_state = cell(x[t], state)
                if lengths is not None:
                    running = _tf.less(t, lengths)
                    out = _masked(running, out, _tf.zeros_like(out))
                    new_state = _masked(running, new_state, state)
                outputs.append(out)
                state = new_state
            stacked = _tf.stack(outputs, 0)
        else:
            stacked, state = _while_rnn(cell, x, state, lengths)
    if not time_major:
        stacked = _tf.transpose(stacked, [1, 0, 2])
    return stacked, state


def _while_rnn(cell, x, state, lengths):
    """dynamic_rnn over an unknown number of steps: a while_loop writing a TensorArray
    (the cell runs once first, outside, to make its variables)."""
    steps = _tf.shape(x)[0]
    first_out, _ = cell(x[0], state)            # builds the variables
    outputs = _tf.TensorArray(first_out.dtype, size=steps)
    flat_state = _tf.nest.flatten(state)

    def body(t, ta, *flat):
        s = _tf.nest.pack_sequence_as(state, list(flat))
        out, new_s = cell(x[t], s)
        if lengths is not None:
            running = _tf.less(t, lengths)
            out = _masked(running, out, _tf.zeros_like(out))
            new_s = _masked(running, new_s, s)
        return (t + 1, ta.write(t, out)) + tuple(_tf.nest.flatten(new_s))

    result = _tf.while_loop(lambda t, *rest: _tf.less(t, steps), body,
                            (_tf.constant(0), outputs) + tuple(flat_state))
    final = _tf.nest.pack_sequence_as(state, list(result[2:]))
    return result[1].stack(), final


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None,
               scope=None):
    """``cell`` over a Python list of (batch, depth) inputs: ``(list of outputs, state)``."""
    stacked, state = dynamic_rnn(cell, _tf.stack(list(inputs), 0), sequence_length,
                                 initial_state, dtype, time_major=True, scope=scope)
    return _tf.unstack(stacked, axis=0), state


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """Forward and backward passes: ``((outputs_fw, outputs_bw), (state_fw, state_bw))``,
    the backward one over each sequence reversed within its length, its outputs put back
    in time order."""
    v1 = _v1()
    x = _tf.convert_to_tensor(inputs)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)
    with v1.variable_scope(scope or "bidirectional_rnn"):
        out_fw, state_fw = dynamic_rnn(cell_fw, x, sequence_length, initial_state_fw,
                                       dtype, time_major=time_major, scope="fw")
        if sequence_length is None:
            reversed_x = _tf.reverse(x, [time_axis])
        else:
            reversed_x = _reverse_within(x, sequence_length, time_major)
        out_bw, state_bw = dynamic_rnn(cell_bw, reversed_x, sequence_length,
                                       initial_state_bw, dtype, time_major=time_major,
                                       scope="bw")
        if sequence_length is None:
            out_bw = _tf.reverse(out_bw, [time_axis])
        else:
            out_bw = _reverse_within(out_bw, sequence_length, time_major)
    return (out_fw, out_bw), (state_fw, state_bw)


def _reverse_within(x, lengths, time_major):
    """Each sequence's first ``lengths[b]`` steps reversed, the padding after them kept."""
    if time_major:
        x = _tf.transpose(x, [1, 0, 2])
    steps = _tf.shape(x)[1]
    t = _tf.reshape(_tf.range(steps), [1, -1])
    n = _tf.reshape(_tf.cast(lengths, "int32"), [-1, 1])
    index = _tf.where(_tf.less(t, n), n - 1 - t, t + 0 * n)
    out = _tf.gather(x, index, axis=1, batch_dims=1)
    return _tf.transpose(out, [1, 0, 2]) if time_major else out
