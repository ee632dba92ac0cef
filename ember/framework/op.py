"""The op contract and the one dispatcher.

An op is defined once, as an instance of an ``Op`` subclass:

- ``name``: the op type (``"AddV2"``); ``attrs`` are keyword arguments with hashable values;
- ``infer(inputs, **attrs)``: exact output shapes and dtypes from input specs
  (objects with ``.shape``, ``.dtype`` and ``.value`` — the value when it is known);
  returns ``(shape, dtype)`` or, for several outputs, a list of them;
- ``kernel(xp, *arrays, **attrs)``: computes on arrays (``xp`` is NumPy today);
  returns an array or a tuple of arrays;
- ``grad(call, *output_grads)``: gradients with respect to each input, written with
  ember's public ops, one Tensor or None per input. ``call`` has ``inputs``,
  ``outputs`` and ``attrs``.

``execute(op, inputs, attrs)`` runs it: eagerly (kernel now, recorded on active
tapes) or, while a graph is being built, by adding a node to that graph.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.context import current as _current, new_state as _new_state, settings
from ember.framework.errors import InvalidArgumentError, OpError, UnimplementedError
from ember.framework.tensor import EagerTensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["Op", "execute", "get_op", "Spec", "OpCall"]

_REGISTRY: dict[str, "Op"] = {}
_EMPTY = {}


class Op:
    """Base class of every op definition. See the module docstring for the contract."""

    name = None
    num_outputs = 1
    differentiable = True
    stateful = False   # random ops and variable updates: never folded or merged
    data_dependent_shape = False   # output shape depends on input values (unique, where)
    grad_accepts_none = False      # grad() takes None for outputs that received no gradient

    def __init__(self, name=None):
        if name is not None:
            self.name = name
        if self.name is None:
            raise ValueError("an Op needs a name")
        if self.name in _REGISTRY:
            raise ValueError(f"op {self.name!r} is defined twice")
        _REGISTRY[self.name] = self
        # Multi-output ops return a list (their kernels return tuples); others one tensor.
        self.multi_output = self.num_outputs != 1 or \
            type(self).output_count is not Op.output_count

    def output_count(self, attrs) -> int:
        return self.num_outputs

    def infer(self, inputs, **attrs):
        raise UnimplementedError(f"op {self.name} has no shape inference")

    def kernel(self, xp, *arrays, **attrs):
        raise UnimplementedError(f"op {self.name} has no kernel")

    def fold_static(self, inputs, **attrs):
        """The output value(s) when they follow from static shapes and dtypes alone
        (``shape(x)`` of a fully known shape); None otherwise. Used while building graphs."""
        return None

    def grad(self, call, *grads):
        raise LookupError(f"No gradient defined for operation '{self.name}' "
                          f"(op type: {self.name})")

    def __repr__(self):
        return f"<Op {self.name}>"


def get_op(name: str) -> Op:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no op named {name!r} is registered") from None


class Spec:
    """What ``infer`` sees of an input: shape, dtype and, when known, value."""

    __slots__ = ("shape", "dtype", "value")

    def __init__(self, shape, dtype, value=None):
        self.shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        self.dtype = dtype
        self.value = value

    @classmethod
    def of(cls, t):
        if isinstance(t, EagerTensor):
            return cls(TensorShape(t._value.shape), t.dtype, t._value)
        return cls(t.shape, t.dtype, getattr(t, "_constant_value", None))

    def __repr__(self):
        return f"Spec({self.shape}, {self.dtype.name})"


class OpCall:
    """One recorded execution of an op: what a gradient function receives."""

    __slots__ = ("op", "inputs", "outputs", "attrs", "needs")

    def __init__(self, op, inputs, outputs, attrs):
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs
        self.needs = None   # per input: does the backward pass want its gradient?


def execute(op: Op, inputs, attrs=_EMPTY, name=None):
    """Runs ``op`` on ``inputs`` (a list of Tensors): eagerly, or into the active graph."""
    st = _current(None) or _new_state()
    graph = st.graph
    if graph is None:
        try:
            arrays = [t._value for t in inputs]
        except AttributeError:
            return _symbolic_input(op, inputs, attrs, name)
        try:
            out = op.kernel(np, *arrays, **attrs)
        except OpError:
            raise
        except (ValueError, TypeError, IndexError, ArithmeticError) as e:
            raise _kernel_error(op, inputs, attrs, e) from None
        if type(out) is not tuple:
            result = EagerTensor(out)
            outputs = (result,)
        else:
            outputs = tuple(EagerTensor(o) for o in out)
            result = list(outputs)
        if settings.check_infer:
            _check_infer(op, inputs, attrs, outputs)
        if st.tapes and op.differentiable:
            from ember.framework.tape import record
            record(op, inputs, outputs, attrs)
        return result
    return graph.create_op(op, inputs, attrs, name)


def _symbolic_input(op, inputs, attrs, name):
    if any(getattr(t, "_is_keras_tensor", False) for t in inputs):
        from ember.keras.keras_tensor import op_on_keras_tensors
        return op_on_keras_tensors(op, inputs, attrs, name)
    for t in inputs:
        g = getattr(t, "graph", None)
        if g is not None and getattr(g, "_building", False):
            return g.create_op(op, inputs, attrs, name)
    bad = [t for t in inputs if not isinstance(t, EagerTensor)]
    raise TypeError(
        f"Op {op.name} received a symbolic tensor ({bad[0]!r}) outside the graph that made "
        f"it. A tensor from inside an ember.function trace (or a v1 Graph) cannot be used "
        f"eagerly: return it from the function instead. To branch or loop on tensor values "
        f"inside a traced function, use ember.cond or ember.while_loop.")


def _kernel_error(op, inputs, attrs, err):
    """A clear error naming the op and the input shapes, from infer when it can say more."""
    try:
        op.infer([Spec.of(t) for t in inputs], **attrs)
    except (OpError, ValueError, TypeError) as infer_err:
        msg = str(infer_err)
        if f"[Op:{op.name}]" not in msg:
            msg = f"{msg} [Op:{op.name}]"
        return InvalidArgumentError(msg)
    except Exception:  # infer unimplemented or itself broken: fall through to the generic text
        pass
    described = ", ".join(f"{list(t.shape)} {t.dtype.name}" for t in inputs)
    return InvalidArgumentError(f"{op.name} failed on inputs ({described}): {err} "
                                f"[Op:{op.name}]")


def normalize_inferred(result):
    """infer's result as a list of (TensorShape, DType)."""
    if isinstance(result, list):
        return [(TensorShape(s), dtypes.as_dtype(d)) for s, d in result]
    s, d = result
    return [(TensorShape(s), dtypes.as_dtype(d))]


def _check_infer(op, inputs, attrs, outputs):
    """Debug mode (tests): the op's infer must predict exactly what the kernel produced."""
    inferred = normalize_inferred(op.infer([Spec.of(t) for t in inputs], **attrs))
    if len(inferred) != len(outputs):
        raise AssertionError(f"{op.name}.infer gave {len(inferred)} outputs, kernel "
                             f"{len(outputs)}")
    for i, ((shape, dtype), out) in enumerate(zip(inferred, outputs)):
        v = out._value
        if not isinstance(v, (np.ndarray, np.generic)):
            raise AssertionError(f"{op.name}.kernel output {i} is {type(v).__name__}, "
                                 f"not a NumPy array")
        if dtype is not out.dtype:
            raise AssertionError(f"{op.name}.infer says output {i} is {dtype.name}, kernel "
                                 f"made {out.dtype.name}")
        if not shape.is_compatible_with(v.shape) or shape.rank != v.ndim:
            raise AssertionError(f"{op.name}.infer says output {i} has shape {shape}, kernel "
                                 f"made {v.shape}")
        if not op.data_dependent_shape and not shape.is_fully_defined() and all(
                s.value is not None for s in [Spec.of(t) for t in inputs]):
            raise AssertionError(f"{op.name}.infer left shape {shape} partly unknown although "
                                 f"every input value was known (kernel made {v.shape})")
