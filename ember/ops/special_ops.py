"""Special functions: Bessel functions, inverse error functions, incomplete gamma and
beta functions, zeta, and the rest of ``tf.math.special``.

Kernels call SciPy's ``scipy.special`` (imported on first use; ``pip install
ember[scipy]``); gradients are written with public ops.
"""
from __future__ import annotations

import math

import numpy as np

from ember.framework.errors import InvalidArgumentError, UnimplementedError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import broadcast_static
from ember.ops import array_ops, math_ops, reduce_ops
from ember.ops._base import EMPTY, FLOATS, BinaryOp, UnaryOp, check_dtype, run_binary, \
    run_unary, tensor

__all__ = [
    "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
    "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1",
    "betainc", "dawsn", "erfcinv", "erfinv", "expint", "fresnel_cos", "fresnel_sin", "igamma",
    "igammac", "lbeta", "ndtri", "nextafter", "spence", "xlog1py", "zeta",
]

REAL_FLOATS = FLOATS


def scipy_special(fn_name: str, op_name: str):
    try:
        from scipy import special
    except ImportError:
        raise UnimplementedError(f"{op_name} needs SciPy (pip install scipy, or "
                                 f"ember[scipy])") from None
    return getattr(special, fn_name)


def _kernel(scipy_name, op_name):
    def run(*arrays):
        fn = scipy_special(scipy_name, op_name)
        work = [a.astype(np.float64) if a.dtype != np.float64 else a for a in arrays]
        with np.errstate(all="ignore"):
            return np.asarray(fn(*work)).astype(arrays[-1].dtype, copy=False)
    return run


def _unary(op_name, scipy_name, grad_fn=None):
    return UnaryOp(op_name, _kernel(scipy_name, op_name), grad_fn, REAL_FLOATS)


def _binary(op_name, scipy_name, grad_fn=None):
    return BinaryOp(op_name, _kernel(scipy_name, op_name), grad_fn, REAL_FLOATS)


def _safe_reciprocal(x):
    return math_ops.reciprocal_no_nan(x)


I0 = _unary("BesselI0", "i0", lambda x, y, g: g * bessel_i1(x))
I0E = _unary("BesselI0e", "i0e", lambda x, y, g: g * (bessel_i1e(x) - math_ops.sign(x) * y))
I1 = _unary("BesselI1", "i1", lambda x, y, g: g * array_ops.where(
    math_ops.equal(x, array_ops.zeros_like(x)), 0.5 * array_ops.ones_like(x),
    bessel_i0(x) - y * _safe_reciprocal(x)))
I1E = _unary("BesselI1e", "i1e", lambda x, y, g: g * array_ops.where(
    math_ops.equal(x, array_ops.zeros_like(x)), 0.5 * array_ops.ones_like(x),
    bessel_i0e(x) - y * (math_ops.sign(x) + _safe_reciprocal(x))))
J0 = _unary("BesselJ0", "j0", lambda x, y, g: -g * bessel_j1(x))
J1 = _unary("BesselJ1", "j1", lambda x, y, g: g * array_ops.where(
    math_ops.equal(x, array_ops.zeros_like(x)), 0.5 * array_ops.ones_like(x),
    bessel_j0(x) - y * _safe_reciprocal(x)))
Y0 = _unary("BesselY0", "y0", lambda x, y, g: -g * bessel_y1(x))
Y1 = _unary("BesselY1", "y1", lambda x, y, g: g * (bessel_y0(x) - y / x))
K0 = _unary("BesselK0", "k0", lambda x, y, g: -g * bessel_k1(x))
K0E = _unary("BesselK0e", "k0e", lambda x, y, g: g * (y - bessel_k1e(x)))
K1 = _unary("BesselK1", "k1", lambda x, y, g: g * (-bessel_k0(x) - y / x))
K1E = _unary("BesselK1e", "k1e", lambda x, y, g: g * (y - bessel_k0e(x) - y / x))
DAWSN = _unary("Dawsn", "dawsn", lambda x, y, g: g * (1.0 - 2.0 * x * y))
EXPINT = _unary("Expint", "expi", lambda x, y, g: g * math_ops.exp(x) / x)
SPENCE = _unary("Spence", "spence", lambda x, y, g: g * array_ops.where(
    math_ops.equal(x, array_ops.ones_like(x)), -array_ops.ones_like(x),
    math_ops.log(x) / (1.0 - x)))
_HALF_PI = math.pi / 2


def _fresnel(index):
    def run(a):
        fn = scipy_special("fresnel", "FresnelCos" if index else "FresnelSin")
        with np.errstate(all="ignore"):
            return np.asarray(fn(a.astype(np.float64))[index]).astype(a.dtype)
    return run


FRESNEL_SIN = UnaryOp("FresnelSin", _fresnel(0),
                      lambda x, y, g: g * math_ops.sin(_HALF_PI * x * x), REAL_FLOATS)
FRESNEL_COS = UnaryOp("FresnelCos", _fresnel(1),
                      lambda x, y, g: g * math_ops.cos(_HALF_PI * x * x), REAL_FLOATS)
_SQRT_PI_2 = math.sqrt(math.pi) / 2
_SQRT_2PI = math.sqrt(2 * math.pi)
ERFINV = _unary("Erfinv", "erfinv", lambda x, y, g: g * _SQRT_PI_2 * math_ops.exp(y * y))
NDTRI = _unary("Ndtri", "ndtri", lambda x, y, g: g * _SQRT_2PI * math_ops.exp(0.5 * y * y))


def _igamma_density(a, x):
    """d/dx igamma(a, x) = x^(a-1) e^-x / Gamma(a)."""
    return math_ops.exp(-x + math_ops.xlogy(a - 1.0, x) - math_ops.lgamma(a))


class _IgammaGradA(Op):
    """d/da of the regularized lower incomplete gamma function, by a central difference
    in float64 (no closed form; TensorFlow uses a series). Not differentiable itself."""

    name = "IgammaGradA"
    differentiable = False

    def infer(self, inputs):
        a, x = inputs
        if a.dtype is not x.dtype:
            raise InvalidArgumentError(f"{self.name}: a and x must have one dtype, got "
                                       f"{a.dtype.name} and {x.dtype.name}")
        check_dtype(self.name, a.dtype, REAL_FLOATS)
        return broadcast_static(a.shape, x.shape, self.name), a.dtype

    def kernel(self, xp, a, x):
        fn = scipy_special("gammainc", "igamma")
        a64, x64 = a.astype(np.float64), x.astype(np.float64)
        h = 1e-6 * np.maximum(1.0, np.abs(a64))
        with np.errstate(all="ignore"):
            out = (fn(a64 + h, x64) - fn(a64 - h, x64)) / (2 * h)
        return np.asarray(out).astype(a.dtype)


IGAMMA_GRAD_A = _IgammaGradA()


def _igamma_grad_a(a, x):
    return execute(IGAMMA_GRAD_A, (a, x), EMPTY)


IGAMMA = _binary("Igamma", "gammainc", lambda a, x, z, g: (
    g * _igamma_grad_a(a, x), g * _igamma_density(a, x)))
IGAMMAC = _binary("Igammac", "gammaincc", lambda a, x, z, g: (
    -g * _igamma_grad_a(a, x), -g * _igamma_density(a, x)))
ZETA = _binary("Zeta", "zeta", lambda s, q, z, g: (None, -g * s * zeta(s + 1.0, q)))
NEXTAFTER = BinaryOp("NextAfter", np.nextafter, None, REAL_FLOATS)


class _Betainc(Op):
    """The regularized incomplete beta function I_x(a, b), elementwise with broadcasting;
    differentiable in x (as in TensorFlow, not in a or b)."""

    name = "Betainc"

    def infer(self, inputs):
        a, b, x = inputs
        for spec in (b, x):
            if spec.dtype is not a.dtype:
                raise InvalidArgumentError(f"{self.name}: a, b and x must have one dtype, got "
                                           f"{a.dtype.name}, {b.dtype.name}, {x.dtype.name}")
        check_dtype(self.name, a.dtype, REAL_FLOATS)
        shape = broadcast_static(broadcast_static(a.shape, b.shape, self.name), x.shape,
                                 self.name)
        return shape, a.dtype

    def kernel(self, xp, a, b, x):
        return _kernel("betainc", "betainc")(a, b, x)

    def grad(self, call, g):
        a, b, x = call.inputs
        log_density = (math_ops.xlogy(a - 1.0, x) + xlog1py(b - 1.0, -x)
                       - lbeta(array_ops.stack([a + 0 * b, b + 0 * a], axis=-1)))
        return None, None, g * math_ops.exp(log_density)


BETAINC = _Betainc()


def _run(op, x, name):
    return run_unary(op, x, name)


def bessel_i0(x, name=None):
    """The modified Bessel function of the first kind of order 0, elementwise.

    >>> ember.math.bessel_i0([0.0, 1.0]).numpy()
    array([1.       , 1.2660658], dtype=float32)
    """
    return _run(I0, x, name)


def bessel_i0e(x, name=None):
    """exp(-|x|) * bessel_i0(x), elementwise (no overflow for large |x|)."""
    return _run(I0E, x, name)


def bessel_i1(x, name=None):
    """The modified Bessel function of the first kind of order 1, elementwise."""
    return _run(I1, x, name)


def bessel_i1e(x, name=None):
    """exp(-|x|) * bessel_i1(x), elementwise."""
    return _run(I1E, x, name)


def bessel_j0(x, name=None):
    """The Bessel function of the first kind of order 0, elementwise."""
    return _run(J0, x, name)


def bessel_j1(x, name=None):
    """The Bessel function of the first kind of order 1, elementwise."""
    return _run(J1, x, name)


def bessel_y0(x, name=None):
    """The Bessel function of the second kind of order 0, elementwise."""
    return _run(Y0, x, name)


def bessel_y1(x, name=None):
    """The Bessel function of the second kind of order 1, elementwise."""
    return _run(Y1, x, name)


def bessel_k0(x, name=None):
    """The modified Bessel function of the second kind of order 0, elementwise."""
    return _run(K0, x, name)


def bessel_k0e(x, name=None):
    """exp(x) * bessel_k0(x), elementwise."""
    return _run(K0E, x, name)


def bessel_k1(x, name=None):
    """The modified Bessel function of the second kind of order 1, elementwise."""
    return _run(K1, x, name)


def bessel_k1e(x, name=None):
    """exp(x) * bessel_k1(x), elementwise."""
    return _run(K1E, x, name)


def dawsn(x, name=None):
    """Dawson's integral exp(-x^2) * integral_0^x exp(t^2) dt, elementwise."""
    return _run(DAWSN, x, name)


def expint(x, name=None):
    """The exponential integral Ei(x), elementwise."""
    return _run(EXPINT, x, name)


def fresnel_cos(x, name=None):
    """The Fresnel cosine integral integral_0^x cos(pi t^2 / 2) dt, elementwise."""
    return _run(FRESNEL_COS, x, name)


def fresnel_sin(x, name=None):
    """The Fresnel sine integral integral_0^x sin(pi t^2 / 2) dt, elementwise."""
    return _run(FRESNEL_SIN, x, name)


def spence(x, name=None):
    """Spence's integral integral_1^x log(t) / (1 - t) dt, elementwise (x >= 0)."""
    return _run(SPENCE, x, name)


def erfinv(x, name=None):
    """The inverse of the error function, elementwise (x in [-1, 1]).

    >>> float(ember.math.erfinv(0.5))
    0.4769362...
    """
    return _run(ERFINV, x, name)


def ndtri(x, name=None):
    """The inverse of the standard normal CDF, elementwise (x in [0, 1])."""
    return _run(NDTRI, x, name)


def erfcinv(x, name=None):
    """The inverse of the complementary error function, elementwise (x in [0, 2])."""
    x = tensor(x)
    return math_ops.multiply(ndtri(x * 0.5), -1.0 / math.sqrt(2.0), name=name)


def igamma(a, x, name=None):
    """The regularized lower incomplete gamma function P(a, x), elementwise."""
    return run_binary(IGAMMA, a, x, name)


def igammac(a, x, name=None):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return run_binary(IGAMMAC, a, x, name)


def zeta(x, q, name=None):
    """The Hurwitz zeta function sum_n (n + q)^-x, elementwise."""
    return run_binary(ZETA, x, q, name)


def nextafter(x1, x2, name=None):
    """The next representable value after x1 towards x2, elementwise."""
    return run_binary(NEXTAFTER, x1, x2, name)


def betainc(a, b, x, name=None):
    """The regularized incomplete beta function I_x(a, b), elementwise."""
    a, b, x = tensor(a), tensor(b), tensor(x)
    return execute(BETAINC, (a, b, x), EMPTY, name)


def lbeta(x, name=None):
    """log|Beta(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x)).

    >>> float(ember.math.lbeta([1.0, 2.0]))    # Beta(1, 2) = 1/2
    -0.6931...
    """
    x = tensor(x)
    if not x.dtype.is_floating:
        raise TypeError(f"lbeta: x must be a float tensor, got {x.dtype.name}")
    return math_ops.subtract(reduce_ops.reduce_sum(math_ops.lgamma(x), axis=-1),
                             math_ops.lgamma(reduce_ops.reduce_sum(x, axis=-1)), name=name)


def xlog1py(x, y, name=None):
    """x * log1p(y), with 0 where x == 0.

    >>> ember.math.xlog1py([0., 2.], [-1., 0.]).numpy()
    array([0., 0.], dtype=float32)
    """
    x, y = tensor(x), tensor(y, dtype=tensor(x).dtype)
    zero = math_ops.equal(x, array_ops.zeros_like(x))
    safe_y = array_ops.where(zero, array_ops.zeros_like(y), y)
    return array_ops.where(zero, array_ops.zeros_like(x * y), x * math_ops.log1p(safe_y),
                           name=name)

