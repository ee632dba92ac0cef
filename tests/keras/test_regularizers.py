"""keras.regularizers: values vs NumPy, dtypes, gradients, graph mode, configs, errors."""
import numpy as np
import pytest

import ember as tf
from ember.keras import regularizers as R

EPS = 1e-7


def np_orthogonal(x, factor, mode):
    x = np.asarray(x, dtype=np.float64)
    v = x if mode == "rows" else x.T
    with np.errstate(divide="ignore"):
        inv = np.minimum(1.0 / np.sqrt((v ** 2).sum(axis=1, keepdims=True)), 1.0 / EPS)
    v = v * inv
    product = v @ v.T
    n = v.shape[0]
    off = product * (1.0 - np.eye(n))
    return factor * 0.5 * np.abs(off).sum() / (n * (n - 1) / 2.0)


X = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -0.25], [0.0, 1.0, 2.0], [-1.0, -1.0, 1.0]],
             dtype=np.float32)

CASES = [
    ("L1", R.L1(0.3), lambda x: 0.3 * np.abs(x).sum()),
    ("L1-default", R.L1(), lambda x: 0.01 * np.abs(x).sum()),
    ("L2", R.L2(0.2), lambda x: 0.2 * (x ** 2).sum()),
    ("L2-default", R.L2(), lambda x: 0.01 * (x ** 2).sum()),
    ("L1L2", R.L1L2(0.1, 0.2), lambda x: 0.1 * np.abs(x).sum() + 0.2 * (x ** 2).sum()),
    ("L1L2-l1only", R.L1L2(l1=0.5), lambda x: 0.5 * np.abs(x).sum()),
    ("L1L2-zero", R.L1L2(), lambda x: 0.0 * x.sum()),
    ("alias-l1_l2", R.l1_l2(l1=0.01, l2=0.01),
     lambda x: 0.01 * np.abs(x).sum() + 0.01 * (x ** 2).sum()),
    ("Ortho-rows", R.OrthogonalRegularizer(0.5), lambda x: np_orthogonal(x, 0.5, "rows")),
    ("Ortho-cols", R.OrthogonalRegularizer(2.0, mode="columns"),
     lambda x: np_orthogonal(x, 2.0, "columns")),
]


@pytest.mark.parametrize("name,reg,ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values(name, reg, ref, dtype):
    x = X.astype(dtype)
    got = reg(tf.constant(x))
    assert got.dtype == tf.as_dtype(dtype) and got.shape.rank == 0
    np.testing.assert_allclose(float(got), ref(x.astype(np.float64)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,reg,ref", CASES, ids=[c[0] for c in CASES])
def test_variable_and_traced(name, reg, ref):
    v = tf.Variable(X)
    eager = float(reg(v))
    traced = float(tf.function(lambda t: reg(t))(tf.constant(X)))
    np.testing.assert_allclose(eager, ref(X.astype(np.float64)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reg,grad", [
    (R.L2(0.2), lambda x: 0.4 * x),
    (R.L1(0.3), lambda x: 0.3 * np.sign(x)),
    (R.L1L2(0.1, 0.2), lambda x: 0.1 * np.sign(x) + 0.4 * x),
])
def test_gradients(reg, grad):
    v = tf.Variable(X)
    with tf.GradientTape() as tape:
        loss = reg(v)
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), grad(X), rtol=1e-6)


def test_orthogonal_regularizer_orthogonal_input_is_zero():
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((5, 5)))[0].astype(np.float32)
    assert abs(float(R.OrthogonalRegularizer(1.0)(tf.constant(q)))) < 1e-6
    assert abs(float(R.OrthogonalRegularizer(1.0, "columns")(tf.constant(q)))) < 1e-6


def test_orthogonal_regularizer_zero_row_is_finite():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    got = float(R.OrthogonalRegularizer(1.0)(tf.constant(x)))
    np.testing.assert_allclose(got, np_orthogonal(x, 1.0, "rows"), rtol=1e-5)


@pytest.mark.parametrize("make,match", [
    (lambda: R.L1(-0.1), r"L1: invalid value for argument l1.*non-negative.*-0.1"),
    (lambda: R.L2(float("nan")), r"argument l2.*nan"),
    (lambda: R.L1L2(l2="big"), r"argument l2.*'big'"),
    (lambda: R.OrthogonalRegularizer(mode="diag"), r"`mode`.*rows.*columns.*diag"),
    (lambda: R.OrthogonalRegularizer(factor=-1), r"argument factor"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_orthogonal_rank_error(shape):
    with pytest.raises(ValueError, match=r"must have rank 2"):
        R.OrthogonalRegularizer()(tf.zeros(shape))


def test_none_arguments_mean_defaults():
    assert R.L1(None).l1 == 0.01 and R.L2(None).l2 == 0.01
    assert R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


CONFIGS = [
    (R.L1(0.3), {"l1": 0.3}), (R.L2(0.2), {"l2": 0.2}),
    (R.L1L2(0.1, 0.2), {"l1": 0.1, "l2": 0.2}),
    (R.OrthogonalRegularizer(0.5, "columns"), {"factor": 0.5, "mode": "columns"}),
]


@pytest.mark.parametrize("reg,config", CONFIGS, ids=lambda v: type(v).__name__)
def test_config_round_trip(reg, config):
    assert reg.get_config() == config
    assert type(reg).from_config(config).get_config() == config
    ser = R.serialize(reg)
    assert ser["class_name"] == type(reg).__name__ and ser["config"] == config
    back = R.deserialize(ser)
    assert type(back) is type(reg) and back.get_config() == config
    assert R.get(ser).get_config() == config
    np.testing.assert_allclose(float(back(tf.constant(X))), float(reg(tf.constant(X))))


@pytest.mark.parametrize("name,cls", [
    ("l1", R.L1), ("L1", R.L1), ("l2", R.L2), ("L2", R.L2), ("l1_l2", R.L1L2),
    ("L1L2", R.L1L2), ("orthogonal_regularizer", R.OrthogonalRegularizer),
    ("OrthogonalRegularizer", R.OrthogonalRegularizer),
])
def test_get_by_name(name, cls):
    assert type(R.get(name)) is cls


def test_get_other_identifiers():
    assert R.get(None) is None
    reg = R.L2(0.5)
    assert R.get(reg) is reg
    assert type(R.get(R.L1)) is R.L1
    fn = lambda x: tf.reduce_sum(x)  # noqa: E731
    assert R.get(fn) is fn
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.orthogonal_regularizer is R.OrthogonalRegularizer
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'l3'.*l1_l2"):
        R.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 0.1"):
        R.get(0.1)


def test_base_regularizer():
    assert R.Regularizer()(tf.ones([2])) == 0.0
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        R.Regularizer().get_config()
