"""Lamb, Dice and Tversky against real Keras 3.15 (tests/fixtures/keras_extras)."""
import os

import numpy as np

import ember
from ember import keras

DATA = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_extras",
                            "keras_extras.npz"))


def _lamb_run(traced):
    w, b = ember.Variable(DATA["lamb_w0"]), ember.Variable(DATA["lamb_b0"])
    opt = keras.optimizers.Lamb(learning_rate=0.05)

    def step(gw, gb):
        opt.apply_gradients([(gw, w), (gb, b)])
    run = ember.function(step) if traced else step
    for i in range(4):
        run(ember.constant(DATA["lamb_gw"][i]), ember.constant(DATA["lamb_gb"][i]))
        np.testing.assert_allclose(w.numpy(), DATA[f"lamb_w{i + 1}"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.numpy(), DATA[f"lamb_b{i + 1}"], rtol=1e-5, atol=1e-6)


def test_lamb_matches_keras_eager_and_traced():
    _lamb_run(False)
    _lamb_run(True)


def test_lamb_config_round_trip_and_get():
    opt = keras.optimizers.get("lamb")
    assert isinstance(opt, keras.optimizers.Lamb)
    cfg = keras.optimizers.Lamb(learning_rate=0.01, beta_1=0.8).get_config()
    again = keras.optimizers.Lamb.from_config(cfg)
    assert again.beta_1 == 0.8 and abs(float(again.learning_rate) - 0.01) < 1e-9


def test_dice_and_tversky_match_keras():
    yt, yp = DATA["y_true"], DATA["y_pred"]
    np.testing.assert_allclose(keras.losses.Dice()(yt, yp).numpy(), DATA["dice"], rtol=1e-5)
    np.testing.assert_allclose(
        keras.losses.Dice(axis=(1, 2, 3), reduction=None)(yt, yp).numpy(),
        DATA["dice_axis"], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.Tversky(alpha=0.3, beta=0.7)(yt, yp).numpy(),
                               DATA["tversky"], rtol=1e-5)
    np.testing.assert_allclose(
        keras.losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2), reduction=None)(yt, yp).numpy(),
        DATA["tversky_axis"], rtol=1e-5)
    assert keras.losses.get("Dice").get_config()["name"] == "dice"


def test_dice_trains_a_segmentation_head():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 6, 6, 2)).astype("float32")
    y = (x[..., :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((6, 6, 2)),
                              keras.layers.Conv2D(1, 1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=keras.losses.Dice())
    hist = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history["loss"]
    assert hist[-1] < 0.7 * hist[0], hist


def test_generalized_cross_entropy_matches_keras():
    labels, probs = DATA["gce_labels"], DATA["gce_probs"]
    loss = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7)
    np.testing.assert_allclose(loss(labels, probs).numpy(), DATA["gce"], rtol=1e-5)
    per_sample = keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=None)
    np.testing.assert_allclose(per_sample(labels, probs).numpy(), DATA["gce_none"], rtol=1e-5)


def test_correlation_metrics_match_keras():
    for cls in ("PearsonCorrelation", "ConcordanceCorrelation"):
        m = getattr(keras.metrics, cls)()
        m.update_state(DATA["corr_true"][:3], DATA["corr_pred"][:3])
        m.update_state(DATA["corr_true"][3:], DATA["corr_pred"][3:])
        np.testing.assert_allclose(m.result().numpy(), DATA[cls], rtol=1e-5)
        assert type(keras.metrics.get(m.name)) is type(m)


def test_sparsemax_activation():
    out = keras.activations.get("sparsemax")(np.array([[0.1, 1.0, 0.8]], "float32")).numpy()
    np.testing.assert_allclose(out, [[0.0, 0.6, 0.4]], atol=1e-6)


def test_loss_scale_optimizer_matches_keras_eager_and_traced():
    for traced in (False, True):
        w = ember.Variable(np.array([1.0, 2.0], "float32"))
        opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1),
                                                  initial_scale=8.0, dynamic_growth_steps=2)

        def step(g):
            opt.apply_gradients([(g, w)])
        run = ember.function(step) if traced else step
        for i, g in enumerate(DATA["lso_grads"]):
            run(ember.constant(g))
            np.testing.assert_allclose(w.numpy(), DATA["lso_w"][i], rtol=1e-6)
            assert float(opt.dynamic_scale.numpy()) == DATA["lso_scale"][i]


def test_loss_scale_optimizer_trains_under_fit_and_round_trips():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=64.0)
    model.compile(optimizer=opt, loss="mse")
    hist = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < 0.1 * hist[0], hist
    assert float(opt.dynamic_scale.numpy()) == 64.0
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert isinstance(again.inner_optimizer, keras.optimizers.SGD)
    assert again.initial_scale == 64.0


def test_loss_scale_factor_scales_the_loss_in_fit():
    # the optimizer divides gradients by loss_scale_factor, so fit must scale the loss:
    # with both, training equals training without a factor
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 2)).astype("float32")
    y = x.sum(1, keepdims=True)
    weights = []
    for factor in (None, 128.0):
        keras.utils.set_random_seed(5)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.05, loss_scale_factor=factor),
                      loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights()[0])
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-5)
