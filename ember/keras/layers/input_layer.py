"""InputLayer and Input(): where a functional model's data enters."""
from __future__ import annotations

from ember.keras import backend
from ember.keras.layers.layer import Layer
from ember.keras.keras_tensor import KerasTensor, Node

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """The layer behind ``Input``; holds the input KerasTensor."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, input_shape=None, batch_input_shape=None,
                 **kwargs):
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_shape is None and batch_input_shape is not None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument to Input / InputLayer.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        # an input's dtype is floatx() unless given, whatever the global policy
        super().__init__(name=name or backend.unique_layer_name("input_layer"),
                         dtype=backend.floatx() if dtype is None else dtype)
        self._batch_shape = tuple(batch_shape)
        self.built = True
        self.sparse = bool(sparse)
        tensor = KerasTensor(self._batch_shape, self._dtype, name=self.name)
        node = Node(self, (), {}, tensor)
        tensor._keras_history = (self, node, 0)
        self._inbound_nodes.append(node)
        self._output_tensor = tensor

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self._batch_shape, "dtype": self._dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,  # noqa: N802
          name=None, tensor=None, optional=False):
    """A symbolic input of a functional model: ``Input(shape=(784,))``."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name)
    return layer._output_tensor
