"""cond, while_loop, case, switch_case: eager and traced, nested, gradients, errors."""
import numpy as np
import pytest

import ember as tf
from ember.framework.errors import InvalidArgumentError


def both(fn, *args):
    """fn run eagerly and under ember.function; the two results as nested NumPy values."""
    def to_np(out):
        if isinstance(out, (list, tuple)):
            return [to_np(o) for o in out]
        return None if out is None else np.asarray(out)
    return to_np(fn(*args)), to_np(tf.function(fn)(*args))


def assert_same(eager, traced, rtol=1e-6, atol=1e-7):
    if isinstance(eager, list):
        assert isinstance(traced, list) and len(traced) == len(eager)
        for e, t in zip(eager, traced):
            assert_same(e, t, rtol, atol)
        return
    assert traced.shape == eager.shape and traced.dtype == eager.dtype
    np.testing.assert_allclose(traced, eager, rtol=rtol, atol=atol)


def op_types(fn, *args):
    return [op.type for op in tf.function(fn).get_concrete_function(*args).graph
            .get_operations()]


# ---------------------------------------------------------------------------- cond ---

def _abs_or_double(x):
    return tf.cond(x > 0, lambda: x * 2.0, lambda: -x)


@pytest.mark.parametrize("value,want", [(3.0, 6.0), (-3.0, 3.0), (0.0, 0.0)])
def test_cond_eager_and_traced(value, want):
    eager, traced = both(_abs_or_double, tf.constant(value))
    assert float(eager) == want
    assert_same(eager, traced)


def test_cond_traced_once_runs_the_taken_branch_each_call():
    f = tf.function(_abs_or_double)
    assert [float(f(tf.constant(v))) for v in (2.0, -5.0, 1.5)] == [4.0, 5.0, 3.0]
    assert f.experimental_get_tracing_count() == 1
    assert "If" in op_types(_abs_or_double, tf.constant(1.0))


def test_cond_with_python_or_constant_predicate_builds_no_if_node():
    fn = lambda x: tf.cond(tf.constant(True), lambda: x + 1.0, lambda: x - 1.0)  # noqa: E731
    assert "If" not in op_types(fn, tf.constant(1.0))
    assert float(tf.function(fn)(tf.constant(1.0))) == 2.0
    assert float(tf.cond(False, lambda: tf.constant(1), lambda: tf.constant(2))) == 2


def test_cond_structured_outputs_and_captures():
    def fn(x, y):
        return tf.cond(tf.reduce_sum(x) > tf.reduce_sum(y),
                       lambda: {"big": x, "pair": (x * y, tf.shape(x))},
                       lambda: {"big": y, "pair": (x - y, tf.shape(y))})
    x = tf.constant([1.0, 5.0])
    for y in (tf.constant([0.5, 0.5]), tf.constant([4.0, 4.0])):
        eager, traced = fn(x, y), tf.function(fn)(x, y)
        for k in ("big",):
            np.testing.assert_array_equal(traced[k].numpy(), eager[k].numpy())
        for e, t in zip(eager["pair"], traced["pair"]):
            np.testing.assert_array_equal(t.numpy(), e.numpy())
            assert t.dtype == e.dtype


def test_cond_branches_with_different_shapes_give_a_relaxed_shape():
    f = tf.function(lambda p: tf.cond(p, lambda: tf.ones([2]), lambda: tf.zeros([3])))
    assert f(tf.constant(True)).shape == (2,)
    assert f(tf.constant(False)).shape == (3,)
    out = f.get_concrete_function(tf.constant(True)).outputs[0]
    assert out.shape.as_list() == [None]


def test_nested_cond():
    def sign_class(x):
        return tf.cond(x > 0,
                       lambda: tf.cond(x > 10, lambda: tf.constant(2), lambda: tf.constant(1)),
                       lambda: tf.cond(x < -10, lambda: tf.constant(-2),
                                       lambda: tf.constant(0)))
    f = tf.function(sign_class)
    for v, want in [(20.0, 2), (5.0, 1), (-3.0, 0), (-30.0, -2)]:
        assert int(sign_class(tf.constant(v))) == want
        assert int(f(tf.constant(v))) == want
    assert f.experimental_get_tracing_count() == 1


def test_cond_with_variable_assignment_in_a_branch():
    v = tf.Variable(0.0)
    f = tf.function(lambda x: tf.cond(x > 0, lambda: v.assign_add(x), lambda: v.assign_sub(1.0)))
    f(tf.constant(2.0))
    f(tf.constant(-2.0))
    f(tf.constant(3.0))
    assert float(v.numpy()) == 4.0


def test_cond_on_variables_stays_dynamic_when_traced():
    v = tf.Variable(1.0)
    flag = tf.Variable(True)
    f = tf.function(lambda x: tf.cond(v > 0, lambda: x + 1.0, lambda: x - 1.0))
    g = tf.function(lambda x: tf.cond(flag, lambda: x * 2.0, lambda: x * 3.0))
    assert float(f(tf.constant(0.0))) == 1.0 and float(g(tf.constant(1.0))) == 2.0
    v.assign(-1.0)
    flag.assign(False)
    assert float(f(tf.constant(0.0))) == -1.0 and float(g(tf.constant(1.0))) == 3.0
    assert f.experimental_get_tracing_count() == 1 and g.experimental_get_tracing_count() == 1


def test_cond_branch_reads_see_earlier_assignments():
    v = tf.Variable(1.0)

    @tf.function
    def f():
        v.assign(5.0)
        return tf.cond(v > 2, lambda: v * 2.0, lambda: v * 0.0)
    assert float(f()) == 10.0


COND_ERRORS = [
    ("dtype", lambda p: tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(1.0)),
     TypeError, "int32.*float32"),
    ("structure", lambda p: tf.cond(p, lambda: (tf.constant(1.0),), lambda: tf.constant(1.0)),
     ValueError, "same structure"),
    ("missing_fn", lambda p: tf.cond(p, lambda: tf.constant(1.0)), TypeError, "false_fn"),
]


@pytest.mark.parametrize("fn,exc,match", [c[1:] for c in COND_ERRORS],
                         ids=[c[0] for c in COND_ERRORS])
def test_cond_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        tf.function(fn)(tf.constant(True))


def test_cond_non_scalar_predicate():
    f = tf.function(lambda p: tf.cond(p, lambda: tf.constant(1.0), lambda: tf.constant(2.0)))
    with pytest.raises(InvalidArgumentError, match="scalar bool"):
        f(tf.constant([True, False]))


# ---------------------------------------------------------------------- while_loop ---

def _triangle(n):
    return tf.while_loop(lambda i, s: i < n,
                         lambda i, s: (i + 1, s + tf.cast(i, tf.float32)),
                         [tf.constant(0), tf.constant(0.0)])


@pytest.mark.parametrize("n", [0, 1, 5, 12])
def test_while_loop_eager_and_traced(n):
    eager, traced = both(_triangle, tf.constant(n))
    assert int(eager[0]) == n and float(eager[1]) == n * (n - 1) / 2
    assert_same(eager, traced)


def test_while_loop_traced_once_for_all_trip_counts():
    f = tf.function(_triangle)
    for n in range(6):
        assert float(f(tf.constant(n))[1]) == n * (n - 1) / 2
    assert f.experimental_get_tracing_count() == 1
    assert "While" in op_types(_triangle, tf.constant(3))


def test_while_loop_single_var_and_structures():
    def fn(x):
        out = tf.while_loop(lambda i: i < 10, lambda i: (i + 3,), [tf.constant(0)])
        state = tf.while_loop(lambda s: s["n"] < 4,
                              lambda s: {"n": s["n"] + 1, "v": (s["v"][0] * x,)},
                              {"n": tf.constant(0), "v": (tf.constant(1.0),)})
        return out[0], state["n"], state["v"][0]
    eager, traced = both(fn, tf.constant(2.0))
    assert [float(e) for e in eager] == [12.0, 4.0, 16.0]
    assert_same(eager, traced)


def test_while_loop_with_tensor_tensor_accumulation():
    def fn(x):
        return tf.while_loop(lambda i, acc: i < 3,
                             lambda i, acc: (i + 1, tf.matmul(acc, x)),
                             [tf.constant(0), tf.eye(2)])[1]
    x = tf.constant([[1.0, 1.0], [0.0, 2.0]])
    eager, traced = both(fn, x)
    np.testing.assert_allclose(eager, np.linalg.matrix_power(x.numpy(), 3))
    assert_same(eager, traced)


@pytest.mark.parametrize("limit", [0, 3, 7, 50])
def test_while_loop_maximum_iterations(limit):
    fn = lambda n: tf.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0)],  # noqa
                                 maximum_iterations=limit)
    eager, traced = both(fn, tf.constant(20))
    assert int(eager[0]) == min(limit, 20)
    assert_same(eager, traced)


def test_while_loop_maximum_iterations_as_traced_tensor():
    f = tf.function(lambda n, m: tf.while_loop(lambda i: i < n, lambda i: i + 1,
                                               [tf.constant(0)], maximum_iterations=m))
    assert int(f(tf.constant(100), tf.constant(7))[0]) == 7


def test_shape_invariants_allow_a_growing_loop_var():
    def fn(x):
        return tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, tf.concat([a, a], 0)),
                             [tf.constant(0), x],
                             shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    eager, traced = both(fn, tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(eager[1], np.tile([1.0, 2.0], 8))
    assert_same(eager, traced)
    out = tf.function(fn).get_concrete_function(tf.constant([1.0, 2.0])).outputs[1]
    assert out.shape.as_list() == [None]


def test_changing_loop_var_shape_without_shape_invariants_raises():
    f = tf.function(lambda x: tf.while_loop(
        lambda i, a: i < 3, lambda i, a: (i + 1, tf.concat([a, a], 0)), [tf.constant(0), x]))
    with pytest.raises(ValueError, match=r"(?s)enters the loop with shape \(1,\).*"
                                         r"\(2,\).*shape_invariants"):
        f(tf.ones([1]))


def test_changing_loop_var_dtype_raises():
    f = tf.function(lambda x: tf.while_loop(lambda a: tf.reduce_sum(a) < 10.0,
                                            lambda a: tf.cast(a, tf.float64) * 2.0, [x]))
    with pytest.raises(TypeError, match="float32.*float64"):
        f(tf.ones([2]))


def test_body_returning_wrong_structure_raises():
    f = tf.function(lambda x: tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1,),
                                            [tf.constant(0), x]))
    with pytest.raises(ValueError, match="same structure"):
        f(tf.ones([2]))


def test_nested_while_loops():
    def fn(x):
        def outer(i, s):
            _, t = tf.while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t * x),
                                 [tf.constant(0), tf.constant(1.0)])
            return i + 1, s + t
        return tf.while_loop(lambda i, s: i < 4, outer, [tf.constant(0), tf.constant(0.0)])[1]
    eager, traced = both(fn, tf.constant(2.0))
    assert float(eager) == 1 + 2 + 4 + 8
    assert_same(eager, traced)


def test_while_loop_with_variable_updates():
    v = tf.Variable(1.0)

    @tf.function
    def f(n):
        def body(i):
            v.assign(v * 2.0)
            return i + 1
        return tf.while_loop(lambda i: i < n, body, [tf.constant(0)])

    def eager_body(i):
        v.assign(v * 2.0)
        return i + 1
    tf.while_loop(lambda i: i < 3, eager_body, [tf.constant(0)])
    assert float(v.numpy()) == 8.0
    v.assign(1.0)
    f(tf.constant(3))
    assert float(v.numpy()) == 8.0
    f(tf.constant(2))
    assert float(v.numpy()) == 32.0


# ------------------------------------------------------------------ case, switch_case ---

def _case(a, b):
    return tf.case([(a > b, lambda: a - b), (a < b, lambda: b - a)],
                   default=lambda: tf.zeros_like(a))


@pytest.mark.parametrize("a,b,want", [(5.0, 2.0, 3.0), (1.0, 4.0, 3.0), (2.0, 2.0, 0.0)])
def test_case_eager_and_traced(a, b, want):
    eager, traced = both(_case, tf.constant(a), tf.constant(b))
    assert float(eager) == want
    assert_same(eager, traced)


def test_case_without_default_uses_the_last_pair():
    def fn(x):
        return tf.case([(x > 0, lambda: tf.constant(1)), (x <= 0, lambda: tf.constant(-1))])
    for v, want in [(3.0, [1]), (-3.0, [-1])]:
        eager, traced = both(fn, tf.constant(v))
        assert [int(eager)] == want
        assert_same(eager, traced)


def test_case_first_true_predicate_wins():
    fn = lambda x: tf.case([(x > 0, lambda: tf.constant(1.0)),  # noqa: E731
                            (x > -5, lambda: tf.constant(2.0))],
                           default=lambda: tf.constant(3.0))
    for v, want in [(1.0, 1.0), (-1.0, 2.0), (-10.0, 3.0)]:
        eager, traced = both(fn, tf.constant(v))
        assert float(eager) == want
        assert_same(eager, traced)


def test_case_exclusive_with_several_true_predicates_raises():
    with pytest.raises(InvalidArgumentError, match="more than one"):
        tf.case([(tf.constant(True), lambda: tf.constant(1.0)),
                  (tf.constant(True), lambda: tf.constant(2.0))],
                 default=lambda: tf.constant(3.0), exclusive=True)


def test_case_exclusive_without_default_checks_every_predicate():
    with pytest.raises(InvalidArgumentError, match="more than one"):
        tf.case([(tf.constant(True), lambda: tf.constant(1.0)),
                 (tf.constant(True), lambda: tf.constant(2.0))], exclusive=True)


BRANCHES = [lambda: tf.constant(10.0), lambda: tf.constant(20.0), lambda: tf.constant(30.0)]


@pytest.mark.parametrize("index,want", [(0, 10.0), (1, 20.0), (2, 30.0), (7, 30.0),
                                        (-1, 30.0)])
def test_switch_case_eager_and_traced(index, want):
    fn = lambda i: tf.switch_case(i, BRANCHES)  # noqa: E731
    eager, traced = both(fn, tf.constant(index))
    assert float(eager) == want
    assert_same(eager, traced)


@pytest.mark.parametrize("index,want", [(1, 1.0), (3, 3.0), (0, -1.0), (2, -1.0)])
def test_switch_case_dict_branches_and_default(index, want):
    def fn(i):
        return tf.switch_case(i, {1: lambda: tf.constant(1.0), 3: lambda: tf.constant(3.0)},
                              default=lambda: tf.constant(-1.0))
    eager, traced = both(fn, tf.constant(index))
    assert float(eager) == want
    assert_same(eager, traced)


def test_switch_case_traced_once():
    f = tf.function(lambda i, x: tf.switch_case(i, [lambda: x + 1.0, lambda: x * 10.0]))
    assert [float(f(tf.constant(k), tf.constant(2.0))) for k in (0, 1, 0)] == [3.0, 20.0, 3.0]
    assert f.experimental_get_tracing_count() == 1


# ------------------------------------------------------------------------ gradients ---

def grads_both(fn, xs, variables=(), unconnected="none"):
    """Gradients of fn(*xs) w.r.t. xs and variables: eager and inside ember.function."""
    def step(*xs):
        with tf.GradientTape() as tape:
            tape.watch(list(xs))
            y = fn(*xs)
        return [y] + tape.gradient(y, list(xs) + list(variables),
                                   unconnected_gradients=unconnected)
    return both(step, *xs)


def test_cond_gradients_each_branch():
    fn = lambda x: tf.cond(x > 0, lambda: tf.sin(x) * x, lambda: x * x * x)  # noqa: E731
    for v, want in [(0.5, np.sin(0.5) + 0.5 * np.cos(0.5)), (-2.0, 12.0)]:
        eager, traced = grads_both(fn, [tf.constant(v)])
        np.testing.assert_allclose(eager[1], want, rtol=1e-6)
        assert_same(eager, traced)


def test_cond_gradient_wrt_captured_tensors_and_variables():
    w = tf.Variable([1.5, -0.5])

    def fn(x, y):
        return tf.cond(tf.reduce_sum(x) > 0,
                       lambda: tf.reduce_sum(x * w * y),
                       lambda: tf.reduce_sum(y * y) + tf.reduce_sum(w))
    for xv in ([1.0, 2.0], [-1.0, -2.0]):
        # the branch not taken may give None eagerly and zeros in a graph (as in TF)
        eager, traced = grads_both(fn, [tf.constant(xv), tf.constant([0.3, 0.7])], [w],
                                   unconnected="zero")
        assert_same(eager, traced, rtol=1e-5)
    x, y = np.array([1.0, 2.0]), np.array([0.3, 0.7])
    eager, _ = grads_both(fn, [tf.constant(x, tf.float32), tf.constant(y, tf.float32)], [w])
    np.testing.assert_allclose(eager[1], np.array([1.5, -0.5]) * y, rtol=1e-6)
    np.testing.assert_allclose(eager[3], x * y, rtol=1e-6)


def test_while_loop_gradient_power():
    def fn(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x),
                             [tf.constant(0), tf.constant(1.0)])[1]
    eager, traced = grads_both(fn, [tf.constant(2.0)])
    assert float(eager[0]) == 8.0 and float(eager[1]) == 12.0
    assert_same(eager, traced)


def test_while_loop_gradient_wrt_loop_var_and_captured_and_variable():
    w = tf.Variable(0.9)

    def fn(x0, c):
        def body(i, x):
            return i + 1, tf.tanh(x * w + c) + tf.cast(i, tf.float32) * 0.1
        return tf.reduce_sum(tf.while_loop(lambda i, x: i < 4, body, [tf.constant(0), x0])[1])

    xs = [tf.constant([0.3, -0.2, 0.5]), tf.constant([0.1, 0.0, -0.1])]
    eager, traced = grads_both(fn, xs, [w])
    assert_same(eager, traced, rtol=1e-5, atol=1e-6)
    # finite differences in float64 for the captured c
    def value(c):
        x = np.array([0.3, -0.2, 0.5])
        for i in range(4):
            x = np.tanh(x * 0.9 + c) + i * 0.1
        return x.sum()
    c0 = np.array([0.1, 0.0, -0.1])
    fd = [(value(c0 + d) - value(c0 - d)) / 2e-4 for d in np.eye(3) * 1e-4]
    np.testing.assert_allclose(eager[2], fd, rtol=1e-3)


def test_while_loop_gradient_with_int_counter_and_maximum_iterations():
    def fn(x):
        _, _, y = tf.while_loop(lambda i, k, y: i < 100,
                                lambda i, k, y: (i + 1, k * 2, y * x + tf.cast(k, tf.float32)),
                                [tf.constant(0), tf.constant(1, tf.int64), tf.constant(0.5)],
                                maximum_iterations=3)
        return y
    eager, traced = grads_both(fn, [tf.constant(1.5)])
    # y3 = ((0.5x + 1)x + 2)x + 4 ;  dy/dx = 1.5x^2 + 2x + 2
    np.testing.assert_allclose(eager[0], ((0.5 * 1.5 + 1) * 1.5 + 2) * 1.5 + 4, rtol=1e-6)
    np.testing.assert_allclose(eager[1], 1.5 * 1.5 ** 2 + 2 * 1.5 + 2, rtol=1e-6)
    assert_same(eager, traced)


def test_gradient_through_nested_control_flow():
    w = tf.Variable(1.5)

    def fn(x, y):
        def body(i, acc):
            acc = tf.cond(i % 2 == 0, lambda: acc * x + w, lambda: acc - y * w)
            return i + 1, acc
        return tf.while_loop(lambda i, acc: i < 5, body, [tf.constant(0), tf.constant(1.0)])[1]

    eager, traced = grads_both(fn, [tf.constant(0.7), tf.constant(-0.3)], [w])
    assert_same(eager, traced, rtol=1e-5)

    def value(x, y, wv):
        acc = 1.0
        for i in range(5):
            acc = acc * x + wv if i % 2 == 0 else acc - y * wv
        return acc
    h = 1e-6
    want = [(value(0.7 + h, -0.3, 1.5) - value(0.7 - h, -0.3, 1.5)) / (2 * h),
            (value(0.7, -0.3 + h, 1.5) - value(0.7, -0.3 - h, 1.5)) / (2 * h),
            (value(0.7, -0.3, 1.5 + h) - value(0.7, -0.3, 1.5 - h)) / (2 * h)]
    np.testing.assert_allclose([float(g) for g in eager[1:]], want, rtol=1e-4)


def test_switch_case_gradient():
    fn = lambda i, x: tf.switch_case(i, [lambda: x * x, lambda: tf.exp(x)])  # noqa: E731

    def step(i, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(i, x)
        return tape.gradient(y, x)
    for k, want in [(0, 2.0), (1, np.exp(1.0))]:
        eager, traced = both(step, tf.constant(k), tf.constant(1.0))
        np.testing.assert_allclose(eager, want, rtol=1e-6)
        assert_same(eager, traced)


def test_loop_gradient_of_float64_stays_float64():
    def fn(x):
        return tf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, tf.sin(y)),
                             [tf.constant(0), x])[1]
    eager, traced = grads_both(fn, [tf.constant(0.4, tf.float64)])
    assert eager[1].dtype == np.float64
    np.testing.assert_allclose(eager[1], np.cos(np.sin(0.4)) * np.cos(0.4), rtol=1e-12)
    assert_same(eager, traced, rtol=1e-12)


def test_control_flow_in_a_v1_graph_with_session_and_gradients():
    import ember.compat.v1 as v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [])
        n = v1.placeholder(tf.int32, [])
        y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x),
                          [tf.constant(0), tf.constant(1.0)])[1]
        z = tf.cond(x > 0, lambda: y, lambda: -y)
        dz = v1.gradients(z, x)[0]
    with v1.Session(graph=g) as sess:
        for xv, nv in [(2.0, 3), (-1.5, 2), (0.5, 0)]:
            zv, dv = sess.run([z, dz], {x: xv, n: nv})
            sign = 1.0 if xv > 0 else -1.0
            np.testing.assert_allclose(zv, sign * xv ** nv, rtol=1e-6)
            np.testing.assert_allclose(dv, sign * nv * xv ** (nv - 1) if nv else 0.0,
                                       rtol=1e-6)


def test_a_tape_opened_in_a_while_body_sees_variables_read_there():
    """A training step inside a graph loop: the body's tape differentiates through a
    variable the body reads (and assigns), as TensorFlow's does."""
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    y = np.array([[1.0], [0.0]], np.float32)

    def run(in_function):
        w = tf.Variable(np.zeros((2, 1), np.float32))

        def steps():
            def body(i, loss):
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
                w.assign_sub(0.1 * tape.gradient(loss, w))
                return i + 1, loss
            return tf.while_loop(lambda i, loss: i < 4, body,
                                 [tf.constant(0), tf.constant(0.0)])[1]
        loss = (tf.function(steps) if in_function else steps)()
        return w.numpy(), float(loss)
    w_eager, loss_eager = run(False)
    w_graph, loss_graph = run(True)
    np.testing.assert_allclose(w_graph, w_eager, rtol=1e-6)
    assert abs(loss_graph - loss_eager) < 1e-6 and np.abs(w_graph).sum() > 0
