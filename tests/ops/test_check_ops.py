"""tf.debugging asserts, ensure_shape, check_numerics: eager, static, and at graph run time."""
import numpy as np
import pytest

import ember as tf
from tests.ops.optest import check_gradient

IAE = tf.errors.InvalidArgumentError


@pytest.mark.parametrize("fn,ok,bad", [
    (tf.debugging.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3])),
    (tf.debugging.assert_none_equal, ([1, 2], [2, 1]), ([1, 2], [1, 3])),
    (tf.debugging.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2])),
    (tf.debugging.assert_less_equal, ([1, 2], [1, 3]), ([1, 4], [2, 3])),
    (tf.debugging.assert_greater, ([3, 4], [2, 3]), ([3, 4], [3, 3])),
    (tf.debugging.assert_greater_equal, ([3, 3], [3, 2]), ([3, 1], [2, 2])),
])
def test_binary_asserts_eager_and_at_run_time(fn, ok, bad):
    assert fn(tf.constant(ok[0]), tf.constant(ok[1])) is None
    with pytest.raises(IAE, match="did not hold"):
        fn(tf.constant(bad[0]), tf.constant(bad[1]), message="custom")

    @tf.function
    def g(x, y):
        with tf.control_dependencies([fn(x, y)]):
            return tf.identity(x)

    np.testing.assert_array_equal(g(tf.constant(ok[0]), tf.constant(ok[1])), ok[0])
    with pytest.raises(IAE, match="assertion failed"):
        g(tf.constant(bad[0]), tf.constant(bad[1]))


def test_sign_and_near_asserts():
    tf.debugging.assert_positive(tf.constant([1.0, 2.0]))
    tf.debugging.assert_non_negative(tf.constant([0, 2]))
    tf.debugging.assert_negative(tf.constant([-1.0]))
    tf.debugging.assert_non_positive(tf.constant([0.0, -1.0]))
    with pytest.raises(IAE):
        tf.debugging.assert_positive(tf.constant([1.0, 0.0]))
    tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.0 + 1e-7]))
    with pytest.raises(IAE):
        tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.01]))
    tf.debugging.assert_near(tf.constant([1.0]), tf.constant([1.01]), atol=0.02)


def test_static_property_asserts():
    tf.debugging.assert_rank(tf.zeros([2, 3]), 2)
    with pytest.raises(ValueError, match="must have rank 3"):
        tf.debugging.assert_rank(tf.zeros([2, 3]), 3)
    tf.debugging.assert_rank_at_least(tf.zeros([2, 3]), 1)
    tf.debugging.assert_rank_in(tf.zeros([2]), [0, 1])
    with pytest.raises(ValueError):
        tf.debugging.assert_rank_in(tf.zeros([2]), [0, 2])
    with pytest.raises(TypeError, match="integer"):
        tf.debugging.assert_integer(tf.zeros([1]))
    with pytest.raises(TypeError, match="must be of type int32"):
        tf.debugging.assert_type(tf.zeros([1]), tf.int32)
    with pytest.raises(ValueError, match="scalar"):
        tf.debugging.assert_scalar(tf.zeros([1]))
    assert tf.debugging.assert_same_float_dtype([tf.zeros([1]), tf.ones([2])]) is tf.float32
    with pytest.raises(ValueError):
        tf.debugging.assert_same_float_dtype([tf.zeros([1]), tf.zeros([1], tf.float64)])
    with pytest.raises(TypeError):
        tf.debugging.assert_proper_iterable(tf.zeros([2]))
    tf.debugging.assert_proper_iterable([1, 2])
    assert tf.debugging.is_numeric_tensor(tf.zeros([1]))
    assert not tf.debugging.is_numeric_tensor(tf.constant(["a"]))


def test_assert_rank_unknown_checked_at_run_time():
    f = tf.function(lambda x: tf.debugging.assert_rank(x, 2) or x,
                    input_signature=[tf.TensorSpec(None, tf.float32)])
    f(tf.zeros([1, 2]))
    with pytest.raises(IAE):
        f(tf.zeros([3]))


def test_assert_shapes():
    x, y, b = tf.zeros([4, 3]), tf.zeros([4, 5]), tf.zeros([3])
    tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (b, ("Q",)),
                                (tf.constant(1.0), ())])
    tf.debugging.assert_shapes([(tf.zeros([7, 2, 3]), ("*", 3))])
    with pytest.raises(ValueError, match="'N'"):
        tf.debugging.assert_shapes([(x, ("N", "Q")), (tf.zeros([5, 1]), ("N", "."))])
    with pytest.raises(ValueError, match="rank"):
        tf.debugging.assert_shapes([(x, ("N",))])


def test_Assert_and_top_level_names():
    tf.Assert(tf.constant(True), ["never shown"])
    with pytest.raises(IAE, match=r"assertion failed: \[x is\] \[1 2\]"):
        tf.debugging.Assert(tf.constant(False), ["x is", tf.constant([1, 2])])
    assert tf.assert_equal is tf.debugging.assert_equal


def test_ensure_shape():
    assert tf.ensure_shape(tf.zeros([2, 3]), [None, 3]).shape == (2, 3)
    with pytest.raises((ValueError, IAE), match="not compatible"):
        tf.ensure_shape(tf.zeros([2, 3]), [None, 4])
    f = tf.function(lambda x: tf.ensure_shape(x, [None, 3]),
                    input_signature=[tf.TensorSpec(None, tf.float32)])
    assert f.get_concrete_function().outputs[0].shape.as_list() == [None, 3]
    f(tf.zeros([5, 3]))
    with pytest.raises(IAE, match="not compatible"):
        f(tf.zeros([5, 2]))
    check_gradient(lambda t: tf.ensure_shape(t, [2]) * 3.0, [np.array([1.0, 2.0])])


def test_check_numerics():
    x = tf.constant([1.0, 2.0])
    np.testing.assert_array_equal(tf.debugging.check_numerics(x, "ok"), [1, 2])
    with pytest.raises(IAE, match="bad : Tensor had NaN values"):
        tf.debugging.check_numerics(tf.constant([np.nan]), "bad")
    with pytest.raises(IAE, match="Inf values"):
        tf.debugging.assert_all_finite(tf.constant([np.inf]), "bad")
    check_gradient(lambda t: tf.debugging.check_numerics(t * t, "m"), [np.array([1.0, -2.0])])


def test_version():
    assert tf.version.VERSION == "2.21.0"
    assert tf.version.GIT_VERSION.startswith("ember")
    assert isinstance(tf.version.GRAPH_DEF_VERSION, int)
