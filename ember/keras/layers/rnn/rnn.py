"""RNN: runs a cell over the time axis (Keras's ``keras.layers.RNN``).

The built-in cells (SimpleRNNCell, LSTMCell, GRUCell with built-in activations) run the
whole sequence as one op (``ember.ops.rnn_ops.rnn_sequence``): one product projects every
step's inputs, the recurrence and its backward pass through time are single kernels. Any
other cell (a user's own, StackedRNNCells) runs step by step with public ops: a Python
loop over the (static) time steps, eagerly or traced.

Masks follow Keras: at a masked step the states carry over and the output repeats the
previous step's output (zeros with ``zero_output_for_mask``, and before the first real step).
"""
from __future__ import annotations

import ember
from ember.keras.layers.layer import InputSpec, Layer
from ember.ops.rnn_ops import rnn_sequence

__all__ = ["RNN"]


def _flat_sizes(state_size):
    return list(ember.nest.flatten(state_size)) if isinstance(state_size, (list, tuple)) \
        else [state_size]


class RNN(Layer):
    """Runs ``cell`` over inputs (batch, time, features).

    Arguments as Keras's: ``return_sequences`` (all outputs, else the last),
    ``return_state`` (also the final states), ``go_backwards`` (process last to first and
    return outputs in that order), ``stateful`` (the final states of a batch are the next
    batch's initial states; ``reset_states()`` zeroes them; needs a fixed batch size),
    ``unroll`` (accepted: steps always run without a symbolic loop), ``zero_output_for_mask``,
    ``time_major`` (inputs and outputs (time, batch, ...)). ``call(inputs, initial_state=None,
    mask=None, training=None)``.

    >>> layer = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
    >>> layer(ember.ones([2, 3, 5])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, time_major=False,
                 **kwargs):
        if isinstance(cell, (list, tuple)):
            from ember.keras.layers.rnn.cells import StackedRNNCells
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: argument `cell` should have a `call` method and a "
                             f"`state_size` attribute; received cell={cell!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.time_major = bool(time_major)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._state_vars = None

    # -- shapes and state -------------------------------------------------------------
    @property
    def state_size(self):
        return self.cell.state_size

    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        if self.time_major:
            shape = (shape[1], shape[0]) + shape[2:]
        step_shape = (shape[0],) + shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"Layer {self.name}: a stateful RNN needs a fixed batch size; pass "
                    f"`batch_size` to the Input (or `batch_input_shape`) of the model. "
                    f"Received input shape {tuple(sequences_shape)}")
            self._state_vars = [ember.Variable(s, trainable=False, name="rnn_state")
                                for s in ember.nest.flatten(self.get_initial_state(shape[0]))]
        self.built = True

    def _maybe_build(self, inputs):
        if self.built:
            return
        seq = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        shape = tuple(seq.shape.as_list())
        with ember.init_scope():
            self.build(shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def get_initial_state(self, batch_size):
        if hasattr(self.cell, "get_initial_state"):
            states = self.cell.get_initial_state(batch_size=batch_size)
        else:
            states = [ember.zeros([batch_size, s], dtype=self._dtype)
                      for s in _flat_sizes(self.cell.state_size)]
        return states if isinstance(states, (list, tuple)) else [states]

    @property
    def states(self):
        return list(self._state_vars) if self._state_vars is not None else None

    def reset_states(self, states=None):
        """Sets a stateful layer's states to zeros (or to ``states``)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name}: reset_states() needs stateful=True")
        if self._state_vars is None:
            return
        values = [None] * len(self._state_vars) if states is None else \
            ember.nest.flatten(states)
        if len(values) != len(self._state_vars):
            raise ValueError(f"Layer {self.name}: expected {len(self._state_vars)} states, "
                             f"got {len(values)}")
        for var, v in zip(self._state_vars, values):
            var.assign(ember.zeros_like(var) if v is None else
                       ember.cast(ember.convert_to_tensor(v), var.dtype))

    reset_state = reset_states

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(_flat_sizes(self.cell.state_size))
        return out

    # -- the call ---------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):     # Keras 2: [inputs, *initial_states]
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        if sequences.shape.rank is not None and sequences.shape.rank < 3:
            raise ValueError(f"Layer {self.name}: inputs must have rank >= 3 (batch, time, "
                             f"features), got shape {tuple(sequences.shape.as_list())}")
        if self.time_major:
            sequences = ember.transpose(sequences, [1, 0] + list(range(2, sequences.ndim)))
        mask = self._check_mask(sequences, mask)
        batch = sequences.shape[0]
        if batch is None:
            batch = ember.shape(sequences)[0]
        if initial_state is None:
            states = [v.read_value() if hasattr(v, "read_value") else ember.identity(v)
                      for v in self._state_vars] if self.stateful else \
                ember.nest.flatten(self.get_initial_state(batch))
        else:
            states = self._check_initial_state(initial_state)
        states = [ember.cast(ember.convert_to_tensor(s), sequences.dtype) for s in states]
        fused = self._fused_plan()
        if fused is not None:
            seq, last, new_states = self._run_fused(fused, sequences, states, mask, training)
        else:
            seq, last, new_states = self._run_steps(sequences, states, mask, training)
        self._reset_dropout_masks()
        if self.stateful:
            for var, s in zip(self._state_vars, new_states):
                var.assign(s)
        output = seq if self.return_sequences else last
        if self.return_sequences and self.time_major:
            output = ember.transpose(output, [1, 0] + list(range(2, output.ndim)))
        if self.return_state:
            return [output] + list(new_states)
        return output

    def _check_mask(self, sequences, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        mask = ember.convert_to_tensor(mask)
        ms, xs = mask.shape.as_list(), sequences.shape.as_list()
        if len(ms) != 2 or any(a is not None and b is not None and a != b
                               for a, b in zip(ms, xs[:2])):
            raise ValueError(f"Layer {self.name}: the mask must have shape (batch, time) = "
                             f"{tuple(xs[:2])}, got mask shape {tuple(ms)}")
        return ember.cast(mask, "bool")

    def _check_initial_state(self, initial_state):
        states = ember.nest.flatten(initial_state)
        want = _flat_sizes(self.cell.state_size)
        if len(states) != len(want):
            raise ValueError(f"Layer {self.name}: expected {len(want)} initial state "
                             f"tensor(s), got {len(states)}")
        for s, size in zip(states, want):
            last = ember.convert_to_tensor(s).shape.as_list()[-1]
            if isinstance(size, int) and last is not None and last != size:
                raise ValueError(f"Layer {self.name}: an initial state has last dimension "
                                 f"{last}, the cell's state has size {size}")
        return states

    def _reset_dropout_masks(self):
        for cell in getattr(self.cell, "cells", [self.cell]):
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()

    # -- the fused whole-sequence op ----------------------------------------------------
    def _fused_plan(self):
        from ember.keras.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
        cell = self.cell
        if type(cell) not in (LSTMCell, GRUCell, SimpleRNNCell):
            return None
        acts = cell.fused_activations()
        return None if acts is None else (cell.cell_kind,) + acts

    def _run_fused(self, plan, sequences, states, mask, training):
        kind, act, ract = plan
        cell = self.cell
        if sequences.ndim != 3:
            raise ValueError(f"Layer {self.name}: inputs must be (batch, time, features), "
                             f"got shape {tuple(sequences.shape.as_list())}")
        x = sequences
        rmask = None
        if training and cell.dropout > 0:
            x = x * ember.expand_dims(cell.get_dropout_mask(x[:, 0]), 1)
        if training and cell.recurrent_dropout > 0:
            rmask = cell.get_recurrent_dropout_mask(states[0])
        bias = cell.bias
        if bias is None:
            bias = ember.zeros(cell._bias_shape(), dtype=x.dtype)
        kernel, recurrent = cell.kernel, cell.recurrent_kernel
        if kernel.dtype is not x.dtype:
            kernel, recurrent, bias = (ember.cast(w, x.dtype) for w in
                                       (kernel, recurrent, bias))
        return rnn_sequence(kind, x, states, kernel, recurrent, bias, mask=mask,
                            recurrent_mask=rmask, activation=act,
                            recurrent_activation=ract, go_backwards=self.go_backwards,
                            zero_output=self.zero_output_for_mask)

    # -- any cell: one step at a time ----------------------------------------------------
    def _step_function(self, training):
        """``step(x, states, mask, prev) -> (output, new states)`` for one time step of the
        cell over flat states, masked steps keeping the previous states (and the previous
        output, or zeros with ``zero_output_for_mask``)."""
        cell = self.cell
        kwargs = {}
        from ember.keras.layers.layer import _call_signature
        if _call_signature(type(cell))[0]:
            kwargs["training"] = training
        structure = self.get_initial_state(1) if isinstance(self.cell.state_size,
                                                            (list, tuple)) else None

        def step(x, states, m, prev):
            nested = ember.nest.pack_sequence_as(structure, states) if structure is not None \
                else states
            out, new = cell(x, nested, **kwargs) if isinstance(cell, Layer) else \
                cell.call(x, nested, **kwargs)
            new_flat = ember.nest.flatten(new)
            if m is not None:
                keep = lambda a, b: ember.where(_expand(m, a), a, b)   # noqa: E731
                base = prev if prev is not None and not self.zero_output_for_mask else \
                    ember.zeros_like(out)
                out = keep(out, base)
                new_flat = [keep(n, s) for n, s in zip(new_flat, states)]
            return out, new_flat
        return step

    def _run_steps(self, sequences, states, mask, training):
        if sequences.shape[1] is None:
            return self._run_while(sequences, states, mask, training)
        xs = ember.unstack(sequences, axis=1)
        ms = ember.unstack(mask, axis=1) if mask is not None else None
        if self.go_backwards:
            xs = xs[::-1]
            ms = ms[::-1] if ms is not None else None
        step = self._step_function(training)
        outputs = []
        prev = None
        for t, x in enumerate(xs):
            out, states = step(x, states, ms[t] if ms is not None else None, prev)
            outputs.append(out)
            prev = out
        seq = ember.stack(outputs, axis=1)
        return seq, outputs[-1], states

    def _run_while(self, sequences, states, mask, training):
        """The steps of a symbolic (unknown) number of time steps as one ``while_loop``:
        step ``t`` reads ``sequences[:, t]`` (from the end with ``go_backwards``) and
        writes its output to a TensorArray."""
        step = self._step_function(training)
        steps = ember.shape(sequences)[1]

        def at(tensor, t):
            index = steps - 1 - t if self.go_backwards else t
            return ember.gather(tensor, index, axis=1)

        # one step outside the loop gives the output's shape and dtype (Keras's backends
        # do the same); nothing reads its values, so compiled plans drop it
        first, first_states = step(at(sequences, 0), states, None, None)
        outputs = ember.TensorArray(first.dtype, size=steps,
                                    element_shape=first.shape)
        # the loop's states keep the static shapes a step gives them (initial states made
        # from a symbolic batch size know none)
        states = [ember.ensure_shape(s, n.shape) if n.shape.is_compatible_with(s.shape)
                  else s for s, n in zip(states, first_states)]

        def body(t, prev, flat_states, outputs):
            out, new = step(at(sequences, t), list(flat_states),
                            at(mask, t) if mask is not None else None, prev)
            new = [ember.cast(n, s.dtype) for n, s in zip(new, flat_states)]
            return t + 1, out, new, outputs.write(t, out)

        _, last, states, outputs = ember.while_loop(
            lambda t, *_: t < steps, body,
            [ember.constant(0), ember.zeros_like(first), list(states), outputs])
        stacked = outputs.stack()
        seq = ember.transpose(stacked, [1, 0] + list(range(2, stacked.shape.rank or 3)))
        return seq, last, list(states)

    # -- config -------------------------------------------------------------------------
    def get_config(self):
        from ember.keras.saving.serialization import serialize_keras_object
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        if self.time_major:
            config["time_major"] = True
        if type(self) is RNN:
            config["cell"] = serialize_keras_object(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.layers import deserialize
        config = dict(config)
        config["cell"] = deserialize(config["cell"], custom_objects=custom_objects)
        return cls(**config)


def _expand(mask, like):
    """A (batch,) step mask broadcastable against ``like`` (batch, ...)."""
    rank = like.shape.rank
    m = mask
    for _ in range((rank or 2) - 1):
        m = ember.expand_dims(m, -1)
    return m
