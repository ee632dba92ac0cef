"""keras.ops numpy-style functions on ember's public ops, with Keras 3 semantics:
NumPy's argument names and axis conventions, Keras's dtype promotion for binary
functions (``add(int32, float32) -> float32``; Python scalars are weak), ints made
float where the result is a float (``mean``, ``sqrt``, ``divide``: floatx), small
ints and bools summed as int32.
"""
from __future__ import annotations

import builtins
import math as _pymath

import numpy as np

import ember
from ember.keras.ops._common import (dtype_of, floating, is_tensor, norm_axis, promote,
                                     tensor)
from ember.keras.ops._dtypes import result_type, standardize_dtype

_NOT_DONE = []


def _missing(name, why):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"keras.ops.{name} is not implemented in ember: {why}")
    fn.__name__ = name
    fn.__doc__ = f"Not implemented in ember: {why}."
    _NOT_DONE.append(name)
    return fn


def _nd(x):
    return len(x.shape)


def _axes(axis):
    if axis is None:
        return None
    return list(axis) if isinstance(axis, (list, tuple)) else axis


# ---------------------------------------------------------------- elementwise, binary
def _binary(fn, x1, x2, extra=()):
    a, b = promote(x1, x2, extra=extra)
    return fn(a, b)


def add(x1, x2):
    """x1 + x2 with Keras's dtype promotion."""
    return _binary(ember.add, x1, x2)


def subtract(x1, x2):
    return _binary(ember.subtract, x1, x2)


def multiply(x1, x2):
    return _binary(ember.multiply, x1, x2)


def divide(x1, x2):
    """x1 / x2; ints give floatx."""
    return _binary(ember.divide, x1, x2, extra=(float,))


true_divide = divide


def divide_no_nan(x1, x2):
    return _binary(ember.math.divide_no_nan, x1, x2, extra=(float,))


def floor_divide(x1, x2):
    a, b = promote(x1, x2)
    if a.dtype == ember.bool:
        a, b = ember.cast(a, "int32"), ember.cast(b, "int32")
    return ember.math.floordiv(a, b)


def _strong(x):
    return tensor(x) if isinstance(x, (bool, int, float)) else x


def mod(x1, x2):
    """x1 mod x2 with the divisor's sign; Python scalars count as int32/float32 here."""
    a, b = promote(_strong(x1), _strong(x2))
    if a.dtype == ember.bool:
        a, b = ember.cast(a, "int32"), ember.cast(b, "int32")
    return ember.math.floormod(a, b)


def fmod(x1, x2):
    a, b = promote(x1, x2)
    return ember.math.truncatemod(a, b)


def power(x1, x2):
    return _binary(ember.pow, x1, x2)


def maximum(x1, x2):
    return _binary(ember.maximum, x1, x2)


def minimum(x1, x2):
    return _binary(ember.minimum, x1, x2)


fmax = maximum
fmin = minimum


def arctan2(x1, x2):
    a, b = promote(x1, x2, extra=(float,))
    return ember.atan2(a, b)


def hypot(x1, x2):
    a, b = promote(x1, x2, extra=(float,))
    return ember.sqrt(a * a + b * b)


def logaddexp(x1, x2):
    a, b = promote(x1, x2, extra=(float,))
    big = ember.maximum(a, b)
    return big + ember.math.log1p(ember.exp(-ember.abs(a - b)))


def logaddexp2(x1, x2):
    a, b = promote(x1, x2, extra=(float,))
    ln2 = _pymath.log(2.0)
    big = ember.maximum(a, b)
    return big + ember.math.log1p(ember.pow(ember.cast(2.0, a.dtype), -ember.abs(a - b))) / ln2


def heaviside(x1, x2):
    a, b = promote(x1, x2)
    if a.dtype == ember.bool or "int" in a.dtype.name:
        a, b = ember.cast(a, "float32"), ember.cast(b, "float32")
    zeros = ember.zeros_like(a)
    return ember.where(a < zeros, zeros, ember.where(a > zeros, ember.ones_like(a), b))


def ldexp(x1, x2):
    x1 = floating(x1)
    return x1 * ember.pow(ember.cast(2.0, x1.dtype), ember.cast(tensor(x2), x1.dtype))


def _compare(fn):
    def op(x1, x2):
        a, b = promote(x1, x2)
        return fn(a, b)
    op.__name__ = fn.__name__
    return op


equal = _compare(ember.equal)
not_equal = _compare(ember.not_equal)
less = _compare(ember.less)
less_equal = _compare(ember.less_equal)
greater = _compare(ember.greater)
greater_equal = _compare(ember.greater_equal)


def _logical(fn):
    def op(x1, x2=None):
        return fn(ember.cast(tensor(x1), "bool"), ember.cast(tensor(x2), "bool"))
    return op


logical_and = _logical(ember.logical_and)
logical_or = _logical(ember.logical_or)
logical_xor = _logical(ember.logical_xor)


def logical_not(x):
    return ember.logical_not(ember.cast(tensor(x), "bool"))


# ---------------------------------------------------------------- elementwise, unary
def _float_unary(fn, name):
    def op(x):
        return fn(floating(x))
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (ints and bools give floatx)."
    return op


sqrt = _float_unary(ember.sqrt, "sqrt")
exp = _float_unary(ember.exp, "exp")
expm1 = _float_unary(ember.math.expm1, "expm1")
log = _float_unary(ember.math.log, "log")
log1p = _float_unary(ember.math.log1p, "log1p")
sin = _float_unary(ember.sin, "sin")
cos = _float_unary(ember.cos, "cos")
tan = _float_unary(ember.tan, "tan")
arcsin = _float_unary(ember.asin, "arcsin")
arccos = _float_unary(ember.acos, "arccos")
arctan = _float_unary(ember.atan, "arctan")
sinh = _float_unary(ember.sinh, "sinh")
cosh = _float_unary(ember.cosh, "cosh")
tanh = _float_unary(ember.tanh, "tanh")
arcsinh = _float_unary(ember.asinh, "arcsinh")
arccosh = _float_unary(ember.acosh, "arccosh")
arctanh = _float_unary(ember.atanh, "arctanh")


def log2(x):
    x = floating(x)
    return ember.math.log(x) / ember.cast(_pymath.log(2.0), x.dtype)


def log10(x):
    x = floating(x)
    return ember.math.log(x) / ember.cast(_pymath.log(10.0), x.dtype)


def exp2(x):
    x = floating(x)
    return ember.pow(ember.cast(2.0, x.dtype), x)


def cbrt(x):
    x = floating(x)
    return ember.sign(x) * ember.pow(ember.abs(x), ember.cast(1.0 / 3.0, x.dtype))


def sinc(x):
    x = floating(x)
    px = x * ember.cast(np.pi, x.dtype)
    safe = ember.where(ember.equal(x, 0.0), ember.ones_like(px), px)
    return ember.where(ember.equal(x, 0.0), ember.ones_like(x), ember.sin(safe) / safe)


def deg2rad(x):
    x = floating(x)
    return x * ember.cast(np.pi / 180.0, x.dtype)


def rad2deg(x):
    x = floating(x)
    return x * ember.cast(180.0 / np.pi, x.dtype)


def _keep_unary(fn, name, bool_as=None):
    def op(x):
        x = tensor(x)
        if bool_as and x.dtype == ember.bool:
            x = ember.cast(x, bool_as)
        return fn(x)
    op.__name__ = name
    return op




def absolute(x):
    """|x|; bools stay bools."""
    x = tensor(x)
    return x if x.dtype == ember.bool else ember.abs(x)


abs = absolute
negative = _keep_unary(ember.negative, "negative", "int32")
square = _keep_unary(ember.square, "square", "int32")
sign = _keep_unary(ember.sign, "sign", "int32")


def fabs(x):
    return ember.abs(floating(x))


def reciprocal(x):
    return ember.math.reciprocal(floating(x))


def _int_or_float(fn, name):
    def op(x):
        x = tensor(x)
        if x.dtype == ember.bool or x.dtype.is_integer:
            return floating(x)
        return fn(x)
    op.__name__ = name
    return op


floor = _int_or_float(ember.math.floor, "floor")
ceil = _int_or_float(ember.math.ceil, "ceil")


def trunc(x):
    x = tensor(x)
    if x.dtype == ember.bool or x.dtype.is_integer:
        return x
    return ember.where(x < 0, ember.math.ceil(x), ember.math.floor(x))


def round(x, decimals=0):
    """Rounds half to even, to ``decimals`` places."""
    x = tensor(x)
    if x.dtype == ember.bool or x.dtype.is_integer:
        if decimals >= 0:
            return x
        f = 10 ** (-decimals)
        xf = ember.cast(x, "float32")
        return ember.cast(ember.math.rint(xf / f) * f, x.dtype)
    if decimals == 0:
        return ember.math.rint(x)
    f = ember.cast(10.0 ** decimals, x.dtype)
    return ember.math.rint(x * f) / f


def signbit(x):
    x = tensor(x)
    if x.dtype == ember.bool:
        return ember.zeros_like(x, dtype="bool") if False else ember.logical_and(x, False)
    if x.dtype.is_integer:
        return x < 0
    # -0.0 has its sign bit set: 1 / -0.0 is -inf
    return ember.logical_or(x < 0, ember.logical_and(ember.equal(x, 0.0),
                                                     ember.math.reciprocal(x) < 0))


def isnan(x):
    x = tensor(x)
    return ember.math.is_nan(x) if x.dtype.is_floating else ember.zeros(ember.shape(x), "bool")


def isinf(x):
    x = tensor(x)
    return ember.math.is_inf(x) if x.dtype.is_floating else ember.zeros(ember.shape(x), "bool")


def isfinite(x):
    x = tensor(x)
    return ember.math.is_finite(x) if x.dtype.is_floating else \
        ember.ones(ember.shape(x), "bool")


def isneginf(x):
    x = tensor(x)
    return ember.logical_and(isinf(x), x < 0) if x.dtype.is_floating else isinf(x)


def isposinf(x):
    x = tensor(x)
    return ember.logical_and(isinf(x), x > 0) if x.dtype.is_floating else isinf(x)


def isreal(x):
    x = tensor(x)
    if x.dtype.is_complex:
        return ember.equal(ember.math.imag(x), 0)
    return ember.ones(ember.shape(x), "bool")


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = tensor(x)
    if not x.dtype.is_floating:
        return x
    big = np.finfo(x.dtype.as_numpy_dtype).max
    pos = big if posinf is None else posinf
    neg = -big if neginf is None else neginf
    x = ember.where(ember.math.is_nan(x), ember.cast(nan, x.dtype) * ember.ones_like(x), x)
    x = ember.where(ember.logical_and(ember.math.is_inf(x), x > 0),
                    ember.cast(pos, x.dtype) * ember.ones_like(x), x)
    return ember.where(ember.logical_and(ember.math.is_inf(x), x < 0),
                       ember.cast(neg, x.dtype) * ember.ones_like(x), x)


def real(x):
    x = tensor(x)
    return ember.math.real(x) if x.dtype.is_complex else x


def imag(x):
    x = tensor(x)
    return ember.math.imag(x) if x.dtype.is_complex else ember.zeros_like(x)


def conjugate(x):
    x = tensor(x)
    return ember.math.conj(x) if x.dtype.is_complex else x


conj = conjugate


def angle(x):
    x = tensor(x)
    if x.dtype.is_complex:
        return ember.atan2(ember.math.imag(x), ember.math.real(x))
    x = floating(x)
    return ember.where(x < 0, ember.cast(np.pi, x.dtype) * ember.ones_like(x),
                       ember.zeros_like(x))


def clip(x, x_min, x_max):
    """x limited to [x_min, x_max]; bools become int32."""
    x = tensor(x)
    if x.dtype == ember.bool:
        x = ember.cast(x, "int32")
    return ember.clip_by_value(x, ember.cast(x_min, x.dtype), ember.cast(x_max, x.dtype))


# ---------------------------------------------------------------- reductions
def _small_int_sum_dtype(x):
    name = standardize_dtype(x.dtype)
    if name in ("bool", "int8", "int16", "uint8", "uint16"):
        return ember.cast(x, "int32")
    return x


def sum(x, axis=None, keepdims=False):
    """Sum over axis (all axes for None); bools and small ints sum as int32."""
    return ember.reduce_sum(_small_int_sum_dtype(tensor(x)), axis=_axes(axis),
                            keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    x = tensor(x)
    x = ember.cast(x, standardize_dtype(dtype)) if dtype is not None else \
        _small_int_sum_dtype(x)
    return ember.reduce_prod(x, axis=_axes(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over axis; ints give floatx."""
    return ember.reduce_mean(floating(x), axis=_axes(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return ember.math.reduce_variance(floating(x), axis=_axes(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return ember.math.reduce_std(floating(x), axis=_axes(axis), keepdims=keepdims)


def _bool_reduce(fn, x, axis, keepdims):
    return ember.cast(fn(ember.cast(x, "int32"), axis=_axes(axis), keepdims=keepdims), "bool")


def max(x, axis=None, keepdims=False, initial=None):
    x = tensor(x)
    if x.dtype == ember.bool:
        return _bool_reduce(ember.reduce_max, x, axis, keepdims)
    out = ember.reduce_max(x, axis=_axes(axis), keepdims=keepdims)
    return out if initial is None else ember.maximum(out, ember.cast(initial, out.dtype))


def min(x, axis=None, keepdims=False, initial=None):
    x = tensor(x)
    if x.dtype == ember.bool:
        return _bool_reduce(ember.reduce_min, x, axis, keepdims)
    out = ember.reduce_min(x, axis=_axes(axis), keepdims=keepdims)
    return out if initial is None else ember.minimum(out, ember.cast(initial, out.dtype))


amax = max
amin = min


def all(x, axis=None, keepdims=False):
    return ember.reduce_all(ember.cast(tensor(x), "bool"), axis=_axes(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return ember.reduce_any(ember.cast(tensor(x), "bool"), axis=_axes(axis), keepdims=keepdims)


def ptp(x, axis=None, keepdims=False):
    return max(x, axis, keepdims) - min(x, axis, keepdims)


def _arg(fn, x, axis, keepdims):
    x = tensor(x)
    if axis is None:
        out = fn(ember.reshape(x, [-1]), axis=0)
        out = ember.cast(out, "int32")
        return ember.reshape(out, [1] * _nd(x)) if keepdims else out
    out = ember.cast(fn(x, axis=axis), "int32")
    return ember.expand_dims(out, axis) if keepdims else out


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value (in the flattened x for axis=None), int32."""
    return _arg(ember.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg(ember.argmin, x, axis, keepdims)


def count_nonzero(x, axis=None):
    return ember.reduce_sum(ember.cast(ember.not_equal(tensor(x), 0), "int32"),
                            axis=_axes(axis))


def average(x, axis=None, weights=None):
    if weights is None:
        return mean(x, axis)
    x, w = promote(x, weights, extra=(float,))
    if axis is not None and _nd(w) == 1 and _nd(x) > 1:
        shape = [1] * _nd(x)
        shape[axis] = -1
        w = ember.reshape(w, shape)
    return ember.reduce_sum(x * w, axis=axis) / ember.reduce_sum(w * ember.ones_like(x),
                                                                 axis=axis)


def cumsum(x, axis=None, dtype=None):
    x = tensor(x)
    if dtype is not None:
        x = ember.cast(x, standardize_dtype(dtype))
    elif x.dtype == ember.bool:
        x = ember.cast(x, "int32")
    if axis is None:
        x, axis = ember.reshape(x, [-1]), 0
    return ember.cumsum(x, axis=axis)


def cumprod(x, axis=None, dtype=None):
    x = tensor(x)
    if dtype is not None:
        x = ember.cast(x, standardize_dtype(dtype))
    elif x.dtype == ember.bool:
        x = ember.cast(x, "int32")
    if axis is None:
        x, axis = ember.reshape(x, [-1]), 0
    return ember.cumprod(x, axis=axis)


def logsumexp_impl(x, axis=None, keepdims=False):
    return ember.reduce_logsumexp(floating(x), axis=_axes(axis), keepdims=keepdims)


# ---------------------------------------------------------------- nan-aware reductions
def _nan_fill(x, value):
    x = tensor(x)
    if not x.dtype.is_floating:
        return x
    return ember.where(ember.math.is_nan(x), ember.cast(value, x.dtype) * ember.ones_like(x), x)


def nansum(x, axis=None, keepdims=False):
    return sum(_nan_fill(x, 0.0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    return prod(_nan_fill(x, 1.0), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    x = floating(x)
    count = ember.reduce_sum(ember.cast(ember.logical_not(ember.math.is_nan(x)), x.dtype),
                             axis=_axes(axis), keepdims=keepdims)
    return nansum(x, axis, keepdims) / count


def nanvar(x, axis=None, keepdims=False):
    x = floating(x)
    keep = ember.logical_not(ember.math.is_nan(x))
    m = nanmean(x, axis, keepdims=True)
    sq = ember.where(keep, ember.square(x - m), ember.zeros_like(x))
    count = ember.reduce_sum(ember.cast(keep, x.dtype), axis=_axes(axis), keepdims=keepdims)
    return ember.reduce_sum(sq, axis=_axes(axis), keepdims=keepdims) / count


def nanstd(x, axis=None, keepdims=False):
    return ember.sqrt(nanvar(x, axis, keepdims))


def nanmax(x, axis=None, keepdims=False):
    return max(_nan_fill(x, -np.inf), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    return min(_nan_fill(x, np.inf), axis, keepdims)


def nanargmax(x, axis=None, keepdims=False):
    return argmax(_nan_fill(x, -np.inf), axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return argmin(_nan_fill(x, np.inf), axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    """cumsum with NaNs as 0 (and infinities as the largest finite values, as Keras)."""
    return cumsum(nan_to_num(x, 0.0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(nan_to_num(x, 1.0), axis, dtype)


# ---------------------------------------------------------------- quantiles
def _shape_list(prefix, x, dims, suffix=()):
    """prefix + x.shape[dims] + suffix as a reshape target: a list when x's dims are
    static, else a tensor built from ember.shape(x)."""
    sel = list(x.shape)[dims]
    if builtins.all(d is not None for d in sel):
        return list(prefix) + sel + list(suffix)
    parts = [ember.constant(list(prefix), "int32"), ember.shape(x)[dims],
             ember.constant(list(suffix), "int32")]
    return ember.concat(parts, 0)


def _quantile_along_last(x, q, method, skip_nan=False):
    """Quantiles along x's last axis; q a float tensor; returns q's shape + x.shape[:-1].

    With skip_nan, NaNs (sorted last) are left out of each row; an all-NaN row gives NaN.
    """
    nd = _nd(x)
    xs = ember.sort(x, axis=-1)
    if skip_nan:
        count = ember.reduce_sum(ember.cast(ember.logical_not(ember.math.is_nan(x)), x.dtype),
                                 axis=-1, keepdims=True)
    else:
        count = ember.cast(ember.shape(x)[-1], x.dtype) * ember.ones_like(xs[..., :1])
    nq = _nd(q)
    qf = ember.reshape(ember.cast(q, x.dtype), [1] * (nd - 1) + [-1])
    pos = qf * ember.maximum(count - 1.0, 0.0)          # (..., Q)
    lo = ember.math.floor(pos)
    hi = ember.math.ceil(pos)
    if method == "lower":
        pos = lo
    elif method == "higher":
        pos = hi
    elif method == "nearest":
        pos = ember.math.rint(pos)
    elif method not in ("linear", "midpoint"):
        raise ValueError(f"keras.ops.quantile: unknown method {method!r}; expected linear, "
                         f"lower, higher, midpoint or nearest")
    lo_i = ember.cast(lo if method in ("linear", "midpoint") else pos, "int32")
    hi_i = ember.cast(hi if method in ("linear", "midpoint") else pos, "int32")
    lo_v = ember.gather(xs, lo_i, axis=-1, batch_dims=nd - 1)
    hi_v = ember.gather(xs, hi_i, axis=-1, batch_dims=nd - 1)
    if method == "linear":
        out = lo_v + (hi_v - lo_v) * (pos - lo)
    elif method == "midpoint":
        out = (lo_v + hi_v) * ember.cast(0.5, x.dtype)
    else:
        out = lo_v
    if skip_nan:
        out = ember.where(count > 0, out, ember.cast(np.nan, x.dtype) * ember.ones_like(out))
    if not nq:
        return ember.squeeze(out, axis=[-1])
    perm = [nd - 1] + list(range(nd - 1))
    return ember.reshape(ember.transpose(out, perm),
                         _shape_list(list(q.shape), x, slice(0, nd - 1)))


def quantile(x, q, axis=None, method="linear", keepdims=False, _skip_nan=False):
    """The q-th quantiles (q in [0, 1]) along axis, NumPy's methods."""
    x = floating(x)
    q = floating(q)
    nd = _nd(x)
    if axis is None:
        y = ember.reshape(x, [-1])
        out = _quantile_along_last(y, q, method, _skip_nan)
        if keepdims:
            out = ember.reshape(out, list(q.shape) + [1] * nd)
        return out
    axes = [a % nd for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    rest = [d for d in range(nd) if d not in axes]
    y = ember.transpose(x, rest + axes)
    y = ember.reshape(y, _shape_list([], y, slice(0, len(rest)), [-1]))
    out = _quantile_along_last(y, q, method, _skip_nan)
    if keepdims:
        for a in sorted(axes):
            out = ember.expand_dims(out, len(q.shape) + a)
    return out


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return quantile(x, floating(q) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """quantile with NaNs left out (a row of NaNs gives NaN)."""
    return quantile(x, q, axis, method, keepdims, _skip_nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, floating(q) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- creation
def _creation_dtype(dtype, default=None):
    from ember.keras import backend
    return standardize_dtype(dtype) if dtype is not None else (default or backend.floatx())


def zeros(shape, dtype=None):
    return ember.zeros(shape, _creation_dtype(dtype))


def ones(shape, dtype=None):
    return ember.ones(shape, _creation_dtype(dtype))


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    value = tensor(fill_value)
    dt = _creation_dtype(dtype)
    return ember.fill(shape, ember.cast(value, dt)) if _nd(value) == 0 else \
        ember.broadcast_to(ember.cast(value, dt), shape)


def zeros_like(x, dtype=None):
    x = tensor(x)
    return ember.zeros_like(x, dtype=standardize_dtype(dtype) if dtype else x.dtype)


def ones_like(x, dtype=None):
    x = tensor(x)
    return ember.ones_like(x, dtype=standardize_dtype(dtype) if dtype else x.dtype)


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    x = tensor(x)
    dt = standardize_dtype(dtype) if dtype else x.dtype
    return ember.broadcast_to(ember.cast(tensor(fill_value), dt), ember.shape(x))


def array(x, dtype=None):
    return tensor(x, dtype)


def copy(x):
    return ember.identity(tensor(x))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop); dtype from the arguments (int32/floatx)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        kinds = [v if not is_tensor(v) else dtype_of(v) for v in (start, stop, step)]
        dtype = result_type(*kinds)
    dtype = standardize_dtype(dtype)
    return ember.range(ember.cast(start, dtype), ember.cast(stop, dtype),
                       ember.cast(step, dtype), dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    dt = standardize_dtype(dtype) if dtype is not None else result_type(
        *(v if not is_tensor(v) else dtype_of(v) for v in (start, stop)), float)
    calc = "float64" if dt == "float64" else "float32"
    a, b = ember.cast(tensor(start), calc), ember.cast(tensor(stop), calc)
    if endpoint:
        step = (b - a) / builtins.max(num - 1, 1)
    else:
        step = (b - a) / num
    idx = ember.cast(ember.range(num), calc)
    idx = ember.reshape(idx, [num] + [1] * _nd(a))
    out = a + idx * step
    if endpoint and num > 1:
        out = ember.concat([out[:-1], ember.expand_dims(b, 0)], axis=0)
    if axis != 0 and _nd(out) > 1:
        perm = list(range(1, _nd(out)))
        ax = axis % _nd(out)
        perm.insert(ax, 0)
        out = ember.transpose(out, perm)
    out = ember.cast(out, dt)
    return (out, ember.cast(step, dt)) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    dt = standardize_dtype(dtype) if dtype is not None else result_type(
        *(v if not is_tensor(v) else dtype_of(v) for v in (start, stop)), float)
    exps = linspace(start, stop, num, endpoint, dtype="float32", axis=axis)
    return ember.cast(ember.pow(ember.cast(base, "float32"), exps), dt)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    dt = standardize_dtype(dtype) if dtype is not None else result_type(
        *(v if not is_tensor(v) else dtype_of(v) for v in (start, stop)), float)
    a, b = ember.cast(tensor(start), "float32"), ember.cast(tensor(stop), "float32")
    out = ember.exp(linspace(ember.math.log(a), ember.math.log(b), num, endpoint, axis=axis))
    return ember.cast(out, dt)


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    rows = ember.reshape(ember.range(N), [N, 1])
    cols = ember.reshape(ember.range(M), [1, M])
    return ember.cast(ember.equal(cols - rows, k), _creation_dtype(dtype))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    rows = ember.reshape(ember.range(N), [N, 1])
    cols = ember.reshape(ember.range(M), [1, M])
    return ember.cast(ember.less_equal(cols - rows, k), _creation_dtype(dtype))


def _tri_mask(x, k, lower):
    n, m = x.shape[-2], x.shape[-1]
    rows = ember.reshape(ember.range(n), [n, 1])
    cols = ember.reshape(ember.range(m), [1, m])
    return ember.less_equal(cols - rows, k) if lower else ember.greater_equal(cols - rows, k)


def tril(x, k=0):
    x = tensor(x)
    return ember.where(_tri_mask(x, k, True), x, ember.zeros_like(x))


def triu(x, k=0):
    x = tensor(x)
    return ember.where(_tri_mask(x, k, False), x, ember.zeros_like(x))


def meshgrid(*x, indexing="xy"):
    return ember.meshgrid(*[tensor(v) for v in x], indexing=indexing)


def _window(name, fn):
    def w(x):
        n = int(x)
        if n == 1:
            return ember.ones([1], "float32")
        i = ember.cast(ember.range(n), "float32")
        return fn(i, n)
    w.__name__ = name
    w.__doc__ = f"The {name} window of x points (float32)."
    return w


bartlett = _window("bartlett", lambda i, n: 1.0 - ember.abs(2.0 * i / (n - 1) - 1.0))
hanning = _window("hanning", lambda i, n: 0.5 - 0.5 * ember.cos(2.0 * np.pi * i / (n - 1)))
hamming = _window("hamming", lambda i, n: 0.54 - 0.46 * ember.cos(2.0 * np.pi * i / (n - 1)))
blackman = _window("blackman", lambda i, n: 0.42 - 0.5 * ember.cos(2.0 * np.pi * i / (n - 1))
                   + 0.08 * ember.cos(4.0 * np.pi * i / (n - 1)))


def i0(x):
    """The modified Bessel function of the first kind, order 0 (power series)."""
    x = floating(x)
    half_sq = ember.square(x * 0.5)
    term = ember.ones_like(x)
    total = ember.ones_like(x)
    for k in range(1, 60):
        term = term * half_sq / float(k * k)
        total = total + term
    return total


def kaiser(x, beta):
    n = int(x)
    if n == 1:
        return ember.ones([1], "float32")
    i = ember.cast(ember.range(n), "float32")
    r = 2.0 * i / (n - 1) - 1.0
    return i0(beta * ember.sqrt(ember.maximum(1.0 - r * r, 0.0))) / i0(
        ember.constant(float(beta)))


def vander(x, N=None, increasing=False):
    x = tensor(x)
    n = x.shape[0] if N is None else N
    powers = ember.range(n) if increasing else ember.range(n - 1, -1, -1)
    x = ember.cast(x, "int32") if x.dtype == ember.bool else x
    return ember.pow(ember.expand_dims(x, -1), ember.cast(powers, x.dtype))


# ---------------------------------------------------------------- shape manipulation
def reshape(x, newshape):
    return ember.reshape(tensor(x), newshape)


def ravel(x):
    return ember.reshape(tensor(x), [-1])


def transpose(x, axes=None):
    x = tensor(x)
    return ember.transpose(x, axes if axes is not None else list(range(_nd(x)))[::-1])


def expand_dims(x, axis):
    x = tensor(x)
    if isinstance(axis, (list, tuple)):
        out_nd = _nd(x) + len(axis)
        for a in sorted(a % out_nd for a in axis):
            x = ember.expand_dims(x, a)
        return x
    return ember.expand_dims(x, axis)


def squeeze(x, axis=None):
    x = tensor(x)
    if axis is None:
        return ember.squeeze(x)
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if x.shape[a] is not None and x.shape[a] != 1:
            raise ValueError(f"keras.ops.squeeze: cannot squeeze axis {a} of size "
                             f"{x.shape[a]} (shape {tuple(x.shape)})")
    return ember.squeeze(x, axis=axes)


def moveaxis(x, source, destination):
    x = tensor(x)
    nd = _nd(x)
    src = [s % nd for s in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [d % nd for d in (destination if isinstance(destination, (list, tuple))
                            else [destination])]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return ember.transpose(x, order)


def swapaxes(x, axis1, axis2):
    x = tensor(x)
    perm = list(range(_nd(x)))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return ember.transpose(x, perm)


def broadcast_to(x, shape):
    return ember.broadcast_to(tensor(x), shape)


def concatenate(xs, axis=0):
    """Joins tensors along axis (axis=None flattens them first)."""
    ts = promote(*xs)
    if axis is None:
        ts, axis = [ember.reshape(t, [-1]) for t in ts], 0
    return ember.concat(ts, axis=axis)


def append(x1, x2, axis=None):
    return concatenate([x1, x2], axis=axis)


def stack(x, axis=0):
    return ember.stack(promote(*x), axis=axis)


def hstack(xs):
    ts = [tensor(v) for v in xs]
    return concatenate(ts, axis=0 if _nd(ts[0]) == 1 else 1)


def vstack(xs):
    ts = [tensor(v) for v in xs]
    ts = [ember.reshape(t, [1, -1]) if _nd(t) == 1 else t for t in ts]
    return concatenate(ts, axis=0)


def dstack(xs):
    ts = [tensor(v) for v in xs]
    out = []
    for t in ts:
        if _nd(t) == 1:
            t = ember.reshape(t, [1, -1, 1])
        elif _nd(t) == 2:
            t = ember.expand_dims(t, -1)
        out.append(t)
    return concatenate(out, axis=2)


def split(x, indices_or_sections, axis=0):
    """Pieces of x along axis: a section count, or the indices to cut at."""
    x = tensor(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"keras.ops.split: {n} elements along axis {axis} do not split "
                             f"into {indices_or_sections} equal sections")
        return ember.split(x, indices_or_sections, axis=axis)
    cuts = [0] + list(indices_or_sections) + [n]
    return ember.split(x, [b - a for a, b in zip(cuts[:-1], cuts[1:])], axis=axis)


def array_split(x, indices_or_sections, axis=0):
    x = tensor(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        return ember.split(x, sizes, axis=axis)
    return split(x, indices_or_sections, axis)


def hsplit(x, indices_or_sections):
    x = tensor(x)
    return split(x, indices_or_sections, axis=0 if _nd(x) == 1 else 1)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def tile(x, repeats):
    x = tensor(x)
    reps = [repeats] if isinstance(repeats, int) else list(repeats)
    nd = builtins.max(_nd(x), len(reps))
    if _nd(x) < nd:
        x = ember.reshape(x, [1] * (nd - _nd(x)) + [-1 if d is None else d for d in x.shape])
    return ember.tile(x, [1] * (nd - len(reps)) + reps)


def repeat(x, repeats, axis=None):
    x = tensor(x)
    if axis is None:
        x, axis = ember.reshape(x, [-1]), 0
    return ember.repeat(x, repeats, axis=axis)


def flip(x, axis=None):
    x = tensor(x)
    axes = list(range(_nd(x))) if axis is None else (
        list(axis) if isinstance(axis, (list, tuple)) else [axis])
    return ember.reverse(x, axes)


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    x = tensor(array)
    k %= 4
    a0, a1 = axes
    for _ in range(k):
        x = swapaxes(flip(x, a1), a0, a1)
    return x


def roll(x, shift, axis=None):
    x = tensor(x)
    if axis is None:
        return ember.reshape(ember.roll(ember.reshape(x, [-1]), shift, 0), ember.shape(x))
    return ember.roll(x, shift, axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads x; pad_width as NumPy's ((before, after), ...), an int or one pair."""
    x = tensor(x)
    nd = _nd(x)
    pw = np.asarray(pad_width)
    if pw.ndim == 0:
        pw = np.full((nd, 2), int(pw))
    elif pw.ndim == 1:
        pw = np.tile(pw.reshape(1, -1), (nd, 1)) if pw.size == 2 else \
            np.stack([pw, pw], axis=1)
    modes = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}
    if mode not in modes:
        raise ValueError(f"keras.ops.pad: mode must be one of {sorted(modes)}; "
                         f"received {mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError("keras.ops.pad: constant_values is only used with mode='constant'")
    return ember.pad(x, pw.astype("int32").tolist(), mode=modes[mode],
                     constant_values=0 if constant_values is None else constant_values)


def take(x, indices, axis=None):
    """x's entries at indices along axis (of flattened x for None); negatives wrap."""
    x = tensor(x)
    idx = tensor(indices)
    if idx.dtype.is_floating:
        idx = ember.cast(idx, "int32")
    if axis is None:
        x, axis = ember.reshape(x, [-1]), 0
    n = ember.cast(ember.shape(x)[axis], idx.dtype)
    idx = ember.where(idx < 0, idx + n, idx)
    return ember.gather(x, idx, axis=axis)


def take_along_axis(x, indices, axis=None):
    x = tensor(x)
    idx = tensor(indices, "int32")
    if axis is None:
        x, idx, axis = ember.reshape(x, [-1]), ember.reshape(idx, [-1]), 0
    nd = _nd(x)
    axis %= nd
    shape_x = list(x.shape)
    shape_i = list(idx.shape)
    bshape = [builtins.max(a, b) if d != axis else None
              for d, (a, b) in enumerate(zip(shape_x, shape_i))]
    x = ember.broadcast_to(x, [bshape[d] if d != axis else shape_x[d] for d in range(nd)])
    idx = ember.broadcast_to(idx, [bshape[d] if d != axis else shape_i[d] for d in range(nd)])
    n = shape_x[axis]
    idx = ember.where(idx < 0, idx + n, idx)
    perm = [d for d in range(nd) if d != axis] + [axis]
    inv = np.argsort(perm).tolist()
    xt = ember.transpose(x, perm)
    it = ember.transpose(idx, perm)
    out = ember.gather(xt, it, axis=nd - 1, batch_dims=nd - 1)
    return ember.transpose(out, inv)


def where(condition, x1=None, x2=None):
    """Elementwise x1 if condition else x2; with only condition, the nonzero indices."""
    cond = ember.cast(tensor(condition), "bool")
    if x1 is None and x2 is None:
        return nonzero(cond)
    if x1 is None or x2 is None:
        raise ValueError("keras.ops.where: pass both x1 and x2, or neither")
    a, b = promote(x1, x2)
    return ember.where(cond, a, b)


def nonzero(x):
    """A tuple of index tensors, one per axis, of x's nonzero entries."""
    x = tensor(x)
    idx = ember.where(ember.not_equal(x, ember.zeros_like(x)))
    return tuple(ember.cast(idx[:, d], "int32") for d in range(_nd(x)))


def select(condlist, choicelist, default=0):
    conds = [ember.cast(tensor(c), "bool") for c in condlist]
    choices = promote(*choicelist)
    out = ember.cast(tensor(default), choices[0].dtype) * ember.ones_like(choices[0])
    for c, v in reversed(list(zip(conds, choices))):
        out = ember.where(c, v, out)
    return out


def get_item(x, key):
    return tensor(x)[key]


def size(x):
    x = tensor(x)
    return int(np.prod(x.shape)) if builtins.all(d is not None for d in x.shape) else \
        ember.size(x)


def ndim(x):
    return _nd(tensor(x))


def diagonal(x, offset=0, axis1=0, axis2=1):
    x = tensor(x)
    nd = _nd(x)
    a1, a2 = axis1 % nd, axis2 % nd
    x = ember.transpose(x, [d for d in range(nd) if d not in (a1, a2)] + [a1, a2])
    n, m = x.shape[-2], x.shape[-1]
    if offset >= 0:
        length = builtins.max(0, builtins.min(n, m - offset))
        rows, cols = np.arange(length), np.arange(length) + offset
    else:
        length = builtins.max(0, builtins.min(n + offset, m))
        rows, cols = np.arange(length) - offset, np.arange(length)
    flat = ember.reshape(x, [-1 if d is None else d for d in list(x.shape[:-2])] + [n * m])
    return ember.gather(flat, ember.constant((rows * m + cols).astype("int32")), axis=-1)


def diag(x, k=0):
    x = tensor(x)
    if _nd(x) == 1:
        n = x.shape[0] + builtins.abs(k)
        rows = np.arange(x.shape[0]) + builtins.max(-k, 0)
        cols = np.arange(x.shape[0]) + builtins.max(k, 0)
        idx = ember.constant(np.stack([rows, cols], 1).astype("int32"))
        return ember.scatter_nd(idx, x, [n, n])
    if _nd(x) == 2:
        return diagonal(x, k)
    raise ValueError(f"keras.ops.diag: expected a 1-D or 2-D input; received shape "
                     f"{tuple(x.shape)}")


def diagflat(x, k=0):
    return diag(ravel(x), k)


def trace(x, offset=0, axis1=0, axis2=1):
    x = tensor(x)
    if x.dtype == ember.bool:
        x = ember.cast(x, "int32")
    return ember.reduce_sum(_small_int_sum_dtype(diagonal(x, offset, axis1, axis2)), axis=-1)


# ---------------------------------------------------------------- products
def matmul(x1, x2):
    """Matrix product with NumPy's rules for 1-D operands."""
    a, b = promote(x1, x2)
    if a.dtype == ember.bool or standardize_dtype(a.dtype) in ("int8", "int16", "uint8"):
        a, b = ember.cast(a, "int32"), ember.cast(b, "int32")
    va, vb = _nd(a) == 1, _nd(b) == 1
    if va:
        a = ember.expand_dims(a, 0)
    if vb:
        b = ember.expand_dims(b, -1)
    out = ember.matmul(a, b)
    if va:
        out = ember.squeeze(out, axis=[-2])
    if vb:
        out = ember.squeeze(out, axis=[-1])
    return out


def dot(x1, x2):
    a, b = promote(x1, x2)
    if _nd(a) == 0 or _nd(b) == 0:
        return a * b
    if _nd(b) == 1:
        return ember.tensordot(a, b, [[_nd(a) - 1], [0]])
    return ember.tensordot(a, b, [[_nd(a) - 1], [_nd(b) - 2]])


def tensordot(x1, x2, axes=2):
    a, b = promote(x1, x2)
    return ember.tensordot(a, b, axes)


def inner(x1, x2):
    a, b = promote(x1, x2)
    if _nd(a) == 0 or _nd(b) == 0:
        return a * b
    return ember.tensordot(a, b, [[_nd(a) - 1], [_nd(b) - 1]])


def outer(x1, x2):
    a, b = promote(x1, x2)
    return ember.reshape(a, [-1, 1]) * ember.reshape(b, [1, -1])


def vdot(x1, x2):
    a, b = promote(x1, x2)
    return ember.reduce_sum(conjugate(ember.reshape(a, [-1])) * ember.reshape(b, [-1]))


def einsum(subscripts, *operands, **kwargs):
    ops_ = promote(*operands)
    return ember.einsum(subscripts, *ops_)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    a, b = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError("keras.ops.cross: ember supports 3-vectors only; received "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out = ember.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def kron(x1, x2):
    a, b = promote(x1, x2)
    nd = builtins.max(_nd(a), _nd(b))
    a = ember.reshape(a, [1] * (nd - _nd(a)) + list(a.shape))
    b = ember.reshape(b, [1] * (nd - _nd(b)) + list(b.shape))
    sa, sb = list(a.shape), list(b.shape)
    ai = ember.reshape(a, [s for d in sa for s in (d, 1)])
    bi = ember.reshape(b, [s for d in sb for s in (1, d)])
    return ember.reshape(ai * bi, [p * q for p, q in zip(sa, sb)])


def diff(a, n=1, axis=-1):
    x = tensor(a)
    for _ in range(n):
        length = x.shape[axis]
        x = ember.gather(x, ember.range(1, length), axis=axis) - \
            ember.gather(x, ember.range(0, length - 1), axis=axis)
    return x


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = floating(y)
    n = y.shape[axis]
    left = ember.gather(y, ember.range(0, n - 1), axis=axis)
    right = ember.gather(y, ember.range(1, n), axis=axis)
    if x is None:
        return ember.reduce_sum((left + right) * (dx * 0.5), axis=axis)
    d = diff(floating(x), axis=axis if _nd(tensor(x)) > 1 else -1)
    if _nd(d) == 1 and _nd(y) > 1:
        shape = [1] * _nd(y)
        shape[axis] = -1
        d = ember.reshape(d, shape)
    return ember.reduce_sum((left + right) * d * 0.5, axis=axis)


def correlate(x1, x2, mode="valid"):
    a, b = promote(x1, x2, extra=(float,))
    n, m = a.shape[0], b.shape[0]
    if mode == "valid":
        lo, hi = 0, n - m
    elif mode == "same":
        lo, hi = -(m // 2), n - m + (m - 1) // 2 + 0
        hi = lo + builtins.max(n, m) - 1
    elif mode == "full":
        lo, hi = -(m - 1), n - 1
    else:
        raise ValueError(f"keras.ops.correlate: mode must be valid, same or full; "
                         f"received {mode!r}")
    if n < m and mode == "valid":
        return correlate(b, a, mode)[::-1]
    padded = ember.pad(a, [[m, m]])
    shifts = np.arange(lo, hi + 1)
    idx = ember.constant((shifts[:, None] + np.arange(m)[None, :] + m).astype("int32"))
    windows = ember.gather(padded, idx)
    return ember.reduce_sum(windows * b, axis=-1)


def corrcoef(x):
    x = floating(x)
    if _nd(x) == 1:
        x = ember.expand_dims(x, 0)
    xc = x - ember.reduce_mean(x, axis=1, keepdims=True)
    cov = ember.matmul(xc, xc, transpose_b=True)
    d = ember.sqrt(ember.linalg.diag_part(cov))
    return ember.clip_by_value(cov / (ember.expand_dims(d, 1) * ember.expand_dims(d, 0)),
                               -1.0, 1.0)


# ---------------------------------------------------------------- sorting and searching
def sort(x, axis=-1):
    x = tensor(x)
    if axis is None:
        x, axis = ember.reshape(x, [-1]), -1
    return ember.sort(x, axis=axis)


def argsort(x, axis=-1):
    x = tensor(x)
    if axis is None:
        x, axis = ember.reshape(x, [-1]), -1
    if x.dtype == ember.bool:
        x = ember.cast(x, "int32")
    return ember.cast(ember.argsort(x, axis=axis, stable=True), "int32")


def argpartition(x, kth, axis=-1):
    """Indices that partition x around its kth element (here: a stable full argsort,
    which is one valid partition)."""
    return argsort(x, axis)


def searchsorted(sorted_sequence, values, side="left"):
    seq = tensor(sorted_sequence)
    vals = ember.cast(tensor(values), seq.dtype)
    if _nd(seq) != 1:
        raise ValueError("keras.ops.searchsorted: sorted_sequence must be 1-D; received "
                         f"shape {tuple(seq.shape)}")
    cmp = ember.less if side == "left" else ember.less_equal
    hits = cmp(ember.reshape(seq, [1] * _nd(vals) + [-1]), ember.expand_dims(vals, -1))
    return ember.reduce_sum(ember.cast(hits, "int32"), axis=-1)


def digitize(x, bins):
    bins = tensor(bins)
    x = ember.cast(tensor(x), bins.dtype)
    return searchsorted(bins, x, side="right")


def isin(x1, x2, assume_unique=False, invert=False):
    a, b = promote(x1, x2)
    hit = ember.reduce_any(ember.equal(ember.expand_dims(a, -1), ember.reshape(b, [-1])),
                           axis=-1)
    return ember.logical_not(hit) if invert else hit


def unique(x, sorted=True, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    x = tensor(x)
    if axis is not None:
        raise NotImplementedError("keras.ops.unique: axis is not supported by ember")
    flat = ember.reshape(x, [-1])
    vals, inv = ember.unique(flat)
    if sorted:
        order = ember.argsort(vals, stable=True)
        vals = ember.gather(vals, order)
        rank = ember.cast(ember.argsort(order, stable=True), inv.dtype)
        inv = ember.gather(rank, inv)
    outs = [vals]
    if return_inverse:
        outs.append(ember.reshape(inv, ember.shape(x)))
    if return_counts:
        outs.append(ember.math.unsorted_segment_sum(ember.ones_like(inv), inv,
                                                    ember.shape(vals)[0]))
    return outs[0] if len(outs) == 1 else tuple(outs)


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise NotImplementedError("keras.ops.bincount: sparse=True is not supported by ember")
    x = tensor(x)
    w = None if weights is None else tensor(weights)
    if _nd(x) == 2:
        return ember.math.bincount(x, weights=w, minlength=minlength, axis=-1,
                                   dtype=w.dtype if w is not None else ember.int32)
    return ember.math.bincount(x, weights=w, minlength=minlength,
                               dtype=w.dtype if w is not None else ember.int32)


def histogram(x, bins=10, range=None):
    x = floating(x)
    lo, hi = (ember.reduce_min(x), ember.reduce_max(x)) if range is None else \
        (ember.constant(float(range[0])), ember.constant(float(range[1])))
    edges = linspace(lo, hi, bins + 1)
    width = (hi - lo) / bins
    idx = ember.cast(ember.math.floor((x - lo) / width), "int32")
    idx = ember.where(ember.equal(x, hi), ember.ones_like(idx) * (bins - 1), idx)
    inside = ember.logical_and(x >= lo, x <= hi)
    onehot = ember.one_hot(ember.where(inside, idx, -ember.ones_like(idx)), bins,
                           dtype="int32")
    return ember.cast(ember.reduce_sum(onehot, axis=0), edges.dtype), edges


def unravel_index(indices, shape):
    idx = tensor(indices)
    out = []
    for d in reversed(shape):
        out.append(ember.math.floormod(idx, ember.cast(d, idx.dtype)))
        idx = ember.math.floordiv(idx, ember.cast(d, idx.dtype))
    return tuple(reversed(out))


# ---------------------------------------------------------------- comparisons of values
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    a, b = promote(x1, x2, extra=(float,))
    close = ember.abs(a - b) <= atol + rtol * ember.abs(b)
    close = ember.logical_or(close, ember.equal(a, b))
    if equal_nan:
        close = ember.logical_or(close, ember.logical_and(ember.math.is_nan(a),
                                                          ember.math.is_nan(b)))
    return close


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return ember.reduce_all(isclose(x1, x2, rtol, atol, equal_nan))


def slogdet(x):
    sign_, logabs = ember.linalg.slogdet(floating(x))
    return sign_, logabs


def vectorize(pyfunc, *, excluded=None, signature=None):
    """pyfunc mapped over the leading axis of its tensor arguments."""
    from ember.keras.ops.core import vectorized_map

    def wrapped(*args):
        if len(args) == 1:
            return vectorized_map(pyfunc, args[0])
        return vectorized_map(lambda xs: pyfunc(*xs), tuple(tensor(a) for a in args))
    return wrapped


# ---------------------------------------------------------------- not in ember
def _int_pair(x, y, name):
    a, b = promote(x, y)
    if a.dtype == ember.bool:
        return a, b, True
    if not a.dtype.is_integer:
        raise TypeError(f"keras.ops.{name}: expected integer or bool tensors; received "
                        f"{dtype_of(a)}")
    return a, b, False


def _bits(x):
    """x's two's-complement bits, lowest first, as 0/1 tensors of x's dtype."""
    nbits = x.dtype.size * 8
    two = ember.cast(2, x.dtype)
    out, cur = [], x
    for _ in range(nbits):
        out.append(ember.math.floormod(cur, two))
        cur = ember.math.floordiv(cur, two)
    return out


def _from_bits(bits, dtype):
    np_dtype = dtype.as_numpy_dtype
    total = ember.zeros_like(bits[0])
    for k, bit in enumerate(bits):
        weight = np.array(1, np_dtype) << np.array(k, np_dtype)
        total = total + bit * ember.constant(weight, dtype)
    return total


def _bitwise(name, combine):
    def op(x, y):
        a, b, is_bool = _int_pair(x, y, name)
        if is_bool:
            return combine(ember.cast(a, "int32"), ember.cast(b, "int32")) > 0
        bits = [combine(p, q) for p, q in zip(_bits(a), _bits(b))]
        return _from_bits(bits, a.dtype)
    op.__name__ = name
    op.__doc__ = f"Elementwise bitwise {name.split('_')[1]} of integer (or bool) tensors."
    return op


bitwise_and = _bitwise("bitwise_and", lambda p, q: p * q)
bitwise_or = _bitwise("bitwise_or", lambda p, q: p + q - p * q)
bitwise_xor = _bitwise("bitwise_xor", lambda p, q: ember.math.floormod(p + q, ember.cast(
    2, p.dtype)))


def _shift_amount(a, y):
    return ember.pow(ember.cast(2, a.dtype), ember.cast(tensor(y), a.dtype))


def bitwise_left_shift(x, y):
    """x * 2**y (bits shifted left; overflow wraps as in two's complement)."""
    a, _, _ = _int_pair(x, y, "bitwise_left_shift")
    return a * _shift_amount(a, y)


def bitwise_right_shift(x, y):
    """floor(x / 2**y): an arithmetic shift right."""
    a, _, _ = _int_pair(x, y, "bitwise_right_shift")
    return ember.math.floordiv(a, _shift_amount(a, y))


left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def gcd(x1, x2):
    """The greatest common divisor, elementwise (Euclid's algorithm in one while_loop)."""
    a, b, _ = _int_pair(x1, x2, "gcd")
    a, b = ember.abs(a), ember.abs(b)
    zero = ember.zeros_like(b)

    def body(p, q):
        safe = ember.where(ember.equal(q, zero), ember.ones_like(q), q)
        return (ember.where(ember.equal(q, zero), p, q),
                ember.where(ember.equal(q, zero), zero, ember.math.floormod(p, safe)))

    out, _ = ember.while_loop(lambda p, q: ember.reduce_any(ember.not_equal(q, zero)), body,
                              (a, b))
    return out


def lcm(x1, x2):
    a, b, _ = _int_pair(x1, x2, "lcm")
    g = gcd(a, b)
    safe = ember.where(ember.equal(g, 0), ember.ones_like(g), g)
    return ember.abs(ember.math.floordiv(a, safe) * b)


def bitwise_invert(x):
    return ember.bitwise_not(tensor(x)) if tensor(x).dtype != ember.bool else \
        ember.logical_not(tensor(x))


bitwise_not = bitwise_invert
def nextafter(x1, x2):
    """The next representable value after x1 towards x2, as Keras computes it: in float64,
    then cast to the inputs' floating result dtype."""
    x1, x2 = tensor(x1), tensor(x2)
    dtype = result_type(x1.dtype.name, x2.dtype.name, float)
    out = ember.math.nextafter(ember.cast(x1, "float64"), ember.cast(x2, "float64"))
    return ember.cast(out, dtype)


def view(x, dtype=None):
    """x's bytes read as ``dtype`` (NumPy's ``ndarray.view``): the last axis grows or
    shrinks by the ratio of the item sizes."""
    x = tensor(x)
    new = ember.as_dtype(standardize_dtype(dtype) if dtype is not None else x.dtype)
    old_size, new_size = x.dtype.size, new.size
    shape = x.shape.as_list()
    last = shape[-1] if shape else -1
    if (last == -1 and old_size != new_size) or (last * old_size) % new_size:
        raise ValueError(f"Cannot view array of shape {tuple(shape)} and dtype "
                         f"{x.dtype.name} as dtype {new.name} because the total number of "
                         f"bytes is not divisible by the new itemsize.")
    if old_size == new_size:
        return ember.bitcast(x, new)
    if old_size > new_size:
        out = ember.bitcast(x, new)
        return ember.reshape(out, shape[:-1] + [last * (old_size // new_size)])
    ratio = new_size // old_size
    if last % ratio:
        raise ValueError(f"Cannot view dtype. Last dimension size ({last}) must be "
                         f"divisible by the ratio of new/old item sizes ({ratio}).")
    return ember.bitcast(ember.reshape(x, shape[:-1] + [last // ratio, ratio]), new)

__all__ = [n for n, v in list(globals().items())
           if not n.startswith("_") and callable(v) and getattr(v, "__module__", "") == __name__
           and n not in ("logsumexp_impl",)]
