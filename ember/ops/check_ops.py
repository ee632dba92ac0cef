"""Run-time checks: ``Assert``, the ``assert_*`` family, ``ensure_shape``,
``check_numerics`` (``tf.debugging``).

A check whose outcome is known when it is made (eagerly, or on constants and static
shapes while tracing) raises at once; otherwise it becomes an op that raises
``InvalidArgumentError`` when the graph runs. Eagerly the asserts return None, in a graph
the ``Assert`` operation (a target for ``control_dependencies``).
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.framework.context import context
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor import EagerTensor, Tensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape

__all__ = [
    "Assert", "assert_equal", "assert_none_equal", "assert_less", "assert_less_equal",
    "assert_greater", "assert_greater_equal", "assert_positive", "assert_negative",
    "assert_non_negative", "assert_non_positive", "assert_near", "assert_integer",
    "assert_type", "assert_scalar", "assert_rank", "assert_rank_at_least", "assert_rank_in",
    "assert_same_float_dtype", "assert_proper_iterable", "assert_all_finite",
    "assert_shapes", "is_numeric_tensor", "check_numerics", "ensure_shape",
]


def _known(t):
    """The value of ``t`` if known now (eager or constant), else None."""
    if isinstance(t, EagerTensor):
        return t._value
    if getattr(t, "_is_ember_variable", False) and context.graph is None:
        return np.asarray(t)
    return getattr(t, "_constant_value", None)


# ------------------------------------------------------------------------- Assert ---

class _Assert(Op):
    """Raises InvalidArgumentError with the formatted data when the condition is false."""

    name = "Assert"
    strings = True
    stateful = True
    side_effect = True
    differentiable = False

    def output_count(self, attrs):
        return 0

    def infer(self, inputs, template, summarize):
        cond = inputs[0]
        if cond.dtype is not dtypes.bool:
            raise TypeError(f"Assert: condition must be a bool tensor, got {cond.dtype.name}")
        return []

    def kernel(self, xp, cond, *data, template, summarize):
        if not bool(np.all(cond)):
            raise InvalidArgumentError("assertion failed: " + _render(template, data,
                                                                      summarize))
        return ()


ASSERT = _Assert()


def _render(template, arrays, summarize):
    from ember.ops.logging_ops import format_array
    return "".join(p if isinstance(p, str) else _bracketed(format_array(arrays[p], summarize),
                                                          arrays[p])
                   for p in template)


def _bracketed(text, array):
    return text if np.ndim(array) else f"[{text}]"


def Assert(condition, data, summarize=None, name=None):  # noqa: N802
    """Raises ``InvalidArgumentError`` showing ``data`` when ``condition`` is false.

    >>> tf.debugging.Assert(tf.reduce_all(x > 0), ["x must be positive:", x])
    """
    cond = convert_to_tensor(condition)
    tensors, template = [], []
    for k, d in enumerate(data if isinstance(data, (list, tuple)) else [data]):
        if k:
            template.append(" ")
        if isinstance(d, Tensor) or getattr(d, "_is_ember_variable", False):
            tensors.append(convert_to_tensor(d))
            template.append(len(tensors) - 1)
        else:
            template.append(f"[{d.decode() if isinstance(d, bytes) else d}]")
    summarize = 3 if summarize is None else int(summarize)
    known = _known(cond)
    if known is not None and all(_known(t) is not None for t in tensors):
        if not bool(np.all(known)):
            raise InvalidArgumentError("assertion failed: " + _render(
                tuple(template), [_known(t) for t in tensors], summarize))
        return None
    execute(ASSERT, [cond] + tensors, {"template": tuple(template), "summarize": summarize},
            name)
    return context.graph._operations[-1]      # the Assert operation itself


# ------------------------------------------------------------- comparisons of values ---

def _describe(t, label):
    return f"{label} (shape={tuple(t.shape.as_list()) if t.shape.rank is not None else None} " \
           f"dtype={t.dtype.name}) = "


def _compare(what, symbol, np_fn, tf_fn, x, y, message, data, summarize):
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    if x.dtype is not y.dtype:
        raise TypeError(f"{what}: x and y must have the same dtype, got {x.dtype.name} and "
                        f"{y.dtype.name}")
    if not TensorShape(x.shape).is_compatible_with(y.shape) and not _broadcastable(x, y):
        raise ValueError(f"{what}: x of shape {x.shape} and y of shape {y.shape} are not "
                         f"broadcast-compatible")
    head = f"{message}\n" if message else ""
    if data is None:
        data = [f"{head}Condition x {symbol} y did not hold element-wise:",
                _describe(x, "x"), x, _describe(y, "y"), y]
    elif message:
        data = [message] + list(data)
    xv, yv = _known(x), _known(y)
    if xv is not None and yv is not None:
        ok = np_fn(np.asarray(xv), np.asarray(yv))
        if not bool(np.all(ok)):
            values = [(_known(d) if isinstance(d, Tensor) else d) for d in data]
            text = "\n".join(
                _fmt(v, summarize) if isinstance(v, np.ndarray) or np.isscalar(v) and
                not isinstance(v, str) else str(v) for v in values)
            raise InvalidArgumentError(text)
        return None
    from ember.ops.reduce_ops import reduce_all
    return Assert(reduce_all(tf_fn(x, y)), data, summarize)


def _fmt(v, summarize):
    from ember.ops.logging_ops import format_array
    return format_array(np.asarray(v), 3 if summarize is None else summarize)


def _broadcastable(x, y):
    try:
        np.broadcast_shapes(tuple(d if d is not None else 1 for d in x.shape.as_list()),
                            tuple(d if d is not None else 1 for d in y.shape.as_list()))
        return True
    except (ValueError, TypeError):
        return x.shape.rank is None or y.shape.rank is None


def _math(name):
    def fn(x, y):
        from ember.ops import math_ops
        return getattr(math_ops, name)(x, y)
    return fn


def assert_equal(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x == y`` element-wise.

    >>> tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2])
    """
    return _compare("assert_equal", "==", np.equal, _math("equal"), x, y, message, data,
                    summarize)


def assert_none_equal(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x != y`` element-wise."""
    return _compare("assert_none_equal", "!=", np.not_equal, _math("not_equal"), x, y,
                    message, data, summarize)


def assert_less(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x < y`` element-wise."""
    return _compare("assert_less", "<", np.less, _math("less"), x, y, message, data, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x <= y`` element-wise."""
    return _compare("assert_less_equal", "<=", np.less_equal, _math("less_equal"), x, y,
                    message, data, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x > y`` element-wise."""
    return _compare("assert_greater", ">", np.greater, _math("greater"), x, y, message, data,
                    summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None, data=None):
    """Checks ``x >= y`` element-wise."""
    return _compare("assert_greater_equal", ">=", np.greater_equal, _math("greater_equal"),
                    x, y, message, data, summarize)


def _zero_like(x):
    x = convert_to_tensor(x)
    return x, convert_to_tensor(np.zeros((), x.dtype.np))


def assert_positive(x, message=None, summarize=None, name=None, data=None):
    """Checks ``x > 0`` element-wise."""
    x, zero = _zero_like(x)
    return assert_less(zero, x, message, summarize, name, data)


def assert_negative(x, message=None, summarize=None, name=None, data=None):
    """Checks ``x < 0`` element-wise."""
    x, zero = _zero_like(x)
    return assert_less(x, zero, message, summarize, name, data)


def assert_non_negative(x, message=None, summarize=None, name=None, data=None):
    """Checks ``x >= 0`` element-wise."""
    x, zero = _zero_like(x)
    return assert_less_equal(zero, x, message, summarize, name, data)


def assert_non_positive(x, message=None, summarize=None, name=None, data=None):
    """Checks ``x <= 0`` element-wise."""
    x, zero = _zero_like(x)
    return assert_less_equal(x, zero, message, summarize, name, data)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Checks ``|x - y| <= atol + rtol * |y|`` element-wise (tolerances default to 10
    machine epsilons of the dtype)."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    eps = np.finfo(x.dtype.np).eps if x.dtype.is_floating else 0
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol

    def np_near(a, b):
        return np.abs(a - b) <= atol + rtol * np.abs(b)

    def tf_near(a, b):
        from ember.ops import math_ops
        return math_ops.less_equal(math_ops.abs(a - b), atol + rtol * math_ops.abs(b))

    return _compare("assert_near", "~=", np_near, tf_near, x, y, message, None, summarize)


# ---------------------------------------------------------------- static properties ---

def _prefix(message):
    return f"{message}  " if message else ""


def assert_integer(x, message=None, name=None):
    """Raises TypeError unless ``x`` has an integer dtype."""
    x = convert_to_tensor(x)
    if not x.dtype.is_integer:
        raise TypeError(f"{_prefix(message)}Expected an integer tensor, got one of dtype "
                        f"{x.dtype.name}")
    return None


def assert_type(tensor, tf_type, message=None, name=None):
    """Raises TypeError unless ``tensor`` has dtype ``tf_type``."""
    tensor = convert_to_tensor(tensor)
    tf_type = dtypes.as_dtype(tf_type)
    if tensor.dtype is not tf_type:
        raise TypeError(f"{_prefix(message)}tensor must be of type {tf_type.name}, got "
                        f"{tensor.dtype.name}")
    return None


def assert_scalar(tensor, message=None, name=None):
    """Raises ValueError unless ``tensor`` is a scalar; returns it."""
    tensor = convert_to_tensor(tensor)
    if tensor.shape.rank is not None and tensor.shape.rank != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape, saw shape: {tensor.shape}.")
    return tensor


def _rank_check(what, x, ok, expected, message, data):
    from ember.ops.array_ops import rank as rank_of
    x = convert_to_tensor(x)
    r = x.shape.rank
    if r is not None:
        if not ok(r):
            raise ValueError(f"{_prefix(message)}Tensor must have rank {expected}. Received "
                             f"rank {r}, shape {x.shape}")
        return None
    from ember.ops import math_ops
    cond = _rank_condition(rank_of(x), what, expected, math_ops)
    return Assert(cond, data or [f"{message or ''}Tensor must have rank {expected}.",
                                 "rank:", rank_of(x)])


def _rank_condition(r, what, expected, math_ops):
    from ember.ops.reduce_ops import reduce_any
    if what == "rank":
        return math_ops.equal(r, expected)
    if what == "at_least":
        return math_ops.greater_equal(r, expected)
    return reduce_any(math_ops.equal(r, convert_to_tensor(list(expected), dtype=r.dtype)))


def assert_rank(x, rank, message=None, name=None):
    """Checks that ``x`` has rank ``rank`` (statically when the rank is known)."""
    rank = int(_known(convert_to_tensor(rank)))
    return _rank_check("rank", x, lambda r: r == rank, rank, message, None)


def assert_rank_at_least(x, rank, message=None, name=None):
    """Checks that ``x`` has rank ``rank`` or more."""
    rank = int(_known(convert_to_tensor(rank)))
    return _rank_check("at_least", x, lambda r: r >= rank, f"at least {rank}", message, None)


def assert_rank_in(x, ranks, message=None, name=None):
    """Checks that the rank of ``x`` is one of ``ranks``."""
    ranks = tuple(int(r) for r in ranks)
    return _rank_check("in", x, lambda r: r in ranks, ranks, message, None)


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common floating dtype of ``tensors`` (and ``dtype``); ValueError when they
    differ or are not floating."""
    found = dtypes.as_dtype(dtype) if dtype is not None else None
    for t in tensors or ():
        d = convert_to_tensor(t).dtype
        if found is None:
            found = d
        elif d is not found:
            raise ValueError(f"Expected {found.name}, got {d.name} for tensor {t!r}.")
    if found is None:
        return dtypes.float32
    if not found.is_floating:
        raise ValueError(f"Expected floating point type, got {found.name}.")
    return found


def assert_proper_iterable(values):
    """Raises TypeError if ``values`` is a tensor, array or string (iterable, but not a
    collection of separate values) or is not iterable."""
    if isinstance(values, (Tensor, np.ndarray, str, bytes)) or \
            getattr(values, "_is_ember_variable", False):
        raise TypeError(f"Expected argument 'values' to be a \"proper\" iterable. Found: "
                        f"{type(values)}")
    if not hasattr(values, "__iter__"):
        raise TypeError(f"Expected argument 'values' to be iterable. Found: {type(values)}")


def is_numeric_tensor(tensor) -> bool:
    """Whether ``tensor`` is a tensor of a numeric dtype."""
    return isinstance(tensor, Tensor) and (tensor.dtype.is_floating or tensor.dtype.is_integer
                                           or tensor.dtype.is_complex)


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Checks tensors' shapes against specs sharing symbolic dimensions.

    Each spec is a sequence of ints (exact), strings (a named dimension, equal wherever
    the name appears), ``'.'`` or None (any size), with an optional leading ``'*'`` for
    any number of leading dimensions; ``()`` means a scalar.

    >>> tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (b, ("Q",))])
    """
    pairs = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    sizes = {}
    head = f"{message}  " if message else ""
    for tensor, spec in pairs:
        tensor = convert_to_tensor(tensor)
        spec = list(spec) if isinstance(spec, (list, tuple, TensorShape)) else [spec]
        spec = [s.value if hasattr(s, "value") and not isinstance(s, (str, int)) else s
                for s in spec]
        shape = _actual_shape(tensor)
        if shape is None:
            continue
        leading = bool(spec) and spec[0] == "*"
        dims = spec[1:] if leading else spec
        if len(shape) < len(dims) or (not leading and len(shape) != len(dims)):
            raise ValueError(f"{head}Specified by tensor {_name(tensor)} dimension 0. Tensor "
                             f"{_name(tensor)} must have rank {len(dims)}. Received rank "
                             f"{len(shape)}, shape {tuple(shape)}")
        actual = shape[len(shape) - len(dims):]
        for k, (want, got) in enumerate(zip(dims, actual)):
            if got is None or want in (None, "."):
                continue
            if isinstance(want, str):
                prev = sizes.setdefault(want, (got, tensor))
                if prev[0] != got:
                    raise ValueError(
                        f"{head}Specified by tensor {_name(prev[1])}: dimension {want!r} is "
                        f"{prev[0]}, but tensor {_name(tensor)} has size {got} there "
                        f"(shape {tuple(shape)})")
            elif int(want) != got:
                raise ValueError(f"{head}Tensor {_name(tensor)} dimension {k} must have size "
                                 f"{want}. Received size {got}, shape {tuple(shape)}")
    return None


def _actual_shape(t):
    if isinstance(t, EagerTensor):
        return list(t._value.shape)
    return None if t.shape.rank is None else t.shape.as_list()


def _name(t):
    return getattr(t, "name", None) or "tensor"


# ------------------------------------------------------------------ ensure_shape ---

class _EnsureShape(Op):
    """``x`` itself, after checking at run time that its shape fits ``shape``."""

    name = "EnsureShape"
    strings = True

    def infer(self, inputs, shape):
        x = inputs[0]
        want = TensorShape(shape)
        if not x.shape.is_compatible_with(want):
            raise ValueError(f"Shape of tensor {x.shape} is not compatible with expected shape "
                             f"{want}.")
        return x.shape.merge_with(want), x.dtype

    def kernel(self, xp, x, shape):
        if not TensorShape(shape).is_compatible_with(np.shape(x)):
            raise InvalidArgumentError(f"Shape of tensor x {list(np.shape(x))} is not "
                                       f"compatible with expected shape {TensorShape(shape)}.")
        return x

    def grad(self, call, g):
        return g


ENSURE_SHAPE = _EnsureShape()


def ensure_shape(x, shape, name=None):
    """``x``, checked to have a shape compatible with ``shape`` (None for any size); in a
    graph its static shape becomes the more specific of the two.

    >>> tf.ensure_shape(tf.zeros([2, 3]), [None, 3])
    """
    x = convert_to_tensor(x)
    shape = TensorShape(shape)
    dims = None if shape.rank is None else tuple(shape.as_list())
    return execute(ENSURE_SHAPE, [x], {"shape": dims}, name)


# ---------------------------------------------------------------- check_numerics ---

class _CheckNumerics(Op):
    """``x``, after checking that it holds no NaN or infinity."""

    name = "CheckNumerics"

    def infer(self, inputs, message):
        x = inputs[0]
        if not (x.dtype.is_floating or x.dtype.is_complex):
            raise TypeError(f"check_numerics: expected a floating tensor, got {x.dtype.name}")
        return x.shape, x.dtype

    def kernel(self, xp, x, message):
        a = np.asarray(x)
        if np.isnan(a).any():
            raise InvalidArgumentError(f"{message} : Tensor had NaN values")
        if np.isinf(a).any():
            raise InvalidArgumentError(f"{message} : Tensor had Inf values")
        return a

    def grad(self, call, g):
        return check_numerics(g, "Not a number (NaN) or infinity (Inf) values detected in "
                                 "gradient. " + call.attrs["message"])


CHECK_NUMERICS = _CheckNumerics()


def check_numerics(tensor, message, name=None):
    """``tensor``, raising InvalidArgumentError (with ``message``) if it holds NaN or Inf."""
    return execute(CHECK_NUMERICS, [convert_to_tensor(tensor)], {"message": str(message)},
                   name)


def assert_all_finite(t, msg, name=None, x=None, message=None):
    """``check_numerics`` under its v1 name."""
    t = x if t is None else t
    return check_numerics(t, message or msg, name)
