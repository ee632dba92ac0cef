"""keras.constraints: projections applied to weights after each optimizer step, as Keras 3.

>>> w = ember.constant([[3.0], [4.0]])
>>> [round(v, 3) for v in ember.keras.constraints.UnitNorm()(w).numpy().ravel().tolist()]
[0.6, 0.8]
"""
from __future__ import annotations

import ember
from ember.keras import backend
from ember.keras.saving import serialization as _ser

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]


def _as_tensor(w):
    if isinstance(w, ember.Variable):
        return w.read_value() if hasattr(w, "read_value") else ember.identity(w)
    return ember.convert_to_tensor(w)


def _norms(w, axis):
    return ember.sqrt(ember.reduce_sum(ember.square(w), axis=axis, keepdims=True))


def _axis(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weights (identity here).

    >>> Constraint()(ember.constant([1.0])).numpy().tolist()
    [1.0]
    """

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales slices along ``axis`` whose L2 norm exceeds ``max_value``:
    ``w * clip(norm, 0, max_value) / (epsilon + norm)``.

    >>> w = MaxNorm(1.0)(ember.constant([[3.0], [4.0]]))
    >>> [round(v, 3) for v in w.numpy().ravel().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _as_tensor(w)
        norms = _norms(w, _axis(self.axis))
        desired = ember.clip_by_value(norms, ember.constant(0, dtype=w.dtype),
                                      ember.constant(self.max_value, dtype=w.dtype))
        eps = ember.constant(backend.epsilon(), dtype=w.dtype)
        return w * (desired / (eps + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero.

    >>> float(ember.reduce_sum(NonNeg()(ember.constant([-1.0, 2.0]))))
    2.0
    """

    def __call__(self, w):
        w = _as_tensor(w)
        return w * ember.cast(ember.greater_equal(w, ember.constant(0, dtype=w.dtype)), w.dtype)


class UnitNorm(Constraint):
    """Scales slices along ``axis`` to unit L2 norm: ``w / (epsilon + norm)``.

    >>> w = UnitNorm(axis=1)(ember.constant([[0.0, 2.0]]))
    >>> [round(v, 3) for v in w.numpy().ravel().tolist()]
    [0.0, 1.0]
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _as_tensor(w)
        eps = ember.constant(backend.epsilon(), dtype=w.dtype)
        return w / (eps + _norms(w, _axis(self.axis)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms toward ``[min_value, max_value]``:
    ``desired = rate * clip(norm, min, max) + (1 - rate) * norm``;
    ``w * desired / (epsilon + norm)``.

    >>> w = MinMaxNorm(1.0, 2.0)(ember.constant([[0.3], [0.4]]))
    >>> [round(v, 3) for v in w.numpy().ravel().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _as_tensor(w)
        dt = w.dtype
        norms = _norms(w, _axis(self.axis))
        clipped = ember.clip_by_value(norms, ember.constant(self.min_value, dtype=dt),
                                      ember.constant(self.max_value, dtype=dt))
        desired = ember.constant(self.rate, dtype=dt) * clipped + \
            ember.constant(1 - self.rate, dtype=dt) * norms
        return w * (desired / (ember.constant(backend.epsilon(), dtype=dt) + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

ALL_OBJECTS_DICT = {c.__name__: c for c in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
ALL_OBJECTS_DICT.update({"constraint": Constraint, "max_norm": MaxNorm, "non_neg": NonNeg,
                         "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
                         "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm})


def serialize(constraint):
    """The Keras 3 config dict of a constraint.

    >>> serialize(NonNeg())["class_name"]
    'NonNeg'
    """
    return _ser.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Rebuilds a constraint from ``serialize`` output (or the class from a name).

    >>> deserialize(serialize(MaxNorm(3))).max_value
    3
    """
    return _ser.deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                         custom_objects=custom_objects,
                                         printable_module_name="constraint")


def get(identifier):
    """A constraint from a name (``"non_neg"``), a config dict, a class, an instance or a
    callable; ``None`` gives ``None``.

    >>> type(get("max_norm")).__name__
    'MaxNorm'
    """
    return _ser.get_object(identifier, deserialize, "constraint")
