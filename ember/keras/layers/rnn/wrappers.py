"""Sequence wrappers: Bidirectional (an RNN run both ways) and TimeDistributed."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import InputSpec, Layer, _call_signature
from ember.keras.layers.wrapper import Wrapper

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _clone(layer, name, go_backwards=None):
    from ember.keras.saving.serialization import (
        deserialize_keras_object, serialize_keras_object,
    )
    from ember.keras.layers import _layer_classes
    config = serialize_keras_object(layer)
    config["config"] = dict(config["config"], name=name)
    if go_backwards is not None:
        config["config"]["go_backwards"] = go_backwards
    return deserialize_keras_object(config, module_objects=_layer_classes(),
                                    printable_module_name="layer")


class Bidirectional(Layer):
    """Runs an RNN forwards and a copy of it backwards over the same inputs and merges the
    two outputs (``merge_mode`` "concat" (default), "sum", "mul", "ave", or None for a
    list). The backward outputs of ``return_sequences`` are flipped back into time order.
    Weights: the forward layer's, then the backward layer's.

    >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    >>> layer(ember.ones([2, 3, 5])).shape
    TensorShape([2, 3, 8])
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: `layer` must be an RNN layer instance (LSTM, "
                             f"GRU, SimpleRNN, RNN); received layer={layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}; expected "
                             f"one of {_MERGE_MODES}")
        super().__init__(**kwargs)
        base = layer.name
        for prefix in ("forward_", "backward_"):
            if base.startswith(prefix):
                base = base[len(prefix):]
        self.forward_layer = _clone(layer, "forward_" + base)
        if backward_layer is None:
            backward_layer = _clone(layer, "backward_" + base,
                                    go_backwards=not layer.go_backwards)
        else:
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(f"Bidirectional: backward_layer.go_backwards must be the "
                                 f"opposite of layer.go_backwards ({layer.go_backwards})")
            for attr in ("return_sequences", "return_state", "stateful"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(f"Bidirectional: forward and backward layers must have "
                                     f"the same {attr}; got {getattr(layer, attr)} and "
                                     f"{getattr(backward_layer, attr)}")
        self.backward_layer = backward_layer
        for rnn in (self.forward_layer, self.backward_layer):   # as Keras: masked steps of
            if hasattr(rnn, "zero_output_for_mask"):             # returned sequences are 0
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        if weights is not None:
            self._initial_weights = list(weights)

    def build(self, sequences_shape, initial_state_shape=None):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(tuple(sequences_shape))
                layer.built = True
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"mask": mask}
        if training is not None:
            kwargs["training"] = training
        fwd_state = bwd_state = None
        if initial_state is not None:
            states = ember.nest.flatten(initial_state)
            half = len(states) // 2
            fwd_state, bwd_state = states[:half], states[half:]
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            time_axis = 0 if getattr(self.forward_layer, "time_major", False) else 1
            y_rev = ember.reverse(y_rev, [time_axis])
        if self.merge_mode == "concat":
            out = ember.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        out = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(ember.nest.flatten(self.forward_layer.cell.state_size)) \
                if hasattr(self.forward_layer, "cell") else 1
            out = out + [None] * (2 * n)
        return out if len(out) > 1 else out[0]

    def reset_states(self, states=None):
        if not self.stateful:
            raise AttributeError(f"Layer {self.name}: reset_states() needs stateful=True")
        half = None if states is None else len(states) // 2
        self.forward_layer.reset_states(None if states is None else states[:half])
        self.backward_layer.reset_states(None if states is None else states[half:])

    def get_config(self):
        from ember.keras.saving.serialization import serialize_keras_object
        config = super().get_config()
        config["layer"] = serialize_keras_object(self.forward_layer)
        config["backward_layer"] = serialize_keras_object(self.backward_layer)
        config["merge_mode"] = self.merge_mode
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.layers import deserialize
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"],
                                                   custom_objects=custom_objects)
        return cls(**config)


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of inputs (batch, time, ...): the steps are
    folded into the batch, the layer runs once, and the result is unfolded.

    >>> keras.layers.TimeDistributed(keras.layers.Dense(4))(ember.ones([2, 3, 5])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: please initialize with a Layer instance; "
                             f"received layer={layer!r}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(f"Layer {self.name}: TimeDistributed needs inputs of rank >= 3 "
                             f"(batch, time, ...), got shape {input_shape}")
        if not self.layer.built:
            self.layer.build((None,) + input_shape[2:])
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = inputs.shape.as_list()
        if mask is not None:
            ms = mask.shape.as_list()
            if len(ms) < 2 or any(a is not None and b is not None and a != b
                                  for a, b in zip(ms[:2], shape[:2])):
                raise ValueError(f"Layer {self.name}: the mask's first two dimensions must "
                                 f"be (batch, time) = {tuple(shape[:2])}, got mask shape "
                                 f"{tuple(ms)}")
        dyn = ember.shape(inputs)
        b = shape[0] if shape[0] is not None else dyn[0]
        t = shape[1] if shape[1] is not None else dyn[1]
        inner = [d if d is not None else dyn[i + 2] for i, d in enumerate(shape[2:])]
        folded = ember.reshape(inputs, ember.stack([-1] + inner) if any(
            isinstance(d, ember.Tensor) for d in inner) else [-1] + inner)
        kwargs = {}
        accepts_training, accepts_mask, _, _ = _call_signature(type(self.layer))
        if accepts_training and training is not None:
            kwargs["training"] = training
        if accepts_mask and mask is not None and len(mask.shape) > 2:
            kwargs["mask"] = ember.reshape(mask, [-1] + mask.shape.as_list()[2:])
        out = self.layer(folded, **kwargs)
        out_inner = out.shape.as_list()[1:]
        if isinstance(b, ember.Tensor) or isinstance(t, ember.Tensor):
            return ember.reshape(out, ember.stack([b, t] + out_inner))
        return ember.reshape(out, [b, t] + out_inner)
