"""compat.v1.nn and the other compat.v1 submodules: TF1 names and argument orders, checked
against ember.nn (TF2) and NumPy."""
import os

import numpy as np
import pytest

import ember
import ember.compat.v1 as v1
from tests.compat.test_v1 import graph_mode  # noqa: F401  (fixture)


def test_compat_v1_submodules_are_the_tf1_modules():
    # each compat/v1/<name>.py is what ember.compat.v1.<name> is: no star import shadows one
    here = os.path.dirname(v1.__file__)
    names = [f[:-3] for f in os.listdir(here) if f.endswith(".py") and f != "__init__.py"]
    assert {"nn", "losses", "layers", "train"} <= set(names)
    for name in names:
        assert getattr(v1, name).__name__ == f"ember.compat.v1.{name}", name
        assert getattr(ember.compat.v1, name) is getattr(v1, name)
    from ember.compat.v1 import nn
    assert nn is v1.nn and nn is not ember.nn
    assert v1.losses.Reduction.SUM_BY_NONZERO_WEIGHTS == "weighted_sum_by_nonzero_weights"
    assert callable(v1.layers.dense) and callable(v1.train.GradientDescentOptimizer)
    assert v1.nn.relu is ember.nn.relu           # names TF1 spelled alike come from ember.nn


def test_softmax_cross_entropy_v1_and_v2():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5)).astype(np.float32)
    labels = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    want = -(labels * np.log(e / e.sum(-1, keepdims=True))).sum(-1)
    lab, lg = ember.constant(labels), ember.constant(logits)
    with ember.GradientTape(persistent=True) as tape:
        tape.watch([lab, lg])
        a = v1.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=lg)
        b = v1.nn.softmax_cross_entropy_with_logits(labels=lab, logits=lg)
    np.testing.assert_allclose(a.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(b.numpy(), want, rtol=1e-5)
    # v2 back-propagates into the labels (-log softmax), v1 does not
    np.testing.assert_allclose(tape.gradient(a, lab).numpy(),
                               -np.log(e / e.sum(-1, keepdims=True)), rtol=1e-5)
    assert tape.gradient(b, lab) is None or not np.any(tape.gradient(b, lab).numpy())
    np.testing.assert_allclose(tape.gradient(b, lg).numpy(), tape.gradient(a, lg).numpy())
    c = v1.nn.softmax_cross_entropy_with_logits_v2(labels=labels.T, logits=logits.T, dim=0)
    np.testing.assert_allclose(c.numpy(), want, rtol=1e-5)


def test_dropout_keep_prob():
    x = ember.ones([200, 100])
    y = v1.nn.dropout(x, keep_prob=0.5, seed=3).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.45 < np.mean(y == 2.0) < 0.55
    np.testing.assert_array_equal(v1.nn.dropout(x, keep_prob=1.0).numpy(), x.numpy())
    assert set(np.unique(v1.nn.dropout(x, rate=0.25).numpy())) <= {0.0, np.float32(4 / 3)}
    with pytest.raises(ValueError, match="keep_prob"):
        v1.nn.dropout(x)
    with pytest.raises(ValueError, match="keep_prob"):
        v1.nn.dropout(x, keep_prob=0.0)


def test_convolutions_and_poolings_with_tf1_arguments():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    w = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    want = ember.nn.conv2d(x, w, [1, 1, 1, 1], "SAME").numpy()
    np.testing.assert_allclose(v1.nn.conv2d(x, w, [1, 1, 1, 1], "SAME").numpy(), want)
    np.testing.assert_allclose(v1.nn.conv2d(x, filter=w, strides=[1, 1, 1, 1],
                                            padding="SAME", use_cudnn_on_gpu=True).numpy(),
                               want)
    np.testing.assert_allclose(v1.nn.convolution(x, w, "SAME").numpy(), want)
    x1, w1 = x[:, 0], w[0]
    np.testing.assert_allclose(v1.nn.conv1d(x1, w1, 1, "VALID").numpy(),
                               ember.nn.conv1d(x1, w1, 1, "VALID").numpy())
    np.testing.assert_allclose(v1.nn.conv1d(input=x1, filters=w1, stride=1,
                                            padding="VALID").numpy(),
                               ember.nn.conv1d(x1, w1, 1, "VALID").numpy())
    dw = rng.normal(size=(3, 3, 3, 1)).astype(np.float32)
    np.testing.assert_allclose(v1.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME",
                                                      rate=[2, 2]).numpy(),
                               ember.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME",
                                                         dilations=[2, 2]).numpy())
    wt = rng.normal(size=(3, 3, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        v1.nn.conv2d_transpose(x, wt, [2, 12, 12, 4], [1, 2, 2, 1]).numpy(),
        ember.nn.conv2d_transpose(x, wt, [2, 12, 12, 4], [1, 2, 2, 1]).numpy())
    mp = v1.nn.max_pool(value=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    np.testing.assert_array_equal(mp.numpy(), x.reshape(2, 3, 2, 3, 2, 3).max((2, 4)))
    ap = v1.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    np.testing.assert_allclose(ap.numpy(), x.reshape(2, 3, 2, 3, 2, 3).mean((2, 4)), rtol=1e-6)
    with pytest.raises(ValueError, match="only one of `filter` and `filters`"):
        v1.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", filters=w)


def test_in_top_k_takes_predictions_first():
    p = np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [np.nan, 1.0, 0.0], [0.2, 0.7, 0.1]],
                 np.float32)
    np.testing.assert_array_equal(v1.nn.in_top_k(p, [2, 0, 1, 5], 1).numpy(),
                                  [False, False, False, False])
    np.testing.assert_array_equal(v1.nn.in_top_k(p, [1, 1, 1, 0], 2).numpy(),
                                  [True, True, False, True])
    np.testing.assert_array_equal(v1.nn.in_top_k(p, [1, 2, 1, 1], 1).numpy(),
                                  [True, True, False, True])


def test_axis_and_keep_dims_spellings():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(v1.nn.softmax(x, dim=0).numpy(),
                               np.exp(x) / np.exp(x).sum(0), rtol=1e-5)
    np.testing.assert_allclose(v1.nn.log_softmax(x, dim=0).numpy(),
                               x - np.log(np.exp(x).sum(0)), rtol=1e-5, atol=1e-6)
    mean, var = v1.nn.moments(x, [0], keep_dims=True)
    assert mean.shape == (1, 4)
    np.testing.assert_allclose(var.numpy(), x.var(0, keepdims=True), rtol=1e-5)
    f = rng.integers(1, 4, size=(3, 1)).astype(np.float32)
    mean, var = v1.nn.weighted_moments(x, [0], f)
    rep = np.repeat(x, f[:, 0].astype(int), axis=0)
    np.testing.assert_allclose(mean.numpy(), rep.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), rep.var(0), rtol=1e-5)


def test_embedding_lookup_partitions_and_dense_helpers():
    table = np.arange(14, dtype=np.float32).reshape(7, 2)
    ids = np.array([0, 3, 6, 4, 1])
    mod = [table[k::3] for k in range(3)]                       # row r in shard r % 3
    div = [table[:3], table[3:5], table[5:]]
    for shards, strategy in ((mod, "mod"), (div, "div")):
        got = v1.nn.embedding_lookup(shards, ids, partition_strategy=strategy)
        np.testing.assert_array_equal(got.numpy(), table[ids])
    np.testing.assert_array_equal(v1.nn.embedding_lookup(table, ids).numpy(), table[ids])
    x = np.array([[1.0, -2.0]], np.float32)
    w = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    b = np.array([0.5, -10.0], np.float32)
    np.testing.assert_allclose(v1.nn.xw_plus_b(x, w, b).numpy(), x @ w + b)
    np.testing.assert_allclose(v1.nn.relu_layer(x, w, b).numpy(), np.maximum(x @ w + b, 0))


def test_missing_tf1_functions_say_so():
    with pytest.raises(NotImplementedError, match="raw_rnn.*keras"):
        v1.nn.raw_rnn
    with pytest.raises(AttributeError):
        v1.nn.no_such_function


def test_tf1_graph_program_with_v1_nn(graph_mode):
    # a TF1 program: keep_prob fed through a placeholder of unknown shape, the v2 cross-
    # entropy, xw_plus_b and in_top_k(predictions, targets) in a Session
    x = v1.placeholder(v1.float32, [None, 4])
    y = v1.placeholder(v1.float32, [None, 3])
    keep_prob = v1.placeholder(v1.float32)
    w, b = v1.Variable(v1.zeros([4, 3])), v1.Variable(v1.zeros([3]))
    h = v1.nn.dropout(x, keep_prob)
    assert h.shape.as_list() == [None, 4]
    logits = v1.nn.xw_plus_b(h, w, b)
    loss = v1.reduce_mean(v1.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    hits = v1.nn.in_top_k(logits, v1.argmax(y, 1), 1)
    accuracy = v1.reduce_mean(v1.cast(hits, v1.float32))
    step = v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    rng = np.random.default_rng(0)
    data_x = rng.normal(size=(64, 4)).astype(np.float32)
    data_y = np.eye(3, dtype=np.float32)[data_x[:, :3].argmax(1)]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        feed = {x: data_x, y: data_y, keep_prob: 1.0}
        assert sess.run(loss, feed) == pytest.approx(np.log(3), rel=1e-5)
        for _ in range(60):
            sess.run(step, {x: data_x, y: data_y, keep_prob: 0.8})
        final_loss, final_accuracy = sess.run([loss, accuracy], feed)
    assert final_loss < 0.5 and final_accuracy > 0.9
