"""Python code as an op: ``py_function`` (tensors in and out, differentiable) and
``numpy_function`` (NumPy arrays in and out). Inside a traced function the Python code
runs each time the graph runs; their output shapes are unknown to the graph."""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes, nest
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = ["py_function", "numpy_function", "eager_py_func"]


def _as_arrays(result, tout, what):
    flat = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(flat) != len(tout):
        raise InvalidArgumentError(f"{what}: the function returned {len(flat)} values, Tout "
                                   f"lists {len(tout)}")
    out = []
    for v, d in zip(flat, tout):
        arr = np.asarray(v._value if isinstance(v, EagerTensor) else
                         v.numpy() if hasattr(v, "numpy") else v)
        if arr.dtype != d.np and d is not dtypes.string:
            if arr.dtype.kind == "f" and d.is_integer or arr.dtype.kind == "c" and \
                    not d.is_complex:
                raise InvalidArgumentError(f"{what}: the function returned {arr.dtype} where "
                                           f"Tout says {d.name}")
            arr = arr.astype(d.np)
        out.append(arr)
    return tuple(out)


class _PyFunc(Op):
    """Calls ``func`` on the inputs (as eager tensors, or NumPy arrays for numpy_function)."""

    name = "EagerPyFunc"
    strings = True
    stateful = True
    side_effect = True        # the Python code runs even when nothing reads its results
    relaxed_shape = True      # the graph cannot know what the Python code returns

    def output_count(self, attrs):
        return len(attrs["tout"])

    def infer(self, inputs, func, tout, numpy_args, what):
        return [(TensorShape(None), d) for d in tout]

    def kernel(self, xp, *arrays, func, tout, numpy_args, what):
        args = [np.asarray(a) if numpy_args else EagerTensor(a) for a in arrays]
        prev_graph = context.graph
        context.graph = None
        try:
            result = func.fn(*args)
        finally:
            context.graph = prev_graph
        return _as_arrays(result, tout, what)

    def grad(self, call, *grads):
        if call.attrs["numpy_args"]:
            return [None] * len(call.inputs)
        inputs = list(call.inputs)
        grads = [g if g is not None else _zeros_like(o) for g, o in zip(grads, call.outputs)]
        out = execute(PY_FUNC_GRAD, inputs + grads,
                      {"func": call.attrs["func"], "n_in": len(inputs),
                       "in_dtypes": tuple(t.dtype for t in inputs)})
        return out if isinstance(out, list) else [out]


def _zeros_like(t):
    from ember.ops.array_ops import zeros_like
    return zeros_like(t)


class _PyFuncGrad(Op):
    """Runs the function again under a tape and takes its gradient."""

    name = "EagerPyFuncGrad"
    stateful = True
    differentiable = False

    def output_count(self, attrs):
        return attrs["n_in"]

    def infer(self, inputs, func, n_in, in_dtypes):
        return [(s.shape, s.dtype) for s in inputs[:n_in]]

    def kernel(self, xp, *arrays, func, n_in, in_dtypes):
        from ember.engine.tape import GradientTape
        xs = [EagerTensor(a) for a in arrays[:n_in]]
        ups = [EagerTensor(a) for a in arrays[n_in:]]
        prev_graph = context.graph
        context.graph = None
        try:
            with GradientTape() as tape:
                for x in xs:
                    tape.watch(x)
                result = func.fn(*xs)
            flat = [convert_to_tensor(r) for r in nest.flatten(result)]
            grads = [convert_to_tensor(g) for g in tape.gradient(
                flat, xs, output_gradients=ups, unconnected_gradients="zero")]
        finally:
            context.graph = prev_graph
        return tuple(np.asarray(g._value, dtype=d.np) if d.is_floating or d.is_complex
                     else np.zeros(np.shape(x._value), d.np)
                     for g, x, d in zip(grads, xs, in_dtypes))


class _Callable:
    """A hashable handle on the user's function (op attributes must be hashable)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __hash__(self):
        return id(self.fn)

    def __eq__(self, other):
        return isinstance(other, _Callable) and other.fn is self.fn


PY_FUNC = _PyFunc()
PY_FUNC_GRAD = _PyFuncGrad()


def _tout(Tout):
    single = not isinstance(Tout, (list, tuple))
    return single, tuple(dtypes.as_dtype(t) for t in ([Tout] if single else Tout))


def py_function(func, inp, Tout, name=None):  # noqa: N803
    """Runs ``func(*inp)`` as Python on eager tensors, also inside traced functions (at
    run time); differentiable through the tape.

    >>> tf.py_function(lambda x: x * 2, [tf.constant(3.0)], Tout=tf.float32)
    """
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    if Tout is None:
        Tout = []
    single, tout = _tout(Tout)
    if context.graph is None:
        result = func(*inputs)
        if not tout:
            return [] if not single else None
        flat = list(result) if isinstance(result, (list, tuple)) and not single else [result]
        if len(flat) != len(tout):
            raise InvalidArgumentError(f"py_function: the function returned {len(flat)} values, "
                                       f"Tout lists {len(tout)}")
        out = [convert_to_tensor(v, dtype=d) if not hasattr(v, "dtype") or
               getattr(v, "dtype", None) is not d else v for v, d in zip(flat, tout)]
        return out[0] if single else out
    outs = execute(PY_FUNC, inputs, {"func": _Callable(func), "tout": tout,
                                     "numpy_args": False, "what": "py_function"}, name)
    outs = outs if isinstance(outs, list) else [outs]
    return outs[0] if single and outs else (None if single else outs)


eager_py_func = py_function


def numpy_function(func, inp, Tout, stateful=True, name=None):  # noqa: N803
    """Runs ``func`` on NumPy arrays (the inputs' values) and returns its arrays as tensors;
    not differentiable.

    >>> tf.numpy_function(lambda a: np.sort(a), [tf.constant([3, 1, 2])], Tout=tf.int32)
    """
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    single, tout = _tout(Tout)
    if context.graph is None:
        from ember.ops.array_ops import stop_gradient
        arrays = _as_arrays(func(*[np.asarray(t._value) for t in inputs]), tout,
                            "numpy_function")
        out = [stop_gradient(EagerTensor(a)) for a in arrays]
        return out[0] if single else out
    outs = execute(PY_FUNC, inputs, {"func": _Callable(func), "tout": tout,
                                     "numpy_args": True, "what": "numpy_function"}, name)
    outs = outs if isinstance(outs, list) else [outs]
    return outs[0] if single else outs
