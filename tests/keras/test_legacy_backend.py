"""tf.keras's backend functions (``keras.backend`` / ``K``) against real Keras's legacy
backend (fixture: tests/fixtures/legacy_backend, made by its make_fixture.py)."""
import importlib.util
import os

import numpy as np
import pytest

import ember
from ember import keras

K = keras.backend
HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "legacy_backend")


def _cases():
    spec = importlib.util.spec_from_file_location("legacy_backend_cases",
                                                  os.path.join(HERE, "cases.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED = dict(np.load(os.path.join(HERE, "legacy_backend.npz")))
GOT = _cases().run(K, strict=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_matches_real_keras(name):
    key = name if name in GOT else name.rsplit(".", 1)[0]
    if isinstance(GOT.get(key), Exception):
        raise GOT[key]
    got, expected = GOT[name], EXPECTED[name]
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if expected.dtype == bool or np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_every_case_ran():
    assert {k for k, v in GOT.items() if not isinstance(v, Exception)} == set(EXPECTED)


def test_names_of_tf_keras_backend():
    names = ("abs all any arange argmax argmin batch_dot batch_flatten batch_get_value "
             "batch_normalization batch_set_value bias_add binary_crossentropy cast "
             "cast_to_floatx categorical_crossentropy clip concatenate constant conv1d conv2d "
             "conv2d_transpose conv3d cos count_params ctc_batch_cost ctc_decode "
             "ctc_label_dense_to_sparse cumprod cumsum depthwise_conv2d dot dropout dtype elu "
             "equal eval exp expand_dims eye flatten foldl foldr gather get_value gradients "
             "greater greater_equal hard_sigmoid in_top_k int_shape is_sparse l2_normalize less "
             "less_equal log map_fn max maximum mean min minimum moving_average_update "
             "name_scope ndim not_equal one_hot ones ones_like permute_dimensions pool2d pool3d "
             "pow prod random_bernoulli random_normal random_normal_variable random_uniform "
             "random_uniform_variable relu repeat repeat_elements reshape resize_images "
             "resize_volumes reverse rnn round separable_conv2d set_value shape sigmoid sign "
             "sin softmax softplus softsign sparse_categorical_crossentropy spatial_2d_padding "
             "spatial_3d_padding sqrt square squeeze stack std stop_gradient sum switch tanh "
             "temporal_padding tile to_dense transpose truncated_normal update update_add "
             "update_sub var variable zeros zeros_like is_float_dtype is_int_dtype "
             "is_keras_tensor result_type").split()
    missing = [n for n in names if not callable(getattr(K, n, None))]
    assert missing == []


def test_variables_values_and_updates():
    v = K.variable(np.array([[1.0, 2.0]]), name="v")
    assert isinstance(v, ember.Variable) and K.dtype(v) == "float32"
    z = K.zeros((2, 3))
    assert isinstance(z, ember.Variable) and K.int_shape(z) == (2, 3)
    np.testing.assert_array_equal(K.get_value(K.eye(2)), np.eye(2))
    K.set_value(v, [[3.0, 4.0]])
    np.testing.assert_array_equal(K.eval(v), [[3.0, 4.0]])
    K.batch_set_value([(v, [[1.0, 1.0]])])
    K.update_add(v, np.array([[1.0, 2.0]], "float32"))
    np.testing.assert_array_equal(K.batch_get_value([v])[0], [[2.0, 3.0]])
    K.moving_average_update(v, np.zeros((1, 2), "float32"), 0.75)
    np.testing.assert_allclose(K.get_value(v), [[1.5, 2.25]])
    floats = K.cast_to_floatx(np.arange(3))
    assert isinstance(floats, np.ndarray) and floats.dtype == np.float32
    assert K.is_float_dtype("bfloat16") and K.is_int_dtype("uint8")
    assert not K.is_float_dtype("int32")


def test_random_functions_follow_their_seed():
    keras.utils.set_random_seed(7)
    a = K.random_normal((3, 4), seed=5)
    keras.utils.set_random_seed(7)
    b = K.random_normal((3, 4), seed=5)
    np.testing.assert_array_equal(K.get_value(a), K.get_value(b))
    u = K.get_value(K.random_uniform((1000,), 2.0, 3.0, seed=1))
    assert u.min() >= 2.0 and u.max() < 3.0
    bern = K.get_value(K.random_bernoulli((2000,), p=0.3, seed=2))
    assert set(np.unique(bern)) <= {0.0, 1.0} and 0.25 < bern.mean() < 0.35
    t = K.get_value(K.truncated_normal((2000,), stddev=1.0, seed=3))
    assert np.abs(t).max() <= 2.0
    var = K.random_uniform_variable((2, 2), 0, 1, seed=4)
    assert isinstance(var, ember.Variable)


def test_gradients_need_a_graph_and_errors_name_the_function():
    x = K.variable(1.0)
    with pytest.raises(RuntimeError, match="GradientTape"):
        K.gradients(x * 2.0, [x])
    g = ember.Graph()
    with g.as_default():
        a = ember.compat.v1.placeholder("float32", [])
        grads = K.gradients(a * a * 3.0, [a])
        with ember.compat.v1.Session(graph=g) as sess:
            assert sess.run(grads[0], {a: 2.0}) == pytest.approx(12.0)
    with pytest.raises(ValueError, match="batch_dot"):
        K.batch_dot(np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32"), axes=[2, 1])
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(np.ones((1, 2, 2, 1), "float32"), 2, 2, "channels_last",
                        interpolation="cubic-ish")
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(np.ones((1, 2, 2, 1), "float32"), (2, 2), pool_mode="median")


def test_ctc_label_dense_to_sparse():
    sparse = K.ctc_label_dense_to_sparse(np.array([[1, 2, 0], [3, 0, 0]]), np.array([2, 1]))
    np.testing.assert_array_equal(sparse.indices.numpy(), [[0, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(sparse.values.numpy(), [1, 2, 3])
