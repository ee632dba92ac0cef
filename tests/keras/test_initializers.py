"""keras.initializers: statistics vs Keras's formulas, fans, seeding, orthogonality, configs."""
import math

import numpy as np
import pytest

import ember as tf
from ember.keras import initializers as I
from ember.keras.saving import serialization

TRUNC = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


@pytest.fixture(autouse=True)
def _clear_global_seed():
    yield
    tf.random.set_seed(None)


def _np(t):
    return np.asarray(t.numpy())


# ------------------------------------------------------------------------ fans ---

@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((3, 5), (3, 5)),
    ((3, 16, 32), (48, 96)),            # conv1d: kernel 3
    ((3, 3, 16, 32), (144, 288)),       # conv2d: 3x3 receptive field
    ((2, 2, 2, 3, 5), (24, 40)),        # conv3d
    ((0, 4), (0, 4)),
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


# ------------------------------------------------------------ distributions ---

def _variance_case(cls, kwargs, shape, scale, mode, dist):
    fan_in, fan_out = I.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return pytest.param(cls, kwargs, shape, scale / max(1.0, n), dist,
                        id=f"{cls.__name__}-{mode}-{dist}-{len(shape)}d")


DENSE = (300, 200)
CONV = (3, 3, 64, 32)
VARIANCE_CASES = [
    _variance_case(I.GlorotUniform, {}, DENSE, 1.0, "fan_avg", "uniform"),
    _variance_case(I.GlorotUniform, {}, CONV, 1.0, "fan_avg", "uniform"),
    _variance_case(I.GlorotNormal, {}, DENSE, 1.0, "fan_avg", "truncated_normal"),
    _variance_case(I.GlorotNormal, {}, CONV, 1.0, "fan_avg", "truncated_normal"),
    _variance_case(I.HeNormal, {}, DENSE, 2.0, "fan_in", "truncated_normal"),
    _variance_case(I.HeNormal, {}, CONV, 2.0, "fan_in", "truncated_normal"),
    _variance_case(I.HeUniform, {}, DENSE, 2.0, "fan_in", "uniform"),
    _variance_case(I.HeUniform, {}, CONV, 2.0, "fan_in", "uniform"),
    _variance_case(I.LecunNormal, {}, DENSE, 1.0, "fan_in", "truncated_normal"),
    _variance_case(I.LecunUniform, {}, CONV, 1.0, "fan_in", "uniform"),
    _variance_case(I.VarianceScaling, dict(scale=3.0, mode="fan_out",
                                           distribution="untruncated_normal"),
                   DENSE, 3.0, "fan_out", "untruncated_normal"),
    _variance_case(I.VarianceScaling, dict(scale=0.5, mode="fan_out",
                                           distribution="truncated_normal"),
                   CONV, 0.5, "fan_out", "truncated_normal"),
    _variance_case(I.VarianceScaling, dict(scale=2.0, mode="fan_avg", distribution="uniform"),
                   CONV, 2.0, "fan_avg", "uniform"),
    _variance_case(I.VarianceScaling, {}, (40000,), 1.0, "fan_in", "truncated_normal"),
]


@pytest.mark.parametrize("cls,kwargs,shape,variance,dist", VARIANCE_CASES)
def test_variance_scaling_statistics(cls, kwargs, shape, variance, dist):
    w = cls(seed=7, **kwargs)(shape)
    assert w.dtype == tf.float32 and tuple(w.shape) == shape
    x = _np(w).astype(np.float64)
    std = math.sqrt(variance)
    assert abs(x.mean()) < 0.03 * std
    np.testing.assert_allclose(x.std(), std, rtol=0.03)
    if dist == "uniform":
        limit = math.sqrt(3.0 * variance)
        assert x.min() >= -limit and x.max() <= limit
        assert x.min() < -0.99 * limit and x.max() > 0.99 * limit
    elif dist == "truncated_normal":
        bound = 2.0 * std / TRUNC
        assert np.abs(x).max() <= bound * (1 + 1e-6)
        assert np.abs(x).max() > 0.95 * bound
    else:
        assert np.abs(x).max() > 2.5 * std


def test_variance_scaling_small_fan_uses_at_least_one():
    x = _np(I.VarianceScaling(1.0, "fan_in", "uniform", seed=1)((0, 5)))
    assert x.shape == (0, 5)
    x = _np(I.VarianceScaling(4.0, "fan_in", "uniform", seed=1)(()))
    assert x.shape == () and abs(float(x)) <= math.sqrt(12.0)


@pytest.mark.parametrize("init,mean,std,lo,hi", [
    (I.RandomNormal(mean=1.0, stddev=2.0, seed=3), 1.0, 2.0, None, None),
    (I.RandomNormal(seed=3), 0.0, 0.05, None, None),
    (I.RandomUniform(-3.0, 5.0, seed=3), 1.0, 8 / math.sqrt(12), -3.0, 5.0),
    (I.RandomUniform(seed=3), 0.0, 0.1 / math.sqrt(12), -0.05, 0.05),
    (I.TruncatedNormal(mean=0.5, stddev=2.0, seed=3), 0.5, 2.0 * TRUNC, -3.5, 4.5),
    (I.TruncatedNormal(seed=3), 0.0, 0.05 * TRUNC, -0.1, 0.1),
])
def test_random_statistics(init, mean, std, lo, hi):
    x = _np(init((400, 250))).astype(np.float64)
    assert abs(x.mean() - mean) < 0.02 * std + 1e-6
    np.testing.assert_allclose(x.std(), std, rtol=0.02)
    if lo is not None:
        assert x.min() >= lo - 1e-6 and x.max() <= hi + 1e-6


@pytest.mark.parametrize("init", [
    I.RandomNormal(seed=1), I.RandomUniform(seed=1), I.TruncatedNormal(seed=1),
    I.GlorotUniform(seed=1), I.HeNormal(seed=1), I.Orthogonal(seed=1), I.Identity(),
    I.Zeros(), I.Ones(), I.Constant(2.0),
], ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("dtype", [None, "float16", "float64", tf.float32, "bfloat16"])
def test_output_dtype(init, dtype):
    w = init((4, 3), dtype=dtype)
    assert w.dtype == tf.as_dtype(dtype or "float32")
    assert tuple(w.shape) == (4, 3)


def test_integer_dtypes():
    assert _np(I.Zeros()((2,), dtype="int32")).dtype == np.int32
    assert _np(I.Ones()((2,), dtype="int64")).tolist() == [1, 1]
    assert _np(I.Constant(3)((2,), dtype="int32")).tolist() == [3, 3]
    assert _np(I.Identity()((2, 2), dtype="int32")).tolist() == [[1, 0], [0, 1]]
    x = _np(I.RandomUniform(0, 10, seed=1)((1000,), dtype="int32"))
    assert x.dtype == np.int32 and x.min() >= 0 and x.max() < 10


@pytest.mark.parametrize("init", [I.RandomNormal(), I.TruncatedNormal(), I.GlorotNormal(),
                                  I.Orthogonal()], ids=lambda i: type(i).__name__)
def test_random_rejects_integer_dtype(init):
    with pytest.raises(ValueError, match="floating point dtype.*int32"):
        init((2, 2), dtype="int32")


# ------------------------------------------------------------------ seeding ---

SEEDED = [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.VarianceScaling,
          I.GlorotUniform, I.GlorotNormal, I.HeNormal, I.HeUniform, I.LecunNormal,
          I.LecunUniform, I.Orthogonal]


@pytest.mark.parametrize("cls", SEEDED, ids=lambda c: c.__name__)
def test_seeded_instance_repeats(cls):
    a = cls(seed=42)
    x1, x2 = _np(a((5, 6))), _np(a((5, 6)))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(x1, _np(cls(seed=42)((5, 6))))
    assert not np.array_equal(x1, _np(cls(seed=43)((5, 6))))


@pytest.mark.parametrize("cls", SEEDED, ids=lambda c: c.__name__)
def test_unseeded_draws_from_global_state(cls):
    a = cls()
    assert not np.array_equal(_np(a((5, 6))), _np(a((5, 6))))
    tf.random.set_seed(123)
    first = [_np(a((5, 6))), _np(cls()((3,) * 2))]
    tf.random.set_seed(123)
    again = [_np(a((5, 6))), _np(cls()((3,) * 2))]
    tf.random.set_seed(None)
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)


def test_keras_set_random_seed_reproduces_init():
    from ember.keras.utils import set_random_seed
    set_random_seed(5)
    x = _np(I.GlorotUniform()((4, 4)))
    set_random_seed(5)
    y = _np(I.GlorotUniform()((4, 4)))
    tf.random.set_seed(None)
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("init", [I.GlorotUniform(seed=4), I.HeNormal(seed=4),
                                  I.Orthogonal(seed=4), I.Identity(2.0), I.Constant(1.5)],
                         ids=lambda i: type(i).__name__)
def test_traced_equals_eager(init):
    traced = tf.function(lambda: init((4, 3)))
    np.testing.assert_allclose(_np(traced()), _np(init((4, 3))), rtol=1e-6)


@pytest.mark.parametrize("seed", [1.5, "3", True, [1]])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        I.GlorotUniform(seed=seed)


# -------------------------------------------------------- orthogonal/identity ---

@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 3, 4, 5), (1, 8), (8, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    w = _np(I.Orthogonal(gain=gain, seed=9)(shape)).astype(np.float64)
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_float64_precision():
    w = _np(I.Orthogonal(seed=1)((5, 5), dtype="float64"))
    assert w.dtype == np.float64
    np.testing.assert_allclose(w @ w.T, np.eye(5), atol=1e-12)


def test_orthogonal_rank_error():
    with pytest.raises(ValueError, match="at least two-dimensional.*rank 1"):
        I.Orthogonal()((5,))


@pytest.mark.parametrize("shape,gain", [((3, 3), 1.0), ((2, 4), 2.0), ((4, 2), 0.5)])
def test_identity(shape, gain):
    np.testing.assert_array_equal(_np(I.Identity(gain)(shape)),
                                  (gain * np.eye(*shape)).astype(np.float32))


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_identity_rank_error(shape):
    with pytest.raises(ValueError, match="2D matrices"):
        I.Identity()(shape)


# ------------------------------------------------------------ constant family ---

@pytest.mark.parametrize("init,shape,want", [
    (I.Zeros(), (2, 3), np.zeros((2, 3))),
    (I.Ones(), (3,), np.ones(3)),
    (I.Constant(), (2,), np.zeros(2)),
    (I.Constant(-1.5), (2, 2), np.full((2, 2), -1.5)),
    (I.Constant([1.0, 2.0]), (3, 2), np.tile([1.0, 2.0], (3, 1))),
    (I.Constant(np.arange(6.0)), (2, 3), np.arange(6.0).reshape(2, 3)),
    (I.Constant(tf.constant(4.0)), (2,), np.full(2, 4.0)),
    (I.Zeros(), (), np.zeros(())),
    (I.Ones(), (0, 3), np.ones((0, 3))),
])
def test_constant_family(init, shape, want):
    got = init(shape)
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(_np(got), want.astype(np.float32))


def test_constant_shape_mismatch():
    with pytest.raises(ValueError, match=r"Constant: the value of shape \(4,\).*\(3, 2\)"):
        I.Constant([1.0, 2.0, 3.0, 4.0])((3, 2))


@pytest.mark.parametrize("shape", [(2, -1), (None, 3), (2.5,), "ab"])
def test_bad_shape(shape):
    with pytest.raises((ValueError, TypeError), match="shape"):
        I.Zeros()(shape)


def test_shape_forms():
    assert tuple(I.Ones()(tf.TensorShape([2, 3])).shape) == (2, 3)
    assert tuple(I.Ones()([2, 3]).shape) == (2, 3)
    assert tuple(I.Ones()(4).shape) == (4,)
    assert tuple(I.Ones()((np.int64(2), 2)).shape) == (2, 2)


# ----------------------------------------------------------- errors & configs ---

@pytest.mark.parametrize("kwargs,match", [
    (dict(scale=0.0), "`scale` must be a positive float"),
    (dict(scale=-1.0), "`scale` must be a positive float"),
    (dict(mode="fan_sum"), r"`mode` argument.*fan_in.*fan_sum"),
    (dict(distribution="cauchy"), r"`distribution` argument.*cauchy"),
])
def test_variance_scaling_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        I.VarianceScaling(**kwargs)


def test_variance_scaling_normal_alias():
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert I.VarianceScaling(distribution="Uniform").distribution == "uniform"


CONFIG_CASES = [
    (I.Zeros(), {}), (I.Ones(), {}), (I.Constant(2.5), {"value": 2.5}),
    (I.Constant(np.array([1.0, 2.0])), {"value": [1.0, 2.0]}),
    (I.RandomNormal(0.1, 0.2, seed=3), {"mean": 0.1, "stddev": 0.2, "seed": 3}),
    (I.RandomUniform(-1, 1), {"minval": -1, "maxval": 1, "seed": None}),
    (I.TruncatedNormal(seed=1), {"mean": 0.0, "stddev": 0.05, "seed": 1}),
    (I.VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
     {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "seed": 4}),
    (I.GlorotUniform(seed=5), {"seed": 5}), (I.GlorotNormal(), {"seed": None}),
    (I.HeNormal(seed=1), {"seed": 1}), (I.HeUniform(), {"seed": None}),
    (I.LecunNormal(), {"seed": None}), (I.LecunUniform(seed=2), {"seed": 2}),
    (I.Orthogonal(1.5, seed=3), {"gain": 1.5, "seed": 3}),
    (I.Identity(3.0), {"gain": 3.0}),
]


@pytest.mark.parametrize("init,config", CONFIG_CASES, ids=lambda v: type(v).__name__)
def test_config_round_trip(init, config):
    assert init.get_config() == config
    clone = type(init).from_config(init.get_config())
    assert type(clone) is type(init) and clone.get_config() == config
    ser = I.serialize(init)
    assert ser["class_name"] == type(init).__name__ and ser["config"] == config
    back = I.deserialize(ser)
    assert type(back) is type(init) and back.get_config() == config
    assert I.get(ser).get_config() == config
    assert init.clone().get_config() == config
    if getattr(init, "seed", None) is not None:
        np.testing.assert_array_equal(_np(back((3, 3))), _np(init((3, 3))))


@pytest.mark.parametrize("name,cls", [
    ("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
    ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
    ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform),
    ("zeros", I.Zeros), ("zero", I.Zeros), ("ones", I.Ones), ("one", I.Ones),
    ("constant", I.Constant), ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
    ("random_uniform", I.RandomUniform), ("uniform", I.RandomUniform),
    ("truncated_normal", I.TruncatedNormal), ("variance_scaling", I.VarianceScaling),
    ("orthogonal", I.Orthogonal), ("OrthogonalInitializer", I.Orthogonal),
    ("identity", I.Identity), ("IdentityInitializer", I.Identity),
])
def test_get_by_name(name, cls):
    assert type(I.get(name)) is cls


def test_snake_case_module_aliases():
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert I.zeros is I.Zeros and I.orthogonal is I.Orthogonal and I.identity is I.Identity


def test_get_other_identifiers():
    assert I.get(None) is None
    inst = I.HeNormal()
    assert I.get(inst) is inst
    assert type(I.get(I.Ones)) is I.Ones

    def fn(shape, dtype=None):
        return tf.zeros(shape)
    assert I.get(fn) is fn
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'.*glorot_uniform"):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 3"):
        I.get(3)


def test_custom_initializer_serialization():
    class Fives(I.Initializer):
        def __init__(self, k=5.0):
            self.k = k

        def __call__(self, shape, dtype=None):
            return tf.fill(shape, tf.constant(self.k, dtype or "float32"))

        def get_config(self):
            return {"k": self.k}

    ser = I.serialize(Fives(7.0))
    with pytest.raises(ValueError, match="Unknown initializer: 'Fives'"):
        I.deserialize(ser)
    back = I.deserialize(ser, custom_objects={"Fives": Fives})
    assert back.k == 7.0 and _np(back((2,))).tolist() == [7.0, 7.0]
    with serialization.custom_object_scope({"Fives": Fives}):
        assert I.get(ser).k == 7.0


def test_base_initializer_not_implemented():
    with pytest.raises(NotImplementedError, match="must implement __call__"):
        I.Initializer()((2,))
