"""tf.print: TensorFlow's formatting (checked against TensorFlow 2.21's output), streams,
and printing at run time inside traced functions."""
import io
import sys

import numpy as np
import pytest

import ember as tf

CASES = [
    ((tf.constant([1, 2, 3, 4, 5, 6, 7]),), {}, "[1 2 3 ... 5 6 7]\n"),
    (("x:", tf.constant(1.5), 3, [1, 2], {"a": tf.constant(2)}), {},
     "x: 1.5 3 [1, 2] {'a': 2}\n"),
    ((tf.reshape(tf.range(24), [2, 3, 4]),), {},
     "[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n"
     "  [20 21 22 23]]]\n"),
    ((tf.reshape(tf.range(24.0), [4, 6]),), {"summarize": 2},
     "[[0 1 ... 4 5]\n [6 7 ... 10 11]\n [12 13 ... 16 17]\n [18 19 ... 22 23]]\n"),
    ((tf.constant([0.1, 1e-8, 123456.7]),), {}, "[0.1 1e-08 123456.703]\n"),
    ((tf.constant(["ab", "c"]), tf.constant(True), tf.constant([True, False])), {},
     '["ab" "c"] 1 [1 0]\n'),
    (("a", "b"), {"sep": "-", "end": "|\n"}, "a-b|\n"),
    ((tf.range(10),), {"summarize": -1}, "[0 1 2 3 4 5 6 7 8 9]\n"),
    ((tf.reshape(tf.range(80), [5, 4, 4]),), {"summarize": 1},
     "[[[0 ... 3]\n  ...\n  [12 ... 15]]\n\n ...\n\n [[64 ... 67]\n  ...\n  [76 ... 79]]]\n"),
    ((tf.constant(0.1, tf.float64), tf.constant(1 / 3, tf.float64), tf.constant(1 / 3),
      tf.constant(1e20), tf.constant(-0.0), tf.constant(float("nan")),
      tf.constant(float("inf"))), {},
     "0.1 0.33333333333333331 0.333333343 1e+20 -0 nan inf\n"),
    ((tf.constant("hi"), tf.Variable([1.0, 2.0])), {}, "hi [1 2]\n"),
]


@pytest.mark.parametrize("args,kwargs,want", CASES)
def test_print_formats_as_tensorflow(args, kwargs, want):
    out = io.StringIO()
    tf.print(*args, output_stream=out, **kwargs)
    assert out.getvalue() == want


def test_default_stream_is_stderr(capsys):
    tf.print("to", tf.constant([1, 2]))
    tf.print("out", output_stream=sys.stdout)
    captured = capsys.readouterr()
    assert captured.err == "to [1 2]\n" and captured.out == "out\n"


def test_print_runs_each_call_inside_traced_functions_and_loops():
    out = io.StringIO()

    @tf.function
    def f(x):
        for i in tf.range(3):
            if i > 0:
                tf.print("i", i, x * 2.0, output_stream=out)
        return x + 1.0

    np.testing.assert_allclose(f(tf.constant(1.0)), 2.0)
    f(tf.constant(1.0))
    assert out.getvalue() == "i 1 2\ni 2 2\n" * 2


def test_python_print_of_tensors_becomes_tf_print(capsys):
    @tf.function
    def f(x):
        print("value", x)      # a tensor argument: printed when the function runs
        print("traced")         # Python values only: printed while tracing
        return x

    f(tf.constant(3))
    f(tf.constant(4))
    assert capsys.readouterr().out == "traced\nvalue 3\nvalue 4\n"


def test_print_to_file(tmp_path):
    path = tmp_path / "log.txt"
    tf.print("a", tf.constant(1), output_stream=f"file://{path}")
    tf.print("b", output_stream=f"file://{path}")
    assert path.read_text() == "a 1\nb\n"
    with pytest.raises(ValueError, match="output_stream"):
        tf.print("x", output_stream="nowhere")


def test_print_sparse_tensor_as_tensorflow():
    st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
    out = io.StringIO()
    tf.print(st, output_stream=out)
    tf.print("x", [st], output_stream=out)
    want = "'SparseTensor(indices=[[0 0]\n [1 2]], values=[1 2], shape=[3 4])'"
    assert out.getvalue() == f"{want}\nx [{want}]\n"
