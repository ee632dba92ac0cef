"""ZeroPadding, Cropping and UpSampling layers (1D/2D/3D) through run_layer_test with values
from NumPy (np.pad, slicing, np.repeat, a hand-built bilinear matrix), plus errors."""
import numpy as np
import pytest

import ember
from ember.keras.layers.reshaping2 import (
    Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D,
    ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
)
from tests.keras.layer_test_utils import run_layer_test

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 5, 3)).astype("float32")
X4 = RNG.standard_normal((2, 4, 5, 3)).astype("float32")
X4CF = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
X5 = RNG.standard_normal((1, 3, 4, 2, 2)).astype("float32")


def _bilinear_matrix(n, factor):
    """(n * factor, n) half-pixel bilinear weights with edge clamping."""
    out = n * factor
    m = np.zeros((out, n))
    for i in range(out):
        src = (i + 0.5) / factor - 0.5
        lo = int(np.floor(src))
        frac = src - lo
        m[i, min(max(lo, 0), n - 1)] += 1 - frac
        m[i, min(max(lo + 1, 0), n - 1)] += frac
    return m


def _bilinear(x, fh, fw):
    mh = _bilinear_matrix(x.shape[1], fh)
    mw = _bilinear_matrix(x.shape[2], fw)
    return np.einsum("ih,nhwc,jw->nijc", mh, x.astype(np.float64), mw)


CASES = [
    # id, cls, kwargs, input, expected
    ("zeropad1d_int", ZeroPadding1D, {"padding": 2}, X3,
     np.pad(X3, [(0, 0), (2, 2), (0, 0)])),
    ("zeropad1d_pair", ZeroPadding1D, {"padding": (1, 3)}, X3,
     np.pad(X3, [(0, 0), (1, 3), (0, 0)])),
    ("zeropad2d_default", ZeroPadding2D, {}, X4, np.pad(X4, [(0, 0), (1, 1), (1, 1), (0, 0)])),
    ("zeropad2d_symmetric_pair", ZeroPadding2D, {"padding": (2, 0)}, X4,
     np.pad(X4, [(0, 0), (2, 2), (0, 0), (0, 0)])),
    ("zeropad2d_pairs_channels_first", ZeroPadding2D,
     {"padding": ((1, 0), (0, 2)), "data_format": "channels_first"}, X4CF,
     np.pad(X4CF, [(0, 0), (0, 0), (1, 0), (0, 2)])),
    ("zeropad3d", ZeroPadding3D, {"padding": ((1, 0), (0, 1), (2, 2))}, X5,
     np.pad(X5, [(0, 0), (1, 0), (0, 1), (2, 2), (0, 0)])),
    ("crop1d", Cropping1D, {"cropping": (1, 2)}, X3, X3[:, 1:3]),
    ("crop1d_int", Cropping1D, {"cropping": 2}, X3, X3[:, 2:3]),
    ("crop2d", Cropping2D, {"cropping": ((1, 0), (2, 1))}, X4, X4[:, 1:, 2:4]),
    ("crop2d_symmetric", Cropping2D, {"cropping": (1, 2)}, X4, X4[:, 1:3, 2:3]),
    ("crop2d_channels_first", Cropping2D,
     {"cropping": 1, "data_format": "channels_first"}, X4CF, X4CF[:, :, 1:3, 1:4]),
    ("crop3d", Cropping3D, {"cropping": ((1, 1), (0, 2), (1, 0))}, X5, X5[:, 1:2, 0:2, 1:]),
    ("upsample1d", UpSampling1D, {"size": 3}, X3, np.repeat(X3, 3, axis=1)),
    ("upsample2d_nearest", UpSampling2D, {"size": (2, 3)}, X4,
     np.repeat(np.repeat(X4, 2, axis=1), 3, axis=2)),
    ("upsample2d_channels_first", UpSampling2D, {"data_format": "channels_first"}, X4CF,
     np.repeat(np.repeat(X4CF, 2, axis=2), 2, axis=3)),
    ("upsample2d_bilinear", UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, X4,
     _bilinear(X4, 2, 3)),
    ("upsample2d_bilinear_channels_first", UpSampling2D,
     {"interpolation": "bilinear", "data_format": "channels_first"}, X4CF,
     np.moveaxis(_bilinear(np.moveaxis(X4CF, 1, -1), 2, 2), -1, 1)),
    ("upsample3d", UpSampling3D, {"size": (1, 2, 2)}, X5,
     np.repeat(np.repeat(X5, 2, axis=2), 2, axis=3)),
    ("upsample3d_channels_first", UpSampling3D,
     {"size": 2, "data_format": "channels_first"}, X5,
     np.repeat(np.repeat(np.repeat(X5, 2, axis=2), 2, axis=3), 2, axis=4)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_reshaping2_layer(case):
    _, cls, kwargs, data, expected = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=expected.shape,
                            expected_output=expected, expected_num_trainable_weights=0,
                            expected_num_non_trainable_weights=0, rtol=1e-5, atol=1e-6,
                            training_epochs=2)
    assert set(result["skipped"]) <= {"save_load"}
    assert result["output"].dtype == ember.float32


def test_configs_use_keras_forms():
    assert ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert ZeroPadding1D(3).get_config()["padding"] == (3, 3)
    assert Cropping2D().get_config()["cropping"] == ((0, 0), (0, 0))
    assert Cropping3D().get_config()["cropping"] == ((1, 1),) * 3
    assert UpSampling2D().get_config()["size"] == (2, 2)
    assert UpSampling2D().get_config()["interpolation"] == "nearest"
    assert UpSampling1D().get_config()["size"] == 2


def test_nearest_upsampling_gradient_sums_blocks():
    x = ember.constant(X4)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = UpSampling2D((2, 3))(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.full(X4.shape, 6.0))


def test_traced_with_unknown_sizes():
    for layer in (UpSampling2D(), UpSampling3D(), Cropping2D(1), ZeroPadding2D(1)):
        data = X5 if isinstance(layer, UpSampling3D) else X4
        spec = ember.TensorSpec((None,) * (data.ndim - 1) + (data.shape[-1],))
        fn = ember.function(lambda x: layer(x), input_signature=[spec])
        np.testing.assert_allclose(fn(ember.constant(data)).numpy(), layer(data).numpy(),
                                   rtol=1e-6)
    bilinear = UpSampling2D(interpolation="bilinear", name="up_bl")
    fn = ember.function(lambda x: bilinear(x),
                        input_signature=[ember.TensorSpec((None, 4, 5, 3))])
    np.testing.assert_allclose(fn(ember.constant(X4)).numpy(), bilinear(X4).numpy(),
                               rtol=1e-6)
    fn = ember.function(lambda x: bilinear(x),
                        input_signature=[ember.TensorSpec((None, None, None, 3))])
    with pytest.raises(ValueError, match="up_bl.*known spatial sizes"):
        fn(ember.constant(X4))


@pytest.mark.parametrize("make, match", [
    (lambda: ZeroPadding2D((1, 2, 3)), "padding"),
    (lambda: ZeroPadding2D(-1), "padding"),
    (lambda: Cropping2D(((1, 2, 3), (0, 0))), "cropping"),
    (lambda: UpSampling2D(interpolation="cubic"), "interpolation"),
    (lambda: UpSampling2D(size=0), "size"),
    (lambda: ZeroPadding3D(data_format="NDHWC"), "data_format"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_input_errors():
    with pytest.raises(ValueError, match=r'"crop_a".*expected ndim=4, found ndim=3'):
        Cropping2D(1, name="crop_a")(X3)
    with pytest.raises(ValueError, match=r"crop_b.*smaller than the corresponding spatial "
                                         r"dimension.*\(2, 4, 5, 3\)"):
        Cropping2D(((2, 2), (0, 0)), name="crop_b")(X4)
    with pytest.raises(ValueError, match=r'"up_a".*expected ndim=5'):
        UpSampling3D(name="up_a")(X4)
