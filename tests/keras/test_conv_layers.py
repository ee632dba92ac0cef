"""Convolution layers through run_layer_test, with outputs checked against a direct NumPy
convolution written from the definition (Keras weight layouts), plus weight shapes, dynamic
shapes in traced calls and construction / input errors."""
import itertools

import numpy as np
import pytest

import ember
from ember.keras.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
    Convolution2D, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
)
from tests.keras.layer_test_utils import run_layer_test

RNG = np.random.default_rng(0)


def _data(*shape):
    return RNG.standard_normal(shape).astype("float32")


# ------------------------------------------------------------------ NumPy references ---

def _same_pads(sizes, ksize, strides, dilations):
    pads = []
    for n, k, s, d in zip(sizes, ksize, strides, dilations):
        eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + eff - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def ref_conv(x, w, strides, padding, dilations, groups=1):
    """Direct channels-last convolution: x (N, *S, C), w (*K, C // groups, O)."""
    r = x.ndim - 2
    ksize = w.shape[:r]
    if padding == "same":
        pads = _same_pads(x.shape[1:-1], ksize, strides, dilations)
    elif padding == "causal":
        pads = [((ksize[0] - 1) * dilations[0], 0)]
    else:
        pads = [(0, 0)] * r
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)])
    outs = [(xp.shape[1 + i] - (ksize[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(r)]
    cg = w.shape[r]
    o = w.shape[r + 1]
    og = o // groups
    y = np.zeros((x.shape[0], *outs, o))
    for tap in itertools.product(*[range(k) for k in ksize]):
        sl = tuple(slice(t * d, t * d + s * (n - 1) + 1, s)
                   for t, d, s, n in zip(tap, dilations, strides, outs))
        patch = xp[(slice(None),) + sl]
        for g in range(groups):
            y[..., g * og:(g + 1) * og] += patch[..., g * cg:(g + 1) * cg] @ \
                w[tap][:, g * og:(g + 1) * og]
    return y


def ref_conv_transpose(x, w, strides, padding, dilations, output_padding):
    """Direct transposed convolution with Keras's output size: w (*K, O, C)."""
    r = x.ndim - 2
    ksize = w.shape[:r]
    sizes = x.shape[1:-1]
    out_sizes = []
    for n, k, s, d, p in zip(sizes, ksize, strides, dilations,
                             output_padding or (None,) * r):
        eff = (k - 1) * d + 1
        if p is None:
            out_sizes.append(n * s + max(eff - s, 0) if padding == "valid" else n * s)
        else:
            pad = eff // 2 if padding == "same" else 0
            out_sizes.append((n - 1) * s + eff - 2 * pad + p)
    if padding == "same":
        lows = [lo for lo, _ in _same_pads(out_sizes, ksize, strides, dilations)]
    else:
        lows = [0] * r
    full = [(n - 1) * s + (k - 1) * d + 1 + lo + L for n, s, k, d, lo, L in
            zip(sizes, strides, ksize, dilations, lows, out_sizes)]
    y = np.zeros((x.shape[0], *full, w.shape[r]))
    xd = x.astype(np.float64)
    for tap in itertools.product(*[range(k) for k in ksize]):
        sl = tuple(slice(t * d, t * d + s * (n - 1) + 1, s)
                   for t, d, s, n in zip(tap, dilations, strides, sizes))
        y[(slice(None),) + sl] += xd @ w[tap].T
    crop = tuple(slice(lo, lo + L) for lo, L in zip(lows, out_sizes))
    return y[(slice(None),) + crop]


def ref_depthwise(x, w, strides, padding, dilations):
    r = x.ndim - 2
    c, m = w.shape[r], w.shape[r + 1]
    flat = w.reshape(w.shape[:r] + (1, c * m))
    return ref_conv(x, flat, strides, padding, dilations, groups=c)


def _to_last(a, cf):
    return np.moveaxis(a, 1, -1) if cf else a


def _from_last(a, cf):
    return np.moveaxis(a, -1, 1) if cf else a


def _tuple(v, r):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * r


def reference(layer, x):
    """What the layer should output, from its own weights."""
    r = layer.rank
    cf = layer.data_format == "channels_first"
    xl = _to_last(x, cf)
    weights = layer.get_weights()
    kind = type(layer).__name__
    if "Transpose" in kind:
        y = ref_conv_transpose(xl, weights[0], layer.strides, layer.padding,
                               layer.dilation_rate, layer.output_padding)
    elif "Depthwise" in kind:
        y = ref_depthwise(xl, weights[0], layer.strides, layer.padding, layer.dilation_rate)
    elif "Separable" in kind:
        y = ref_depthwise(xl, weights[0], layer.strides, layer.padding, layer.dilation_rate)
        y = y @ weights[1].reshape(weights[1].shape[r:])
        weights = [None] + weights[1:]
    else:
        y = ref_conv(xl, weights[0], layer.strides, layer.padding, layer.dilation_rate,
                     layer.groups)
    if layer.use_bias:
        y = y + weights[-1]
    if layer.activation.__name__ == "relu":
        y = np.maximum(y, 0)
    return _from_last(y, cf)


# ------------------------------------------------------------------------ layer cases ---

BIAS = {"bias_initializer": "random_normal"}

CASES = [
    # id, cls, kwargs, input shape, expected output shape, trainable weights
    ("conv1d_valid", Conv1D, {"filters": 4, "kernel_size": 3, **BIAS}, (2, 7, 3), (2, 5, 4),
     2),
    ("conv1d_same_stride", Conv1D, {"filters": 2, "kernel_size": 3, "strides": 2,
                                    "padding": "same"}, (2, 7, 3), (2, 4, 2), 2),
    ("conv1d_causal_dilated", Conv1D, {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                                       "padding": "causal", **BIAS}, (2, 8, 2), (2, 8, 2),
     2),
    ("conv1d_channels_first_groups", Conv1D, {"filters": 4, "kernel_size": 2, "groups": 2,
                                              "data_format": "channels_first"},
     (2, 4, 6), (2, 4, 5), 2),
    ("conv2d_valid", Conv2D, {"filters": 3, "kernel_size": (2, 3), **BIAS}, (2, 5, 6, 2),
     (2, 4, 4, 3), 2),
    ("conv2d_same_stride", Conv2D, {"filters": 3, "kernel_size": 3, "strides": (2, 1),
                                    "padding": "same", "activation": "relu", **BIAS},
     (2, 5, 6, 2), (2, 3, 6, 3), 2),
    ("conv2d_dilated_same", Conv2D, {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                                     "padding": "same", "use_bias": False},
     (1, 7, 7, 2), (1, 7, 7, 2), 1),
    ("conv2d_groups", Conv2D, {"filters": 6, "kernel_size": 2, "groups": 3, **BIAS},
     (2, 4, 4, 3), (2, 3, 3, 6), 2),
    ("conv2d_channels_first", Conv2D, {"filters": 3, "kernel_size": 3, "padding": "same",
                                       "data_format": "channels_first", **BIAS},
     (2, 2, 5, 4), (2, 3, 5, 4), 2),
    ("conv3d_valid", Conv3D, {"filters": 2, "kernel_size": 2, **BIAS}, (1, 3, 4, 3, 2),
     (1, 2, 3, 2, 2), 2),
    ("conv3d_channels_first_same", Conv3D, {"filters": 2, "kernel_size": (1, 2, 3),
                                            "strides": 2, "padding": "same",
                                            "data_format": "channels_first"},
     (1, 2, 3, 4, 5), (1, 2, 2, 2, 3), 2),
    ("conv1d_transpose_valid", Conv1DTranspose, {"filters": 3, "kernel_size": 3,
                                                 "strides": 2, **BIAS},
     (2, 4, 2), (2, 9, 3), 2),
    ("conv1d_transpose_output_padding", Conv1DTranspose,
     {"filters": 2, "kernel_size": 3, "strides": 3, "padding": "same",
      "output_padding": 2}, (1, 4, 2), (1, 12, 2), 2),
    ("conv2d_transpose_same", Conv2DTranspose, {"filters": 3, "kernel_size": 3,
                                                "strides": 2, "padding": "same", **BIAS},
     (2, 3, 4, 2), (2, 6, 8, 3), 2),
    ("conv2d_transpose_small_kernel", Conv2DTranspose, {"filters": 2, "kernel_size": 1,
                                                        "strides": 2},
     (1, 3, 3, 2), (1, 6, 6, 2), 2),
    ("conv2d_transpose_output_padding", Conv2DTranspose,
     {"filters": 2, "kernel_size": (3, 2), "strides": 2, "output_padding": (1, 0), **BIAS},
     (1, 3, 3, 2), (1, 8, 6, 2), 2),
    ("conv2d_transpose_dilated", Conv2DTranspose, {"filters": 2, "kernel_size": 2,
                                                   "dilation_rate": 2, "padding": "same"},
     (1, 4, 4, 3), (1, 4, 4, 2), 2),
    ("conv2d_transpose_channels_first", Conv2DTranspose,
     {"filters": 2, "kernel_size": 3, "strides": 2, "data_format": "channels_first",
      **BIAS}, (1, 3, 3, 4), (1, 2, 7, 9), 2),
    ("conv3d_transpose", Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2,
                                           **BIAS}, (1, 2, 2, 3, 1), (1, 4, 4, 6, 2), 2),
    ("depthwise1d", DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2, **BIAS},
     (2, 6, 3), (2, 4, 6), 2),
    ("depthwise2d_same_stride", DepthwiseConv2D, {"kernel_size": 3, "strides": 2,
                                                  "padding": "same", "depth_multiplier": 2,
                                                  **BIAS}, (2, 5, 5, 3), (2, 3, 3, 6), 2),
    ("depthwise2d_channels_first", DepthwiseConv2D,
     {"kernel_size": 2, "data_format": "channels_first", "use_bias": False},
     (1, 3, 4, 4), (1, 3, 3, 3), 1),
    ("separable1d", SeparableConv1D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2,
                                      "padding": "same", **BIAS}, (2, 6, 3), (2, 6, 4), 3),
    ("separable2d_dilated", SeparableConv2D, {"filters": 3, "kernel_size": 2,
                                              "dilation_rate": 2, **BIAS},
     (1, 5, 5, 2), (1, 3, 3, 3), 3),
    ("separable2d_channels_first_relu", SeparableConv2D,
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
      "data_format": "channels_first", "activation": "relu", **BIAS},
     (1, 2, 5, 5), (1, 3, 3, 3), 3),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_conv_layer(case):
    _, cls, kwargs, shape, out_shape, n_train = case
    data = _data(*shape)
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=out_shape,
                            expected_num_trainable_weights=n_train,
                            expected_num_non_trainable_weights=0, atol=1e-5, rtol=1e-5,
                            training_epochs=2)
    assert set(result["skipped"]) <= {"save_load"}
    expected = reference(result["layer"], data)
    out = result["output"].numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- weight layouts ---

@pytest.mark.parametrize("layer, shape, weight_shapes", [
    (Conv2D(8, 3, groups=2), (1, 5, 5, 4), [(3, 3, 2, 8), (8,)]),
    (Conv1D(5, 2, use_bias=False), (1, 5, 3), [(2, 3, 5)]),
    (Conv3D(2, (1, 2, 3)), (1, 3, 4, 5, 3), [(1, 2, 3, 3, 2), (2,)]),
    (Conv2DTranspose(8, 3), (1, 5, 5, 4), [(3, 3, 8, 4), (8,)]),
    (Conv1DTranspose(6, 2), (1, 5, 4), [(2, 6, 4), (6,)]),
    (DepthwiseConv2D(3, depth_multiplier=2), (1, 5, 5, 4), [(3, 3, 4, 2), (8,)]),
    (SeparableConv2D(6, 3, depth_multiplier=2), (1, 5, 5, 4),
     [(3, 3, 4, 2), (1, 1, 8, 6), (6,)]),
    (SeparableConv1D(6, 3), (1, 5, 4), [(3, 4, 1), (1, 4, 6), (6,)]),
])
def test_keras_weight_layouts(layer, shape, weight_shapes):
    layer(_data(*shape))
    assert [tuple(w.shape) for w in layer.get_weights()] == weight_shapes
    names = [w.name.split(":")[0] for w in layer.weights]
    if "Separable" in type(layer).__name__:
        assert names[:2] == ["depthwise_kernel", "pointwise_kernel"]
    else:
        assert names[0] == "kernel"


def test_set_weights_in_keras_layout_and_alias():
    layer = Convolution2D(2, 2, use_bias=False)
    assert Convolution2D is Conv2D
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    layer.build((1, 3, 3, 1))
    k = np.zeros((2, 2, 1, 2), "float32")
    k[0, 0, 0, 0] = 1.0     # top-left tap -> filter 0
    k[1, 1, 0, 1] = 1.0     # bottom-right tap -> filter 1
    layer.set_weights([k])
    y = layer(x).numpy()[0]
    np.testing.assert_array_equal(y[..., 0], [[0, 1], [3, 4]])
    np.testing.assert_array_equal(y[..., 1], [[4, 5], [7, 8]])


def test_gradients_match_numpy_for_conv2d():
    layer = Conv2D(3, 3, padding="same", strides=2)
    x = ember.constant(_data(2, 5, 5, 2))
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = ember.reduce_sum(y * y)
    gx, gk, gb = tape.gradient(loss, [x, layer.kernel, layer.bias])
    k, b = layer.get_weights()
    eps = 1e-3
    rng = np.random.default_rng(3)
    for arr_name, arr, grad in (("kernel", k, gk), ("bias", b, gb)):
        idx = tuple(rng.integers(0, s) for s in arr.shape)
        def f(delta):
            a = arr.astype(np.float64).copy()
            a[idx] += delta
            w = [a, b.astype(np.float64)] if arr_name == "kernel" else \
                [k.astype(np.float64), a]
            out = ref_conv(x.numpy().astype(np.float64), w[0], (2, 2), "same", (1, 1)) + w[1]
            return (out ** 2).sum()
        numeric = (f(eps) - f(-eps)) / (2 * eps)
        assert grad.numpy()[idx] == pytest.approx(numeric, rel=1e-3, abs=1e-3)
    assert gx.shape == x.shape


@pytest.mark.parametrize("layer, feature_shape", [
    (Conv2DTranspose(3, 3, strides=2, padding="same"), (None, None, 2)),
    (Conv1DTranspose(2, 3, strides=2, output_padding=1), (None, 3)),
    (Conv2D(3, 3, strides=2, padding="same"), (None, None, 2)),
    (SeparableConv2D(3, 3), (None, None, 2)),
])
def test_traced_with_unknown_spatial_sizes(layer, feature_shape):
    data = _data(2, *[5 if d is None else d for d in feature_shape])
    eager = layer(data).numpy()
    fn = ember.function(lambda x: layer(x),
                        input_signature=[ember.TensorSpec((None,) + feature_shape)])
    np.testing.assert_allclose(fn(ember.constant(data)).numpy(), eager, rtol=1e-6,
                               atol=1e-6)
    expected = layer.compute_output_shape((None,) + feature_shape)
    assert expected[0] is None and expected[-1] == eager.shape[-1]


def test_compute_output_shape_without_calling():
    assert Conv2D(4, 3, strides=2).compute_output_shape((None, 9, 9, 3)) == (None, 4, 4, 4)
    assert Conv1D(4, 3, padding="causal").compute_output_shape((8, 10, 3)) == (8, 10, 4)
    assert Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 5, 5, 3)) == \
        (None, 11, 11, 4)
    assert DepthwiseConv2D(3, depth_multiplier=3).compute_output_shape((2, 5, 5, 2)) == \
        (2, 3, 3, 6)
    assert Conv3D(2, 2, data_format="channels_first").compute_output_shape(
        (None, 3, 4, 4, 4)) == (None, 2, 3, 3, 3)


# ----------------------------------------------------------------------------- errors ---

@pytest.mark.parametrize("make, match", [
    (lambda: Conv2D(0, 3), "filters"),
    (lambda: Conv2D(4, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(4, 0), "kernel_size"),
    (lambda: Conv2D(4, 3, strides=-1), "strides"),
    (lambda: Conv2D(5, 3, groups=2), "evenly divisible by the number of groups"),
    (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate > 1"),
    (lambda: Conv2D(4, 3, padding="causal"), "padding"),
    (lambda: Conv2D(4, 3, padding="full"), "padding"),
    (lambda: Conv1D(4, 3, data_format="NWC"), "data_format"),
    (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), "output padding"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrong_rank_names_layer_and_shape():
    layer = Conv2D(4, 3, name="my_conv")
    with pytest.raises(ValueError, match=r'"my_conv".*expected ndim=4, found ndim=3.*'
                                         r'\(2, 5, 5\)'):
        layer(_data(2, 5, 5))


def test_channel_mismatch_after_build():
    layer = Conv2D(4, 3, name="conv_c3")
    layer(_data(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r'"conv_c3".*axis -1.*value 3.*\(1, 5, 5, 4\)'):
        layer(_data(1, 5, 5, 4))


def test_input_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"input channels must be evenly divisible.*"
                                         r"groups=2.*3 channels"):
        Conv2D(4, 3, groups=2)(_data(1, 5, 5, 3))


def test_kernel_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"small_input.*\(1, 3, 3, 1\).*kernel_size \(5, 5\)"):
        Conv2D(2, 5, name="small_input")(_data(1, 3, 3, 1))


def test_unknown_channels_rejected():
    with pytest.raises(ValueError, match="channel dimension"):
        Conv2D(2, 3).build((None, 5, 5, None))
