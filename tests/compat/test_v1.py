"""ember.compat.v1: graph mode, placeholders, Session.run, variables and initializers,
gradients, optimizers, Saver, variable scopes, layers, losses, and the TF1 MNIST example."""
import os

import numpy as np
import pytest

import ember.compat.v1 as tf
from ember.framework.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "mnist.npz")


@pytest.fixture
def graph_mode():
    """TF1 default-graph mode for one test, then back to eager with a fresh default graph."""
    tf.reset_default_graph()
    tf.disable_eager_execution()
    try:
        yield tf.get_default_graph()
    finally:
        while tf.get_default_session() is not None:
            tf.get_default_session().close()
        tf.enable_eager_execution()
        tf.reset_default_graph()


# ------------------------------------------------------------------- execution mode ---

def test_disable_and_enable_eager_execution():
    assert tf.executing_eagerly()
    tf.disable_eager_execution()
    try:
        assert not tf.executing_eagerly()
        t = tf.constant(1.0) + 1.0
        assert t.graph is tf.get_default_graph()
        with pytest.raises(TypeError, match="symbolic"):
            t.numpy()
    finally:
        tf.enable_eager_execution()
        tf.reset_default_graph()
    assert tf.executing_eagerly()
    assert float(tf.constant(1.0) + 1.0) == 2.0


def test_placeholder_needs_a_graph():
    with pytest.raises(RuntimeError, match="disable_eager_execution"):
        tf.placeholder(tf.float32, [None])


def test_reset_default_graph(graph_mode):
    tf.placeholder(tf.float32, [])
    assert len(tf.get_default_graph().get_operations()) == 1
    tf.reset_default_graph()
    assert tf.get_default_graph() is not graph_mode
    assert tf.get_default_graph().get_operations() == []


# ----------------------------------------------------------------- placeholders, run ---

def test_placeholder_with_none_dims_accepts_any_batch(graph_mode):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    assert x.shape.as_list() == [None, 3] and x.dtype == tf.float32 and x.name == "x:0"
    y = tf.reduce_sum(x * 2.0, axis=1)
    assert y.shape.as_list() == [None]
    with tf.Session() as sess:
        for n in (1, 5, 0):
            out = sess.run(y, feed_dict={x: np.ones((n, 3), np.float32)})
            assert out.shape == (n,) and out.dtype == np.float32
            np.testing.assert_array_equal(out, np.full(n, 6.0))


FEED_ERRORS = [
    ("wrong_inner_dim", lambda x, i: {x: np.ones((2, 4)), i: [1]}, ValueError,
     r"Cannot feed value of shape \(2, 4\) for Tensor 'x:0', which has shape '\(None, 3\)'"),
    ("wrong_rank", lambda x, i: {x: np.ones(3), i: [1]}, ValueError,
     r"Cannot feed value of shape"),
    ("missing", lambda x, i: {i: [1]}, InvalidArgumentError,
     r"must feed a value for placeholder"),
    ("float_to_int", lambda x, i: {x: np.ones((1, 3)), i: [1.5]}, InvalidArgumentError,
     r"float value to the int32 tensor"),
]


@pytest.mark.parametrize("feed,exc,match", [c[1:] for c in FEED_ERRORS],
                         ids=[c[0] for c in FEED_ERRORS])
def test_feed_errors(graph_mode, feed, exc, match):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    i = tf.placeholder(tf.int32, [None], name="i")
    y = tf.reduce_sum(x) + tf.cast(tf.reduce_sum(i), tf.float32)
    with tf.Session() as sess:
        with pytest.raises(exc, match=match):
            sess.run(y, feed_dict=feed(x, i))


def test_feeds_are_converted_to_the_placeholder_dtype(graph_mode):
    x = tf.placeholder(tf.float32, [2])
    i = tf.placeholder(tf.int64, [2])
    with tf.Session() as sess:
        a, b = sess.run([x, i], {x: [1, 2], i: np.array([3, 4], np.int32)})
    assert a.dtype == np.float32 and b.dtype == np.int64
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_run_nested_fetches(graph_mode):
    x = tf.placeholder(tf.float32, [None, 2])
    h = x * 2.0
    s = tf.reduce_sum(h)
    fetches = {"sum": s, "list": [h, (s, x)], "tuple": (s,)}
    with tf.Session() as sess:
        out = sess.run(fetches, feed_dict={x: [[1.0, 2.0]]})
        assert set(out) == {"sum", "list", "tuple"}
        assert isinstance(out["list"], list) and isinstance(out["list"][1], tuple)
        assert isinstance(out["tuple"], tuple)
        assert out["sum"] == 6.0 and out["tuple"][0] == 6.0
        np.testing.assert_array_equal(out["list"][0], [[2.0, 4.0]])
        np.testing.assert_array_equal(out["list"][1][1], [[1.0, 2.0]])
        assert sess.run([s], {x: [[1.0, 1.0]]}) == [4.0]
        assert sess.run(s.name, {x: [[1.0, 1.0]]}) == 4.0
        assert np.ndim(sess.run(s, {x: [[1.0, 1.0]]})) == 0


def test_feeding_non_placeholder_tensors(graph_mode):
    x = tf.placeholder(tf.float32, [None, 2])
    h = tf.exp(x)
    y = tf.reduce_sum(h * 3.0)
    with tf.Session() as sess:
        assert sess.run(y, {h: np.ones((4, 2))}) == 24.0     # x is not needed
        np.testing.assert_allclose(sess.run(y, {x: np.zeros((1, 2))}), 6.0)
        np.testing.assert_allclose(sess.run(h, {x: np.zeros((1, 2))}), [[1.0, 1.0]])


def test_feeding_a_tensor_folded_at_build_time(graph_mode):
    c = tf.zeros([]) + 5.0
    z = c * 2.0
    with tf.Session() as sess:
        assert sess.run(z) == 10.0
        assert sess.run(z, {c: 7.0}) == 14.0


def test_placeholder_with_default_can_be_fed(graph_mode):
    keep_prob = tf.placeholder_with_default(1.0, shape=())
    y = keep_prob * 2.0
    with tf.Session() as sess:
        assert sess.run(y) == 2.0
        assert sess.run(y, {keep_prob: 0.5}) == 1.0


def test_constant_is_a_graph_tensor_that_can_be_fed(graph_mode):
    c = tf.constant(5.0)
    z = c * 2.0
    assert c.graph is tf.get_default_graph()
    with tf.Session() as sess:
        assert sess.run(z, {c: 7.0}) == 14.0


def test_fetch_errors(graph_mode):
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0) + 1.0
    sess = tf.Session()
    with pytest.raises(ValueError, match="not an element of this session's graph"):
        sess.run(foreign)
    with pytest.raises(TypeError, match="invalid type"):
        sess.run(3.5)
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(tf.constant(1.0))
    with tf.Session(graph=other) as s2:
        assert s2.run(foreign) == 2.0


def test_running_operations_and_control_dependencies(graph_mode):
    v = tf.Variable(np.zeros(2, np.float32))
    inc = v.assign_add([1.0, 1.0])
    dec = v.assign_sub([0.25, 0.25])
    both = tf.group(inc, dec)
    with tf.control_dependencies([inc]):
        after = tf.identity(v.read_value()) * 10.0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(inc.op) is None
        assert sess.run(both) is None
        np.testing.assert_array_equal(sess.run(v), [1.75, 1.75])
        np.testing.assert_array_equal(sess.run(after), [27.5, 27.5])
        np.testing.assert_array_equal(sess.run(v), [2.75, 2.75])


def test_earlier_fetched_values_stay_unchanged(graph_mode):
    v = tf.Variable(np.zeros(2, np.float32))
    inc = v.assign_add([1.0, 1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(inc)
        read = sess.run(v)
        sess.run(inc)
        np.testing.assert_array_equal(first, [1.0, 1.0])
        np.testing.assert_array_equal(read, [1.0, 1.0])


def test_interactive_session_eval_and_run(graph_mode):
    x = tf.placeholder(tf.float32, [None])
    y = tf.reduce_sum(x) * 2.0
    v = tf.Variable(tf.random_normal([2]))
    sess = tf.InteractiveSession()
    assert tf.get_default_session() is sess
    tf.global_variables_initializer().run()
    assert y.eval(feed_dict={x: [1.0, 2.0]}) == 6.0
    v.assign([1.0, 5.0]).op.run()
    np.testing.assert_array_equal(sess.run(v), [1.0, 5.0])
    sess.close()
    assert tf.get_default_session() is None
    with pytest.raises(ValueError, match="No default session"):
        y.eval(feed_dict={x: [1.0]})
    with tf.Session() as s2:
        assert y.eval(feed_dict={x: [1.0]}, session=s2) == 2.0
        assert tf.get_default_session() is s2
    s3 = tf.Session()
    with s3.as_default():
        assert y.eval(feed_dict={x: [3.0]}) == 6.0
    assert tf.get_default_session() is None


def test_variable_eval_in_interactive_session(graph_mode):
    v = tf.Variable([1.0, 2.0])
    sess = tf.InteractiveSession()
    sess.run(v.initializer)
    np.testing.assert_array_equal(v.eval(), [1.0, 2.0])
    sess.close()


# ------------------------------------------------------------------------ variables ---

def test_uninitialized_variable_error_and_initializers(graph_mode):
    a = tf.Variable(tf.random_normal([3]), name="a")
    b = tf.Variable(tf.random_uniform([2]) + 1.0, name="b")
    assert set(tf.global_variables()) == {a, b}
    with tf.Session() as sess:
        with pytest.raises(FailedPreconditionError, match="uninitialized value a"):
            sess.run(a)
        sess.run(tf.variables_initializer([a]))
        first = sess.run(a)
        with pytest.raises(FailedPreconditionError, match="uninitialized value b"):
            sess.run(a + tf.reduce_sum(b))
        sess.run(tf.global_variables_initializer())
        assert np.all(sess.run(b) >= 1.0)
        assert not np.array_equal(sess.run(a), first)     # a random initializer re-runs
        sess.run(a.assign([1.0, 2.0, 3.0]))
        np.testing.assert_array_equal(sess.run(a), [1.0, 2.0, 3.0])


def test_constant_initialized_variable_is_uninitialized_until_init_runs(graph_mode):
    w = tf.Variable(tf.zeros([2]), name="w")
    with tf.Session() as sess:
        with pytest.raises(FailedPreconditionError, match="uninitialized"):
            sess.run(w)


def test_trainable_and_collections(graph_mode):
    w = tf.Variable(1.0, name="w")
    step = tf.Variable(0, trainable=False, name="step")
    assert tf.trainable_variables() == [w]
    assert set(tf.global_variables()) == {w, step}
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == [w]
    gs = tf.train.create_global_step()
    assert tf.train.get_global_step() is gs and gs.dtype == tf.int64
    assert gs not in tf.trainable_variables()
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()


def test_get_or_create_global_step_twice(graph_mode):
    gs = tf.train.get_or_create_global_step()
    assert tf.train.get_or_create_global_step() is gs


# ------------------------------------------------------------------------ gradients ---

def test_gradients(graph_mode):
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))
    y = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    unrelated = tf.placeholder(tf.float32, [])
    gw, gx, gu = tf.gradients(y, [w, x, unrelated])
    assert gu is None
    assert gw.shape.as_list() == [3, 2]
    (gz,) = tf.gradients(y, [unrelated], unconnected_gradients="zero")
    xv = np.array([[1.0, 0.5, -1.0], [2.0, 0.0, 1.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gwv, gxv, gzv = sess.run([gw, gx, gz], {x: xv})
    wv = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(gwv, 2 * xv.T @ (xv @ wv), rtol=1e-6)
    np.testing.assert_allclose(gxv, 2 * (xv @ wv) @ wv.T, rtol=1e-6)
    assert gzv == 0.0


def test_gradients_with_grad_ys_and_multiple_ys(graph_mode):
    x = tf.placeholder(tf.float32, [2])
    y1 = x * x
    y2 = tf.sin(x)
    (g,) = tf.gradients([y1, y2], [x], grad_ys=[tf.constant([1.0, 2.0]), tf.ones([2])])
    with tf.Session() as sess:
        got = sess.run(g, {x: [0.5, -1.0]})
    xv = np.array([0.5, -1.0])
    np.testing.assert_allclose(got, 2 * xv * [1.0, 2.0] + np.cos(xv), rtol=1e-6)


def test_gradient_keeps_the_static_shape_of_x(graph_mode):
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(np.ones((3, 2), np.float32))
    (gx,) = tf.gradients(tf.reduce_sum(tf.matmul(x, w)), [x])
    assert gx.shape.as_list() == [None, 3]


# ----------------------------------------------------------------------- optimizers ---

A_ = np.array([1.0, 3.0], np.float32)
T_ = np.array([1.0, -2.0], np.float32)


def _grad(w):
    return A_ * (w - T_)


def _np_gd(lr):
    def step(w, s):
        return w - lr * _grad(w), s
    return step


def _np_momentum(lr, m, nesterov=False):
    def step(w, s):
        g = _grad(w)
        acc = s.get("acc", np.zeros_like(w)) * m + g
        s["acc"] = acc
        return (w - lr * g - lr * m * acc if nesterov else w - lr * acc), s
    return step


def _np_adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    def step(w, s):
        g = _grad(w)
        t = s.get("t", 0) + 1
        m = s.get("m", np.zeros_like(w)) * b1 + (1 - b1) * g
        v = s.get("v", np.zeros_like(w)) * b2 + (1 - b2) * g * g
        s.update(t=t, m=m, v=v)
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - lr_t * m / (np.sqrt(v) + eps), s
    return step


def _np_rmsprop(lr, decay=0.9, momentum=0.0, eps=1e-10, centered=False):
    def step(w, s):
        g = _grad(w)
        ms = s.get("ms", np.ones_like(w)) * decay + (1 - decay) * g * g
        mg = s.get("mg", np.zeros_like(w)) * decay + (1 - decay) * g
        denom = ms - mg * mg if centered else ms
        mom = s.get("mom", np.zeros_like(w)) * momentum + lr * g / np.sqrt(denom + eps)
        s.update(ms=ms, mg=mg, mom=mom)
        return w - mom, s
    return step


def _np_adagrad(lr, init=0.1):
    def step(w, s):
        g = _grad(w)
        acc = s.get("acc", np.full_like(w, init)) + g * g
        s["acc"] = acc
        return w - lr * g / np.sqrt(acc), s
    return step


OPTIMIZERS = [
    ("gd", lambda: tf.train.GradientDescentOptimizer(0.1), _np_gd(0.1)),
    ("momentum", lambda: tf.train.MomentumOptimizer(0.05, 0.9), _np_momentum(0.05, 0.9)),
    ("nesterov", lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
     _np_momentum(0.05, 0.9, nesterov=True)),
    ("adam", lambda: tf.train.AdamOptimizer(0.1), _np_adam(0.1)),
    ("rmsprop", lambda: tf.train.RMSPropOptimizer(0.05), _np_rmsprop(0.05)),
    ("rmsprop_momentum_centered",
     lambda: tf.train.RMSPropOptimizer(0.05, momentum=0.5, centered=True),
     _np_rmsprop(0.05, momentum=0.5, centered=True)),
    ("adagrad", lambda: tf.train.AdagradOptimizer(0.3), _np_adagrad(0.3)),
]


def _quadratic():
    w = tf.Variable(np.zeros(2, np.float32), name="w")
    loss = 0.5 * tf.reduce_sum(tf.constant(A_) * tf.square(w - tf.constant(T_)))
    return w, loss


def _np_loss(w):
    return 0.5 * np.sum(A_ * (w - T_) ** 2)


@pytest.mark.parametrize("make,ref", [c[1:] for c in OPTIMIZERS], ids=[c[0] for c in OPTIMIZERS])
def test_optimizer_minimize_matches_numpy_and_decreases_the_loss(graph_mode, make, ref):
    w, loss = _quadratic()
    step = make().minimize(loss)
    want, state = np.zeros(2, np.float32), {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run(loss)]
        for _ in range(3):
            sess.run(step)
            want, state = ref(want, state)
            got = sess.run(w)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
            losses.append(sess.run(loss))
            np.testing.assert_allclose(losses[-1], _np_loss(want), rtol=1e-5)
        for _ in range(30):
            sess.run(step)
        losses.append(sess.run(loss))
    assert losses[0] == _np_loss(np.zeros(2))
    assert losses[3] < losses[0] and losses[-1] < losses[3]


def test_compute_and_apply_gradients_with_global_step(graph_mode):
    w, loss = _quadratic()
    opt = tf.train.GradientDescentOptimizer(0.1)
    gs = tf.train.create_global_step()
    grads_and_vars = opt.compute_gradients(loss, var_list=[w])
    assert [v for _, v in grads_and_vars] == [w]
    clipped = [(tf.clip_by_value(g, -0.5, 0.5), v) for g, v in grads_and_vars]
    train = opt.apply_gradients(clipped, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        g0 = sess.run(grads_and_vars[0][0])
        np.testing.assert_allclose(g0, _grad(np.zeros(2, np.float32)))
        sess.run(train)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.1, -0.1], rtol=1e-6)
        assert sess.run(gs) == 2


def test_minimize_with_var_list_only_updates_those(graph_mode):
    a = tf.Variable(1.0)
    b = tf.Variable(1.0)
    loss = tf.square(a) + tf.square(b)
    step = tf.train.GradientDescentOptimizer(0.25).minimize(loss, var_list=[a])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        assert sess.run(a) == 0.5 and sess.run(b) == 1.0


def test_minimize_without_gradients_raises(graph_mode):
    a = tf.Variable(1.0)
    tf.Variable(2.0)
    loss = tf.constant(3.0) * 2.0
    with pytest.raises(ValueError, match="No gradients"):
        tf.train.GradientDescentOptimizer(0.1).minimize(loss, var_list=[a])


def test_optimizer_slots(graph_mode):
    w, loss = _quadratic()
    opt = tf.train.AdamOptimizer(0.1)
    opt.minimize(loss)
    assert set(opt.get_slot_names()) >= {"m", "v"}
    assert opt.get_slot(w, "m").shape.as_list() == [2]


# --------------------------------------------------------------------------- Saver ---

def test_saver_round_trip(graph_mode, tmp_path):
    w = tf.Variable(tf.random_normal([2, 3]), name="w")
    b = tf.Variable(np.arange(3, dtype=np.int32), name="b")
    saver = tf.train.Saver()
    path = str(tmp_path / "ckpt" / "model")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saved_w = sess.run(w)
        assert saver.save(sess, path) == path
        assert tf.train.latest_checkpoint(str(tmp_path / "ckpt")) == path
        sess.run([w.assign(tf.zeros([2, 3])), b.assign([7, 7, 7])])
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), saved_w)
        np.testing.assert_array_equal(sess.run(b), [0, 1, 2])
        assert sess.run(b).dtype == np.int32
    # TensorFlow's checkpoint format (a tensor bundle keyed by variable name)
    reader = tf.train.load_checkpoint(path)
    np.testing.assert_array_equal(reader.get_tensor("w"), saved_w)
    assert sorted(n for n, _ in tf.train.list_variables(path)) == ["b", "w"]


def test_saver_restore_into_a_new_graph(tmp_path):
    path = str(tmp_path / "m")
    for phase in ("save", "restore"):
        g = tf.Graph()
        with g.as_default():
            v = tf.Variable(tf.random_uniform([4]), name="v")
            saver = tf.train.Saver()
            with tf.Session(graph=g) as sess:
                if phase == "save":
                    sess.run(v.initializer)
                    want = sess.run(v)
                    saver.save(sess, path)
                else:
                    saver.restore(sess, path)
                    np.testing.assert_array_equal(sess.run(v), want)


def test_saver_global_step_max_to_keep_and_errors(graph_mode, tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=k) for k in range(3)]
        assert paths[-1].endswith("m-2")
        assert not os.path.exists(paths[0] + ".index") and os.path.exists(paths[2] + ".index")
        assert saver.last_checkpoints == paths[1:]
        assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1]
        with pytest.raises(NotFoundError):
            saver.restore(sess, str(tmp_path / "missing"))
    other = tf.Variable(np.zeros(3, np.float32), name="other")
    with tf.Session() as sess:
        with pytest.raises(NotFoundError, match="other"):
            tf.train.Saver([other]).restore(sess, paths[-1])
    assert tf.train.latest_checkpoint(str(tmp_path / "nowhere")) is None


# ------------------------------------------------------------ get_variable, scopes ---

def test_get_variable_and_variable_scope_reuse(graph_mode):
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3])
        b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w") is w
    with tf.variable_scope("layer") as scope:
        scope.reuse_variables()
        assert tf.get_variable("b") is b
    with pytest.raises(ValueError, match="already exists"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", [2, 3])
    with pytest.raises(ValueError, match="does not exist"):
        with tf.variable_scope("layer", reuse=True):
            tf.get_variable("missing", [1])
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("a", [1]) is tf.get_variable("a", [1])
    with tf.variable_scope("init", initializer=tf.constant_initializer(0.5)):
        c = tf.get_variable("c", [2])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        wv, bv, cv = sess.run([w, b, c])
    limit = np.sqrt(6.0 / 5.0)
    assert wv.shape == (2, 3) and np.all(np.abs(wv) <= limit) and np.any(wv != 0)
    np.testing.assert_array_equal(bv, np.zeros(3))
    np.testing.assert_array_equal(cv, [0.5, 0.5])
    assert w.dtype == tf.float32 and w in tf.trainable_variables()


def test_get_variable_names(graph_mode):
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3])
    assert w.name == "layer/w:0"


# --------------------------------------------------------------------------- layers ---

def test_layers_dense(graph_mode):
    x = tf.placeholder(tf.float32, [None, 4])
    h = tf.layers.dense(x, 3, activation=tf.nn.relu, name="fc")
    out = tf.layers.dense(h, 2, use_bias=False)
    assert h.shape.as_list() == [None, 3] and out.shape.as_list() == [None, 2]
    variables = tf.trainable_variables()
    assert [v.shape.as_list() for v in variables] == [[4, 3], [3], [3, 2]]
    kernel, bias, k2 = variables
    xv = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bias.assign([0.1, -0.2, 0.3]))
        kv, bv, k2v, hv, ov = sess.run([kernel, bias, k2, h, out], {x: xv})
    np.testing.assert_allclose(hv, np.maximum(xv @ kv + bv, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ov, hv @ k2v, rtol=1e-5, atol=1e-6)
    with tf.variable_scope("", reuse=True):
        pass
    again = tf.layers.dense(x, 3, activation=tf.nn.relu, name="fc", reuse=True)
    assert len(tf.trainable_variables()) == 3
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([h, again], {x: xv})
    np.testing.assert_array_equal(a, b)


def test_layers_dense_trains(graph_mode):
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((64, 3)).astype(np.float32)
    yv = (xv @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    pred = tf.layers.dense(x, 1)
    loss = tf.losses.mean_squared_error(y, pred)
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv, y: yv})
        for _ in range(200):
            sess.run(train, {x: xv, y: yv})
        last = sess.run(loss, {x: xv, y: yv})
    assert last < 1e-3 * first


# --------------------------------------------------------------------------- losses ---

LAB = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]], np.float32)
PRED = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.4]], np.float32)
LOGITS = np.array([[1.0, -0.5, 2.0], [-1.0, 0.3, 0.8]], np.float32)
W = np.array([[1.0], [0.0]], np.float32)


def _softplus(x):
    return np.logaddexp(0, x)


def _lsm(x):
    return x - np.log(np.sum(np.exp(x), -1, keepdims=True))


LOSSES = [
    ("mse", lambda: tf.losses.mean_squared_error(LAB, PRED), np.mean((PRED - LAB) ** 2)),
    ("mse_weighted", lambda: tf.losses.mean_squared_error(LAB, PRED, weights=W),
     np.sum(W * (PRED - LAB) ** 2) / 3),
    ("mse_sum", lambda: tf.losses.mean_squared_error(LAB, PRED,
                                                     reduction=tf.losses.Reduction.SUM),
     np.sum((PRED - LAB) ** 2)),
    ("mse_none", lambda: tf.losses.mean_squared_error(LAB, PRED,
                                                      reduction=tf.losses.Reduction.NONE),
     (PRED - LAB) ** 2),
    ("absolute", lambda: tf.losses.absolute_difference(LAB, PRED), np.mean(np.abs(PRED - LAB))),
    ("huber", lambda: tf.losses.huber_loss(LAB, PRED * 3, delta=1.0),
     np.mean(np.where(np.abs(3 * PRED - LAB) <= 1, 0.5 * (3 * PRED - LAB) ** 2,
                      np.abs(3 * PRED - LAB) - 0.5))),
    ("log_loss", lambda: tf.losses.log_loss(LAB, PRED),
     np.mean(-LAB * np.log(PRED + 1e-7) - (1 - LAB) * np.log(1 - PRED + 1e-7))),
    ("hinge", lambda: tf.losses.hinge_loss(LAB, LOGITS),
     np.mean(np.maximum(0, 1 - (2 * LAB - 1) * LOGITS))),
    ("sigmoid_ce", lambda: tf.losses.sigmoid_cross_entropy(LAB, LOGITS),
     np.mean(LAB * _softplus(-LOGITS) + (1 - LAB) * _softplus(LOGITS))),
    ("softmax_ce", lambda: tf.losses.softmax_cross_entropy(LAB / LAB.sum(1, keepdims=True),
                                                           LOGITS),
     np.mean(-np.sum(LAB / LAB.sum(1, keepdims=True) * _lsm(LOGITS), 1))),
    ("sparse_softmax_ce", lambda: tf.losses.sparse_softmax_cross_entropy(
        np.array([2, 0], np.int32), LOGITS), np.mean(-_lsm(LOGITS)[[0, 1], [2, 0]])),
    ("softmax_ce_smoothing", lambda: tf.losses.softmax_cross_entropy(
        np.eye(3, dtype=np.float32)[[2, 0]], LOGITS, label_smoothing=0.3),
     np.mean(-np.sum((np.eye(3)[[2, 0]] * 0.7 + 0.1) * _lsm(LOGITS), 1))),
]


@pytest.mark.parametrize("make,want", [c[1:] for c in LOSSES], ids=[c[0] for c in LOSSES])
def test_losses(graph_mode, make, want):
    loss = make()
    assert loss.dtype == tf.float32
    with tf.Session() as sess:
        got = sess.run(loss)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_losses_work_eagerly_too():
    got = tf.losses.mean_squared_error(LAB, PRED)
    np.testing.assert_allclose(got.numpy(), np.mean((PRED - LAB) ** 2), rtol=1e-6)


# ------------------------------------------------------------ the TF1 user example ---

def _softmax_regression(train_x, train_y, test_x, test_y, steps=1000, batch=100, seed=0):
    """The TF1 tutorial program, as a user writes it."""
    x = tf.placeholder(tf.float32, [None, 784])
    y_ = tf.placeholder(tf.float32, [None, 10])
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.nn.softmax(tf.matmul(x, W) + b)
    cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))
    train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    rng = np.random.default_rng(seed)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            idx = rng.integers(0, len(train_x), batch)
            sess.run(train_step, feed_dict={x: train_x[idx], y_: train_y[idx]})
        return sess.run(accuracy, feed_dict={x: test_x, y_: test_y})


def _one_hot(labels):
    return np.eye(10, dtype=np.float32)[labels]


def test_tf1_softmax_regression_on_mnist(graph_mode):
    if not os.path.exists(MNIST):
        pytest.skip(f"{MNIST} not available")
    with np.load(MNIST) as data:
        train_x = data["x_train"].reshape(-1, 784).astype(np.float32) / 255.0
        train_y = _one_hot(data["y_train"])
        test_x = data["x_test"].reshape(-1, 784).astype(np.float32) / 255.0
        test_y = _one_hot(data["y_test"])
    acc = _softmax_regression(train_x, train_y, test_x, test_y)
    assert acc.dtype == np.float32
    assert acc >= 0.90


def test_tf1_softmax_regression_on_a_generated_task(graph_mode):
    rng = np.random.default_rng(3)
    prototypes = rng.uniform(0, 1, (10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)

    def sample(n):
        labels = rng.integers(0, 10, n)
        images = prototypes[labels] + rng.normal(0, 0.3, (n, 784))
        return np.clip(images, 0, 1).astype(np.float32), _one_hot(labels)
    train_x, train_y = sample(3000)
    test_x, test_y = sample(1000)
    acc = _softmax_regression(train_x, train_y, test_x, test_y, steps=200)
    assert acc >= 0.95
