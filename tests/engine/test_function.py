"""ember.function: tracing per signature, retracing rules, concrete functions and their
graphs, variables, tapes inside and around traced functions, methods, nesting, errors."""
import warnings

import numpy as np
import pytest

import ember as tf


def counting(fn, **kwargs):
    """``fn`` under ember.function, plus a list that grows by one per Python trace."""
    traces = []

    def traced(*args, **kw):
        traces.append(1)
        return fn(*args, **kw)
    return tf.function(traced, **kwargs), traces


# ------------------------------------------------------------------------- tracing ---

def test_traces_once_per_signature_and_counts():
    f, traces = counting(lambda x: x * 2.0 + 1.0)
    assert f.experimental_get_tracing_count() == 0
    out = f(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [3.0, 5.0])
    assert out.dtype == tf.float32
    for v in ([3.0, 4.0], [-1.0, 0.5], [0.0, 0.0]):
        np.testing.assert_array_equal(f(tf.constant(v)).numpy(), np.array(v) * 2 + 1)
    assert f.experimental_get_tracing_count() == 1
    assert len(traces) == 1


RETRACE_CASES = [
    # (id, first call args, second call args, traces after both)
    ("same_shape", (np.ones(3, np.float32),), (np.zeros(3, np.float32),), 1),
    ("new_shape", (np.ones(3, np.float32),), (np.ones(4, np.float32),), 2),
    ("new_rank", (np.ones(3, np.float32),), (np.ones((3, 1), np.float32),), 2),
    ("new_dtype", (np.ones(3, np.float32),), (np.ones(3, np.float64),), 2),
    ("int_vs_float", (np.ones(3, np.int32),), (np.ones(3, np.float32),), 2),
]


@pytest.mark.parametrize("first,second,count", [c[1:] for c in RETRACE_CASES],
                         ids=[c[0] for c in RETRACE_CASES])
def test_retrace_on_new_shapes_and_dtypes(first, second, count):
    f = tf.function(lambda x: x + x)
    for args in (first, second, first, second):
        out = f(*[tf.constant(a) for a in args])
        np.testing.assert_array_equal(out.numpy(), args[0] + args[0])
        assert out.dtype == tf.as_dtype(args[0].dtype)
    assert f.experimental_get_tracing_count() == count


def test_python_values_are_part_of_the_signature():
    f, traces = counting(lambda x, n, mode="add": x + n if mode == "add" else x * n)
    x = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal(f(x, 2.0).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(f(x, 3.0).numpy(), [4.0, 5.0])
    np.testing.assert_array_equal(f(x, 2.0).numpy(), [3.0, 4.0])
    assert f.experimental_get_tracing_count() == 2
    np.testing.assert_array_equal(f(x, 3.0, mode="mul").numpy(), [3.0, 6.0])
    np.testing.assert_array_equal(f(x, 3.0, mode="mul").numpy(), [3.0, 6.0])
    assert f.experimental_get_tracing_count() == 3
    assert len(traces) == 3


def test_numpy_arguments_are_tensors_and_structures_come_back():
    f = tf.function(lambda x: {"a": x, "b": (x * 2.0, 3, "s")})
    out = f(np.ones(2, np.float32))
    assert set(out) == {"a", "b"}
    np.testing.assert_array_equal(out["a"].numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(out["b"][0].numpy(), [2.0, 2.0])
    assert out["b"][1:] == (3, "s")
    f(np.zeros(2, np.float32))
    assert f.experimental_get_tracing_count() == 1


def test_input_signature_with_none_dim_traces_once_for_100_batch_sizes(capsys):
    f, traces = counting(lambda x: tf.reduce_sum(x * x, axis=1),
                         input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(1, 101):
            x = rng.standard_normal((n, 3)).astype(np.float32)
            out = f(tf.constant(x))
            assert out.shape == (n,)
            np.testing.assert_allclose(out.numpy(), (x * x).sum(1), rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1 and len(traces) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_reduce_retracing_traces_at_most_twice_for_100_batch_sizes(capsys):
    f = tf.function(lambda x, w: tf.matmul(x, w), reduce_retracing=True)
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(1, 101):
            x = rng.standard_normal((n, 3)).astype(np.float32)
            out = f(tf.constant(x), tf.constant(w))
            assert out.shape == (n, 2)
            np.testing.assert_allclose(out.numpy(), x @ w, rtol=1e-5, atol=1e-6)
    assert f.experimental_get_tracing_count() <= 2
    # the relaxed trace keeps the dimensions that did not change
    c = f.get_concrete_function(tf.constant(np.ones((7, 3), np.float32)), tf.constant(w))
    assert c.inputs[0].shape.as_list() == [None, 3]
    assert c.inputs[1].shape.as_list() == [3, 2]
    assert f.experimental_get_tracing_count() <= 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_without_reduce_retracing_each_batch_size_traces():
    f = tf.function(lambda x: x + 1.0)
    for n in range(1, 6):
        f(tf.ones([n]))
    assert f.experimental_get_tracing_count() == 5


# ---------------------------------------------------------------- concrete functions ---

def test_get_concrete_function_graph_operations():
    @tf.function
    def f(x, y):
        return tf.exp(x) * y + 2.0

    c = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32),
                                tf.TensorSpec([3], tf.float32))
    ops = c.graph.get_operations()
    types = [op.type for op in ops]
    assert types.count("Placeholder") == 2
    for t in ("Exp", "Mul", "AddV2", "Const"):
        assert t in types
    names = [op.name for op in ops]
    assert len(set(names)) == len(names)
    produced = set()
    for op in ops:
        for t in op.inputs:
            assert id(t) in produced, f"{op.name} reads {t.name} before it is made"
            assert t.name.startswith(t.op.name + ":")
        for t in op.outputs:
            assert t.op is op
            produced.add(id(t))
    by_type = {op.type: op for op in ops}
    assert by_type["Exp"].inputs == [c.inputs[0]]
    assert by_type["Exp"].outputs[0].shape.as_list() == [None, 3]
    assert by_type["Mul"].inputs[0] is by_type["Exp"].outputs[0]
    assert by_type["Mul"].inputs[1] is c.inputs[1]
    assert c.outputs == [by_type["AddV2"].outputs[0]]
    assert c.outputs[0].dtype == tf.float32
    assert [s.shape.as_list() for s in c.structured_input_signature] == [[None, 3], [3]]
    assert c.graph.get_operation_by_name(by_type["Exp"].name) is by_type["Exp"]
    # the concrete function runs for any batch size; the Function reuses it
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.array([1, 2, 3], np.float32)
    np.testing.assert_allclose(c(tf.constant(x), tf.constant(y)).numpy(), np.exp(x) * y + 2,
                               rtol=1e-6)
    assert f.experimental_get_tracing_count() == 1


def test_get_concrete_function_of_input_signature_needs_no_arguments():
    f = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None], tf.float32)])
    c = f.get_concrete_function()
    assert c.inputs[0].shape.as_list() == [None]
    assert c is f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    np.testing.assert_array_equal(c(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    assert f.experimental_get_tracing_count() == 1


def test_concrete_function_rejects_wrong_dtype():
    c = tf.function(lambda x: x * 2.0).get_concrete_function(tf.TensorSpec([2], tf.float32))
    with pytest.raises(TypeError, match="float32.*int32"):
        c(tf.constant([1, 2]))


def test_concrete_function_rejects_incompatible_shape():
    c = tf.function(lambda x: x * 2.0).get_concrete_function(tf.TensorSpec([2], tf.float32))
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError)):
        c(tf.constant([1.0, 2.0, 3.0]))


# ------------------------------------------------------------------------- variables ---

def test_variables_are_read_at_call_time_not_baked_in():
    v = tf.Variable(2.0)
    f = tf.function(lambda x: x * v)
    assert float(f(tf.constant(3.0))) == 6.0
    v.assign(5.0)
    assert float(f(tf.constant(3.0))) == 15.0
    assert f.experimental_get_tracing_count() == 1


def test_variable_assignments_inside_a_function_behave_as_eagerly():
    def step(x, v, counter):
        v.assign_add(x)
        doubled = v * 2.0
        v.assign(doubled)
        counter.assign_add(1)
        return v.read_value() + 0.0, counter.read_value()

    results = []
    for fn in (step, tf.function(step)):
        v = tf.Variable([1.0, 2.0])
        counter = tf.Variable(0)
        outs = [[t.numpy() for t in fn(tf.constant([1.0, -1.0]), v, counter)]
                for _ in range(3)]
        results.append(([o[0] for o in outs], [int(o[1]) for o in outs], v.numpy(),
                         int(counter.numpy())))
    (eager_vals, eager_counts, eager_v, eager_c), (vals, counts, got_v, got_c) = results
    for e, g in zip(eager_vals, vals):
        np.testing.assert_array_equal(g, e)
    assert counts == eager_counts == [1, 2, 3]
    np.testing.assert_array_equal(got_v, eager_v)
    np.testing.assert_array_equal(got_v, [22.0, 2.0])
    assert got_c == eager_c == 3


def test_earlier_results_do_not_change_when_the_variable_is_updated_again():
    counter = tf.Variable(0)
    v = tf.Variable([1.0, 2.0])
    f = tf.function(lambda: (counter.assign_add(1), v.assign_add([1.0, 1.0]),
                             v.read_value()))
    first = f()
    f()
    assert [int(first[0]), first[1].numpy().tolist(), first[2].numpy().tolist()] == \
        [1, [2.0, 3.0], [2.0, 3.0]]
    assert int(counter.numpy()) == 2


def test_assign_sub_inside_function_keeps_dtype_and_shape():
    v = tf.Variable(np.ones((2, 2), np.float64))
    f = tf.function(lambda: v.assign_sub(tf.constant(np.full((2, 2), 0.25))))
    f()
    f()
    assert v.dtype == tf.float64
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 0.5))


# ------------------------------------------------------------------------ gradients ---

def _mlp_loss(x, y, w1, b1, w2):
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(h, w2)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))


def test_gradient_tape_inside_a_function_matches_eager():
    rng = np.random.default_rng(2)
    w1 = tf.Variable(rng.standard_normal((4, 5)).astype(np.float32))
    b1 = tf.Variable(rng.standard_normal(5).astype(np.float32))
    w2 = tf.Variable(rng.standard_normal((5, 3)).astype(np.float32))
    x = tf.constant(rng.standard_normal((6, 4)).astype(np.float32))
    y = tf.constant([0, 1, 2, 2, 1, 0])

    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = _mlp_loss(x, y, w1, b1, w2)
        return loss, tape.gradient(loss, [w1, b1, w2, x])

    f = tf.function(step)
    want_loss, want_grads = step(x, y)
    got_loss, got_grads = f(x, y)
    np.testing.assert_allclose(float(got_loss), float(want_loss), rtol=1e-6)
    for g, e in zip(got_grads, want_grads):
        assert g.dtype == tf.float32 and g.shape == e.shape
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)
    # the gradient is part of the graph: the backward matmuls are nodes too
    types = [op.type for op in f.get_concrete_function(x, y).graph.get_operations()]
    assert types.count("BatchMatMulV2") >= 4


def test_gradient_inside_function_is_graph_ops():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.sin(x)
        return tape.gradient(y, x)

    x = np.linspace(-1, 1, 5).astype(np.float32)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), np.cos(x), rtol=1e-6)
    types = [op.type for op in f.get_concrete_function(tf.constant(x)).graph.get_operations()]
    assert "Cos" in types


def test_second_order_inside_function():
    @tf.function
    def f(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x * x
            dy = inner.gradient(y, x)
        return dy, outer.gradient(dy, x)

    dy, d2y = f(tf.constant([1.0, -2.0, 3.0]))
    np.testing.assert_allclose(dy.numpy(), [3.0, 12.0, 27.0])
    np.testing.assert_allclose(d2y.numpy(), [6.0, -12.0, 18.0])


def test_gradient_of_function_wrt_variables_under_outer_tape():
    rng = np.random.default_rng(3)
    w = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32))
    x = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))
    fn = lambda x: tf.reduce_sum(tf.tanh(tf.matmul(x, w)) ** 2)  # noqa: E731
    f = tf.function(fn)
    with tf.GradientTape() as tape:
        want = fn(x)
    want_g = tape.gradient(want, w)
    with tf.GradientTape() as tape:
        got = f(x)
    got_g = tape.gradient(got, w)
    np.testing.assert_allclose(float(got), float(want), rtol=1e-6)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_of_function_wrt_variable_argument_under_outer_tape():
    f = tf.function(lambda v: tf.reduce_sum(v * v))
    v = tf.Variable([1.0, -2.0])
    with tf.GradientTape() as tape:
        y = f(v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, -4.0])


def test_gradient_of_function_wrt_tensor_argument_under_outer_tape():
    f = tf.function(lambda x: tf.reduce_sum(x * x))
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    g = tape.gradient(y, x)
    assert g is not None
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


# ------------------------------------------------------------- methods and nesting ---

class Scaler:
    def __init__(self, value):
        self.v = tf.Variable(value)
        self.traces = 0

    @tf.function
    def __call__(self, x):
        self.traces += 1
        return x * self.v

    @tf.function
    def bump(self, by):
        self.v.assign_add(by)
        return self.v.read_value()


def test_methods_decorated_with_function_are_per_instance():
    a, b = Scaler(2.0), Scaler(5.0)
    assert float(a(tf.constant(3.0))) == 6.0
    assert float(b(tf.constant(3.0))) == 15.0
    assert float(a(tf.constant(4.0))) == 8.0
    assert a.traces == 1 and b.traces == 1
    assert float(a.bump(tf.constant(1.0))) == 3.0
    assert float(a.bump(tf.constant(1.0))) == 4.0
    assert float(b.v.numpy()) == 5.0
    assert float(a(tf.constant(1.0))) == 4.0
    assert a.__call__.experimental_get_tracing_count() == 1


def test_nested_functions_trace_inline():
    inner, inner_traces = counting(lambda x: x * 2.0)

    @tf.function
    def outer(x):
        return inner(x) + inner(x + 1.0)

    assert float(outer(tf.constant(1.0))) == 6.0
    assert float(outer(tf.constant(2.0))) == 10.0
    assert outer.experimental_get_tracing_count() == 1
    # inner was traced into outer's graph, not compiled separately
    assert inner.experimental_get_tracing_count() == 0
    assert float(inner(tf.constant(4.0))) == 8.0
    assert inner.experimental_get_tracing_count() == 1
    types = [op.type for op in outer.get_concrete_function(tf.constant(1.0)).graph
             .get_operations()]
    assert types.count("Mul") == 2


def test_nested_function_with_tape_and_control_flow():
    @tf.function
    def loss(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: tf.reduce_sum(x * x),
                       lambda: tf.reduce_sum(-x))

    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = loss(x)
        return tape.gradient(y, x)

    np.testing.assert_allclose(grad(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(grad(tf.constant([-1.0, -2.0])).numpy(), [-1.0, -1.0])
    assert grad.experimental_get_tracing_count() == 1


def test_decorator_with_arguments_and_jit_compile_accepted():
    @tf.function(jit_compile=True, reduce_retracing=False)
    def f(x):
        return x - 1.0

    np.testing.assert_array_equal(f(tf.constant([1.0])).numpy(), [0.0])
    assert f.python_function(3.0) == 2.0


# --------------------------------------------------------------------------- errors ---

def test_symbolic_tensor_as_python_bool_names_cond_and_while_loop():
    @tf.function(autograph=False)      # AutoGraph would turn the `if` into a cond
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match=r"(?s)Python bool.*ember\.cond.*ember\.while_loop"):
        f(tf.constant(1.0))


def test_python_loop_over_unknown_length_tensor_is_refused():
    def total(x):
        s = 0.0
        for row in x:
            s += row
        return s

    f = tf.function(total, input_signature=[tf.TensorSpec([None], tf.float32)],
                    autograph=False)
    with pytest.raises(TypeError, match="ember.while_loop"):
        f(tf.constant([1.0, 2.0]))
    # with a known length, iteration unstacks
    assert float(tf.function(total)(tf.constant([1.0, 2.0, 3.0]))) == 6.0


def test_symbolic_tensor_to_python_number_is_refused():
    with pytest.raises(TypeError, match="symbolic tensor.*float"):
        tf.function(lambda x: float(x), autograph=False)(tf.constant(1.0))


def _leak():
    leaked = []

    @tf.function
    def f(x):
        leaked.append(x * 2.0)
        return x

    f(tf.constant(1.0))
    return leaked[0]


def test_symbolic_tensor_escaping_a_trace_has_no_value():
    t = _leak()
    with pytest.raises(TypeError, match="symbolic"):
        t.numpy()
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(t)


def test_symbolic_tensor_escaping_a_trace_used_eagerly_raises():
    t = _leak()
    with pytest.raises(TypeError, match=r"(?s)symbolic tensor.*ember\.cond"):
        t + 1.0


SIGNATURE_ERRORS = [
    ("shape", lambda f: f(tf.ones([2, 4])), ValueError, r"input_signature"),
    ("rank", lambda f: f(tf.ones([3])), ValueError, r"input_signature"),
    ("dtype", lambda f: f(tf.ones([2, 3], tf.float64)), ValueError, r"float64"),
    ("count", lambda f: f(tf.ones([2, 3]), tf.ones([2, 3])), TypeError, r"input_signature"),
]


@pytest.mark.parametrize("call,exc,match", [c[1:] for c in SIGNATURE_ERRORS],
                         ids=[c[0] for c in SIGNATURE_ERRORS])
def test_input_signature_mismatch(call, exc, match):
    f = tf.function(lambda *xs: xs[0] * 2.0,
                    input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    with pytest.raises(exc, match=match):
        call(f)
    assert f.experimental_get_tracing_count() == 0


def test_tensor_spec():
    s = tf.TensorSpec([None, 784], tf.float32, name="x")
    assert s.shape.as_list() == [None, 784] and s.dtype == tf.float32 and s.name == "x"
    assert s.is_compatible_with(tf.zeros([5, 784]))
    assert not s.is_compatible_with(tf.zeros([5, 783]))
    assert not s.is_compatible_with(tf.zeros([5, 784], tf.float64))
    assert s == tf.TensorSpec([None, 784], tf.float32, name="x")
    assert hash(s) == hash(tf.TensorSpec([None, 784], tf.float32, name="x"))
    assert tf.TensorSpec.from_tensor(tf.zeros([2, 3])).shape.as_list() == [2, 3]


def test_input_signature_binds_arguments_given_by_name_to_their_parameters():
    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32), tf.TensorSpec([], tf.int32)])
    def f(x, i):
        return x * tf.cast(i, tf.float32)
    x, i = tf.constant([1.0, 2.0]), tf.constant(3)
    want = [3.0, 6.0]
    np.testing.assert_array_equal(f(x, i).numpy(), want)
    np.testing.assert_array_equal(f(x=x, i=i).numpy(), want)
    np.testing.assert_array_equal(f(i=i, x=x).numpy(), want)
    np.testing.assert_array_equal(f(x, i=i).numpy(), want)
    assert f.get_concrete_function(i=tf.TensorSpec([], tf.int32),
                                   x=tf.TensorSpec([2], tf.float32)) is f.get_concrete_function()
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        f(x, y=i)
