"""Elementwise operations on KerasTensors inside functional models, as Keras 3 serializes
them (``{"module": "keras.src.ops.numpy", "class_name": "Multiply", ...}`` with the call's
arguments, constants included, in ``inbound_nodes``).

``KERAS_OPS`` maps each such Keras class to ember's function and to the ember op that an
expression like ``inputs * 2.0`` records (an ``OpLayer``), so functional models using these
operations save and load in ember and in Keras alike. Other ops applied to KerasTensors
still cannot be serialized (use a layer or a registered Lambda function).
"""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer

__all__ = ["KerasOp", "KERAS_OPS", "keras_op_classes", "keras_op_entry"]

_NUMPY, _NN = "keras.src.ops.numpy", "keras.src.ops.nn"

# Keras class -> (Keras module, ember op name recorded for it, ember function)
KERAS_OPS = {
    "Add": (_NUMPY, "AddV2", ember.math.add),
    "Subtract": (_NUMPY, "Sub", ember.math.subtract),
    "Multiply": (_NUMPY, "Mul", ember.math.multiply),
    "TrueDivide": (_NUMPY, "TrueDiv", ember.math.truediv),
    "Divide": (_NUMPY, "RealDiv", ember.math.divide),
    "Power": (_NUMPY, "Pow", ember.math.pow),
    "Maximum": (_NUMPY, "Maximum", ember.math.maximum),
    "Minimum": (_NUMPY, "Minimum", ember.math.minimum),
    "Negative": (_NUMPY, "Neg", ember.math.negative),
    "Absolute": (_NUMPY, "Abs", ember.math.abs),
    "Square": (_NUMPY, "Square", ember.math.square),
    "Sqrt": (_NUMPY, "Sqrt", ember.math.sqrt),
    "Exp": (_NUMPY, "Exp", ember.math.exp),
    "Log": (_NUMPY, "Log", ember.math.log),
    "Tanh": (_NUMPY, "Tanh", ember.math.tanh),
    "Relu": (_NN, "Relu", ember.nn.relu),
    "Sigmoid": (_NN, "Sigmoid", ember.math.sigmoid),
}
_BY_EMBER_OP = {}
for _name, (_module, _op, _fn) in KERAS_OPS.items():
    _BY_EMBER_OP.setdefault(_op, _name)


class KerasOp(Layer):
    """One Keras operation in a functional model: called with the operation's arguments
    (tensors and constants, in order)."""

    _keras_op = None
    _is_operation = True        # not among the layers of Keras's weight files

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], list):      # replayed by a model
            return super().__call__(args[0], **kwargs)
        return super().__call__(list(args), **kwargs)

    def call(self, inputs):
        return KERAS_OPS[self._keras_op][2](*inputs)

    def get_config(self):
        return {"name": self.name}

    def get_build_config(self):
        return None             # Keras's operations are not built

    @classmethod
    def from_config(cls, config):
        return cls(name=config.get("name"))

    def serialized_call(self, node):
        """The node's (args, kwargs) as Keras writes them: the arguments unpacked."""
        return list(node.args[0]), dict(node.kwargs)


def _make_classes():
    out = {}
    for name, (module, _, _) in KERAS_OPS.items():
        out[name] = type(name, (KerasOp,), {"_keras_op": name, "_keras_module": module,
                                            "__module__": __name__,
                                            "__doc__": f"Keras's {name} operation."})
    return out


_CLASSES = _make_classes()


def keras_op_classes(module):
    """{class name: class} of the operations Keras serializes under ``module``."""
    return {n: c for n, c in _CLASSES.items() if c._keras_module == module}


def keras_op_entry(layer, node, serialize_value):
    """The Keras-format config entry (without ``inbound_nodes``' wrapper) for an OpLayer
    recording one of these operations, or None if it is not one of them."""
    name = _BY_EMBER_OP.get(layer._op.name)
    if name is None or layer._attrs:
        return None
    it = iter(node.args[0])
    args = []
    for constant in layer._pattern:
        if constant is None:
            args.append(next(it))
        else:
            value = constant.numpy() if hasattr(constant, "numpy") else constant
            args.append(value.tolist() if hasattr(value, "tolist") else value)
    return {"module": KERAS_OPS[name][0], "class_name": name, "config": {"name": layer.name},
            "registered_name": None,
            "call": {"args": serialize_value(args), "kwargs": {}}}
