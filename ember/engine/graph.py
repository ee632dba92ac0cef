"""Graphs: Operation nodes and SymbolicTensors, built by the same dispatcher that runs eagerly.

While a graph is being built (``context.graph``), ``execute`` calls ``Graph.create_op``:
the op's ``infer`` gives the outputs' shapes and dtypes, and nothing runs. Inputs from
outside are brought in: eager tensors become ``Const`` nodes, tensors of an enclosing
graph become captured placeholders (for branch and loop bodies), variables are read
through ``ReadVariableOp`` nodes that refer to the variable object.
"""
from __future__ import annotations

import contextlib
import re
import threading

import numpy as np

from ember.framework import dtypes
from ember.framework.context import context, settings
from ember.framework.errors import InvalidArgumentError
from ember.framework.hooks import default_session, library
from ember.runtime.fastpath import update_in_place
from ember.runtime.rows import scatter_into
from ember.runtime.parallel import ForkSafeLock
from ember.framework.op import Op, Spec, normalize_inferred
from ember.framework.tensor import EagerTensor, Tensor
from ember.framework.tensor_shape import TensorShape, as_shape
from ember.framework.variables import uninitialized_error
from ember.framework.op import string_error

__all__ = ["Graph", "FuncGraph", "Operation", "SymbolicTensor", "init_scope", "name_scope"]

# Values at most this large are computed while the graph is built, when all inputs are known:
# shape arithmetic then stays exact, and constant folding has already happened.
_FOLD_LIMIT = 4096


class SymbolicTensor(Tensor):
    """An output of a graph Operation: known shape (maybe partly) and dtype, no value."""

    __slots__ = ("op", "value_index", "_shape", "_dtype", "_constant_value", "__weakref__")

    def __init__(self, op, value_index, shape, dtype):
        self.op = op
        self.value_index = value_index
        self._shape = shape
        self._dtype = dtype
        self._constant_value = None

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self):
        return self.op.graph

    @property
    def name(self):
        return f"{self.op.name}:{self.value_index}"

    @property
    def device(self):
        return ""

    def set_shape(self, shape):
        self._shape = self._shape.merge_with(as_shape(shape))

    def __hash__(self):
        # Graph tensors are feed_dict keys in TF1 code, so they hash by identity.
        return id(self)

    def __eq__(self, other):
        if not settings.eager_default:
            return self is other
        return library.equal_any(self, other)

    def __ne__(self, other):
        if not settings.eager_default:
            return self is not other
        return library.not_equal_any(self, other)

    def consumers(self):
        return [op for op in self.op.graph._operations if self in op.inputs]

    def eval(self, feed_dict=None, session=None):
        session = session or default_session()
        if session is None:
            raise ValueError("Cannot evaluate tensor using `eval()`: No default session is "
                             "registered. Use `with sess.as_default()` or pass session=")
        return session.run(self, feed_dict=feed_dict)

    def numpy(self):
        raise TypeError(f"Tensor {self.name} is symbolic (it belongs to a graph being built) "
                        f"and has no value; .numpy() works on eager tensors only. Return it "
                        f"from the ember.function, or fetch it with Session.run.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"Cannot convert the symbolic tensor {self.name} to a NumPy array: it "
                        f"has no value while the graph is being built.")

    def __bool__(self):
        raise TypeError(
            f"Using the symbolic tensor {self.name} as a Python bool is not allowed: its value "
            f"is unknown while tracing. Use ember.cond(pred, true_fn, false_fn) for branches "
            f"and ember.while_loop(cond, body, loop_vars) for loops on tensor values.")

    def __len__(self):
        d = self._shape[0] if self._shape.rank else None
        if d is None:
            raise TypeError(f"len() of the symbolic tensor {self.name} with unknown first "
                            f"dimension (shape {self._shape}) is not defined while tracing.")
        return d

    def __iter__(self):
        d = self._shape[0] if self._shape.rank else None
        if d is None:
            raise TypeError(
                f"Iterating over the symbolic tensor {self.name} (shape {self._shape}) is not "
                f"allowed while tracing; use ember.while_loop or ember.unstack with a known "
                f"size.")
        return iter(library.unstack(self, num=d))

    def __index__(self):
        raise TypeError(f"The symbolic tensor {self.name} cannot be used as a Python int while "
                        f"tracing.")

    def __float__(self):
        raise TypeError(f"The symbolic tensor {self.name} cannot be converted to a Python "
                        f"float while tracing.")

    __int__ = __float__

    def __repr__(self):
        return f"<ember.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    __str__ = __repr__


class Operation:
    """A node: an op type applied to input tensors, with attributes, making output tensors."""

    def __init__(self, graph, op, name, inputs, attrs, control_inputs=()):
        self.graph = graph
        self.op_def = op
        self.name = name
        self.inputs = list(inputs)
        self.attrs = attrs
        self.control_inputs = list(control_inputs)
        self.outputs = []
        self.needs = None   # set by the backward walker: which inputs want gradients

    @property
    def type(self):
        return self.op_def.name

    # OpCall compatibility: the backward walker reads .op
    @property
    def op(self):
        return self.op_def

    def get_attr(self, name):
        return self.attrs[name]

    def values(self):
        return tuple(self.outputs)

    def run(self, feed_dict=None, session=None):
        session = session or default_session()
        if session is None:
            raise ValueError("Cannot run operation: no default session is registered")
        session.run(self, feed_dict=feed_dict)

    def __repr__(self):
        ins = ", ".join(t.name for t in self.inputs)
        return f"<ember.Operation '{self.name}' type={self.type} inputs=[{ins}]>"


class _Const(Op):
    name = "Const"
    strings = True
    differentiable = False

    def infer(self, inputs, value):
        return value.shape, dtypes.from_numpy(value.dtype)

    def kernel(self, xp, value):
        return value


class _Placeholder(Op):
    name = "Placeholder"
    strings = True
    differentiable = False

    def infer(self, inputs, dtype, shape):
        return shape, dtype

    def kernel(self, xp, dtype, shape):
        raise InvalidArgumentError(
            f"You must feed a value for placeholder tensor with dtype {dtype.name} and shape "
            f"{shape}")


class _ReadVariableGraph(Op):
    """Reads a variable's current value when the graph runs (the variable by reference).

    ``for_update=True`` (set by the compiler for a fused kernel that writes the variable's
    new value into the buffer it read): a buffer that no one outside the plan holds, the
    variable's own array unless an eager read handed it out, else a copy of it."""

    name = "ReadVariable"
    strings = True
    differentiable = False  # tapes record reads through tape._variable_read instead
    stateful = True

    def infer(self, inputs, variable, for_update=False):
        return variable.shape, variable.dtype

    def kernel(self, xp, variable, for_update=False):
        arr = variable._array
        if arr is None:
            from ember.framework.errors import FailedPreconditionError
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {variable.name[:-2]}: run its "
                f"initializer (e.g. Session.run(global_variables_initializer())) first")
        if for_update and (variable._exposed or type(arr) is not np.ndarray or
                           not arr.flags.writeable):
            return np.array(arr, copy=True)
        return arr


SCATTER_KINDS = ("scatter_update", "scatter_add", "scatter_sub", "scatter_mul", "scatter_div",
                 "scatter_min", "scatter_max", "scatter_nd_update", "scatter_nd_add",
                 "scatter_nd_sub")


class _AssignVariable(Op):
    """Sets (or adds to / subtracts from) a variable when the graph runs; outputs the new value.

    The ``scatter_*`` kinds take ``(indices, updates)`` and change only the rows (or, for
    ``scatter_nd_*``, the elements) the indices name."""

    name = "AssignVariable"
    strings = True
    differentiable = False
    stateful = True

    def infer(self, inputs, variable, kind):
        value = inputs[-1]
        if value.dtype is not variable.dtype:
            raise InvalidArgumentError(
                f"Cannot {kind} a {value.dtype.name} value to variable '{variable.name}' of "
                f"dtype {variable.dtype.name}")
        if kind not in ("assign", "scatter_update", "scatter_nd_update") and \
                value.dtype is dtypes.string:
            raise InvalidArgumentError(f"Cannot {kind} to variable '{variable.name}' of "
                                       f"dtype string: only assign takes strings")
        if kind in SCATTER_KINDS:
            _check_scatter_shapes(kind, variable, inputs[0], value)
        elif not value.shape.is_compatible_with(variable.shape):
            raise ValueError(
                f"Cannot {kind} value to variable '{variable.name}': Shape mismatch. The "
                f"variable shape {variable.shape}, and the assigned value shape {value.shape} "
                f"are incompatible.")
        return variable.shape, variable.dtype

    def kernel(self, xp, *values, variable, kind, in_place=False, own_value=False):
        old = variable._array
        value = values[-1]
        if kind == "assign":
            if own_value and type(value) is np.ndarray and value.dtype == variable.dtype.np:
                new = value
            else:
                new = np.array(value, dtype=variable.dtype.np, copy=True)
        elif old is None:
            raise uninitialized_error(variable)
        elif kind in SCATTER_KINDS:
            new = old if in_place and not variable._exposed and type(old) is np.ndarray \
                else np.array(old, copy=True)
            index = _scatter_index(kind, variable, values[0], old.shape)
            rows = index[0].size if isinstance(index, tuple) else index.size
            inner = old.shape[len(index):] if isinstance(index, tuple) else old.shape[1:]
            scatter_into(new, kind.rsplit("_", 1)[1], index,
                         np.asarray(value, dtype=old.dtype).reshape((rows,) + inner))
        elif in_place and not variable._exposed and type(old) is np.ndarray and \
                _fits_into(value, old):
            update_in_place(np.add if kind == "assign_add" else np.subtract, old, value)
            return old
        elif kind == "assign_add":
            new = old + value
        else:
            new = old - value
        if old is not None and new.shape != old.shape and variable.shape.is_fully_defined():
            raise InvalidArgumentError(
                f"Cannot {kind} value of shape {new.shape} to variable '{variable.name}' of "
                f"shape {variable.shape}")
        variable._array = new
        variable._exposed = False
        return new


def _check_scatter_shapes(kind, variable, indices, updates):
    if not indices.dtype.is_integer:
        raise TypeError(f"{kind} on variable '{variable.name}': indices must be integers, "
                        f"got {indices.dtype.name}")
    vshape, ishape = variable.shape, indices.shape
    if vshape.rank is None or ishape.rank is None or updates.shape.rank is None:
        return
    if kind.startswith("scatter_nd_"):
        k = ishape[-1] if ishape.rank else None
        if k is None:
            return
        if k > vshape.rank:
            raise InvalidArgumentError(
                f"{kind} on variable '{variable.name}': the last dimension of indices ({k}) "
                f"must be at most the variable's rank {vshape.rank}")
        want = ishape[:-1].concatenate(vshape[k:])
    else:
        want = ishape.concatenate(vshape[1:])
    if not updates.shape.is_compatible_with(want):
        raise InvalidArgumentError(
            f"{kind} on variable '{variable.name}' of shape {vshape}: updates of shape "
            f"{updates.shape} do not match indices of shape {ishape} (expected updates of "
            f"shape {want})")


def _scatter_index(kind, variable, indices, shape):
    idx = np.asarray(indices)
    if kind.startswith("scatter_nd_"):
        k = idx.shape[-1]
        bad = np.any((idx < 0) | (idx >= np.asarray(shape[:k])), axis=-1) if idx.size else \
            np.zeros(idx.shape[:-1], bool)
        if bad.any():
            pos = tuple(int(p) for p in np.argwhere(bad)[0])
            raise InvalidArgumentError(
                f"{kind} on variable '{variable.name}': indices{list(pos)} = "
                f"{idx[pos].tolist()} does not index into shape {list(shape)}")
        return tuple(np.moveaxis(idx.reshape(-1, k), -1, 0))
    if idx.size and (idx.min() < 0 or idx.max() >= shape[0]):
        bad = int(idx.max() if idx.max() >= shape[0] else idx.min())
        raise InvalidArgumentError(
            f"{kind} on variable '{variable.name}': index {bad} is not in [0, {shape[0]})")
    return idx.reshape(-1)


def _fits_into(value, buf):
    shape = np.shape(value)
    return shape == buf.shape or (len(shape) <= buf.ndim and
                                  np.broadcast_shapes(shape, buf.shape) == buf.shape)


class _NoOp(Op):
    name = "NoOp"
    strings = True
    differentiable = False
    stateful = True
    num_outputs = 0

    def output_count(self, attrs):
        return 0

    def infer(self, inputs):
        return []

    def kernel(self, xp, *arrays):
        return ()


CONST = _Const()
PLACEHOLDER = _Placeholder()
READ_VARIABLE = _ReadVariableGraph()
ASSIGN_VARIABLE = _AssignVariable()
NO_OP = _NoOp()


class _GraphThreadState(threading.local):
    def __init__(self):
        self.scope = []
        self.control = []
        self.gradient_overrides = []     # gradient_override_map dicts, innermost last


class Graph:
    """A dataflow graph of Operations. ``with g.as_default():`` builds ops into it."""

    is_function_graph = False

    def __init__(self):
        self._operations = []
        self._names = {}
        self._per_thread = _GraphThreadState()   # name scopes, control dependencies
        self._lock = ForkSafeLock()              # ops added from several threads at once
        self._const_cache = {}
        self._variable_reads = {}
        self._assigned = set()       # ids of variables this graph assigns
        self._collections = {}
        self._building = True
        self._version = 0
        self.variables = []          # variables created in this graph (v1 style)
        self.seed = None

    # name scopes and control dependencies are per thread, as in TensorFlow: two threads
    # building into one graph (a v1 default graph) each see only their own
    @property
    def _scope(self):
        return self._per_thread.scope

    @_scope.setter
    def _scope(self, value):
        self._per_thread.scope = value

    @property
    def _control_stack(self):
        return self._per_thread.control

    @_control_stack.setter
    def _control_stack(self, value):
        self._per_thread.control = value

    @staticmethod
    def init_scope():
        """``ember.init_scope()``: for core types that hold a graph but do not import the
        engine (a variable's initializer in a traced function)."""
        return init_scope()

    # -- building ----------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self):
        """Makes this the graph that ops are added to."""
        prev = context.graph
        context.graph = self
        try:
            yield self
        finally:
            context.graph = prev

    def unique_name(self, name, mark_as_used=True):
        base = "/".join(self._scope + [name]) if self._scope else name
        n = self._names.get(base.lower(), 0)
        out = base if n == 0 else f"{base}_{n}"
        while n and out.lower() in self._names:
            n += 1
            out = f"{base}_{n}"
        if mark_as_used:
            self._names[base.lower()] = n + 1
            if out.lower() != base.lower():
                self._names[out.lower()] = 1
        return out

    @contextlib.contextmanager
    def name_scope(self, name):
        if name:
            self._scope.append(name.rstrip("/"))
        try:
            yield "/".join(self._scope) + "/"
        finally:
            if name:
                self._scope.pop()

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Operations created in this block run after ``control_inputs``."""
        if control_inputs is None:
            saved, self._control_stack = self._control_stack, []
            try:
                yield
            finally:
                self._control_stack = saved
            return
        ops = [c.op if isinstance(c, SymbolicTensor) else c for c in control_inputs
               if c is not None]
        self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Operations of the types in ``op_type_map`` made in this block use the gradient
        registered (``tf.RegisterGradient``) under the mapped name."""
        if not isinstance(op_type_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()):
            raise TypeError("op_type_map must be a dictionary mapping strings to strings")
        self._per_thread.gradient_overrides.append(dict(op_type_map))
        try:
            yield
        finally:
            self._per_thread.gradient_overrides.pop()

    def _add_operation(self, op, inputs, attrs, name, out_specs):
        control = [c for group in self._control_stack for c in group]
        with self._lock:
            node = Operation(self, op, self.unique_name(name or op.name), inputs, attrs,
                             control)
            for overrides in reversed(self._per_thread.gradient_overrides):
                if op.name in overrides:
                    node._gradient_override = overrides[op.name]
                    break
            node.outputs = [SymbolicTensor(node, i, s, d)
                            for i, (s, d) in enumerate(out_specs)]
            self._operations.append(node)
            self._version += 1
        return node

    def _bring_in(self, t):
        """An input tensor as a tensor of this graph (constants and captures made here)."""
        if isinstance(t, SymbolicTensor):
            if t.op.graph is self:
                return t
            return self.capture(t)
        if isinstance(t, EagerTensor):
            return self.constant(t._value)
        if getattr(t, "_is_ember_variable", False):
            return self.read_variable(t)
        raise TypeError(f"Cannot use {type(t).__name__} {t!r} as an op input in a graph")

    def capture(self, t):
        raise InvalidArgumentError(
            f"Tensor {t.name} belongs to another graph; tensors cannot be shared between "
            f"graphs (create it in this graph, or feed its value).")

    def constant(self, value, name="Const"):
        key = id(value)
        hit = self._const_cache.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        arr = np.asarray(value)
        node = self._add_operation(CONST, [], {"value": arr}, name,
                                   [(TensorShape(arr.shape), dtypes.from_numpy(arr.dtype))])
        out = node.outputs[0]
        out._constant_value = arr
        self._const_cache[key] = (value, out)
        return out

    def create_op(self, op, inputs, attrs, name=None):
        """The graph-building half of ``execute``: adds a node, returns its outputs."""
        if not self._building and not self.is_function_graph:
            raise RuntimeError(f"Graph is finalized and cannot be modified (adding a "
                               f"{op.name} op).")
        inputs = [self._bring_in(t) for t in inputs]
        specs = [Spec(t._shape, t._dtype, t._constant_value) for t in inputs]
        if op.check_strings and any(s.dtype is dtypes.string for s in specs):
            raise string_error(op, inputs, attrs)
        try:
            inferred = normalize_inferred(op.infer(specs, **attrs))
        except InvalidArgumentError:
            raise
        except (ValueError, TypeError) as e:
            msg = str(e)
            raise InvalidArgumentError(msg if f"[Op:{op.name}]" in msg else
                                       f"{msg} [Op:{op.name}]") from None
        node = self._add_operation(op, inputs, attrs, name, inferred)
        outs = node.outputs
        if not op.stateful and inputs and all(s.value is not None for s in specs) and \
                all(np.size(s.value) <= _FOLD_LIMIT for s in specs) and op.name != "Const":
            self._fold(node, specs)
        elif not op.stateful:
            static = op.fold_static(specs, **attrs)
            if static is not None:
                for t, v in zip(outs, static if isinstance(static, tuple) else (static,)):
                    t._constant_value = np.asarray(v)
        if context.tapes and op.differentiable:
            from ember.engine.tape import record
            record(op, tuple(inputs), tuple(outs), attrs)
        return list(outs) if op.multi_output else outs[0]

    def _fold(self, node, specs):
        try:
            result = node.op_def.kernel(np, *[s.value for s in specs], **node.attrs)
        except Exception:  # leave it to run time, where the error is reported in context
            return
        values = result if isinstance(result, tuple) else (result,)
        if len(values) != len(node.outputs):
            return
        for t, v in zip(node.outputs, values):
            v = np.asarray(v)
            if v.size <= _FOLD_LIMIT:
                t._constant_value = v
                if t._shape.rank is None or not t._shape.is_fully_defined():
                    t._shape = TensorShape(v.shape)

    def placeholder(self, dtype, shape=None, name="Placeholder"):
        dtype = dtypes.as_dtype(dtype)
        shape = as_shape(shape)
        node = self._add_operation(PLACEHOLDER, [], {"dtype": dtype, "shape": shape}, name,
                                   [(shape, dtype)])
        return node.outputs[0]

    def read_variable(self, variable):
        node = self._add_operation(READ_VARIABLE, [], {"variable": variable},
                                   _var_base(variable) + "/Read",
                                   [(variable.shape, variable.dtype)])
        out = node.outputs[0]
        self._variable_reads.setdefault(id(variable), []).append(out)
        if context.tapes:
            for tape in context.tapes:
                tape._variable_read(variable, out)
        return out

    def assign_variable(self, variable, kind, value, indices=None):
        """Adds an update of ``variable`` (``kind``: assign, assign_add, assign_sub, or a
        ``scatter_*`` kind with ``indices``) and returns the new value."""
        from ember.framework.tensor import convert_to_tensor
        if isinstance(value, SymbolicTensor):
            t = value
        elif getattr(value, "_is_ember_variable", False):
            t = value.value()
        else:
            t = convert_to_tensor(value, dtype=variable.dtype) if not isinstance(value, Tensor) \
                else value
        inputs = [self._bring_in(t)]
        if indices is not None:
            if not isinstance(indices, Tensor):
                indices = convert_to_tensor(indices)
            inputs.insert(0, self._bring_in(indices))
        self._assigned.add(id(variable))
        specs = [Spec(x._shape, x._dtype, x._constant_value) for x in inputs]
        attrs = {"variable": variable, "kind": kind}
        inferred = normalize_inferred(ASSIGN_VARIABLE.infer(specs, **attrs))
        node = self._add_operation(ASSIGN_VARIABLE, inputs, attrs,
                                   _var_base(variable) + "/" + kind.title().replace("_", ""),
                                   inferred)
        return node.outputs[0]

    # -- inspection ------------------------------------------------------------------------
    def get_operations(self):
        return list(self._operations)

    def get_operation_by_name(self, name):
        for op in self._operations:
            if op.name == name:
                return op
        raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")

    def get_tensor_by_name(self, name):
        if ":" not in name:
            raise ValueError(f"The name '{name}' looks like an Operation name; tensor names "
                             f"look like 'op_name:0'")
        alias = self.__dict__.get("_tensor_aliases", {}).get(name)
        if alias is not None:       # an imported node whose outputs several ops make
            return alias
        op_name, idx = name.rsplit(":", 1)
        op = self.get_operation_by_name(op_name)
        return op.outputs[int(idx)]

    def as_graph_element(self, obj):
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else \
                self.get_operation_by_name(obj)
        return obj

    def as_graph_def(self, from_version=None, add_shapes=False):
        """This graph as TensorFlow's ``GraphDef`` proto (needs the optional tensorboard
        package, which ships TensorFlow's protos); ``add_shapes`` adds each node's
        ``_output_shapes``."""
        from ember.framework.hooks import graph_def_writer
        return graph_def_writer()(self, add_shapes=add_shapes)

    @property
    def graph_def_versions(self):
        return self.as_graph_def().versions

    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = list(self._collections.get(name, []))
        if scope:
            pattern = re.compile(scope)
            items = [v for v in items if pattern.match(getattr(v, "name", ""))]
        return items

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def finalize(self):
        """After this, adding ops to a v1 graph raises RuntimeError (MonitoredSession
        finalizes its graph so a training loop cannot grow it by accident)."""
        self._building = False

    def _unsafe_unfinalize(self):
        self._building = True

    @property
    def finalized(self):
        return not self._building

    @property
    def version(self):
        return self._version

    def __repr__(self):
        return f"<ember.Graph with {len(self._operations)} operations>"


def _var_base(variable):
    name = variable.name
    return name[:-2] if name.endswith(":0") else name


class FuncGraph(Graph):
    """The graph of one traced function (or branch/loop body): inputs are placeholders,
    tensors of an enclosing graph are captured as extra inputs."""

    is_function_graph = True

    def __init__(self, name="func", outer=None):
        super().__init__()
        self.name = name
        self.outer = outer
        self.inputs = []
        self.outputs = []
        self.structured_outputs = None
        self.captures = []           # (outer tensor, placeholder here)
        self._capture_map = {}
        self._capture_tapes = []     # tapes that watch each new capture (body gradients)
        self._lifted_variables = set()   # variables read in the enclosing graph
        self._local_variables = set()    # variables to read inside (the body assigns them)
        self._outer_tapes = []       # tapes of the enclosing graph (for variable reads)

    def capture(self, t):
        key = id(t)
        hit = self._capture_map.get(key)
        if hit is not None:
            return hit
        g = self.outer
        while g is not None and g is not t.op.graph:
            g = getattr(g, "outer", None)
        if g is None:
            return super().capture(t)
        if t._constant_value is not None:
            ph = self.constant(t._constant_value)
        else:
            ph = self.placeholder(t.dtype, t.shape, name="capture")
            self.captures.append((t, ph))
            for tape in self._capture_tapes:
                tape.watch(ph)
        self._capture_map[key] = ph
        return ph

    def read_variable(self, variable):
        """In a nested body, variables are read in the enclosing graph and captured, so the
        enclosing op depends on them (and enclosing tapes see the read)."""
        if self.outer is None or id(variable) in self._assigned or \
                id(variable) in self._local_variables:
            # assigned in this body: read it here, each time the body runs
            return super().read_variable(variable)
        self._lifted_variables.add(id(variable))
        prev_graph, prev_tapes = context.graph, context.tapes
        context.graph, context.tapes = self.outer, self._outer_tapes
        try:
            t = self.outer.read_variable(variable)
        finally:
            context.graph, context.tapes = prev_graph, prev_tapes
        ph = self.capture(t)
        # a tape opened inside the body sees the read there (a training step in a loop)
        for tape in context.tapes or ():
            if tape not in self._capture_tapes:
                tape._variable_read(variable, ph)
        return ph


@contextlib.contextmanager
def init_scope():
    """Leaves any graph being built (e.g. to create a variable's initial value eagerly)."""
    prev = context.graph
    graph = prev
    while isinstance(graph, FuncGraph):
        graph = graph.outer
    context.graph = graph
    tapes = context.tapes
    context.tapes = []
    try:
        yield
    finally:
        context.graph = prev
        context.tapes = tapes


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """Prefixes the names of graph operations made inside (no effect when eager)."""
    g = context.graph
    name = name or default_name
    if g is None:
        if not name:
            yield ""
            return
        # eagerly, scopes prefix the names of variables created inside (as in TensorFlow)
        stack = context.eager_scope
        full = name if name.endswith("/") else (stack[-1] if stack else "") + name + "/"
        stack.append(full)
        try:
            yield full
        finally:
            stack.pop()
        return
    with g.name_scope(name) as scope:
        yield scope
