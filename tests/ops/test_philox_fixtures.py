"""Stateless random ops and random.Generator give TensorFlow's numbers (fixture made by
tests/fixtures/random/make_philox.py with real TensorFlow)."""
import os

import numpy as np
import pytest

import ember as tf

FIXTURE = np.load(os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures",
                               "random", "philox.npz"))
SEEDS = ([1, 2], [-7, 123456789], [0, 0])
# float32 Box-Muller goes through sin/log, whose last bits differ between libraries
TOL = {"float16": 1e-3, "bfloat16": 1e-2, "float32": 2e-6, "float64": 1e-12}


@pytest.mark.parametrize("seed", SEEDS, ids=str)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("kind", ["uniform", "normal", "truncated_normal"])
def test_stateless_floats(kind, dtype, seed):
    fn = getattr(tf.random, f"stateless_{kind}")
    got = tf.cast(fn([3, 7], seed, dtype=getattr(tf, dtype)), tf.float32).numpy()
    want = FIXTURE[f"{kind}_{dtype}_{seed[0]}_{seed[1]}"]
    tol = 0 if kind == "uniform" else TOL[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("seed", SEEDS, ids=str)
def test_stateless_integers_and_seeds(seed):
    tag = f"{seed[0]}_{seed[1]}"
    for dt in ("int32", "int64", "uint32", "uint64"):
        got = tf.random.stateless_uniform([9], seed, minval=None, maxval=None,
                                          dtype=getattr(tf, dt)).numpy()
        np.testing.assert_array_equal(got, FIXTURE[f"full_int_{dt}_{tag}"], err_msg=dt)
    np.testing.assert_array_equal(
        tf.random.stateless_uniform([9], seed, minval=-3, maxval=50, dtype=tf.int32).numpy(),
        FIXTURE[f"int32_range_{tag}"])
    np.testing.assert_array_equal(
        tf.random.stateless_uniform([9], seed, minval=-5, maxval=2 ** 40,
                                    dtype=tf.int64).numpy(), FIXTURE[f"int64_range_{tag}"])
    np.testing.assert_allclose(
        tf.random.stateless_uniform([5], seed, minval=-2.0, maxval=3.0).numpy(),
        FIXTURE[f"scaled_{tag}"], rtol=1e-6)
    np.testing.assert_array_equal(tf.random.split(tf.constant(seed, tf.int64), 3).numpy(),
                                  FIXTURE[f"split_{tag}"])
    np.testing.assert_array_equal(tf.random.fold_in(seed, 7).numpy(), FIXTURE[f"fold_in_{tag}"])


def test_stateless_values_in_a_traced_function():
    f = tf.function(lambda s: tf.random.stateless_normal([3, 7], s))
    np.testing.assert_allclose(f(tf.constant([1, 2])).numpy(), FIXTURE["normal_float32_1_2"],
                               rtol=2e-6, atol=2e-6)


def test_rng_state():
    np.testing.assert_array_equal(tf.random.create_rng_state(1234, "philox"),
                                  FIXTURE["rng_state_1234"])
    np.testing.assert_array_equal(tf.random.create_rng_state([5, 6], "philox"),
                                  FIXTURE["rng_state_list"])
    np.testing.assert_array_equal(tf.random.create_rng_state(2 ** 70 + 3, "philox"),
                                  FIXTURE["rng_state_big"])


def test_generator_stream():
    g = tf.random.Generator.from_seed(3)
    np.testing.assert_allclose(g.normal([2, 3]).numpy(), FIXTURE["gen_normal"], rtol=2e-6,
                               atol=2e-6)
    np.testing.assert_array_equal(g.uniform([4], 0, 10, dtype=tf.int64).numpy(),
                                  FIXTURE["gen_int"])
    np.testing.assert_allclose(g.truncated_normal([5]).numpy(), FIXTURE["gen_truncated"],
                               rtol=2e-6, atol=2e-6)
    np.testing.assert_array_equal(g.uniform([3], dtype=tf.float64).numpy(),
                                  FIXTURE["gen_uniform64"])
    np.testing.assert_array_equal(g.uniform_full_int([3], dtype=tf.int64).numpy(),
                                  FIXTURE["gen_full"])
    np.testing.assert_array_equal(g.state.numpy(), FIXTURE["gen_state"])
    g.skip(10)
    np.testing.assert_array_equal(g.state.numpy(), FIXTURE["gen_state_skip"])
    children = g.split(2)
    np.testing.assert_array_equal(np.stack([c.state.numpy() for c in children]),
                                  FIXTURE["gen_split_states"])
    np.testing.assert_allclose(children[1].normal([3]).numpy(), FIXTURE["gen_split_normal"],
                               rtol=2e-6, atol=2e-6)
    np.testing.assert_array_equal(g.make_seeds(2).numpy(), FIXTURE["gen_make_seeds"])
