"""Shared pieces for op definitions: dtype groups, argument conversion, op templates."""
from __future__ import annotations

import operator
import weakref

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.runtime.fastpath import add_reduce, channel_ufunc  # noqa: F401
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape, broadcast_static

EMPTY = {}
_OBJECT = np.dtype(object)


class DTypeSet(set):
    """A set of NumPy dtypes that ops accept. bfloat16's dtype joins the sets that name it
    when it becomes known (ember imports ml_dtypes only on first use), and every set made
    from those with ``|`` (directly or through other unions) joins it too."""

    def __init__(self, items=()):
        super().__init__(items)
        self._roots = (self,)     # the sets this one was made from with |
        self._derived = []        # weak references to the unions made from this root

    def __or__(self, other):
        out = DTypeSet(set.__or__(self, set(other)))
        roots = {id(r): r for part in (self, other) if isinstance(part, DTypeSet)
                 for r in part._roots}
        out._roots = tuple(roots.values())
        for root in out._roots:
            if len(root._derived) > 64:           # unions made in kernels come and go
                root._derived = [ref for ref in root._derived if ref() is not None]
            root._derived.append(weakref.ref(out))
        return out

    __ror__ = __or__

    def include(self, np_dtype):
        """Adds a dtype here and to every union made from this set."""
        self.add(np_dtype)
        for ref in self._derived:
            u = ref()
            if u is not None:
                u.add(np_dtype)


def _np_set(*ds):
    out = DTypeSet(d._np for d in ds if d._np is not None)
    if dtypes.bfloat16 in ds:
        dtypes.on_bfloat16(out.include)
    return out


FLOATS = _np_set(dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
COMPLEX = _np_set(dtypes.complex64, dtypes.complex128)
SIGNED = _np_set(dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
UNSIGNED = _np_set(dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
INTS = SIGNED | UNSIGNED
BOOL = _np_set(dtypes.bool)
STRING = _np_set(dtypes.string)
NUMERIC = FLOATS | COMPLEX | INTS
REAL = FLOATS | INTS
ANY = NUMERIC | BOOL | STRING


def tensor(x, dtype=None, dtype_hint=None):
    """Fast conversion of one argument to a Tensor."""
    if type(x) is EagerTensor and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype, dtype_hint=dtype_hint)


def binary_args(x, y):
    """Two operands as tensors; a non-tensor operand takes the other one's dtype."""
    if isinstance(x, Tensor) or getattr(x, "_is_ember_variable", False):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=None if _is_tensorish(y) else x.dtype)
    elif _is_tensorish(y):
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, dtype=y.dtype)
    else:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype_hint=x.dtype) if not isinstance(y, np.ndarray) else \
            convert_to_tensor(y)
    return x, y


def _is_tensorish(v):
    return isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False)


def dtype_names(allowed):
    return ", ".join(sorted(dtypes.from_numpy(d).name for d in allowed))


def check_dtype(op_name, spec_dtype, allowed, index=0):
    """infer-time dtype check with TensorFlow's wording."""
    if spec_dtype._np is None and spec_dtype is dtypes.bfloat16:
        spec_dtype.np   # a graph may meet bfloat16 before any array: resolve it now
    if spec_dtype._np not in allowed:
        raise InvalidArgumentError(
            f"Value for attr 'T' of {spec_dtype.name} is not in the list of allowed values: "
            f"{dtype_names(allowed)} ; NodeDef: {op_name} input #{index} [Op:{op_name}]")


def dtype_error(op_name, np_dtype, allowed, index=0):
    return InvalidArgumentError(
        f"Value for attr 'T' of {dtypes.from_numpy(np_dtype).name} is not in the list of "
        f"allowed values: {dtype_names(allowed)} ; NodeDef: {op_name} input #{index} "
        f"[Op:{op_name}]")


def mismatch_error(op_name, d0, d1):
    d0, d1 = dtypes.from_numpy(d0) if not isinstance(d0, dtypes.DType) else d0, \
        dtypes.from_numpy(d1) if not isinstance(d1, dtypes.DType) else d1
    return InvalidArgumentError(
        f"cannot compute {op_name} as input #1(zero-based) was expected to be a {d0.name} "
        f"tensor but is a {d1.name} tensor [Op:{op_name}]")


def _ufunc(fn):
    """The NumPy ufunc a kernel function is (or wraps via ``__wrapped_ufunc__``), else None.

    The compiler calls ufuncs directly, with ``out=`` to compute in place; dtype checks
    were already made by ``infer`` when the graph was built."""
    if isinstance(fn, np.ufunc):
        return fn
    return getattr(fn, "__wrapped_ufunc__", None)


class UnaryOp(Op):
    """Elementwise ``y = fn(x)``; ``grad_fn(x, y, g)`` gives dx with public ops."""

    def __init__(self, name, fn, grad_fn=None, allowed=NUMERIC, out_dtype=None):
        super().__init__(name)
        self.fn = fn
        self.ufunc = _ufunc(fn)
        self.ufunc_quiet = hasattr(fn, "__wrapped_ufunc__")   # eager runs it under errstate
        self.grad_fn = grad_fn
        self.allowed = allowed
        self.out_dtype = out_dtype
        self.strings = _OBJECT in allowed
        self.check_strings = False      # the kernel checks its dtypes against `allowed`
        if grad_fn is None:
            self.differentiable = False

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        return x.shape, self.out_dtype or x.dtype

    def kernel(self, xp, a):
        if a.dtype not in self.allowed:
            raise dtype_error(self.name, a.dtype, self.allowed)
        return self.fn(a)

    def grad(self, call, g):
        return (self.grad_fn(call.inputs[0], call.outputs[0], g),)


class BinaryOp(Op):
    """Elementwise ``z = fn(x, y)`` with broadcasting; both inputs of one dtype.

    ``grad_fn(x, y, z, g)`` returns (dx, dy) in broadcast shape; the backward walker
    sums them back to each input's shape.
    """

    def __init__(self, name, fn, grad_fn=None, allowed=NUMERIC, out_dtype=None,
                 lazy_grad=None):
        super().__init__(name)
        self.fn = fn
        self.ufunc = _ufunc(fn)
        self.ufunc_quiet = hasattr(fn, "__wrapped_ufunc__")   # eager runs it under errstate
        self.grad_fn = grad_fn
        # lazy_grad(x, y, z, g, needs): computes only the gradients ``needs`` asks for
        self.lazy_grad = lazy_grad
        self.allowed = allowed
        self.out_dtype = out_dtype
        self.strings = _OBJECT in allowed
        self.check_strings = False      # the kernel checks its dtypes against `allowed`
        if grad_fn is None:
            self.differentiable = False

    def infer(self, inputs):
        x, y = inputs
        if x.dtype is not y.dtype:
            raise mismatch_error(self.name, x.dtype, y.dtype)
        check_dtype(self.name, x.dtype, self.allowed)
        return broadcast_static(x.shape, y.shape, self.name), self.result_dtype(x.dtype)

    def result_dtype(self, dtype):
        return self.out_dtype or dtype

    def kernel(self, xp, a, b):
        if a.dtype != b.dtype:
            raise mismatch_error(self.name, a.dtype, b.dtype)
        if a.dtype not in self.allowed:
            raise dtype_error(self.name, a.dtype, self.allowed)
        if self.ufunc is not None and a.shape != b.shape and (a.size >= 65536 or
                                                               b.size >= 65536):
            return channel_ufunc(self.fn, (a, b))
        return self.fn(a, b)

    def grad(self, call, g):
        x, y = call.inputs
        if self.lazy_grad is not None and call.needs is not None and not all(call.needs):
            return self.lazy_grad(x, y, call.outputs[0], g, call.needs)
        return self.grad_fn(x, y, call.outputs[0], g)


def run_unary(op, x, name=None):
    if type(x) is not EagerTensor:
        x = convert_to_tensor(x)
    return execute(op, (x,), EMPTY, name)


def run_binary(op, x, y, name=None):
    if type(x) is not EagerTensor or type(y) is not EagerTensor:
        x, y = binary_args(x, y)
    return execute(op, (x, y), EMPTY, name)


def static_int(value, what, op_name):
    """A Python int from an int, a 0-d array or an eager scalar tensor (for attributes)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, EagerTensor) or isinstance(value, np.ndarray):
        arr = np.asarray(value)
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return int(arr)
    if isinstance(value, Tensor):
        cv = getattr(value, "_constant_value", None)
        if cv is not None and np.ndim(cv) == 0:
            return int(cv)
        raise TypeError(f"{op_name}: `{what}` must be known when the graph is built (a Python "
                        f"int or a constant), got a computed tensor {value!r}")
    raise TypeError(f"{op_name}: `{what}` must be an int, got {value!r}")


def static_axes(axis, what, op_name):
    """None, or a tuple of Python ints, from an int, list, array or constant tensor."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(static_int(a, what, op_name) for a in axis)
    if isinstance(axis, (EagerTensor, np.ndarray)) or isinstance(axis, Tensor):
        arr = np.asarray(axis) if not (isinstance(axis, Tensor) and
                                       not isinstance(axis, EagerTensor)) else \
            getattr(axis, "_constant_value", None)
        if arr is None:
            raise TypeError(f"{op_name}: `{what}` must be known when the graph is built, got "
                            f"a computed tensor {axis!r}")
        arr = np.asarray(arr)
        if arr.ndim == 0:
            return (int(arr),)
        return tuple(int(a) for a in arr.reshape(-1))
    return (static_int(axis, what, op_name),)


def normalize_axis(axis, rank, op_name):
    if rank is None:
        return axis
    if not -rank <= axis < max(rank, 1):
        raise InvalidArgumentError(f"{op_name}: axis {axis} is out of range for a tensor of "
                                   f"rank {rank} (expected -{rank} <= axis < {rank}) "
                                   f"[Op:{op_name}]")
    return axis % rank if rank else 0


def shape_value(spec):
    """The known value of a shape-like input as a list (None entries for unknown), or None."""
    if spec.value is not None:
        return [int(v) for v in np.asarray(spec.value).reshape(-1)]
    return None


def shape_from_spec(spec):
    """A TensorShape from a 1-D shape input: exact when known, else rank-only."""
    v = shape_value(spec)
    if v is not None:
        return TensorShape([None if d < 0 else d for d in v])
    n = spec.shape[0] if spec.shape.rank else None
    return TensorShape([None] * n) if n is not None else TensorShape(None)


def shape_arg(shape, op_name="shape"):
    """A shape argument (list, tuple, TensorShape, array or int tensor) as an int32 tensor."""
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)):
        if any(isinstance(d, Tensor) and not isinstance(d, EagerTensor) for d in shape):
            from ember.ops import array_ops
            return array_ops.stack([array_ops.cast(tensor(d), dtypes.int32)
                                    if isinstance(d, Tensor) else d for d in shape])
        try:
            vals = [operator.index(d) if not isinstance(d, Tensor) else int(d) for d in shape]
        except TypeError:
            raise TypeError(f"{op_name}: shape must contain only integers, got {shape!r}") \
                from None
        return EagerTensor(np.array(vals, dtype=np.int64 if any(
            abs(v) >= 2 ** 31 for v in vals) else np.int32).reshape(len(vals)))
    if isinstance(shape, (int, np.integer)):
        return EagerTensor(np.array([int(shape)], dtype=np.int32))
    t = convert_to_tensor(shape)
    if not t.dtype.is_integer:
        raise TypeError(f"{op_name}: shape must be an integer tensor, got {t.dtype.name}")
    return t
