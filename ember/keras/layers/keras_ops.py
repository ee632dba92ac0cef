"""Operations on KerasTensors inside functional models, as Keras 3 records and serializes
them.

In Keras 3, a ``keras.ops`` function applied to KerasTensors (``ops.not_equal(x, 0)``,
``ops.cumsum(x, axis=1)``, ``x[:, 1:]``, ``x * 2.0``) adds one *Operation* node to the
graph: an object of a class such as ``NotEqual`` or ``Cumsum`` whose config holds the
function's settings (``{"name": "cumsum", "axis": 1, "dtype": null}``) and whose node holds
the call's arguments, constants included. Files name it by module and class
(``{"module": "keras.src.ops.numpy", "class_name": "Cumsum", ...}``).

ember does the same for every ``keras.ops`` function: ``KerasOp`` has one subclass per
Keras Operation class, with Keras's name, module and config keys (the table in
``ember/keras/ops/_operation_table.py``); a node runs ember's own ``keras.ops`` function.
``record`` makes such a node when a ``keras.ops`` function is called on KerasTensors.

Raw ember ops applied to KerasTensors (``ember.nn.relu(x)``, an ``OpLayer``) are written
as the Keras operation that computes the same thing where there is one
(``keras_op_entry``); other ember ops cannot be serialized.
"""
from __future__ import annotations

import importlib
import inspect
import re

import numpy as np

import ember
from ember.framework import dtypes
from ember.keras import backend
from ember.keras.keras_tensor import any_keras_tensor
from ember.keras.layers.layer import Layer
from ember.keras.ops._operation_table import OPERATIONS

__all__ = ["KerasOp", "keras_op_classes", "keras_op_entry", "record"]

_PLAIN = (str, int, float, bool, type(None))


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


_FUNCTIONS = {}


def _function(class_name):
    """(ember's keras.ops function for a Keras Operation class, its parameters)."""
    found = _FUNCTIONS.get(class_name)
    if found is None:
        module, name = OPERATIONS[class_name][:2]
        fn = getattr(importlib.import_module(f"ember.keras.ops.{module}"), name, None)
        if fn is None:
            fn = getattr(importlib.import_module("ember.keras.ops"), name)
        fn = getattr(fn, "__wrapped__", fn)
        found = _FUNCTIONS[class_name] = (fn, inspect.signature(fn).parameters)
    return found


def _param(params, name, index):
    """The ember parameter for Keras's argument ``name`` (the ``index``-th of the call)."""
    if name in params:
        return name
    positional = [p for p in params.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional[index].name if index < len(positional) else name


def _plain(value):
    """A config value as Keras keeps it: plain Python values, lists for tuples."""
    if isinstance(value, dtypes.DType):
        return value.name
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return value


def _is_plain(value):
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


class KerasOp(Layer):
    """One Keras Operation in a functional model: called with the operation's arguments
    (tensors and constants, in order); its config holds the operation's own settings
    (``axis``, ``keepdims`` ...), with Keras's defaults for those not given."""

    _keras_op = None
    _is_operation = True        # not among the layers of Keras's weight files

    def __init__(self, name=None, **op_config):
        cls_name = self._keras_op
        super().__init__(name=name or backend.unique_layer_name(_snake(cls_name)))
        init = OPERATIONS[cls_name][2]
        known = {key for key, _, _ in init}
        unknown = sorted(set(op_config) - known)
        if unknown:
            raise TypeError(f"Keras operation {cls_name}: unexpected config entries "
                            f"{unknown}; it takes {sorted(known) or 'none'}.")
        self._op_config = {key: _plain(op_config.get(key, default))
                           for key, _, default in init}

    def __call__(self, *args, **kwargs):
        # Called on KerasTensors, the arguments become the node's one input list; a model
        # replaying that node passes the list back with tensors in place of KerasTensors.
        if len(args) == 1 and isinstance(args[0], list) and not any_keras_tensor(args):
            return super().__call__(args[0], **kwargs)
        return super().__call__(list(args), **kwargs)

    def _convert_inputs(self, inputs):
        return inputs           # an operation's arguments are used as given

    def call(self, inputs, **kwargs):
        name = self._keras_op
        fn, params = _function(name)
        _, _, init, call, call_kw, _ = OPERATIONS[name]
        values, varargs = {}, ()
        for key, src, default in init:
            value = self._op_config.get(key, default)
            if src is None or src not in params:
                if value != default:
                    raise NotImplementedError(
                        f"Keras operation {name} ({self.name}): {key}={value!r} is not "
                        f"supported by ember's keras.ops function.")
                continue
            values[src] = value
        for i, arg_name in enumerate(call):
            if arg_name.startswith("*"):
                varargs = tuple(inputs[i:])
                break
            if i < len(inputs):
                values[_param(params, arg_name, i)] = inputs[i]
        for key, src in call_kw:
            if key in kwargs:
                values[src] = kwargs[key]
        if name == "GetItem" and isinstance(values.get("key"), list):
            values["key"] = tuple(values["key"])     # a tuple key, written as a list
        if varargs:
            before = []
            for p in params.values():
                if p.kind == p.VAR_POSITIONAL:
                    break
                before.append(values.pop(p.name))
            out = fn(*before, *varargs, **values)
        else:
            out = fn(**values)
        if isinstance(out, (bool, int, float, np.generic)):     # size, ndim: a tensor
            out = ember.constant(np.asarray(out, "int32" if isinstance(out, int) else None))
        return out

    def get_config(self):
        for key, value in self._op_config.items():
            if not _is_plain(value):
                raise NotImplementedError(
                    f"Keras operation {self._keras_op} ({self.name}) holds {key}="
                    f"{value!r}, which cannot be serialized (as in Keras); use a layer "
                    f"instead.")
        if OPERATIONS[self._keras_op][5]:
            return dict(self._op_config)        # Keras's own get_config: no name
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
    for name, entry in OPERATIONS.items():
        out[name] = type(name, (KerasOp,), {
            "_keras_op": name, "_keras_module": f"keras.src.ops.{entry[0]}",
            "_keras_registered_name": name, "__module__": __name__,
            "__doc__": f"Keras's {name} operation (keras.ops.{entry[1]})."})
    return out


_CLASSES = _make_classes()


def keras_op_classes(module):
    """{class name: class} of the operations Keras serializes under ``module``."""
    return {n: c for n, c in _CLASSES.items() if c._keras_module == module}


def record(class_name, fn, args, kwargs):
    """``fn(*args, **kwargs)`` on KerasTensors, recorded as Keras's ``class_name``
    Operation: the arguments Keras keeps in the config go to the operation, the others
    to its call."""
    _, _, init, call, call_kw, _ = OPERATIONS[class_name]
    fn = getattr(fn, "__wrapped__", fn)
    signature = inspect.signature(fn)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"keras.ops.{fn.__name__}: {e}") from None
    bound.apply_defaults()
    given = bound.arguments
    extra = {}
    for p in signature.parameters.values():
        if p.kind == p.VAR_KEYWORD:
            extra = given.pop(p.name, {})
    config = {}
    for key, src, default in init:
        config[key] = given[src] if src in given else extra.get(key, default)
    call_args = []
    for i, arg_name in enumerate(call):
        if arg_name.startswith("*"):
            call_args.extend(given.get(arg_name[1:], ()))
        else:
            call_args.append(given[_param(signature.parameters, arg_name, i)])
    call_kwargs = {key: given[src] for key, src in call_kw if src in given}
    return _CLASSES[class_name](**config)(*call_args, **call_kwargs)


# ------------------------------------------------------------- raw ember ops -> Keras
def _same(attrs, args):
    return ({}, args) if not attrs else None


def _reduction(attrs, args):
    return {"axis": _axis(attrs.get("axis")), "keepdims": bool(attrs.get("keepdims"))}, args


def _axis(value):
    """An ember axis attribute as Keras writes it: an int, a list or None."""
    if isinstance(value, (tuple, list)):
        return int(value[0]) if len(value) == 1 else [int(a) for a in value]
    return value


def _attr(keras_key, ember_key, convert=lambda v: v):
    return lambda attrs, args: ({keras_key: convert(attrs[ember_key])}, args)


def _reshape(attrs, args):
    tensor, shape = args
    return {"newshape": [int(d) for d in shape]}, [tensor]


def _concatenate(attrs, args):
    return {"axis": int(attrs["axis"])}, [list(args)]


def _matmul(attrs, args):
    return None if attrs.get("transpose_a") or attrs.get("transpose_b") or \
        attrs.get("adjoint_a") or attrs.get("adjoint_b") else ({}, args)


def _cumulative(attrs, args):
    if attrs.get("exclusive") or attrs.get("reverse"):
        return None
    return {"axis": attrs.get("axis")}, args


def _take(attrs, args):
    if attrs.get("batch_dims"):
        return None
    return {"axis": attrs.get("axis", 0)}, args


# ember op name -> (Keras Operation class, converter(ember attrs, args with constants) ->
# (config entries, Keras's call args) or None when the attributes have no Keras form)
_FROM_EMBER = {
    "AddV2": ("Add", _same), "Sub": ("Subtract", _same), "Mul": ("Multiply", _same),
    "TrueDiv": ("TrueDivide", _same), "RealDiv": ("Divide", _same),
    "Pow": ("Power", _same), "Maximum": ("Maximum", _same), "Minimum": ("Minimum", _same),
    "Neg": ("Negative", _same), "Abs": ("Absolute", _same), "Square": ("Square", _same),
    "Sqrt": ("Sqrt", _same), "Exp": ("Exp", _same), "Log": ("Log", _same),
    "Tanh": ("Tanh", _same), "Relu": ("Relu", _same), "Sigmoid": ("Sigmoid", _same),
    "FloorDiv": ("FloorDivide", _same), "FloorMod": ("Mod", _same),
    "Equal": ("Equal", _same), "NotEqual": ("NotEqual", _same), "Less": ("Less", _same),
    "LessEqual": ("LessEqual", _same), "Greater": ("Greater", _same),
    "GreaterEqual": ("GreaterEqual", _same), "LogicalAnd": ("LogicalAnd", _same),
    "LogicalOr": ("LogicalOr", _same), "LogicalNot": ("LogicalNot", _same),
    "MatMul": ("Matmul", _matmul), "BatchMatMulV2": ("Matmul", _matmul),
    "Cumsum": ("Cumsum", _cumulative), "Cumprod": ("Cumprod", _cumulative),
    "GatherV2": ("Take", _take),
    "Mean": ("Mean", _reduction), "Sum": ("Sum", _reduction), "Max": ("Max", _reduction),
    "Min": ("Min", _reduction),
    "Softmax": ("Softmax", _attr("axis", "axis")),
    "Transpose": ("Transpose", _attr("axes", "perm", list)),
    "ExpandDims": ("ExpandDims", _attr("axis", "axis")),
    "Squeeze": ("Squeeze", _attr("axis", "axis", _axis)),
    "Cast": ("Cast", _attr("dtype", "dtype", lambda d: getattr(d, "name", d))),
    "Reshape": ("Reshape", _reshape),
    "ConcatV2": ("Concatenate", _concatenate),
}


def keras_op_entry(layer, node, serialize_value):
    """The Keras-format config entry (with its one call under ``"call"``) for an OpLayer
    recording an ember op that a Keras Operation computes, or None if there is none."""
    found = _FROM_EMBER.get(layer._op.name)
    if found is None:
        return None
    name, convert = found
    it = iter(node.args[0])
    args = []
    for constant in layer._pattern:
        if constant is None:
            args.append(next(it))
        else:
            value = constant.numpy() if hasattr(constant, "numpy") else constant
            args.append(value.tolist() if hasattr(value, "tolist") else value)
    converted = convert(dict(layer._attrs), args)
    if converted is None:
        return None
    extras, keras_args = converted
    config = {key: default for key, _, default in OPERATIONS[name][2]}
    config.update(extras)
    return {"module": _CLASSES[name]._keras_module, "class_name": name,
            "config": {"name": layer.name, **config}, "registered_name": name,
            "call": {"args": serialize_value(keras_args), "kwargs": {}}}
