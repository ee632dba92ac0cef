"""ember.nn ops: activations, softmax, cross-entropies, bias_add, moments, embedding_lookup."""
import math

import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError
from tests.ops.optest import check_forward, check_gradient, check_second_order

# ------------------------------------------------------------------ NumPy references ---

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def np_log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis))


def np_sigmoid_xent(z, x):
    # -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), via softplus for stability
    return z * np_softplus(-x) + (1 - z) * np_softplus(x)


def np_sparse_xent(labels, logits):
    lsm = np_log_softmax(logits)
    return -np.take_along_axis(lsm, labels[..., None], axis=-1)[..., 0]


def in_dtype(np_fn):
    """Reference computed in float64, returned in the first argument's dtype."""
    def run(*arrays):
        out = np_fn(*[a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays])
        if isinstance(out, tuple):
            return tuple(o.astype(arrays[0].dtype) for o in out)
        return np.asarray(out).astype(arrays[0].dtype)
    return run


def f32(*shape, seed=0, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def f64(*shape, seed=0, scale=2.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def away_from(x, points, gap=0.1):
    """x nudged so no entry is within ``gap`` of a kink."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap) * 2
    return x


# ------------------------------------------------------------------------- forward ---

ONE_HOT_23 = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
BIG = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])

FORWARD = [
    ("relu", tf.nn.relu, lambda x: np.maximum(x, 0), [f32(3, 4)]),
    ("relu_int", tf.nn.relu, lambda x: np.maximum(x, 0), [np.array([-3, 0, 5], np.int32)]),
    ("relu_empty", tf.nn.relu, lambda x: np.maximum(x, 0), [np.zeros((0, 3), np.float32)]),
    ("relu_scalar", tf.nn.relu, lambda x: np.maximum(x, 0), [np.float32(-2.0)]),
    ("relu6", tf.nn.relu6, in_dtype(lambda x: np.clip(x, 0, 6)), [f32(3, 4, scale=5)]),
    ("relu6_f64", tf.nn.relu6, in_dtype(lambda x: np.clip(x, 0, 6)), [f64(5, scale=5)]),
    ("leaky_relu", tf.nn.leaky_relu, in_dtype(lambda x: np.where(x > 0, x, 0.2 * x)),
     [f32(2, 5)]),
    ("leaky_relu_alpha", lambda x: tf.nn.leaky_relu(x, alpha=0.01),
     in_dtype(lambda x: np.where(x > 0, x, 0.01 * x)), [f64(6)]),
    ("elu", tf.nn.elu, in_dtype(np_elu), [f32(3, 4)]),
    ("elu_large", tf.nn.elu, in_dtype(np_elu), [np.array([-1e4, 1e4, 80.0, -80.0], np.float32)]),
    ("selu", tf.nn.selu, in_dtype(lambda x: SELU_SCALE * np.where(
        x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))), [f32(3, 4)]),
    ("gelu", tf.nn.gelu, in_dtype(lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
     [f32(3, 4)]),
    ("gelu_approx", lambda x: tf.nn.gelu(x, approximate=True),
     in_dtype(lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
     [f64(3, 4)]),
    ("softplus", tf.nn.softplus, in_dtype(np_softplus), [f32(3, 4)]),
    ("softplus_large", tf.nn.softplus, in_dtype(np_softplus),
     [np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)]),
    ("softsign", tf.nn.softsign, in_dtype(lambda x: x / (1 + np.abs(x))), [f32(3, 4)]),
    ("silu", tf.nn.silu, in_dtype(lambda x: x * np_sigmoid(x)), [f32(3, 4)]),
    ("swish_beta", lambda x: tf.nn.swish(x, beta=2.5),
     in_dtype(lambda x: x * np_sigmoid(2.5 * x)), [f32(7)]),
    ("crelu", tf.nn.crelu, in_dtype(lambda x: np.concatenate(
        [np.maximum(x, 0), np.maximum(-x, 0)], -1)), [f32(2, 3)]),
    ("crelu_axis0", lambda x: tf.nn.crelu(x, axis=0), in_dtype(lambda x: np.concatenate(
        [np.maximum(x, 0), np.maximum(-x, 0)], 0)), [f32(2, 3)]),
    ("softmax", tf.nn.softmax, in_dtype(np_softmax), [f32(3, 5)]),
    ("softmax_axis0", lambda x: tf.nn.softmax(x, axis=0), in_dtype(lambda x: np_softmax(x, 0)),
     [f32(3, 5)]),
    ("softmax_axis_neg2", lambda x: tf.nn.softmax(x, axis=-2),
     in_dtype(lambda x: np_softmax(x, -2)), [f64(2, 3, 4)]),
    ("softmax_1d", tf.nn.softmax, in_dtype(np_softmax), [f32(6)]),
    ("softmax_huge", tf.nn.softmax, in_dtype(np_softmax), [BIG.astype(np.float32)]),
    ("softmax_empty", tf.nn.softmax, lambda x: x.copy(), [np.zeros((0, 3), np.float32)]),
    ("softmax_empty_classes", tf.nn.softmax, lambda x: x.copy(), [np.zeros((2, 0), np.float32)]),
    ("log_softmax", tf.nn.log_softmax, in_dtype(np_log_softmax), [f32(3, 5)]),
    ("log_softmax_axis0", lambda x: tf.nn.log_softmax(x, axis=0),
     in_dtype(lambda x: np_log_softmax(x, 0)), [f64(3, 5)]),
    ("log_softmax_huge", tf.nn.log_softmax, in_dtype(np_log_softmax), [BIG.astype(np.float32)]),
    ("l2_normalize_all", tf.nn.l2_normalize, in_dtype(lambda x: x / np.sqrt(np.sum(x * x))),
     [f32(3, 4)]),
    ("l2_normalize_axis", lambda x: tf.nn.l2_normalize(x, axis=-1),
     in_dtype(lambda x: x / np.sqrt(np.sum(x * x, -1, keepdims=True))), [f32(3, 4)]),
    ("l2_normalize_zero", lambda x: tf.nn.l2_normalize(x, axis=1),
     lambda x: np.zeros_like(x), [np.zeros((2, 3), np.float32)]),
    ("moments", lambda x: tf.nn.moments(x, axes=[0]),
     in_dtype(lambda x: (x.mean(0), x.var(0))), [f32(5, 3)]),
    ("moments_keepdims", lambda x: tf.nn.moments(x, axes=[0, 2], keepdims=True),
     in_dtype(lambda x: (x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True))),
     [f64(2, 3, 4)]),
    ("moments_neg_axis", lambda x: tf.nn.moments(x, axes=[-1]),
     in_dtype(lambda x: (x.mean(-1), x.var(-1))), [f32(4, 6)]),
    ("bias_add", tf.nn.bias_add, lambda v, b: v + b, [f32(2, 3), f32(3, seed=1)]),
    ("bias_add_nhwc", tf.nn.bias_add, lambda v, b: v + b, [f32(2, 2, 2, 3), f32(3, seed=1)]),
    ("bias_add_nchw", lambda v, b: tf.nn.bias_add(v, b, data_format="NCHW"),
     lambda v, b: v + b.reshape(3, 1, 1), [f32(2, 3, 2, 2), f32(3, seed=1)]),
    ("bias_add_ncw", lambda v, b: tf.nn.bias_add(v, b, data_format="NCW"),
     lambda v, b: v + b.reshape(3, 1), [f64(2, 3, 4), f64(3, seed=1)]),
    ("bias_add_int", tf.nn.bias_add, lambda v, b: v + b,
     [np.arange(6, dtype=np.int32).reshape(2, 3), np.array([1, 2, 3], np.int32)]),
    ("sigmoid_xent", lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
     in_dtype(np_sigmoid_xent), [np.array([0.0, 1.0, 0.3, 1.0], np.float32),
                                 np.array([-1.5, 0.0, 2.0, 4.0], np.float32)]),
    ("sigmoid_xent_huge",
     lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
     in_dtype(np_sigmoid_xent), [np.array([0.0, 1.0, 1.0, 0.0], np.float32),
                                 np.array([1000.0, -1000.0, 1000.0, -1000.0], np.float32)]),
    ("weighted_xent", lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 3.0),
     in_dtype(lambda z, x: 3.0 * z * np_softplus(-x) + (1 - z) * np_softplus(x)),
     [np.array([0.0, 1.0, 0.5], np.float32), np.array([-2.0, 0.5, 1000.0], np.float32)]),
    ("weighted_xent_vector_weight",
     lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, tf.constant([1.0, 2.0, 4.0])),
     in_dtype(lambda z, x: np.array([1.0, 2.0, 4.0]) * z * np_softplus(-x)
              + (1 - z) * np_softplus(x)),
     [np.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.0]], np.float32), f32(2, 3)]),
    ("softmax_xent", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     in_dtype(lambda z, x: -np.sum(z * np_log_softmax(x), -1)),
     [ONE_HOT_23.astype(np.float32), f32(2, 3)]),
    ("softmax_xent_huge", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     in_dtype(lambda z, x: -np.sum(z * np_log_softmax(x), -1)),
     [ONE_HOT_23.astype(np.float32), BIG.astype(np.float32)]),
    ("softmax_xent_axis0", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x, axis=0),
     in_dtype(lambda z, x: -np.sum(z * np_log_softmax(x, 0), 0)),
     [ONE_HOT_23.T.copy(), f64(3, 2)]),
    ("softmax_xent_broadcast_labels",
     lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     in_dtype(lambda z, x: -np.sum(z * np_log_softmax(x), -1)),
     [np.array([[0.1, 0.2, 0.7]], np.float32), f32(4, 3)]),
    ("softmax_xent_3d", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     in_dtype(lambda z, x: -np.sum(z * np_log_softmax(x), -1)),
     [np_softmax(f64(2, 2, 3, seed=3)).astype(np.float32), f32(2, 2, 3)]),
    ("softmax_xent_empty", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     lambda z, x: np.zeros((0,), np.float32), [np.zeros((0, 3), np.float32)] * 2),
    ("log_poisson", lambda t, x: tf.nn.log_poisson_loss(t, x),
     in_dtype(lambda t, x: np.exp(x) - x * t), [np.array([0.0, 1.0, 3.0], np.float32),
                                                 np.array([0.5, -1.0, 1.2], np.float32)]),
    ("log_poisson_full", lambda t, x: tf.nn.log_poisson_loss(t, x, compute_full_loss=True),
     in_dtype(lambda t, x: np.exp(x) - x * t + np.where(
         t > 1, t * np.log(np.maximum(t, 1)) - t + 0.5 * np.log(2 * np.pi * np.maximum(t, 1)),
         0.0)),
     [np.array([0.0, 1.0, 3.0, 7.5], np.float32), np.array([0.5, -1.0, 1.2, 2.0], np.float32)]),
]


@pytest.mark.parametrize("name,fn,np_fn,args", FORWARD, ids=[c[0] for c in FORWARD])
def test_forward(name, fn, np_fn, args):
    dtype = args[0].dtype if args[0].dtype.kind == "f" else args[-1].dtype
    tol = 1e-5 if dtype == np.float32 else 1e-10
    check_forward(fn, np_fn, args, rtol=tol, atol=tol, dtype=dtype)


SPARSE_FORWARD = [
    ("basic", np.array([0, 2], np.int32), f32(2, 3)),
    ("int64", np.array([1, 1, 0], np.int64), f64(3, 4)),
    ("huge", np.array([1, 0], np.int32), BIG.astype(np.float32)),
    ("rank3", np.array([[0, 1], [2, 2]], np.int32), f32(2, 2, 3)),
    ("1d", np.array(2, np.int32), f32(4)),
    ("empty_batch", np.zeros((0,), np.int32), np.zeros((0, 5), np.float32)),
]


@pytest.mark.parametrize("name,labels,logits", SPARSE_FORWARD, ids=[c[0] for c in SPARSE_FORWARD])
def test_sparse_softmax_xent_forward(name, labels, logits):
    got = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    want = np_sparse_xent(labels, logits.astype(np.float64)) if logits.size else \
        np.zeros(labels.shape)
    assert got.dtype == tf.as_dtype(logits.dtype)
    assert got.shape == labels.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


HALF_PRECISION = [
    ("softmax", tf.nn.softmax),
    ("log_softmax", tf.nn.log_softmax),
    ("relu", tf.nn.relu),
    ("elu", tf.nn.elu),
    ("softplus", tf.nn.softplus),
    ("gelu", tf.nn.gelu),
    ("moments_mean", lambda x: tf.nn.moments(x, [0])[0]),
    ("sigmoid_xent", lambda x: tf.nn.sigmoid_cross_entropy_with_logits(x, x)),
    ("softmax_xent", lambda x: tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(x), x)),
]


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
@pytest.mark.parametrize("name,fn", HALF_PRECISION, ids=[c[0] for c in HALF_PRECISION])
def test_half_precision_stays_half(name, fn, dtype):
    x = tf.cast(tf.constant([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]]), dtype)
    out = fn(x)
    assert out.dtype == dtype
    assert np.all(np.isfinite(np.asarray(tf.cast(out, tf.float32))))


def test_huge_logits_stay_finite_with_exact_values():
    logits = tf.constant([[1000.0, -1000.0], [-1000.0, 1000.0]])
    labels = tf.constant([[0.0, 1.0], [0.0, 1.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([logits, labels])
        dense = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 1], logits=logits)
        sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    np.testing.assert_allclose(dense.numpy(), [2000.0, 0.0])
    np.testing.assert_allclose(sparse.numpy(), [2000.0, 0.0])
    np.testing.assert_allclose(sig.numpy(), [[1000.0, 1000.0], [0.0, 0.0]])
    want = np.array([[1.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(tape.gradient(dense, logits).numpy(), want)
    np.testing.assert_allclose(tape.gradient(sparse, logits).numpy(), want)
    np.testing.assert_allclose(tape.gradient(sig, logits).numpy(), [[1.0, -1.0], [0.0, 0.0]])
    d_labels = tape.gradient(dense, labels).numpy()
    np.testing.assert_allclose(d_labels, [[0.0, 2000.0], [2000.0, 0.0]])
    for g in (tape.gradient(dense, logits), tape.gradient(sig, labels), d_labels):
        assert np.all(np.isfinite(np.asarray(g)))
    del tape


def test_fused_softmax_xent_matches_raw_ops():
    rng = np.random.default_rng(1)
    logits = tf.constant(rng.standard_normal((4, 5)).astype(np.float32))
    labels = tf.constant(np_softmax(rng.standard_normal((4, 5))).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([logits, labels])
        raw = tf.reduce_sum(labels * -tf.nn.log_softmax(logits), axis=-1)
        fused = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        raw_mean, fused_mean = tf.reduce_mean(raw), tf.reduce_mean(fused)
    assert fused.dtype == tf.float32
    np.testing.assert_allclose(fused.numpy(), raw.numpy(), rtol=1e-6)
    for src in (logits, labels):
        np.testing.assert_allclose(tape.gradient(fused_mean, src).numpy(),
                                   tape.gradient(raw_mean, src).numpy(), rtol=1e-5, atol=1e-7)
    del tape


def test_sparse_matches_dense_with_one_hot():
    logits = tf.constant(f32(3, 4))
    ids = np.array([3, 0, 2])
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=logits)
    dense = tf.nn.softmax_cross_entropy_with_logits(np.eye(4, dtype=np.float32)[ids], logits)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=1e-6)


def test_softmax_rows_sum_to_one():
    y = tf.nn.softmax(tf.constant(f32(4, 7, scale=30)))
    np.testing.assert_allclose(tf.reduce_sum(y, -1).numpy(), np.ones(4), rtol=1e-6)


def test_relu_gradient_is_a_mask():
    x = tf.constant([-2.0, -0.0, 0.0, 3.0, 5.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.relu(x) * tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
    g = tape.gradient(y, x)
    assert g.dtype == tf.float32
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0, 4.0, 5.0])


def test_relu6_and_leaky_relu_gradients_at_edges():
    x = tf.constant([-1.0, 3.0, 7.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = tf.nn.relu6(x)
        b = tf.nn.leaky_relu(x, alpha=0.3)
    np.testing.assert_allclose(tape.gradient(a, x).numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(tape.gradient(b, x).numpy(), [0.3, 1.0, 1.0])
    del tape


def test_leaky_relu_int_becomes_float32():
    out = tf.nn.leaky_relu(tf.constant([-10, 5]))
    assert out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [-2.0, 5.0])


def test_silu_and_swish_agree():
    x = tf.constant(f32(5))
    np.testing.assert_array_equal(tf.nn.silu(x).numpy(), tf.nn.swish(x).numpy())


def test_embedding_lookup_forward():
    params = np.arange(12, dtype=np.float32).reshape(4, 3)
    ids = np.array([[3, 0], [1, 3]], np.int64)
    out = tf.nn.embedding_lookup(params, ids)
    assert out.dtype == tf.float32 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), params[ids])
    shards = [tf.constant(params[:2]), tf.constant(params[2:])]
    np.testing.assert_array_equal(tf.nn.embedding_lookup(shards, ids).numpy(), params[ids])
    empty = tf.nn.embedding_lookup(params, np.zeros((0,), np.int32))
    assert empty.shape == (0, 3)


def test_embedding_lookup_max_norm():
    params = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]], np.float32)
    out = tf.nn.embedding_lookup(params, [0, 1, 2], max_norm=1.0)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]], rtol=1e-6)


def test_embedding_lookup_gradient_accumulates_repeated_ids():
    params = tf.Variable(np.zeros((4, 2), np.float32))
    with tf.GradientTape() as tape:
        out = tf.nn.embedding_lookup(params, [1, 3, 1, 1])
        loss = tf.reduce_sum(out * tf.constant([[1.0, 2.0]] * 4))
    g = tape.gradient(loss, params)
    assert isinstance(g, tf.IndexedSlices)
    np.testing.assert_array_equal(np.asarray(tf.convert_to_tensor(g)),
                                  [[0, 0], [3, 6], [0, 0], [1, 2]])


def test_moments_float16_and_values():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float16)
    mean, var = tf.nn.moments(tf.constant(x), axes=[0])
    assert mean.dtype == tf.float16 and var.dtype == tf.float16
    np.testing.assert_allclose(np.asarray(mean, np.float32), [2.0, 4.0])
    np.testing.assert_allclose(np.asarray(var, np.float32), [1.0, 4.0])


def test_nn_reexports():
    assert tf.nn.sigmoid is tf.sigmoid and tf.nn.tanh is tf.tanh
    from ember.ops import nn_ops
    for n in nn_ops.__all__:
        assert getattr(tf.nn, n) is getattr(nn_ops, n)


# ------------------------------------------------------------------------ gradients ---

X34 = f64(3, 4, seed=5)
LABELS23 = np_softmax(f64(2, 3, seed=7))

GRADIENTS = [
    ("relu", tf.nn.relu, [away_from(X34, [0])]),
    ("relu6", tf.nn.relu6, [away_from(f64(3, 4, seed=1, scale=5), [0, 6])]),
    ("leaky_relu", lambda x: tf.nn.leaky_relu(x, 0.1), [away_from(X34, [0])]),
    ("elu", tf.nn.elu, [away_from(X34, [0])]),
    ("selu", tf.nn.selu, [away_from(X34, [0])]),
    ("gelu", tf.nn.gelu, [X34]),
    ("gelu_approx", lambda x: tf.nn.gelu(x, approximate=True), [X34]),
    ("softplus", tf.nn.softplus, [np.append(X34.ravel(), [0.0, 40.0, -40.0])]),
    ("softsign", tf.nn.softsign, [away_from(X34, [0])]),
    ("silu", tf.nn.silu, [X34]),
    ("swish_beta", lambda x: tf.nn.swish(x, beta=1.7), [X34]),
    ("crelu", tf.nn.crelu, [away_from(f64(2, 3), [0])]),
    ("softmax", tf.nn.softmax, [X34]),
    ("softmax_axis0", lambda x: tf.nn.softmax(x, axis=0), [X34]),
    ("log_softmax", tf.nn.log_softmax, [X34]),
    ("log_softmax_axis0", lambda x: tf.nn.log_softmax(x, axis=0), [X34]),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, axis=1), [X34]),
    ("l2_normalize_all", tf.nn.l2_normalize, [X34]),
    ("moments_mean", lambda x: tf.nn.moments(x, [0])[0], [X34]),
    ("moments_variance", lambda x: tf.nn.moments(x, [1])[1], [X34]),
    ("bias_add", tf.nn.bias_add, [f64(2, 3), f64(3, seed=1)]),
    ("bias_add_nchw", lambda v, b: tf.nn.bias_add(v, b, data_format="NCHW"),
     [f64(2, 3, 2, 1), f64(3, seed=1)]),
    ("sigmoid_xent", lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
     [np.array([0.0, 1.0, 0.3, 0.9]), np.array([-1.5, 0.0, 2.0, 4.0])]),
    ("weighted_xent", lambda z, x, q: tf.nn.weighted_cross_entropy_with_logits(z, x, q),
     [np.array([0.0, 1.0, 0.3]), np.array([-1.5, 0.0, 2.0]), np.array([2.0, 0.5, 3.0])]),
    ("softmax_xent", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     [LABELS23, f64(2, 3, seed=2)]),
    ("softmax_xent_axis0", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x, axis=0),
     [LABELS23.T.copy(), f64(3, 2, seed=2)]),
    ("softmax_xent_broadcast", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x),
     [LABELS23[:1], f64(3, 3, seed=2)]),
    ("sparse_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([2, 0, 1]), logits=x), [f64(3, 4, seed=2)]),
    ("log_poisson_full", lambda t, x: tf.nn.log_poisson_loss(t, x, compute_full_loss=True),
     [np.array([0.5, 2.0, 3.0]), np.array([0.5, -1.0, 1.2])]),
    ("embedding_lookup", lambda p: tf.nn.embedding_lookup(p, np.array([[2, 0], [2, 2]])),
     [f64(3, 2)]),
    ("embedding_lookup_max_norm", lambda p: tf.nn.embedding_lookup(
        p, np.array([0, 1, 0]), max_norm=1.5), [np.array([[3.0, 4.0], [0.3, 0.4]])]),
]


@pytest.mark.parametrize("name,fn,args", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_gradient(name, fn, args):
    check_gradient(fn, args)


# check_second_order differentiates the sum of the gradient's entries; softmax-type
# gradients sum to zero along the class axis, so the inputs are scaled unevenly first
# to make that sum depend on the logits.
UNEVEN = np.array([0.5, -1.5, 2.0])

SECOND_ORDER = [
    ("softmax", lambda x: tf.nn.softmax(x * UNEVEN), [f64(2, 3)]),
    ("softmax_axis0", lambda x: tf.nn.softmax(x * UNEVEN[:2, None], axis=0), [f64(2, 3)]),
    ("log_softmax", lambda x: tf.nn.log_softmax(x * UNEVEN), [f64(2, 3)]),
    ("sigmoid_xent", lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
     [np.array([0.0, 1.0, 0.3]), np.array([-1.5, 0.5, 2.0])]),
    ("gelu", tf.nn.gelu, [f64(5)]),
    ("gelu_approx", lambda x: tf.nn.gelu(x, approximate=True), [f64(5)]),
    ("elu", tf.nn.elu, [away_from(f64(6), [0])]),
    ("softplus", tf.nn.softplus, [f64(6)]),
    ("relu", tf.nn.relu, [away_from(f64(6), [0])]),
    ("silu", tf.nn.silu, [f64(6)]),
    ("softmax_xent", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(z, x * UNEVEN),
     [LABELS23, f64(2, 3, seed=2)]),
    ("softmax_xent_axis0", lambda z, x: tf.nn.softmax_cross_entropy_with_logits(
        z, x * UNEVEN[:, None], axis=0), [LABELS23.T.copy(), f64(3, 2, seed=2)]),
    ("sparse_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([2, 0]), logits=x * UNEVEN), [f64(2, 3, seed=2)]),
    ("moments_variance", lambda x: tf.nn.moments(x, [0])[1], [f64(4, 2)]),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, axis=-1), [f64(2, 3)]),
]


@pytest.mark.parametrize("name,fn,args", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_order(name, fn, args):
    check_second_order(fn, args)


# --------------------------------------------------------------------------- errors ---

LOGITS = np.zeros((2, 3), np.float32)

ERRORS = [
    ("sparse_label_too_big", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 3], logits=LOGITS), InvalidArgumentError,
     r"label value of 3 which is outside the valid range of \[0, 3\)"),
    ("sparse_label_negative", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[-1, 0], logits=LOGITS), InvalidArgumentError,
     r"label value of -1 which is outside the valid range of \[0, 3\)"),
    ("sparse_rank_mismatch", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[[0, 1]], logits=LOGITS), ValueError,
     r"Rank of labels \(received 2\) should equal rank of logits minus 1 \(received 2\)"),
    ("sparse_batch_mismatch", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 1, 2], logits=LOGITS), InvalidArgumentError,
     r"labels shape \[3\] must equal .* logits \[2, 3\]"),
    ("sparse_float_labels", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0.0, 1.0], logits=LOGITS), InvalidArgumentError,
     "labels must be int32 or int64, got float32"),
    ("sparse_missing", lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(logits=LOGITS),
     ValueError, "needs both labels and logits"),
    ("softmax_int", lambda: tf.nn.softmax(tf.constant([1, 2])), InvalidArgumentError,
     r"attr 'T' of int32 .*Softmax"),
    ("softmax_scalar", lambda: tf.nn.softmax(tf.constant(1.0)), InvalidArgumentError,
     "at least one dimension"),
    ("softmax_bad_axis", lambda: tf.nn.softmax(LOGITS, axis=2), InvalidArgumentError,
     r"Softmax: axis 2 is out of range"),
    ("log_softmax_bad_axis", lambda: tf.nn.log_softmax(LOGITS, axis=-3), InvalidArgumentError,
     r"LogSoftmax: axis -3 is out of range"),
    ("softmax_xent_shapes", lambda: tf.nn.softmax_cross_entropy_with_logits(
        np.zeros((2, 4), np.float32), LOGITS), InvalidArgumentError,
     r"must be broadcastable: logits_size=\[2, 3\] labels_size=\[2, 4\]"),
    ("softmax_xent_rank", lambda: tf.nn.softmax_cross_entropy_with_logits(
        np.zeros((3,), np.float32), LOGITS), InvalidArgumentError, "must have the same rank"),
    ("sigmoid_xent_shapes", lambda: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=np.zeros(3, np.float32), logits=np.zeros(2, np.float32)), ValueError,
     r"logits and labels must have the same shape \(\[2\] vs \[3\]\)"),
    ("weighted_xent_shapes", lambda: tf.nn.weighted_cross_entropy_with_logits(
        np.zeros(3, np.float32), np.zeros(2, np.float32), 1.0), ValueError,
     "must have the same shape"),
    ("bias_add_size", lambda: tf.nn.bias_add(np.zeros((2, 4), np.float32),
                                             np.zeros(3, np.float32)), InvalidArgumentError,
     r"as many biases as the last dimension of the input tensor: \[3\] vs. \[2, 4\]"),
    ("bias_add_nchw_size", lambda: tf.nn.bias_add(np.zeros((2, 4, 3), np.float32),
                                                  np.zeros(3, np.float32), data_format="NCW"),
     InvalidArgumentError, r"as many biases as the channel dimension"),
    ("bias_add_bias_rank", lambda: tf.nn.bias_add(np.zeros((2, 3), np.float32),
                                                  np.zeros((1, 3), np.float32)),
     InvalidArgumentError, r"Biases must be 1D: \[1, 3\]"),
    ("bias_add_value_rank", lambda: tf.nn.bias_add(np.zeros(3, np.float32),
                                                   np.zeros(3, np.float32)),
     InvalidArgumentError, r"at least 2D: \[3\]"),
    ("bias_add_dtype", lambda: tf.nn.bias_add(np.zeros((2, 3), np.float32),
                                              tf.constant([1, 2, 3])),
     InvalidArgumentError, "expected to be a float32 tensor but is a int32"),
    ("bias_add_format", lambda: tf.nn.bias_add(np.zeros((2, 3), np.float32),
                                               np.zeros(3, np.float32), data_format="HWCN"),
     ValueError, "data_format must be of the form"),
    ("embedding_out_of_range", lambda: tf.nn.embedding_lookup(
        np.zeros((3, 2), np.float32), [[0, 1], [5, 2]]), InvalidArgumentError,
     r"indices\[1,0\] = 5 is not in \[0, 3\)"),
    ("embedding_float_ids", lambda: tf.nn.embedding_lookup(
        np.zeros((3, 2), np.float32), [0.5]), (TypeError, ValueError), "(?i)integer|int32"),
    ("moments_no_axes", lambda: tf.nn.moments(LOGITS, None), ValueError,
     "axes must be given"),
    ("relu_string", lambda: tf.nn.relu(tf.constant(["a"])), InvalidArgumentError,
     "attr 'T' of string"),
]


@pytest.mark.parametrize("name,fn,exc,match", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_sparse_error_names_op_label_and_range():
    with pytest.raises(InvalidArgumentError) as info:
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 7], logits=LOGITS)
    msg = str(info.value)
    assert "SparseSoftmaxCrossEntropyWithLogits" in msg
    assert "label value of 7" in msg and "[0, 3)" in msg


FLOAT32_GRADS = [
    ("relu", tf.nn.relu), ("relu6", tf.nn.relu6), ("leaky_relu", tf.nn.leaky_relu),
    ("elu", tf.nn.elu), ("selu", tf.nn.selu), ("gelu", tf.nn.gelu), ("softplus", tf.nn.softplus),
    ("softsign", tf.nn.softsign), ("silu", tf.nn.silu), ("crelu", tf.nn.crelu),
    ("softmax", tf.nn.softmax), ("log_softmax", tf.nn.log_softmax),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, -1)),
    ("moments", lambda x: tf.nn.moments(x, [0])[1]),
    ("bias_add", lambda x: tf.nn.bias_add(x, tf.ones([x.shape[-1]]))),
    ("sigmoid_xent", lambda x: tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(x), x)),
    ("softmax_xent", lambda x: tf.nn.softmax_cross_entropy_with_logits(tf.ones_like(x), x)),
    ("sparse_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.zeros([x.shape[0]], tf.int32), x)),
    ("embedding_lookup", lambda x: tf.nn.embedding_lookup(x, [0, 0])),
]


@pytest.mark.parametrize("shape", [(2, 3), (0, 3)], ids=["full", "empty"])
@pytest.mark.parametrize("name,fn", FLOAT32_GRADS, ids=[c[0] for c in FLOAT32_GRADS])
def test_float32_gradients_stay_float32(name, fn, shape):
    if name == "embedding_lookup" and shape[0] == 0:
        pytest.skip("no row 0 to look up in an empty table")
    x = tf.constant(f32(*shape))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    g = tf.convert_to_tensor(tape.gradient(y, x))     # (embedding_lookup: IndexedSlices)
    assert y.dtype == tf.float32
    assert g.dtype == tf.float32 and g.shape == shape
    assert np.all(np.isfinite(g.numpy()))


def _training_loss(x, y, w, b):
    logits = tf.nn.bias_add(tf.matmul(tf.nn.relu(x), w), b)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    dense = tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(logits * 0.5), logits)
    sig = tf.nn.sigmoid_cross_entropy_with_logits(tf.nn.sigmoid(logits * 0.3), logits)
    _, var = tf.nn.moments(tf.nn.gelu(logits), [0])
    emb = tf.nn.embedding_lookup(w, [0, 3, 3])
    return (tf.reduce_mean(sparse) + tf.reduce_mean(dense) + tf.reduce_mean(sig)
            + tf.reduce_sum(var) + tf.reduce_sum(tf.nn.elu(emb)))


def test_inside_function_matches_eager():
    rng = np.random.default_rng(4)
    w = tf.Variable(rng.standard_normal((4, 3)).astype(np.float32))
    b = tf.Variable(rng.standard_normal(3).astype(np.float32))
    x = tf.constant(rng.standard_normal((5, 4)).astype(np.float32))
    y = tf.constant([0, 2, 1, 1, 0])

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = _training_loss(x, y, w, b)
        return loss, tape.gradient(loss, [w, b])

    got_loss, got_grads = tf.function(step)(x, y)
    want_loss, want_grads = step(x, y)
    np.testing.assert_allclose(float(got_loss), float(want_loss), rtol=1e-6)
    for g, e in zip(got_grads, want_grads):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-5, atol=1e-6)


def test_function_with_unknown_batch():
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)]
    f = tf.function(lambda lg, lb: tf.nn.sparse_softmax_cross_entropy_with_logits(lb, lg),
                    input_signature=spec)
    logits = f32(4, 3)
    labels = np.array([0, 2, 1, 2], np.int32)
    np.testing.assert_allclose(f(tf.constant(logits), tf.constant(labels)).numpy(),
                               np_sparse_xent(labels, logits.astype(np.float64)), rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match=r"label value of 3 .*\[0, 3\)"):
        f(tf.constant(logits[:1]), tf.constant([3]))
