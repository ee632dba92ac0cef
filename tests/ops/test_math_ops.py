"""The elementwise math table: forward vs NumPy, dtypes, gradients, errors, operators."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember as tf
from ember.ops import math_ops
from tests.ops.optest import check_forward, check_gradient, check_second_order
from tests.docexamples import run_examples

InvalidArgumentError = tf.errors.InvalidArgumentError

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
TOL = {np.float16: (4e-3, 4e-3), np.float32: (2e-6, 2e-6), np.float64: (1e-12, 1e-12)}


def _special(name, fallback):
    """A float64 reference from scipy.special, else from the math module, elementwise."""
    try:
        from scipy import special
        return getattr(special, name)
    except ImportError:
        return np.vectorize(fallback, otypes=[np.float64])


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _digamma_ref(x):
    try:
        from scipy import special
        return special.digamma(x)
    except ImportError:
        h = 1e-5
        lg = np.vectorize(math.lgamma, otypes=[np.float64])
        return (lg(x + h) - lg(x - h)) / (2 * h)


ERF = _special("erf", math.erf)
ERFC = _special("erfc", math.erfc)
LGAMMA = _special("gammaln", math.lgamma)


def _sample(rng, lo, hi, shape, away=None):
    """Uniform values in [lo, hi]; ``away`` pushes values at least 0.15 from those points."""
    x = rng.uniform(lo, hi, size=shape)
    if away is not None:
        for p in away:
            near = np.abs(x - p) < 0.15
            x = np.where(near, p + 0.15 * np.where(x >= p, 1, -1) + 0.05, x)
    return x


# ------------------------------------------------------------------------ unary table ---
# name, function, float64 reference, domain (lo, hi), points to stay away from,
# gradient: None (not differentiable), "first", or "second" (smooth: second order too).
INTEGERS = [float(k) for k in range(-4, 5)]
HALVES = [k + 0.5 for k in range(-4, 4)]

UNARY = [
    ("negative", tf.negative, np.negative, (-3, 3), None, "second"),
    ("abs", tf.abs, np.abs, (-3, 3), [0.0], "first"),
    ("sign", tf.sign, np.sign, (-3, 3), [0.0], "first"),
    ("square", tf.square, np.square, (-3, 3), None, "second"),
    ("sqrt", tf.sqrt, np.sqrt, (0.3, 4), None, "second"),
    ("rsqrt", tf.math.rsqrt, lambda x: 1 / np.sqrt(x), (0.3, 4), None, "second"),
    ("exp", tf.exp, np.exp, (-3, 3), None, "second"),
    ("expm1", tf.math.expm1, np.expm1, (-3, 3), None, "second"),
    ("log", tf.math.log, np.log, (0.2, 5), None, "second"),
    ("log1p", tf.math.log1p, np.log1p, (-0.7, 4), None, "second"),
    ("sin", tf.sin, np.sin, (-3, 3), None, "second"),
    ("cos", tf.cos, np.cos, (-3, 3), None, "second"),
    ("tan", tf.tan, np.tan, (-1.2, 1.2), None, "second"),
    ("asin", tf.asin, np.arcsin, (-0.85, 0.85), None, "second"),
    ("acos", tf.acos, np.arccos, (-0.85, 0.85), None, "second"),
    ("atan", tf.atan, np.arctan, (-3, 3), None, "second"),
    ("sinh", tf.sinh, np.sinh, (-2.5, 2.5), None, "second"),
    ("cosh", tf.cosh, np.cosh, (-2.5, 2.5), None, "second"),
    ("tanh", tf.tanh, np.tanh, (-2.5, 2.5), None, "second"),
    ("asinh", tf.asinh, np.arcsinh, (-3, 3), None, "second"),
    ("acosh", tf.acosh, np.arccosh, (1.3, 4), None, "second"),
    ("atanh", tf.atanh, np.arctanh, (-0.85, 0.85), None, "second"),
    ("sigmoid", tf.sigmoid, _np_sigmoid, (-5, 5), None, "second"),
    ("log_sigmoid", tf.math.log_sigmoid, lambda x: -np.logaddexp(0, -x), (-5, 5), [0.0],
     "second"),
    ("erf", tf.math.erf, ERF, (-2, 2), None, "second"),
    ("erfc", tf.math.erfc, ERFC, (-2, 2), None, "second"),
    ("lgamma", tf.math.lgamma, LGAMMA, (0.3, 5), None, "second"),
    ("digamma", tf.math.digamma, _digamma_ref, (0.4, 5), None, "second"),
    ("reciprocal", tf.math.reciprocal, np.reciprocal, (0.3, 3), None, "second"),
    ("floor", tf.floor, np.floor, (-4, 4), INTEGERS, None),
    ("ceil", tf.math.ceil, np.ceil, (-4, 4), INTEGERS, None),
    ("round", tf.round, np.round, (-4, 4), HALVES, None),
    ("rint", tf.math.rint, np.rint, (-4, 4), HALVES, None),
]
UNARY_IDS = [u[0] for u in UNARY]
UNARY_GRAD = [u for u in UNARY if u[5] is not None]
UNARY_SMOOTH = [u for u in UNARY if u[5] == "second"]
# Ops TensorFlow defines only for floating (and complex) types.
FLOAT_ONLY = [u for u in UNARY if u[0] not in ("negative", "abs", "sign", "square", "round")]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", UNARY, ids=UNARY_IDS)
def test_unary_forward(case, dtype, rng):
    name, fn, ref, (lo, hi), away, _ = case
    x = _sample(rng, lo, hi, (2, 3), away).astype(dtype)
    rtol, atol = TOL[dtype]
    want = ref(x.astype(np.float64)).astype(dtype)
    check_forward(fn, lambda a: want, [x], rtol=rtol, atol=atol * max(1, np.abs(want).max()))


@pytest.mark.parametrize("case", UNARY, ids=UNARY_IDS)
def test_unary_scalar_and_empty(case, rng):
    name, fn, ref, (lo, hi), away, _ = case
    s = np.float32(_sample(rng, lo, hi, (), away))
    out = fn(tf.constant(s))
    assert out.shape == () and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), ref(np.float64(s)), rtol=2e-6, atol=2e-6)
    out = fn(tf.zeros([0, 3], tf.float64))
    assert out.shape == (0, 3) and out.dtype == tf.float64


@pytest.mark.parametrize("case", UNARY, ids=UNARY_IDS)
def test_unary_bfloat16_keeps_dtype(case, rng):
    name, fn, ref, (lo, hi), away, _ = case
    x = _sample(rng, lo, hi, (4,), away).astype(np.float32)
    got = fn(tf.cast(tf.constant(x), tf.bfloat16))
    assert got.dtype == tf.bfloat16
    bx = tf.cast(tf.cast(tf.constant(x), tf.bfloat16), tf.float64).numpy()
    np.testing.assert_allclose(tf.cast(got, tf.float64).numpy(), ref(bx), rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("case", UNARY_GRAD, ids=[u[0] for u in UNARY_GRAD])
def test_unary_gradient(case, rng):
    name, fn, ref, (lo, hi), away, _ = case
    check_gradient(fn, [_sample(rng, lo, hi, (2, 3), away)])


@pytest.mark.parametrize("case", UNARY_SMOOTH, ids=[u[0] for u in UNARY_SMOOTH])
def test_unary_second_order(case, rng):
    name, fn, ref, (lo, hi), away, _ = case
    check_second_order(fn, [_sample(rng, lo, hi, (3,), away)])


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32], ids=["float16", "float32"])
@pytest.mark.parametrize("case", UNARY_SMOOTH, ids=[u[0] for u in UNARY_SMOOTH])
def test_unary_gradient_keeps_dtype(case, dtype, rng):
    name, fn, ref, (lo, hi), away, _ = case
    x = tf.constant(_sample(rng, lo, hi, (3,), away), dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    g = tape.gradient(y, x)
    assert y.dtype == dtype and g.dtype == dtype


@pytest.mark.parametrize("case", FLOAT_ONLY, ids=[u[0] for u in FLOAT_ONLY])
def test_float_only_unary_rejects_int32(case):
    with pytest.raises(InvalidArgumentError, match="int32"):
        case[1](tf.constant([1, 2]))


def test_exp_of_int32_raises_instead_of_upcasting():
    with pytest.raises(InvalidArgumentError, match=r"Op:Exp"):
        tf.exp(tf.constant([1, 2], tf.int32))


INT_UNARY = [
    ("negative", tf.negative, np.negative),
    ("abs", tf.abs, np.abs),
    ("sign", tf.sign, np.sign),
    ("square", tf.square, np.square),
    ("round", tf.round, lambda a: a),
]


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", INT_UNARY, ids=[u[0] for u in INT_UNARY])
def test_unary_integers(case, dtype):
    x = np.array([[-3, 0, 2], [5, -1, 7]], dtype=dtype)
    check_forward(case[1], case[2], [x])


def test_round_is_half_to_even():
    x = tf.constant([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51])
    np.testing.assert_array_equal(tf.round(x).numpy(), [-2, -2, -0, 0, 2, 2, 4, 0, -1])
    np.testing.assert_array_equal(tf.math.rint(x).numpy(), [-2, -2, -0, 0, 2, 2, 4, 0, -1])


def test_sigmoid_and_log_sigmoid_are_stable_in_the_tails():
    x = tf.constant([-1000., -100., 0., 100., 1000.])
    np.testing.assert_allclose(tf.sigmoid(x).numpy(), [0, 3.7200760e-44, 0.5, 1, 1], rtol=1e-6,
                               atol=1e-44)
    np.testing.assert_allclose(tf.math.log_sigmoid(x).numpy(), [-1000, -100, -math.log(2), 0, 0],
                               rtol=1e-6, atol=1e-6)
    half = tf.math.log_sigmoid(tf.constant([-30., 0., 30.], tf.float16))
    assert half.dtype == tf.float16
    np.testing.assert_allclose(half.numpy(), [-30, -math.log(2), 0], rtol=1e-3, atol=1e-3)


def test_special_values():
    np.testing.assert_allclose(tf.math.lgamma(tf.constant([1., 2., 0.5], tf.float64)).numpy(),
                               [0, 0, math.log(math.sqrt(math.pi))], atol=1e-14)
    euler = 0.5772156649015329
    np.testing.assert_allclose(tf.math.digamma(tf.constant([1., 0.5], tf.float64)).numpy(),
                               [-euler, -euler - 2 * math.log(2)], rtol=1e-13)
    np.testing.assert_allclose(tf.math.polygamma(tf.constant([1., 2.], tf.float64),
                                                 tf.constant([1., 1.], tf.float64)).numpy(),
                               [math.pi ** 2 / 6, -2 * 1.2020569031595942], rtol=1e-13)
    assert np.isnan(tf.math.polygamma(-1., 2.).numpy())
    assert np.isnan(tf.math.polygamma(1.5, 2.).numpy())


@pytest.fixture
def no_scipy(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)


def test_special_functions_without_scipy(no_scipy):
    x = np.array([-3.7, -0.5, 0.1, 0.5, 1.0, 2.3, 7.5, 30.0, 1e4])
    lg = np.vectorize(math.lgamma)(x)
    np.testing.assert_allclose(tf.math.lgamma(tf.constant(x)).numpy(), lg, rtol=1e-13,
                               atol=1e-13)
    h = 1e-6
    dg = (np.vectorize(math.lgamma)(x + h) - np.vectorize(math.lgamma)(x - h)) / (2 * h)
    np.testing.assert_allclose(tf.math.digamma(tf.constant(x)).numpy(), dg, rtol=1e-6)
    # trigamma(1) = pi^2 / 6, and trigamma(x + 1) = trigamma(x) - 1 / x^2.
    tri = tf.math.polygamma(tf.constant([1., 1.], tf.float64), tf.constant([1., 2.], tf.float64))
    np.testing.assert_allclose(tri.numpy(), [math.pi ** 2 / 6, math.pi ** 2 / 6 - 1], rtol=1e-13)
    y = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(tf.math.erf(tf.constant(y)).numpy(),
                               np.vectorize(math.erf)(y), atol=1e-15)
    np.testing.assert_allclose(tf.math.erfc(tf.constant(y)).numpy(),
                               np.vectorize(math.erfc)(y), rtol=1e-11)
    assert tf.math.erf(tf.constant([0.5], tf.float16)).dtype == tf.float16


# ----------------------------------------------------------------------- binary table ---

def _trunc_div(x, y):
    q = np.trunc(x.astype(np.float64) / y)
    return q.astype(x.dtype)


def _polygamma_ref(n, x):
    try:
        from scipy import special
        return special.polygamma(n.astype(int), x).astype(x.dtype)
    except ImportError:
        pytest.skip("reference needs scipy")


ALL_NUMERIC = FLOAT_DTYPES + [np.int32, np.int64]
REALS = ALL_NUMERIC
FLOATS = FLOAT_DTYPES
NONZERO = "nonzero"
# name, function, reference, x domain, y domain, dtypes, gradient kind
BINARY = [
    ("add", tf.add, np.add, (-3, 3), (-3, 3), ALL_NUMERIC, "second"),
    ("subtract", tf.subtract, np.subtract, (-3, 3), (-3, 3), ALL_NUMERIC, "second"),
    ("multiply", tf.multiply, np.multiply, (-3, 3), (-3, 3), ALL_NUMERIC, "second"),
    ("divide", tf.divide, np.divide, (-3, 3), NONZERO, FLOATS, "second"),
    ("truediv", tf.math.truediv, np.true_divide, (-3, 3), NONZERO, FLOATS, "second"),
    ("realdiv", tf.realdiv, np.divide, (-3, 3), NONZERO, FLOATS, "second"),
    ("floordiv", tf.math.floordiv, np.floor_divide, (-6, 6), NONZERO, REALS, None),
    ("floormod", tf.math.floormod, np.mod, (-6, 6), NONZERO, REALS, "kink"),
    ("truncatemod", tf.math.truncatemod, np.fmod, (-6, 6), NONZERO, REALS, None),
    ("truncatediv", tf.math.truncatediv, _trunc_div, (-6, 6), NONZERO, REALS, None),
    ("pow", tf.pow, np.power, (0.3, 3), (-2, 2), FLOATS, "second"),
    ("maximum", tf.maximum, np.maximum, (-3, 3), (-3, 3), REALS, "kink"),
    ("minimum", tf.minimum, np.minimum, (-3, 3), (-3, 3), REALS, "kink"),
    ("squared_difference", tf.math.squared_difference, lambda a, b: np.square(a - b),
     (-3, 3), (-3, 3), REALS, "second"),
    ("atan2", tf.atan2, np.arctan2, (-3, 3), (0.3, 3), FLOATS, "second"),
    ("divide_no_nan", tf.math.divide_no_nan, np.divide, (-3, 3), NONZERO, FLOATS, "second"),
    ("multiply_no_nan", tf.math.multiply_no_nan, np.multiply, (-3, 3), (-3, 3), FLOATS,
     "second"),
    ("xlogy", tf.math.xlogy, lambda a, b: a * np.log(b), (-3, 3), (0.3, 3), FLOATS, "second"),
    ("xdivy", tf.math.xdivy, np.divide, (-3, 3), NONZERO, FLOATS, "second"),
]
BINARY_IDS = [b[0] for b in BINARY]


def _binary_inputs(rng, case, dtype, xshape=(2, 3), yshape=(3,)):
    _, _, _, xd, yd, _, _ = case
    is_int = np.dtype(dtype).kind == "i"
    if is_int:
        x = rng.integers(-6, 7, size=xshape)
        y = rng.integers(1, 5, size=yshape) * rng.choice([-1, 1], size=yshape)
        if yd != NONZERO:
            y = rng.integers(-6, 7, size=yshape)
    else:
        x = rng.uniform(*xd, size=xshape)
        y = (rng.uniform(0.4, 3, size=yshape) * rng.choice([-1, 1], size=yshape)
             if yd == NONZERO else rng.uniform(*yd, size=yshape))
    return x.astype(dtype), y.astype(dtype)


BINARY_DTYPE_CASES = [(b, d) for b in BINARY for d in b[5]]


@pytest.mark.parametrize("case,dtype", BINARY_DTYPE_CASES,
                         ids=[f"{b[0]}-{np.dtype(d).name}" for b, d in BINARY_DTYPE_CASES])
def test_binary_forward_broadcasting(case, dtype, rng):
    x, y = _binary_inputs(rng, case, dtype)
    rtol, atol = TOL.get(dtype, (0, 0))
    want = case[2](x.astype(np.float64), y.astype(np.float64)).astype(dtype) \
        if np.dtype(dtype).kind == "f" else None
    check_forward(case[1], (lambda a, b: want) if want is not None else case[2], [x, y],
                  rtol=rtol, atol=atol * 4)


@pytest.mark.parametrize("case", BINARY, ids=BINARY_IDS)
def test_binary_scalars_and_empty(case, rng):
    x, y = _binary_inputs(rng, case, np.float32, (), ())
    check_forward(case[1], case[2], [x, y], rtol=2e-6, atol=2e-6)
    x, y = _binary_inputs(rng, case, np.float32, (0, 3), (3,))
    check_forward(case[1], case[2], [x, y])
    x, y = _binary_inputs(rng, case, np.float32, (2, 1), ())
    out = case[1](tf.constant(x), float(y))
    assert out.dtype == tf.float32 and out.shape == (2, 1)


@pytest.mark.parametrize("case", [b for b in BINARY if np.float32 in b[5]], ids=lambda b: b[0])
def test_binary_bfloat16_keeps_dtype(case, rng):
    x, y = _binary_inputs(rng, case, np.float32, (4,), (4,))
    bx, by = (tf.cast(tf.constant(v), tf.bfloat16) for v in (x, y))
    got = case[1](bx, by)
    assert got.dtype == tf.bfloat16
    want = case[2](*(tf.cast(v, tf.float64).numpy() for v in (bx, by)))
    np.testing.assert_allclose(tf.cast(got, tf.float64).numpy(), want, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("case", [b for b in BINARY if b[6]], ids=[b[0] for b in BINARY if b[6]])
def test_binary_gradient(case, rng):
    x, y = _binary_inputs(rng, case, np.float64)
    if case[6] == "kink":
        y = np.where(np.abs(x[0] - y) < 0.2, y + 0.5, y)
        if case[0] == "floormod":
            x = np.floor(x / y) * y + np.abs(y) * 0.5
    check_gradient(case[1], [x, y])


@pytest.mark.parametrize("case", [b for b in BINARY if b[6] == "second"],
                         ids=[b[0] for b in BINARY if b[6] == "second"])
def test_binary_second_order(case, rng):
    x, y = _binary_inputs(rng, case, np.float64, (2, 2), (2,))
    check_second_order(case[1], [x, y])


def test_no_nan_ops_at_zero():
    x = tf.constant([0., 1., np.inf, np.nan])
    zero = tf.zeros([4])
    np.testing.assert_array_equal(tf.math.divide_no_nan(x, zero).numpy(), [0, 0, 0, 0])
    np.testing.assert_array_equal(tf.math.multiply_no_nan(x, zero).numpy(), [0, 0, 0, 0])
    np.testing.assert_array_equal(tf.math.xlogy(tf.zeros([2]), [0., 3.]).numpy(), [0, 0])
    np.testing.assert_array_equal(tf.math.xdivy(tf.zeros([2]), [0., 3.]).numpy(), [0, 0])
    np.testing.assert_array_equal(tf.math.reciprocal_no_nan([0., 2., -4.]).numpy(),
                                  [0, 0.5, -0.25])
    y = tf.constant([0., 2.], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(y)
        out = tf.math.divide_no_nan(tf.constant([1., 1.], tf.float64), y)
    np.testing.assert_array_equal(tape.gradient(out, y).numpy(), [0, -0.25])


@pytest.mark.parametrize("fn", [tf.math.divide_no_nan, tf.math.multiply_no_nan,
                                tf.math.xlogy, tf.math.xdivy])
def test_no_nan_ops_reject_integers(fn):
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(tf.constant([1, 2]), tf.constant([0, 1]))


@pytest.mark.parametrize("dtype,out", [(tf.int8, tf.float32), (tf.int16, tf.float32),
                                       (tf.uint8, tf.float32), (tf.int32, tf.float64),
                                       (tf.int64, tf.float64), (tf.float16, tf.float16),
                                       (tf.float32, tf.float32)])
def test_truediv_output_dtype(dtype, out):
    x = tf.constant([7, 3, 0] if dtype.is_unsigned else [7, -7, 0], dtype)
    y = tf.constant([2, 2, 2], dtype)
    got = tf.divide(x, y)
    assert got.dtype == out
    np.testing.assert_allclose(got.numpy(), np.asarray(x, np.float64) / 2)
    got = x / y
    assert got.dtype == out


def test_integer_division_semantics():
    x = tf.constant([-7, 7, -7, 7])
    y = tf.constant([2, -2, -2, 2])
    np.testing.assert_array_equal((x // y).numpy(), [-4, -4, 3, 3])
    np.testing.assert_array_equal((x % y).numpy(), [1, -1, -1, 1])
    np.testing.assert_array_equal(tf.math.truncatediv(x, y).numpy(), [-3, -3, 3, 3])
    np.testing.assert_array_equal(tf.math.truncatemod(x, y).numpy(), [-1, 1, -1, 1])
    big = tf.constant([2 ** 62 + 1, -(2 ** 62) - 1], tf.int64)
    np.testing.assert_array_equal(tf.math.truncatediv(big, tf.constant([3, 3], tf.int64)),
                                  [(2 ** 62 + 1) // 3, -((2 ** 62 + 1) // 3)])


@pytest.mark.parametrize("fn,op", [(tf.math.floordiv, "FloorDiv"), (tf.math.floormod, "FloorMod"),
                                   (tf.math.truncatediv, "TruncateDiv"),
                                   (tf.math.truncatemod, "TruncateMod")])
def test_integer_division_by_zero(fn, op):
    with pytest.raises(InvalidArgumentError, match=f"Integer division by zero.*{op}"):
        fn(tf.constant([1, 2]), tf.constant([1, 0]))


def test_integer_pow():
    x = tf.constant([0, 1, 2, 3, -2])
    np.testing.assert_array_equal(tf.pow(x, 3).numpy(), [0, 1, 8, 27, -8])
    assert tf.pow(x, 3).dtype == tf.int32
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        tf.pow(tf.constant(2), tf.constant(-1))


def test_pow_gradient_at_zero_base():
    x = tf.constant([0., 2.], tf.float64)
    y = tf.constant([2., 3.], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = tf.pow(x, y)
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(gx.numpy(), [0., 12.])
    np.testing.assert_allclose(gy.numpy(), [0., 8 * math.log(2)])


def test_polygamma_forward_and_gradient(rng):
    n = np.array([0., 1., 2., 3.])
    x = rng.uniform(0.5, 4, size=(2, 4))
    check_forward(tf.math.polygamma, _polygamma_ref, [n, x], rtol=1e-12)
    check_gradient(lambda v: tf.math.polygamma(tf.constant(n), v), [x], rtol=1e-5)
    check_second_order(lambda v: tf.math.polygamma(tf.constant(n[:2]), v), [x[0, :2]])
    assert tf.math.polygamma(tf.constant(1., tf.float32), 2.).dtype == tf.float32


# ---------------------------------------------------------------- dtype and shape errors ---

MISMATCH = [(tf.add, "AddV2"), (tf.subtract, "Sub"), (tf.multiply, "Mul"),
            (tf.divide, "TrueDiv"), (tf.math.floordiv, "FloorDiv"), (tf.pow, "Pow"),
            (tf.maximum, "Maximum"), (tf.minimum, "Minimum"), (tf.math.floormod, "FloorMod"),
            (tf.math.squared_difference, "SquaredDifference"), (tf.atan2, "Atan2"),
            (tf.equal, "Equal"), (tf.less, "Less"), (tf.math.truncatediv, "TruncateDiv"),
            (tf.math.divide_no_nan, "DivNoNan"), (tf.math.xlogy, "Xlogy")]


@pytest.mark.parametrize("fn,op", MISMATCH, ids=[m[1] for m in MISMATCH])
def test_float32_with_float64_raises(fn, op):
    with pytest.raises(InvalidArgumentError, match=f"{op}.*float32.*float64|"
                                                   f"float32.*float64.*{op}"):
        fn(tf.constant([1., 2.]), tf.constant([1., 2.], tf.float64))


@pytest.mark.parametrize("fn,op", MISMATCH, ids=[m[1] for m in MISMATCH])
def test_broadcast_mismatch_names_both_shapes(fn, op):
    with pytest.raises(InvalidArgumentError, match=r"\[2, 3\] vs\. \[4\]"):
        fn(tf.ones([2, 3]), tf.ones([4]))


# --------------------------------------------------------------- comparisons and logic ---

COMPARISONS = [(tf.equal, np.equal), (tf.not_equal, np.not_equal), (tf.less, np.less),
               (tf.less_equal, np.less_equal), (tf.greater, np.greater),
               (tf.greater_equal, np.greater_equal)]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64,
                                   np.uint8], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn,ref", COMPARISONS, ids=[c[0].__name__ for c in COMPARISONS])
def test_comparisons(fn, ref, dtype, rng):
    x = rng.integers(0, 4, size=(3, 4)).astype(dtype)
    y = rng.integers(0, 4, size=(4,)).astype(dtype)
    check_forward(fn, ref, [x, y])
    check_forward(fn, ref, [x[:0], y])
    out = fn(tf.constant(x), 2)
    assert out.dtype == tf.bool and out.shape == (3, 4)


def test_equality_of_strings_and_bools():
    np.testing.assert_array_equal(tf.equal([b"a", b"b"], [b"a", b"c"]).numpy(), [True, False])
    np.testing.assert_array_equal(tf.not_equal([True, False], True).numpy(), [False, True])
    with pytest.raises(InvalidArgumentError, match="bool"):
        tf.less([True], [False])


LOGICAL = [(tf.logical_and, np.logical_and), (tf.logical_or, np.logical_or),
           (tf.math.logical_xor, np.logical_xor)]


@pytest.mark.parametrize("fn,ref", LOGICAL, ids=[c[0].__name__ for c in LOGICAL])
def test_logical(fn, ref):
    x = np.array([[True, False], [True, True], [False, False]])
    y = np.array([True, False])
    check_forward(fn, ref, [x, y])
    check_forward(fn, ref, [x[:0], y])
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(tf.constant([1]), tf.constant([0]))


def test_logical_not():
    check_forward(tf.logical_not, np.logical_not, [np.array([True, False])])
    with pytest.raises(InvalidArgumentError, match="float32"):
        tf.logical_not(tf.constant([1.]))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn,ref", [(tf.math.is_nan, np.isnan), (tf.math.is_inf, np.isinf),
                                    (tf.math.is_finite, np.isfinite)],
                         ids=["is_nan", "is_inf", "is_finite"])
def test_is_nan_inf_finite(fn, ref, dtype):
    x = np.array([[0., np.nan, np.inf], [-np.inf, 1e3, -2.]], dtype=dtype)
    check_forward(fn, ref, [x])
    assert fn(tf.zeros([0])).shape == (0,)
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(tf.constant([1]))


# -------------------------------------------------------------------------- cumulative ---

def _np_cum(kind, x, axis, exclusive, reverse):
    fn = np.cumsum if kind == "sum" else np.cumprod
    if reverse:
        x = np.flip(x, axis)
    out = fn(x, axis=axis, dtype=x.dtype)
    if exclusive:
        out = out - x if kind == "sum" else (out / x).astype(x.dtype)
    if reverse:
        out = np.flip(out, axis)
    return out


CUM_ATTRS = [(axis, ex, rev) for axis in (0, 1, -1, -3) for ex in (False, True)
             for rev in (False, True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kind", ["sum", "prod"])
@pytest.mark.parametrize("axis,exclusive,reverse", CUM_ATTRS)
def test_cumulative_forward(kind, axis, exclusive, reverse, dtype, rng):
    x = rng.integers(1, 4, size=(2, 3, 4)).astype(dtype)
    fn = tf.cumsum if kind == "sum" else tf.math.cumprod
    check_forward(lambda t: fn(t, axis=axis, exclusive=exclusive, reverse=reverse),
                  lambda a: _np_cum(kind, a, axis, exclusive, reverse), [x], rtol=1e-6)


@pytest.mark.parametrize("kind", ["sum", "prod"])
@pytest.mark.parametrize("axis,exclusive,reverse", CUM_ATTRS)
def test_cumulative_gradient(kind, axis, exclusive, reverse, rng):
    x = rng.uniform(0.5, 2, size=(2, 3, 2))
    fn = tf.cumsum if kind == "sum" else tf.math.cumprod
    check_gradient(lambda t: fn(t, axis=axis, exclusive=exclusive, reverse=reverse), [x])


@pytest.mark.parametrize("kind", ["sum", "prod"])
def test_cumulative_second_order_and_empty(kind, rng):
    fn = tf.cumsum if kind == "sum" else tf.math.cumprod
    check_second_order(lambda t: fn(t, exclusive=True), [rng.uniform(0.5, 2, size=(4,))])
    for shape, axis in [((0, 2), 0), ((2, 0), -1), ((0,), 0)]:
        out = fn(tf.zeros(shape), axis=axis, exclusive=True, reverse=True)
        assert out.shape == shape and out.dtype == tf.float32
    with pytest.raises(InvalidArgumentError, match="axis 2 is out of range"):
        fn(tf.zeros([2, 2]), axis=2)
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(tf.constant([True]))


# ----------------------------------------------------------------------- add_n, clip ---

def test_add_n(rng):
    xs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    got = tf.add_n([tf.constant(x) for x in xs])
    np.testing.assert_allclose(got.numpy(), xs[0] + xs[1] + xs[2], rtol=1e-6)
    assert got.dtype == tf.float32
    assert tf.add_n([[1, 2], [3, 4]]).numpy().tolist() == [4, 6]
    assert tf.math.accumulate_n is tf.add_n
    check_gradient(lambda a, b, c: tf.add_n([a, b, c]) * a, [x.astype(np.float64) for x in xs])
    with pytest.raises(InvalidArgumentError, match="add_n"):
        tf.add_n([tf.ones([2]), tf.ones([3])])
    with pytest.raises(InvalidArgumentError, match="dtype"):
        tf.add_n([tf.ones([2]), tf.ones([2], tf.float64)])
    with pytest.raises(ValueError, match="non-empty"):
        tf.add_n([])


CLIP_CASES = [
    (np.array([[-3., 0.5, 4.], [1., 2., -1.]]), -1.0, 2.0),
    (np.array([[-3., 0.5, 4.], [1., 2., -1.]]), np.array([-1., 0., 1.]), np.array(3.)),
    (np.array([-3, 5, 9], np.int32), 2, 6),
    (np.zeros((0, 3)), -1.0, 1.0),
]


@pytest.mark.parametrize("x,lo,hi", CLIP_CASES)
@pytest.mark.parametrize("dtype", [None, np.float32, np.float16])
def test_clip_by_value(x, lo, hi, dtype):
    if dtype is not None and x.dtype.kind == "f":
        x = x.astype(dtype)
    lo_arg = lo.astype(x.dtype) if isinstance(lo, np.ndarray) else lo
    hi_arg = hi.astype(x.dtype) if isinstance(hi, np.ndarray) else hi
    got = tf.clip_by_value(tf.constant(x), lo_arg, hi_arg)
    assert got.dtype == tf.as_dtype(x.dtype)
    np.testing.assert_array_equal(got.numpy(), np.clip(x, lo, hi).astype(x.dtype))


def test_clip_by_value_gradient_and_errors():
    x = np.array([[-3., 0.5, 4.], [1., 2.5, -1.5]])
    check_gradient(lambda t, lo, hi: tf.clip_by_value(t, lo, hi),
                   [x, np.array([-1., 0., 1.]), np.array(3.)])
    with pytest.raises(InvalidArgumentError, match="clip_value_min"):
        tf.clip_by_value(tf.ones([2]), tf.constant(0., tf.float64), 1.)
    with pytest.raises(InvalidArgumentError, match=r"\[2\] vs\. \[3\]"):
        tf.clip_by_value(tf.ones([2]), tf.zeros([3]), 1.)


# ------------------------------------------------------------------------------- casts ---

CASTS = [
    ([1.7, -1.7, 2.5, -0.2], tf.float32, tf.int32, [1, -1, 2, 0]),
    ([1.7, -1.7, 2.5, -0.2], tf.float64, tf.int64, [1, -1, 2, 0]),
    ([1.7, -1.7], tf.float16, tf.int8, [1, -1]),
    ([0., 2., -0.5, np.nan], tf.float32, tf.bool, [False, True, True, True]),
    ([0, 3, -1], tf.int32, tf.bool, [False, True, True]),
    ([True, False], tf.bool, tf.float32, [1., 0.]),
    ([True, False], tf.bool, tf.int64, [1, 0]),
    ([1, -2, 70000], tf.int32, tf.float16, [1., -2., np.inf]),
    ([1.5, -2.25, 1e-8], tf.float64, tf.float32, np.float32([1.5, -2.25, 1e-8])),
    ([1.5, 3.0078125], tf.float32, tf.bfloat16, [1.5, 3.0]),
    ([300, -1], tf.int32, tf.uint8, [44, 255]),
    ([1 + 2j, -3j], tf.complex64, tf.float32, [1., 0.]),
    ([1.5, -2.], tf.float32, tf.complex128, [1.5 + 0j, -2 + 0j]),
    ([[1, 2]], tf.int64, tf.int32, [[1, 2]]),
    (np.zeros((0, 2)), tf.float32, tf.int32, np.zeros((0, 2))),
]


@pytest.mark.parametrize("value,src,dst,want", CASTS,
                         ids=[f"{c[1].name}-{c[2].name}" for c in CASTS])
def test_cast(value, src, dst, want):
    x = tf.constant(np.asarray(value).astype(src.as_numpy_dtype))
    got = tf.cast(x, dst)
    assert got.dtype == dst
    np.testing.assert_array_equal(np.asarray(got).astype(np.asarray(want).dtype), want)


def test_cast_same_dtype_and_names():
    x = tf.constant([1., 2.])
    assert tf.cast(x, tf.float32) is x
    assert tf.cast([1, 2], "float64").dtype == tf.float64
    assert tf.cast(x, np.int16).dtype == tf.int16
    assert tf.cast(1.5, tf.float16).numpy() == np.float16(1.5)
    with pytest.raises(tf.errors.UnimplementedError, match="Cast float32 to string"):
        tf.cast(x, tf.string)
    with pytest.raises(tf.errors.UnimplementedError, match="Cast string to float32"):
        tf.cast(tf.constant([b"1"]), tf.float32)
    assert tf.cast(tf.complex([0., 0.], [0., 1.]), tf.bool).numpy().tolist() == [False, True]


def test_cast_gradient():
    x = np.array([0.25, -1.5, 2.0])
    check_gradient(lambda t: tf.cast(tf.cast(t, tf.complex128), tf.float64) * t, [x])
    t = tf.constant([1.5, 2.5], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.cast(t, tf.float32) * 2.0
    g = tape.gradient(y, t)
    assert g.dtype == tf.float64
    np.testing.assert_array_equal(g.numpy(), [2, 2])
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.cast(tf.cast(t, tf.int32), tf.float64)
    assert tape.gradient(y, t) is None


SATURATE = [
    ([3e9, -3e9, 1.5, -1.5], tf.float32, tf.int32, [2147483520, -2147483648, 1, -1]),
    ([3e30, -3e30, 7.], tf.float64, tf.int64, [2 ** 63 - 1024, -(2 ** 63), 7]),
    ([1e300, -np.inf, 1.5], tf.float64, tf.float32,
     [np.finfo(np.float32).max, np.finfo(np.float32).min, 1.5]),
    ([1e5, -1e5, 2.], tf.float32, tf.float16, [65504., -65504., 2.]),
    ([300, -5, 7], tf.int32, tf.uint8, [255, 0, 7]),
    ([2 ** 40, -5], tf.int64, tf.uint32, [2 ** 32 - 1, 0]),
    ([200, 3], tf.uint8, tf.int8, [127, 3]),
    ([1.5, -2.5], tf.float32, tf.float64, [1.5, -2.5]),
    ([70000, -70000], tf.int32, tf.float16, [65504., -65504.]),
]


@pytest.mark.parametrize("value,src,dst,want", SATURATE,
                         ids=[f"{c[1].name}-{c[2].name}" for c in SATURATE])
def test_saturate_cast(value, src, dst, want):
    got = tf.saturate_cast(tf.constant(np.array(value).astype(src.as_numpy_dtype)), dst)
    assert got.dtype == dst
    assert np.asarray(got).tolist() == np.asarray(want).astype(dst.as_numpy_dtype).tolist()


def test_saturate_cast_complex():
    z = tf.complex(tf.constant([1e300, 1.], tf.float64), tf.constant([-1e300, 2.], tf.float64))
    got = tf.saturate_cast(z, tf.complex64)
    big = np.finfo(np.float32).max
    np.testing.assert_array_equal(got.numpy(), np.array([big - 1j * big, 1 + 2j], np.complex64))
    assert tf.saturate_cast(z, tf.float32).numpy().tolist() == [big, 1.0]


def test_cast_helpers():
    assert math_ops.to_float([1, 2]).dtype == tf.float32
    assert math_ops.to_int32([1.5]).dtype == tf.int32
    assert math_ops.to_int64([1.5]).dtype == tf.int64


# ----------------------------------------------------------------------------- complex ---

def test_complex_parts():
    re = np.array([[1., -2.], [0., 3.]], np.float32)
    im = np.array([0.5, -1.], np.float32)
    z = tf.complex(re, im)
    assert z.dtype == tf.complex64
    np.testing.assert_array_equal(z.numpy(), re + 1j * im)
    assert tf.complex(tf.constant(1., tf.float64), 2.).dtype == tf.complex128
    np.testing.assert_array_equal(tf.math.real(z).numpy(), np.broadcast_to(re, (2, 2)))
    np.testing.assert_array_equal(tf.math.imag(z).numpy(), np.broadcast_to(im, (2, 2)))
    assert tf.math.real(z).dtype == tf.float32 and tf.math.imag(z).dtype == tf.float32
    np.testing.assert_array_equal(tf.math.conj(z).numpy(), np.conj(re + 1j * im))
    np.testing.assert_allclose(tf.abs(z).numpy(), np.abs(re + 1j * im), rtol=1e-6)
    assert tf.abs(z).dtype == tf.float32
    inf = tf.complex(tf.constant([np.inf]), tf.constant([1.]))
    assert inf.numpy()[0] == complex(np.inf, 1)
    x = tf.constant([1., -2.])
    assert tf.math.conj(x) is x and tf.math.real(x) is x
    np.testing.assert_array_equal(tf.math.imag(x).numpy(), [0, 0])
    np.testing.assert_allclose(tf.sign(tf.complex([3., 0.], [4., 0.])).numpy(), [0.6 + 0.8j, 0])
    with pytest.raises(InvalidArgumentError, match="int32"):
        tf.complex(tf.constant([1]), tf.constant([2]))
    with pytest.raises(InvalidArgumentError, match="float16"):
        tf.complex(tf.constant([1.], tf.float16), tf.constant([2.], tf.float16))


COMPLEX_FUNCS = [
    ("exp", tf.exp), ("log", tf.math.log), ("sin", tf.sin), ("tanh", tf.tanh),
    ("sqrt", tf.sqrt), ("square", tf.square), ("reciprocal", tf.math.reciprocal),
    ("conj", tf.math.conj), ("abs", tf.abs), ("mul_self", lambda z: z * (z + 1.0)),
    ("div", lambda z: (z + 2.0) / z), ("pow", lambda z: tf.pow(z, 1.5 + 0.5j)),
    ("sigmoid_like", lambda z: tf.math.reciprocal(1.0 + tf.exp(-z))),
]


@pytest.mark.parametrize("name,fn", COMPLEX_FUNCS, ids=[c[0] for c in COMPLEX_FUNCS])
def test_complex_gradients_through_real_parts(name, fn):
    """Real-valued functions of (a, b) through z = a + ib check TF's conjugate convention."""
    a = np.array([0.7, -1.2, 1.5])
    b = np.array([0.4, 0.9, -0.6])

    def f(x, y):
        w = fn(tf.complex(x, y))
        if w.dtype.is_complex:
            return tf.math.real(w) + 2.0 * tf.math.imag(w)
        return w
    check_gradient(f, [a, b])


# -------------------------------------------------------------------- segment sums ---

def _np_unsorted_segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[ids.ndim:], data.dtype)
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.size,) + data.shape[ids.ndim:])
    for i, s in enumerate(flat_ids):
        if s >= 0:
            out[s] += flat[i]
    return out


SEGMENTS = [
    (np.arange(12.).reshape(4, 3), np.array([2, 0, 2, -1]), 4),
    (np.arange(6.), np.array([1, 1, 0, 3, 3, 3]), 5),
    (np.arange(24.).reshape(2, 3, 4), np.array([[0, 1, 0], [2, 2, -1]]), 3),
    (np.zeros((0, 2)), np.zeros((0,), np.int64), 2),
    (np.arange(4.).reshape(2, 2), np.array([0, 1]), 0 + 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("data,ids,n", SEGMENTS)
def test_unsorted_segment_sum(data, ids, n, dtype):
    data = data.astype(dtype)
    got = tf.math.unsorted_segment_sum(tf.constant(data), tf.constant(ids), n)
    want = _np_unsorted_segment_sum(data, ids, n)
    assert got.dtype == tf.as_dtype(dtype) and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    got = tf.math.unsorted_segment_sum(data, ids.astype(np.int64), tf.constant(n, tf.int64))
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("data,ids,n", SEGMENTS[:3])
def test_unsorted_segment_sum_gradient(data, ids, n):
    check_gradient(lambda d: tf.math.unsorted_segment_sum(d * d, ids, n), [data / 10])
    check_second_order(lambda d: tf.math.unsorted_segment_sum(d * d, ids, n), [data / 10])


def test_segment_gradient_gathers_upstream_gradient():
    ids = tf.constant([2, 0, 2, -1])
    g = np.arange(8.).reshape(4, 2)
    got = math_ops._gather_rows(tf.constant(g), ids).numpy()
    np.testing.assert_array_equal(got, [g[2], g[0], g[2], [0, 0]])
    check_gradient(lambda u: math_ops._gather_rows(u, ids), [g])
    check_second_order(lambda u: math_ops._gather_rows(u * u, ids), [g / 4])


SORTED_SEGMENTS = [
    (np.arange(12.).reshape(4, 3), np.array([0, 0, 1, 3])),
    (np.arange(5.), np.array([1, 1, 1, 2, 2])),
    (np.zeros((0, 2)), np.zeros((0,), np.int32)),
]


@pytest.mark.parametrize("data,ids", SORTED_SEGMENTS)
def test_segment_sum(data, ids):
    n = int(ids[-1]) + 1 if ids.size else 0
    for dtype in (np.float32, np.int64):
        got = tf.math.segment_sum(data.astype(dtype), ids)
        np.testing.assert_array_equal(got.numpy(),
                                      _np_unsorted_segment_sum(data.astype(dtype), ids, n))
        assert got.dtype == tf.as_dtype(dtype)
    if ids.size:
        check_gradient(lambda d: tf.math.segment_sum(tf.sin(d), ids), [data / 10])


def test_segment_errors():
    with pytest.raises(InvalidArgumentError, match=r"out of range \[0, 2\)"):
        tf.math.unsorted_segment_sum([1., 2.], [0, 2], 2)
    with pytest.raises(InvalidArgumentError, match="does not start with"):
        tf.math.unsorted_segment_sum(tf.ones([3, 2]), [0, 1], 2)
    with pytest.raises(InvalidArgumentError, match="sorted"):
        tf.math.segment_sum([1., 2., 3.], [1, 0, 1])
    with pytest.raises(InvalidArgumentError, match="segment_ids"):
        tf.math.segment_sum([1., 2., 3.], [0, 1])
    with pytest.raises(InvalidArgumentError, match="float32"):
        tf.math.unsorted_segment_sum([1., 2.], [0., 1.], 2)


# --------------------------------------------------------------- polyval, scalar_mul ---

def test_polyval(rng):
    x = rng.uniform(-2, 2, size=(2, 3))
    coeffs = [2.0, -1.0, 0.5, 3.0]
    got = tf.math.polyval(coeffs, tf.constant(x.astype(np.float32)))
    np.testing.assert_allclose(got.numpy(), np.polyval(coeffs, x), rtol=1e-5)
    assert got.dtype == tf.float32
    assert tf.math.polyval([], tf.constant([1., 2.])).numpy().tolist() == [0, 0]
    assert tf.math.polyval([tf.constant(4.)], tf.constant([1., 2.])).numpy() == 4
    check_gradient(lambda c0, c1, t: tf.math.polyval([c0, c1, 1.0], t),
                   [np.array(0.5), np.array([1., -1., 2.]), x])
    check_second_order(lambda t: tf.math.polyval([1.0, -2.0, 0.5, 3.0], t), [x[0]])


def test_scalar_mul():
    x = tf.constant([1., -2.], tf.float64)
    got = tf.math.scalar_mul(3, x)
    assert got.dtype == tf.float64 and got.numpy().tolist() == [3, -6]
    assert tf.math.scalar_mul(tf.constant(2.), tf.constant([1., 2.])).numpy().tolist() == [2, 4]
    with pytest.raises(ValueError, match="Only scalar multiply"):
        tf.math.scalar_mul([1., 2.], tf.constant([1., 2.]))
    check_gradient(lambda t: tf.math.scalar_mul(2.5, t), [np.array([1., 2.])])


def test_public_names_and_aliases():
    assert tf.math.floormod is tf.math.mod is tf.mod
    assert tf.math.floordiv is tf.math.floor_div
    assert tf.math.truediv is tf.math.divide is tf.divide
    assert tf.math.negative is tf.math.neg
    for name in ["segment_sum", "unsorted_segment_sum", "polyval", "scalar_mul", "polygamma",
                 "logical_and", "logical_or", "logical_not", "logical_xor", "xlogy", "xdivy",
                 "divide_no_nan", "multiply_no_nan", "reciprocal_no_nan", "floormod"]:
        assert name in math_ops.__all__, name
        assert callable(getattr(tf.math, name)), name
    np.testing.assert_array_equal(tf.math.floormod([5, -5], 3).numpy(), [2, 1])


# ------------------------------------------------------------------- Python operators ---

def _operands(kind):
    x = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
    y = np.array([2.0, -0.5, 1.5], np.float32)
    if kind == "tensor":
        return tf.constant(x), tf.constant(y), x, y
    return tf.Variable(x), tf.Variable(y), x, y


ARITH = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("truediv", lambda a, b: a / b), ("floordiv", lambda a, b: a // b),
    ("mod", lambda a, b: a % b), ("pow", lambda a, b: abs(a) ** b),
    ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b),
]


@pytest.mark.parametrize("kind", ["tensor", "variable"])
@pytest.mark.parametrize("name,op", ARITH, ids=[a[0] for a in ARITH])
def test_operators_match_numpy(name, op, kind):
    tx, ty, x, y = _operands(kind)
    want = op(x, y)
    for got in (op(tx, ty), op(tx, y), op(x, ty)):
        assert isinstance(got, tf.Tensor)
        assert got.dtype == tf.as_dtype(want.dtype)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    scalar_left = op(2.0, tx) if name != "pow" else 2.0 ** tx
    want_left = op(np.float32(2.0), x) if name != "pow" else np.float32(2.0) ** x
    assert isinstance(scalar_left, tf.Tensor) and scalar_left.dtype == tf.as_dtype(want_left.dtype)
    np.testing.assert_allclose(np.asarray(scalar_left), want_left, rtol=1e-6)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_unary_operators_and_matmul(kind):
    tx, ty, x, y = _operands(kind)
    np.testing.assert_array_equal((-tx).numpy(), -x)
    np.testing.assert_array_equal(abs(tx).numpy(), np.abs(x))
    np.testing.assert_array_equal((+tx).numpy() if hasattr(+tx, "numpy") else np.asarray(+tx), x)
    m = tf.constant(x.T)
    np.testing.assert_allclose((tx @ m).numpy(), x @ x.T, rtol=1e-6)
    np.testing.assert_allclose((x @ (m if kind == "tensor" else tf.Variable(x.T))).numpy(),
                               x @ x.T, rtol=1e-6)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_equality_operators(kind):
    tx, ty, x, y = _operands(kind)
    np.testing.assert_array_equal((tx == y).numpy(), x == y)
    np.testing.assert_array_equal((tx != y).numpy(), x != y)
    assert (tx == None) is False  # noqa: E711
    assert (tx != None) is True  # noqa: E711
    assert (tx == tf.ones([4])) is False
    assert (tx != tf.ones([4])) is True


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.uint8],
                         ids=lambda d: np.dtype(d).name)
def test_bitwise_and_logical_operators(dtype):
    if dtype is np.bool_:
        x = np.array([True, True, False, False])
        y = np.array([True, False, True, False])
    else:
        x = np.array([12, 5, 0, 7], dtype)
        y = np.array([10, 3, 6, 7], dtype)
    tx, ty = tf.constant(x), tf.constant(y)
    for got, want in [(tx & ty, x & y), (tx | ty, x | y), (tx ^ ty, x ^ y), (~tx, ~x),
                      (tx & y, x & y), (y | tx, y | x)]:
        assert isinstance(got, tf.Tensor) and got.dtype == tf.as_dtype(dtype)
        np.testing.assert_array_equal(got.numpy(), want)
    scalar = True if dtype is np.bool_ else 6
    np.testing.assert_array_equal((scalar & tx).numpy(), x & np.asarray(scalar, dtype))
    np.testing.assert_array_equal((tx ^ scalar).numpy(), x ^ np.asarray(scalar, dtype))
    v = tf.Variable(x)
    np.testing.assert_array_equal((v | ty).numpy(), x | y)
    np.testing.assert_array_equal((~v).numpy(), ~x)


def test_bitwise_operators_reject_floats():
    with pytest.raises(InvalidArgumentError, match="float32"):
        tf.constant([1.]) & tf.constant([2.])
    with pytest.raises(InvalidArgumentError, match="float32"):
        ~tf.constant([1.])


def test_python_scalar_dtype_rules():
    i32 = tf.constant([1, 2])
    with pytest.raises(TypeError, match="2.5"):
        i32 + 2.5
    with pytest.raises(TypeError):
        2.5 * i32
    f64 = tf.constant([1., 2.], tf.float64)
    assert (f64 + 1).dtype == tf.float64
    assert (1 - f64).dtype == tf.float64
    assert (f64 * 0.1).dtype == tf.float64
    np.testing.assert_allclose((f64 * 0.1).numpy(), [0.1, 0.2], rtol=1e-15)
    f16 = tf.constant([1., 2.], tf.float16)
    assert (f16 * 0.5 + 1).dtype == tf.float16
    assert (2 ** f16).dtype == tf.float16
    assert (i32 * 3).dtype == tf.int32 and (i32 // 2).dtype == tf.int32
    assert (i32 / 2).dtype == tf.float64
    i64 = tf.constant([1, 2], tf.int64)
    assert (i64 + 2 ** 40).numpy().tolist() == [2 ** 40 + 1, 2 ** 40 + 2]


def test_numpy_operands_convert_to_the_tensor_dtype():
    f32 = tf.constant([1., 2.])
    out = f32 + np.array([0.5, 0.25])
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [1.5, 2.25])
    out = np.ones(2, np.float32) + f32
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    out = np.array([2.0, 3.0]) * f32
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    np.testing.assert_array_equal(out.numpy(), [2, 6])
    out = np.float64(2.0) - f32
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    with pytest.raises(TypeError):
        tf.constant([1, 2]) + np.array([0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match="float64"):
        f32 + tf.constant([1., 2.], tf.float64)


def test_operator_gradients_on_variables():
    v = tf.Variable([1.5, -2.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(2.0 * v * v - v / 4.0 + v ** 3 + 1.0 / (v + 3.0) - (-v) % 1.0)
    g = tape.gradient(y, v)
    x = np.array([1.5, -2.0])
    np.testing.assert_allclose(g.numpy(), 4 * x - 0.25 + 3 * x ** 2 - 1 / (x + 3) ** 2 + 1)


def test_string_add():
    out = tf.constant([b"ab", b"c"]) + b"!"
    assert out.dtype == tf.string
    assert out.numpy().tolist() == [b"ab!", b"c!"]


# ------------------------------------------------------------------------- graph mode ---

def _function():
    if not hasattr(tf, "function"):
        pytest.skip("ember.function is not available")
    return tf.function


def test_ops_inside_function_match_eager():
    function = _function()

    def body(x, ids):
        return [tf.math.unsorted_segment_sum(x, ids, 3), tf.math.segment_sum(x, [0, 0, 1]),
                tf.saturate_cast(x, tf.int8), tf.math.polygamma(1., x + 1.),
                tf.cumsum(x, exclusive=True, reverse=True), tf.math.truncatediv(x, 2.),
                tf.math.divide_no_nan(x, x - 1.), tf.math.xlogy(x, x + 1.),
                tf.cast(x, tf.int32) // 2, tf.math.real(tf.complex(x, x))]
    x = tf.constant([1., 2., 300.])
    ids = tf.constant([2, 0, 2])
    for got, want in zip(function(body)(x, ids), body(x, ids)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_segment_gradient_with_dynamic_num_segments():
    function = _function()

    @function(input_signature=[tf.TensorSpec([None, 2], tf.float64),
                               tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32)])
    def second(x, ids, n):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                z = tf.reduce_sum(tf.math.unsorted_segment_sum(x, ids, n) ** 2)
            gx = inner.gradient(z, x)
            w = tf.reduce_sum(gx * gx)
        return outer.gradient(w, x)

    x = np.array([[1., 2.], [3., 4.], [5., 6.]])
    got = second(tf.constant(x), tf.constant([0, 1, 0]), tf.constant(2))
    s0, s1 = x[0] + x[2], x[1]
    np.testing.assert_allclose(got.numpy(), [16 * s0, 8 * s1, 16 * s0])


def test_docstring_examples():
    """Examples print float32 results to the last digit; compared within a few ulps."""
    failed, attempted = run_examples(math_ops, {"ember": tf, "np": np})
    assert failed == 0 and attempted > 60
