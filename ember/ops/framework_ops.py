"""TensorFlow's top-level helpers about graphs, gradients and values: gradients,
hessians, get_static_value, inside_function, is_symbolic_tensor, get_current_name_scope,
tuple, grad_pass_through, no_gradient, AggregationMethod,
CriticalSection, type_spec_from_value, timestamp, get_logger,
nondifferentiable_batch_function."""
from __future__ import annotations

import functools
import logging
import threading
import time

import numpy as np

from ember.engine.tape import backward, custom_gradient
from ember.framework import dtypes, nest
from ember.framework.context import context
from ember.framework.op import get_op
from ember.framework.tensor import EagerTensor, Tensor, constant, convert_to_tensor
from ember.framework.type_spec import NoneTensorSpec, TypeSpec
from ember.ops import array_ops, control_flow_ops
from ember.ops.indexed_slices import add_gradients

__all__ = ["AggregationMethod", "CriticalSection", "get_current_name_scope", "get_logger",
           "get_static_value", "grad_pass_through", "gradients", "hessians",
           "inside_function", "is_symbolic_tensor", "no_gradient",
           "nondifferentiable_batch_function", "timestamp", "tuple",
           "type_spec_from_value"]


class AggregationMethod:
    """How gradients reaching one tensor from several uses are summed (ember always adds
    them with add_n; the constants exist for API compatibility)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


def gradients(ys, xs, grad_ys=None, name="gradients", gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients="none"):
    """Symbolic gradients of sum(ys) with respect to each of ``xs`` (tensors or
    variables), for use inside ``tf.function`` (or a TF1 graph); None where unconnected.

    >>> @ember.function
    ... def f(x):
    ...     return ember.gradients(x * x, x)[0]
    >>> float(f(ember.constant(3.0)))
    6.0
    """
    g = context.graph
    if g is None:
        raise RuntimeError("tf.gradients is not supported when eager execution is enabled; "
                           "use tf.GradientTape, or call it inside tf.function")
    ys_list = nest.flatten(ys)
    xs_list = nest.flatten(xs)
    grad_list = nest.flatten(grad_ys) if grad_ys is not None else [None] * len(ys_list)
    sources, owners = [], []
    for i, x in enumerate(xs_list):
        if getattr(x, "_is_ember_variable", False):
            reads = g._variable_reads.get(id(x), [])
            sources.extend(reads)
            owners.extend([i] * len(reads))
        else:
            sources.append(x)
            owners.append(i)
    if stop_gradients is not None:
        stops = {id(t) for t in nest.flatten(stop_gradients)}
        calls = [op for op in g._operations if op.op_def.differentiable and
                 not any(id(o) in stops for o in op.outputs)]
    else:
        calls = [op for op in g._operations if op.op_def.differentiable]
    prev_tapes = context.tapes
    context.tapes = []
    try:
        with g.as_default():
            grads = backward(calls, ys_list, grad_list, sources, unconnected_gradients)
            out = [None] * len(xs_list)
            for i, gr in zip(owners, grads):
                if gr is not None:
                    out[i] = gr if out[i] is None else add_gradients(out[i], gr)
            if unconnected_gradients == "zero":
                out = [o if o is not None else array_ops.zeros_like(convert_to_tensor(x))
                       for o, x in zip(out, xs_list)]
    finally:
        context.tapes = prev_tapes
    return out


def hessians(ys, xs, gate_gradients=False, aggregation_method=None, name="hessians"):
    """For each x of ``xs``, the Hessian of sum(ys) with respect to x, of shape
    x.shape + x.shape (inside ``tf.function``); x's size must be known."""
    out = []
    for x in nest.flatten(xs):
        (grad,) = gradients(ys, [x])
        if grad is None:
            out.append(None)
            continue
        n = int(np.prod(x.shape.as_list()))
        flat = array_ops.reshape(grad, [-1])
        rows = []
        for i in range(n):
            (row,) = gradients(flat[i], [x], unconnected_gradients="zero")
            rows.append(array_ops.reshape(row, [-1]))
        out.append(array_ops.reshape(array_ops.stack(rows), x.shape.concatenate(x.shape)))
    return out


def get_static_value(tensor, partial=False):
    """The value of ``tensor`` as a NumPy array when it is known without running a graph
    (an eager tensor, a constant, a shape known at trace time), else None.

    >>> ember.get_static_value(ember.constant([1, 2]))
    array([1, 2], dtype=int32)
    """
    if isinstance(tensor, EagerTensor):
        return tensor.numpy()
    if getattr(tensor, "_is_ember_variable", False):
        return None
    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    value = getattr(tensor, "_constant_value", None)
    if value is None:
        spec_value = getattr(tensor, "value", None)
        value = spec_value if isinstance(spec_value, np.ndarray) else None
    if value is None:
        op = getattr(tensor, "op", None)
        if op is not None and getattr(op, "type", None) in ("Const",):
            value = op.get_attr("value") if hasattr(op, "get_attr") else None
    if value is None and getattr(tensor, "op", None) is not None and \
            getattr(tensor.op, "type", "") == "Shape":
        shape = tensor.op.inputs[0].shape
        if shape.is_fully_defined():
            value = np.asarray(shape.as_list(), dtype=tensor.dtype.np)
    return None if value is None else np.asarray(value)


def inside_function() -> bool:
    """True while a graph is being built (inside ``tf.function`` or a TF1 graph)."""
    return context.graph is not None


def is_symbolic_tensor(tensor) -> bool:
    """True for a graph (symbolic) tensor, False for an eager tensor or anything else."""
    return isinstance(tensor, Tensor) and not isinstance(tensor, EagerTensor)


def get_current_name_scope() -> str:
    """The name scope in effect ("" at the top), without a trailing slash.

    >>> with ember.name_scope("outer"):
    ...     ember.get_current_name_scope()
    'outer'
    """
    g = context.graph
    if g is not None:
        return "/".join(g._scope)
    stack = context.eager_scope
    return stack[-1].rstrip("/") if stack else ""


def tuple(tensors, control_inputs=None, name=None):  # noqa: A001
    """The tensors, each available only after all of them (and ``control_inputs``) are
    computed: identities under control dependencies."""
    deps = [t for t in tensors if t is not None] + list(control_inputs or [])
    with control_flow_ops.control_dependencies(deps):
        return [array_ops.identity(t) if t is not None else None for t in tensors]


def grad_pass_through(f):
    """Wraps ``f`` so its gradient is the identity: the upstream gradient passes to the
    input unchanged (a straight-through estimator).

    >>> x = ember.Variable(2.0)
    >>> with ember.GradientTape() as tape:
    ...     y = ember.grad_pass_through(ember.round)(x * 3.0)
    >>> float(tape.gradient(y, x))
    3.0
    """
    @custom_gradient
    def through(x):
        return f(x), lambda dy: dy

    @functools.wraps(f)
    def run(x):
        return through(convert_to_tensor(x))
    return run


_no_gradient = set()


def no_gradient(op_type: str) -> None:
    """Declares that ops of type ``op_type`` have no gradient: gradients through them are
    None (as for ops registered with TensorFlow's NotDifferentiable)."""
    if not isinstance(op_type, str):
        raise TypeError(f"no_gradient: op_type must be a string, got {op_type!r}")
    _no_gradient.add(op_type)
    from ember.engine.tape import GRADIENT_REGISTRY
    GRADIENT_REGISTRY.setdefault(op_type, None)   # also a name for gradient_override_map
    try:
        get_op(op_type).differentiable = False
    except (KeyError, ValueError, LookupError):
        pass


class CriticalSection:
    """Runs functions one at a time: ``execute(fn)`` holds the section's lock while
    ``fn`` runs (re-entrant within a thread only if ``exclusive_resource_access`` is
    False for nested calls)."""

    def __init__(self, name=None, shared_name=None, critical_section_def=None,
                 import_scope=None):
        self.name = name or "critical_section"
        self._lock = threading.RLock()
        self._owner = None

    def execute(self, fn, exclusive_resource_access=True, name=None):
        """fn() with the lock held; calling execute on the same section from inside fn
        raises ValueError (TensorFlow's deadlock check)."""
        if self._owner == threading.get_ident():
            raise ValueError(f"CriticalSection {self.name}: execute called from inside the "
                             f"same section would deadlock")
        with self._lock:
            self._owner = threading.get_ident()
            try:
                return fn()
            finally:
                self._owner = None


def type_spec_from_value(value) -> TypeSpec:
    """The TypeSpec that describes ``value``: a TensorSpec for tensors and arrays, the
    value's own spec for composite tensors, NoneTensorSpec for None.

    >>> ember.type_spec_from_value(ember.constant([1.0, 2.0]))
    TensorSpec(shape=(2,), dtype=ember.float32, name=None)
    """
    from ember.engine.function import TensorSpec
    if value is None:
        return NoneTensorSpec()
    spec = getattr(value, "_type_spec", None) or getattr(value, "spec", None)
    if isinstance(spec, TypeSpec):
        return spec
    if isinstance(value, Tensor) or getattr(value, "_is_ember_variable", False):
        return TensorSpec(value.shape, value.dtype)
    try:
        t = constant(value)
    except Exception:
        raise TypeError(f"type_spec_from_value: cannot describe a "
                        f"{type(value).__name__}") from None
    return TensorSpec(t.shape, t.dtype)


def timestamp(name=None):
    """The current time in seconds since the epoch, a float64 scalar."""
    return constant(time.time(), dtypes.float64)


def get_logger() -> logging.Logger:
    """ember's logger (``logging.getLogger("ember")``), the counterpart of TensorFlow's."""
    return logging.getLogger("ember")


def nondifferentiable_batch_function(num_batch_threads, max_batch_size, batch_timeout_micros,
                                     allowed_batch_sizes=None, max_enqueued_batches=10,
                                     autograph=True, enable_large_batch_splitting=True):
    """Decorator batching concurrent calls of a function in a serving graph. ember runs
    each call directly (a batch of one), so results are those of the function; the
    outputs carry no gradient, as in TensorFlow."""
    def decorate(fn):
        @functools.wraps(fn)
        def run(*args):
            return nest.map_structure(array_ops.stop_gradient, fn(*args))
        return run
    return decorate
