"""KerasTensor: the symbolic tensors of the functional API, and the graph of layer calls.

``Input(shape=(784,))`` makes a KerasTensor; calling a layer on KerasTensors records a
``Node`` and returns new KerasTensors whose shapes come from tracing the layer's call.
Any ember op applied to KerasTensors (``x + 1``, ``ember.nn.relu(x)``) is recorded too, as
an ``OpLayer`` node, so functional models may mix layers and raw ops.
"""
from __future__ import annotations

import ember
from ember.framework import dtypes
from ember.engine.dispatch import register_symbolic_input_handler
from ember.framework.op import Spec, normalize_inferred
from ember.framework.tensor import EagerTensor, Tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["KerasTensor", "Node", "any_keras_tensor", "call_symbolically", "is_keras_tensor"]


class KerasTensor(Tensor):
    """A symbolic tensor of a functional model: shape (batch dim usually None) and dtype."""

    _is_keras_tensor = True
    __slots__ = ("_shape", "_dtype", "name", "_keras_history", "__weakref__")

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self.name = name
        self._keras_history = history

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError("A KerasTensor is symbolic: it has no value to use as a Python bool. "
                        "Use it as the input of a layer or model.")

    def __len__(self):
        d = self._shape[0] if self._shape.rank else None
        if d is None:
            raise TypeError(f"len() of the KerasTensor {self.name} (shape {self._shape}) is "
                            f"not defined: its first dimension is unknown.")
        return d

    def __iter__(self):
        raise TypeError("Iterating over a KerasTensor is not supported; index it or use a "
                        "layer.")

    def numpy(self):
        raise TypeError(f"KerasTensor {self.name} is symbolic and has no value: build a "
                        f"keras.Model from it and call the model on data.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"KerasTensor {self.name} is symbolic and cannot become a NumPy array. "
                        f"Build a keras.Model from it and call the model on data.")

    def __repr__(self):
        return (f"<KerasTensor shape={tuple(self._shape.as_list()) if self._shape.rank is not None else None}"
                f", dtype={self._dtype.name}, name={self.name}>")


def _keras_operator(function, reflected=False):
    """A Python operator on KerasTensors as Keras 3 defines it: the keras.ops function,
    recorded as one Keras operation (``x != 0`` is a NotEqual node)."""
    def operator(self, *other):
        from ember.keras import ops
        fn = getattr(ops, function)
        return fn(other[0], self) if reflected else fn(self, *other)
    operator.__name__ = f"keras_{function}"
    return operator


for _names, _function in (
        (("__add__", "__radd__"), "add"), (("__sub__", "__rsub__"), "subtract"),
        (("__mul__", "__rmul__"), "multiply"), (("__matmul__", "__rmatmul__"), "matmul"),
        (("__truediv__", "__rtruediv__"), "true_divide"),
        (("__floordiv__", "__rfloordiv__"), "floor_divide"), (("__mod__", "__rmod__"), "mod"),
        (("__pow__", "__rpow__"), "power"), (("__and__", "__rand__"), "logical_and"),
        (("__or__", "__ror__"), "logical_or"), (("__xor__", "__rxor__"), "logical_xor"),
        (("__lt__",), "less"), (("__le__",), "less_equal"), (("__gt__",), "greater"),
        (("__ge__",), "greater_equal"), (("__ne__",), "not_equal"),
        (("__neg__",), "negative"), (("__abs__",), "absolute"),
        (("__invert__",), "logical_not"), (("__getitem__",), "get_item")):
    setattr(KerasTensor, _names[0], _keras_operator(_function))
    if len(_names) > 1:
        setattr(KerasTensor, _names[1], _keras_operator(_function, reflected=True))
del _names, _function


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def any_keras_tensor(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple, dict)):
        return any(isinstance(x, KerasTensor) for x in ember.nest.flatten(structure))
    return False


class Node:
    """One call of a layer in a functional graph."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [x for x in ember.nest.flatten((args, kwargs))
                              if isinstance(x, KerasTensor)]
        self.output_tensors = [x for x in ember.nest.flatten(outputs)
                               if isinstance(x, KerasTensor)]

    @property
    def parent_nodes(self):
        return [t._keras_history[1] for t in self.input_tensors
                if t._keras_history is not None]

    @property
    def input_structure(self):
        return self.args[0] if len(self.args) == 1 and not self.kwargs else self.args

    @property
    def output_structure(self):
        return self.outputs


def call_symbolically(layer, inputs, args, kwargs):
    """Records ``layer(inputs, *args, **kwargs)`` on KerasTensors; returns KerasTensors."""
    from ember.keras.layers.layer import call_output_spec, check_input_spec
    check_input_spec(layer, layer.input_spec, inputs)
    outputs = call_output_spec(layer, inputs, *args, **dict(kwargs))
    node = Node(layer, (inputs,) + tuple(args), dict(kwargs), outputs)
    for i, t in enumerate(node.output_tensors):
        t._keras_history = (layer, node, i)
        if t.name is None:
            t.name = layer.name if len(node.output_tensors) == 1 else f"{layer.name}_{i}"
    layer._inbound_nodes.append(node)
    return outputs


def op_on_keras_tensors(op, inputs, attrs, name=None):
    """An ember op applied to KerasTensors: recorded as an OpLayer node."""
    from ember.keras.layers.op_layer import OpLayer
    if name:
        # an op's own default name ("concat", "split") recurs: uniquify it like a layer's
        from ember.keras import backend
        name = backend.unique_layer_name(name)
    layer = OpLayer(op, attrs, inputs, name=name)
    kt_inputs = [t for t in inputs if isinstance(t, KerasTensor)]
    specs = [Spec(t.shape, t.dtype, t._value if isinstance(t, EagerTensor) else None)
             for t in inputs]
    inferred = normalize_inferred(op.infer(specs, **attrs))
    outs = [KerasTensor(s, d) for s, d in inferred]
    outputs = outs if op.multi_output else outs[0]
    node = Node(layer, (kt_inputs,), {}, outputs)
    for i, t in enumerate(node.output_tensors):
        t._keras_history = (layer, node, i)
        t.name = layer.name
    layer._inbound_nodes.append(node)
    layer.built = True
    return outputs


register_symbolic_input_handler(lambda t: getattr(t, "_is_keras_tensor", False),
                                op_on_keras_tensors)
