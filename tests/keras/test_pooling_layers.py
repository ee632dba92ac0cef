"""Pooling layers through run_layer_test with values against NumPy window references, the
Keras aliases, global pooling with keepdims / masks, and errors."""
import itertools

import numpy as np
import pytest

import ember
from ember.keras.layers import pooling
from ember.keras.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
    GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)
from tests.keras.layer_test_utils import run_layer_test

RNG = np.random.default_rng(0)


def _data(*shape):
    return RNG.standard_normal(shape).astype("float32")


def ref_pool(x, kind, pool, strides, padding, channels_first=False):
    """Window max / mean of channels-last x; 'same' windows skip the padding."""
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    r = x.ndim - 2
    sizes = x.shape[1:-1]
    if padding == "same":
        outs = [-(-n // s) for n, s in zip(sizes, strides)]
        pads = []
        for n, k, s, o in zip(sizes, pool, strides, outs):
            total = max((o - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
    else:
        outs = [(n - k) // s + 1 for n, k, s in zip(sizes, pool, strides)]
        pads = [(0, 0)] * r
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)], constant_values=np.nan)
    y = np.empty((x.shape[0], *outs, x.shape[-1]))
    for pos in itertools.product(*[range(o) for o in outs]):
        win = xp[(slice(None),) + tuple(slice(p * s, p * s + k) for p, s, k in
                                        zip(pos, strides, pool))]
        win = win.reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + pos] = np.nanmax(win, 1) if kind == "max" else np.nanmean(win, 1)
    return np.moveaxis(y, -1, 1) if channels_first else y


X3 = _data(2, 7, 3)
X4 = _data(2, 5, 6, 3)
X4CF = _data(2, 3, 5, 6)
X5 = _data(1, 4, 5, 4, 2)

CASES = [
    # id, cls, kwargs, input, expected output
    ("max1d", MaxPooling1D, {}, X3, ref_pool(X3, "max", (2,), (2,), "valid")),
    ("max1d_same_stride1", MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same"},
     X3, ref_pool(X3, "max", (3,), (1,), "same")),
    ("max2d", MaxPooling2D, {}, X4, ref_pool(X4, "max", (2, 2), (2, 2), "valid")),
    ("max2d_overlapping_same", MaxPooling2D, {"pool_size": 3, "strides": 2,
                                              "padding": "same"},
     X4, ref_pool(X4, "max", (3, 3), (2, 2), "same")),
    ("max2d_channels_first", MaxPooling2D, {"pool_size": (2, 3),
                                            "data_format": "channels_first"},
     X4CF, ref_pool(X4CF, "max", (2, 3), (2, 3), "valid", True)),
    ("max3d", MaxPooling3D, {"pool_size": 2, "padding": "same"}, X5,
     ref_pool(X5, "max", (2, 2, 2), (2, 2, 2), "same")),
    ("avg1d_strided", AveragePooling1D, {"pool_size": 3, "strides": 2}, X3,
     ref_pool(X3, "avg", (3,), (2,), "valid")),
    ("avg2d", AveragePooling2D, {}, X4, ref_pool(X4, "avg", (2, 2), (2, 2), "valid")),
    ("avg2d_same_excludes_padding", AveragePooling2D, {"pool_size": 3, "strides": 1,
                                                       "padding": "same"},
     X4, ref_pool(X4, "avg", (3, 3), (1, 1), "same")),
    ("avg2d_channels_first", AveragePooling2D, {"data_format": "channels_first",
                                                "padding": "same"},
     X4CF, ref_pool(X4CF, "avg", (2, 2), (2, 2), "same", True)),
    ("avg3d", AveragePooling3D, {"pool_size": (2, 1, 2)}, X5,
     ref_pool(X5, "avg", (2, 1, 2), (2, 1, 2), "valid")),
    ("gmax1d", GlobalMaxPooling1D, {}, X3, X3.max(1)),
    ("gmax1d_channels_first", GlobalMaxPooling1D, {"data_format": "channels_first"}, X3,
     X3.max(2)),
    ("gmax2d_keepdims", GlobalMaxPooling2D, {"keepdims": True}, X4,
     X4.max((1, 2), keepdims=True)),
    ("gmax3d", GlobalMaxPooling3D, {}, X5, X5.max((1, 2, 3))),
    ("gavg1d", GlobalAveragePooling1D, {}, X3, X3.mean(1)),
    ("gavg2d", GlobalAveragePooling2D, {}, X4, X4.mean((1, 2))),
    ("gavg2d_channels_first_keepdims", GlobalAveragePooling2D,
     {"data_format": "channels_first", "keepdims": True}, X4CF,
     X4CF.mean((2, 3), keepdims=True)),
    ("gavg3d", GlobalAveragePooling3D, {}, X5, X5.mean((1, 2, 3))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_pooling_layer(case):
    _, cls, kwargs, data, expected = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=expected.shape,
                            expected_output=expected, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0, rtol=1e-5, atol=1e-6,
                            training_epochs=2)
    assert set(result["skipped"]) <= {"save_load"}
    assert result["output"].dtype == ember.float32


def test_aliases():
    for alias, cls in [("MaxPool1D", MaxPooling1D), ("MaxPool2D", MaxPooling2D),
                       ("MaxPool3D", MaxPooling3D), ("AvgPool1D", AveragePooling1D),
                       ("AvgPool2D", AveragePooling2D), ("AvgPool3D", AveragePooling3D),
                       ("GlobalMaxPool1D", GlobalMaxPooling1D),
                       ("GlobalMaxPool2D", GlobalMaxPooling2D),
                       ("GlobalMaxPool3D", GlobalMaxPooling3D),
                       ("GlobalAvgPool1D", GlobalAveragePooling1D),
                       ("GlobalAvgPool2D", GlobalAveragePooling2D),
                       ("GlobalAvgPool3D", GlobalAveragePooling3D)]:
        assert getattr(pooling, alias) is cls
        assert alias in pooling.__all__


def test_defaults_and_config():
    layer = MaxPooling2D()
    cfg = layer.get_config()
    assert cfg["pool_size"] == (2, 2) and cfg["strides"] == (2, 2)
    assert cfg["padding"] == "valid" and cfg["data_format"] == "channels_last"
    assert MaxPooling1D(3).strides == (3,)
    assert AveragePooling3D().pool_size == (2, 2, 2)
    assert GlobalAveragePooling2D().get_config()["keepdims"] is False


def test_max_pool_gradient_routes_to_maximum():
    x = ember.constant(np.array([[[1.0], [3.0], [2.0], [0.0]]], "float32"))
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = MaxPooling1D()(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().ravel(), [0, 1, 1, 0])


def test_global_average_1d_mask():
    x = _data(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    y = GlobalAveragePooling1D()(ember.constant(x), mask=ember.constant(mask)).numpy()
    np.testing.assert_allclose(y[0], x[0, :2].mean(0), rtol=1e-6)
    np.testing.assert_allclose(y[1], x[1].mean(0), rtol=1e-6)


def test_traced_with_unknown_sizes():
    layer = MaxPooling2D(3, 2, padding="same")
    data = _data(2, 7, 5, 3)
    fn = ember.function(lambda x: layer(x),
                        input_signature=[ember.TensorSpec((None, None, None, 3))])
    np.testing.assert_array_equal(fn(ember.constant(data)).numpy(), layer(data).numpy())
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 3, 3)


@pytest.mark.parametrize("make, match", [
    (lambda: MaxPooling2D(pool_size=(2, 2, 2)), "pool_size"),
    (lambda: MaxPooling2D(strides=0), "strides"),
    (lambda: AveragePooling1D(padding="causal"), "padding"),
    (lambda: MaxPooling2D(data_format="NHWC"), "data_format"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_input_errors_name_layer_and_shape():
    with pytest.raises(ValueError, match=r'"pool_a".*expected ndim=4, found ndim=3.*'
                                         r'\(2, 4, 4\)'):
        MaxPooling2D(name="pool_a")(_data(2, 4, 4))
    with pytest.raises(ValueError, match=r"pool_b.*\(3, 3\).*\(1, 2, 2, 1\)"):
        MaxPooling2D(3, name="pool_b")(_data(1, 2, 2, 1))
    with pytest.raises(ValueError, match=r'"gpool".*expected ndim=3'):
        GlobalAveragePooling1D(name="gpool")(_data(2, 3, 3, 3))
