"""Operations on KerasTensors inside functional models, as Keras 3 serializes them
(``{"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": ...}}``,
settings such as ``axis`` in the config, the call's arguments, constants included, in
``inbound_nodes``).

``KERAS_OPS`` maps each such Keras class to ember's function and to the ember op that an
expression like ``inputs * 2.0`` or ``ember.reduce_mean(x, axis=1)`` records (an
``OpLayer``), so functional models using these operations save and load in ember and in
Keras alike. Other ops applied to KerasTensors still cannot be serialized (use a layer or
a registered Lambda function).
"""
from __future__ import annotations

import ember
from ember.keras.keras_tensor import any_keras_tensor
from ember.keras.layers.layer import Layer

__all__ = ["KerasOp", "KERAS_OPS", "keras_op_classes", "keras_op_entry"]

_NUMPY, _NN, _CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core"


def _axis(value):
    """An ember axis attribute as Keras writes it: an int, a list or None."""
    if isinstance(value, (tuple, list)):
        return int(value[0]) if len(value) == 1 else [int(a) for a in value]
    return value


def _reduce(fn):
    def call(args, cfg):
        if cfg.get("initial") is not None:
            raise NotImplementedError("ember does not support `initial` in a reduction")
        return fn(args[0], axis=cfg.get("axis"), keepdims=bool(cfg.get("keepdims")))

    def to_keras(attrs, args):
        return {"axis": _axis(attrs.get("axis")), "keepdims": bool(attrs.get("keepdims"))}, \
            args
    return call, to_keras


def _elementwise(fn):
    return (lambda args, cfg: fn(*args)), (lambda attrs, args: ({}, args) if not attrs
                                         else None)


def _with_attr(fn, keras_key, ember_key, to_keras_value=lambda v: v):
    def call(args, cfg):
        return fn(args[0], cfg[keras_key])

    def to_keras(attrs, args):
        return {keras_key: to_keras_value(attrs[ember_key])}, args
    return call, to_keras


def _reshape():
    def to_keras(attrs, args):
        tensor, shape = args
        return {"newshape": [int(d) for d in shape]}, [tensor]
    return (lambda args, cfg: ember.reshape(args[0], cfg["newshape"])), to_keras


def _concatenate():
    def to_keras(attrs, args):
        return {"axis": int(attrs["axis"])}, [list(args)]
    return (lambda args, cfg: ember.concat(list(args[0]), axis=cfg.get("axis", 0))), to_keras


# Keras class -> (Keras module, ember op recorded for it, (call, to_keras)):
#   call(args, config) runs it on the call's arguments with the class's config entries;
#   to_keras(ember attrs, args with constants) -> (config entries, Keras's args) or None.
KERAS_OPS = {
    "Add": (_NUMPY, "AddV2", _elementwise(ember.math.add)),
    "Subtract": (_NUMPY, "Sub", _elementwise(ember.math.subtract)),
    "Multiply": (_NUMPY, "Mul", _elementwise(ember.math.multiply)),
    "TrueDivide": (_NUMPY, "TrueDiv", _elementwise(ember.math.truediv)),
    "Divide": (_NUMPY, "RealDiv", _elementwise(ember.math.divide)),
    "Power": (_NUMPY, "Pow", _elementwise(ember.math.pow)),
    "Maximum": (_NUMPY, "Maximum", _elementwise(ember.math.maximum)),
    "Minimum": (_NUMPY, "Minimum", _elementwise(ember.math.minimum)),
    "Negative": (_NUMPY, "Neg", _elementwise(ember.math.negative)),
    "Absolute": (_NUMPY, "Abs", _elementwise(ember.math.abs)),
    "Square": (_NUMPY, "Square", _elementwise(ember.math.square)),
    "Sqrt": (_NUMPY, "Sqrt", _elementwise(ember.math.sqrt)),
    "Exp": (_NUMPY, "Exp", _elementwise(ember.math.exp)),
    "Log": (_NUMPY, "Log", _elementwise(ember.math.log)),
    "Tanh": (_NUMPY, "Tanh", _elementwise(ember.math.tanh)),
    "Relu": (_NN, "Relu", _elementwise(ember.nn.relu)),
    "Sigmoid": (_NN, "Sigmoid", _elementwise(ember.math.sigmoid)),
    "Mean": (_NUMPY, "Mean", _reduce(ember.reduce_mean)),
    "Sum": (_NUMPY, "Sum", _reduce(ember.reduce_sum)),
    "Max": (_NUMPY, "Max", _reduce(ember.reduce_max)),
    "Min": (_NUMPY, "Min", _reduce(ember.reduce_min)),
    "Softmax": (_NN, "Softmax", _with_attr(lambda x, a: ember.nn.softmax(x, axis=a),
                                           "axis", "axis")),
    "Transpose": (_NUMPY, "Transpose", _with_attr(
        lambda x, a: ember.transpose(x, perm=a), "axes", "perm", list)),
    "ExpandDims": (_NUMPY, "ExpandDims", _with_attr(ember.expand_dims, "axis", "axis")),
    "Squeeze": (_NUMPY, "Squeeze", _with_attr(lambda x, a: ember.squeeze(x, axis=a),
                                              "axis", "axis", _axis)),
    "Cast": (_CORE, "Cast", _with_attr(ember.cast, "dtype", "dtype",
                                       lambda d: getattr(d, "name", d))),
    "Reshape": (_NUMPY, "Reshape", _reshape()),
    "Concatenate": (_NUMPY, "ConcatV2", _concatenate()),
}
_BY_EMBER_OP = {}
for _name, (_module, _op, _fns) in KERAS_OPS.items():
    _BY_EMBER_OP.setdefault(_op, _name)


class KerasOp(Layer):
    """One Keras operation in a functional model: called with the operation's arguments
    (tensors and constants, in order); its config holds the operation's own settings
    (``axis``, ``keepdims`` ...)."""

    _keras_op = None
    _is_operation = True        # not among the layers of Keras's weight files

    def __init__(self, name=None, **op_config):
        super().__init__(name=name)
        self._op_config = dict(op_config)

    def __call__(self, *args, **kwargs):
        # Called on KerasTensors, the arguments become the node's one input list; a model
        # replaying that node passes the list back with tensors in place of KerasTensors.
        if len(args) == 1 and isinstance(args[0], list) and not any_keras_tensor(args):
            return super().__call__(args[0], **kwargs)
        return super().__call__(list(args), **kwargs)

    def call(self, inputs):
        return KERAS_OPS[self._keras_op][2][0](list(inputs), self._op_config)

    def get_config(self):
        return {"name": self.name, **self._op_config}

    def get_build_config(self):
        return None             # Keras's operations are not built

    @classmethod
    def from_config(cls, config):
        return cls(**config)

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
    """The Keras-format config entry (with its one call under ``"call"``) for an OpLayer
    recording one of these operations, or None if it is not one of them."""
    name = _BY_EMBER_OP.get(layer._op.name)
    if name is None:
        return None
    it = iter(node.args[0])
    args = []
    for constant in layer._pattern:
        if constant is None:
            args.append(next(it))
        else:
            value = constant.numpy() if hasattr(constant, "numpy") else constant
            args.append(value.tolist() if hasattr(value, "tolist") else value)
    converted = KERAS_OPS[name][2][1](dict(layer._attrs), args)
    if converted is None:
        return None
    extras, keras_args = converted
    return {"module": KERAS_OPS[name][0], "class_name": name,
            "config": {"name": layer.name, **extras}, "registered_name": None,
            "call": {"args": serialize_value(keras_args), "kwargs": {}}}
