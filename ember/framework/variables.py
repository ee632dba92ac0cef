"""ember.Variable: mutable state that ops read like a tensor and tapes watch."""
from __future__ import annotations

import contextvars
import threading

import numpy as np

from ember.framework import dtypes
from ember.framework.context import context, current as _current, new_state as _new_state
from ember.framework.errors import FailedPreconditionError
from ember.framework.hooks import default_session, library
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape
from ember.framework.errors import InvalidArgumentError

__all__ = ["Variable", "VariableSynchronization", "VariableAggregation", "StatelessScope"]

_STATELESS = contextvars.ContextVar("ember_stateless_scope", default=None)


class StatelessScope:
    """Runs code against substitute variable values without changing any variable.

    Inside ``with StatelessScope({variable: value, ...}) as scope:``, reading a mapped
    variable gives its substitute, and ``assign``/``assign_add``/``assign_sub`` on any
    variable are recorded in the scope (later reads in the scope see them) instead of
    changing the variable. ``scope.get_current_value(v)`` is v's value in the scope (None
    if it was neither mapped nor assigned). The scope is per thread (and per asyncio task);
    scopes nest, an inner one starting from the values the outer one holds.
    """

    def __init__(self, mapping=None):
        self._values = {}              # id(variable) -> (variable, tensor)
        items = mapping.items() if isinstance(mapping, dict) else (mapping or ())
        for variable, value in items:
            if not getattr(variable, "_is_ember_variable", False):
                raise TypeError(f"StatelessScope: the mapping's keys must be variables, got "
                                f"{type(variable).__name__}")
            self._values[id(variable)] = (variable, variable._scope_value(value))
        self._token = None
        self._outer = None

    def get_current_value(self, variable):
        found = self._values.get(id(variable))
        if found is not None:
            return found[1]
        if self._outer is not None:
            return self._outer.get_current_value(variable)
        return None

    def add_update(self, variable, value):
        """Records ``value`` as ``variable``'s value in this scope."""
        self._values[id(variable)] = (variable, variable._scope_value(value))

    def __enter__(self):
        self._outer = _STATELESS.get()
        self._token = _STATELESS.set(self)
        return self

    def __exit__(self, *exc):
        _STATELESS.reset(self._token)
        self._token = None
        return False


def current_stateless_scope():
    """The calling thread's innermost StatelessScope, or None."""
    return _STATELESS.get()


def uninitialized_error(variable):
    """The error for reading a v1 graph variable whose initializer has not run."""
    return FailedPreconditionError(f"Attempting to use uninitialized value "
                                   f"{variable.name[:-2]}")


_creators = threading.local()


def _creator_stack():
    """This thread's variable creators (``tf.variable_creator_scope``), outermost first."""
    stack = getattr(_creators, "stack", None)
    if stack is None:
        stack = _creators.stack = []
    return stack


_CREATOR_ARGS = ("initial_value", "trainable", "validate_shape", "caching_device", "name",
                 "variable_def", "dtype", "import_scope", "constraint", "synchronization",
                 "aggregation", "shape")


def _creator_kwargs(args, kwargs):
    """A Variable(...) call's arguments by name, as creators receive them."""
    out = dict(zip(_CREATOR_ARGS, args))
    out.update(kwargs)
    out.pop("experimental_enable_variable_lifting", None)
    return out


# called with each variable made with a value (ember.distribute registers one: variables
# made under a strategy's scope become the strategy's)
creation_hooks = []


class VariableSynchronization:
    AUTO, NONE, ON_WRITE, ON_READ = 0, 1, 2, 3


class VariableAggregation:
    NONE, SUM, MEAN, ONLY_FIRST_REPLICA = 0, 1, 2, 3


class Variable:
    """A tensor-valued variable: ``assign``, ``assign_add``, ``assign_sub``, and usable
    wherever a tensor is.

    >>> v = ember.Variable([1.0, 2.0], name="v")
    >>> v.assign_add([1.0, 1.0]).numpy()
    array([2., 3.], dtype=float32)
    """

    _is_ember_variable = True
    __array_priority__ = 100
    _exposed = True   # the current array may be held outside (reads): update by replacing it

    def __new__(cls, *args, **kwargs):
        creators = _creator_stack()
        if not creators or cls.__init__ is not Variable.__init__:
            return super().__new__(cls)
        # tf.variable_creator_scope: the innermost creator first, each given the next
        kwargs = _creator_kwargs(args, kwargs)

        def base(**kw):
            obj = super(Variable, cls).__new__(cls)
            saved = creators[:]
            creators.clear()          # creators already ran: a plain construction now
            try:
                obj.__init__(**kw)
            finally:
                creators[:] = saved
            obj._made_by_creator = True
            return obj

        make = base
        for creator in creators:
            make = (lambda c, nxt: lambda **kw: c(nxt, **kw))(creator, make)
        return make(**kwargs)

    def __init__(self, initial_value=None, trainable=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None,
                 import_scope=None, constraint=None, synchronization=VariableSynchronization.AUTO,
                 aggregation=VariableAggregation.NONE, shape=None, experimental_enable_variable_lifting=True):
        if self.__dict__.get("_made_by_creator"):
            return          # built by the creator chain in __new__ (Python calls __init__ again)
        if initial_value is None:
            raise ValueError("The initial_value must be specified.")
        graph = context.graph
        if callable(initial_value):
            if graph is not None and graph.is_function_graph:
                with graph.init_scope():
                    initial_value = initial_value()
            elif graph is not None:
                # a v1 variable's initial value ignores the enclosing control dependencies
                # (an optimizer's slots are made inside `control_dependencies(update_ops)`)
                with graph.control_dependencies(None):
                    initial_value = initial_value()
            else:
                initial_value = initial_value()
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
        self._initializer_op = None
        if isinstance(initial_value, Tensor) and not isinstance(initial_value, EagerTensor):
            known = getattr(initial_value, "_constant_value", None)
            if graph is not None and not graph.is_function_graph and \
                    initial_value.graph is graph:
                # TF1: a graph variable has no value until its initializer runs
                self._init_deferred(graph, initial_value, trainable, name, dtype, constraint,
                                    synchronization, aggregation, shape)
                return
            if known is not None:
                initial_value = known
            elif graph is not None and not graph.is_function_graph:
                self._init_deferred(graph, initial_value, trainable, name, dtype, constraint,
                                    synchronization, aggregation, shape)
                return
            else:
                raise TypeError(
                    "ember.Variable needs a concrete initial value; got a symbolic tensor "
                    "computed inside a traced function. Create the variable outside the "
                    "function, or pass a callable (e.g. an initializer) as initial_value.")
        t = convert_to_tensor(initial_value, dtype_hint=dtype) if dtype is None or \
            isinstance(initial_value, (Tensor, np.ndarray)) else \
            convert_to_tensor(initial_value, dtype=dtype)
        arr = np.array(t._value, copy=True)
        if dtype is not None and arr.dtype != dtype.np:
            arr = arr.astype(dtype.np)
        self._array = arr
        self._exposed = False
        self._shape = TensorShape(shape) if shape is not None else TensorShape(arr.shape)
        if validate_shape and not self._shape.is_compatible_with(arr.shape):
            raise ValueError(f"Variable {name}: initial value shape {arr.shape} is incompatible "
                             f"with shape {self._shape}")
        self._dtype = dtypes.from_numpy(arr.dtype)
        self._set_identity(trainable, name, constraint, synchronization, aggregation)
        if graph is not None and not graph.is_function_graph:
            self._register_in_graph(graph, EagerTensor(arr))
        for hook in creation_hooks:
            hook(self)

    def _set_identity(self, trainable, name, constraint, synchronization, aggregation):
        if trainable is None:
            trainable = synchronization != VariableSynchronization.ON_READ
        self._trainable = bool(trainable)
        base = name if name is not None else "Variable"
        if context.eager_scope and context.graph is None and not base.endswith(":0"):
            base = context.eager_scope[-1] + base
        self._name = base if base.endswith(":0") else base + ":0"
        self._constraint = constraint
        self._synchronization = synchronization
        self._aggregation = aggregation

    def _init_deferred(self, graph, initial_value, trainable, name, dtype, constraint,
                       synchronization, aggregation, shape):
        """A v1 graph variable whose value exists once its initializer has run."""
        if dtype is not None and initial_value.dtype is not dtype:
            initial_value = library.cast(initial_value, dtype)
        self._array = None
        self._dtype = initial_value.dtype
        self._shape = TensorShape(shape) if shape is not None else initial_value.shape
        self._set_identity(trainable, name, constraint, synchronization, aggregation)
        self._register_in_graph(graph, initial_value)

    def _register_in_graph(self, graph, initial_value):
        self._graph = graph
        self._name = graph.unique_name(self._name[:-2]) + ":0"
        self._initial_value = initial_value
        with graph.control_dependencies(None):
            self._initializer_op = graph.assign_variable(self, "assign", initial_value).op
        graph.variables.append(self)
        graph.add_to_collection("variables", self)
        if self._trainable:
            graph.add_to_collection("trainable_variables", self)

    @property
    def initializer(self):
        """The v1 graph operation that (re)sets the initial value."""
        return self._initializer_op

    @property
    def graph(self):
        return getattr(self, "_graph", None)

    # -- identity ----------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return self._array.ndim

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def constraint(self):
        return self._constraint

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def initial_value(self):
        init = getattr(self, "_initial_value", None)
        return init if init is not None else EagerTensor(self._array)

    def get_shape(self):
        return self.shape

    def ref(self):
        from ember.framework.tensor import _Ref
        return _Ref(self)

    experimental_ref = ref

    def __hash__(self):
        return id(self)

    # -- reading -----------------------------------------------------------------------
    def value(self):
        """The current value as a tensor (recorded on tapes that watch this variable)."""
        scope = _STATELESS.get()
        if scope is not None:
            found = scope.get_current_value(self)
            if found is not None:
                return found
        st = _current(None) or _new_state()
        if st.graph is not None:
            return st.graph.read_variable(self)
        t = EagerTensor(self._array)
        self._exposed = True
        if st.tapes:
            for tape in st.tapes:
                tape._variable_read(self, t)
        return t

    def read_value(self):
        return self.value()

    def eval(self, session=None):
        """TF1: the value, through ``session`` or the default session (eagerly: numpy())."""
        session = session or default_session()
        if session is None:
            return self.numpy()
        return session.run(self)

    def initialized_value(self):
        return self.value()

    def load(self, value, session=None):
        self.assign(value) if context.graph is None else setattr(
            self, "_array", np.array(value, dtype=self._dtype.np))

    def _scope_value(self, value):
        """``value`` as a tensor of this variable's dtype and shape (StatelessScope)."""
        t = convert_to_tensor(value, dtype=self.dtype)
        if t.shape.is_fully_defined() and self._array is not None and \
                tuple(t.shape.as_list()) != self._array.shape:
            raise ValueError(f"StatelessScope: the value for variable {self.name} has shape "
                             f"{t.shape}, expected {TensorShape(self._array.shape)}")
        return t

    def _stateless_update(self, scope, kind, value):
        if kind == "assign":
            new = value
        else:
            current = self.value()
            delta = convert_to_tensor(value, dtype=self.dtype)
            new = current + delta if kind == "assign_add" else current - delta
        scope.add_update(self, new)
        return self

    def numpy(self):
        scope = _STATELESS.get()
        if scope is not None and scope.get_current_value(self) is not None:
            return scope.get_current_value(self).numpy()
        a = self._array
        if a is None:
            raise uninitialized_error(self)
        return a[()] if a.ndim == 0 else a.copy()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and self._array.dtype != dtype:
            return self._array.astype(dtype)
        if copy:
            return self._array.copy()
        self._exposed = True
        return self._array

    def __bool__(self):
        return bool(self._array)

    def __float__(self):
        return float(self._array)

    def __int__(self):
        return int(self._array)

    def __index__(self):
        return self.value().__index__()

    def __len__(self):
        return len(self._array)

    def __iter__(self):
        return iter(self.value())

    def __repr__(self):
        from ember.framework.tensor import _numpy_text
        v = self._array
        if v is None:       # a v1 graph variable whose initializer has not run
            return (f"<ember.Variable '{self._name}' shape={self.shape} "
                    f"dtype={self._dtype.name}>")
        return (f"<ember.Variable '{self._name}' shape={TensorShape(v.shape)} "
                f"dtype={self._dtype.name}, numpy={_numpy_text(v, repr)}>")

    # -- writing -----------------------------------------------------------------------
    def _coerce(self, value, what):
        """``value`` as an array of this variable's dtype and shape (None if symbolic)."""
        if what != "assign" and self._dtype is dtypes.string:
            raise InvalidArgumentError(f"Cannot {what} to variable '{self._name}' of dtype "
                                       f"string: only assign takes strings")
        if isinstance(value, Tensor) and not isinstance(value, EagerTensor):
            return None
        if getattr(value, "_is_ember_variable", False):
            value = value.value()
        if isinstance(value, Tensor):
            if value.dtype is not self._dtype:
                raise ValueError(f"Cannot {what} a {value.dtype.name} tensor to variable "
                                 f"'{self._name}' of dtype {self._dtype.name}")
            arr = np.asarray(value._value)
        else:
            arr = convert_to_tensor(value, dtype=self._dtype)._value
        if arr.shape != self._array.shape and (
                self._shape.is_fully_defined() or not self._shape.is_compatible_with(arr.shape)):
            raise ValueError(
                f"Cannot {what} value to variable '{self._name}': Shape mismatch. The "
                f"variable shape {TensorShape(self._array.shape)}, and the assigned value "
                f"shape {TensorShape(arr.shape)} are incompatible.")
        return arr

    def _graph_assign(self, kind, value):
        return context.graph.assign_variable(self, kind, value)

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Sets the value; returns the variable (or None when ``read_value=False``)."""
        scope = _STATELESS.get()
        if scope is not None:
            self._stateless_update(scope, "assign", value)
            return self if read_value else None
        if context.graph is not None:
            return self._graph_assign("assign", value)
        arr = self._coerce(value, "assign")
        if arr is None:
            return self._graph_assign("assign", value)
        self._array = np.array(arr, copy=True)
        self._exposed = False
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        scope = _STATELESS.get()
        if scope is not None:
            self._stateless_update(scope, "assign_add", delta)
            return self if read_value else None
        if context.graph is not None:
            return self._graph_assign("assign_add", delta)
        arr = self._coerce(delta, "assign_add")
        if arr is None:
            return self._graph_assign("assign_add", delta)
        self._array = self._array + arr
        self._exposed = False
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        scope = _STATELESS.get()
        if scope is not None:
            self._stateless_update(scope, "assign_sub", delta)
            return self if read_value else None
        if context.graph is not None:
            return self._graph_assign("assign_sub", delta)
        arr = self._coerce(delta, "assign_sub")
        if arr is None:
            return self._graph_assign("assign_sub", delta)
        self._array = self._array - arr
        self._exposed = False
        return self if read_value else None

    def _set_array(self, arr):
        """Replaces the value without checks (optimizers and executors that own the math)."""
        self._array = arr
        self._exposed = True
