"""AutoGraph: a table of control-flow shapes; each converted and traced function must give
what the same Python function gives run eagerly (where tensors are concrete)."""
import numpy as np
import pytest

import ember as tf

X = np.array([1.0, -2.0, 3.0, 4.0, -0.5], np.float32)


def while_sum(x, n):
    s = tf.constant(0.0)
    i = tf.constant(0)
    while i < n:
        s += x[i]
        i += 1
    return s


def nested_range_loops(x, n):
    acc = tf.zeros([])
    for i in tf.range(n):
        for j in tf.range(i + 1):
            acc += x[j] * tf.cast(i, tf.float32)
    return acc


def early_return_in_for(x, n):
    for v in x:
        if v > 2.5:
            return v * 10.0
    return tf.constant(-1.0)


def break_in_while(x, n):
    i = tf.constant(0)
    total = tf.constant(0.0)
    while i < n:
        if total > 1.5:
            break
        total += tf.abs(x[i])
        i += 1
    return total, i


def continue_in_for(x, n):
    s = tf.constant(0.0)
    for v in x:
        if v < 0:
            continue
        s += v
    return s


def for_over_range(x, n):
    s = tf.constant(0)
    for i in tf.range(n):
        s += i * i
    return s


def for_over_tensor(x, n):
    s = tf.constant(1.0)
    for v in x:
        s = s * 0.5 + v
    return s


def if_in_loop(x, n):
    pos = tf.constant(0.0)
    neg = tf.constant(0.0)
    for v in x:
        if v > 0:
            pos += v
        elif v < -1:
            neg += v
        else:
            neg -= 100.0
    return pos, neg


def python_loops_stay_python(x, n):
    out = []
    for k in range(3):
        out.append(x[k] * k)
    total = out[0]
    j = 1
    while j < len(out):
        total = total + out[j]
        j += 1
    return total


def logical_ops(x, n):
    a = x[0] > 0
    b = x[1] > 0
    c = tf.constant(0)
    if a and not b:
        c += 1
    if a or b:
        c += 10
    if not a:
        c += 100
    return c


def return_in_if_else(x, n):
    if tf.reduce_sum(x) > 3:
        return x * 2.0
    else:
        return x - 1.0


def return_in_if_then_continue(x, n):
    if tf.reduce_max(x) > 10:
        return tf.constant(0.0)
    y = tf.reduce_sum(x)
    return y + 1.0


def _helper(v):
    if v > 0:
        return v
    return -v


def calls_converted_helper(x, n):
    s = tf.constant(0.0)
    for v in x:
        s += _helper(v)
    return s


def tuple_state(x, n):
    state = (tf.constant(0.0), tf.constant(1.0))
    i = 0
    for v in x:
        a, b = state
        state = (a + v, b * 2.0)
        i += 1
    return state[0], state[1], i


def enumerate_zip_len(x, n):
    s = tf.constant(0.0)
    for k, v in enumerate(x):
        s += tf.cast(k, tf.float32) * v
    for a, b in zip(x, x * 2.0):
        s += a * b
    return s + tf.cast(len(x), tf.float32)


def for_else(x, n):
    found = tf.constant(-1.0)
    for v in x:
        if v > 100:
            found = v
            break
    else:
        found = tf.constant(7.0)
    return found


def while_with_python_counter(x, n):
    k = 0
    s = tf.constant(0.0)
    while s < 5.0:
        s += 1.5
        k += 1
    return s, k


def nested_while_break(x, n):
    total = tf.constant(0)
    i = tf.constant(0)
    while i < 4:
        j = tf.constant(0)
        while True:
            if j >= i:
                break
            total += j
            j += 1
        i += 1
    return total


def conditional_expression(x, n):
    y = x[0] if n > 2 else x[1]
    return y * 3.0


def lambda_with_logic(x, n):
    f = lambda v: v * 2.0 if v > 0 else -v  # noqa: E731
    return f(x[0]) + f(x[1])


SCALE = 3.0


def closure_and_globals(x, n):
    offset = 0.5

    def inner(v):
        if v > offset:
            return v * SCALE
        return v

    s = tf.constant(0.0)
    for v in x:
        s += inner(v)
    return s


def return_from_nested_loops(x, n):
    i = tf.constant(0)
    while i < n:
        j = tf.constant(0)
        while j < n:
            if x[i] + x[j] > 6.5:
                return x[i] * 100.0 + x[j]
            j += 1
        i += 1
    return tf.constant(-1.0)


def with_and_nonlocal_inside_loops(x, n):
    total = tf.constant(0.0)

    def bump(v):
        nonlocal total
        total = total + v

    for v in x:
        with tf.name_scope("step"):
            if v > 0:
                bump(v)
    return total


def while_else_and_continue(x, n):
    i = tf.constant(0)
    s = tf.constant(0.0)
    while i < n:
        i += 1
        if x[i - 1] < 0:
            continue
        s += x[i - 1]
    else:
        s += 1000.0
    return s


def generator_helper_stays_python(x, n):
    def gen():
        for k in range(3):
            yield x[k]
    return tf.add_n(list(gen()))


CASES = [return_from_nested_loops, with_and_nonlocal_inside_loops, while_else_and_continue,
         generator_helper_stays_python, while_sum, nested_range_loops, early_return_in_for, break_in_while, continue_in_for,
         for_over_range, for_over_tensor, if_in_loop, python_loops_stay_python, logical_ops,
         return_in_if_else, return_in_if_then_continue, calls_converted_helper, tuple_state,
         enumerate_zip_len, for_else, while_with_python_counter, nested_while_break,
         conditional_expression, lambda_with_logic, closure_and_globals]


def _values(out):
    return [np.asarray(o) for o in tf.nest.flatten(out)]


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("data", [X, -X, X[::-1].copy()], ids=["x", "neg", "rev"])
def test_converted_matches_eager(fn, data):
    x, n = tf.constant(data), tf.constant(len(data))
    want = _values(fn(x, n))
    got = _values(tf.function(fn)(x, n))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)


def test_tensor_loops_become_graph_loops():
    graph = tf.function(while_sum).get_concrete_function(
        tf.TensorSpec([5], tf.float32), tf.TensorSpec([], tf.int32)).graph
    kinds = {op.type for op in graph.get_operations()}
    assert kinds & {"While", "StatefulWhile"}


def test_python_loops_are_unrolled():
    graph = tf.function(python_loops_stay_python).get_concrete_function(
        tf.TensorSpec([5], tf.float32), tf.TensorSpec([], tf.int32)).graph
    kinds = {op.type for op in graph.get_operations()}
    assert not kinds & {"While", "StatefulWhile", "If", "StatefulIf"}


def test_unknown_length_loop_runs_for_every_shape():
    f = tf.function(for_over_tensor, input_signature=[tf.TensorSpec([None], tf.float32),
                                                      tf.TensorSpec([], tf.int32)])
    for k in (1, 3, 6):
        data = np.arange(k, dtype=np.float32)
        np.testing.assert_allclose(f(tf.constant(data), tf.constant(k)),
                                   for_over_tensor(tf.constant(data), k), rtol=1e-6)
