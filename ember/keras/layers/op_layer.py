"""OpLayer: one ember op applied to KerasTensors inside a functional model."""
from __future__ import annotations

from ember.engine.dispatch import execute
from ember.keras import backend
from ember.keras.layers.layer import Layer
from ember.keras.keras_tensor import KerasTensor


class OpLayer(Layer):
    """Runs one ember op; made when an op is applied to KerasTensors (``x + 1``)."""

    _is_operation = True        # not among the layers of Keras's weight files

    def __init__(self, op, attrs, inputs, name=None):
        super().__init__(name=name or backend.unique_layer_name("tf_op_" + op.name.lower()))
        self._op = op
        self._attrs = attrs
        self._pattern = [None if isinstance(t, KerasTensor) else t for t in inputs]

    def call(self, inputs):
        it = iter(inputs)
        args = tuple(next(it) if p is None else p for p in self._pattern)
        return execute(self._op, args, self._attrs)

    def get_config(self):
        raise NotImplementedError(
            f"Layer {self.name} wraps the ember op {self._op.name} applied to KerasTensors "
            f"and cannot be serialized; use a Lambda layer or a custom layer instead.")
