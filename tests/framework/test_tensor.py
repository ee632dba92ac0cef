import numpy as np
import pytest

import ember as tf
from ember import errors


def test_constant_default_dtypes_follow_tensorflow():
    assert tf.constant(1.5).dtype is tf.float32
    assert tf.constant(3).dtype is tf.int32
    assert tf.constant([1, 2**40]).dtype is tf.int64
    assert tf.constant(True).dtype is tf.bool
    assert tf.constant("hi").dtype is tf.string
    assert tf.constant(1 + 2j).dtype is tf.complex128
    assert tf.constant(np.arange(3.0)).dtype is tf.float64
    assert tf.constant(np.float16(1)).dtype is tf.float16
    assert tf.constant([[1, 2], [3, 4]], dtype=tf.float64).dtype is tf.float64


def test_constant_shape_fills_and_reshapes():
    np.testing.assert_array_equal(tf.constant(7, shape=[2, 3]).numpy(), np.full((2, 3), 7))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy(),
                                  [[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="elements"):
        tf.constant([1, 2, 3], shape=[2, 2])


def test_constant_rejects_lossy_python_conversion():
    with pytest.raises(TypeError, match="int32"):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="rectangular"):
        tf.constant([[1, 2], [3]])


def test_tensor_properties_and_numpy_interop():
    t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == tf.TensorShape([2, 3])
    assert t.shape == (2, 3)
    assert t.ndim == 2 and len(t) == 2
    assert t.dtype == tf.float32 and t.dtype == "float32" and t.dtype == np.float32
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and arr.shape == (2, 3)
    out = t.numpy()
    out[0, 0] = 100.0
    assert t.numpy()[0, 0] == 1.0, "numpy() must not expose the tensor's buffer"
    assert np.exp(t).dtype == np.float32
    assert isinstance(np.ones(3, np.float32) + tf.constant([1.0, 2.0, 3.0]), tf.Tensor)


def test_scalar_conversions():
    s = tf.constant(2.5)
    assert float(s) == 2.5 and int(tf.constant(3)) == 3
    assert bool(tf.constant(True)) and not bool(tf.constant(0.0))
    assert [0, 1, 2, 3][tf.constant(2)] == 2
    assert isinstance(s.numpy(), np.float32)
    assert f"{s:.1f}" == "2.5"
    with pytest.raises(TypeError, match="index"):
        [1, 2][tf.constant(1.0)]


def test_truth_value_of_non_scalar_is_an_error():
    with pytest.raises(ValueError):
        bool(tf.constant([1, 2]))


def test_iteration_yields_rows():
    rows = list(tf.constant([[1, 2], [3, 4]]))
    assert len(rows) == 2
    np.testing.assert_array_equal(rows[1].numpy(), [3, 4])
    with pytest.raises(TypeError):
        iter(tf.constant(1.0))


def test_repr_and_str_look_like_tensorflow():
    t = tf.constant([[1, 2], [3, 4]])
    assert repr(t) == ("<ember.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
                       "array([[1, 2],\n       [3, 4]], dtype=int32)>")
    assert str(tf.constant(6.0)) == "ember.Tensor(6.0, shape=(), dtype=float32)"
    assert repr(tf.constant(6.0)) == "<ember.Tensor: shape=(), dtype=float32, numpy=6.0>"
    assert str(t) == "ember.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)"


def test_tensors_are_unhashable_but_refs_are():
    t = tf.constant(1.0)
    with pytest.raises(TypeError, match="ref"):
        hash(t)
    d = {t.ref(): "x"}
    assert d[t.ref()] == "x" and t.ref().deref() is t


def test_string_tensors_hold_bytes():
    t = tf.constant(["ab", "c"])
    assert t.numpy().tolist() == [b"ab", b"c"]
    assert repr(tf.constant(b"x")) == "<ember.Tensor: shape=(), dtype=string, numpy=b'x'>"


def test_convert_to_tensor_rules():
    x = tf.constant([1.0, 2.0])
    assert tf.convert_to_tensor(x) is x
    with pytest.raises(ValueError, match="requested dtype float64"):
        tf.convert_to_tensor(x, dtype=tf.float64)
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype is tf.float32
    assert tf.convert_to_tensor([1.5], dtype_hint=tf.int32).dtype is tf.float32
    assert tf.convert_to_tensor(np.arange(3.0), dtype=tf.float32).dtype is tf.float32
    with pytest.raises(TypeError):
        tf.convert_to_tensor(np.arange(3.0), dtype=tf.int32)
    v = tf.Variable([1.0])
    assert isinstance(tf.convert_to_tensor(v), tf.Tensor)
    assert tf.is_tensor(x) and tf.is_tensor(v) and not tf.is_tensor(np.ones(2))


def test_constant_of_list_of_tensors_stacks_them():
    t = tf.constant([tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])])
    np.testing.assert_array_equal(t.numpy(), [[1, 2], [3, 4]])


def test_mixing_float32_and_float64_raises_naming_the_op():
    a = tf.constant([1.0], dtype=tf.float32)
    b = tf.constant([1.0], dtype=tf.float64)
    with pytest.raises(errors.InvalidArgumentError, match="AddV2"):
        a + b
    with pytest.raises(errors.InvalidArgumentError, match="BatchMatMulV2|MatMul"):
        tf.matmul(tf.ones([2, 2]), tf.ones([2, 2], tf.float64))


def test_python_scalars_take_the_tensor_dtype():
    assert (tf.constant([1.0], tf.float64) + 1).dtype is tf.float64
    assert (2 * tf.constant([1], tf.int64)).dtype is tf.int64
    assert (tf.constant([1.0], tf.float16) * 0.5).dtype is tf.float16
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1]) + 2.5


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(errors.InvalidArgumentError, match=r"\[2, 3\] vs. \[4\]"):
        tf.ones([2, 3]) + tf.ones([4])


def test_matmul_error_names_both_shapes():
    with pytest.raises(errors.InvalidArgumentError, match=r"\[2, 3\].*\[4, 5\]"):
        tf.matmul(tf.ones([2, 3]), tf.ones([4, 5]))


def test_reshape_error_names_counts():
    with pytest.raises(errors.InvalidArgumentError, match="6 values"):
        tf.reshape(tf.ones([2, 3]), [4, 2])


def test_concat_error_names_shapes():
    with pytest.raises(errors.InvalidArgumentError, match="ConcatOp"):
        tf.concat([tf.ones([2, 3]), tf.ones([2, 4])], axis=0)


def test_symbolic_tensor_escaping_gives_clear_error():
    from ember.engine.dispatch import execute
    from ember.ops import math_ops

    class FakeSymbolic(tf.Tensor):
        shape = tf.TensorShape([2])
        dtype = tf.float32

    with pytest.raises(TypeError, match="ember.function"):
        execute(math_ops.ADD, (FakeSymbolic(), FakeSymbolic()))


def test_error_classes_have_tensorflow_names_and_codes():
    assert issubclass(errors.InvalidArgumentError, errors.OpError)
    assert errors.InvalidArgumentError.error_code == errors.INVALID_ARGUMENT == 3
    assert errors.NotFoundError("missing").message == "missing"
    for name in ["ResourceExhaustedError", "FailedPreconditionError", "UnimplementedError",
                 "OutOfRangeError", "AbortedError", "CancelledError", "InternalError"]:
        assert issubclass(getattr(errors, name), errors.OpError)


def test_empty_python_lists_take_the_requested_dtype():
    for dtype in (tf.int32, tf.int64, tf.bool, tf.float16, tf.uint8):
        t = tf.constant([], dtype)
        assert t.dtype == dtype and t.shape == (0,)
    assert tf.constant([[], []], tf.int32).shape == (2, 0)
    assert tf.constant([]).dtype == tf.float32
