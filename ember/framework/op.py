"""The op contract: the ``Op`` base class, its registry, ``Spec`` and ``OpCall``.

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

The dispatcher that runs an op (``ember.engine.dispatch.execute``) lives one layer up.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError, OpError, UnimplementedError
from ember.framework.tensor import EagerTensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["Op", "get_op", "register_op_modules", "Spec", "OpCall", "normalize_inferred", "string_error",
           "STRING_STORAGE"]

_REGISTRY: dict[str, "Op"] = {}
_EMPTY = {}
# String tensors hold NumPy object arrays of bytes; convert_to_tensor always makes them with
# this (canonical) dtype object, so the dispatcher's string check is an identity test.
STRING_STORAGE = np.dtype(object)


class Op:
    """Base class of every op definition. See the module docstring for the contract."""

    name = None
    num_outputs = 1
    differentiable = True
    stateful = False   # random ops and variable updates: never folded or merged
    data_dependent_shape = False   # output shape depends on input values (unique, where)
    relaxed_shape = False          # infer may give a less specific shape than the kernel
    #                                makes (loop variables, branch outputs)
    side_effect = False            # runs for its effect even when nothing reads it (print,
    #                                assert, Python code); implies stateful
    grad_accepts_none = False      # grad() takes None for outputs that received no gradient
    grad_passes_slices = False     # grad() takes an IndexedSlices output gradient as it is
    #                                (Identity, variable reads); other ops get it densified
    reads_shape_only = False       # reads only its inputs' shapes (Shape, Size): fusions
    #                                may move it to the value that replaces its input
    plan_only = False              # a fused kernel that only compiled plans contain (made by
    #                                a registered Fusion); it has no gradient: grad() says so
    strings = False   # True: takes string tensors (and checks itself which inputs may be)

    def __init__(self, name=None):
        if name is not None:
            self.name = name
        if self.name is None:
            raise ValueError("an Op needs a name")
        if self.name in _REGISTRY:
            raise ValueError(f"op {self.name!r} is defined twice")
        # The dispatcher rejects string inputs of ops that neither take strings nor check
        # dtypes in their kernels (the elementwise templates clear this).
        self.check_strings = not self.strings
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
        if self.plan_only:
            raise UnimplementedError(
                f"{self.name} is a fused kernel that only compiled plans contain (see "
                f"ember.engine.fusion); it has no gradient of its own: differentiate the "
                f"ops it replaces instead (the compiler fuses after gradients are built)")
        raise LookupError(f"No gradient defined for operation '{self.name}' "
                          f"(op type: {self.name})")

    def __repr__(self):
        return f"<Op {self.name}>"


def get_op(name: str) -> Op:
    """The op named ``name``. An op whose module ``import ember`` did not load (a graph
    file or SavedModel naming ``CTCLoss`` before ``ember.nn.ctc_loss`` was touched) is
    found by importing the modules ``register_op_modules`` listed."""
    op = _REGISTRY.get(name)
    if op is None:
        op = _load_op(name)
        if op is None:
            raise LookupError(f"no op named {name!r} is registered")
    return op


# Modules that may define ops and that ``import ember`` does not load: module names, and
# "package.*" for every module of a package. ``ember/__init__.py`` registers them.
_OP_MODULES: list[str] = []


def register_op_modules(*modules: str) -> None:
    """Names modules (``"ember.ops.*"``: all of a package's) whose import defines ops, for
    ``get_op`` to import when it is asked for an op that is not registered yet."""
    for module in modules:
        if module not in _OP_MODULES:
            _OP_MODULES.append(module)


def _candidate_modules():
    import importlib
    import pkgutil
    for entry in list(_OP_MODULES):
        if entry.endswith(".*"):
            package = importlib.import_module(entry[:-2])
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
                if not info.name.startswith("__"):
                    yield f"{package.__name__}.{info.name}"
        else:
            yield entry


def _load_op(name: str):
    """Imports the registered op modules not loaded yet until one defines ``name``."""
    import importlib
    import sys
    for module in _candidate_modules():
        if module in sys.modules:
            continue
        try:
            importlib.import_module(module)
        except ImportError:          # a module that needs an optional package
            continue
        if name in _REGISTRY:
            return _REGISTRY[name]
    return _REGISTRY.get(name)


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


def string_error(op, inputs, attrs=_EMPTY):
    """The error for a string tensor given to an op that does not take strings: the op's
    own dtype message when its infer has one, else a generic one."""
    try:
        op.infer([Spec.of(t) for t in inputs], **attrs)
    except (OpError, ValueError, TypeError) as e:
        msg = str(e)
        if "string" in msg:
            return InvalidArgumentError(msg if f"[Op:{op.name}]" in msg else
                                        f"{msg} [Op:{op.name}]")
    except Exception:  # noqa: BLE001 - infer's own trouble: the generic message below
        pass
    i = next(i for i, t in enumerate(inputs) if t.dtype is dtypes.string)
    return InvalidArgumentError(
        f"{op.name} does not support string tensors: input #{i} has dtype string "
        f"(see ember.strings for string operations) [Op:{op.name}]")


def normalize_inferred(result):
    """infer's result as a list of (TensorShape, DType)."""
    if isinstance(result, list):
        return [(TensorShape(s), dtypes.as_dtype(d)) for s, d in result]
    s, d = result
    return [(TensorShape(s), dtypes.as_dtype(d))]
