"""Elementwise math: arithmetic, comparison, logical, unary functions, cast, cumulative ops."""
from __future__ import annotations

import math

import numpy as np

from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op, execute
from ember.framework.tensor import EagerTensor, convert_to_tensor
from ember.ops._base import (
    ANY, BOOL, COMPLEX, EMPTY, FLOATS, INTS, NUMERIC, REAL, SIGNED, BinaryOp, UnaryOp,
    binary_args, check_dtype, dtype_error, normalize_axis, run_binary, run_unary, static_int,
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
    "pow",
    "real",
    "realdiv",
    "reciprocal",
    "reciprocal_no_nan",
    "rint",
    "round",
    "rsqrt",
    "saturate_cast",
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
    "xdivy",
    "xlogy",
]

# ---------------------------------------------------------------- binary arithmetic ---


def _add_grad(x, y, z, g):
    return g, g


def _sub_grad(x, y, z, g):
    return g, -g


def _mul_grad(x, y, z, g):
    return g * conj(y), g * conj(x)


def _div_grad(x, y, z, g):
    return g / y, -g * x / (y * y)


def _pow_grad(x, y, z, g):
    gx = g * y * pow(x, y - 1) if x.dtype.is_floating or x.dtype.is_complex else None
    safe = where(greater(x, 0), x, ones_like(x))
    gy = g * where(greater(x, 0), z * log(safe), zeros_like(x))
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
    if a.dtype.kind in "iu":
        out = np.true_divide(a, b, dtype=np.float64 if a.dtype.itemsize >= 4 else np.float32)
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(a, b)


class _TrueDiv(BinaryOp):
    def result_dtype(self, dtype):
        if dtype.is_integer:
            return dtypes.float64 if dtype.size >= 4 else dtypes.float32
        return dtype


def _int_guard(fn):
    def run(a, b):
        if a.dtype.kind in "iu" and np.any(b == 0):
            raise InvalidArgumentError("Integer division by zero")
        return fn(a, b)
    return run


def _quiet(fn):
    def run(*args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args)
    return run


ADD = BinaryOp("AddV2", np.add, _add_grad, NUMERIC)
SUB = BinaryOp("Sub", np.subtract, _sub_grad, NUMERIC)
MUL = BinaryOp("Mul", np.multiply, _mul_grad, NUMERIC)
REALDIV = BinaryOp("RealDiv", _quiet(np.divide), _div_grad, FLOATS | COMPLEX)
TRUEDIV = _TrueDiv("TrueDiv", _np_truediv, _div_grad, NUMERIC)
FLOORDIV = BinaryOp("FloorDiv", _int_guard(_quiet(np.floor_divide)), None, REAL)
FLOORMOD = BinaryOp("FloorMod", _int_guard(_quiet(np.mod)), _mod_grad, REAL)
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
            return execute(STRING_JOIN2, (x, y), EMPTY, name)
    return execute(ADD, (x, y), EMPTY, name)


def subtract(x, y, name=None):
    """x - y elementwise."""
    return run_binary(SUB, x, y, name)


def multiply(x, y, name=None):
    """x * y elementwise."""
    return run_binary(MUL, x, y, name)


def divide(x, y, name=None):
    """x / y elementwise (integers give floats, as Python 3's ``/``)."""
    return run_binary(TRUEDIV, x, y, name)


truediv = divide


def realdiv(x, y, name=None):
    return run_binary(REALDIV, x, y, name)


def floordiv(x, y, name=None):
    """Floor of x / y; integers stay integers."""
    return run_binary(FLOORDIV, x, y, name)


floor_div = floordiv


def floormod(x, y, name=None):
    """Remainder with the sign of the divisor (Python's ``%``)."""
    return run_binary(FLOORMOD, x, y, name)


mod = floormod


def pow(x, y, name=None):  # noqa: A001 - TensorFlow's public name
    """x ** y elementwise."""
    return run_binary(POW, x, y, name)


def maximum(x, y, name=None):
    return run_binary(MAXIMUM, x, y, name)


def minimum(x, y, name=None):
    return run_binary(MINIMUM, x, y, name)


def squared_difference(x, y, name=None):
    return run_binary(SQDIFF, x, y, name)


def atan2(y, x, name=None):
    return run_binary(ATAN2, y, x, name)


def divide_no_nan(x, y, name=None):
    """x / y, with 0 wherever y == 0."""
    x, y = binary_args(x, y)
    zero = zeros_like(y)
    safe = where(equal(y, zero), ones_like(y), y)
    return where(equal(y, zero), zeros_like(x / safe), x / safe)


def multiply_no_nan(x, y, name=None):
    x, y = binary_args(x, y)
    return where(equal(y, zeros_like(y)), zeros_like(x * y), x * y)


def _truncatemod(a, b):
    return np.fmod(a, b)


TRUNCATEMOD = BinaryOp("TruncateMod", _int_guard(_quiet(_truncatemod)), None, REAL)


def truncatemod(x, y, name=None):
    return run_binary(TRUNCATEMOD, x, y, name)


def truncatediv(x, y, name=None):
    x, y = binary_args(x, y)
    return cast(sign(x) * sign(y), x.dtype) * floordiv(abs(x), abs(y))


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
    return run_binary(EQUAL, x, y, name)


def not_equal(x, y, name=None):
    return run_binary(NOT_EQUAL, x, y, name)


def less(x, y, name=None):
    return run_binary(LESS, x, y, name)


def less_equal(x, y, name=None):
    return run_binary(LESS_EQUAL, x, y, name)


def greater(x, y, name=None):
    return run_binary(GREATER, x, y, name)


def greater_equal(x, y, name=None):
    return run_binary(GREATER_EQUAL, x, y, name)


def logical_and(x, y, name=None):
    return run_binary(LOGICAL_AND, x, y, name)


def logical_or(x, y, name=None):
    return run_binary(LOGICAL_OR, x, y, name)


def logical_xor(x, y, name=None):
    return run_binary(LOGICAL_XOR, x, y, name)


LOGICAL_NOT = UnaryOp("LogicalNot", np.logical_not, None, BOOL)
BITWISE_NOT = UnaryOp("Invert", np.invert, None, INTS)
BITWISE_AND = BinaryOp("BitwiseAnd", np.bitwise_and, None, INTS)
BITWISE_OR = BinaryOp("BitwiseOr", np.bitwise_or, None, INTS)
BITWISE_XOR = BinaryOp("BitwiseXor", np.bitwise_xor, None, INTS)


def logical_not(x, name=None):
    return run_unary(LOGICAL_NOT, x, name)


def bitwise_not(x, name=None):
    return run_unary(BITWISE_NOT, x, name)


def _string_join(a, b):
    return np.frompyfunc(lambda p, q: p + q, 2, 1)(a, b).astype(object)


STRING_JOIN2 = BinaryOp("StringJoin2", _string_join, None, frozenset([np.dtype(object)]))


def equal_any(x, y):
    """``x == y`` for the ``==`` operator: False (not an error) when shapes can't compare."""
    if y is None:
        return False
    try:
        return equal(x, y)
    except (InvalidArgumentError, ValueError, TypeError):
        return False


def not_equal_any(x, y):
    if y is None:
        return True
    try:
        return not_equal(x, y)
    except (InvalidArgumentError, ValueError, TypeError):
        return True


# -------------------------------------------------------------------- unary functions ---

def _u(name, fn, grad_fn=None, allowed=FLOATS | COMPLEX, out_dtype=None):
    return UnaryOp(name, _quiet(fn), grad_fn, allowed, out_dtype)


def _conj_kernel(a):
    return np.conj(a) if a.dtype.kind == "c" else a


NEG = _u("Neg", np.negative, lambda x, y, g: -g, NUMERIC)
ABS = _u("Abs", np.abs, lambda x, y, g: g * sign(x), REAL)
SIGN = _u("Sign", np.sign, lambda x, y, g: zeros_like(g), REAL)
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
REAL_PART = UnaryOp("Real", np.real, None, COMPLEX)
IMAG_PART = UnaryOp("Imag", np.imag, None, COMPLEX)
IS_NAN = UnaryOp("IsNan", np.isnan, None, FLOATS, dtypes.bool)
IS_INF = UnaryOp("IsInf", np.isinf, None, FLOATS, dtypes.bool)
IS_FINITE = UnaryOp("IsFinite", np.isfinite, None, FLOATS, dtypes.bool)


def _sigmoid_kernel(a):
    # exp(-|a|) never overflows; the two branches agree and stay accurate in the tails.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)


SIGMOID = _u("Sigmoid", _sigmoid_kernel, lambda x, y, g: g * y * (1.0 - y), FLOATS)


def _erf_numpy(a):
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:
        scipy_erf = None
    if scipy_erf is not None:
        return scipy_erf(a).astype(a.dtype, copy=False)
    return np.vectorize(math.erf, otypes=[a.dtype])(a)


def _erfc_numpy(a):
    try:
        from scipy.special import erfc as scipy_erfc
        return scipy_erfc(a).astype(a.dtype, copy=False)
    except ImportError:
        return np.vectorize(math.erfc, otypes=[a.dtype])(a)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
ERF = _u("Erf", _erf_numpy, lambda x, y, g: g * _TWO_OVER_SQRT_PI * exp(-x * x), FLOATS)
ERFC = _u("Erfc", _erfc_numpy, lambda x, y, g: -g * _TWO_OVER_SQRT_PI * exp(-x * x), FLOATS)


def _lgamma_numpy(a):
    try:
        from scipy.special import gammaln
        return gammaln(a).astype(a.dtype, copy=False)
    except ImportError:
        return np.vectorize(math.lgamma, otypes=[a.dtype])(a)


def _digamma_numpy(a):
    try:
        from scipy.special import digamma as sp_digamma
        return sp_digamma(a).astype(a.dtype, copy=False)
    except ImportError:
        # Asymptotic series after shifting the argument above 6.
        x = a.astype(np.float64)
        acc = np.zeros_like(x)
        while np.any(x < 6):
            small = x < 6
            acc = acc - np.where(small, 1.0 / np.where(small, x, 1.0), 0.0)
            x = np.where(small, x + 1, x)
        inv = 1.0 / x
        inv2 = inv * inv
        out = np.log(x) - 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 / 252))
        return (out + acc).astype(a.dtype)


DIGAMMA = _u("Digamma", _digamma_numpy, None, FLOATS)
LGAMMA = _u("Lgamma", _lgamma_numpy, lambda x, y, g: g * digamma(x), FLOATS)


def negative(x, name=None):
    return run_unary(NEG, x, name)


neg = negative


def abs(x, name=None):  # noqa: A001
    """|x| elementwise (the modulus for complex input)."""
    x = tensor(x)
    if x.dtype.is_complex:
        return complex_abs(x)
    return run_unary(ABS, x, name)


COMPLEX_ABS = UnaryOp("ComplexAbs", np.abs, lambda x, y, g: None, COMPLEX)


def complex_abs(x, name=None):
    x = tensor(x)
    out = run_unary(COMPLEX_ABS, x, name)
    return out


def sign(x, name=None):
    return run_unary(SIGN, x, name)


def square(x, name=None):
    return run_unary(SQUARE, x, name)


def sqrt(x, name=None):
    return run_unary(SQRT, x, name)


def rsqrt(x, name=None):
    return run_unary(RSQRT, x, name)


def exp(x, name=None):
    return run_unary(EXP, x, name)


def expm1(x, name=None):
    return run_unary(EXPM1, x, name)


def log(x, name=None):
    return run_unary(LOG, x, name)


def log1p(x, name=None):
    return run_unary(LOG1P, x, name)


def sin(x, name=None):
    return run_unary(SIN, x, name)


def cos(x, name=None):
    return run_unary(COS, x, name)


def tan(x, name=None):
    return run_unary(TAN, x, name)


def asin(x, name=None):
    return run_unary(ASIN, x, name)


def acos(x, name=None):
    return run_unary(ACOS, x, name)


def atan(x, name=None):
    return run_unary(ATAN, x, name)


def sinh(x, name=None):
    return run_unary(SINH, x, name)


def cosh(x, name=None):
    return run_unary(COSH, x, name)


def tanh(x, name=None):
    return run_unary(TANH, x, name)


def asinh(x, name=None):
    return run_unary(ASINH, x, name)


def acosh(x, name=None):
    return run_unary(ACOSH, x, name)


def atanh(x, name=None):
    return run_unary(ATANH, x, name)


def sigmoid(x, name=None):
    """1 / (1 + exp(-x)), computed without overflow."""
    return run_unary(SIGMOID, x, name)


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    x = tensor(x)
    return -softplus_stable(-x)


def softplus_stable(x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return maximum(x, zeros_like(x)) + log1p(exp(-abs(x)))


def erf(x, name=None):
    return run_unary(ERF, x, name)


def erfc(x, name=None):
    return run_unary(ERFC, x, name)


def lgamma(x, name=None):
    return run_unary(LGAMMA, x, name)


def digamma(x, name=None):
    return run_unary(DIGAMMA, x, name)


def reciprocal(x, name=None):
    return run_unary(RECIPROCAL, x, name)


def floor(x, name=None):
    return run_unary(FLOOR, x, name)


def ceil(x, name=None):
    return run_unary(CEIL, x, name)


def round(x, name=None):  # noqa: A001
    """Rounds half to even, as TensorFlow does."""
    x = tensor(x)
    if x.dtype.is_integer:
        return x
    return run_unary(ROUND, x, name)


def rint(x, name=None):
    return run_unary(RINT, x, name)


def conj(x, name=None):
    x = tensor(x)
    if not x.dtype.is_complex:
        return x
    return run_unary(CONJ, x, name)


def real(x, name=None):
    x = tensor(x)
    if not x.dtype.is_complex:
        return x
    return run_unary(REAL_PART, x, name)


def imag(x, name=None):
    x = tensor(x)
    if not x.dtype.is_complex:
        return zeros_like(x)
    return run_unary(IMAG_PART, x, name)


def is_nan(x, name=None):
    return run_unary(IS_NAN, x, name)


def is_inf(x, name=None):
    return run_unary(IS_INF, x, name)


def is_finite(x, name=None):
    return run_unary(IS_FINITE, x, name)


def reciprocal_no_nan(x, name=None):
    return divide_no_nan(ones_like(tensor(x)), x)


def xlogy(x, y, name=None):
    """x * log(y), with 0 where x == 0."""
    x, y = binary_args(x, y)
    safe_y = where(equal(x, zeros_like(x)), ones_like(y), y)
    return where(equal(x, zeros_like(x)), zeros_like(x * y), x * log(safe_y))


def xdivy(x, y, name=None):
    x, y = binary_args(x, y)
    safe_y = where(equal(x, zeros_like(x)), ones_like(y), y)
    return where(equal(x, zeros_like(x)), zeros_like(x * y), x / safe_y)


# -------------------------------------------------------------------------------- cast ---

class _Cast(Op):
    name = "Cast"

    def infer(self, inputs, dtype):
        return inputs[0].shape, dtype

    def kernel(self, xp, a, dtype):
        target = dtype.np
        if dtype is dtypes.string:
            raise TypeError("Cast to string is not supported; use ember.strings.as_string")
        if a.dtype.kind == "O":
            raise TypeError(f"Cast: cannot cast a string tensor to {dtype.name}; use "
                            f"ember.strings.to_number")
        if a.dtype.kind == "c" and dtype.is_floating:
            a = a.real
        if a.dtype.kind == "f" and dtype.is_integer:
            with np.errstate(invalid="ignore"):
                return np.trunc(a).astype(target)
        return a.astype(target)

    def grad(self, call, g):
        src = call.inputs[0].dtype
        if (src.is_floating or src.is_complex) and (g.dtype.is_floating or g.dtype.is_complex):
            return (cast(g, src),)
        return (None,)


CAST = _Cast()


def cast(x, dtype, name=None):
    """Converts to ``dtype`` (floats to ints truncate toward zero, as TensorFlow does).

    >>> ember.cast([1.7, -1.7], ember.int32).numpy()
    array([ 1, -1], dtype=int32)
    """
    dtype = dtypes.as_dtype(dtype)
    x = tensor(x)
    if x.dtype is dtype:
        return x
    return execute(CAST, (x,), {"dtype": dtype}, name)


def saturate_cast(value, dtype, name=None):
    dtype = dtypes.as_dtype(dtype)
    value = tensor(value)
    if dtype.is_integer or dtype.is_floating:
        if value.dtype.is_floating or value.dtype.is_integer:
            lo = max(float(value.dtype.min), float(dtype.min))
            hi = min(float(value.dtype.max), float(dtype.max))
            value = clip_by_value(value, cast(lo, value.dtype) if value.dtype.is_floating
                                  else int(lo), cast(hi, value.dtype) if value.dtype.is_floating
                                  else int(hi))
    return cast(value, dtype)


def to_float(x, name=None):
    return cast(x, dtypes.float32)


def to_int32(x, name=None):
    return cast(x, dtypes.int32)


def to_int64(x, name=None):
    return cast(x, dtypes.int64)


def complex(real_part, imag_part, name=None):  # noqa: A001
    real_part, imag_part = binary_args(real_part, imag_part)
    return execute(COMPLEX_OP, (real_part, imag_part), EMPTY, name)


class _Complex(BinaryOp):
    def result_dtype(self, dtype):
        return dtypes.complex128 if dtype is dtypes.float64 else dtypes.complex64


COMPLEX_OP = _Complex("Complex", lambda a, b: (a + 1j * b).astype(
    np.complex128 if a.dtype == np.float64 else np.complex64), lambda x, y, z, g: (real(g),
                                                                                  imag(g)),
    FLOATS)


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
    return InvalidArgumentError(f"clip_by_value: t, clip_value_min and clip_value_max must have "
                                f"one dtype, got {a.dtype}, {lo.dtype}, {hi.dtype} "
                                f"[Op:ClipByValue]")


CLIP = _ClipByValue()


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clamps ``t`` to [clip_value_min, clip_value_max] elementwise."""
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
                raise InvalidArgumentError(f"add_n: inputs must have one shape and dtype")
        out = np.array(first, copy=True)
        for a in arrays[1:]:
            out += a
        return out

    def grad(self, call, g):
        return tuple(g for _ in call.inputs)


ADD_N = _AddN()


def add_n(inputs, name=None):
    """Sums a list of tensors of one shape and dtype."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    ts = [tensor(x) for x in inputs]
    if len(ts) == 1:
        return ts[0]
    return execute(ADD_N, tuple(ts), EMPTY, name)


accumulate_n = add_n

# ---------------------------------------------------------------------- cumulative ops ---


class _Cumulative(Op):
    def __init__(self, name, np_fn, identity):
        super().__init__(name)
        self.np_fn = np_fn
        self.identity = identity

    def infer(self, inputs, axis, exclusive, reverse):
        x = inputs[0]
        check_dtype(self.name, x.dtype, NUMERIC)
        normalize_axis(axis, x.shape.rank, self.name)
        return x.shape, x.dtype

    def kernel(self, xp, a, axis, exclusive, reverse):
        if a.dtype not in NUMERIC:
            raise dtype_error(self.name, a.dtype, NUMERIC)
        axis = normalize_axis(axis, a.ndim, self.name)
        if reverse:
            a = np.flip(a, axis)
        out = self.np_fn(a, axis=axis, dtype=a.dtype)
        if exclusive:
            pad = np.full_like(np.take(out, [0], axis=axis), self.identity)
            out = np.concatenate([pad, np.take(out, np.arange(out.shape[axis] - 1),
                                               axis=axis)], axis=axis)
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
    """Cumulative sum along ``axis``."""
    x = tensor(x)
    return execute(CUMSUM, (x,), {"axis": static_int(axis, "axis", "Cumsum"),
                                  "exclusive": bool(exclusive), "reverse": bool(reverse)}, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along ``axis``."""
    x = tensor(x)
    return execute(CUMPROD, (x,), {"axis": static_int(axis, "axis", "Cumprod"),
                                   "exclusive": bool(exclusive), "reverse": bool(reverse)},
                   name)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    from ember.ops import reduce_ops
    x = tensor(x)
    m = stop_gradient(reduce_ops.reduce_max(x, axis=axis, keepdims=True))
    return log(cumsum(exp(x - m), axis, exclusive, reverse)) + m


from ember.ops.array_ops import ones_like, stop_gradient, where, zeros_like  # noqa: E402
