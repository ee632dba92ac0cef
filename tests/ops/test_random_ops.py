"""ember.random: TensorFlow's seed rules, distributions, dtypes, Generator, stateless ops,
and nn.dropout."""
import numpy as np
import pytest

import ember as tf
from ember.framework import random_seed
from ember.framework.context import context, settings
from ember.framework.op import get_op


@pytest.fixture(autouse=True)
def _fresh_seed_state():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def same(a, b):
    return np.array_equal(np.asarray(a), np.asarray(b))


# ------------------------------------------------------------------ seed semantics ---
# The examples of tf.random.set_seed's documentation, one test each.

def test_no_seeds_every_call_differs():
    a1, a2 = tf.random.uniform([4]), tf.random.uniform([4])
    assert not same(a1, a2)
    tf.random.set_seed(None)      # like a re-run of the program: still new numbers
    assert not same(tf.random.uniform([4]), a1)


def test_global_seed_only_repeats_the_sequence():
    tf.random.set_seed(1234)
    a1, a2 = tf.random.uniform([3]), tf.random.uniform([3])
    b1, b2 = tf.random.normal([3]), tf.random.normal([3])
    assert not same(a1, a2) and not same(b1, b2)
    tf.random.set_seed(1234)
    assert same(tf.random.uniform([3]), a1)
    assert same(tf.random.uniform([3]), a2)
    assert same(tf.random.normal([3]), b1)
    assert same(tf.random.normal([3]), b2)


def test_op_seed_only_repeats_per_program_and_advances_per_call():
    a1, a2 = tf.random.uniform([3], seed=1), tf.random.uniform([3], seed=1)
    b1, b2 = tf.random.normal([3], seed=1), tf.random.normal([3], seed=1)
    assert not same(a1, a2) and not same(b1, b2)
    tf.random.set_seed(None)      # "re-run": the same A1, A2, B1, B2
    assert same(tf.random.uniform([3], seed=1), a1)
    assert same(tf.random.uniform([3], seed=1), a2)
    assert same(tf.random.normal([3], seed=1), b1)
    assert same(tf.random.normal([3], seed=1), b2)


def test_global_and_op_seed_reset_by_set_seed():
    tf.random.set_seed(1234)
    a1, a2 = tf.random.uniform([3], seed=1), tf.random.uniform([3], seed=1)
    assert not same(a1, a2)
    tf.random.set_seed(1234)
    assert same(tf.random.uniform([3], seed=1), a1)
    assert same(tf.random.uniform([3], seed=1), a2)


def test_different_seeds_differ():
    tf.random.set_seed(1)
    x = tf.random.normal([5])
    tf.random.set_seed(2)
    assert not same(tf.random.normal([5]), x)
    tf.random.set_seed(None)
    assert not same(tf.random.normal([5], seed=1), tf.random.normal([5], seed=2))


def test_op_seed_kernels_are_per_op_and_dtype():
    u32 = tf.random.uniform([3], seed=5)
    u64 = tf.random.uniform([3], seed=5, dtype=tf.float64)
    n32 = tf.random.normal([3], seed=5)
    tf.random.set_seed(None)
    # each (op, dtype, seeds) has its own stream, so the order of other ops does not matter
    assert same(tf.random.normal([3], seed=5), n32)
    assert same(tf.random.uniform([3], seed=5, dtype=tf.float64), u64)
    assert same(tf.random.uniform([3], seed=5), u32)


@pytest.mark.parametrize("global_seed, op_seed, want", [
    (None, None, (None, None)),
    (None, 7, (random_seed.DEFAULT_GRAPH_SEED, 7)),
    (1234, 7, (1234, 7)),
    (0, 0, (0, 2 ** 31 - 1)),
    (2 ** 31 + 5, 2 ** 31, (6, 1)),
    (-1, 3, ((-1) % (2 ** 31 - 1), 3)),
])
def test_get_seed_table(global_seed, op_seed, want):
    tf.random.set_seed(global_seed)
    assert tf.random.get_seed(op_seed) == want


def test_get_seed_counter_with_global_seed():
    tf.random.set_seed(1234)
    s1, s2 = tf.random.get_seed(None), tf.random.get_seed(None)
    assert s1[0] == s2[0] == 1234 and s1[1] != s2[1]
    tf.random.set_seed(1234)
    assert tf.random.get_seed(None) == s1


def _hammer(threads, per_thread, fn):
    """fn() called per_thread times in each of ``threads`` threads started together, with
    a tiny switch interval so that the threads interleave inside any unguarded
    read-modify-write; the results of each thread."""
    import sys
    import threading
    results = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(i):
        start.wait()
        out = results[i]
        for _ in range(per_thread):
            out.append(fn())

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    return results


def test_op_seeds_drawn_from_many_threads_are_unique_and_those_of_one_thread():
    """With only a global seed, op seeds come from a process-wide counter (as in
    TensorFlow): drawn from 8 threads at once, no two ops get the same seed, and together
    they are exactly the seeds one thread would draw in sequence; one thread after
    set_seed(s) draws the same sequence again."""
    threads, per_thread = 8, 1500
    tf.random.set_seed(1234)
    sequence = [tf.random.get_seed(None) for _ in range(threads * per_thread)]
    assert len(set(sequence)) == len(sequence)
    tf.random.set_seed(1234)
    assert [tf.random.get_seed(None) for _ in range(200)] == sequence[:200]

    tf.random.set_seed(1234)
    drawn = _hammer(threads, per_thread, lambda: tf.random.get_seed(None))
    together = [s for part in drawn for s in part]
    assert len(set(together)) == len(together), "two ops got the same op seed"
    assert set(together) == set(sequence)
    for part in drawn:       # each thread's seeds in the order of the counter
        ranks = [sequence.index(s) for s in part[:50]]
        assert ranks == sorted(ranks)

    tf.random.set_seed(1234)
    again = [tf.random.get_seed(None) for _ in range(200)]
    assert again == sequence[:200]


def test_op_seeds_of_one_graph_built_from_many_threads_are_unique():
    """Threads building into one graph (a v1 default graph) each take the graph's next op
    seed: no two ops of the graph share one, and they are the graph's sequence."""
    threads, per_thread = 8, 4000
    g = tf.Graph()
    g.seed = 99

    def seed_in_graph():
        with g.as_default():
            return tf.random.get_seed(None)

    sequence = [seed_in_graph() for _ in range(threads * per_thread)]
    assert len(set(sequence)) == len(sequence)
    g = tf.Graph()
    g.seed = 99
    drawn = _hammer(threads, per_thread, seed_in_graph)
    together = [s for part in drawn for s in part]
    assert len(set(together)) == len(together), "two ops got the same op seed"
    assert set(together) == set(sequence)


def test_random_ops_in_many_threads_draw_different_numbers():
    """Eager random ops in several threads under one global seed: every draw differs
    (distinct op seeds), and rerunning one thread's calls after set_seed repeats them."""
    tf.random.set_seed(7)
    drawn = _hammer(4, 100, lambda: tf.random.uniform([4]).numpy().tobytes())
    together = [d for part in drawn for d in part]
    assert len(set(together)) == len(together)
    tf.random.set_seed(7)
    first = [tf.random.uniform([4]).numpy() for _ in range(5)]
    tf.random.set_seed(7)
    second = [tf.random.uniform([4]).numpy() for _ in range(5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_seed_argument_errors():
    with pytest.raises(TypeError, match="seed must be an integer"):
        tf.random.set_seed(1.5)
    with pytest.raises(TypeError, match="op_seed must be an integer"):
        tf.random.uniform([2], seed="a")


class _FakeGraph:
    """Stands in for a graph under construction: only its identity and ``seed`` matter."""

    def __init__(self, seed):
        self.seed = seed


def _with_graph(graph, fn):
    saved = context.graph
    context.graph = graph
    try:
        return fn()
    finally:
        context.graph = saved


def test_graph_nodes_get_per_graph_op_seeds_and_unique_keys():
    # f and g (two traced functions under set_seed(1234)) draw the same op seeds: (A1, A2)
    f_attrs = _with_graph(_FakeGraph(1234), lambda: [random_seed.seed_attrs(None)
                                                    for _ in range(2)])
    g_attrs = _with_graph(_FakeGraph(1234), lambda: [random_seed.seed_attrs(None)
                                                    for _ in range(2)])
    assert [(a["seed"], a["seed2"]) for a in f_attrs] == \
        [(a["seed"], a["seed2"]) for a in g_attrs]
    assert f_attrs[0]["seed2"] != f_attrs[1]["seed2"]
    keys = [a["key"] for a in f_attrs + g_attrs]
    assert len(set(keys)) == 4 and min(keys) > 0


def test_graph_node_kernels_keep_their_own_advancing_state():
    # foo(): two nodes with seed=1 give (A1, A1), then (A2, A2) on the next run
    op = get_op("RandomUniform")
    attrs = _with_graph(_FakeGraph(None), lambda: [random_seed.seed_attrs(1)
                                                  for _ in range(2)])
    shape = np.array([3], dtype=np.int32)

    def run():
        return [op.kernel(np, shape, dtype=tf.float32, **a) for a in attrs]

    a1, a1b = run()
    a2, a2b = run()
    assert same(a1, a1b) and same(a2, a2b) and not same(a1, a2)
    tf.random.set_seed(None)          # set_seed resets kernel state
    assert same(run()[0], a1)


def test_eager_op_seed_matches_first_graph_run():
    op = get_op("RandomStandardNormal")
    attrs = _with_graph(_FakeGraph(None), lambda: random_seed.seed_attrs(3))
    from_graph = op.kernel(np, np.array([4], np.int32), dtype=tf.float32, **attrs)
    assert same(tf.random.normal([4], seed=3), from_graph)


# ------------------------------------------------------------------- distributions ---

N = 200_000


def test_normal_moments():
    x = tf.random.normal([N], mean=3.0, stddev=2.0, seed=1).numpy()
    assert x.dtype == np.float32
    assert abs(x.mean() - 3.0) < 0.03 and abs(x.std() - 2.0) < 0.03


def test_uniform_range_and_mean():
    x = tf.random.uniform([N], minval=-2.0, maxval=6.0, seed=1).numpy()
    assert x.dtype == np.float32
    assert x.min() >= -2.0 and x.max() < 6.0
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.var() - 64 / 12) < 0.1


def test_uniform_default_bounds():
    x = tf.random.uniform([N], seed=2).numpy()
    assert x.min() >= 0 and x.max() < 1 and abs(x.mean() - 0.5) < 0.01


def test_truncated_normal_within_two_stddev():
    x = tf.random.truncated_normal([N], mean=1.0, stddev=3.0, seed=1).numpy()
    assert np.all(np.abs(x - 1.0) <= 6.0 + 1e-5)
    assert abs(x.mean() - 1.0) < 0.05
    # std of a standard normal truncated to [-2, 2] is about 0.8796
    assert abs(x.std() / 3.0 - 0.8796) < 0.01


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.uint32, tf.uint64])
def test_uniform_int_range_covers_all_values(dtype):
    x = tf.random.uniform([20_000], minval=3, maxval=10, dtype=dtype, seed=4).numpy()
    assert x.dtype == dtype.np
    assert set(np.unique(x).tolist()) == set(range(3, 10))
    counts = np.bincount(x.astype(np.int64) - 3)
    assert counts.min() > 2500


def test_uniform_int_negative_bounds():
    x = tf.random.uniform([5000], minval=-5, maxval=-2, dtype=tf.int64, seed=1).numpy()
    assert set(np.unique(x).tolist()) == {-5, -4, -3}


def test_categorical_frequencies():
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], dtype=np.float32) + 1e-30)
    logits[1, 1] = -np.inf
    s = tf.random.categorical(logits, 50_000, seed=1).numpy()
    assert s.shape == (2, 50_000) and s.dtype == np.int64
    f0 = np.bincount(s[0], minlength=3) / 50_000
    f1 = np.bincount(s[1], minlength=3) / 50_000
    np.testing.assert_allclose(f0, [0.1, 0.2, 0.7], atol=0.01)
    assert f1[1] == 0
    np.testing.assert_allclose(f1, [0.5, 0.0, 0.5], atol=0.01)


def test_categorical_unnormalized_logits_and_many_rows():
    logits = np.tile(np.array([[5.0, 5.0 + np.log(3.0)]]), (300, 1))
    s = tf.random.categorical(logits, 200, dtype=tf.int32, seed=2).numpy()
    assert s.dtype == np.int32 and s.shape == (300, 200)
    assert abs(s.mean() - 0.75) < 0.01
    assert s.min() >= 0 and s.max() <= 1


def test_categorical_zero_probability_edges():
    logits = np.array([[-np.inf, 0.0, -np.inf], [0.0, -np.inf, -np.inf],
                       [-np.inf, -np.inf, 0.0]], dtype=np.float32)
    s = tf.random.categorical(logits, 1000, seed=3).numpy()
    assert np.all(s == np.array([[1], [0], [2]]))


def test_categorical_empty():
    assert tf.random.categorical(np.zeros((0, 3), np.float32), 4).shape == [0, 4]
    assert tf.random.categorical(np.zeros((2, 3), np.float32), 0).shape == [2, 0]


def test_gamma_and_poisson_moments():
    g = tf.random.gamma([50_000], alpha=[0.5, 4.0], beta=[1.0, 2.0], seed=1).numpy()
    assert g.shape == (50_000, 2) and g.dtype == np.float32 and np.all(g > 0)
    np.testing.assert_allclose(g.mean(axis=0), [0.5, 2.0], rtol=0.03)
    p = tf.random.poisson([50_000], lam=[1.0, 6.0], seed=1).numpy()
    assert p.shape == (50_000, 2) and p.dtype == np.float32
    np.testing.assert_allclose(p.mean(axis=0), [1.0, 6.0], rtol=0.03)
    assert np.all(p == np.round(p))
    pi = tf.random.poisson([10], lam=3.0, dtype=tf.int64, seed=1)
    assert pi.dtype == tf.int64 and pi.shape == [10]


def test_gamma_beta_broadcasts():
    g = tf.random.gamma([7, 2], alpha=[[1.0], [2.0]], beta=[1.0, 2.0, 3.0], seed=1)
    assert g.shape == [7, 2, 2, 3]


def test_shuffle_permutes_rows():
    v = np.arange(20, dtype=np.int32).reshape(10, 2)
    s = tf.random.shuffle(v, seed=1).numpy()
    assert s.dtype == np.int32 and s.shape == (10, 2)
    assert sorted(s[:, 0].tolist()) == list(range(0, 20, 2))
    np.testing.assert_array_equal(s[:, 1], s[:, 0] + 1)      # rows stay intact
    assert not same(s, v) or not same(tf.random.shuffle(v, seed=1), v)
    assert tf.random.shuffle(tf.constant(3.0)).numpy() == 3.0
    assert tf.random.shuffle(np.zeros((0, 2), np.float32)).shape == [0, 2]


def test_shuffle_reproducible():
    tf.random.set_seed(7)
    a = tf.random.shuffle(np.arange(50))
    tf.random.set_seed(7)
    assert same(tf.random.shuffle(np.arange(50)), a)


# --------------------------------------------------------------------------- dtypes ---

FLOATS = [tf.float16, tf.bfloat16, tf.float32, tf.float64]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", [
    lambda s, d: tf.random.normal(s, dtype=d, seed=1),
    lambda s, d: tf.random.normal(s, mean=1.0, stddev=2.0, dtype=d, seed=1),
    lambda s, d: tf.random.uniform(s, dtype=d, seed=1),
    lambda s, d: tf.random.uniform(s, minval=-1.0, maxval=2.0, dtype=d, seed=1),
    lambda s, d: tf.random.truncated_normal(s, dtype=d, seed=1),
    lambda s, d: tf.random.stateless_normal(s, seed=[1, 2], dtype=d),
    lambda s, d: tf.random.stateless_uniform(s, seed=[1, 2], dtype=d),
    lambda s, d: tf.random.Generator.from_seed(1).normal(s, dtype=d),
    lambda s, d: tf.random.Generator.from_seed(1).uniform(s, dtype=d),
], ids=["normal", "normal_ms", "uniform", "uniform_ab", "truncated", "stateless_normal",
        "stateless_uniform", "gen_normal", "gen_uniform"])
def test_float_dtypes(fn, dtype):
    x = fn([4, 3], dtype)
    assert x.dtype is dtype and x.shape == [4, 3]
    assert np.all(np.isfinite(np.asarray(x.numpy(), dtype=np.float32)))


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_narrow_float_uniform_never_reaches_one(dtype):
    x = np.asarray(tf.random.uniform([50_000], dtype=dtype, seed=3).numpy(), np.float32)
    assert x.min() >= 0 and x.max() < 1 and len(np.unique(x)) > 100


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_gamma_poisson_dtypes(dtype):
    assert tf.random.gamma([3], 2.0, dtype=dtype, seed=1).dtype is dtype
    assert tf.random.poisson([3], 2.0, dtype=dtype, seed=1).dtype is dtype


def test_python_float_parameters_do_not_leak_float64():
    x = tf.random.normal([3], mean=np.float64(1.0), stddev=2.5, seed=1)
    assert x.dtype is tf.float32
    y = tf.random.uniform([3], minval=np.float64(-1), maxval=3, seed=1)
    assert y.dtype is tf.float32


# ---------------------------------------------------------------------------- shapes ---

@pytest.mark.parametrize("shape, want", [
    ([2, 3], [2, 3]),
    ((2, 3), [2, 3]),
    (tf.TensorShape([4]), [4]),
    (tf.constant([3, 1], dtype=tf.int32), [3, 1]),
    (tf.constant([3, 1], dtype=tf.int64), [3, 1]),
    (np.array([2, 2]), [2, 2]),
    (5, [5]),
    ([], []),
    ([0, 3], [0, 3]),
])
def test_shape_arguments(shape, want):
    for x in (tf.random.normal(shape), tf.random.uniform(shape),
              tf.random.uniform(shape, maxval=4, dtype=tf.int32),
              tf.random.truncated_normal(shape),
              tf.random.stateless_uniform(shape, seed=[1, 1])):
        assert x.shape.as_list() == want


# ---------------------------------------------------------------------------- errors ---

@pytest.mark.parametrize("fn, exc, match", [
    (lambda: tf.random.normal([2], dtype=tf.int32), ValueError, "floating point"),
    (lambda: tf.random.truncated_normal([2], dtype=tf.int64), ValueError, "floating point"),
    (lambda: tf.random.uniform([2], dtype=tf.int32), ValueError, "Must specify maxval"),
    (lambda: tf.random.uniform([2], dtype=tf.bool), ValueError, "invalid value bool"),
    (lambda: tf.random.uniform([2], minval=5, maxval=3, dtype=tf.int32),
     tf.errors.InvalidArgumentError, "Need minval < maxval: 5 >= 3"),
    (lambda: tf.random.uniform([2], minval=[0, 1], maxval=3, dtype=tf.int32),
     tf.errors.InvalidArgumentError, "minval must be 0-D"),
    (lambda: tf.random.normal([2, -1]), tf.errors.InvalidArgumentError,
     "Dimension -1 must be >= 0"),
    (lambda: tf.random.normal(tf.constant([[2, 3]])), tf.errors.InvalidArgumentError,
     "shape must be a vector"),
    (lambda: tf.random.categorical([1.0, 2.0], 3), tf.errors.InvalidArgumentError,
     "logits should be a matrix"),
    (lambda: tf.random.categorical([[1.0, 2.0]], -1), tf.errors.InvalidArgumentError,
     "num_samples should be nonnegative"),
    (lambda: tf.random.categorical([[1.0]], 2, dtype=tf.float32), ValueError,
     "int32 or int64"),
    (lambda: tf.random.stateless_normal([2], seed=[1, 2, 3]), ValueError,
     r"seed must have shape \[2\]"),
    (lambda: tf.random.stateless_normal([2], seed=[1.0, 2.0]), TypeError, "int32 or int64"),
    (lambda: tf.random.stateless_uniform([2], seed=[1, 2], dtype=tf.int32), ValueError,
     "both None"),
    (lambda: tf.random.stateless_normal([2], seed=[1, 2], alg="threefry"), ValueError,
     "unsupported algorithm"),
    (lambda: tf.random.gamma([2], 1.0, dtype=tf.int32), ValueError, "float16, float32"),
    (lambda: tf.random.Generator(), ValueError, "state is required"),
    (lambda: tf.random.Generator(state=[1, 2]), ValueError, "3 integers"),
    (lambda: tf.random.Generator.from_seed(1.5), TypeError, "seed must be an int"),
    (lambda: tf.random.Generator.from_seed(1).uniform([2], maxval=3, minval=None,
                                                       dtype=tf.int32),
     ValueError, "both None"),
    (lambda: tf.random.Generator.from_seed(1).uniform_full_int([2], dtype=tf.float32),
     ValueError, "uniform_full_int"),
    (lambda: tf.random.set_global_generator(3), TypeError, "random.Generator"),
])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_op_infer_checks_dtype_and_seed_shape():
    from ember.framework.op import Spec
    with pytest.raises(tf.errors.InvalidArgumentError, match="RandomUniform: dtype"):
        get_op("RandomUniform").infer([Spec([1], tf.int32, np.array([2]))], dtype=tf.int32,
                                      seed=0, seed2=0, key=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
        get_op("StatelessRandomNormal").infer([Spec([1], tf.int32), Spec([3], tf.int64)],
                                              dtype=tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape must be a vector"):
        get_op("RandomStandardNormal").infer([Spec([1], tf.float32)], dtype=tf.float32,
                                             seed=0, seed2=0, key=0)


# --------------------------------------------------------------------- gradients -----

def test_gradients_reach_mean_stddev_and_bounds():
    mean, stddev = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        x = tf.random.normal([50], mean=mean, stddev=stddev, seed=1)
        y = tf.reduce_sum(x)
    dm, ds = tape.gradient(y, [mean, stddev])
    z = (x.numpy() - 1.0) / 2.0
    np.testing.assert_allclose(dm.numpy(), 50.0)
    np.testing.assert_allclose(ds.numpy(), z.sum(), rtol=1e-5, atol=1e-5)

    lo, hi = tf.Variable(-1.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        u = tf.random.uniform([40], minval=lo, maxval=hi, seed=1)
        y = tf.reduce_sum(u)
    dlo, dhi = tape.gradient(y, [lo, hi])
    r = (u.numpy() + 1.0) / 4.0
    np.testing.assert_allclose(dhi.numpy(), r.sum(), rtol=1e-5)
    np.testing.assert_allclose(dlo.numpy(), (1 - r).sum(), rtol=1e-5)


# ---------------------------------------------------------------------- stateless ---

def test_stateless_is_a_pure_function_of_seed():
    a = tf.random.stateless_normal([5], seed=[1, 2])
    tf.random.set_seed(99)
    tf.random.normal([3])
    assert same(tf.random.stateless_normal([5], seed=[1, 2]), a)
    assert same(tf.random.stateless_normal([5], seed=tf.constant([1, 2], tf.int64)), a)
    assert not same(tf.random.stateless_normal([5], seed=[1, 3]), a)
    assert not same(tf.random.stateless_normal([5], seed=[2, 2]), a)


def test_stateless_uniform_bounds_and_ints():
    x = tf.random.stateless_uniform([N], seed=[3, 4], minval=2.0, maxval=4.0).numpy()
    assert x.min() >= 2 and x.max() < 4 and abs(x.mean() - 3) < 0.01
    i = tf.random.stateless_uniform([1000], seed=[3, 4], minval=0, maxval=3, dtype=tf.int64)
    assert i.dtype is tf.int64 and set(np.unique(i.numpy()).tolist()) == {0, 1, 2}
    full = tf.random.stateless_uniform([1000], seed=[3, 4], minval=None, maxval=None,
                                       dtype=tf.int32).numpy()
    assert full.dtype == np.int32 and full.min() < -2 ** 30 and full.max() > 2 ** 30


def test_stateless_truncated_and_categorical():
    t = tf.random.stateless_truncated_normal([N], seed=[5, 6]).numpy()
    assert np.abs(t).max() <= 2.0
    c1 = tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 20, seed=[1, 1])
    c2 = tf.random.stateless_categorical([[0.0, 0.0, 0.0]], 20, seed=[1, 1])
    assert same(c1, c2) and c1.dtype is tf.int64


def test_stateless_split_and_fold_in():
    s = tf.random.experimental.stateless_split([1, 2], num=3)
    assert s.shape == [3, 2] and s.dtype is tf.int32     # the seed's dtype, as in TensorFlow
    assert same(s, tf.random.experimental.stateless_split([1, 2], num=3))
    assert len({tuple(r) for r in s.numpy().tolist()}) == 3
    f = tf.random.experimental.stateless_fold_in([1, 2], 5)
    assert f.shape == [2] and same(f, tf.random.experimental.stateless_fold_in([1, 2], 5))
    assert not same(f, tf.random.experimental.stateless_fold_in([1, 2], 6))
    a = tf.random.stateless_normal([3], seed=s[0])
    assert not same(a, tf.random.stateless_normal([3], seed=s[1]))


# ---------------------------------------------------------------------- Generator ---

def test_generator_from_seed_reproducible():
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    a, b = g1.normal([4]), g2.normal([4])
    assert same(a, b)
    assert not same(g1.normal([4]), a)                   # the state advances
    assert not same(tf.random.Generator.from_seed(2).normal([4]), a)
    tf.random.set_seed(5)                                 # independent of the global seed
    assert same(tf.random.Generator.from_seed(1).normal([4]), a)


def test_generator_state_round_trip():
    g = tf.random.Generator.from_seed(3)
    s0 = g.state.numpy()
    assert s0.dtype == np.int64 and s0.shape == (3,)
    first = g.uniform([5])
    s1 = g.state.numpy()
    assert not same(s0, s1)
    second = g.uniform([5])
    g.reset(s1)
    assert same(g.uniform([5]), second)
    g.reset_from_seed(3)
    assert same(g.uniform([5]), first)
    h = tf.random.Generator.from_state(s1, alg="philox")
    assert same(h.uniform([5]), second)
    c = tf.random.Generator(copy_from=g)
    assert same(c.normal([3]), g.normal([3]))


def test_generator_methods():
    g = tf.random.Generator.from_seed(11)
    x = g.normal([N], mean=2.0, stddev=0.5).numpy()
    assert abs(x.mean() - 2) < 0.01 and abs(x.std() - 0.5) < 0.01
    t = g.truncated_normal([N]).numpy()
    assert np.abs(t).max() <= 2
    u = g.uniform([1000], minval=5, maxval=8, dtype=tf.int32).numpy()
    assert u.dtype == np.int32 and set(np.unique(u).tolist()) == {5, 6, 7}
    f = g.uniform([10], minval=None, maxval=None, dtype=tf.int64)
    assert f.dtype is tf.int64
    full = g.uniform_full_int([4])
    assert full.dtype is tf.uint64
    seeds = g.make_seeds(3)
    assert seeds.shape == [2, 3] and seeds.dtype is tf.int64
    assert tf.random.stateless_normal([2], seed=seeds[:, 0]).shape == [2]
    assert g.algorithm == tf.random.Algorithm.PHILOX.value


def test_generator_split():
    g = tf.random.Generator.from_seed(1)
    kids = g.split(3)
    draws = [k.normal([4]) for k in kids]
    assert not same(draws[0], draws[1]) and not same(draws[1], draws[2])
    again = tf.random.Generator.from_seed(1).split(3)
    assert all(same(k.normal([4]), d) for k, d in zip(again, draws))
    assert not same(g.normal([4]), tf.random.Generator.from_seed(1).normal([4]))


def test_generator_non_deterministic_and_global():
    a = tf.random.Generator.from_non_deterministic_state().normal([4])
    b = tf.random.Generator.from_non_deterministic_state().normal([4])
    assert not same(a, b)
    g = tf.random.get_global_generator()
    assert g is tf.random.get_global_generator()
    mine = tf.random.Generator.from_seed(42)
    tf.random.set_global_generator(mine)
    try:
        assert tf.random.get_global_generator() is mine
        assert tf.random.experimental.get_global_generator() is mine
    finally:
        tf.random.set_global_generator(g)


def test_generator_kernel_advances_on_every_run():
    g = tf.random.Generator.from_seed(4)
    op = get_op("StatefulStandardNormalV2")
    shape = np.array([3], np.int32)
    r1 = op.kernel(np, shape, dtype=tf.float32, generator=g._id)
    r2 = op.kernel(np, shape, dtype=tf.float32, generator=g._id)
    assert not same(r1, r2)
    assert same(tf.random.Generator.from_seed(4).normal([3]), r1)


# ------------------------------------------------------------------------- dropout ---

def test_dropout_scales_and_masks():
    x = tf.constant(np.arange(1, 20_001, dtype=np.float32))
    y = tf.nn.dropout(x, rate=0.25, seed=1).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_dropout_dtypes(dtype):
    y = tf.nn.dropout(tf.ones([1000], dtype=dtype), rate=0.5, seed=2)
    assert y.dtype is dtype
    vals = set(np.asarray(y.numpy(), np.float32).tolist())
    assert vals == {0.0, 2.0}


def test_dropout_rate_zero_returns_x():
    x = tf.constant([1.0, 2.0])
    assert tf.nn.dropout(x, 0.0) is x
    assert tf.nn.dropout(x, 0) is x


def test_dropout_rate_tensor():
    y = tf.nn.dropout(tf.ones([4000]), rate=tf.constant(0.8), seed=3).numpy()
    assert set(np.round(y, 4).tolist()) <= {0.0, 5.0}
    assert abs((y != 0).mean() - 0.2) < 0.03


def test_dropout_noise_shape_broadcasts_mask():
    x = tf.ones([50, 6])
    y = tf.nn.dropout(x, rate=0.5, noise_shape=[50, 1], seed=1).numpy()
    assert y.shape == (50, 6)
    assert np.all((y == 0).all(axis=1) | (y == 2).all(axis=1))      # whole rows
    assert 0 < (y[:, 0] == 0).sum() < 50
    z = tf.nn.dropout(x, rate=0.5, noise_shape=[None, 1], seed=1).numpy()
    assert np.all((z == 0).all(axis=1) | (z == 2).all(axis=1))
    w = tf.nn.dropout(x, rate=0.5, noise_shape=[1, None], seed=1).numpy()
    assert np.all((w == 0).all(axis=0) | (w == 2).all(axis=0))      # whole columns


def test_dropout_reproducible_under_seeds():
    x = tf.ones([100])
    tf.random.set_seed(3)
    a = tf.nn.dropout(x, 0.5)
    b = tf.nn.dropout(x, 0.5)
    tf.random.set_seed(3)
    assert same(tf.nn.dropout(x, 0.5), a) and same(tf.nn.dropout(x, 0.5), b)
    assert not same(a, b)


def test_dropout_gradient_flows_through_kept_elements():
    x = tf.Variable(np.linspace(-1, 1, 300).astype(np.float32))
    w = tf.constant(np.linspace(1, 2, 300).astype(np.float32))
    with tf.GradientTape() as tape:
        y = tf.nn.dropout(x, rate=0.4, seed=5)
        loss = tf.reduce_sum(y * w)
    g = tape.gradient(loss, x).numpy()
    kept = (y.numpy() != 0) | (x.numpy() == 0)
    np.testing.assert_allclose(g, np.where(kept, w.numpy() / 0.6, 0.0), rtol=1e-6)
    assert g.dtype == np.float32


def test_dropout_second_order():
    x = tf.Variable([0.5, -1.0, 2.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.nn.dropout(x, 0.5, seed=1) * x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x).numpy()
    # y = sum(mask * 2 * x**2): g = 4 * mask * x and the second derivative is 4 * mask
    np.testing.assert_allclose(g.numpy(), h * x.numpy(), rtol=1e-6)
    assert set(h.tolist()) <= {0.0, 4.0}


@pytest.mark.parametrize("fn, match", [
    (lambda: tf.nn.dropout(tf.ones([3]), 1.0), r"dropout: rate must be .*\[0, 1\), got 1"),
    (lambda: tf.nn.dropout(tf.ones([3]), -0.1), r"dropout: rate must be .*got -0.1"),
    (lambda: tf.nn.dropout(tf.ones([3]), tf.constant(1.5)), "dropout: rate must be"),
    (lambda: tf.nn.dropout(tf.ones([3]), tf.constant([0.1, 0.2])), "dropout: rate must be"),
    (lambda: tf.nn.dropout(tf.constant([1, 2]), 0.5), "dropout: x has to be a floating"),
    (lambda: tf.nn.dropout(tf.ones([3, 4]), 0.5, noise_shape=[3, 2]),
     r"dropout: noise_shape \[3, 2\] is not broadcastable"),
    (lambda: tf.nn.dropout(tf.ones([3, 4]), 0.5, noise_shape=[4]),
     r"dropout: noise_shape \[4\]"),
])
def test_dropout_errors(fn, match):
    with pytest.raises(ValueError, match=match):
        fn()


def test_auto_seeded_eager_calls_keep_no_generators():
    tf.random.set_seed(1)
    for _ in range(20):
        tf.nn.dropout(tf.ones([4]), 0.5)
        tf.random.normal([2])
    assert len(settings.rng_cache) == 0
    tf.random.normal([2], seed=3)
    tf.random.normal([2], seed=3)
    assert len(settings.rng_cache) == 1


def test_experimental_namespace_imports():
    from ember.random.experimental import Generator, stateless_split
    assert Generator is tf.random.Generator
    assert stateless_split([0, 0]).shape == [2, 2]


@pytest.mark.parametrize("shape", [(8, 3, 4, 2), (5, 6), (4, 3)])
def test_uniform_blocks_draw_what_one_draw_gives(shape):
    """UniformBlocks: blocks of items drawn in any order are the numbers one RandomUniform
    draw of the whole shape gives, and afterwards the node's generator is where that draw
    leaves it (the next draw matches too), also after an odd draw and with an odd count
    per item (blocks starting in the middle of a 64-bit word)."""
    from ember.ops.random_ops import RANDOM_UNIFORM, UniformBlocks
    attrs = dict(dtype=tf.float32, seed=5, seed2=7, key=424242)
    dims = np.array(shape)

    def reference(first=0):
        settings.rng_cache.clear()
        if first:
            RANDOM_UNIFORM.kernel(np, np.array([first]), **attrs)
        return [RANDOM_UNIFORM.kernel(np, dims, **attrs) for _ in range(2)]

    for first in (0, 1):                    # 1: an odd draw first leaves half a step
        want = reference(first)
        settings.rng_cache.clear()
        if first:
            RANDOM_UNIFORM.kernel(np, np.array([first]), **attrs)
        blocks = UniformBlocks(attrs, shape)
        assert blocks.whole is None             # PCG64 advances: drawn block by block
        n = shape[0]
        spans = [(s, min(s + 3, n)) for s in range(0, n, 3)][::-1]     # last block first
        parts = {s: blocks.block(s, e) for s, e in spans}
        blocks.finish()
        got = np.concatenate([parts[s] for s in sorted(parts)])
        np.testing.assert_array_equal(got, want[0])
        np.testing.assert_array_equal(RANDOM_UNIFORM.kernel(np, dims, **attrs), want[1])
    settings.rng_cache.clear()
