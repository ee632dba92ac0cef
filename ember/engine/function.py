"""``ember.function``: traces Python into a graph once per input signature, then runs the
compiled plan.

Tensor arguments become placeholders; Python values are part of the signature (a new
value traces again). ``input_signature`` fixes the signature; a ``None`` dimension or
``reduce_retracing=True`` lets one trace serve many shapes.
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from ember.framework.type_spec import TypeSpec
from ember.framework import dtypes, nest
from ember.framework.context import context, current as _current, new_state as _new_state, settings
from ember.engine.graph import FuncGraph, SymbolicTensor
from ember.runtime.parallel import ForkSafeLock
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape, as_shape

__all__ = ["function", "Function", "ConcreteFunction", "TensorSpec"]

# Set by ember.autograph: fn -> the converted function to trace (AutoGraph).
autograph_hook = None

# Callables told of every ConcreteFunction about to run (tf.summary.trace_on appends one).
call_observers = []


class TensorSpec(TypeSpec):
    """Describes a tensor argument: shape (``None`` for unknown dims), dtype and name.

    >>> ember.TensorSpec(shape=[None, 784], dtype=ember.float32)
    TensorSpec(shape=(None, 784), dtype=ember.float32, name=None)
    """

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self.shape = as_shape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name or getattr(tensor, "name", None))

    @property
    def value_type(self):
        return Tensor

    def is_compatible_with(self, other):
        other_shape = other.shape if hasattr(other, "shape") else np.shape(other)
        other_dtype = other.dtype if hasattr(other, "dtype") else None
        if other_dtype is not None and dtypes.as_dtype(other_dtype) is not self.dtype:
            return False
        return self.shape.is_compatible_with(other_shape)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and self.shape == other.shape and \
            self.dtype is other.dtype and self.name == other.name

    def __hash__(self):
        return hash((self.shape, self.dtype.name, self.name))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"


# ------------------------------------------------------------------- signatures ---

class _Leaf:
    """How one flattened argument enters the trace."""

    __slots__ = ("kind", "key", "spec")

    def __init__(self, kind, key, spec=None):
        self.kind = kind      # "tensor", "variable", "python" or "ragged" (a marker)
        self.key = key
        self.spec = spec


def _python_key(v):
    try:
        hash(v)
        return (type(v).__name__, v)
    except TypeError:
        # by identity, holding the object: a freed one's id could name a new object
        return ("id", id(v), _Held(v))


class _Held:
    """Keeps an unhashable argument alive inside a cache key (compares by identity)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Held) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


def _ragged_leaves(parts):
    """A RaggedTensor argument as a marker leaf and one tensor leaf per component (flat
    values, then row splits outermost first). Only the outermost splits keep their length
    (the number of rows), so other row lengths do not retrace."""
    leaves = [_Leaf("ragged", ("ragged", len(parts)))]
    for i, p in enumerate(parts):
        shape = tuple(p.shape.as_list())
        if i != 1:
            shape = (None,) + shape[1:]
        leaves.append(_Leaf("tensor", None, (shape, p.dtype)))
    return leaves


def _describe_leaf(v):
    if isinstance(v, EagerTensor):
        return _Leaf("tensor", None, (tuple(v._value.shape), v.dtype))
    if isinstance(v, np.ndarray):
        return _Leaf("tensor", None, (v.shape, dtypes.from_numpy(v.dtype)))
    if getattr(v, "_is_ember_variable", False):
        return _Leaf("variable", ("var", id(v)))
    if isinstance(v, SymbolicTensor):
        raise TypeError(f"ember.function received the symbolic tensor {v.name}; call it "
                        f"with eager values (or call it while tracing another function)")
    return _Leaf("python", _python_key(v))


class ConcreteFunction:
    """One trace: a graph with placeholders for the tensor arguments, and its compiled plan."""

    def __init__(self, graph, placeholders, structured_outputs, flat_outputs, name,
                 input_specs):
        self.graph = graph
        self.inputs = placeholders
        self.structured_outputs = structured_outputs
        self.outputs = flat_outputs
        self.name = name
        self.structured_input_signature = input_specs
        self._plan = None
        self._lock = ForkSafeLock()
        self.variables = tuple(_graph_variables(graph))
        self.trainable_variables = tuple(v for v in self.variables if v.trainable)

    @property
    def output_shapes(self):
        return nest.pack_sequence_as(self.structured_outputs,
                                     [_leaf_shape(o) for o in nest.flatten(
                                         self.structured_outputs)])

    @property
    def output_dtypes(self):
        return nest.pack_sequence_as(self.structured_outputs,
                                     [getattr(o, "dtype", None) for o in nest.flatten(
                                         self.structured_outputs)])

    def _compiled(self):
        if self._plan is None:
            with self._lock:          # compiled once, whichever thread calls first
                if self._plan is None:
                    from ember.engine.compiler import compile_plan
                    stateful = [op for op in self.graph._operations
                                if op.op_def.stateful and
                                op.op_def.name not in ("ReadVariable", "Placeholder")]
                    self._plan = compile_plan(self.graph, self.outputs, self.inputs,
                                              stateful)
        return self._plan

    def __call__(self, *args, **kwargs):
        flat = [a for a in nest.flatten((args, kwargs)) if _is_tensor_arg(a)]
        if len(flat) != len(self.inputs):
            raise TypeError(f"{self.name}: expected {len(self.inputs)} tensor arguments, got "
                            f"{len(flat)}")
        return self._call_flat(flat)

    def _call_flat(self, flat_args):
        arrays = []
        for ph, a in zip(self.inputs, flat_args):
            arr = a._value if type(a) is EagerTensor else np.asarray(
                convert_to_tensor(a, dtype=ph.dtype))
            if arr.dtype != ph.dtype.np and ph.dtype is not dtypes.string:
                raise TypeError(f"{self.name}: argument for {ph.name} must be "
                                f"{ph.dtype.name}, got {dtypes.from_numpy(arr.dtype).name}")
            if not ph.shape.is_compatible_with(arr.shape):
                raise ValueError(f"{self.name}: argument for {ph.name} must have shape "
                                 f"{ph.shape}, got {tuple(arr.shape)}")
            arrays.append(arr)
        if context.tapes:
            outs = self._interpret([a if type(a) is EagerTensor else EagerTensor(arr)
                                    for a, arr in zip(flat_args, arrays)])
        else:
            outs = [EagerTensor(a) for a in self._compiled().run(arrays)]
        return self._pack(outs)

    def _pack(self, outs):
        if type(self.structured_outputs) is SymbolicTensor:
            return outs[0]
        it = iter(outs)
        leaves = [next(it) if isinstance(o, SymbolicTensor) else
                  o._from_components([next(it) for _ in o._components()])
                  if getattr(o, "_is_ragged", False) else o
                  for o in nest.flatten(self.structured_outputs)]
        return nest.pack_sequence_as(self.structured_outputs, leaves)

    def _interpret(self, args):
        """Runs the graph op by op through the eager dispatcher, so active tapes record it
        (gradients of a traced function called under a tape, w.r.t. the very argument
        tensors the tape watches)."""
        from ember.engine.dispatch import execute
        env = {id(ph): a for ph, a in zip(self.inputs, args)}
        for node in _needed_ops(self.graph, self.outputs):
            name = node.op_def.name
            if name == "Placeholder":
                continue
            if name == "Const":
                env[id(node.outputs[0])] = EagerTensor(node.attrs["value"])
                continue
            if name == "ReadVariable":
                env[id(node.outputs[0])] = node.attrs["variable"].value()
                continue
            if name == "AssignVariable":
                var = node.attrs["variable"]
                getattr(var, node.attrs["kind"])(env[id(node.inputs[0])])
                env[id(node.outputs[0])] = var.value()
                continue
            if name == "NoOp":
                continue
            res = execute(node.op_def, tuple(env[id(t)] for t in node.inputs), node.attrs)
            res = res if isinstance(res, list) else [res]
            for t, r in zip(node.outputs, res):
                env[id(t)] = r
        return [env[id(t)] for t in self.outputs]

    def pretty_printed_signature(self, verbose=True):
        args = ", ".join(f"{ph.name}: {ph.dtype.name}{ph.shape}" for ph in self.inputs)
        return f"{self.name}({args})"

    def __repr__(self):
        return f"<ConcreteFunction {self.pretty_printed_signature()}>"


def _needed_ops(graph, outputs):
    """The operations the outputs and the graph's side effects need, in graph order."""
    needed = set()
    stack = [t.op for t in outputs] + [op for op in graph._operations if op.op_def.stateful]
    while stack:
        op = stack.pop()
        if id(op) in needed:
            continue
        needed.add(id(op))
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return [op for op in graph._operations if id(op) in needed]


def _leaf_shape(o):
    return o.shape if isinstance(o, Tensor) else None


def _is_tensor_arg(a):
    return isinstance(a, (Tensor, np.ndarray))


def _graph_variables(graph):
    seen = {}
    for op in graph._operations:
        v = op.attrs.get("variable") if isinstance(op.attrs, dict) else None
        if v is not None:
            seen.setdefault(id(v), v)
    return list(seen.values())


class Function:
    """A Python function compiled per input signature. See ``ember.function``."""

    def __init__(self, python_function, input_signature=None, reduce_retracing=False,
                 jit_compile=None, name=None, autograph=True, experimental_relax_shapes=None):
        self._python_function = python_function
        self._py_signature = None       # inspect.signature, made when first needed
        self._input_signature = None if input_signature is None else list(
            nest.flatten(input_signature))
        self._input_structure = input_signature
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self._cache = {}           # exact key -> ConcreteFunction
        self._relaxed = {}         # structure key -> [ConcreteFunction with relaxed shapes]
        self._seen_shapes = {}     # structure key -> shapes seen (for relaxing)
        self._tracing_count = 0
        self._lock = ForkSafeLock()   # one thread traces at a time; others then find it
        self.name = name or getattr(python_function, "__name__", "function")
        self._autograph = autograph
        self._converted = None
        functools.update_wrapper(self, python_function)
        self._instance_cache = weakref.WeakKeyDictionary()
        self._bind_lock = ForkSafeLock()

    @property
    def python_function(self):
        return self._python_function

    @property
    def input_signature(self):
        return self._input_structure

    def experimental_get_tracing_count(self):
        return self._tracing_count

    def __get__(self, instance, owner):
        """As a method: one Function per instance, bound to it."""
        if instance is None:
            return self
        bound = self._instance_cache.get(instance)
        if bound is None:
            with self._bind_lock:       # one bound Function per instance, for every thread
                bound = self._instance_cache.get(instance)
                if bound is None:
                    bound = Function(self._python_function.__get__(instance, owner),
                                     self._input_structure, self._reduce_retracing,
                                     name=self.name, autograph=self._autograph)
                    self._instance_cache[instance] = bound
        return bound

    def _traced_function(self):
        """The function to trace: AutoGraph's conversion unless ``autograph=False``."""
        if self._converted is None:
            hook = autograph_hook if self._autograph else None
            self._converted = hook(self._python_function) if hook else self._python_function
        return self._converted

    # -- calling ----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        st = _current(None) or _new_state()
        if st.graph is not None:
            # Called while another graph is being built: trace inline into it.
            return self._traced_function()(*args, **kwargs)
        if settings.run_functions_eagerly:
            return self._python_function(*args, **kwargs)
        if kwargs and self._input_signature is not None:
            args, kwargs = self._by_position(args, kwargs)
        if not kwargs and self._input_signature is None and not st.tapes and \
                not call_observers:
            fast = self._fast_lookup(args)
            if fast is not None:
                # the cache key holds these exact shapes and dtypes: no checks needed
                concrete, tensors = fast
                outs = concrete._compiled().run([t._value for t in tensors])
                return concrete._pack([EagerTensor(a) for a in outs])
        concrete, tensors = self._lookup(args, kwargs)
        for observe in call_observers:
            observe(concrete)
        return concrete._call_flat(tensors)

    def get_concrete_function(self, *args, **kwargs):
        """The trace for these arguments (TensorSpecs allowed in place of tensors)."""
        if not args and not kwargs and self._input_signature is not None:
            args = tuple(self._input_structure)
        if kwargs and self._input_signature is not None:
            args, kwargs = self._by_position(args, kwargs)
        concrete, _ = self._lookup(args, kwargs)
        return concrete

    def _by_position(self, args, kwargs):
        """Arguments given by name moved to their parameters' positions (an
        ``input_signature`` describes the positional parameters in order, as TensorFlow
        binds them)."""
        sig = self._py_signature
        if sig is None:
            import inspect
            sig = self._py_signature = inspect.signature(self._python_function)
        try:
            bound = sig.bind_partial(*args, **kwargs)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{self.name}: {e}") from None
        return tuple(bound.args), dict(bound.kwargs)

    def _lookup(self, args, kwargs):
        if not kwargs and self._input_signature is None:
            fast = self._fast_lookup(args)
            if fast is not None:
                return fast
        with self._lock:
            return self._lookup_locked(args, kwargs)

    def _lookup_locked(self, args, kwargs):
        flat = nest.flatten((args, kwargs))
        leaves = []
        tensors = []
        for v in flat:
            if isinstance(v, TensorSpec):
                leaves.append(_Leaf("tensor", None, (tuple(v.shape.as_list()) if v.shape.rank
                                                     is not None else None, v.dtype)))
                tensors.append(v)
                continue
            if getattr(v, "_is_ragged", False) and self._input_signature is None:
                parts = v._components()
                leaves.extend(_ragged_leaves(parts))
                tensors.extend(parts)
                continue
            leaf = _describe_leaf(v)
            leaves.append(leaf)
            if leaf.kind == "tensor":
                tensors.append(v)
        if self._input_signature is not None:
            return self._signature_lookup(args, kwargs, leaves, tensors), tensors
        return self._lookup_general(args, kwargs, flat, leaves, tensors)

    def _lookup_general(self, args, kwargs, flat, leaves, tensors):
        key = tuple((lf.kind, lf.key if lf.kind != "tensor" else lf.spec) for lf in leaves)
        concrete = self._cache.get(key)
        if concrete is not None:
            return concrete, tensors
        struct = tuple((lf.kind, lf.key if lf.kind != "tensor" else
                        (None if lf.spec[0] is None else len(lf.spec[0]), lf.spec[1]))
                       for lf in leaves)
        for c in self._relaxed.get(struct, ()):
            if all(ph.shape.is_compatible_with(lf.spec[0]) for ph, lf in
                   zip(c.inputs, [lf for lf in leaves if lf.kind == "tensor"])):
                self._cache[key] = c
                return c, tensors
        shapes = [lf.spec[0] for lf in leaves if lf.kind == "tensor"]
        seen = self._seen_shapes.setdefault(struct, [])
        relax = self._reduce_retracing and seen
        if relax:
            relaxed = []
            for k, s in enumerate(shapes):
                prev = [p[k] for p in seen]
                if s is None or any(p is None or len(p) != len(s) for p in prev):
                    relaxed.append(None)
                else:
                    relaxed.append(tuple(d if all(p[i] == d for p in prev) else None
                                         for i, d in enumerate(s)))
            shapes = relaxed
        seen.append([lf.spec[0] for lf in leaves if lf.kind == "tensor"])
        concrete = self._trace(args, kwargs, leaves, shapes)
        if relax:
            self._relaxed.setdefault(struct, []).append(concrete)
        self._cache[key] = concrete
        return concrete, tensors

    def _fast_lookup(self, args):
        """Calls whose arguments are only eager tensors (or tuples of them, as Keras's steps
        pass): the cache key is their shapes and dtypes."""
        flat = []
        for a in args:
            if type(a) is EagerTensor:
                flat.append(a)
            elif type(a) is tuple and all(type(b) is EagerTensor for b in a):
                flat.extend(a)
            else:
                return None
        key = ("fast", len(args), tuple(type(a) is tuple and len(a) for a in args),
               tuple((b._value.shape, b._value.dtype) for b in flat))
        concrete = self._cache.get(key)
        if concrete is None:
            with self._lock:
                concrete, _ = self._lookup_slow(args)
                self._cache[key] = concrete
        return concrete, flat

    def _lookup_slow(self, args):
        flat = nest.flatten((args, {}))
        leaves = [_describe_leaf(v) for v in flat]
        tensors = [v for v, lf in zip(flat, leaves) if lf.kind == "tensor"]
        key = tuple((lf.kind, lf.key if lf.kind != "tensor" else lf.spec) for lf in leaves)
        concrete = self._cache.get(key)
        if concrete is not None:
            return concrete, tensors
        return self._lookup_general(args, {}, flat, leaves, tensors)

    def _signature_lookup(self, args, kwargs, leaves, tensors):
        sig = self._input_signature
        if len(tensors) != len(sig):
            raise TypeError(f"{self.name}: input_signature has {len(sig)} tensors but the call "
                            f"passed {len(tensors)} tensor arguments")
        for i, (spec, t) in enumerate(zip(sig, tensors)):
            shape = t.shape if not isinstance(t, np.ndarray) else np.shape(t)
            dtype = t.dtype if not isinstance(t, np.ndarray) else dtypes.from_numpy(t.dtype)
            dtype = dtypes.as_dtype(dtype)
            if not spec.shape.is_compatible_with(shape) or dtype is not spec.dtype:
                raise ValueError(
                    f"{self.name}: argument {i} (shape {TensorShape(shape)}, dtype "
                    f"{dtype.name}) is not compatible with input_signature {spec}")
        concrete = self._cache.get("signature")
        if concrete is None:
            shapes = [tuple(s.shape.as_list()) if s.shape.rank is not None else None
                      for s in sig]
            concrete = self._trace(args, kwargs, leaves, shapes, dtypes_=[s.dtype for s in sig])
            self._cache["signature"] = concrete
        return concrete

    def _trace(self, args, kwargs, leaves, shapes, dtypes_=None):
        self._tracing_count += 1
        graph = FuncGraph(self.name)
        flat = nest.flatten((args, kwargs))
        placeholders = []
        new_flat = []
        k = 0
        prev_graph = context.graph
        prev_tapes = context.tapes
        context.graph = graph
        context.tapes = []
        try:
            leaf_iter = iter(leaves)
            for v in flat:
                lf = next(leaf_iter)
                if lf.kind == "ragged":       # its component tensors follow the marker
                    phs = []
                    for _ in range(lf.key[1]):
                        spec = next(leaf_iter).spec
                        phs.append(graph.placeholder(spec[1], shapes[k], name=f"args_{k}"))
                        k += 1
                    placeholders.extend(phs)
                    new_flat.append(v._from_components(phs))
                elif lf.kind == "tensor":
                    dtype = dtypes_[k] if dtypes_ is not None else lf.spec[1]
                    ph = graph.placeholder(dtype, shapes[k], name=f"args_{k}")
                    placeholders.append(ph)
                    new_flat.append(ph)
                    k += 1
                else:
                    new_flat.append(v)
            call_args, call_kwargs = nest.pack_sequence_as((args, kwargs), new_flat)
            result = self._traced_function()(*call_args, **call_kwargs)
            out_leaves = []
            flat_outputs = []
            for o in nest.flatten(result):
                parts = o._components() if getattr(o, "_is_ragged", False) else [o]
                for k, p in enumerate(parts):
                    if getattr(p, "_is_ember_variable", False):
                        p = p.value()
                    if isinstance(p, EagerTensor):
                        p = graph.constant(p._value)
                    if isinstance(p, SymbolicTensor):
                        if p.graph is not graph:
                            p = graph._bring_in(p)
                        flat_outputs.append(p)
                    parts[k] = p
                out_leaves.append(o._from_components(parts) if getattr(o, "_is_ragged", False)
                                  else parts[0])
            structured = nest.pack_sequence_as(result, out_leaves) if nest.is_nested(result) \
                else out_leaves[0]
        finally:
            context.graph = prev_graph
            context.tapes = prev_tapes
        graph.finalize()   # tensors that leak out of the trace cannot join it later
        given = [getattr(s, "name", None) for s in nest.flatten(self._input_signature)] \
            if self._input_signature is not None else []
        names = given if len(given) == len(placeholders) else [None] * len(placeholders)
        specs = [TensorSpec(ph.shape, ph.dtype, name=n) for ph, n in zip(placeholders, names)]
        graph.inputs = placeholders
        graph.outputs = flat_outputs
        graph.structured_outputs = structured
        return ConcreteFunction(graph, placeholders, structured, flat_outputs, self.name,
                                specs)

    def __repr__(self):
        return f"<ember.function {self.name}>"


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_relax_shapes=None, name=None, **kwargs):
    """Compiles a Python function into a graph, traced once per input signature.

    >>> @ember.function
    ... def f(x):
    ...     return x * x + 1.0
    >>> float(f(ember.constant(2.0)))
    5.0
    """
    def decorate(fn):
        return Function(fn, input_signature=input_signature,
                        reduce_retracing=reduce_retracing or bool(experimental_relax_shapes),
                        jit_compile=jit_compile, name=name, autograph=autograph)
    if func is None:
        return decorate
    return decorate(func)
