"""Functional models: a graph of layer calls from Input tensors to output tensors."""
from __future__ import annotations

import ember
from ember.keras.layers.input_layer import InputLayer
from ember.keras.layers.layer import _call_signature
from ember.keras.keras_tensor import KerasTensor
from ember.keras.models.model import Model

__all__ = ["Functional"]


def _topological_nodes(outputs):
    """The nodes between the inputs and ``outputs``, each after the nodes it depends on."""
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parent_nodes:
            visit(parent)
        order.append(node)

    for t in outputs:
        if not isinstance(t, KerasTensor) or t._keras_history is None:
            raise ValueError(f"Output {t!r} of a functional Model must be a KerasTensor "
                             f"produced by layers called on keras.Input tensors.")
        visit(t._keras_history[1])
    return order


def _unpack_singleton(outputs):
    """A model built with ``outputs=[y]`` returns ``y``, as Keras 3's does."""
    if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
        return outputs[0]
    return outputs


class Functional(Model):
    """``Model(inputs, outputs)``: runs the recorded layer calls in order."""

    _convert_input_args = False

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_in = ember.nest.flatten(inputs)
        flat_out = ember.nest.flatten(outputs)
        for t in flat_in:
            if not isinstance(t, KerasTensor) or not isinstance(t._keras_history[0],
                                                                   InputLayer):
                raise ValueError(f"Model inputs must come from keras.Input(); received {t!r}")
        self._flat_inputs = flat_in
        self._flat_outputs = flat_out
        self._nodes = _topological_nodes(flat_out)
        known = {id(t) for t in flat_in}
        for node in self._nodes:
            for t in node.input_tensors:
                if id(t) not in known:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {t!r} at layer "
                        f"'{node.layer.name}'. The following previous layers were accessed "
                        f"without issue: {[n.layer.name for n in self._nodes[:1]]}")
            if isinstance(node.layer, InputLayer) and not any(
                    t is node.outputs for t in flat_in):
                raise ValueError(f"Input {node.layer.name} is used by the outputs but is not "
                                 f"one of the model's inputs.")
            known.update(id(t) for t in node.output_tensors)
        from ember.keras.saving.functional_config import keras_layer_order
        layers, _ = keras_layer_order(flat_in, flat_out)
        names = [l.name for l in layers]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(f'The name "{n}" is used {names.count(n)} times in the '
                                 f'model. All layer names should be unique.')
        self._functional_layers = layers
        for layer in layers:
            self._track(layer)
        self.built = True
        self._input_layer_names = [t._keras_history[0].name for t in flat_in]
        self._output_layer_names = [t._keras_history[0].name for t in flat_out]

    @property
    def layers(self):
        """The model's layers in graph order; the operations applied to KerasTensors
        (``x + 1``, ``keras.ops.*``) are not layers, as in Keras (see ``operations``)."""
        return [l for l in self._functional_layers if not getattr(l, "_is_operation", False)]

    @property
    def operations(self):
        """Every node of the graph in order: the layers and the operations."""
        return list(self._functional_layers)

    def _checkpoint_alias(self, name):
        if name == "_operations":       # Keras 3's tracked list of the graph's operations
            return list(self._functional_layers)
        return super()._checkpoint_alias(name)

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self):
        return list(self._input_layer_names)

    @property
    def output_names(self):
        return list(self._output_layer_names)

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                missing = [k for k in self._inputs_struct if k not in inputs]
                if missing:
                    raise ValueError(f"Model {self.name}: missing inputs {missing}; expected "
                                     f"keys {list(self._inputs_struct)}")
                return ember.nest.flatten({k: inputs[k] for k in self._inputs_struct})
            try:
                return [inputs[n] for n in self._input_layer_names]
            except KeyError as e:
                raise ValueError(f"Model {self.name}: no input named {e.args[0]!r}; inputs "
                                 f"are {self._input_layer_names}") from None
        flat = ember.nest.flatten(inputs)
        if len(flat) != len(self._flat_inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self._flat_inputs)} input(s), '
                             f'but it received {len(flat)} input tensors.')
        return flat

    def call(self, inputs, training=None, mask=None):
        flat = self._flatten_inputs(inputs)
        env = {}
        for kt, value in zip(self._flat_inputs, flat):
            layer = kt._keras_history[0]
            value = self._convert_input(value, kt)
            env[id(kt)] = value
        for node in self._nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                continue
            args, kwargs = ember.nest.map_structure(
                lambda x: env[id(x)] if isinstance(x, KerasTensor) else x,
                (node.args, node.kwargs))
            kwargs = dict(kwargs)
            if training is not None and _call_signature(type(layer))[0]:
                kwargs.setdefault("training", training)
            out = layer(*args, **kwargs)
            for kt, value in zip(node.output_tensors, ember.nest.flatten(out)):
                env[id(kt)] = value
        return _unpack_singleton(
            ember.nest.map_structure(lambda t: env[id(t)], self._outputs_struct))

    def _convert_input(self, value, kt):
        t = value if isinstance(value, ember.Tensor) else ember.convert_to_tensor(
            value, dtype_hint=kt.dtype)
        if t.dtype is not kt.dtype and t.dtype.is_floating and kt.dtype.is_floating:
            t = ember.cast(t, kt.dtype)
        expected = kt.shape
        if t.shape.rank is not None and expected.rank is not None:
            # Keras adjusts a rank off by one through a last axis of 1
            if t.shape.rank == expected.rank - 1 and expected[-1] == 1:
                t = ember.expand_dims(t, -1)
            elif t.shape.rank == expected.rank + 1 and t.shape[-1] == 1:
                t = ember.squeeze(t, [-1])
            if t.shape.rank != expected.rank or not expected.is_compatible_with(t.shape):
                raise ValueError(
                    f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                    f'shape={tuple(expected.as_list())}, found '
                    f'shape={tuple(t.shape.as_list())}')
        return t

    def compute_output_spec(self, inputs, training=None, mask=None):
        return _unpack_singleton(self._outputs_struct)

    def get_config(self):
        from ember.keras.saving.functional_config import functional_config
        return functional_config(self)

    def get_build_config(self):
        return None

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.saving.functional_config import functional_from_config
        return functional_from_config(config, custom_objects,
                                      cls=cls if issubclass(cls, Functional) else None)
