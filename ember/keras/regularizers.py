"""keras.regularizers: weight penalties added to a model's loss, as Keras 3.

>>> reg = ember.keras.regularizers.L2(0.1)
>>> float(reg(ember.constant([1.0, -2.0])))
0.5
"""
from __future__ import annotations

import math
import numbers

import ember
from ember.keras import backend
from ember.keras.saving import serialization as _ser

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


def _check_float(value, name, who):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value) or value < 0:
        raise ValueError(f"{who}: invalid value for argument {name}: expected a non-negative "
                         f"float. Received: {name}={value!r}")
    return float(value)


def _as_tensor(x):
    if isinstance(x, ember.Variable):
        return x
    return ember.convert_to_tensor(x)


class Regularizer:
    """Base class: ``reg(weights)`` returns a scalar penalty.

    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return ember.reduce_sum(x)
    ...     def get_config(self):
    ...         return {}
    >>> float(Sum()(ember.ones([3])))
    3.0
    """

    def __call__(self, x):
        return 0.0

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    >>> float(L1L2(l1=1.0, l2=1.0)(ember.constant([1.0, -2.0])))
    8.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_float(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _check_float(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        x = _as_tensor(x)
        total = ember.zeros([], dtype=x.dtype)
        if self.l1:
            total = total + ember.constant(self.l1, dtype=x.dtype) * \
                ember.reduce_sum(ember.abs(x))
        if self.l2:
            total = total + ember.constant(self.l2, dtype=x.dtype) * \
                ember.reduce_sum(ember.square(x))
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    >>> float(L1(0.5)(ember.constant([1.0, -2.0])))
    1.5
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_float(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        x = _as_tensor(x)
        return ember.constant(self.l1, dtype=x.dtype) * ember.reduce_sum(ember.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``.

    >>> float(L2(0.5)(ember.constant([1.0, -2.0])))
    2.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_float(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        x = _as_tensor(x)
        return ember.constant(self.l2, dtype=x.dtype) * ember.reduce_sum(ember.square(x))

    def get_config(self):
        return {"l2": self.l2}


def _unit_rows(x, axis):
    """x scaled to unit L2 norm along ``axis`` (norms below epsilon are treated as epsilon)."""
    eps = backend.epsilon()
    inv = ember.math.rsqrt(ember.reduce_sum(ember.square(x), axis=axis, keepdims=True))
    return x * ember.minimum(inv, ember.constant(1.0 / eps, dtype=x.dtype))


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (``mode="rows"``) or columns of a 2-D kernel:
    ``factor * mean over pairs i<j of |<v_i, v_j>|`` after scaling each vector to unit norm.

    >>> float(OrthogonalRegularizer(1.0)(ember.eye(3)))
    0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_float(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: invalid value for argument `mode`. "
                             f"Expected one of {{'rows', 'columns'}}. Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, inputs):
        x = _as_tensor(inputs)
        if x.shape.rank != 2:
            raise ValueError(f"OrthogonalRegularizer: inputs must have rank 2. Received: "
                             f"inputs.shape={x.shape}")
        if self.mode == "rows":
            v = _unit_rows(x, 1)
            product = ember.matmul(v, v, transpose_b=True)
            size = x.shape[0]
        else:
            v = _unit_rows(x, 0)
            product = ember.matmul(v, v, transpose_a=True)
            size = x.shape[1]
        if size is None:
            raise ValueError(f"OrthogonalRegularizer: the {self.mode} dimension of inputs must "
                             f"be known, got inputs.shape={x.shape}")
        off_diag = product * (ember.constant(1.0, dtype=x.dtype) - ember.eye(size, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        total = ember.reduce_sum(ember.abs(off_diag))
        return ember.constant(self.factor * 0.5 / pairs if pairs else 0.0, dtype=x.dtype) * total

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS_DICT = {c.__name__: c for c in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
ALL_OBJECTS_DICT.update({"regularizer": Regularizer, "l1": L1, "l2": L2, "l1_l2": L1L2,
                         "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer})


def serialize(regularizer):
    """The Keras 3 config dict of a regularizer.

    >>> serialize(L2(0.1))["config"]
    {'l2': 0.1}
    """
    return _ser.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """Rebuilds a regularizer from ``serialize`` output (or the class from a name).

    >>> deserialize(serialize(L1(0.3))).l1
    0.3
    """
    return _ser.deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                         custom_objects=custom_objects,
                                         printable_module_name="regularizer")


def get(identifier):
    """A regularizer from a name (``"l2"``), a config dict, a class, an instance or a
    callable; ``None`` gives ``None``.

    >>> get("l1").l1
    0.01
    """
    return _ser.get_object(identifier, deserialize, "regularizer")
