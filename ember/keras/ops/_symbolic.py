"""keras.ops functions called on KerasTensors record one Keras Operation node each, as in
Keras 3 (``ops.not_equal(x, 0)`` on an ``Input`` adds a ``NotEqual`` operation to the
functional graph; ``ember/keras/layers/keras_ops.py`` makes and serializes it)."""
from __future__ import annotations

import functools
import importlib

from ember.keras.keras_tensor import KerasTensor
from ember.keras.ops._operation_table import OPERATIONS

__all__ = ["install"]


def _has_keras_tensor(values):
    for v in values:
        kind = type(v)
        if kind is KerasTensor:
            return True
        if kind is list or kind is tuple:
            if _has_keras_tensor(v):
                return True
        elif kind is dict:
            if _has_keras_tensor(v.values()):
                return True
        elif isinstance(v, KerasTensor):
            return True
    return False


def _recording(fn, class_name):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _has_keras_tensor(args) or (kwargs and _has_keras_tensor(kwargs.values())):
            from ember.keras.layers.keras_ops import record
            return record(class_name, fn, args, kwargs)
        return fn(*args, **kwargs)
    return op


# functions Keras defines by calling another one: (module, name) -> the Operation class
_ALIASES = {("numpy", "abs"): "Absolute", ("numpy", "conj"): "Conjugate"}


def install(package):
    """Replaces each keras.ops function Keras records as an Operation, in its module and
    in ``package`` (ember.keras.ops), by one that records it when given KerasTensors."""
    entries = [(c, m, n) for c, (m, n, *_rest) in OPERATIONS.items()]
    entries += [(c, m, n) for (m, n), c in _ALIASES.items()]
    for class_name, module, name in entries:
        home = importlib.import_module(f"{package.__name__}.{module}")
        fn = getattr(home, name, None) or getattr(package, name)
        if hasattr(fn, "__wrapped__"):
            continue
        wrapped = _recording(fn, class_name)
        targets = [package, home, importlib.import_module(fn.__module__)]
        for target in targets:
            if getattr(target, name, None) is fn:
                setattr(target, name, wrapped)
