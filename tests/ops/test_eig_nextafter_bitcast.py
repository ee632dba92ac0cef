"""tf.linalg.eig/eigvals, tf.math.nextafter and tf.bitcast against NumPy."""
import numpy as np
import pytest

import ember


def test_eig_satisfies_the_eigen_equation_and_matches_numpy():
    a = np.random.RandomState(0).randn(2, 4, 4).astype("float32")
    e, v = ember.linalg.eig(a)
    assert e.dtype == ember.complex64 and v.dtype == ember.complex64
    lhs = np.einsum("bij,bjk->bik", a, v.numpy())
    np.testing.assert_allclose(lhs, v.numpy() * e.numpy()[:, None, :], atol=1e-4)
    np.testing.assert_allclose(np.sort_complex(ember.linalg.eigvals(a).numpy().ravel()),
                               np.sort_complex(np.linalg.eigvals(a).ravel()), atol=1e-4)
    e64, _ = ember.linalg.eig(a.astype("float64"))
    assert e64.dtype == ember.complex128
    traced = ember.function(lambda x: ember.linalg.eig(x)[0])(ember.constant(a))
    np.testing.assert_allclose(traced.numpy(), e.numpy(), atol=1e-5)
    with pytest.raises(ember.errors.InvalidArgumentError):
        ember.linalg.eig(np.ones((2, 3), "float32"))


def test_nextafter_matches_numpy():
    x = np.array([0.0, 1.0, -2.5, 1e30], "float32")
    y = np.array([1.0, 0.0, 3.0, np.inf], "float32")
    np.testing.assert_array_equal(ember.math.nextafter(x, y).numpy(), np.nextafter(x, y))
    np.testing.assert_array_equal(ember.math.nextafter(x.astype("float64"), 0.0).numpy(),
                                  np.nextafter(x.astype("float64"), 0.0))
    with pytest.raises(ember.errors.InvalidArgumentError):
        ember.math.nextafter([1, 2], [3, 4])


def test_bitcast_matches_numpy_views():
    x = np.array([[1.0, -2.0], [0.5, 3.0]], "float32")
    np.testing.assert_array_equal(ember.bitcast(x, ember.int32).numpy(), x.view(np.int32))
    u8 = ember.bitcast(x, ember.uint8)
    assert u8.shape == (2, 2, 4)
    np.testing.assert_array_equal(u8.numpy().reshape(2, 8), x.view(np.uint8))
    np.testing.assert_array_equal(ember.bitcast(u8, ember.float32).numpy(), x)
    traced = ember.function(lambda t: ember.bitcast(t, ember.int16))(ember.constant(x))
    assert traced.shape == (2, 2, 2)
    with pytest.raises(ember.errors.InvalidArgumentError, match="last dimension"):
        ember.bitcast(np.zeros((2, 3), "uint8"), ember.int32)
