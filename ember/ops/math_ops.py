"""Elementwise math: arithmetic, comparison, logical, unary functions, cast, cumulative ops."""
from __future__ import annotations

import math

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError, UnimplementedError
from ember.framework.op import Op
from ember.engine.compiler import register_simplification
from ember.engine.dispatch import execute
from ember.runtime import memory
from ember.runtime.rows import add_rows_into
from ember.framework.tensor import EagerTensor, convert_to_tensor
from ember.framework.tensor_shape import TensorShape
from ember.ops._base import (
    ANY, BOOL, COMPLEX, EMPTY, FLOATS, INTS, NUMERIC, REAL, STRING, BinaryOp, UnaryOp,
    binary_args,
    _np_set, check_dtype, dtype_error, mismatch_error, normalize_axis, run_binary, run_unary,
    static_int,
    tensor,
)

__all__ = [
    "abs",
    "accumulate_n",
    "acos",
    "acosh",
    "add",
    "add_n",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_not",
    "cast",
    "ceil",
    "clip_by_value",
    "complex",
    "complex_abs",
    "conj",
    "cos",
    "cosh",
    "cumprod",
    "cumsum",
    "cumulative_logsumexp",
    "digamma",
    "divide",
    "divide_no_nan",
    "equal",
    "erf",
    "erfc",
    "exp",
    "expm1",
    "floor",
    "floor_div",
    "floordiv",
    "floormod",
    "greater",
    "greater_equal",
    "imag",
    "is_finite",
    "is_inf",
    "is_nan",
    "less",
    "less_equal",
    "lgamma",
    "log",
    "log1p",
    "log_sigmoid",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "multiply_no_nan",
    "neg",
    "negative",
    "not_equal",
    "polygamma",
    "polyval",
    "pow",
    "real",
    "realdiv",
    "reciprocal",
    "reciprocal_no_nan",
    "rint",
    "round",
    "rsqrt",
    "saturate_cast",
    "scalar_mul",
    "segment_sum",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "squared_difference",
    "subtract",
    "tan",
    "tanh",
    "to_float",
    "to_int32",
    "to_int64",
    "truediv",
    "truncatediv",
    "truncatemod",
    "unsorted_segment_sum",
    "xdivy",
    "xlogy",
]

FLOAT32_64 = frozenset([np.dtype(np.float32), np.dtype(np.float64)])

# ---------------------------------------------------------------- binary arithmetic ---


def _add_grad(x, y, z, g):
    return g, g


def _sub_grad(x, y, z, g):
    return g, -g


def _mul_grad(x, y, z, g):
    return g * conj(y), g * conj(x)


def _div_grad(x, y, z, g):
    x, y = conj(x), conj(y)
    return g / y, -g * x / (y * y)


def _pow_grad(x, y, z, g):
    x, y, z = conj(x), conj(y), conj(z)
    gx = g * y * pow(x, y - 1) if x.dtype.is_floating or x.dtype.is_complex else None
    positive = not_equal(x, zeros_like(x)) if x.dtype.is_complex else greater(x, zeros_like(x))
    safe = where(positive, x, ones_like(x))
    gy = g * where(positive, z * log(safe), zeros_like(x))
    return gx, gy


def _max_grad(x, y, z, g):
    mask = greater_equal(x, y)
    zero = zeros_like(g)
    return where(mask, g, zero), where(mask, zero, g)


def _min_grad(x, y, z, g):
    mask = less_equal(x, y)
    zero = zeros_like(g)
    return where(mask, g, zero), where(mask, zero, g)


def _mod_grad(x, y, z, g):
    return g, -g * floor(x / y)


def _sqdiff_grad(x, y, z, g):
    d = 2.0 * g * (x - y)
    return d, -d


def _np_truediv(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.dtype.kind in "iu":
            return np.true_divide(a, b, dtype=np.float64 if a.dtype.itemsize >= 4
                                  else np.float32)
        return np.true_divide(a, b)


class _TrueDiv(BinaryOp):
    def result_dtype(self, dtype):
        if dtype.is_integer:
            return dtypes.float64 if dtype.size >= 4 else dtypes.float32
        return dtype


def _int_guard(op_name, fn):
    def run(a, b):
        if a.dtype.kind in "iu" and np.any(b == 0):
            raise InvalidArgumentError(f"Integer division by zero [Op:{op_name}]")
        return fn(a, b)
    return run


def _quiet(fn):
    def run(*args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args)
    if isinstance(fn, np.ufunc):
        run.__wrapped_ufunc__ = fn   # compiled plans call the ufunc directly (under errstate)
    return run


def _sub_lazy(x, y, z, g, needs):
    return (g if needs[0] else None), (-g if needs[1] else None)


def _mul_lazy(x, y, z, g, needs):
    return (g * conj(y) if needs[0] else None), (g * conj(x) if needs[1] else None)


ADD = BinaryOp("AddV2", np.add, _add_grad, NUMERIC)
SUB = BinaryOp("Sub", np.subtract, _sub_grad, NUMERIC, lazy_grad=_sub_lazy)
MUL = BinaryOp("Mul", np.multiply, _mul_grad, NUMERIC, lazy_grad=_mul_lazy)
REALDIV = BinaryOp("RealDiv", _quiet(np.divide), _div_grad, FLOATS | COMPLEX)
TRUEDIV = _TrueDiv("TrueDiv", _np_truediv, _div_grad, NUMERIC)
TRUEDIV.float_ufunc = np.true_divide      # float inputs: the compiler may fuse it
TRUEDIV.ufunc_quiet = True
# what a compiled plan may drop: x + 0, 0 + x, x * 1, 1 * x, x - 0, x / 1
register_simplification(ADD, neutral=0.0, sides=("right", "left"))
register_simplification(MUL, neutral=1.0, sides=("right", "left"))
register_simplification(SUB, neutral=0.0, sides=("right",))
register_simplification(REALDIV, neutral=1.0, sides=("right",))
register_simplification(TRUEDIV, neutral=1.0, sides=("right",))
FLOORDIV = BinaryOp("FloorDiv", _int_guard("FloorDiv", _quiet(np.floor_divide)), None, REAL)
FLOORMOD = BinaryOp("FloorMod", _int_guard("FloorMod", _quiet(np.mod)), _mod_grad, REAL)
POW = BinaryOp("Pow", _quiet(np.power), _pow_grad, NUMERIC)
MAXIMUM = BinaryOp("Maximum", np.maximum, _max_grad, REAL)
MINIMUM = BinaryOp("Minimum", np.minimum, _min_grad, REAL)
SQDIFF = BinaryOp("SquaredDifference", lambda a, b: np.square(a - b), _sqdiff_grad, REAL)
ATAN2 = BinaryOp("Atan2", np.arctan2,
                 lambda y, x, z, g: (g * x / (x * x + y * y), -g * y / (x * x + y * y)), FLOATS)


def add(x, y, name=None):
    """x + y elementwise, with broadcasting.

    >>> ember.add([1, 2], 3).numpy()
    array([4, 5], dtype=int32)
    """
    if type(x) is not EagerTensor or type(y) is not EagerTensor:
        x, y = binary_args(x, y)
    if x.dtype is dtypes.string:
        return execute(STRING_ADD, (x, y), EMPTY, name)
    return execute(ADD, (x, y), EMPTY, name)


def subtract(x, y, name=None):
    """x - y elementwise, with broadcasting.

    >>> ember.subtract([5, 7], 2).numpy()
    array([3, 5], dtype=int32)
    """
    return run_binary(SUB, x, y, name)


def multiply(x, y, name=None):
    """x * y elementwise, with broadcasting.

    >>> ember.multiply([1., 2.], [3., 4.]).numpy()
    array([3., 8.], dtype=float32)
    """
    return run_binary(MUL, x, y, name)


def divide(x, y, name=None):
    """x / y elementwise; int8/int16 give float32 and int32/int64 give float64.

    >>> ember.divide([1, 3], 2).numpy()
    array([0.5, 1.5])
    """
    return run_binary(TRUEDIV, x, y, name)


truediv = divide


def realdiv(x, y, name=None):
    """x / y for floating and complex tensors.

    >>> ember.realdiv([1., 3.], 2.).numpy()
    array([0.5, 1.5], dtype=float32)
    """
    return run_binary(REALDIV, x, y, name)


def floordiv(x, y, name=None):
    """Floor of x / y; integers stay integers.

    >>> ember.math.floordiv([7, -7], 2).numpy()
    array([ 3, -4], dtype=int32)
    """
    return run_binary(FLOORDIV, x, y, name)


floor_div = floordiv


def floormod(x, y, name=None):
    """Remainder with the sign of the divisor (Python's ``%``).

    >>> ember.math.floormod([7, -7], 3).numpy()
    array([1, 2], dtype=int32)
    """
    return run_binary(FLOORMOD, x, y, name)


mod = floormod


def pow(x, y, name=None):  # noqa: A001 - TensorFlow's public name
    """x ** y elementwise.

    >>> ember.pow([2., 3.], 2.).numpy()
    array([4., 9.], dtype=float32)
    """
    return run_binary(POW, x, y, name)


def maximum(x, y, name=None):
    """The larger of x and y elementwise.

    >>> ember.maximum([1, 5], [3, 2]).numpy()
    array([3, 5], dtype=int32)
    """
    return run_binary(MAXIMUM, x, y, name)


def minimum(x, y, name=None):
    """The smaller of x and y elementwise.

    >>> ember.minimum([1, 5], [3, 2]).numpy()
    array([1, 2], dtype=int32)
    """
    return run_binary(MINIMUM, x, y, name)


def squared_difference(x, y, name=None):
    """(x - y) ** 2 elementwise.

    >>> ember.math.squared_difference([1., 5.], 2.).numpy()
    array([1., 9.], dtype=float32)
    """
    return run_binary(SQDIFF, x, y, name)


def atan2(y, x, name=None):
    """The angle of the point (x, y), in [-pi, pi].

    >>> ember.atan2([1., -1.], [0., 0.]).numpy()
    array([ 1.5707964, -1.5707964], dtype=float32)
    """
    return run_binary(ATAN2, y, x, name)


def _float_args(fn_name, op_name, x, y):
    x, y = binary_args(x, y)
    if x.dtype is not y.dtype:
        raise mismatch_error(op_name, x.dtype, y.dtype)
    check_dtype(op_name, x.dtype, FLOATS | COMPLEX)
    return x, y


def divide_no_nan(x, y, name=None):
    """x / y, with 0 wherever y == 0 (even where x is 0, inf or nan).

    >>> ember.math.divide_no_nan([1., 2.], [0., 4.]).numpy()
    array([0. , 0.5], dtype=float32)
    """
    x, y = _float_args("divide_no_nan", "DivNoNan", x, y)
    is_zero = equal(y, zeros_like(y))
    safe = where(is_zero, ones_like(y), y)
    quotient = x / safe
    return where(is_zero, zeros_like(quotient), quotient)


def multiply_no_nan(x, y, name=None):
    """x * y, with 0 wherever y == 0 (even where x is inf or nan).

    >>> ember.math.multiply_no_nan([np.inf, 2.], [0., 3.]).numpy()
    array([0., 6.], dtype=float32)
    """
    x, y = _float_args("multiply_no_nan", "MulNoNan", x, y)
    is_zero = equal(y, zeros_like(y))
    safe_x = where(is_zero, zeros_like(x), x)
    product = safe_x * y
    return where(is_zero, zeros_like(product), product)


def _truncatemod(a, b):
    return np.fmod(a, b)


def _truncatediv(a, b):
    if a.dtype.kind in "iu":
        return ((a - np.fmod(a, b)) // b).astype(a.dtype, copy=False)
    return np.trunc(a / b)


TRUNCATEMOD = BinaryOp("TruncateMod", _int_guard("TruncateMod", _quiet(_truncatemod)), None,
                       REAL)
TRUNCATEDIV = BinaryOp("TruncateDiv", _int_guard("TruncateDiv", _quiet(_truncatediv)), None,
                       REAL)


def truncatemod(x, y, name=None):
    """Remainder of the division rounded toward zero (the sign of ``x``, as C's ``fmod``).

    >>> ember.math.truncatemod([-7, 7], [2, -2]).numpy()
    array([-1,  1], dtype=int32)
    """
    return run_binary(TRUNCATEMOD, x, y, name)


def truncatediv(x, y, name=None):
    """x / y rounded toward zero; integers stay integers.

    >>> ember.math.truncatediv([-7, 7], [2, 2]).numpy()
    array([-3,  3], dtype=int32)
    """
    return run_binary(TRUNCATEDIV, x, y, name)


def scalar_mul(scalar, x, name=None):
    """Multiplies ``x`` by a 0-d ``scalar`` (converted to ``x``'s dtype).

    >>> ember.math.scalar_mul(2., ember.constant([1., 2.])).numpy()
    array([2., 4.], dtype=float32)
    """
    x = tensor(x)
    scalar = convert_to_tensor(scalar, dtype=x.dtype)
    if scalar.shape.rank != 0:
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    return multiply(scalar, x, name)


def polyval(coeffs, x, name=None):
    """The polynomial ``coeffs[0] * x**(n-1) + ... + coeffs[n-1]``, by Horner's rule.

    >>> ember.math.polyval([1., 0., -1.], ember.constant([2., 3.])).numpy()
    array([3., 8.], dtype=float32)
    """
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"polyval: coeffs must be a list of tensors, got {type(coeffs).__name__}")
    x = tensor(x)
    if not coeffs:
        return zeros_like(x)
    p = convert_to_tensor(coeffs[0], dtype=None if _is_t(coeffs[0]) else x.dtype)
    for c in coeffs[1:]:
        p = add(c, p * x)
    return p


# ------------------------------------------------------------------------ comparisons ---

def _cmp(name, fn, allowed=ANY):
    return BinaryOp(name, fn, None, allowed, out_dtype=dtypes.bool)


EQUAL = _cmp("Equal", np.equal)
NOT_EQUAL = _cmp("NotEqual", np.not_equal)
LESS = _cmp("Less", np.less, REAL)
LESS_EQUAL = _cmp("LessEqual", np.less_equal, REAL)
GREATER = _cmp("Greater", np.greater, REAL)
GREATER_EQUAL = _cmp("GreaterEqual", np.greater_equal, REAL)
LOGICAL_AND = BinaryOp("LogicalAnd", np.logical_and, None, BOOL)
LOGICAL_OR = BinaryOp("LogicalOr", np.logical_or, None, BOOL)
LOGICAL_XOR = BinaryOp("LogicalXor", np.logical_xor, None, BOOL)


def equal(x, y, name=None):
    """x == y elementwise, as bool.

    >>> ember.equal([1, 2], 2).numpy()
    array([False,  True])
    """
    return run_binary(EQUAL, x, y, name)


def not_equal(x, y, name=None):
    """x != y elementwise, as bool.

    >>> ember.not_equal([1, 2], 2).numpy()
    array([ True, False])
    """
    return run_binary(NOT_EQUAL, x, y, name)


def less(x, y, name=None):
    """x < y elementwise, as bool.

    >>> ember.less([1, 2], 2).numpy()
    array([ True, False])
    """
    return run_binary(LESS, x, y, name)


def less_equal(x, y, name=None):
    """x <= y elementwise, as bool.

    >>> ember.less_equal([1, 2], 2).numpy()
    array([ True,  True])
    """
    return run_binary(LESS_EQUAL, x, y, name)


def greater(x, y, name=None):
    """x > y elementwise, as bool.

    >>> ember.greater([1, 2], 1).numpy()
    array([False,  True])
    """
    return run_binary(GREATER, x, y, name)


def greater_equal(x, y, name=None):
    """x >= y elementwise, as bool.

    >>> ember.greater_equal([1, 2], 2).numpy()
    array([False,  True])
    """
    return run_binary(GREATER_EQUAL, x, y, name)


def logical_and(x, y, name=None):
    """Elementwise AND of bool tensors.

    >>> ember.logical_and([True, True], [True, False]).numpy()
    array([ True, False])
    """
    return run_binary(LOGICAL_AND, x, y, name)


def logical_or(x, y, name=None):
    """Elementwise OR of bool tensors.

    >>> ember.logical_or([True, False], [False, False]).numpy()
    array([ True, False])
    """
    return run_binary(LOGICAL_OR, x, y, name)


def logical_xor(x, y, name=None):
    """Elementwise XOR of bool tensors.

    >>> ember.math.logical_xor([True, True], [True, False]).numpy()
    array([False,  True])
    """
    return run_binary(LOGICAL_XOR, x, y, name)


LOGICAL_NOT = UnaryOp("LogicalNot", np.logical_not, None, BOOL)
BITWISE_NOT = UnaryOp("Invert", np.invert, None, INTS)
BITWISE_AND = BinaryOp("BitwiseAnd", np.bitwise_and, None, INTS)
BITWISE_OR = BinaryOp("BitwiseOr", np.bitwise_or, None, INTS)
BITWISE_XOR = BinaryOp("BitwiseXor", np.bitwise_xor, None, INTS)


def logical_not(x, name=None):
    """Elementwise NOT of a bool tensor.

    >>> ember.logical_not([True, False]).numpy()
    array([False,  True])
    """
    return run_unary(LOGICAL_NOT, x, name)


def bitwise_not(x, name=None):
    """Flips every bit of an integer tensor.

    >>> ember.bitwise_not([0, 5]).numpy()
    array([-1, -6], dtype=int32)
    """
    return run_unary(BITWISE_NOT, x, name)


def _string_join(a, b):
    # (a scalar result comes back as bytes, not as an array)
    return np.asarray(np.frompyfunc(lambda p, q: p + q, 2, 1)(a, b), dtype=object)


# TensorFlow's `+` on strings runs the op Add (AddV2 takes numbers only).
STRING_ADD = BinaryOp("Add", _string_join, None, STRING)


def equal_any(x, y):
    """``x == y`` for the ``==`` operator: False (not an error) when shapes can't compare."""
    if y is None:
        return False
    try:
        return equal(x, y)
    except (InvalidArgumentError, ValueError, TypeError):
        return False


def not_equal_any(x, y):
    """``x != y`` for the ``!=`` operator: True (not an error) when shapes can't compare."""
    if y is None:
        return True
    try:
        return not_equal(x, y)
    except (InvalidArgumentError, ValueError, TypeError):
        return True


# -------------------------------------------------------------------- unary functions ---

def _holomorphic(grad_fn):
    """For complex input, TensorFlow's convention: dx = g * conj(f'(x)) = g * f'(conj(x))."""
    def run(x, y, g):
        if x.dtype.is_complex:
            return grad_fn(conj(x), conj(y), g)
        return grad_fn(x, y, g)
    return run


def _u(name, fn, grad_fn=None, allowed=FLOATS | COMPLEX, out_dtype=None):
    return UnaryOp(name, _quiet(fn), grad_fn and _holomorphic(grad_fn), allowed, out_dtype)


class _ToReal(UnaryOp):
    """A complex -> real elementwise op (real, imag, abs): complex64 gives float32."""

    def infer(self, inputs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, self.allowed)
        return x.shape, x.dtype.real_dtype


def _sign_kernel(a):
    if a.dtype.kind == "c":
        mag = np.abs(a)
        return np.where(mag == 0, 0, a / np.where(mag == 0, 1, mag)).astype(a.dtype)
    return np.sign(a)


def _conj_kernel(a):
    return np.conj(a) if a.dtype.kind == "c" else a


NEG = _u("Neg", np.negative, lambda x, y, g: -g, NUMERIC)
ABS = _u("Abs", np.abs, lambda x, y, g: g * sign(x), REAL)
SIGN = UnaryOp("Sign", _sign_kernel, lambda x, y, g: zeros_like(g), NUMERIC)
SQUARE = _u("Square", np.square, lambda x, y, g: g * (2.0 * x) if x.dtype.is_floating
            else g * 2 * x, NUMERIC)
SQRT = _u("Sqrt", np.sqrt, lambda x, y, g: g * 0.5 / y)
RSQRT = _u("Rsqrt", lambda a: np.reciprocal(np.sqrt(a)),
           lambda x, y, g: g * -0.5 * y * y * y)
EXP = _u("Exp", np.exp, lambda x, y, g: g * y)
EXPM1 = _u("Expm1", np.expm1, lambda x, y, g: g * (y + 1.0))
LOG = _u("Log", np.log, lambda x, y, g: g / x)
LOG1P = _u("Log1p", np.log1p, lambda x, y, g: g / (1.0 + x))
SIN = _u("Sin", np.sin, lambda x, y, g: g * cos(x))
COS = _u("Cos", np.cos, lambda x, y, g: -g * sin(x))
TAN = _u("Tan", np.tan, lambda x, y, g: g * (1.0 + y * y))
ASIN = _u("Asin", np.arcsin, lambda x, y, g: g * rsqrt(1.0 - x * x))
ACOS = _u("Acos", np.arccos, lambda x, y, g: -g * rsqrt(1.0 - x * x))
ATAN = _u("Atan", np.arctan, lambda x, y, g: g / (1.0 + x * x))
SINH = _u("Sinh", np.sinh, lambda x, y, g: g * cosh(x))
COSH = _u("Cosh", np.cosh, lambda x, y, g: g * sinh(x))
TANH = _u("Tanh", np.tanh, lambda x, y, g: g * (1.0 - y * y))
ASINH = _u("Asinh", np.arcsinh, lambda x, y, g: g * rsqrt(x * x + 1.0))
ACOSH = _u("Acosh", np.arccosh, lambda x, y, g: g * rsqrt(x * x - 1.0))
ATANH = _u("Atanh", np.arctanh, lambda x, y, g: g / (1.0 - x * x))
RECIPROCAL = _u("Reciprocal", np.reciprocal, lambda x, y, g: -g * y * y)
FLOOR = _u("Floor", np.floor, None, FLOATS)
CEIL = _u("Ceil", np.ceil, None, FLOATS)
ROUND = _u("Round", np.round, None, REAL)
RINT = _u("Rint", np.rint, None, FLOATS)
CONJ = UnaryOp("Conj", _conj_kernel, lambda x, y, g: conj(g), NUMERIC)
REAL_PART = _ToReal("Real", np.real, lambda x, y, g: complex(g, zeros_like(g)), COMPLEX)
IMAG_PART = _ToReal("Imag", np.imag, lambda x, y, g: complex(zeros_like(g), g), COMPLEX)
IS_NAN = UnaryOp("IsNan", np.isnan, None, FLOATS, dtypes.bool)
IS_INF = UnaryOp("IsInf", np.isinf, None, FLOATS, dtypes.bool)
IS_FINITE = UnaryOp("IsFinite", np.isfinite, None, FLOATS, dtypes.bool)


def _sigmoid_kernel(a):
    # exp(-|a|) never overflows; the two branches agree and stay accurate in the tails.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)


SIGMOID = _u("Sigmoid", _sigmoid_kernel, lambda x, y, g: g * y * (1.0 - y), FLOATS)


def _scipy_special(fn_name):
    try:
        from scipy import special
    except ImportError:
        return None
    return getattr(special, fn_name, None)


_SQRT_PI = math.sqrt(math.pi)
# Bernoulli numbers B2, B4, ..., B14 for the asymptotic series below.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_SHIFT = 16


def _erf_erfc_fallback(a):
    """(erf, erfc) in float64 without SciPy: a positive-term series for |x| < 2.5, a
    continued fraction for the tail."""
    x = np.abs(a.astype(np.float64))
    small = x < 2.5
    xs = np.where(small, x, 0.0)
    term = xs.copy()
    total = xs.copy()
    two_x2 = 2.0 * xs * xs
    for n in range(1, 80):
        term = term * two_x2 / (2 * n + 1)
        total = total + term
    erf_small = 2.0 / _SQRT_PI * np.exp(-xs * xs) * total
    xl = np.where(small, 2.5, x)
    frac = xl.copy()
    for k in range(80, 0, -1):
        frac = xl + (k / 2.0) / frac
    erfc_large = np.exp(-xl * xl) / (_SQRT_PI * frac)
    erf_abs = np.where(small, erf_small, 1.0 - erfc_large)
    erfc_abs = np.where(small, 1.0 - erf_small, erfc_large)
    negative_x = a < 0
    return np.where(negative_x, -erf_abs, erf_abs), np.where(negative_x, 2.0 - erfc_abs,
                                                             erfc_abs)


def _erf_numpy(a):
    fn = _scipy_special("erf")
    if fn is not None:
        return fn(a).astype(a.dtype, copy=False)
    return _erf_erfc_fallback(a)[0].astype(a.dtype)


def _erfc_numpy(a):
    fn = _scipy_special("erfc")
    if fn is not None:
        return fn(a).astype(a.dtype, copy=False)
    return _erf_erfc_fallback(a)[1].astype(a.dtype)


def _lgamma_fallback(x):
    """log|Gamma(x)| in float64: reflection below 0.5, upward shift, Stirling's series."""
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    shift = np.zeros_like(y)
    for k in range(_SHIFT):
        shift = shift + np.log(y + k)
    z = y + _SHIFT
    inv = 1.0 / z
    inv2 = inv * inv
    series = np.zeros_like(z)
    for j in range(len(_BERNOULLI), 0, -1):
        series = series * inv2 + _BERNOULLI[j - 1] / ((2 * j) * (2 * j - 1))
    out = (z - 0.5) * np.log(z) - z + 0.5 * math.log(2 * math.pi) + series * inv - shift
    with np.errstate(divide="ignore"):
        reflected = np.log(math.pi / np.abs(np.sin(math.pi * x))) - out
    return np.where(reflect, reflected, out)


def _digamma_fallback(x):
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    shift = np.zeros_like(y)
    for k in range(_SHIFT):
        shift = shift + 1.0 / (y + k)
    z = y + _SHIFT
    inv2 = 1.0 / (z * z)
    series = np.zeros_like(z)
    for j in range(len(_BERNOULLI), 0, -1):
        series = series * inv2 + _BERNOULLI[j - 1] / (2 * j)
    out = np.log(z) - 0.5 / z - series * inv2 - shift
    with np.errstate(divide="ignore", invalid="ignore"):
        reflected = out - math.pi / np.tan(math.pi * x)
    return np.where(reflect, np.where(x == np.floor(x), np.nan, reflected), out)


def _hurwitz_zeta_fallback(s, q):
    """zeta(s, q) for an integer s >= 2: a shift to q >= 16, then Euler-Maclaurin."""
    shift_count = _SHIFT + int(max(0.0, -np.floor(np.min(q, initial=0.0))))
    total = np.zeros_like(q)
    for k in range(shift_count):
        total = total + (q + k) ** -s
    z = q + shift_count
    out = total + z ** (1 - s) / (s - 1) + 0.5 * z ** -s
    rising = float(s)
    factorial = 2.0
    for j in range(1, len(_BERNOULLI) + 1):
        out = out + _BERNOULLI[j - 1] / factorial * rising * z ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
    return out


def _polygamma_fallback(n, x):
    n, x = np.broadcast_arrays(n.astype(np.float64), x.astype(np.float64))
    out = np.full(x.shape, np.nan)
    for order in np.unique(n):
        if order < 0 or order != np.floor(order):
            continue
        at = n == order
        if order == 0:
            out[at] = _digamma_fallback(x[at])
        else:
            k = int(order)
            out[at] = (-1) ** (k + 1) * math.factorial(k) * _hurwitz_zeta_fallback(k + 1, x[at])
    return out


def _lgamma_numpy(a):
    fn = _scipy_special("gammaln")
    if fn is not None:
        return fn(a).astype(a.dtype, copy=False)
    return _lgamma_fallback(a.astype(np.float64)).astype(a.dtype)


def _digamma_numpy(a):
    fn = _scipy_special("digamma")
    if fn is not None:
        return fn(a).astype(a.dtype, copy=False)
    return _digamma_fallback(a.astype(np.float64)).astype(a.dtype)


def _polygamma_numpy(n, x):
    fn = _scipy_special("polygamma")
    valid = (n >= 0) & (n == np.floor(n))
    if fn is not None:
        safe_n = np.where(valid, n, 0).astype(np.float64)
        out = np.where(valid, fn(safe_n, x.astype(np.float64)), np.nan)
    else:
        out = _polygamma_fallback(n, x)
    return np.asarray(out).astype(x.dtype)


_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
ERF = _u("Erf", _erf_numpy, lambda x, y, g: g * _TWO_OVER_SQRT_PI * exp(-x * x), FLOATS)
ERFC = _u("Erfc", _erfc_numpy, lambda x, y, g: -g * _TWO_OVER_SQRT_PI * exp(-x * x), FLOATS)
DIGAMMA = _u("Digamma", _digamma_numpy, lambda x, y, g: g * polygamma(ones_like(x), x), FLOATS)
LGAMMA = _u("Lgamma", _lgamma_numpy, lambda x, y, g: g * digamma(x), FLOATS)
POLYGAMMA = BinaryOp("Polygamma", _quiet(_polygamma_numpy),
                     lambda a, x, z, g: (None, g * polygamma(a + 1, x)),
                     FLOATS)


def polygamma(a, x, name=None):
    """The ``a``-th derivative of digamma at ``x`` (``a`` a non-negative whole number).

    >>> float(ember.math.polygamma(1., 1.))  # pi**2 / 6
    1.644934...
    """
    return run_binary(POLYGAMMA, a, x, name)


def negative(x, name=None):
    """-x elementwise.

    >>> ember.negative([1, -2]).numpy()
    array([-1,  2], dtype=int32)
    """
    return run_unary(NEG, x, name)


neg = negative


def abs(x, name=None):  # noqa: A001
    """|x| elementwise (the modulus for complex input)."""
    x = tensor(x)
    if x.dtype.is_complex:
        return complex_abs(x)
    return run_unary(ABS, x, name)


COMPLEX_ABS = _ToReal(
    "ComplexAbs", np.abs,
    lambda x, y, g: divide_no_nan(complex(g, zeros_like(g)) * x, complex(y, zeros_like(y))),
    COMPLEX)


def complex_abs(x, name=None):
    """The modulus of a complex tensor, as a real tensor.

    >>> ember.math.complex_abs(ember.complex(3., 4.)).numpy()
    np.float32(5.0)
    """
    x = tensor(x)
    out = run_unary(COMPLEX_ABS, x, name)
    return out


def sign(x, name=None):
    """-1, 0 or 1 by the sign of x; x / |x| for complex x.

    >>> ember.sign([-2., 0., 3.]).numpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    return run_unary(SIGN, x, name)


def square(x, name=None):
    """x * x elementwise.

    >>> ember.square([2, -3]).numpy()
    array([4, 9], dtype=int32)
    """
    return run_unary(SQUARE, x, name)


def sqrt(x, name=None):
    """Square root elementwise.

    >>> ember.sqrt([4., 9.]).numpy()
    array([2., 3.], dtype=float32)
    """
    return run_unary(SQRT, x, name)


def rsqrt(x, name=None):
    """1 / sqrt(x) elementwise.

    >>> ember.math.rsqrt([4., 16.]).numpy()
    array([0.5 , 0.25], dtype=float32)
    """
    return run_unary(RSQRT, x, name)


def exp(x, name=None):
    """e ** x elementwise (floating and complex tensors only).

    >>> ember.exp([0., 1.]).numpy()
    array([1.      , 2.718282], dtype=float32)
    """
    return run_unary(EXP, x, name)


def expm1(x, name=None):
    """exp(x) - 1, accurate for small x.

    >>> ember.math.expm1([0., 1e-10]).numpy()
    array([0.e+00, 1.e-10], dtype=float32)
    """
    return run_unary(EXPM1, x, name)


def log(x, name=None):
    """Natural logarithm elementwise.

    >>> ember.math.log([1., 100.]).numpy()
    array([0.       , 4.6051702], dtype=float32)
    """
    return run_unary(LOG, x, name)


def log1p(x, name=None):
    """log(1 + x), accurate for small x.

    >>> ember.math.log1p([0., 1e-10]).numpy()
    array([0.e+00, 1.e-10], dtype=float32)
    """
    return run_unary(LOG1P, x, name)


def sin(x, name=None):
    """Sine elementwise.

    >>> ember.sin([0., 1.5707964]).numpy()
    array([0., 1.], dtype=float32)
    """
    return run_unary(SIN, x, name)


def cos(x, name=None):
    """Cosine elementwise.

    >>> ember.cos([0., 3.1415927]).numpy()
    array([ 1., -1.], dtype=float32)
    """
    return run_unary(COS, x, name)


def tan(x, name=None):
    """Tangent elementwise.

    >>> ember.tan([0., 0.7853982]).numpy()
    array([0., 1.], dtype=float32)
    """
    return run_unary(TAN, x, name)


def asin(x, name=None):
    """Arcsine elementwise, in [-pi/2, pi/2].

    >>> ember.asin([0., 1.]).numpy()
    array([0.       , 1.5707964], dtype=float32)
    """
    return run_unary(ASIN, x, name)


def acos(x, name=None):
    """Arccosine elementwise, in [0, pi].

    >>> ember.acos([1., 0.]).numpy()
    array([0.       , 1.5707964], dtype=float32)
    """
    return run_unary(ACOS, x, name)


def atan(x, name=None):
    """Arctangent elementwise.

    >>> ember.atan([0., 1.]).numpy()
    array([0.       , 0.7853982], dtype=float32)
    """
    return run_unary(ATAN, x, name)


def sinh(x, name=None):
    """Hyperbolic sine elementwise.

    >>> ember.sinh([0., 1.]).numpy()
    array([0.       , 1.1752012], dtype=float32)
    """
    return run_unary(SINH, x, name)


def cosh(x, name=None):
    """Hyperbolic cosine elementwise.

    >>> ember.cosh([0., 1.]).numpy()
    array([1.       , 1.5430807], dtype=float32)
    """
    return run_unary(COSH, x, name)


def tanh(x, name=None):
    """Hyperbolic tangent elementwise.

    >>> ember.tanh([0., 1.]).numpy()
    array([0.       , 0.7615942], dtype=float32)
    """
    return run_unary(TANH, x, name)


def asinh(x, name=None):
    """Inverse hyperbolic sine elementwise.

    >>> ember.asinh([0., 1.]).numpy()
    array([0.       , 0.8813736], dtype=float32)
    """
    return run_unary(ASINH, x, name)


def acosh(x, name=None):
    """Inverse hyperbolic cosine elementwise (x >= 1).

    >>> ember.acosh([1., 2.]).numpy()
    array([0.      , 1.316958], dtype=float32)
    """
    return run_unary(ACOSH, x, name)


def atanh(x, name=None):
    """Inverse hyperbolic tangent elementwise (|x| < 1).

    >>> ember.atanh([0., 0.5]).numpy()
    array([0.        , 0.54930615], dtype=float32)
    """
    return run_unary(ATANH, x, name)


def sigmoid(x, name=None):
    """1 / (1 + exp(-x)), computed without overflow.

    >>> ember.sigmoid([0., 100.]).numpy()
    array([0.5, 1. ], dtype=float32)
    """
    return run_unary(SIGMOID, x, name)


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|.

    >>> ember.math.log_sigmoid([0., -100.]).numpy()
    array([  -0.6931472, -100.       ], dtype=float32)
    """
    from ember.ops.nn_ops import softplus
    return -softplus(-tensor(x))


def erf(x, name=None):
    """The Gauss error function elementwise.

    >>> ember.math.erf([0., 1.]).numpy()
    array([0.       , 0.8427008], dtype=float32)
    """
    return run_unary(ERF, x, name)


def erfc(x, name=None):
    """1 - erf(x), accurate where erf(x) is near 1.

    >>> ember.math.erfc([0., 3.]).numpy()
    array([1.0000000e+00, 2.2090497e-05], dtype=float32)
    """
    return run_unary(ERFC, x, name)


def lgamma(x, name=None):
    """log|Gamma(x)| elementwise.

    >>> ember.math.lgamma([1., 3.]).numpy()
    array([0.       , 0.6931472], dtype=float32)
    """
    return run_unary(LGAMMA, x, name)


def digamma(x, name=None):
    """The derivative of lgamma elementwise.

    >>> ember.math.digamma([1., 2.]).numpy()
    array([-0.5772157 ,  0.42278433], dtype=float32)
    """
    return run_unary(DIGAMMA, x, name)


def reciprocal(x, name=None):
    """1 / x elementwise.

    >>> ember.math.reciprocal([2., 4.]).numpy()
    array([0.5 , 0.25], dtype=float32)
    """
    return run_unary(RECIPROCAL, x, name)


def floor(x, name=None):
    """The largest whole number <= x.

    >>> ember.floor([1.5, -1.5]).numpy()
    array([ 1., -2.], dtype=float32)
    """
    return run_unary(FLOOR, x, name)


def ceil(x, name=None):
    """The smallest whole number >= x.

    >>> ember.math.ceil([1.5, -1.5]).numpy()
    array([ 2., -1.], dtype=float32)
    """
    return run_unary(CEIL, x, name)


def round(x, name=None):  # noqa: A001
    """Rounds half to even, as TensorFlow does; integers are returned unchanged.

    >>> ember.round([0.5, 1.5, 2.5]).numpy()
    array([0., 2., 2.], dtype=float32)
    """
    x = tensor(x)
    if x.dtype.is_integer:
        return x
    return run_unary(ROUND, x, name)


def rint(x, name=None):
    """Rounds half to even (floating tensors only).

    >>> ember.math.rint([0.5, 1.5, -2.5]).numpy()
    array([ 0.,  2., -2.], dtype=float32)
    """
    return run_unary(RINT, x, name)


def conj(x, name=None):
    """The complex conjugate; real tensors are returned unchanged.

    >>> ember.math.conj(ember.complex(1., 2.)).numpy()
    np.complex64(1-2j)
    """
    x = tensor(x)
    if not x.dtype.is_complex:
        return x
    return run_unary(CONJ, x, name)


def real(x, name=None):
    """The real part of a complex tensor; real tensors are returned unchanged.

    >>> ember.math.real(ember.complex(1., 2.)).numpy()
    np.float32(1.0)
    """
    x = tensor(x)
    if not x.dtype.is_complex:
        return x
    return run_unary(REAL_PART, x, name)


def imag(x, name=None):
    """The imaginary part of a complex tensor; zeros for real tensors.

    >>> ember.math.imag(ember.complex(1., 2.)).numpy()
    np.float32(2.0)
    """
    x = tensor(x)
    if not x.dtype.is_complex:
        return zeros_like(x)
    return run_unary(IMAG_PART, x, name)


def is_nan(x, name=None):
    """True where x is NaN.

    >>> ember.math.is_nan([1., float('nan')]).numpy()
    array([False,  True])
    """
    return run_unary(IS_NAN, x, name)


def is_inf(x, name=None):
    """True where x is +inf or -inf.

    >>> ember.math.is_inf([1., float('inf')]).numpy()
    array([False,  True])
    """
    return run_unary(IS_INF, x, name)


def is_finite(x, name=None):
    """True where x is neither inf nor NaN.

    >>> ember.math.is_finite([1., float('inf')]).numpy()
    array([ True, False])
    """
    return run_unary(IS_FINITE, x, name)


def reciprocal_no_nan(x, name=None):
    """1 / x, with 0 where x == 0.

    >>> ember.math.reciprocal_no_nan([0., 2.]).numpy()
    array([0. , 0.5], dtype=float32)
    """
    return divide_no_nan(ones_like(tensor(x)), x)


def xlogy(x, y, name=None):
    """x * log(y), with 0 where x == 0 (even where y is 0).

    >>> ember.math.xlogy([0., 2.], [0., 1.]).numpy()
    array([0., 0.], dtype=float32)
    """
    x, y = _float_args("xlogy", "Xlogy", x, y)
    safe_y = where(equal(x, zeros_like(x)), ones_like(y), y)
    return where(equal(x, zeros_like(x)), zeros_like(x * y), x * log(safe_y))


def xdivy(x, y, name=None):
    """x / y, with 0 where x == 0 (even where y is 0).

    >>> ember.math.xdivy([0., 2.], [0., 4.]).numpy()
    array([0. , 0.5], dtype=float32)
    """
    x, y = _float_args("xdivy", "Xdivy", x, y)
    safe_y = where(equal(x, zeros_like(x)), ones_like(y), y)
    return where(equal(x, zeros_like(x)), zeros_like(x * y), x / safe_y)


# -------------------------------------------------------------------------------- cast ---

class _Cast(Op):
    strings = True      # string to string only: cast() refuses the rest
    name = "Cast"

    def infer(self, inputs, dtype):
        _check_cast(inputs[0].dtype, dtype)
        return inputs[0].shape, dtype

    def kernel(self, xp, a, dtype):
        target = dtype.np
        _check_cast(dtypes.from_numpy(a.dtype), dtype)
        if dtype.is_bool:
            return a != 0
        if a.dtype.kind == "c" and not dtype.is_complex:
            a = a.real
        with np.errstate(over="ignore", invalid="ignore"):
            if a.dtype.kind == "f" and dtype.is_integer:
                return np.trunc(a).astype(target)
            return a.astype(target)

    def grad(self, call, g):
        src = call.inputs[0].dtype
        if (src.is_floating or src.is_complex) and (g.dtype.is_floating or g.dtype.is_complex):
            return (cast(g, src),)
        return (None,)


CAST = _Cast()


def _check_cast(src, dst):
    if (src is dtypes.string) != (dst is dtypes.string):
        hint = "ember.strings.as_string" if dst is dtypes.string else "ember.strings.to_number"
        raise UnimplementedError(f"Cast {src.name} to {dst.name} is not supported; use {hint} "
                                 f"[Op:Cast]")


def cast(x, dtype, name=None):
    """Converts to ``dtype`` (floats to ints truncate toward zero, as TensorFlow does).

    >>> ember.cast([1.7, -1.7], ember.int32).numpy()
    array([ 1, -1], dtype=int32)
    """
    dtype = dtypes.as_dtype(dtype)
    x = tensor(x)
    if x.dtype is dtype:
        return x
    _check_cast(x.dtype, dtype)
    return execute(CAST, (x,), {"dtype": dtype}, name)


def _inside_bound(bound, src, toward_zero_from):
    """``bound`` as a value of dtype ``src``, rounded toward zero if it is not exact."""
    v = np.array(bound).astype(src.np)
    if (v.item() > bound) if toward_zero_from > 0 else (v.item() < bound):
        v = np.nextafter(v, np.array(0, dtype=src.np)).astype(src.np)
    return v


def _saturate(value, dtype):
    src = value.dtype
    as_py = (lambda v: int(v)) if src.is_integer else (lambda v: float(v))
    lo = hi = None
    if as_py(src.min) < (int(dtype.min) if dtype.is_integer else float(dtype.min)):
        bound = int(dtype.min) if dtype.is_integer else float(dtype.min)
        lo = EagerTensor(_inside_bound(bound, src, -1))
    if as_py(src.max) > (int(dtype.max) if dtype.is_integer else float(dtype.max)):
        bound = int(dtype.max) if dtype.is_integer else float(dtype.max)
        hi = EagerTensor(_inside_bound(bound, src, 1))
    if lo is not None:
        value = maximum(value, lo)
    if hi is not None:
        value = minimum(value, hi)
    return value


def saturate_cast(value, dtype, name=None):
    """Casts to ``dtype``, first clamping values to the range ``dtype`` can hold.

    >>> ember.saturate_cast(ember.constant([300, -5]), ember.uint8).numpy()
    array([255,   0], dtype=uint8)
    """
    dtype = dtypes.as_dtype(dtype)
    value = tensor(value)
    if value.dtype.is_complex:
        if dtype.is_complex:
            part = dtype.real_dtype
            return cast(complex(_saturate(real(value), part), _saturate(imag(value), part)),
                        dtype, name)
        value = real(value)
    if (dtype.is_integer or dtype.is_floating) and (value.dtype.is_integer or
                                                    value.dtype.is_floating):
        value = _saturate(value, dtype)
    return cast(value, dtype, name)


def to_float(x, name=None):
    """Casts to float32 (TF1's ``to_float``)."""
    return cast(x, dtypes.float32)


def to_int32(x, name=None):
    """Casts to int32, truncating floats toward zero."""
    return cast(x, dtypes.int32)


def to_int64(x, name=None):
    """Casts to int64, truncating floats toward zero."""
    return cast(x, dtypes.int64)


def complex(real_part, imag_part, name=None):  # noqa: A001
    """real_part + 1j * imag_part: float32 parts give complex64, float64 parts complex128.

    >>> ember.complex(1., 2.).numpy()
    np.complex64(1+2j)
    """
    real_part, imag_part = binary_args(real_part, imag_part)
    return execute(COMPLEX_OP, (real_part, imag_part), EMPTY, name)


class _Complex(BinaryOp):
    def result_dtype(self, dtype):
        return dtypes.complex128 if dtype is dtypes.float64 else dtypes.complex64


def _complex_kernel(a, b):
    out = np.empty(np.broadcast_shapes(a.shape, b.shape),
                   dtype=np.complex128 if a.dtype == np.float64 else np.complex64)
    out.real = a
    out.imag = b
    return out


COMPLEX_OP = _Complex("Complex", _complex_kernel, lambda x, y, z, g: (real(g), imag(g)),
                      FLOAT32_64)


# ------------------------------------------------------------------------ clip, add_n ---

class _ClipByValue(Op):
    name = "ClipByValue"

    def infer(self, inputs):
        x, lo, hi = inputs
        for i, s in enumerate((lo, hi), 1):
            if s.dtype is not x.dtype:
                raise InvalidArgumentError(
                    f"clip_by_value: clip_value_{'min' if i == 1 else 'max'} has dtype "
                    f"{s.dtype.name} but t has dtype {x.dtype.name} [Op:ClipByValue]")
        check_dtype(self.name, x.dtype, REAL)
        from ember.framework.tensor_shape import broadcast_static
        broadcast_static(x.shape, lo.shape, self.name)
        broadcast_static(x.shape, hi.shape, self.name)
        return x.shape, x.dtype

    def kernel(self, xp, a, lo, hi):
        if not (a.dtype == lo.dtype == hi.dtype):
            raise mismatch_error_3(a, lo, hi)
        out = np.minimum(np.maximum(a, lo), hi)
        if out.shape != a.shape:
            raise InvalidArgumentError(f"clip_by_value: clip bounds of shapes {lo.shape} and "
                                       f"{hi.shape} would change t's shape {a.shape}")
        return out

    def grad(self, call, g):
        x, lo, hi = call.inputs
        zero = zeros_like(g)
        below = less(x, lo)
        above = greater(x, hi)
        inside = logical_not(logical_or(below, above))
        return where(inside, g, zero), where(below, g, zero), where(above, g, zero)


def mismatch_error_3(a, lo, hi):
    """The error for clip_by_value operands of different dtypes."""
    return InvalidArgumentError(f"clip_by_value: t, clip_value_min and clip_value_max must have "
                                f"one dtype, got {a.dtype}, {lo.dtype}, {hi.dtype} "
                                f"[Op:ClipByValue]")


CLIP = _ClipByValue()


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clamps ``t`` to [clip_value_min, clip_value_max] elementwise.

    >>> ember.clip_by_value([-2., 0.5, 3.], -1., 1.).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    t = tensor(t)
    lo = convert_to_tensor(clip_value_min, dtype=None if _is_t(clip_value_min) else t.dtype)
    hi = convert_to_tensor(clip_value_max, dtype=None if _is_t(clip_value_max) else t.dtype)
    return execute(CLIP, (t, lo, hi), EMPTY, name)


def _is_t(v):
    from ember.framework.tensor import Tensor
    return isinstance(v, Tensor) or getattr(v, "_is_ember_variable", False)


class _AddN(Op):
    name = "AddN"

    def infer(self, inputs):
        first = inputs[0]
        shape = first.shape
        for i, s in enumerate(inputs[1:], 1):
            if s.dtype is not first.dtype:
                raise InvalidArgumentError(f"add_n: input {i} has dtype {s.dtype.name}, input 0 "
                                           f"has {first.dtype.name} [Op:AddN]")
            if not s.shape.is_compatible_with(shape):
                raise InvalidArgumentError(f"add_n: inputs must have one shape; input 0 has "
                                           f"{first.shape}, input {i} has {s.shape} [Op:AddN]")
            shape = shape.merge_with(s.shape)
        check_dtype(self.name, first.dtype, NUMERIC)
        return shape, first.dtype

    def kernel(self, xp, *arrays):
        first = arrays[0]
        for a in arrays[1:]:
            if a.shape != first.shape or a.dtype != first.dtype:
                raise InvalidArgumentError("add_n: inputs must have one shape and dtype")
        out = np.array(first, copy=True)
        for a in arrays[1:]:
            out += a
        return out

    def grad(self, call, g):
        return tuple(g for _ in call.inputs)


ADD_N = _AddN()


def add_n(inputs, name=None):
    """Sums a list of tensors of one shape and dtype.

    >>> ember.add_n([[1, 2], [3, 4], [5, 6]]).numpy()
    array([ 9, 12], dtype=int32)
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    ts = [tensor(x) for x in inputs]
    if len(ts) == 1:
        return ts[0]
    return execute(ADD_N, tuple(ts), EMPTY, name)


accumulate_n = add_n

# ------------------------------------------------------------------------ segment sums ---


def _segment_ids_check(op_name, data, ids):
    if ids.dtype not in (dtypes.int32, dtypes.int64):
        raise InvalidArgumentError(f"{op_name}: segment_ids must be int32 or int64, got "
                                   f"{ids.dtype.name} [Op:{op_name}]")
    check_dtype(op_name, data.dtype, NUMERIC)
    k = ids.shape.rank
    if k is not None and data.shape.rank is not None:
        if data.shape.rank < k or not data.shape[:k].is_compatible_with(ids.shape):
            raise InvalidArgumentError(
                f"{op_name}: data.shape = {data.shape} does not start with segment_ids.shape "
                f"= {ids.shape} [Op:{op_name}]")


# Segment sums' outputs (an embedding's gradient made dense every step), reused once
# nothing holds them (memory.Recycler).
_DENSE = memory.Recycler()


def _scatter_rows(data, ids, rows):
    """Sums the rows of ``data`` (leading dims = ids.shape) into ``rows`` segments."""
    k = ids.ndim
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.size,) + data.shape[k:])
    out = _DENSE.zeros((rows,) + data.shape[k:], dtype=data.dtype)
    keep = flat_ids >= 0
    if not keep.all():
        flat_ids, flat = flat_ids[keep], flat[keep]
    if data.ndim > k and data.dtype.kind in "fiuc":
        add_rows_into(out, flat_ids, flat)
    else:
        np.add.at(out, flat_ids, flat)
    return out


class _UnsortedSegmentSum(Op):
    name = "UnsortedSegmentSum"

    def infer(self, inputs):
        data, ids, num = inputs
        _segment_ids_check(self.name, data, ids)
        if num.shape.rank not in (None, 0):
            raise InvalidArgumentError(f"{self.name}: num_segments must be a scalar, got "
                                       f"shape {num.shape} [Op:{self.name}]")
        rows = int(num.value) if num.value is not None else None
        rest = data.shape[ids.shape.rank:] if ids.shape.rank is not None and \
            data.shape.rank is not None else None
        if rest is None:
            return TensorShape(None), data.dtype
        return TensorShape([rows]).concatenate(rest), data.dtype

    def kernel(self, xp, data, ids, num):
        rows = int(num)
        if rows < 0:
            raise InvalidArgumentError(f"{self.name}: num_segments must be >= 0, got {rows} "
                                       f"[Op:{self.name}]")
        if data.shape[:ids.ndim] != ids.shape:
            raise InvalidArgumentError(
                f"{self.name}: data.shape = {list(data.shape)} does not start with "
                f"segment_ids.shape = {list(ids.shape)} [Op:{self.name}]")
        if ids.size and ids.max() >= rows:
            bad = int(ids.max())
            raise InvalidArgumentError(f"{self.name}: segment_ids value {bad} is out of range "
                                       f"[0, {rows}) [Op:{self.name}]")
        return _scatter_rows(data, ids, rows)

    def grad(self, call, g):
        return _gather_rows(g, call.inputs[1]), None, None


class _SegmentSum(Op):
    name = "SegmentSum"
    data_dependent_shape = True

    def infer(self, inputs):
        data, ids = inputs
        _segment_ids_check(self.name, data, ids)
        if ids.shape.rank not in (None, 1):
            raise InvalidArgumentError(f"{self.name}: segment_ids must be a vector, got shape "
                                       f"{ids.shape} [Op:{self.name}]")
        rows = None
        if ids.value is not None:
            rows = int(ids.value[-1]) + 1 if ids.value.size else 0
        if data.shape.rank is None:
            return TensorShape(None), data.dtype
        return TensorShape([rows]).concatenate(data.shape[1:]), data.dtype

    def kernel(self, xp, data, ids):
        if ids.ndim != 1 or data.ndim < 1 or data.shape[0] != ids.shape[0]:
            raise InvalidArgumentError(
                f"{self.name}: segment_ids should be a vector the size of data's first "
                f"dimension; got segment_ids.shape = {list(ids.shape)}, data.shape = "
                f"{list(data.shape)} [Op:{self.name}]")
        if ids.size and (ids[0] < 0 or np.any(np.diff(ids) < 0)):
            raise InvalidArgumentError(f"{self.name}: segment ids must be non-negative and "
                                       f"sorted, got {ids.tolist()} [Op:{self.name}]")
        rows = int(ids[-1]) + 1 if ids.size else 0
        return _scatter_rows(data, ids, rows)

    def grad(self, call, g):
        return _gather_rows(g, call.inputs[1]), None


class _GatherRows(Op):
    """The rows of ``params`` picked by ``ids`` (zeros for negative ids): segment sums'
    gradient. Its own gradient is a segment sum back into ``params``' rows."""

    name = "SegmentGatherRows"

    def infer(self, inputs):
        params, ids = inputs
        if ids.shape.rank is None or params.shape.rank is None:
            return TensorShape(None), params.dtype
        return ids.shape.concatenate(params.shape[1:]), params.dtype

    def kernel(self, xp, params, ids):
        out = params[np.clip(ids, 0, None)]
        negative_ids = ids < 0
        if negative_ids.any():
            out = out.copy()
            out[negative_ids] = 0
        return out

    def grad(self, call, g):
        params, ids = call.inputs
        rows = params.shape[0]
        if rows is None:
            from ember.ops import reduce_ops
            rows = reduce_ops.reduce_max(array_ops.shape(params, out_type=ids.dtype) *
                                         EagerTensor(np.eye(1, params.shape.rank, dtype=
                                                            ids.dtype.np)[0]))
        return unsorted_segment_sum(g, ids, rows), None


UNSORTED_SEGMENT_SUM = _UnsortedSegmentSum()
SEGMENT_SUM = _SegmentSum()
GATHER_ROWS = _GatherRows()


def _gather_rows(g, ids):
    return execute(GATHER_ROWS, (g, ids), EMPTY)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums the slices of ``data`` that share a segment id; ids may come in any order,
    negative ids are dropped, and absent segments are 0.

    >>> ember.math.unsorted_segment_sum([1, 2, 3, 4], [1, 0, 1, -1], 3).numpy()
    array([2, 4, 0], dtype=int32)
    """
    data = tensor(data)
    ids = tensor(segment_ids)
    num = tensor(num_segments, dtype_hint=ids.dtype if ids.dtype.is_integer else dtypes.int32)
    if not num.dtype.is_integer:
        raise TypeError(f"unsorted_segment_sum: num_segments must be an integer, got "
                        f"{num.dtype.name}")
    return execute(UNSORTED_SEGMENT_SUM, (data, ids, num), EMPTY, name)


def segment_sum(data, segment_ids, name=None):
    """Sums the rows of ``data`` in each segment; ``segment_ids`` is a sorted vector with
    one id per row, and the output has ``max(id) + 1`` rows.

    >>> ember.math.segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 2]).numpy()
    array([[4, 6],
           [0, 0],
           [5, 6]], dtype=int32)
    """
    return execute(SEGMENT_SUM, (tensor(data), tensor(segment_ids)), EMPTY, name)


# ---------------------------------------------------------------------- cumulative ops ---


class _Cumulative(Op):
    def __init__(self, name, np_fn, identity):
        super().__init__(name)
        self.np_fn = np_fn
        self.identity = identity

    def infer(self, inputs, axis, exclusive, reverse):
        x = inputs[0]
        check_dtype(self.name, x.dtype, NUMERIC)
        if x.shape.rank == 0:
            raise InvalidArgumentError(f"{self.name}: input must be at least rank 1, got a "
                                       f"scalar [Op:{self.name}]")
        normalize_axis(axis, x.shape.rank, self.name)
        return x.shape, x.dtype

    def kernel(self, xp, a, axis, exclusive, reverse):
        if a.dtype not in NUMERIC:
            raise dtype_error(self.name, a.dtype, NUMERIC)
        if a.ndim == 0:
            raise InvalidArgumentError(f"{self.name}: input must be at least rank 1, got a "
                                       f"scalar [Op:{self.name}]")
        axis = normalize_axis(axis, a.ndim, self.name)
        if reverse:
            a = np.flip(a, axis)
        if exclusive and a.shape[axis]:
            pad_shape = list(a.shape)
            pad_shape[axis] = 1
            head = [slice(None)] * a.ndim
            head[axis] = slice(0, a.shape[axis] - 1)
            a = np.concatenate([np.full(pad_shape, self.identity, dtype=a.dtype),
                                a[tuple(head)]], axis=axis)
        out = self.np_fn(a, axis=axis, dtype=a.dtype)
        if reverse:
            out = np.flip(out, axis)
        return np.ascontiguousarray(out)


class _Cumsum(_Cumulative):
    def grad(self, call, g):
        a = call.attrs
        return (cumsum(g, a["axis"], a["exclusive"], not a["reverse"]),)


class _Cumprod(_Cumulative):
    def grad(self, call, g):
        a = call.attrs
        x = call.inputs[0]
        prod = call.outputs[0]
        out = cumsum(prod * g, a["axis"], a["exclusive"], not a["reverse"])
        return (out / x,)


CUMSUM = _Cumsum("Cumsum", np.cumsum, 0)
CUMPROD = _Cumprod("Cumprod", np.cumprod, 1)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along ``axis``; ``exclusive`` leaves out each element itself and
    ``reverse`` sums from the end.

    >>> ember.cumsum([1, 2, 3], exclusive=True).numpy()
    array([0, 1, 3], dtype=int32)
    """
    x = tensor(x)
    return execute(CUMSUM, (x,), {"axis": static_int(axis, "axis", "Cumsum"),
                                  "exclusive": bool(exclusive), "reverse": bool(reverse)}, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along ``axis``; ``exclusive`` and ``reverse`` as in cumsum.

    >>> ember.math.cumprod([1, 2, 3], reverse=True).numpy()
    array([6, 6, 3], dtype=int32)
    """
    x = tensor(x)
    return execute(CUMPROD, (x,), {"axis": static_int(axis, "axis", "Cumprod"),
                                   "exclusive": bool(exclusive), "reverse": bool(reverse)},
                   name)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along ``axis``, without overflow.

    >>> ember.math.cumulative_logsumexp([0., 0.]).numpy()
    array([0.       , 0.6931472], dtype=float32)
    """
    from ember.ops import reduce_ops
    x = tensor(x)
    m = stop_gradient(reduce_ops.reduce_max(x, axis=axis, keepdims=True))
    return log(cumsum(exp(x - m), axis, exclusive, reverse)) + m


from ember.ops import array_ops  # noqa: E402
from ember.ops.array_ops import ones_like, stop_gradient, where, zeros_like  # noqa: E402
