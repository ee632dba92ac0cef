"""Reshape, Permute and RepeatVector through run_layer_test, plus their errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.layers.reshaping import Permute, RepeatVector, Reshape
from tests.keras.layer_test_utils import check_save_load, run_layer_test

RNG = np.random.default_rng(0)
X2 = RNG.random((3, 12)).astype("float32")
X3 = RNG.random((2, 3, 4)).astype("float32")
X4 = RNG.random((2, 3, 4, 5)).astype("float32")

CASES = [
    # id, cls, init kwargs, input, expected shape, expected values
    ("reshape_2d_to_3d", Reshape, {"target_shape": (3, 4)}, X2, (3, 3, 4),
     X2.reshape(3, 3, 4)),
    ("reshape_infer_last", Reshape, {"target_shape": (2, -1)}, X2, (3, 2, 6),
     X2.reshape(3, 2, 6)),
    ("reshape_infer_first", Reshape, {"target_shape": [-1, 3]}, X3, (2, 4, 3),
     X3.reshape(2, 4, 3)),
    ("reshape_flatten", Reshape, {"target_shape": (-1,)}, X4, (2, 60), X4.reshape(2, 60)),
    ("reshape_int_target", Reshape, {"target_shape": 12}, X3, (2, 12), X3.reshape(2, 12)),
    ("reshape_4d", Reshape, {"target_shape": (5, 2, 6)}, X4, (2, 5, 2, 6),
     X4.reshape(2, 5, 2, 6)),
    ("permute_swap", Permute, {"dims": (2, 1)}, X3, (2, 4, 3), X3.transpose(0, 2, 1)),
    ("permute_3", Permute, {"dims": (3, 1, 2)}, X4, (2, 5, 3, 4), X4.transpose(0, 3, 1, 2)),
    ("permute_identity", Permute, {"dims": (1, 2)}, X3, (2, 3, 4), X3),
    ("repeat_vector", RepeatVector, {"n": 3}, X2, (3, 3, 12),
     np.repeat(X2[:, None, :], 3, axis=1)),
    ("repeat_vector_once", RepeatVector, {"n": 1}, X2, (3, 1, 12), X2[:, None, :]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_reshaping_layer(case):
    _, cls, kwargs, data, shape, expected = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=shape,
                            expected_output=expected, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0)
    assert set(result["skipped"]) <= {"save_load"}


@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_dtypes_preserved(dtype):
    """Non-float inputs pass through; float inputs take the layer's dtype (autocast)."""
    x = (RNG.random((2, 6)) * 10).astype(dtype)
    kw = {"dtype": dtype} if dtype == "float64" else {}
    for layer, ref in [(Reshape((3, 2), **kw), x.reshape(2, 3, 2)),
                       (Permute((1,), **kw), x),
                       (RepeatVector(2, **kw), np.repeat(x[:, None], 2, 1))]:
        out = layer(ember.constant(x))
        assert out.dtype.name == dtype
        np.testing.assert_array_equal(out.numpy(), ref)


def test_float_inputs_autocast_to_layer_dtype():
    out = Reshape((3, 2))(ember.constant(np.ones((2, 6))))
    assert out.dtype == ember.float32


def test_empty_batch():
    x = np.zeros((0, 6), "float32")
    assert Reshape((2, 3))(x).shape == (0, 2, 3)
    assert Reshape((-1, 3))(x).shape == (0, 2, 3)
    assert RepeatVector(4)(x).shape == (0, 4, 6)
    assert Permute((1,))(x).shape == (0, 6)


def test_reshape_unknown_dims_symbolic():
    inputs = keras.Input(shape=(None,))
    out = Reshape((-1, 2))(inputs)
    assert tuple(out.shape.as_list()) == (None, None, 2)
    model = keras.Model(inputs, out)
    x = np.arange(16, dtype="float32").reshape(2, 8)
    np.testing.assert_array_equal(model(x).numpy(), x.reshape(2, 4, 2))
    y = np.arange(12, dtype="float32").reshape(2, 6)
    np.testing.assert_array_equal(model(y).numpy(), y.reshape(2, 3, 2))
    traced = ember.function(lambda t: Reshape((-1, 2))(t))
    np.testing.assert_array_equal(traced(ember.constant(x)).numpy(), x.reshape(2, 4, 2))


def test_compute_output_shapes():
    assert Reshape((3, -1)).compute_output_shape((None, 12)) == (None, 3, 4)
    assert Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)
    assert Reshape((3, 4)).compute_output_shape((7, None)) == (7, 3, 4)
    assert Permute((2, 1)).compute_output_shape((None, 3, None)) == (None, None, 3)
    assert RepeatVector(5).compute_output_shape((None, 7)) == (None, 5, 7)


def test_reshape_gradient():
    x = ember.constant(X2)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ember.reduce_sum(Reshape((3, 4))(x) * ember.range(4, dtype="float32"))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               np.tile(np.arange(4, dtype="float32"), (3, 3)))


def test_permute_and_repeat_gradients():
    x = ember.constant(X3)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = ember.reduce_sum(Permute((2, 1))(x) * ember.reshape(ember.range(4.0), [1, 4, 1]))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               np.broadcast_to(np.arange(4.0), X3.shape))
    v = ember.constant(X2)
    with ember.GradientTape() as tape:
        tape.watch(v)
        y = ember.reduce_sum(RepeatVector(3)(v))
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), np.full(X2.shape, 3.0))


@pytest.mark.parametrize("target, shape, match", [
    ((5, -1), (2, 12), r"total size of the tensor must be unchanged.*\(12,\).*\(5, -1\)"),
    ((5, 3), (2, 12), r"total size of the tensor must be unchanged.*\(12,\).*\(5, 3\)"),
    ((0, -1), (2, 12), r"total size of the tensor must be unchanged"),
])
def test_reshape_size_errors(target, shape, match):
    with pytest.raises(ValueError, match=match):
        Reshape(target)(np.ones(shape, "float32"))
    with pytest.raises(ValueError, match=match):
        Reshape(target)(keras.Input(shape=shape[1:]))


@pytest.mark.parametrize("target, err, match", [
    ((-1, -1), ValueError, r"at most one -1.*\(-1, -1\)"),
    ((2, -3), ValueError, r"non-negative sizes.*\(2, -3\)"),
    ("abc", ValueError, r"invalid literal"),
    (None, TypeError, r"tuple of integers.*None"),
])
def test_reshape_bad_target(target, err, match):
    with pytest.raises(err, match=match):
        Reshape(target)


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (2, 2), (1, 2, 4)])
def test_permute_bad_dims(dims):
    with pytest.raises(ValueError, match=r"Invalid permutation argument `dims` for Permute "
                                         r"Layer.*consecutive and start from 1.*Received"):
        Permute(dims)


def test_permute_rank_mismatch():
    with pytest.raises(ValueError, match=r'layer "permute.*expected ndim=3, found ndim=4'):
        Permute((2, 1))(X4)


@pytest.mark.parametrize("n, err", [(2.0, TypeError), ("3", TypeError), (True, TypeError),
                                    (-1, ValueError)])
def test_repeat_vector_bad_n(n, err):
    with pytest.raises(err, match=r"integer value for `n`|non-negative"):
        RepeatVector(n)


def test_repeat_vector_needs_rank_2():
    with pytest.raises(ValueError, match=r'layer "repeat_vector.*expected ndim=2, found '
                                         r'ndim=3. Full shape received: \(2, 3, 4\)'):
        RepeatVector(2)(X3)


def test_configs():
    assert Reshape((3, -1)).get_config()["target_shape"] == (3, -1)
    assert Permute([2, 1]).get_config()["dims"] == (2, 1)
    assert RepeatVector(4).get_config()["n"] == 4
    layer = Reshape.from_config({**Reshape((2, 6), name="r").get_config()})
    assert layer.name == "r" and layer.target_shape == (2, 6)


def test_save_load_round_trip():
    check_save_load(Reshape, {"target_shape": (3, 4)}, input_shape=(2, 12))


def test_input_shape_keyword_in_sequential():
    model = keras.Sequential([Reshape((3, 4), input_shape=(12,)), Permute((2, 1)),
                              keras.layers.Flatten(), RepeatVector(2)])
    assert model.output_shape == (None, 2, 12)
    np.testing.assert_array_equal(model(X2).numpy(),
                                  np.repeat(X2.reshape(3, 3, 4).transpose(0, 2, 1)
                                            .reshape(3, 1, 12), 2, axis=1))
    config = model.layers[0].get_config()
    assert config["batch_input_shape"] == (None, 12)
    assert Reshape.from_config(config).get_config() == config
