"""Sequential: a plain stack of layers, each feeding the next."""
from __future__ import annotations

import ember
from ember.keras.layers.input_layer import Input, InputLayer
from ember.keras.layers.layer import Layer, _call_signature
from ember.keras.keras_tensor import KerasTensor
from ember.keras.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """``Sequential([Dense(64, activation="relu", input_shape=(784,)), Dense(10)])``.

    With an input shape (an ``Input`` first, or ``input_shape=`` on the first layer) the
    model is built at once; otherwise on the first call or ``fit``.
    """

    _convert_input_args = False

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._seq_layers = []
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    @property
    def layers(self):
        return list(self._seq_layers)

    def _checkpoint_alias(self, name):
        # Keras 3 on TensorFlow tracks a Sequential's graph as `_functional`, whose
        # `_operations` start with the InputLayer
        if name == "_functional":
            return self
        if name == "_operations":
            history = getattr(self._input_tensor, "_keras_history", None)
            return ([history[0]] if history else []) + list(self._seq_layers)
        return super()._checkpoint_alias(name)

    def add(self, layer, rebuild=True):
        """Appends a layer (or an ``Input`` tensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor):
            origin = layer._keras_history[0] if layer._keras_history else None
            if isinstance(origin, InputLayer):
                self._input_tensor = layer
                self._seq_layers = [l for l in self._seq_layers if not isinstance(l, InputLayer)]
                if rebuild:
                    self._maybe_build_graph()
                return
            raise ValueError("Sequential.add() accepts layers or keras.Input tensors")
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: "
                            f"layer={layer} of type {type(layer)}.")
        if isinstance(layer, InputLayer):
            self._input_tensor = layer._output_tensor
            if rebuild:
                self._maybe_build_graph()
            return
        if any(layer.name == l.name for l in self._seq_layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             f"this model. Update the `name` argument to pass a unique name.")
        if not self._seq_layers and self._input_tensor is None and \
                layer._batch_input_shape is not None:
            self._input_tensor = Input(batch_shape=layer._batch_input_shape,
                                       dtype=layer.dtype)
        self._seq_layers.append(layer)
        self._track(layer)
        self.built = False
        if rebuild:
            self._maybe_build_graph()

    def pop(self):
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        layer = self._seq_layers.pop()
        self._layers = [l for l in self._layers if l is not layer]
        self.built = False
        self._maybe_build_graph()
        return layer

    def _maybe_build_graph(self):
        if self._input_tensor is None or not self._seq_layers:
            return
        x = self._input_tensor
        for layer in self._seq_layers:
            x = layer(x)
        self._output_tensor = x
        self.built = True

    def build(self, input_shape=None):
        if self.built:
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        shape = tuple(input_shape.as_list()) if isinstance(input_shape, ember.TensorShape) \
            else tuple(input_shape)
        self._input_tensor = Input(batch_shape=shape, dtype=self._variable_dtype)
        self._maybe_build_graph()

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._seq_layers:
            if training is not None and _call_signature(type(layer))[0]:
                x = layer(x, training=training)
            else:
                x = layer(x)
        return x

    @property
    def inputs(self):
        return [self._input_tensor] if self._input_tensor is not None else []

    @property
    def outputs(self):
        return [self._output_tensor] if self.built and self._input_tensor is not None else []

    @property
    def input(self):
        return self._input_tensor

    @property
    def output(self):
        return getattr(self, "_output_tensor", None)

    @property
    def input_shape(self):
        return tuple(self._input_tensor.shape.as_list())

    @property
    def output_shape(self):
        return tuple(self._output_tensor.shape.as_list())

    def get_config(self):
        from ember.keras.saving.serialization import serialize_keras_object
        layers = []
        if self._input_tensor is not None:
            layers.append(serialize_keras_object(self._input_tensor._keras_history[0]))
        layers.extend(serialize_keras_object(l) for l in self._seq_layers)
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config(),
                  "layers": layers}
        if self._input_tensor is not None:
            config["build_input_shape"] = list(self._input_tensor.shape.as_list())
        return config

    def get_build_config(self):
        if self._input_tensor is None:
            return None
        return {"input_shape": list(self._input_tensor.shape.as_list())}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.keras.layers import deserialize as deserialize_layer
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_cfg in config["layers"]:
            layer = deserialize_layer(layer_cfg, custom_objects=custom_objects)
            model.add(layer, rebuild=False)
        model._maybe_build_graph()
        shape = config.get("build_input_shape")
        if not model.built and shape is not None:
            model.build(tuple(shape))
        return model
