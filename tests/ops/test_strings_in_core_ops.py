"""String tensors pass through the ops that carry data without computing on it
(printing, assertions, TensorArrays, py_function, sparse tensors), eagerly and traced."""
import numpy as np

import ember as tf


def test_print_and_assert_take_string_tensors(capsys):
    tf.print(tf.constant(["ab", "c"]), 1)
    tf.debugging.Assert(tf.constant(True), ["message", tf.constant(1)])
    assert capsys.readouterr().err == '["ab" "c"] 1\n'


def test_tensor_array_of_strings():
    ta = tf.TensorArray(tf.string, size=2)
    ta = ta.write(0, tf.constant("x")).write(1, tf.constant("y"))
    assert ta.stack().numpy().tolist() == [b"x", b"y"]


def test_string_passthrough_ops_traced():
    @tf.function
    def f(x):
        tf.print(x)
        y = tf.ensure_shape(x, [2])
        return tf.py_function(lambda s: s, [y], tf.string)

    assert f(tf.constant(["u", "v"])).numpy().tolist() == [b"u", b"v"]


def test_sparse_tensor_of_strings_to_dense():
    st = tf.sparse.SparseTensor([[0, 1]], tf.constant(["a"]), [1, 2])
    dense = tf.sparse.to_dense(st, default_value="")
    np.testing.assert_array_equal(dense.numpy(), np.array([[b"", b"a"]], dtype=object))
