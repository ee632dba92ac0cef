"""The tf.nn functions added for issue 20, against real TensorFlow (fixture made by
tests/fixtures/nn_extra/make_nn_extra.py), hand values, and numerical gradients."""
import os

import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient

F = np.load(os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "nn_extra",
                         "nn_extra.npz"))
X = F["x"]


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol)


def test_max_pool_with_argmax():
    v, i = tf.nn.max_pool_with_argmax(X, [1, 3, 3, 1], [1, 2, 2, 1], "SAME",
                                      include_batch_in_index=True)
    np.testing.assert_array_equal(i.numpy(), F["argmax_same"])
    close(v, tf.nn.max_pool2d(X, 3, 2, "SAME"))
    _, i = tf.nn.max_pool_with_argmax(X, 2, 1, "VALID")
    np.testing.assert_array_equal(i.numpy(), F["argmax_valid"])
    assert i.dtype is tf.int64


def test_morphology():
    close(tf.nn.dilation2d(X, F["morph_filter"], [1, 2, 2, 1], "SAME", "NHWC", [1, 1, 2, 1]),
          F["dilation"])
    close(tf.nn.erosion2d(X, F["morph_filter"], [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]),
          F["erosion"])


def test_dilation_gradient(rng):
    x = rng.standard_normal((1, 4, 4, 2))
    f = rng.standard_normal((2, 2, 2))
    check_gradient(lambda x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], "SAME", "NHWC",
                                                 [1, 1, 1, 1]), [x, f])


def test_conv_backprops():
    close(tf.nn.depthwise_conv2d_backprop_filter(X, [3, 3, 3, 2], F["dw_grad"], [1, 2, 2, 1],
                                                 "SAME"), F["dw_backprop_filter"], 1e-4)
    close(tf.nn.depthwise_conv2d_backprop_input([2, 5, 5, 3], F["dw_filter_in"], F["dw_grad"],
                                                [1, 2, 2, 1], "SAME"), F["dw_backprop_input"],
          1e-4)
    close(tf.nn.atrous_conv2d_transpose(X, F["atrous_filter"], [2, 7, 7, 4], 2, "VALID"),
          F["atrous_transpose"], 1e-4)
    close(tf.conv2d_backprop_filter_v2(X, F["conv_filter"], F["conv_grad"], [1, 1, 1, 1],
                                       "SAME"), F["conv2d_bp_filter"], 1e-4)
    close(tf.conv2d_backprop_input_v2(X, F["conv_filter"], F["conv_grad"], [1, 1, 1, 1],
                                      "SAME"), F["conv2d_bp_input"], 1e-4)


def test_isotonic_regression(rng):
    y, s = tf.nn.isotonic_regression(F["iso_in"])
    close(y, F["iso_dec"])
    np.testing.assert_array_equal(s.numpy(), F["iso_dec_seg"])
    y, s = tf.nn.isotonic_regression(F["iso_in"], decreasing=False, axis=0)
    close(y, F["iso_inc0"])
    np.testing.assert_array_equal(s.numpy(), F["iso_inc0_seg"])
    x = np.array([[3.0, 1.0, 2.5, 0.2]])
    check_gradient(lambda t: tf.nn.isotonic_regression(t)[0], [x])


def test_space_to_batch_round_trip(rng):
    s2b = tf.space_to_batch_nd(X, [2, 2], [[1, 0], [0, 3]])
    np.testing.assert_array_equal(s2b.numpy(), F["s2b"])
    np.testing.assert_array_equal(tf.batch_to_space(s2b, [2, 2], [[1, 0], [0, 3]]).numpy(),
                                  F["b2s"])
    np.testing.assert_array_equal(tf.nn.space_to_batch(X, [2, 2], [[1, 0], [0, 3]]).numpy(),
                                  F["s2b"])
    x = rng.standard_normal((1, 4, 2, 1))
    check_gradient(lambda t: tf.space_to_batch_nd(t, [2, 1], [[0, 0], [1, 1]]), [x])


def test_with_space_to_batch_is_dilated_conv(rng):
    x = rng.standard_normal((1, 7, 7, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    for padding in ("SAME", "VALID"):
        got = tf.nn.with_space_to_batch(
            x, [2, 2], padding, lambda t, n, p: tf.nn.conv2d(t, w, 1, p), filter_shape=[3, 3])
        close(got, tf.nn.conv2d(x, w, 1, padding, dilations=2), 1e-4)


def test_sparse_embeddings():
    params = F["emb_params"]
    ids = tf.sparse.SparseTensor([[0, 0], [0, 1], [2, 0], [2, 1], [3, 0]],
                                 tf.constant([0, 4, 1, 5, 2], tf.int64), [4, 2])
    wts = tf.sparse.SparseTensor(ids.indices, [1.0, 3.0, 2.0, 0.5, 1.5], [4, 2])
    for comb in ("sum", "mean", "sqrtn"):
        close(tf.nn.embedding_lookup_sparse(params, ids, wts, combiner=comb),
              F[f"emb_sparse_{comb}"])
    bad = tf.sparse.SparseTensor([[0, 0], [0, 1], [2, 0], [2, 1]],
                                 tf.constant([0, -1, 1, 5], tf.int64), [4, 2])
    bad_w = tf.sparse.SparseTensor(bad.indices, [1.0, 3.0, -2.0, 0.5], [4, 2])
    close(tf.nn.safe_embedding_lookup_sparse(params, bad, bad_w, combiner="mean"),
          F["safe_emb"])
    close(tf.nn.safe_embedding_lookup_sparse(params, bad, None, "sum", default_id=3),
          F["safe_emb_default"])
    with pytest.raises(ValueError, match="combiner"):
        tf.nn.embedding_lookup_sparse(params, ids, None, combiner="max")


SAMPLED = (tf.constant([3, 5, 7, 0], tf.int64),
           tf.constant([[0.5, 0.2], [0.3, 0.1], [0.9, 0.05]]),
           tf.constant([0.4, 0.3, 0.2, 0.6]))


def test_sampled_losses_match_tensorflow():
    args = (F["sl_W"], F["sl_b"], F["sl_labels"], F["sl_inputs"], 4, 10)
    close(tf.nn.nce_loss(*args, num_true=2, sampled_values=SAMPLED), F["nce"])
    close(tf.nn.nce_loss(*args, num_true=2, sampled_values=SAMPLED,
                         remove_accidental_hits=True), F["nce_hits"])
    close(tf.nn.sampled_softmax_loss(*args, num_true=2, sampled_values=SAMPLED),
          F["sampled_softmax"])


def test_sampled_softmax_gradient_and_training(rng):
    w = rng.standard_normal((6, 3)) * 0.1
    b = np.zeros(6)
    x = rng.standard_normal((4, 3))
    labels = np.array([[1], [2], [1], [5]])
    sampled = (tf.constant([0, 3, 4], tf.int64), tf.constant(np.full((4, 1), 0.5)),
               tf.constant([0.5, 0.5, 0.5]))
    check_gradient(lambda w, x: tf.nn.sampled_softmax_loss(
        w, tf.constant(b), labels, x, 3, 6, sampled_values=sampled), [w, x])
    # with the default log-uniform sampler, the loss goes down while training
    tf.random.set_seed(0)
    wv = tf.Variable(np.float32(rng.standard_normal((20, 3)) * 0.1))
    bv = tf.Variable(np.zeros(20, np.float32))
    xs = tf.constant(rng.standard_normal((16, 3)).astype(np.float32))
    ys = tf.constant(rng.integers(0, 20, (16, 1)))
    opt = tf.keras.optimizers.SGD(0.5)
    losses = []
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.nce_loss(wv, bv, ys, xs, 5, 20))
        opt.apply_gradients(zip(tape.gradient(loss, [wv, bv]), [wv, bv]))
        losses.append(float(loss))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_candidate_samplers():
    true = [[1, 2], [3, 4]]
    tf.random.set_seed(7)
    s, t, e = tf.random.uniform_candidate_sampler(true, 2, 5, True, 10, seed=3)
    assert len(set(s.numpy().tolist())) == 5 and s.dtype is tf.int64
    assert t.shape == [2, 2] and e.shape == [5]
    assert np.all((s.numpy() >= 0) & (s.numpy() < 10))
    tf.random.set_seed(7)          # seeded like every stateful random op: same seeds, same
    s2, _, _ = tf.random.uniform_candidate_sampler(true, 2, 5, True, 10, seed=3)   # samples
    np.testing.assert_array_equal(s.numpy(), s2.numpy())
    # non-unique: expected count = p * num_sampled
    _, t, e = tf.random.log_uniform_candidate_sampler(true, 2, 4, False, 100, seed=1)
    p1 = np.log(3 / 2) / np.log(101)
    close(t.numpy()[0, 0], 4 * p1)
    s, t, e = tf.random.fixed_unigram_candidate_sampler(
        true, 2, 3, False, 5, unigrams=[0, 0, 1, 0, 3], seed=1, distortion=1.0)
    assert set(s.numpy().tolist()) <= {2, 4}
    close(t.numpy(), [[0.0, 0.75], [0.0, 2.25]])
    s, t, e = tf.random.all_candidate_sampler(true, 2, 4, True)
    np.testing.assert_array_equal(s.numpy(), [0, 1, 2, 3])
    rows, ids, w = tf.nn.compute_accidental_hits([[1, 2], [3, 4]], [2, 3, 9], 2)
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(ids.numpy(), [0, 1])
    with pytest.raises(ValueError, match="range_max"):
        tf.random.uniform_candidate_sampler(true, 2, 11, True, 10)


def test_stateless_distributions():
    g = tf.random.stateless_gamma([20000], [1, 2], alpha=2.0, beta=4.0).numpy()
    assert abs(g.mean() - 0.5) < 0.02
    np.testing.assert_array_equal(g, tf.random.stateless_gamma([20000], [1, 2], 2.0,
                                                               4.0).numpy())
    p = tf.random.stateless_poisson([20000], [3, 4], lam=3.0).numpy()
    assert abs(p.mean() - 3.0) < 0.1 and p.dtype == np.int32
    b = tf.random.stateless_binomial([20000], [5, 6], counts=10.0, probs=0.3).numpy()
    assert abs(b.mean() - 3.0) < 0.1 and b.max() <= 10
    stats = pytest.importorskip("scipy.stats")
    t = tf.random.stateless_parameterized_truncated_normal([20000], [1, 2], 1.0, 2.0, 0.5,
                                                           4.0).numpy()
    assert t.min() >= 0.5 and t.max() <= 4.0
    want = stats.truncnorm.mean((0.5 - 1) / 2, (4 - 1) / 2, loc=1, scale=2)
    assert abs(t.mean() - want) < 0.03
    far = tf.random.stateless_parameterized_truncated_normal([100], [1, 2], 0.0, 1.0, 5.0,
                                                             6.0).numpy()
    assert far.min() >= 5.0 and far.max() <= 6.0
    perm = [int(tf.random.experimental.index_shuffle(i, [1, 2, 3], 9)) for i in range(10)]
    assert sorted(perm) == list(range(10))
    sh = tf.random.experimental.stateless_shuffle(np.arange(10), [1, 2]).numpy()
    assert sorted(sh.tolist()) == list(range(10))


def test_moments():
    close(tf.nn.weighted_moments(F["mom_x"], [0], F["mom_w"])[0], F["wm_mean"])
    close(tf.nn.weighted_moments(F["mom_x"], [0], F["mom_w"])[1], F["wm_var"])
    c, m, v, _ = tf.nn.sufficient_statistics(F["mom_x"], [1], shift=0.5)
    close(np.stack([np.broadcast_to(c.numpy(), m.shape), m.numpy(), v.numpy()]), F["ss"])
    mean, var = tf.nn.normalize_moments(c, m, v, 0.5)
    close(mean, F["nm_mean"])
    close(var, F["nm_var"])
    assert float(tf.nn.l2_loss([1.0, 2.0])) == 2.5
    assert float(tf.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=6)) == 1.0
    assert float(tf.nn.compute_average_loss([1.0, 3.0], sample_weight=[1.0, 0.0])) == 0.5
    assert float(tf.nn.scale_regularization_loss([1.0, 2.0])) == 3.0
    y = tf.nn.batch_norm_with_global_normalization(
        tf.constant([[1.0, 2.0]]), [1.0, 1.0], [4.0, 4.0], [0.5, 0.5], [2.0, 2.0], 0.0, True)
    close(y, [[0.5, 1.5]])         # (t - 1) / 2 * 2 + 0.5


def test_fractional_pools(rng):
    x = rng.standard_normal((1, 7, 6, 2))
    out, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 1.5, 1.4, 1.0], seed=5)
    r, c = rows.numpy(), cols.numpy()
    assert r[0] == 0 and r[-1] == 7 and c[-1] == 6 and out.shape == [1, 4, 4, 2]
    want = np.array([[x[0, r[i]:r[i + 1], c[j]:c[j + 1]].max(axis=(0, 1))
                      for j in range(4)] for i in range(4)])
    close(out.numpy()[0], want)
    out, rows, cols = tf.nn.fractional_avg_pool(x, [1.0, 1.5, 1.4, 1.0], overlapping=True,
                                                pseudo_random=True, seed=5)
    r, c = rows.numpy(), cols.numpy()
    want = np.array([[x[0, r[i]:min(r[i + 1] + 1, 7), c[j]:min(c[j + 1] + 1, 6)].mean(
        axis=(0, 1)) for j in range(4)] for i in range(4)])
    close(out.numpy()[0], want)
    check_gradient(lambda t: tf.nn.fractional_avg_pool(t, [1.0, 2.0, 2.0, 1.0], seed=1)[0],
                   [x[:, :4, :4]])


def test_generator_binomial():
    g = tf.random.Generator.from_seed(1)
    a = g.binomial([20000], 10.0, 0.3).numpy()
    assert abs(a.mean() - 3.0) < 0.1 and a.dtype == np.int32 and a.max() <= 10
    assert not np.array_equal(a, g.binomial([20000], 10.0, 0.3).numpy())   # state advanced
    np.testing.assert_array_equal(tf.random.Generator.from_seed(1).binomial([20000], 10.0,
                                                                           0.3).numpy(), a)


def test_stateless_and_general_dropout():
    # real TensorFlow 2.21: tf.nn.experimental.stateless_dropout(tf.ones([8]), 0.5, [1, 2])
    got = tf.nn.experimental.stateless_dropout(tf.ones([8]), 0.5, seed=[1, 2]).numpy()
    np.testing.assert_array_equal(got, [2, 0, 2, 0, 0, 2, 0, 0])
    half = tf.nn.experimental.general_dropout(
        tf.ones([2, 3]), 0.5, lambda shape, dtype: tf.fill(shape, tf.constant(0.7, dtype)))
    np.testing.assert_array_equal(half.numpy(), np.full((2, 3), 2.0))
    cols = tf.nn.experimental.stateless_dropout(tf.ones([4, 3]), 0.5, [3, 4],
                                                noise_shape=[1, 3]).numpy()
    assert (cols == cols[0]).all()
