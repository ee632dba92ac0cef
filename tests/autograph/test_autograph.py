"""AutoGraph: errors, options, gradients, methods, conversion rules and the public API."""
import traceback

import numpy as np
import pytest

import ember as tf
from ember.engine.gradient_checker import compute_gradient


def test_variable_defined_in_one_branch_is_an_error_when_used():
    @tf.function
    def f(x):
        if x > 0:
            y = x * 2.0
        return y

    with pytest.raises(UnboundLocalError, match="'y' must also be initialized in the else"):
        f(tf.constant(1.0))


def test_variable_defined_in_one_branch_and_unused_is_fine():
    @tf.function
    def f(x):
        if x > 0:
            tmp = x * 2.0
            x = tmp + 1.0
        else:
            x = x - 1.0
        return x

    assert float(f(tf.constant(1.0))) == 3.0
    assert float(f(tf.constant(-1.0))) == -2.0


def test_loop_variable_shape_change_names_the_variable():
    @tf.function
    def f(n):
        x = tf.constant([0])
        for i in tf.range(n):
            x = tf.concat([x, [i]], 0)
        return x

    with pytest.raises(ValueError, match="'x' has shape .* before the for loop.*"
                                         "set_loop_options"):
        f(tf.constant(3))


def test_shape_invariants_allow_growing_loop_variables():
    @tf.function
    def f(n):
        x = tf.constant([0])
        for i in tf.range(n):
            tf.autograph.experimental.set_loop_options(shape_invariants=[(x, [None])])
            x = tf.concat([x, [i]], 0)
        return x

    np.testing.assert_array_equal(f(tf.constant(4)), [0, 0, 1, 2, 3])


def test_maximum_iterations_option():
    @tf.function
    def f(n):
        i = tf.constant(0)
        while i < n:
            tf.autograph.experimental.set_loop_options(maximum_iterations=3)
            i += 1
        return i

    assert int(f(tf.constant(10))) == 3


def test_loop_dtype_change_is_an_error():
    @tf.function
    def f(n):
        x = tf.constant(0)
        while x < n:
            x = tf.cast(x, tf.float32) + 1.0
        return x

    with pytest.raises(TypeError, match="'x' has dtype int32 before the while loop"):
        f(tf.constant(3))


def test_temporary_defined_in_loop_is_undefined_after_it():
    @tf.function
    def f(n):
        i = tf.constant(0)
        while i < n:
            t = i * 2
            i = t // 2 + 1
        return t

    with pytest.raises(UnboundLocalError, match="'t' must be defined before the while loop"):
        f(tf.constant(3))


def test_gradients_through_converted_loops():
    def f(x):
        y = x
        for _ in tf.range(3):
            if tf.reduce_sum(y) > 0:
                y = y * x
            else:
                y = y - x
        return y

    tf_f = tf.function(f)
    x = tf.Variable([1.5, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf_f(x))
    g = tape.gradient(y, x)
    np.testing.assert_allclose(g, 4 * np.array([1.5, 2.0]) ** 3, rtol=1e-5)

    @tf.function
    def grad_in_trace(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.constant(0.0, tf.float64)
            i = tf.constant(0)
            while i < 3:
                s += tf.reduce_sum(tf.sin(x) * tf.cast(i + 1, tf.float64))
                i += 1
        return tape.gradient(s, x)

    xv = np.array([0.3, -1.2], np.float64)
    np.testing.assert_allclose(grad_in_trace(tf.constant(xv)), 6 * np.cos(xv), rtol=1e-10)

    theoretical, numerical = compute_gradient(tf_f, [np.array([0.7, -0.4], np.float64)])
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-5, atol=1e-6)


class Counter:
    def __init__(self, limit):
        self.limit = limit
        self.calls = 0

    def step(self, x):
        self.calls += 1
        while x < self.limit:
            x = x * 2
        return x

    @tf.function
    def run(self, x):
        if x > 0:
            return self.step(x)
        return -x


def test_methods_and_tf_function_methods_are_converted():
    c = Counter(20)
    assert int(c.run(tf.constant(3))) == 24
    assert int(c.run(tf.constant(-3))) == 3
    assert int(tf.function(c.step)(tf.constant(5))) == 20


class Base:
    def scale(self, x):
        return x * 2.0


class Child(Base):
    def scale(self, x):
        y = super().scale(x)
        if tf.reduce_sum(y) > 0:
            y = y + 1.0
        return y


def test_zero_argument_super_in_converted_method():
    f = tf.function(Child().scale)
    np.testing.assert_allclose(f(tf.constant([1.0])), [3.0])
    np.testing.assert_allclose(f(tf.constant([-1.0])), [-2.0])


def test_autograph_false_keeps_python_semantics():
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="as a Python bool"):
        tf.function(f, autograph=False)(tf.constant(1.0))
    assert float(tf.function(f)(tf.constant(-2.0))) == 2.0


def test_do_not_convert():
    @tf.autograph.experimental.do_not_convert
    def helper(x):
        if x > 0:
            return x
        return -x

    @tf.function
    def f(x):
        return helper(x)

    with pytest.raises(TypeError, match="as a Python bool"):
        f(tf.constant(1.0))


def test_errors_point_to_the_user_source_line():
    @tf.function
    def f(x):
        for v in x:
            if v > 0:
                x = x + undefined_name  # noqa: F821
        return x

    with pytest.raises(NameError) as info:
        f(tf.constant([1.0]))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(fr.filename == __file__ and "undefined_name" in (fr.line or "") for fr in frames)


def test_function_without_source_runs_unconverted():
    namespace = {"tf": tf}
    exec("def f(x):\n    return x * 2\n", namespace)
    np.testing.assert_allclose(tf.function(namespace["f"])(tf.constant(2.0)), 4.0)
    namespace2 = {"tf": tf}
    exec("def g(x):\n    if x > 0:\n        return x\n    return -x\n", namespace2)
    with pytest.raises(TypeError, match="as a Python bool"):
        tf.function(namespace2["g"])(tf.constant(1.0))


def test_to_code_and_to_graph():
    def f(x):
        while x > 0:
            x -= 1
        return x

    code = tf.autograph.to_code(f)
    assert "ag__.while_stmt" in code and "def ag__f(x)" in code
    g = tf.autograph.to_graph(f)
    assert int(g(5)) == 0                      # Python values: plain Python
    assert int(tf.function(g)(tf.constant(5))) == 0
    assert set(tf.autograph.experimental.Feature.__members__) >= {"ALL", "LISTS"}


def test_python_loop_with_tensor_break_runs_guarded():
    @tf.function
    def f(x):
        s = tf.constant(0.0)
        for k in [0, 1, 2, 3]:
            if x[k] < 0:
                break
            s += x[k]
        return s

    assert float(f(tf.constant([1.0, 2.0, -1.0, 5.0]))) == 3.0
    assert float(f(tf.constant([1.0, 2.0, 1.0, 5.0]))) == 9.0


def test_while_that_becomes_a_tensor_loop_midway():
    @tf.function
    def f(x):
        done = False
        n = tf.constant(0)
        while not done:
            n += 1
            done = n * x > 10
        return n

    assert int(f(tf.constant(3))) == 4


def test_variables_updated_in_a_tensor_loop():
    v = tf.Variable(0.0)

    @tf.function
    def f(n):
        for i in tf.range(n):
            v.assign_add(tf.cast(i, tf.float32))
        return v.read_value()

    assert float(f(tf.constant(4))) == 6.0
    assert float(v) == 6.0


def test_assert_statement_python_and_tensor():
    @tf.function
    def f(x):
        assert x.shape[0] == 2, "two elements"
        return x + 1.0

    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])), [2.0, 3.0])
    with pytest.raises(AssertionError, match="two elements"):
        f(tf.constant([1.0]))


def test_attributes_assigned_in_tensor_branches_and_loops():
    class Acc:
        def __init__(self):
            self.total = tf.constant(0.0)

        def add_positive(self, x):
            for v in x:
                if v > 0:
                    self.total = self.total + v
            return self.total

    acc = Acc()
    out = tf.function(acc.add_positive)(tf.constant([1.0, -2.0, 3.0]))
    assert float(out) == 4.0


def test_python_range_of_a_tensor_becomes_a_graph_loop():
    @tf.function
    def f(n):
        s = 0
        for i in range(n):
            s += i
        return s

    assert int(f(tf.constant(5))) == 10
    graph = f.get_concrete_function(tf.TensorSpec([], tf.int32)).graph
    assert any(op.type in ("While", "StatefulWhile") for op in graph.get_operations())


def _with_defaults(x, scale=2.0, add=lambda a, b: a + b, *, bias: float = 1.0):
    if x > 0:
        x = add(x * scale, bias)
    return x


def test_defaults_keywords_and_annotations_survive_conversion():
    f = tf.function(_with_defaults)
    assert float(f(tf.constant(1.0))) == 3.0
    assert float(f(tf.constant(1.0), add=lambda a, b: a - b, bias=0.5)) == 1.5
    assert float(f(tf.constant(-1.0), 3.0)) == -1.0


def test_growing_a_python_list_in_a_tensor_loop_names_tensor_array():
    @tf.function
    def f(x):
        out = []
        for v in x:
            out.append(v * 2)
        return tf.stack(out)

    with pytest.raises(ValueError, match="'out' is a Python list.*TensorArray"):
        f(tf.constant([1.0, 2.0]))

    @tf.function
    def g(x):
        out = []
        for k in range(2):              # a Python loop may grow it
            out.append(x[k] * 2)
        return tf.stack(out)

    np.testing.assert_allclose(g(tf.constant([1.0, 2.0])), [2.0, 4.0])


def test_list_appended_in_one_tensor_branch_is_a_clear_error():
    @tf.function
    def f(x):
        out = []
        if x > 0:
            out.append(x)
        return out

    with pytest.raises(ValueError, match="'out' has a different structure"):
        f(tf.constant(1.0))


def test_return_in_a_python_branch_never_taken_inside_a_tensor_loop():
    def make(flag):
        @tf.function
        def f(x):
            for v in x:
                if flag:
                    return v
            return x[0] * 0.0 + 5.0
        return f

    assert float(make(False)(tf.constant([1.0, 2.0]))) == 5.0
    assert float(make(True)(tf.constant([1.0, 2.0]))) == 1.0


def test_partial_functions_are_converted():
    import functools

    def scaled_abs(x, scale):
        if x > 0:
            return x * scale
        return -x * scale

    f = tf.function(functools.partial(scaled_abs, scale=2.0))
    assert float(f(tf.constant(-3.0))) == 6.0


class _InMemoryDataset:
    """A stand-in for a Dataset: iterable in Python, one graph loop under AutoGraph
    through the ``_autograph_for_stmt`` protocol ember.data can implement."""

    def __init__(self, rows):
        self.rows = tf.constant(rows)
        self.loops = 0

    def __iter__(self):
        return iter(self.rows)

    def _autograph_for_stmt(self, extra_test, body, get_state, set_state, names, opts):
        from ember.autograph import operators
        self.loops += 1
        operators.for_stmt(tf.identity(self.rows), extra_test, body, get_state, set_state,
                           names, opts)


def test_iterables_can_run_their_own_graph_loop():
    ds = _InMemoryDataset(np.arange(6, dtype=np.float32).reshape(3, 2))

    @tf.function
    def total(d):
        s = tf.zeros([2])
        for row in d:
            if tf.reduce_sum(row) > 100.0:
                break
            s += row
        return s

    np.testing.assert_allclose(total(ds), [6.0, 9.0])
    assert ds.loops == 1
    graph = total.get_concrete_function(ds).graph
    assert any(op.type in ("While", "StatefulWhile") for op in graph.get_operations())
