"""compat.v1 beyond the basics: tf.layers, learning-rate decays, moving averages, streaming
metrics, losses' collections, initializers, session config, logging, flags and the TF1
names TensorFlow 2 moved."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
import ember.compat.v1 as v1


@pytest.fixture
def graph_mode():
    v1.disable_eager_execution()
    v1.reset_default_graph()
    try:
        yield
    finally:
        v1.reset_default_graph()
        v1.enable_eager_execution()


def test_a_tf1_cnn_with_layers_and_batch_norm_updates_trains(graph_mode):
    v1.set_random_seed(0)
    rng = np.random.RandomState(0)
    X = rng.rand(64, 8, 8, 1).astype("float32")
    Y = (X.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    x = v1.placeholder(v1.float32, [None, 8, 8, 1])
    y = v1.placeholder(v1.int64, [None])
    training = v1.placeholder_with_default(False, [])
    h = v1.layers.conv2d(x, 4, 3, padding="same", activation=v1.nn.relu)
    h = v1.layers.batch_normalization(h, training=training)
    h = v1.layers.max_pooling2d(h, 2, 2)
    h = v1.layers.dropout(v1.layers.flatten(h), 0.1, training=training)
    logits = v1.layers.dense(h, 2)
    loss = v1.reduce_mean(v1.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                          logits=logits))
    with v1.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
        train = v1.train.AdamOptimizer(0.01).minimize(loss)
    names = [v.name for v in v1.global_variables()]
    for expected in ("conv2d/kernel:0", "conv2d/bias:0", "batch_normalization/gamma:0",
                     "batch_normalization/moving_mean:0", "dense/kernel:0"):
        assert expected in names
    moving_mean = [v for v in v1.global_variables() if "moving_mean" in v.name][0]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        before = sess.run(loss, {x: X, y: Y})
        for _ in range(60):
            sess.run(train, {x: X, y: Y, training: True})
        after = sess.run(loss, {x: X, y: Y})
        mm = sess.run(moving_mean)
    assert after < 0.7 * before
    assert np.abs(mm).sum() > 0          # the moving statistics were updated


def test_layer_functions_against_tf2_ops_and_variable_sharing(graph_mode):
    x = v1.placeholder(v1.float32, [2, 5, 5, 3])
    with v1.variable_scope("net"):
        a = v1.layers.conv2d(x, 4, (3, 3), strides=2, name="c")
    with v1.variable_scope("net", reuse=True):
        b = v1.layers.conv2d(x, 4, (3, 3), strides=2, name="c")
    pooled = v1.layers.average_pooling2d(x, 2, 1, padding="same")
    layer = v1.layers.Dense(3)
    d1, d2 = layer(v1.reshape(x, [2, -1])), layer(v1.reshape(x, [2, -1]) * 2.0)
    assert len(layer.variables) == 2 and layer.variables[0].name == "dense/kernel:0"
    kernel = [v for v in v1.global_variables() if v.name == "net/c/kernel:0"][0]
    data = np.random.RandomState(1).rand(2, 5, 5, 3).astype("float32")
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        ra, rb, rp, k, r1, r2 = sess.run([a, b, pooled, kernel, d1, d2], {x: data})
    np.testing.assert_array_equal(ra, rb)
    expected = np.zeros((2, 2, 2, 4), "float32")
    for i in range(2):
        for j in range(2):
            patch = data[:, 2 * i:2 * i + 3, 2 * j:2 * j + 3, :]
            expected[:, i, j, :] = np.einsum("bhwc,hwco->bo", patch, k)
    np.testing.assert_allclose(ra, expected, rtol=1e-5, atol=1e-6)
    assert rp.shape == (2, 5, 5, 3)
    np.testing.assert_allclose(rp[0, 0, 0], data[0, :2, :2].mean(axis=(0, 1)), rtol=1e-6)
    # both calls share one kernel and a zero-initialized bias: doubling x doubles the output
    np.testing.assert_allclose(r2, 2 * r1, rtol=1e-5, atol=1e-5)


def test_decays_and_moving_average(graph_mode):
    step = v1.train.get_or_create_global_step()
    lr = v1.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    cosine = v1.train.cosine_decay(1.0, step, 100)
    natural = v1.train.natural_exp_decay(1.0, step, 10, 0.1)
    pieces = v1.train.piecewise_constant(step, [5, 20], [1.0, 0.5, 0.1])
    w = v1.Variable(1.0)
    train = v1.train.GradientDescentOptimizer(lr).minimize(w * w, global_step=step)
    ema = v1.train.ExponentialMovingAverage(0.9)
    with v1.control_dependencies([train]):
        train_ema = ema.apply([w])
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for _ in range(25):
            sess.run(train_ema)
        s, rate, c, nat, piece, wv = sess.run([step, lr, cosine, natural, pieces, w])
    assert s == 25 and rate == pytest.approx(0.025)
    assert c == pytest.approx(0.5 * (1 + np.cos(np.pi * 25 / 100)), rel=1e-5)
    assert nat == pytest.approx(np.exp(-0.1 * 2.5), rel=1e-5)
    assert piece == pytest.approx(0.1)
    assert wv == pytest.approx(0.8 ** 10 * 0.9 ** 10 * 0.95 ** 5, rel=1e-4)
    assert ema.average_name(w) == "Variable/ExponentialMovingAverage"


def test_eager_decay_is_a_function_of_the_step():
    step = ember.Variable(0, dtype="int64")
    lr = v1.train.inverse_time_decay(1.0, step, 1, 0.5)
    assert float(lr()) == pytest.approx(1.0)
    step.assign(2)
    assert float(lr()) == pytest.approx(0.5)


def test_streaming_metrics(graph_mode):
    labels = v1.placeholder(v1.int64, [None])
    preds = v1.placeholder(v1.int64, [None])
    scores = v1.placeholder(v1.float32, [None])
    acc, acc_up = v1.metrics.accuracy(labels, preds)
    prec, prec_up = v1.metrics.precision(labels, preds)
    rec, rec_up = v1.metrics.recall(labels, preds)
    auc, auc_up = v1.metrics.auc(labels, scores)
    mse, mse_up = v1.metrics.mean_squared_error(labels, preds)
    assert v1.global_variables() == []              # metric totals are local variables
    batches = [([1, 0, 1], [1, 1, 1], [0.9, 0.8, 0.7]), ([0, 0], [0, 1], [0.1, 0.6])]
    with v1.Session() as sess:
        sess.run(v1.local_variables_initializer())
        for lab, pre, sco in batches:
            sess.run([acc_up, prec_up, rec_up, auc_up, mse_up],
                     {labels: lab, preds: pre, scores: sco})
        got = sess.run([acc, prec, rec, auc, mse])
    assert got[0] == pytest.approx(3 / 5) and got[1] == pytest.approx(2 / 4)
    assert got[2] == pytest.approx(1.0) and got[4] == pytest.approx(2 / 5)
    assert got[3] == pytest.approx(5 / 6, abs=1e-3)          # the exact ROC AUC: 5/6
    v1.enable_eager_execution()
    with pytest.raises(RuntimeError, match="eager"):
        v1.metrics.accuracy([1], [1])
    v1.disable_eager_execution()


def test_losses_collect_and_total(graph_mode):
    a = v1.losses.mean_squared_error([1.0, 2.0], [1.0, 4.0])
    b = v1.losses.absolute_difference([0.0], [3.0])
    w = v1.get_variable("w", [2], initializer=v1.ones_initializer(),
                        regularizer=lambda v: 0.5 * v1.reduce_sum(v))
    assert v1.losses.get_losses() == [a, b]
    total = v1.losses.get_total_loss()
    pairwise = v1.losses.mean_pairwise_squared_error([[0.0, 1.0, 2.0]], [[0.0, 0.0, 0.0]])
    cosine = v1.losses.cosine_distance([[1.0, 0.0]], [[0.6, 0.8]], axis=1)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        t, p, c = sess.run([total, pairwise, cosine])
    assert t == pytest.approx(2.0 + 3.0 + 1.0)
    assert p == pytest.approx(2.0) and c == pytest.approx(0.4)


def test_moved_names_and_tf1_signatures():
    np.testing.assert_array_equal(v1.arg_max([[1, 3], [4, 2]], 1).numpy(), [1, 0])
    np.testing.assert_allclose(v1.matrix_inverse([[2.0, 0.0], [0.0, 4.0]]).numpy(),
                               [[0.5, 0], [0, 0.25]])
    var = ember.Variable([1.0, 2.0, 3.0])
    v1.scatter_update(var, [0, 2], [9.0, 8.0])
    v1.scatter_add(var, [1], [5.0])
    np.testing.assert_array_equal(var.numpy(), [9.0, 7.0, 8.0])
    np.testing.assert_array_equal(v1.sparse_to_dense([1, 3], [5], 7.0).numpy(),
                                  [0, 7, 0, 7, 0])
    st = v1.string_split(["a b  c", "d"])
    assert st.values.numpy().tolist() == [b"a", b"b", b"c", b"d"]
    np.testing.assert_array_equal(st.dense_shape.numpy(), [2, 3])
    np.testing.assert_array_equal(v1.py_func(lambda t: t * 2, [ember.constant([1.0, 2.0])],
                                             v1.float32).numpy(), [2.0, 4.0])
    assert v1.to_double(ember.constant(1.0)).dtype == ember.float64
    assert v1.dimension_value(ember.TensorShape([3, None])[0]) == 3
    assert v1.initializers.he_normal(seed=1)([3, 4]).shape == (3, 4)
    q = v1.orthogonal_initializer()([4, 4]).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    with pytest.raises(AttributeError):
        v1.no_such_name_anywhere


def test_session_config_and_print(graph_mode, capsys):
    config = v1.ConfigProto(allow_soft_placement=True, intra_op_parallelism_threads=2)
    config.gpu_options.allow_growth = True
    assert config.gpu_options.allow_growth and not config.log_device_placement
    with pytest.raises(AttributeError, match="no field"):
        config.gpu_options.not_a_field = 1
    a = v1.placeholder(v1.float32, [2])
    out = v1.Print(a * 2.0, [a], message="a=")
    with v1.Session(config=config) as sess:
        result = sess.run(out, {a: [1.0, 2.0]})
    np.testing.assert_array_equal(result, [2.0, 4.0])
    assert "a=[1. 2.]" in capsys.readouterr().out


def test_logging_and_flags_in_a_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import ember.compat.v1 as tf
        tf.app.flags.DEFINE_integer("epochs", 3, "epochs")
        tf.app.flags.DEFINE_boolean("fast", False, "fast")
        tf.app.flags.DEFINE_enum("mode", "a", ["a", "b"], "mode")
        FLAGS = tf.app.flags.FLAGS

        def main(argv):
            tf.logging.set_verbosity(tf.logging.INFO)
            tf.logging.info("epochs=%d fast=%s mode=%s rest=%s", FLAGS.epochs, FLAGS.fast,
                            FLAGS.mode, argv[1:])
            return 0

        tf.app.run(main)
    """))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, str(script), "--epochs=7", "--fast", "--mode", "b",
                          "extra"], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "INFO:tensorflow:epochs=7 fast=True mode=b rest=['extra']" in run.stderr
    bad = subprocess.run([sys.executable, str(script), "--mode=c"], capture_output=True,
                         text=True, timeout=120, env=env)
    assert bad.returncode != 0 and "one of <a|b>" in bad.stderr


@pytest.mark.parametrize("step", [0, 3, 10, 17, 45, 100])
def test_decays_equal_the_keras_schedules_of_the_same_name(step):
    from ember import keras
    schedules = keras.optimizers.schedules
    s = ember.constant(step, "int64")
    pairs = [
        (v1.train.cosine_decay_restarts(1.0, s, 10, 2.0, 0.8, 0.1),
         schedules.CosineDecayRestarts(1.0, 10, 2.0, 0.8, 0.1)),
        (v1.train.polynomial_decay(1.0, s, 20, 0.01, 2.0, cycle=True),
         schedules.PolynomialDecay(1.0, 20, 0.01, 2.0, cycle=True)),
        (v1.train.exponential_decay(0.3, s, 7, 0.9, staircase=True),
         schedules.ExponentialDecay(0.3, 7, 0.9, staircase=True)),
        (v1.train.cosine_decay(0.5, s, 60, alpha=0.2), schedules.CosineDecay(0.5, 60, 0.2)),
        (v1.train.piecewise_constant(s, [5, 20], [1.0, 0.5, 0.1]),
         schedules.PiecewiseConstantDecay([5, 20], [1.0, 0.5, 0.1])),
    ]
    for decayed, schedule in pairs:
        assert float(decayed()) == pytest.approx(float(schedule(s)), rel=1e-5)


def _np_lstm(X, lengths, kernel, bias, forget_bias=1.0):
    def sig(z):
        return 1 / (1 + np.exp(-z))
    batch, steps, _ = X.shape
    units = bias.shape[0] // 4
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    outs = []
    for t in range(steps):
        i, j, f, o = np.split(np.concatenate([X[:, t], h], 1) @ kernel + bias, 4, 1)
        nc = c * sig(f + forget_bias) + sig(i) * np.tanh(j)
        nh = np.tanh(nc) * sig(o)
        running = (t < lengths)[:, None]
        outs.append(np.where(running, nh, 0))
        c, h = np.where(running, nc, c), np.where(running, nh, h)
    return np.stack(outs, 1), c, h


def test_dynamic_rnn_cells_names_and_values(graph_mode):
    rng = np.random.RandomState(0)
    X = rng.randn(3, 5, 4).astype("float32")
    lengths = np.array([5, 3, 1])
    x = v1.placeholder(v1.float32, [None, 5, 4])
    n = v1.placeholder(v1.int32, [None])
    out, state = v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicLSTMCell(6), x, sequence_length=n,
                                   dtype=v1.float32)
    stacked = v1.nn.rnn_cell.MultiRNNCell([v1.nn.rnn_cell.GRUCell(3),
                                           v1.nn.rnn_cell.LSTMCell(2, use_peepholes=True,
                                                                   num_proj=2)])
    out2, _ = v1.nn.dynamic_rnn(stacked, x, dtype=v1.float32, scope="stack")
    (fw, bw), _ = v1.nn.bidirectional_dynamic_rnn(
        v1.nn.rnn_cell.BasicRNNCell(2), v1.nn.rnn_cell.BasicRNNCell(2), x,
        sequence_length=n, dtype=v1.float32)
    unknown_steps = v1.placeholder(v1.float32, [None, None, 4])
    out3, state3 = v1.nn.dynamic_rnn(v1.nn.rnn_cell.BasicLSTMCell(6), unknown_steps,
                                     sequence_length=n, dtype=v1.float32, scope="loop")
    names = [v.name for v in v1.global_variables()]
    for expected in ("rnn/basic_lstm_cell/kernel:0",
                     "stack/multi_rnn_cell/cell_0/gru_cell/gates/kernel:0",
                     "stack/multi_rnn_cell/cell_0/gru_cell/candidate/bias:0",
                     "stack/multi_rnn_cell/cell_1/lstm_cell/w_f_diag:0",
                     "stack/multi_rnn_cell/cell_1/lstm_cell/projection/kernel:0",
                     "bidirectional_rnn/fw/basic_rnn_cell/kernel:0",
                     "bidirectional_rnn/bw/basic_rnn_cell/bias:0"):
        assert expected in names, expected
    kernel_var, bias_var = [v for v in v1.global_variables()
                            if v.name.startswith("rnn/basic_lstm_cell")]
    loop_vars = [v for v in v1.global_variables() if v.name.startswith("loop/")]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        sess.run([v.assign(k) for v, k in zip(loop_vars, [kernel_var, bias_var])])
        o, s, o2, b, o3, s3, k, bias = sess.run(
            [out, state, out2, bw, out3, state3, kernel_var, bias_var],
            {x: X, n: lengths, unknown_steps: X})
    ref_out, ref_c, ref_h = _np_lstm(X, lengths, k, bias)
    np.testing.assert_allclose(o, ref_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s.c, ref_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s.h, ref_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o3, ref_out, rtol=1e-5, atol=1e-6)     # the while_loop path
    np.testing.assert_allclose(s3.h, ref_h, rtol=1e-5, atol=1e-6)
    assert o2.shape == (3, 5, 2)
    assert np.abs(b[2, 1:]).max() == 0.0        # backward outputs past the length are zero


def test_an_lstm_classifier_trains_in_a_session(graph_mode):
    v1.set_random_seed(1)
    rng = np.random.RandomState(1)
    X = rng.randn(32, 6, 2).astype("float32")
    Y = (X[:, :, 0].sum(axis=1) > 0).astype("int64")
    x = v1.placeholder(v1.float32, [None, 6, 2])
    y = v1.placeholder(v1.int64, [None])
    _, state = v1.nn.dynamic_rnn(v1.nn.rnn_cell.LSTMCell(8), x, dtype=v1.float32)
    logits = v1.layers.dense(state.h, 2)
    loss = v1.losses.sparse_softmax_cross_entropy(y, logits)
    train = v1.train.AdamOptimizer(0.05).minimize(loss)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        before = sess.run(loss, {x: X, y: Y})
        for _ in range(40):
            sess.run(train, {x: X, y: Y})
        after = sess.run(loss, {x: X, y: Y})
    assert after < 0.5 * before


def test_cells_run_eagerly():
    cell = v1.nn.rnn_cell.GRUCell(3, name="eager_gru")
    X = np.random.RandomState(2).randn(2, 4, 5).astype("float32")
    outputs, state = v1.nn.dynamic_rnn(cell, X, dtype=v1.float32, scope="eager_rnn")
    assert outputs.shape == (2, 4, 3)
    np.testing.assert_allclose(outputs[:, -1].numpy(), state.numpy(), rtol=1e-6)
    listed, last = v1.nn.static_rnn(v1.nn.rnn_cell.BasicRNNCell(2), list(np.transpose(X, (1, 0, 2))),
                                    dtype=v1.float32, scope="eager_static")
    assert len(listed) == 4
    np.testing.assert_allclose(listed[-1].numpy(), last.numpy(), rtol=1e-6)
