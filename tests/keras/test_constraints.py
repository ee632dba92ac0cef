"""keras.constraints: values vs NumPy (Keras's epsilon placement), graph mode, configs."""
import numpy as np
import pytest

import ember as tf
from ember.keras import constraints as C

EPS = 1e-7


def _norms(w, axis):
    return np.sqrt((w ** 2).sum(axis=axis, keepdims=True))


def np_max_norm(w, max_value, axis):
    n = _norms(w, axis)
    return w * (np.clip(n, 0, max_value) / (EPS + n))


def np_unit_norm(w, axis):
    return w / (EPS + _norms(w, axis))


def np_min_max_norm(w, lo, hi, rate, axis):
    n = _norms(w, axis)
    desired = rate * np.clip(n, lo, hi) + (1 - rate) * n
    return w * (desired / (EPS + n))


rng = np.random.default_rng(0)
W = (rng.standard_normal((4, 5)) * 2).astype(np.float32)
W[:, 2] = 0.0
K = (rng.standard_normal((3, 3, 2, 4)) * 0.3).astype(np.float32)

CASES = [
    ("MaxNorm", C.MaxNorm(), W, lambda w: np_max_norm(w, 2, 0)),
    ("MaxNorm-1-axis1", C.MaxNorm(1.0, axis=1), W, lambda w: np_max_norm(w, 1.0, 1)),
    ("MaxNorm-conv", C.MaxNorm(0.5, axis=[0, 1, 2]), K,
     lambda w: np_max_norm(w, 0.5, (0, 1, 2))),
    ("MaxNorm-neg-axis", C.MaxNorm(1.5, axis=-1), W, lambda w: np_max_norm(w, 1.5, -1)),
    ("NonNeg", C.NonNeg(), W, lambda w: w * (w >= 0)),
    ("UnitNorm", C.UnitNorm(), W, lambda w: np_unit_norm(w, 0)),
    ("UnitNorm-axis1", C.UnitNorm(axis=1), W, lambda w: np_unit_norm(w, 1)),
    ("UnitNorm-conv", C.UnitNorm(axis=(0, 1, 2)), K, lambda w: np_unit_norm(w, (0, 1, 2))),
    ("MinMaxNorm", C.MinMaxNorm(), W, lambda w: np_min_max_norm(w, 0.0, 1.0, 1.0, 0)),
    ("MinMaxNorm-rate", C.MinMaxNorm(1.0, 2.0, rate=0.3, axis=1), W,
     lambda w: np_min_max_norm(w, 1.0, 2.0, 0.3, 1)),
    ("MinMaxNorm-conv", C.MinMaxNorm(0.5, 0.8, axis=[0, 1, 2]), K,
     lambda w: np_min_max_norm(w, 0.5, 0.8, 1.0, (0, 1, 2))),
    ("Constraint", C.Constraint(), W, lambda w: w),
]


@pytest.mark.parametrize("name,con,w,ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values(name, con, w, ref, dtype):
    w = w.astype(dtype)
    got = con(tf.constant(w))
    assert got.dtype == tf.as_dtype(dtype) and tuple(got.shape) == w.shape
    np.testing.assert_allclose(got.numpy(), ref(w.astype(np.float64)),
                               rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7)


@pytest.mark.parametrize("name,con,w,ref", CASES, ids=[c[0] for c in CASES])
def test_variable_and_traced(name, con, w, ref):
    eager = np.asarray(con(tf.Variable(w)))
    traced = tf.function(lambda t: con(t))(tf.constant(w)).numpy()
    np.testing.assert_allclose(eager, ref(w.astype(np.float64)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-7)


def test_projected_norms():
    got = C.MaxNorm(1.0)(tf.constant(W)).numpy()
    assert (np.sqrt((got ** 2).sum(axis=0)) <= 1.0 + 1e-6).all()
    got = C.UnitNorm(axis=1)(tf.constant(W)).numpy()
    np.testing.assert_allclose(np.sqrt((got ** 2).sum(axis=1)), 1.0, rtol=1e-5)
    got = C.MinMaxNorm(0.5, 0.8, axis=1)(tf.constant(W)).numpy()
    norms = np.sqrt((got ** 2).sum(axis=1))
    assert (norms >= 0.5 - 1e-5).all() and (norms <= 0.8 + 1e-5).all()
    got = C.NonNeg()(tf.constant(W)).numpy()
    assert (got >= 0).all()


def test_zero_slice_stays_zero():
    for con in (C.MaxNorm(), C.UnitNorm(), C.MinMaxNorm(0.5, 1.0)):
        assert np.all(con(tf.constant(W)).numpy()[:, 2] == 0.0)


CONFIGS = [
    (C.MaxNorm(3, axis=1), {"max_value": 3, "axis": 1}),
    (C.MaxNorm(), {"max_value": 2, "axis": 0}),
    (C.NonNeg(), {}),
    (C.UnitNorm(axis=[0, 1]), {"axis": [0, 1]}),
    (C.MinMaxNorm(0.1, 2.0, 0.5, -1), {"min_value": 0.1, "max_value": 2.0, "rate": 0.5,
                                       "axis": -1}),
]


@pytest.mark.parametrize("con,config", CONFIGS, ids=lambda v: type(v).__name__)
def test_config_round_trip(con, config):
    assert con.get_config() == config
    assert type(con).from_config(config).get_config() == config
    ser = C.serialize(con)
    assert ser["class_name"] == type(con).__name__ and ser["config"] == config
    back = C.deserialize(ser)
    assert type(back) is type(con) and back.get_config() == config
    assert C.get(ser).get_config() == config
    w = tf.constant(K)
    np.testing.assert_allclose(back(w).numpy(), con(w).numpy())


@pytest.mark.parametrize("name,cls", [
    ("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm), ("non_neg", C.NonNeg),
    ("NonNeg", C.NonNeg), ("unit_norm", C.UnitNorm), ("UnitNorm", C.UnitNorm),
    ("min_max_norm", C.MinMaxNorm), ("MinMaxNorm", C.MinMaxNorm),
])
def test_get_by_name(name, cls):
    assert type(C.get(name)) is cls


def test_get_other_identifiers():
    assert C.get(None) is None
    con = C.NonNeg()
    assert C.get(con) is con
    assert type(C.get(C.UnitNorm)) is C.UnitNorm
    fn = lambda w: w  # noqa: E731
    assert C.get(fn) is fn
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    assert C.unit_norm is C.UnitNorm and C.min_max_norm is C.MinMaxNorm
    with pytest.raises(ValueError, match=r"Unknown constraint: 'positive'.*non_neg"):
        C.get("positive")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 2"):
        C.get(2)
