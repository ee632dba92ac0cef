"""keras.metrics.Metric: the stateful base class every metric derives from."""
from __future__ import annotations

import re

import numpy as np

import ember
from ember.keras import backend

__all__ = ["Metric"]

_AGGREGATIONS = {
    None: 0, "none": 0, "sum": 1, "mean": 2, "only_first_replica": 3,
}


def _snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_name(class_name):
    base = _snake_case(class_name)
    uid = backend.get_uid(base)
    return base if uid <= 1 else f"{base}_{uid - 1}"


def standardize_dtype(dtype):
    """A dtype name string (``"float32"``) from a DType, string, NumPy dtype or policy."""
    if dtype is None:
        return backend.floatx()
    compute = getattr(dtype, "compute_dtype", None)
    if compute is not None and not isinstance(dtype, ember.DType):
        return standardize_dtype(compute)
    if dtype == "int":
        return "int32"
    return ember.as_dtype(dtype).name


def _initial_value_fn(initializer, shape, dtype):
    """A zero-argument callable producing the initial NumPy value of a metric variable."""
    shape = tuple(int(d) for d in shape)
    np_dtype = ember.as_dtype(dtype).as_numpy_dtype
    if initializer is None:
        initializer = "zeros"
    if isinstance(initializer, str):
        key = initializer.lower()
        if key in ("zeros", "zero"):
            return lambda: np.zeros(shape, dtype=np_dtype)
        if key in ("ones", "one"):
            return lambda: np.ones(shape, dtype=np_dtype)
        try:
            from ember.keras import initializers as _inits
        except ImportError as e:  # pragma: no cover - depends on sibling module
            raise ValueError(f"Metric.add_variable: unknown initializer {initializer!r}; "
                             f"expected 'zeros', 'ones' or a callable") from e
        initializer = _inits.get(initializer)
    if isinstance(initializer, (int, float, list, tuple, np.ndarray)):
        value = np.broadcast_to(np.asarray(initializer, dtype=np_dtype), shape)
        return lambda: np.array(value, copy=True)
    if callable(initializer):
        def call():
            try:
                out = initializer(shape, dtype=dtype)
            except TypeError:
                out = initializer(shape)
            out = out.numpy() if hasattr(out, "numpy") else np.asarray(out)
            return np.asarray(out, dtype=np_dtype).reshape(shape)
        return call
    raise ValueError(f"Metric.add_variable: could not interpret initializer {initializer!r}")


class Metric:
    """Base class of stateful metrics: state lives in non-trainable ``ember.Variable``s
    created with ``add_variable``; ``update_state`` accumulates, ``result`` reads.

    >>> class Count(ember.keras.metrics.Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.n = self.add_variable((), "zeros", name="n")
    ...     def update_state(self, values):
    ...         self.n.assign_add(ember.cast(ember.size(values), self.dtype))
    ...     def result(self):
    ...         return ember.identity(self.n)
    """

    def __init__(self, name=None, dtype=None, **kwargs):
        unknown = set(kwargs) - {"trainable", "synchronization", "aggregation"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(unknown)}")
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or _auto_name(type(self).__name__)
        self._dtype = standardize_dtype(dtype)
        self._direction = None

    # -- tracking ----------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_variables" in self.__dict__:
            if isinstance(value, ember.Variable):
                if not any(value is v for v in self._variables):
                    self._variables.append(value)
            elif isinstance(value, Metric) and value is not self:
                if not any(value is m for m in self._metrics):
                    self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: you forgot to call "
                               f"`super().__init__()` in the `__init__()` method.")

    # -- state -------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable (initialised eagerly, even when called
        inside a traced function)."""
        self._check_super_called()
        dtype = standardize_dtype(dtype)
        shape = tuple(int(d) for d in (shape if shape is not None else ()))
        agg = aggregation
        if isinstance(agg, str) or agg is None:
            key = agg.lower() if isinstance(agg, str) else None
            if key not in _AGGREGATIONS:
                raise ValueError(f"Metric.add_variable: invalid aggregation {aggregation!r}; "
                                 f"expected one of 'none', 'sum', 'mean', "
                                 f"'only_first_replica'")
            agg = _AGGREGATIONS[key]
        # on_read, as Keras 3: under a tf.distribute strategy each worker accumulates its
        # own values, summed over the workers when read across replicas (epoch logs)
        var = ember.Variable(_initial_value_fn(initializer, shape, dtype), trainable=False,
                             name=name or "variable", dtype=dtype, aggregation=agg,
                             synchronization=ember.VariableSynchronization.ON_READ)
        self._variables.append(var)
        return var

    def add_weight(self, *args, **kwargs):
        """Backwards-compatible alias of ``add_variable``: Keras 3's
        ``add_weight(shape=(), initializer=None, dtype=None, name=None)`` and tf.keras's
        ``add_weight(name, shape=(), aggregation=..., synchronization=..., initializer=None,
        dtype=None)``."""
        if args and isinstance(args[0], str):
            names = ("name", "shape", "aggregation", "synchronization", "initializer", "dtype")
        else:
            names = ("shape", "initializer", "dtype", "name")
        if len(args) > len(names):
            raise TypeError(f"add_weight: too many positional arguments ({len(args)})")
        for key, value in zip(names, args):
            if key in kwargs:
                raise TypeError(f"add_weight: got multiple values for argument '{key}'")
            kwargs[key] = value
        shape = kwargs.pop("shape", ())
        initializer = kwargs.pop("initializer", None)
        dtype = kwargs.pop("dtype", None)
        name = kwargs.pop("name", None)
        kwargs.pop("synchronization", None)
        kwargs.pop("trainable", None)
        aggregation = kwargs.pop("aggregation", "sum")
        if aggregation is not None and not isinstance(aggregation, str):
            aggregation = {0: "none", 1: "sum", 2: "mean", 3: "only_first_replica"}.get(
                aggregation, "sum")
        if kwargs:
            raise TypeError(f"add_weight: unexpected keyword argument(s) {sorted(kwargs)}")
        return self.add_variable(shape, initializer, dtype=dtype, aggregation=aggregation,
                                 name=name)

    @property
    def variables(self):
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    @property
    def non_trainable_variables(self):
        return self.variables

    @property
    def trainable_variables(self):
        return []

    weights = variables
    non_trainable_weights = non_trainable_variables
    trainable_weights = trainable_variables

    def reset_state(self):
        """Sets every state variable back to zero."""
        for v in self.variables:
            v.assign(ember.zeros(v.shape, dtype=v.dtype))

    def reset_states(self):
        return self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def __call__(self, *args, **kwargs):
        """Updates the state with the arguments, then returns ``result()``."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # -- config ------------------------------------------------------------------------
    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
