"""tf.math special functions, segment reductions and the smaller tf.math functions:
forward against SciPy/NumPy or hand values, gradients by finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_forward, check_gradient, check_second_order

special = pytest.importorskip("scipy.special")

# name, function, float64 reference, domain, gradient check ("first"/"second"/None)
UNARY = [
    ("bessel_i0", tf.math.bessel_i0, special.i0, (-3, 3), "second"),
    ("bessel_i0e", tf.math.bessel_i0e, special.i0e, (0.2, 3), "second"),
    ("bessel_i1", tf.math.bessel_i1, special.i1, (-3, 3), "second"),
    ("bessel_i1e", tf.math.bessel_i1e, special.i1e, (0.2, 3), "second"),
    ("bessel_j0", tf.math.special.bessel_j0, special.j0, (-5, 5), "second"),
    ("bessel_j1", tf.math.special.bessel_j1, special.j1, (0.2, 5), "second"),
    ("bessel_y0", tf.math.special.bessel_y0, special.y0, (0.3, 5), "second"),
    ("bessel_y1", tf.math.special.bessel_y1, special.y1, (0.3, 5), "second"),
    ("bessel_k0", tf.math.special.bessel_k0, special.k0, (0.3, 5), "second"),
    ("bessel_k0e", tf.math.special.bessel_k0e, special.k0e, (0.3, 5), "second"),
    ("bessel_k1", tf.math.special.bessel_k1, special.k1, (0.3, 5), "second"),
    ("bessel_k1e", tf.math.special.bessel_k1e, special.k1e, (0.3, 5), "second"),
    ("dawsn", tf.math.special.dawsn, special.dawsn, (-3, 3), "second"),
    ("expint", tf.math.special.expint, special.expi, (0.3, 3), "second"),
    ("fresnel_cos", tf.math.special.fresnel_cos, lambda x: special.fresnel(x)[1], (-2, 2),
     "second"),
    ("fresnel_sin", tf.math.special.fresnel_sin, lambda x: special.fresnel(x)[0], (-2, 2),
     "second"),
    ("spence", tf.math.special.spence, special.spence, (0.2, 3), "second"),
    ("erfinv", tf.math.erfinv, special.erfinv, (-0.9, 0.9), "second"),
    ("ndtri", tf.math.ndtri, special.ndtri, (0.05, 0.95), "second"),
    ("erfcinv", tf.math.erfcinv, special.erfcinv, (0.1, 1.9), "second"),
]


@pytest.mark.parametrize("case", UNARY, ids=[c[0] for c in UNARY])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_forward(case, dtype, rng):
    _, fn, ref, (lo, hi), _ = case
    x = rng.uniform(lo, hi, size=(3, 4)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    check_forward(fn, lambda a: ref(a.astype(np.float64)).astype(dtype), [x], rtol=tol,
                  atol=tol)


@pytest.mark.parametrize("case", UNARY, ids=[c[0] for c in UNARY])
def test_unary_gradient(case, rng):
    _, fn, _, (lo, hi), order = case
    x = rng.uniform(lo, hi, size=(5,))
    check_gradient(fn, [x])
    if order == "second":
        check_second_order(fn, [x])


def test_hand_values():
    np.testing.assert_allclose(tf.math.bessel_i0([0.0]).numpy(), [1.0])
    np.testing.assert_allclose(tf.math.erfinv(0.0).numpy(), 0.0)
    np.testing.assert_allclose(tf.math.ndtri(0.5).numpy(), 0.0, atol=1e-7)
    np.testing.assert_allclose(tf.math.zeta(2.0, 1.0).numpy(), np.pi ** 2 / 6, rtol=1e-6)
    np.testing.assert_allclose(tf.math.lbeta([1.0, 2.0]).numpy(), np.log(0.5), rtol=1e-6)
    np.testing.assert_allclose(tf.math.igamma(1.0, 2.0).numpy(), 1 - np.exp(-2.0), rtol=1e-6)
    np.testing.assert_allclose(tf.math.betainc(1.0, 1.0, 0.3).numpy(), 0.3, rtol=1e-6)


BINARY = [
    ("igamma", tf.math.igamma, special.gammainc, (0.5, 3), (0.2, 4)),
    ("igammac", tf.math.igammac, special.gammaincc, (0.5, 3), (0.2, 4)),
    ("zeta", tf.math.zeta, special.zeta, (1.5, 4), (0.5, 3)),
    ("xlog1py", tf.math.xlog1py, lambda x, y: x * np.log1p(y), (-2, 2), (-0.5, 3)),
]


@pytest.mark.parametrize("case", BINARY, ids=[c[0] for c in BINARY])
def test_binary_forward_and_gradient(case, rng):
    _, fn, ref, (alo, ahi), (xlo, xhi) = case
    a = rng.uniform(alo, ahi, size=(3, 1))
    x = rng.uniform(xlo, xhi, size=(1, 4))
    check_forward(fn, ref, [a, x], rtol=1e-9, atol=1e-12)
    if case[0] != "zeta":        # zeta: differentiable in q only, as in TensorFlow
        check_gradient(fn, [a, x], rtol=1e-4, atol=1e-6)


def test_zeta_gradient_in_q(rng):
    s = tf.constant(2.5, tf.float64)
    q = rng.uniform(0.5, 3, size=(4,))
    check_gradient(lambda q: tf.math.zeta(s, q), [q])


def test_betainc(rng):
    a = rng.uniform(0.5, 3, size=(3,))
    b = rng.uniform(0.5, 3, size=(3,))
    x = rng.uniform(0.1, 0.9, size=(3,))
    check_forward(tf.math.betainc, special.betainc, [a, b, x], rtol=1e-10)
    check_gradient(lambda x: tf.math.betainc(tf.constant(a), tf.constant(b), x), [x])


def test_nextafter():
    x = np.array([1.0, 0.0], np.float32)
    got = tf.math.nextafter(x, np.array([2.0, -1.0], np.float32)).numpy()
    np.testing.assert_array_equal(got, np.nextafter(x, np.array([2.0, -1.0], np.float32)))
    assert got[0] > 1.0 and got[1] < 0.0


def test_special_rejects_integers():
    with pytest.raises((tf.errors.InvalidArgumentError, TypeError)):
        tf.math.bessel_i0(tf.constant([1, 2]))


# ------------------------------------------------------------------- segment reductions ---
def _np_unsorted(data, ids, num, fn, empty):
    out = np.full((num,) + data.shape[1:], empty, dtype=data.dtype)
    for s in range(num):
        rows = data[ids == s]
        if len(rows):
            out[s] = fn(rows, axis=0)
    return out


SEGMENT = [
    ("max", tf.math.unsorted_segment_max, np.max, lambda d: np.finfo(d).min * 0 - np.inf),
    ("min", tf.math.unsorted_segment_min, np.min, lambda d: np.inf),
    ("prod", tf.math.unsorted_segment_prod, np.prod, lambda d: 1.0),
    ("mean", tf.math.unsorted_segment_mean, np.mean, lambda d: 0.0),
    ("sqrt_n", tf.math.unsorted_segment_sqrt_n,
     lambda r, axis: r.sum(axis) / np.sqrt(len(r)), lambda d: 0.0),
]


@pytest.mark.parametrize("case", SEGMENT, ids=[c[0] for c in SEGMENT])
def test_unsorted_segment_forward_and_gradient(case, rng):
    _, fn, np_fn, empty = case
    data = rng.uniform(0.5, 2.0, size=(6, 2))
    ids = np.array([2, 0, 1, -1, 0, 2])
    want = _np_unsorted(data[ids >= 0], ids[ids >= 0], 4, np_fn, empty(np.float64))
    got = fn(data, ids, 4).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_gradient(lambda d: fn(d, tf.constant(ids), 3), [data])


def test_unsorted_segment_max_integers_and_ties():
    got = tf.math.unsorted_segment_max([1, 5, 3, 4], [0, 0, 1, 1], 3).numpy()
    np.testing.assert_array_equal(got, [5, 4, np.iinfo(np.int32).min])
    x = tf.constant([2.0, 2.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.math.unsorted_segment_max(x, [0, 0, 0], 1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 0.5, 0.0])


def test_segment_prod_gradient_with_zeros():
    data = np.array([0.0, 2.0, 3.0, 0.0, 0.0, 4.0])
    ids = np.array([0, 0, 0, 1, 1, 2])
    check_gradient(lambda d: tf.math.unsorted_segment_prod(d, tf.constant(ids), 3), [data])


@pytest.mark.parametrize("name,empty", [("max", 0), ("min", 0), ("prod", 1), ("mean", 0)])
def test_sorted_segments(name, empty, rng):
    data = rng.uniform(-1, 1, size=(5, 3))
    ids = np.array([0, 0, 2, 2, 3])
    fn = getattr(tf.math, f"segment_{name}")
    np_fn = {"max": np.max, "min": np.min, "prod": np.prod, "mean": np.mean}[name]
    want = _np_unsorted(data, ids, 4, np_fn, empty)
    np.testing.assert_allclose(fn(data, ids).numpy(), want, rtol=1e-12)
    check_gradient(lambda d: fn(d, tf.constant(ids)), [data])
    with pytest.raises(tf.errors.InvalidArgumentError):
        fn(data, np.array([1, 0, 2, 2, 3]))


def test_confusion_matrix():
    got = tf.math.confusion_matrix([1, 2, 4], [2, 2, 4]).numpy()
    want = np.zeros((5, 5), np.int32)
    want[1, 2] = want[2, 2] = want[4, 4] = 1
    np.testing.assert_array_equal(got, want)
    weighted = tf.math.confusion_matrix([0, 1, 1], [0, 1, 0], num_classes=3,
                                        weights=[1.0, 2.0, 0.5], dtype=tf.float32)
    np.testing.assert_allclose(weighted.numpy(), [[1, 0, 0], [0.5, 2, 0], [0, 0, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.confusion_matrix([0, 3], [0, 1], num_classes=3)


# ------------------------------------------------------------------------- the rest ---
def test_angle():
    np.testing.assert_allclose(tf.math.angle(np.array([1 + 1j, -1 + 0j])).numpy(),
                               np.angle([1 + 1j, -1 + 0j]))
    np.testing.assert_allclose(tf.math.angle([-2.0, 3.0]).numpy(), [np.pi, 0.0], rtol=1e-6)


def test_approx_max_min_k(rng):
    x = rng.standard_normal((3, 7)).astype(np.float32)
    v, i = tf.math.approx_max_k(x, 2)
    np.testing.assert_allclose(v.numpy(), -np.sort(-x, axis=-1)[:, :2])
    np.testing.assert_array_equal(i.numpy(), np.argsort(-x, axis=-1)[:, :2])
    v, i = tf.math.approx_min_k(x, 3, reduction_dimension=0)
    np.testing.assert_allclose(v.numpy(), np.sort(x, axis=0)[:3])
    np.testing.assert_array_equal(i.numpy(), np.argsort(x, axis=0)[:3])


def test_invert_permutation():
    np.testing.assert_array_equal(tf.math.invert_permutation([3, 4, 0, 2, 1]).numpy(),
                                  [2, 4, 3, 0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="permutation"):
        tf.math.invert_permutation([0, 0, 1])


def test_monotonic_and_zero_fraction():
    assert bool(tf.math.is_non_decreasing([1, 1, 2]))
    assert not bool(tf.math.is_strictly_increasing([1, 1, 2]))
    assert bool(tf.math.is_strictly_increasing([[1, 2], [3, 4]]))
    assert not bool(tf.math.is_non_decreasing([2, 1]))
    assert float(tf.math.zero_fraction([0.0, 1.0, 0.0, 3.0])) == 0.5


def test_nn_functions_in_math():
    assert tf.math.softmax is tf.nn.softmax and tf.math.l2_normalize is tf.nn.l2_normalize


def test_sobol_sample():
    pytest.importorskip("scipy.stats")
    # real TensorFlow 2.21: tf.math.sobol_sample(3, 5) and (2, 3, skip=4)
    np.testing.assert_array_equal(tf.math.sobol_sample(3, 5).numpy(),
                                  [[0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
                                   [0.375, 0.375, 0.625], [0.875, 0.875, 0.125]])
    np.testing.assert_array_equal(tf.math.sobol_sample(2, 3, skip=4).numpy(),
                                  [[0.875, 0.875], [0.625, 0.125], [0.125, 0.625]])
    assert tf.math.sobol_sample(4, 2, dtype=tf.float64).dtype is tf.float64
    with pytest.raises(tf.errors.InvalidArgumentError, match="dim"):
        tf.math.sobol_sample(0, 2)


def test_clear_error_without_scipy(monkeypatch):
    import sys
    for mod in ("scipy", "scipy.special", "scipy.linalg", "scipy.stats"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(tf.errors.UnimplementedError, match="needs SciPy"):
        tf.math.bessel_i0([1.0])
    with pytest.raises(tf.errors.UnimplementedError, match="needs SciPy"):
        tf.linalg.expm([[1.0]])
    with pytest.raises(tf.errors.UnimplementedError, match="needs SciPy"):
        tf.math.sobol_sample(2, 2)
