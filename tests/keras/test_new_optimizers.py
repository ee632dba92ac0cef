"""Adafactor, Muon and ScheduleFreeAdamW against real Keras 3 (a few steps on fixed
weights and gradients), eagerly and traced, and the Circle loss with its gradient."""
import os

import numpy as np
import pytest

import ember
from ember import keras

F = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "optimizers",
                         "optimizers.npz"))
NAMES = ["dense_kernel", "tall_kernel", "dense_bias", "conv_kernel", "token_embedding"]
STEPS = 4
CONFIGS = {
    "adafactor": ("Adafactor", {"learning_rate": 0.05}),
    "adafactor_abs": ("Adafactor", {"learning_rate": 0.5, "relative_step": False,
                                    "clip_threshold": 0.5}),
    "muon": ("Muon", {"learning_rate": 0.02}),
    "muon_plain": ("Muon", {"learning_rate": 0.02, "nesterov": False, "rms_rate": None,
                            "exclude_layers": ["tall"], "weight_decay": None,
                            "adam_weight_decay": 0.01}),
    "sfadamw": ("ScheduleFreeAdamW", {"learning_rate": 0.01}),
    "sfadamw_warmup": ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3,
                                             "beta_1": 0.8}),
}


def _run(key, traced):
    cls, kw = CONFIGS[key]
    variables = [keras.Variable(F[f"w0_{i}"], name=n) for i, n in enumerate(NAMES)]
    opt = getattr(keras.optimizers, cls)(**kw)
    opt.build(variables)

    def step(grads):
        opt.apply_gradients(zip(grads, variables))

    fn = ember.function(step) if traced else step
    for s in range(STEPS):
        fn([ember.constant(F[f"g_{i}"][s]) for i in range(len(NAMES))])
    return variables, opt


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_optimizer_matches_keras(key, traced):
    variables, opt = _run(key, traced)
    for i, v in enumerate(variables):
        np.testing.assert_allclose(v.numpy(), F[f"{key}_w{i}"], rtol=2e-5, atol=2e-6,
                                   err_msg=f"{key} {NAMES[i]}")
    assert int(opt.iterations.numpy()) == STEPS


@pytest.mark.parametrize("cls", ["Adafactor", "Muon", "ScheduleFreeAdamW"])
def test_optimizer_config_round_trip_and_fit(cls):
    opt = getattr(keras.optimizers, cls)(learning_rate=0.01)
    cfg = keras.optimizers.serialize(opt)
    again = keras.optimizers.deserialize(cfg)
    assert type(again) is type(opt) and again.get_config() == opt.get_config()
    assert type(keras.optimizers.get(cls.lower())).__name__ == cls
    keras.utils.set_random_seed(1)
    x = np.random.RandomState(0).randn(64, 4).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                              keras.layers.Dense(1, name="output")])
    kw = {"learning_rate": 0.05, "exclude_layers": ["output"]} if cls == "Muon" else \
        {"learning_rate": 0.05}
    model.compile(getattr(keras.optimizers, cls)(**kw), "mse")
    hist = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


def test_muon_routes_variables_like_keras():
    opt = keras.optimizers.Muon(exclude_layers=["output"])
    assert opt._should_use_adamw(keras.Variable(np.ones(3, "float32"), name="b"))
    assert opt._should_use_adamw(keras.Variable(np.ones((3, 2), "float32"),
                                                name="token_embedding"))
    assert not opt._should_use_adamw(keras.Variable(np.ones((3, 2), "float32"), name="k"))
    layer = keras.layers.Dense(2, name="output")
    layer.build((None, 3))
    assert opt._should_use_adamw(layer.kernel)
    # the Newton-Schulz iteration makes a matrix's singular values close to 1
    g = ember.constant(np.random.RandomState(0).randn(4, 6).astype("float32"))
    s = np.linalg.svd(opt.newton_schulz(g, 5).numpy(), compute_uv=False)
    assert np.all((s > 0.5) & (s < 1.3))


@pytest.mark.parametrize("key,kw", [("circle", {}),
                                    ("circle_custom", {"gamma": 10.0, "margin": 0.2}),
                                    ("circle_diag", {"remove_diagonal": False})])
def test_circle_loss_and_gradient_match_keras(key, kw):
    x = ember.Variable(F["circle_emb"])
    with ember.GradientTape() as tape:
        loss = keras.losses.Circle(**kw)(F["circle_labels"], x)
    np.testing.assert_allclose(loss.numpy(), F[f"{key}_loss"], rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), F[f"{key}_grad"], rtol=1e-4,
                               atol=1e-5)
    none = keras.losses.Circle(reduction=None, **kw)(F["circle_labels"], F["circle_emb"])
    np.testing.assert_allclose(none.numpy(), F[f"{key}_none"], rtol=1e-5)


def test_circle_function_with_references_and_config():
    got = keras.losses.circle(F["circle_labels"], F["circle_emb"],
                              ref_labels=F["circle_ref_labels"],
                              ref_embeddings=F["circle_ref"], remove_diagonal=False)
    np.testing.assert_allclose(got.numpy(), F["circle_fn_ref"], rtol=1e-5)
    loss = keras.losses.Circle(gamma=20.0, margin=0.3, name="c")
    cfg = loss.get_config()
    assert cfg == {"name": "c", "reduction": "sum_over_batch_size", "gamma": 20.0,
                   "margin": 0.3, "remove_diagonal": True}
    assert keras.losses.Circle.from_config(cfg).margin == 0.3
    assert keras.losses.get("circle") is keras.losses.circle


def test_docstring_examples():
    from ember.keras import metric_learning_losses
    from ember.keras.optimizers import adafactor, muon, schedule_free_adamw
    from tests.docexamples import run_examples
    for module in (adafactor, muon, schedule_free_adamw, metric_learning_losses):
        failed, attempted = run_examples(module, {"ember": ember, "np": np})
        assert attempted and not failed, module.__name__
