"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)
and their functional forms, through run_layer_test, plus errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.layers import merging
from ember.keras.layers.merging import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
)
from tests.keras.layer_test_utils import check_save_load, run_layer_test

RNG = np.random.default_rng(0)


def r(*shape):
    return RNG.standard_normal(shape).astype("float32")


A, B, C = r(3, 4), r(3, 4), r(3, 4)
COL = r(3, 1)
T3, U3 = r(3, 2, 4), r(3, 4, 5)


def _l2n(x, axis):
    return x / np.sqrt(np.maximum((x * x).sum(axis, keepdims=True), 1e-12))


CASES = [
    # id, cls, init kwargs, inputs, expected shape, expected values
    ("add_2", Add, {}, [A, B], (3, 4), A + B),
    ("add_3", Add, {}, [A, B, C], (3, 4), A + B + C),
    ("add_broadcast_col", Add, {}, [A, COL], (3, 4), A + COL),
    ("add_ranks", Add, {}, [A, T3], (3, 2, 4), A[:, None, :] + T3),
    ("add_single", Add, {}, [A], (3, 4), A),
    ("subtract", Subtract, {}, [A, B], (3, 4), A - B),
    ("subtract_broadcast", Subtract, {}, [COL, A], (3, 4), COL - A),
    ("multiply", Multiply, {}, [A, B, C], (3, 4), A * B * C),
    ("multiply_ranks", Multiply, {}, [T3, A], (3, 2, 4), T3 * A[:, None, :]),
    ("average", Average, {}, [A, B, C], (3, 4), (A + B + C) / 3),
    ("maximum", Maximum, {}, [A, B, C], (3, 4), np.maximum(np.maximum(A, B), C)),
    ("minimum", Minimum, {}, [A, B], (3, 4), np.minimum(A, B)),
    ("minimum_broadcast", Minimum, {}, [A, COL], (3, 4), np.minimum(A, COL)),
    ("concat_last", Concatenate, {}, [A, COL, B], (3, 9), np.concatenate([A, COL, B], -1)),
    ("concat_axis1", Concatenate, {"axis": 1}, [T3, T3[:, :1]], (3, 3, 4),
     np.concatenate([T3, T3[:, :1]], 1)),
    ("concat_neg2", Concatenate, {"axis": -2}, [T3, T3], (3, 4, 4),
     np.concatenate([T3, T3], -2)),
    ("dot_vectors", Dot, {"axes": 1}, [A, B], (3, 1), (A * B).sum(1, keepdims=True)),
    ("dot_neg_axis", Dot, {"axes": -1}, [T3, r(3, 6, 4)], None, None),
    ("dot_matmul", Dot, {"axes": (2, 1)}, [T3, U3], (3, 2, 5), T3 @ U3),
    ("dot_axes_list", Dot, {"axes": [1, 2]}, [U3, r(3, 2, 4)], None, None),
    ("dot_normalize", Dot, {"axes": 1, "normalize": True}, [A, B], (3, 1),
     (_l2n(A, 1) * _l2n(B, 1)).sum(1, keepdims=True)),
    ("dot_mixed_rank", Dot, {"axes": (1, 2)}, [A, T3], (3, 2),
     np.einsum("bk,bjk->bj", A, T3)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_merging_layer(case):
    _, cls, kwargs, data, shape, expected = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=shape,
                            expected_output=expected, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0)
    assert set(result["skipped"]) <= {"save_load"}


def test_dot_general_shapes_and_values():
    x, y = T3, r(3, 6, 4)
    out = Dot(axes=-1)([x, y]).numpy()
    np.testing.assert_allclose(out, np.einsum("bik,bjk->bij", x, y), rtol=1e-5, atol=1e-6)
    x2 = r(3, 4, 5)
    out = Dot(axes=[1, 2])([x2, T3]).numpy()
    np.testing.assert_allclose(out, np.einsum("bkp,bjk->bpj", x2, T3), rtol=1e-5, atol=1e-6)
    assert Dot(axes=(1, 2)).compute_output_shape([(None, 4, 5), (None, 2, 4)]) == (None, 5, 2)
    assert Dot(axes=1).compute_output_shape([(None, 4), (None, 4)]) == (None, 1)


def test_dot_normalize_is_cosine_similarity():
    out = Dot(axes=1, normalize=True)([A, -2 * A]).numpy()
    np.testing.assert_allclose(out, -np.ones((3, 1)), rtol=1e-6)


def test_functional_forms_in_a_model():
    keras.backend.clear_session()
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
    outs = [merging.add([a, b]), merging.subtract([a, b]), merging.multiply([a, b]),
            merging.average([a, b]), merging.maximum([a, b]), merging.minimum([a, b]),
            merging.concatenate([a, b]), merging.concatenate([a, b], axis=1),
            merging.dot([a, b], axes=1), merging.dot([a, b], axes=1, normalize=True)]
    assert [tuple(o.shape.as_list()) for o in outs] == \
        [(None, 4)] * 6 + [(None, 8)] * 2 + [(None, 1)] * 2
    model = keras.Model([a, b], outs)
    got = [o.numpy() for o in model([A, B])]
    refs = [A + B, A - B, A * B, (A + B) / 2, np.maximum(A, B), np.minimum(A, B),
            np.concatenate([A, B], 1), np.concatenate([A, B], 1),
            (A * B).sum(1, keepdims=True),
            (_l2n(A, 1) * _l2n(B, 1)).sum(1, keepdims=True)]
    for g, ref in zip(got, refs):
        np.testing.assert_allclose(g, ref, rtol=1e-5, atol=1e-6)
    named = merging.add([a, b], name="my_add")
    assert named._keras_history[0].name == "my_add"


def test_shared_inputs_dict_free_names():
    keras.backend.clear_session()
    assert Add().name == "add" and Add().name == "add_1"
    assert Concatenate().name == "concatenate"


def test_merge_gradients():
    x, y = ember.constant(A), ember.constant(B)
    with ember.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        s = ember.reduce_sum(Subtract()([x, y]))
        m = ember.reduce_sum(Multiply()([x, y]))
        mx = ember.reduce_sum(Maximum()([x, y]))
        d = ember.reduce_sum(Dot(axes=1)([x, y]))
        av = ember.reduce_sum(Average()([x, y]))
    np.testing.assert_allclose(tape.gradient(s, y).numpy(), -np.ones_like(B))
    np.testing.assert_allclose(tape.gradient(m, x).numpy(), B, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(mx, x).numpy(), (A > B).astype("float32"))
    np.testing.assert_allclose(tape.gradient(d, x).numpy(), B, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(av, x).numpy(), np.full_like(A, 0.5))


def test_int_inputs():
    a = np.arange(6, dtype="int32").reshape(2, 3)
    out = Add()([a, a])
    assert out.dtype == ember.int32
    np.testing.assert_array_equal(out.numpy(), 2 * a)
    np.testing.assert_array_equal(Maximum()([a, 5 - a]).numpy(), np.maximum(a, 5 - a))
    assert Concatenate()([a, a]).dtype == ember.int32


def test_empty_batch():
    e = np.zeros((0, 4), "float32")
    assert Add()([e, e]).shape == (0, 4)
    assert Concatenate()([e, e]).shape == (0, 8)
    assert Dot(axes=1)([e, e]).shape == (0, 1)


def test_compute_output_shapes():
    assert Add().compute_output_shape([(None, 4), (None, 1)]) == (None, 4)
    assert Add().compute_output_shape([(None, 4), (None, 3, 4)]) == (None, 3, 4)
    assert Add().compute_output_shape([(None, None), (5, 4)]) == (5, None)
    assert Concatenate().compute_output_shape([(None, 2), (None, 3)]) == (None, 5)
    assert Concatenate().compute_output_shape([(None, 2), (None, None)]) == (None, None)
    assert Concatenate(axis=0).compute_output_shape([(2, 3), (4, 3)]) == (6, 3)


@pytest.mark.parametrize("layer, inputs, err, match", [
    (Add(), A, ValueError, r"merge layer should be called on a list of inputs"),
    (Add(), [A, r(3, 5)], ValueError,
     r"Inputs have incompatible shapes. Received shapes \(4,\) and \(5,\)"),
    (Multiply(), [A, r(2, 4)], ValueError, r"Cannot merge tensors with different batch "
                                           r"sizes.*\(3, 4\).*\(2, 4\)"),
    (Subtract(), [A, B, C], ValueError, r"`Subtract` layer should be called on exactly 2 "
                                        r"inputs"),
    (Subtract(), [A], ValueError, r"`Subtract` layer should be called on exactly 2 inputs"),
    (Concatenate(), [A, r(3, 2, 4)], ValueError,
     r"`Concatenate` layer requires inputs with matching shapes except for the "
     r"concatenation axis"),
    (Concatenate(axis=1), [T3, r(3, 2, 5)], ValueError, r"matching shapes except"),
    (Concatenate(axis=3), [T3, T3], ValueError, r"axis 3 is out of range.*rank 3"),
    (Concatenate(), A, ValueError, r"`Concatenate` layer should be called on a list"),
    (Dot(axes=1), [A, r(3, 5)], ValueError,
     r"Incompatible input shapes: axis values 4 \(at axis 1\) != 5 \(at axis 1\)"),
    (Dot(axes=1), [A, B, C], ValueError, r"`Dot` layer should be called on a list of 2"),
    (Dot(axes=0), [A, B], ValueError, r"over axis 0 \(the batch axis\)"),
    (Dot(axes=(1, 3)), [A, T3], ValueError, r"axis 3 is out of range for an input of "
                                            r"rank 3"),
])
def test_call_errors(layer, inputs, err, match):
    with pytest.raises(err, match=match):
        layer(inputs)


def test_symbolic_errors():
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(5,))
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes"):
        Add()([a, b])
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 4"):
        Dot(axes=1)([a, b])


@pytest.mark.parametrize("axes, err, match", [
    ("1", TypeError, r"Invalid type for argument `axes`.*list or an int"),
    ((1, 2, 3), ValueError, r"should contain two elements"),
    ((1, 2.0), ValueError, r"list elements should be integers"),
])
def test_dot_bad_axes(axes, err, match):
    with pytest.raises(err, match=match):
        Dot(axes=axes)


def test_concatenate_bad_axis():
    with pytest.raises(TypeError, match=r"`axis` must be an integer"):
        Concatenate(axis=1.5)


def test_configs_round_trip():
    for layer in [Add(name="a"), Subtract(), Average(), Maximum(), Minimum(), Multiply(),
                  Concatenate(axis=2), Dot(axes=(1, 2), normalize=True), Dot(axes=-1)]:
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config
    assert Dot(axes=(1, 2)).get_config()["axes"] == [1, 2]
    assert Concatenate(axis=2).get_config()["axis"] == 2


def test_save_load_round_trip():
    check_save_load(Concatenate, {"axis": -1}, input_shape=[(2, 3), (2, 4)])
