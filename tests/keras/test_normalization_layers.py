"""BatchNormalization, LayerNormalization and GroupNormalization: values against NumPy,
Keras 3's moving-statistics rule (training only, biased batch variance, frozen when
``trainable=False``), updates inside the compiled train step, weight order, gradients,
configs and errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.layers.normalization import (
    BatchNormalization, GroupNormalization, LayerNormalization,
)
from tests.keras.layer_test_utils import run_layer_test

RNG = np.random.default_rng(0)


def _data(*shape, scale=1.0, shift=0.0):
    return (RNG.standard_normal(shape) * scale + shift).astype("float32")


def ref_bn(x, mean, var, gamma, beta, eps, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    x = x.astype(np.float64)
    return (x - np.reshape(mean, shape)) / np.sqrt(np.reshape(var, shape) + eps) * \
        np.reshape(gamma, shape) + np.reshape(beta, shape)


def ref_layer_norm(x, axes, eps, gamma=None, beta=None):
    x = x.astype(np.float64)
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y


def ref_group_norm(x, groups, eps, axis=-1):
    x = np.moveaxis(x.astype(np.float64), axis, -1)
    n, c = x.shape[0], x.shape[-1]
    g = x.reshape(n, -1, groups, c // groups)
    mean = g.mean((1, 3), keepdims=True)
    var = g.var((1, 3), keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    return np.moveaxis(y, -1, axis)


X2 = _data(6, 4, scale=2.0, shift=1.0)
X3 = _data(3, 5, 4)
X4 = _data(4, 3, 3, 5, scale=3.0, shift=-2.0)

# ---------------------------------------------------------------------- run_layer_test ---

CASES = [
    # id, cls, kwargs, input, expected (inference output of a fresh layer), n_train, n_non
    ("bn_inference_fresh", BatchNormalization, {}, X4, X4 / np.sqrt(1 + 1e-3), 2, 2),
    ("bn_axis1_no_center", BatchNormalization, {"axis": 1, "center": False}, X4,
     X4 / np.sqrt(1 + 1e-3), 1, 2),
    ("bn_2d_no_scale", BatchNormalization, {"scale": False, "epsilon": 0.1}, X2,
     X2 / np.sqrt(1.1), 1, 2),
    ("ln_last", LayerNormalization, {}, X3, ref_layer_norm(X3, (-1,), 1e-3), 2, 0),
    ("ln_two_axes", LayerNormalization, {"axis": [1, 2], "epsilon": 1e-5}, X4,
     ref_layer_norm(X4, (1, 2), 1e-5), 2, 0),
    ("ln_middle_axis", LayerNormalization, {"axis": 1, "center": False}, X3,
     ref_layer_norm(X3, (1,), 1e-3), 1, 0),
    ("ln_rms", LayerNormalization, {"rms_scaling": True}, X3,
     X3 / np.sqrt((X3.astype(np.float64) ** 2).mean(-1, keepdims=True) + 1e-3), 1, 0),
    ("gn_groups", GroupNormalization, {"groups": 2}, _data(2, 3, 3, 4),
     None, 2, 0),
    ("gn_instance", GroupNormalization, {"groups": -1, "epsilon": 1e-5}, X3,
     ref_group_norm(X3, 4, 1e-5), 2, 0),
    ("gn_channels_first", GroupNormalization, {"groups": 3, "axis": 1}, X4,
     ref_group_norm(X4, 3, 1e-3, axis=1), 2, 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_normalization_layer(case):
    _, cls, kwargs, data, expected, n_train, n_non = case
    result = run_layer_test(cls, kwargs, input_data=data, expected_output_shape=data.shape,
                            expected_output=expected, expected_num_trainable_weights=n_train,
                            expected_num_non_trainable_weights=n_non, rtol=1e-5, atol=1e-5,
                            training_epochs=2)
    assert set(result["skipped"]) <= {"save_load"}
    assert result["output"].dtype == ember.float32


def test_group_norm_values_with_weights():
    x = _data(2, 3, 3, 4)
    layer = GroupNormalization(groups=2, gamma_initializer="random_normal",
                               beta_initializer="random_normal")
    y = layer(x).numpy()
    gamma, beta = layer.get_weights()
    np.testing.assert_allclose(y, ref_group_norm(x, 2, 1e-3) * gamma + beta, rtol=1e-5,
                               atol=1e-5)


# ---------------------------------------------------------------- BatchNormalization ---

@pytest.mark.parametrize("axis, x, epsilon", [
    (-1, X4, 1e-3), (1, X4, 1e-3), (-1, X2, 1e-3), (2, X4, 1e-3), (-1, X3, 1e-6),
])
def test_bn_training_uses_batch_stats_and_updates_moving(axis, x, epsilon):
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=epsilon,
                               gamma_initializer="random_normal",
                               beta_initializer="random_normal")
    y = layer(x, training=True).numpy()
    reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    mean = x.astype(np.float64).mean(reduce)
    var = x.astype(np.float64).var(reduce)
    gamma, beta, moving_mean, moving_var = layer.get_weights()
    np.testing.assert_allclose(y, ref_bn(x, mean, var, gamma, beta, epsilon, axis),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(moving_mean, 0.0 * 0.9 + mean * (1 - 0.9), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(moving_var, 1.0 * 0.9 + var * (1 - 0.9), rtol=1e-5)
    assert y.dtype == np.float32 and moving_var.dtype == np.float32


def test_bn_inference_uses_moving_stats_and_does_not_update():
    layer = BatchNormalization(moving_mean_initializer="random_normal",
                               moving_variance_initializer="ones")
    y = layer(X4, training=False).numpy()
    gamma, beta, mm, mv = layer.get_weights()
    np.testing.assert_allclose(y, ref_bn(X4, mm, mv, gamma, beta, 1e-3, -1), rtol=1e-5,
                               atol=1e-5)
    y2 = layer(X4).numpy()
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(layer.get_weights()[2], mm)


def test_bn_not_trainable_runs_in_inference_mode():
    layer = BatchNormalization()
    layer.build(X4.shape)
    layer.trainable = False
    before = [w.copy() for w in layer.get_weights()]
    y = layer(X4, training=True).numpy()
    np.testing.assert_allclose(y, X4 / np.sqrt(1 + 1e-3), rtol=1e-5, atol=1e-6)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_bn_weight_order_and_shapes():
    layer = BatchNormalization(axis=1)
    layer(X4)
    assert [w.name.split(":")[0] for w in layer.weights] == \
        ["gamma", "beta", "moving_mean", "moving_variance"]
    assert all(tuple(w.shape) == (3,) for w in layer.weights)
    assert [w.name.split(":")[0] for w in layer.trainable_weights] == ["gamma", "beta"]


def test_bn_compiled_train_step_updates_moving_stats():
    x = _data(16, 3, scale=2.0, shift=1.5)
    y = _data(16, 1)
    bn = BatchNormalization(momentum=0.8)
    model = keras.Sequential([keras.Input((3,)), bn, keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    mean = x.astype(np.float64).mean(0)
    var = x.astype(np.float64).var(0)
    expect_mean = (0.0 * 0.8 + mean * 0.2) * 0.8 + mean * 0.2
    expect_var = (1.0 * 0.8 + var * 0.2) * 0.8 + var * 0.2
    np.testing.assert_allclose(bn.moving_mean.numpy(), expect_mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), expect_var, rtol=1e-5)
    before = [w.copy() for w in bn.get_weights()]
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bn_traced_training_matches_eager():
    eager = BatchNormalization(momentum=0.5)
    traced_layer = BatchNormalization(momentum=0.5)
    eager.build(X4.shape)
    traced_layer.build(X4.shape)
    fn = ember.function(lambda x: traced_layer(x, training=True))
    for _ in range(2):
        ye = eager(X4, training=True).numpy()
        yt = fn(ember.constant(X4)).numpy()
    np.testing.assert_allclose(yt, ye, rtol=1e-6, atol=1e-6)
    for a, b in zip(eager.get_weights(), traced_layer.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bn_training_gradients_match_numpy():
    x = ember.constant(X2)
    layer = BatchNormalization(gamma_initializer="random_normal")
    weights_out = RNG.standard_normal(X2.shape)
    with ember.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = ember.reduce_sum(y * ember.constant(weights_out.astype("float32")))
    gx, gg, gb = tape.gradient(loss, [x, layer.gamma, layer.beta])
    gamma = layer.gamma.numpy().astype(np.float64)

    def f(xv, g):
        m, v = xv.mean(0), xv.var(0)
        return (((xv - m) / np.sqrt(v + 1e-3) * g) * weights_out).sum()
    xv = X2.astype(np.float64)
    eps = 1e-4
    num_x = np.zeros_like(xv)
    for idx in np.ndindex(xv.shape):
        d = np.zeros_like(xv)
        d[idx] = eps
        num_x[idx] = (f(xv + d, gamma) - f(xv - d, gamma)) / (2 * eps)
    np.testing.assert_allclose(gx.numpy(), num_x, rtol=1e-3, atol=1e-3)
    xhat = (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 1e-3)
    np.testing.assert_allclose(gg.numpy(), (xhat * weights_out).sum(0), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(gb.numpy(), weights_out.sum(0), rtol=1e-5, atol=1e-5)


def test_bn_masked_training_statistics():
    x = _data(2, 4, 3)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    layer = BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=ember.constant(mask))
    kept = x[mask].astype(np.float64)
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(0), rtol=1e-4)


def test_bn_config_and_legacy_arguments():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, fused=True)
    cfg = layer.get_config()
    assert cfg["axis"] == 1 and cfg["momentum"] == 0.9 and cfg["epsilon"] == 1e-5
    assert cfg["center"] is False and "fused" not in cfg
    assert BatchNormalization.from_config(cfg).get_config() == cfg
    with pytest.raises(NotImplementedError, match="renorm"):
        BatchNormalization(renorm=True)


# ------------------------------------------------------------------------------ errors ---

def test_bn_errors():
    with pytest.raises(TypeError, match="axis"):
        BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"bn_ax.*invalid axis 4.*\(4, 3, 3, 5\)"):
        BatchNormalization(axis=4, name="bn_ax")(X4)
    layer = BatchNormalization(name="bn_c")
    layer(X4)
    with pytest.raises(ValueError, match=r'"bn_c".*axis 3.*value 5.*\(4, 3, 3, 6\)'):
        layer(_data(4, 3, 3, 6))
    with pytest.raises(ValueError, match=r'"bn_c".*expected ndim=4, found ndim=3'):
        layer(_data(4, 3, 5))


def test_layer_and_group_norm_errors():
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="cannot be more than the number of channels"):
        GroupNormalization(groups=8)(_data(2, 3, 4))
    with pytest.raises(ValueError, match=r"Number of groups \(3\) must be a multiple"):
        GroupNormalization(groups=3)(_data(2, 3, 4))
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"gn_b.*batch axis"):
        GroupNormalization(groups=1, axis=0, name="gn_b")(_data(2, 3, 4))
    with pytest.raises(ValueError, match=r"ln_a.*invalid axis 3"):
        LayerNormalization(axis=3, name="ln_a")(_data(2, 3, 4))
