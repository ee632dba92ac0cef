"""keras.optimizers and keras.optimizers.schedules against hand-written NumPy references."""
import math
import warnings

import numpy as np
import pytest

import ember
from ember.keras import optimizers
from ember.keras.optimizers import schedules

SHAPES = [(3, 4), (5,)]
STEPS = 4


def _init_values():
    rng = np.random.default_rng(1)
    return [rng.normal(size=s).astype(np.float32) for s in SHAPES]


def _grad_sequence(steps=STEPS, scale=1.0, seed=2):
    rng = np.random.default_rng(seed)
    return [[(scale * rng.normal(size=s)).astype(np.float32) for s in SHAPES]
            for _ in range(steps)]


# --------------------------------------------------------------- NumPy references ---
# Each rule: init(values) -> state; step(state, w, g, lr, t, k) updates w[k] in place
# (t = optimizer iterations before the step); begin(state, t) runs once per step.

class Rule:
    def init(self, ws):
        return {}

    def begin(self, state, t):
        pass


class SGDRule(Rule):
    def __init__(self, momentum=0.0, nesterov=False):
        self.mom, self.nesterov = momentum, nesterov

    def init(self, ws):
        return {"m": [np.zeros_like(w) for w in ws]}

    def step(self, s, w, g, lr, t, k):
        if self.mom == 0:
            w[k] -= g * lr
            return
        s["m"][k] = s["m"][k] * self.mom - g * lr
        w[k] += s["m"][k] * self.mom - g * lr if self.nesterov else s["m"][k]


class RMSpropRule(Rule):
    def __init__(self, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        self.rho, self.mom, self.eps, self.centered = rho, momentum, epsilon, centered

    def init(self, ws):
        return {n: [np.zeros_like(w) for w in ws] for n in ("vel", "mom", "avg")}

    def step(self, s, w, g, lr, t, k):
        rho = self.rho
        s["vel"][k] = rho * s["vel"][k] + (1 - rho) * g * g
        if self.centered:
            s["avg"][k] = rho * s["avg"][k] + (1 - rho) * g
            denom = s["vel"][k] - s["avg"][k] ** 2 + self.eps
        else:
            denom = s["vel"][k] + self.eps
        inc = lr * g / np.sqrt(denom)
        if self.mom > 0:
            s["mom"][k] = self.mom * s["mom"][k] + inc
            w[k] -= s["mom"][k]
        else:
            w[k] -= inc


class AdamRule(Rule):
    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
        self.b1, self.b2, self.eps, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def init(self, ws):
        return {n: [np.zeros_like(w) for w in ws] for n in ("m", "v", "vhat")}

    def step(self, s, w, g, lr, t, k):
        n = t + 1
        alpha = lr * math.sqrt(1 - self.b2 ** n) / (1 - self.b1 ** n)
        s["m"][k] += (g - s["m"][k]) * (1 - self.b1)
        s["v"][k] += (g * g - s["v"][k]) * (1 - self.b2)
        v = s["v"][k]
        if self.amsgrad:
            s["vhat"][k] = np.maximum(s["vhat"][k], v)
            v = s["vhat"][k]
        w[k] -= s["m"][k] * alpha / (np.sqrt(v) + self.eps)


class AdagradRule(Rule):
    def __init__(self, initial_accumulator_value=0.1, epsilon=1e-7):
        self.init_acc, self.eps = initial_accumulator_value, epsilon

    def init(self, ws):
        return {"acc": [np.full_like(w, self.init_acc) for w in ws]}

    def step(self, s, w, g, lr, t, k):
        s["acc"][k] += g * g
        w[k] -= lr * g / np.sqrt(s["acc"][k] + self.eps)


class AdadeltaRule(Rule):
    def __init__(self, rho=0.95, epsilon=1e-7):
        self.rho, self.eps = rho, epsilon

    def init(self, ws):
        return {n: [np.zeros_like(w) for w in ws] for n in ("ag", "ad")}

    def step(self, s, w, g, lr, t, k):
        rho, eps = self.rho, self.eps
        s["ag"][k] = rho * s["ag"][k] + (1 - rho) * g * g
        delta = -np.sqrt(s["ad"][k] + eps) * g / np.sqrt(s["ag"][k] + eps)
        s["ad"][k] = rho * s["ad"][k] + (1 - rho) * delta * delta
        w[k] += lr * delta


class AdamaxRule(Rule):
    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.b1, self.b2, self.eps = beta_1, beta_2, epsilon

    def init(self, ws):
        return {n: [np.zeros_like(w) for w in ws] for n in ("m", "u")}

    def step(self, s, w, g, lr, t, k):
        s["m"][k] += (g - s["m"][k]) * (1 - self.b1)
        s["u"][k] = np.maximum(self.b2 * s["u"][k], np.abs(g))
        w[k] -= lr * s["m"][k] / ((1 - self.b1 ** (t + 1)) * (s["u"][k] + self.eps))


class NadamRule(Rule):
    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.b1, self.b2, self.eps = beta_1, beta_2, epsilon

    def init(self, ws):
        return {"m": [np.zeros_like(w) for w in ws], "v": [np.zeros_like(w) for w in ws],
                "u_product": 1.0}

    def begin(self, s, t):
        s["u_product"] *= self.b1 * (1 - 0.5 * 0.96 ** (t + 1))

    def step(self, s, w, g, lr, t, k):
        b1, b2 = self.b1, self.b2
        u_t = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 2))
        up = s["u_product"]
        up1 = up * u_t1
        s["m"][k] += (g - s["m"][k]) * (1 - b1)
        s["v"][k] += (g * g - s["v"][k]) * (1 - b2)
        m_hat = u_t1 * s["m"][k] / (1 - up1) + (1 - u_t) * g / (1 - up)
        v_hat = s["v"][k] / (1 - b2 ** (t + 1))
        w[k] -= m_hat * lr / (np.sqrt(v_hat) + self.eps)


class FtrlRule(Rule):
    def __init__(self, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0):
        self.p, self.init_acc = learning_rate_power, initial_accumulator_value
        self.l1, self.l2 = l1_regularization_strength, l2_regularization_strength
        self.shrink, self.beta = l2_shrinkage_regularization_strength, beta

    def init(self, ws):
        return {"n": [np.full_like(w, self.init_acc) for w in ws],
                "z": [np.zeros_like(w) for w in ws]}

    def step(self, s, w, g, lr, t, k):
        n, z = s["n"][k], s["z"][k]
        g_s = g + 2 * self.shrink * w[k]
        n_new = n + g * g
        z = z + g_s - (n_new ** -self.p - n ** -self.p) / lr * w[k]
        quad = n_new ** -self.p / lr + 2 * (self.l2 + self.beta / (2 * lr))
        w[k] = (np.clip(z, -self.l1, self.l1) - z) / quad
        s["n"][k], s["z"][k] = n_new, z


class LionRule(Rule):
    def __init__(self, beta_1=0.9, beta_2=0.99):
        self.b1, self.b2 = beta_1, beta_2

    def init(self, ws):
        return {"m": [np.zeros_like(w) for w in ws]}

    def step(self, s, w, g, lr, t, k):
        m = s["m"][k]
        w[k] -= lr * np.sign(m * self.b1 + g * (1 - self.b1))
        s["m"][k] = m * self.b2 + g * (1 - self.b2)


def np_run(rule, init, grad_seq, lr, clipnorm=None, clipvalue=None, global_clipnorm=None,
           weight_decay=None, decay_mask=None, use_ema=False, ema_momentum=0.99,
           ema_overwrite_frequency=None, loss_scale_factor=None, accumulation=None,
           lr_fn=None):
    """Reference driver with Keras 3's step order: unscale, (accumulate), clip, weight
    decay, update, EMA, iteration += 1."""
    w = [v.astype(np.float64) for v in init]
    state = rule.init(w)
    avg = [np.zeros_like(v) for v in w]
    acc = [np.zeros_like(v) for v in w]
    for i, grads in enumerate(grad_seq):
        grads = [g.astype(np.float64) for g in grads]
        if loss_scale_factor is not None:
            grads = [g / loss_scale_factor for g in grads]
        t = i // accumulation if accumulation else i
        step_lr = lr_fn(i) if lr_fn else lr
        do_update = True
        if accumulation:
            if (i + 1) % accumulation == 0:
                grads = [(g + a) / accumulation for g, a in zip(grads, acc)]
                acc = [np.zeros_like(a) for a in acc]
            else:
                acc = [a + g for a, g in zip(acc, grads)]
                do_update = False
        if do_update:
            if clipnorm:
                grads = [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in grads]
            elif global_clipnorm:
                norm = np.sqrt(sum(np.sum(g * g) for g in grads))
                grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
            elif clipvalue:
                grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
            if weight_decay is not None:
                for k in range(len(w)):
                    if decay_mask is None or decay_mask[k]:
                        w[k] = w[k] - w[k] * weight_decay * step_lr
            rule.begin(state, t)
            for k, g in enumerate(grads):
                rule.step(state, w, g, step_lr, t, k)
        if use_ema:
            mom = 0.0 if t == 0 else ema_momentum
            avg = [mom * a + (1 - mom) * v for a, v in zip(avg, w)]
            if ema_overwrite_frequency and (t + 1) % ema_overwrite_frequency == 0:
                w = [a.copy() for a in avg]
    return w, avg


def em_run(opt, grad_seq, init=None, traced=False):
    init = _init_values() if init is None else init
    vs = [ember.Variable(v, name=f"v{k}") for k, v in enumerate(init)]
    if traced:
        @ember.function
        def step(g0, g1):
            opt.apply_gradients(zip([g0, g1], vs))
        for grads in grad_seq:
            step(*[ember.constant(g) for g in grads])
    else:
        for grads in grad_seq:
            opt.apply_gradients(zip([ember.constant(g) for g in grads], vs))
    return vs


# ------------------------------------------------------------------- update rules ---

RULE_CASES = [
    ("sgd", optimizers.SGD, dict(learning_rate=0.1), SGDRule()),
    ("sgd_momentum", optimizers.SGD, dict(learning_rate=0.1, momentum=0.9), SGDRule(0.9)),
    ("sgd_nesterov", optimizers.SGD, dict(learning_rate=0.05, momentum=0.8, nesterov=True),
     SGDRule(0.8, True)),
    ("rmsprop", optimizers.RMSprop, dict(learning_rate=0.01), RMSpropRule()),
    ("rmsprop_momentum_centered", optimizers.RMSprop,
     dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-6),
     RMSpropRule(0.8, 0.5, 1e-6, True)),
    ("adam", optimizers.Adam, dict(learning_rate=0.01), AdamRule()),
    ("adam_amsgrad", optimizers.Adam,
     dict(learning_rate=0.02, beta_1=0.8, beta_2=0.9, epsilon=1e-4, amsgrad=True),
     AdamRule(0.8, 0.9, 1e-4, True)),
    ("adagrad", optimizers.Adagrad, dict(learning_rate=0.1), AdagradRule()),
    ("adagrad_init", optimizers.Adagrad,
     dict(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3),
     AdagradRule(0.5, 1e-3)),
    ("adadelta", optimizers.Adadelta, dict(learning_rate=1.0), AdadeltaRule()),
    ("adamax", optimizers.Adamax, dict(learning_rate=0.01, beta_2=0.9), AdamaxRule(0.9, 0.9)),
    ("nadam", optimizers.Nadam, dict(learning_rate=0.01), NadamRule()),
    ("ftrl", optimizers.Ftrl, dict(learning_rate=0.1), FtrlRule()),
    ("ftrl_regularized", optimizers.Ftrl,
     dict(learning_rate=0.1, learning_rate_power=-0.6, initial_accumulator_value=0.2,
          l1_regularization_strength=0.05, l2_regularization_strength=0.1,
          l2_shrinkage_regularization_strength=0.01, beta=0.3),
     FtrlRule(-0.6, 0.2, 0.05, 0.1, 0.01, 0.3)),
    ("lion", optimizers.Lion, dict(learning_rate=0.01), LionRule()),
    ("lion_betas", optimizers.Lion, dict(learning_rate=0.01, beta_1=0.5, beta_2=0.7),
     LionRule(0.5, 0.7)),
]


def _check_close(vs, ref, rtol=2e-5, atol=2e-6):
    for v, r in zip(vs, ref):
        assert v.dtype is ember.float32
        np.testing.assert_allclose(v.numpy(), r, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_update_rule_matches_numpy(case):
    _, cls, kwargs, rule = case
    grads = _grad_sequence()
    vs = em_run(cls(**kwargs), grads)
    ref, _ = np_run(rule, _init_values(), grads, kwargs["learning_rate"])
    _check_close(vs, ref)


def test_adamw_applies_decoupled_weight_decay():
    grads = _grad_sequence()
    opt = optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    vs = em_run(opt, grads)
    ref, _ = np_run(AdamRule(), _init_values(), grads, 0.01, weight_decay=0.1)
    _check_close(vs, ref)
    assert optimizers.AdamW().weight_decay == 0.004


@pytest.mark.parametrize("case", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_traced_apply_matches_eager(case):
    _, cls, kwargs, _ = case
    grads = _grad_sequence()
    eager = em_run(cls(**kwargs), grads)
    traced = em_run(cls(**kwargs), grads, traced=True)
    for a, b in zip(eager, traced):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------- shared features ---

FEATURE_CASES = [
    ("clipnorm", dict(clipnorm=0.5), dict(clipnorm=0.5)),
    ("clipvalue", dict(clipvalue=0.3), dict(clipvalue=0.3)),
    ("global_clipnorm", dict(global_clipnorm=1.0), dict(global_clipnorm=1.0)),
    ("weight_decay", dict(weight_decay=0.05), dict(weight_decay=0.05)),
    ("ema", dict(use_ema=True, ema_momentum=0.9), dict(use_ema=True, ema_momentum=0.9)),
    ("ema_overwrite", dict(use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2),
     dict(use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2)),
    ("loss_scale", dict(loss_scale_factor=128.0), dict(loss_scale_factor=128.0)),
    ("accumulation", dict(gradient_accumulation_steps=2), dict(accumulation=2)),
]


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
@pytest.mark.parametrize("case", FEATURE_CASES, ids=[c[0] for c in FEATURE_CASES])
@pytest.mark.parametrize("opt_case", [RULE_CASES[1], RULE_CASES[5]], ids=["sgd_m", "adam"])
def test_shared_features_match_numpy(opt_case, case, traced):
    _, cls, kwargs, rule = opt_case
    _, opt_kwargs, ref_kwargs = case
    grads = _grad_sequence(steps=6, scale=3.0)
    opt = cls(**kwargs, **opt_kwargs)
    vs = em_run(opt, grads, traced=traced)
    ref, avg = np_run(rule, _init_values(), grads, kwargs["learning_rate"], **ref_kwargs)
    _check_close(vs, ref)
    if opt.use_ema:
        averages = opt._model_variables_moving_average
        assert [a.name for a in averages] == ["v0_average:0", "v1_average:0"]
        _check_close(averages, avg)
        opt.finalize_variable_values(vs)
        _check_close(vs, avg)
    assert int(opt._iterations.numpy()) == 6


def test_exclude_from_weight_decay():
    grads = _grad_sequence()
    init = _init_values()
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.2)
    vs = [ember.Variable(init[0], name="dense/kernel"), ember.Variable(init[1], name="bias")]
    opt.exclude_from_weight_decay(var_names=["bias"])
    for g in grads:
        opt.apply_gradients(zip([ember.constant(x) for x in g], vs))
    ref, _ = np_run(SGDRule(), init, grads, 0.1, weight_decay=0.2, decay_mask=[True, False])
    _check_close(vs, ref)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])
    opt2 = optimizers.SGD(learning_rate=0.1, weight_decay=0.2)
    vs2 = [ember.Variable(v) for v in init]
    opt2.exclude_from_weight_decay(var_list=[vs2[0]])
    for g in grads:
        opt2.apply_gradients(zip([ember.constant(x) for x in g], vs2))
    ref2, _ = np_run(SGDRule(), init, grads, 0.1, weight_decay=0.2, decay_mask=[False, True])
    _check_close(vs2, ref2)


def test_schedule_learning_rate_evaluated_at_iterations():
    sched = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    grads = _grad_sequence()
    for traced in (False, True):
        opt = optimizers.SGD(learning_rate=sched)
        vs = em_run(opt, grads, traced=traced)
        ref, _ = np_run(SGDRule(), _init_values(), grads, None,
                        lr_fn=lambda i: 0.1 * 0.5 ** (i / 2))
        _check_close(vs, ref)
        np.testing.assert_allclose(float(opt.learning_rate), 0.1 * 0.5 ** 2, rtol=1e-6)


def test_callable_learning_rate():
    grads = _grad_sequence()
    opt = optimizers.SGD(learning_rate=lambda: 0.05)
    vs = em_run(opt, grads)
    ref, _ = np_run(SGDRule(), _init_values(), grads, 0.05)
    _check_close(vs, ref)


def test_learning_rate_setter_and_lr_alias():
    opt = optimizers.Adam(lr=0.5)
    assert opt.learning_rate.dtype is ember.float32
    np.testing.assert_allclose(opt.learning_rate.numpy(), 0.5)
    opt.learning_rate = 0.25
    np.testing.assert_allclose(float(opt.lr), 0.25)
    opt.lr = 0.125
    np.testing.assert_allclose(float(opt.learning_rate), 0.125)
    with_schedule = optimizers.SGD(schedules.InverseTimeDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        with_schedule.learning_rate = 0.1


def test_variable_learning_rate_is_used_directly():
    lr = ember.Variable(0.5)
    opt = optimizers.SGD(learning_rate=lr)
    v = ember.Variable([1.0])
    opt.apply_gradients([(ember.constant([1.0]), v)])
    lr.assign(0.25)
    opt.apply_gradients([(ember.constant([1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [0.25])
    assert opt.learning_rate is lr


def test_learning_rate_change_takes_effect_in_trace_without_retrace():
    v = ember.Variable([1.0, 1.0])
    opt = optimizers.SGD(learning_rate=0.1)

    @ember.function
    def step(g):
        opt.apply_gradients([(g, v)])

    step(ember.constant([1.0, 2.0]))
    opt.learning_rate = 0.01
    step(ember.constant([1.0, 2.0]))
    np.testing.assert_allclose(v.numpy(), [1 - 0.11, 1 - 0.22], rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_traced_train_step_matches_eager():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)

    def run(cls, kwargs, traced):
        w = ember.Variable(w0, name="kernel")
        b = ember.Variable(np.zeros(2, np.float32), name="bias")
        opt = cls(**kwargs)

        def train_step(xb, yb):
            with ember.GradientTape() as tape:
                pred = ember.matmul(xb, w) + b
                loss = ember.reduce_mean(ember.square(pred - yb))
            grads = tape.gradient(loss, [w, b])
            opt.apply_gradients(zip(grads, [w, b]))
            return loss

        fn = ember.function(train_step) if traced else train_step
        losses = [float(fn(ember.constant(x), ember.constant(y))) for _ in range(5)]
        return w.numpy(), b.numpy(), losses, opt

    for _, cls, kwargs, _ in RULE_CASES:
        we, be, le, _ = run(cls, kwargs, False)
        wt, bt, lt, opt = run(cls, kwargs, True)
        np.testing.assert_allclose(wt, we, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bt, be, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(lt, le, rtol=1e-5)
        assert int(opt.iterations.numpy()) == 5


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adamax",
                                  "nadam", "ftrl", "lion", "adadelta"])
def test_minimize_decreases_quadratic(name):
    target = np.array([1.0, -2.0, 0.5], np.float32)
    x = ember.Variable(np.zeros(3, np.float32))
    lr = {"adadelta": 1.0, "ftrl": 0.5}.get(name, 0.1)
    opt = optimizers.get({"class_name": name, "config": {"learning_rate": lr}})

    def loss():
        return ember.reduce_sum(ember.square(x - target))

    with ember.GradientTape() as tape:
        value = loss()
    first = float(value)
    opt.minimize(value, [x], tape=tape)
    assert float(loss()) < first
    for _ in range(20):
        opt.minimize(loss, [x])
    assert float(loss()) < (first if name == "adadelta" else 0.5 * first)
    assert int(opt.iterations.numpy()) == 21
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(value, [x])


def test_float64_variables_and_slots():
    v = ember.Variable(np.array([1.0, 2.0]), name="w")
    opt = optimizers.Adam(learning_rate=0.1)
    for _ in range(3):
        opt.apply_gradients([(ember.constant([0.5, -1.0], dtype=ember.float64), v)])
    assert v.dtype is ember.float64
    assert all(s.dtype is ember.float64 for s in opt.variables[2:])
    assert opt.iterations.dtype is ember.int64
    ref, _ = np_run(AdamRule(), [np.array([1.0, 2.0])], [[np.array([0.5, -1.0])]] * 3, 0.1)
    np.testing.assert_allclose(v.numpy(), ref[0], rtol=1e-6)


@pytest.mark.parametrize("opt_kwargs", [dict(), dict(clipnorm=1.0), dict(global_clipnorm=1.0),
                                        dict(weight_decay=0.1, use_ema=True)])
def test_scalar_and_empty_variables(opt_kwargs):
    scalar = ember.Variable(2.0, name="s")
    empty = ember.Variable(np.zeros((0, 3), np.float32), name="e")
    opt = optimizers.Adam(learning_rate=0.1, **opt_kwargs)
    grads = [[np.float32(4.0), np.zeros((0, 3), np.float32)], [np.float32(-1.0),
                                                                np.zeros((0, 3), np.float32)]]
    for g in grads:
        opt.apply_gradients(zip([ember.constant(x) for x in g], [scalar, empty]))
    ref_kwargs = {k: v for k, v in opt_kwargs.items()}
    ref, _ = np_run(AdamRule(), [np.float32(2.0), np.zeros((0, 3), np.float32)], grads, 0.1,
                    **ref_kwargs)
    assert scalar.shape == () and empty.shape == (0, 3)
    np.testing.assert_allclose(scalar.numpy(), ref[0], rtol=1e-5)
    assert opt.variables[2].shape == ()


def test_slot_variables_named_like_keras():
    vs = [ember.Variable(np.ones((2, 2), np.float32), name="dense/kernel"),
          ember.Variable(np.ones(2, np.float32), name="dense/bias")]
    opt = optimizers.Adam(amsgrad=True)
    opt.build(vs)
    names = [v.name for v in opt.variables]
    assert names[:2] == ["iteration:0", "learning_rate:0"]
    for n in ("dense_kernel_momentum:0", "dense_kernel_velocity:0", "dense_bias_momentum:0",
              "dense_bias_velocity:0", "dense_kernel_velocity_hat:0"):
        assert n in names
    assert all(not v.trainable for v in opt.variables)
    sgd = optimizers.SGD(momentum=0.9)
    sgd.build(vs)
    assert [v.name for v in sgd.variables[2:]] == ["dense_kernel_momentum:0",
                                                  "dense_bias_momentum:0"]
    assert len(optimizers.SGD().variables) == 2
    nadam = optimizers.Nadam()
    nadam.build(vs)
    assert "u_product:0" in [v.name for v in nadam.variables]


def test_none_gradients_are_skipped():
    a = ember.Variable([1.0, 2.0])
    b = ember.Variable([3.0])
    opt = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(ember.constant([1.0, 1.0]), a), (None, b)])
    np.testing.assert_allclose(a.numpy(), [0.5, 1.5])
    np.testing.assert_allclose(b.numpy(), [3.0])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, a), (None, b)])


def test_apply_with_built_variables_and_errors():
    a = ember.Variable([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([ember.constant([1.0, 1.0])])
    opt.build([a])
    opt.apply([ember.constant([1.0, 1.0])])
    np.testing.assert_allclose(a.numpy(), [0.0, 1.0])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(ember.constant([1.0]), ember.Variable([1.0]))])
    with pytest.raises(ValueError, match="incompatible with the variable shape"):
        opt.apply_gradients([(ember.constant([1.0, 2.0, 3.0]), a)])
    with pytest.raises(TypeError, match="ember.Variable"):
        optimizers.SGD().apply_gradients([(ember.constant(1.0), ember.constant(2.0))])


def test_constraint_applied_after_update():
    v = ember.Variable([1.0, -1.0], constraint=lambda x: ember.maximum(x, 0.0))
    optimizers.SGD(learning_rate=1.0).apply_gradients([(ember.constant([0.5, 0.5]), v)])
    np.testing.assert_allclose(v.numpy(), [0.5, 0.0])


@pytest.mark.parametrize("make, match", [
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of"),
    (lambda: optimizers.SGD(momentum=1.5), "`momentum` must be a float between"),
    (lambda: optimizers.AdamW(weight_decay=None), "`weight_decay` must be a float"),
    (lambda: optimizers.Ftrl(learning_rate_power=0.5), "`learning_rate_power` needs"),
    (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "`l1_regularization"),
    (lambda: optimizers.Ftrl(initial_accumulator_value=-0.1), "`initial_accumulator"),
    (lambda: optimizers.Lion(beta_1=0.0), "`beta_1` must be in the"),
    (lambda: optimizers.Adam(use_ema=True, ema_momentum=1.5), "`ema_momentum` must be"),
    (lambda: optimizers.Adam(use_ema=True, ema_overwrite_frequency=0.5),
     "`ema_overwrite_frequency` must be"),
    (lambda: optimizers.Adam(gradient_accumulation_steps=1), "must be an integer >= 2"),
    (lambda: optimizers.Adam(foo=1), "not recognized"),
    (lambda: optimizers.Adam(learning_rate="fast"), "`learning_rate` should be float"),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "`decay_steps` must be > 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, -1), "`first_decay_steps` must be > 0"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1]), "1 less than the length"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_keras2_decay_argument_warns():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.Adam(decay=0.0, jit_compile=True, is_legacy_optimizer=False)


# ------------------------------------------------------------- config and get ---

ALL_CLASSES = [optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW,
               optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam,
               optimizers.Ftrl, optimizers.Lion]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    opt = cls(learning_rate=0.05, clipnorm=1.5, name="my_opt")
    config = opt.get_config()
    assert config["name"] == "my_opt"
    np.testing.assert_allclose(config["learning_rate"], 0.05, rtol=1e-6)
    clone = cls.from_config(config)
    assert type(clone) is cls
    assert clone.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is cls and again.get_config() == config


def test_config_round_trip_with_schedule():
    sched = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    opt = optimizers.Adam(learning_rate=sched, beta_1=0.8, amsgrad=True)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    clone = optimizers.Adam.from_config(config)
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone._learning_rate.get_config() == sched.get_config()
    assert clone.beta_1 == 0.8 and clone.amsgrad is True
    assert clone.get_config() == config


@pytest.mark.parametrize("name, cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
    ("RMSprop", optimizers.RMSprop), ("adam", optimizers.Adam), ("Adam", optimizers.Adam),
    ("adamw", optimizers.AdamW), ("AdamW", optimizers.AdamW),
    ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam), ("ftrl", optimizers.Ftrl),
    ("lion", optimizers.Lion), ("LION", optimizers.Lion)])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls


def test_get_other_identifiers():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    got = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3,
                                                          "momentum": 0.5}})
    assert isinstance(got, optimizers.SGD) and got.momentum == 0.5
    np.testing.assert_allclose(float(got.learning_rate), 0.3, rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamz'.*Valid choices: .*adam"):
        optimizers.get("adamz")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


def test_default_hyperparameters_match_keras():
    assert float(optimizers.SGD().learning_rate) == pytest.approx(0.01)
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert float(adam.learning_rate) == pytest.approx(0.001)
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95
    assert optimizers.RMSprop().rho == 0.9
    assert (optimizers.Lion().beta_1, optimizers.Lion().beta_2) == (0.9, 0.99)
    assert optimizers.Adam().name == "adam" and optimizers.SGD().name == "SGD"


def test_save_and_load_own_variables():
    v = ember.Variable([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply_gradients([(ember.constant([1.0, -1.0]), v)])
    store = {}
    opt.save_own_variables(store)
    other = optimizers.Adam(learning_rate=0.1)
    other.build([ember.Variable([0.0, 0.0])])
    other.load_own_variables(store)
    for a, b in zip(opt.variables, other.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(other.iterations.numpy()) == 1


# -------------------------------------------------------------------- schedules ---

def _ref_cosine(step, lr0, decay_steps, alpha=0.0, target=None, warmup=0):
    if target is None:
        s = min(step, decay_steps)
        return lr0 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
    s = min(step, decay_steps + warmup)
    if s < warmup:
        return (target - lr0) * s / warmup + lr0
    s -= warmup
    return target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)


def _ref_restarts(step, lr0, first, t_mul, m_mul, alpha):
    frac = step / first
    if t_mul == 1.0:
        i = math.floor(frac)
        frac -= i
    else:
        i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
        sum_r = (1 - t_mul ** i) / (1 - t_mul)
        frac = (frac - sum_r) / t_mul ** i
    return lr0 * ((1 - alpha) * 0.5 * m_mul ** i * (1 + math.cos(math.pi * frac)) + alpha)


def _ref_poly(step, lr0, decay_steps, end, power, cycle):
    if cycle:
        decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (lr0 - end) * (1 - step / decay_steps) ** power + end


def _ref_piecewise(step, bounds, values):
    for b, v in zip(bounds, values):
        if step <= b:
            return v
    return values[-1]


SCHEDULE_CASES = [
    ("exp", schedules.ExponentialDecay(0.1, 3, 0.5), lambda s: 0.1 * 0.5 ** (s / 3)),
    ("exp_staircase", schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 3)),
    ("inverse", schedules.InverseTimeDecay(0.2, 2, 0.5), lambda s: 0.2 / (1 + 0.5 * s / 2)),
    ("inverse_staircase", schedules.InverseTimeDecay(0.2, 2, 0.5, staircase=True),
     lambda s: 0.2 / (1 + 0.5 * (s // 2))),
    ("piecewise", schedules.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]),
     lambda s: _ref_piecewise(s, [2, 5], [1.0, 0.5, 0.1])),
    ("poly", schedules.PolynomialDecay(0.1, 6, 0.01, power=2.0),
     lambda s: _ref_poly(s, 0.1, 6, 0.01, 2.0, False)),
    ("poly_cycle", schedules.PolynomialDecay(0.1, 4, 0.01, power=0.5, cycle=True),
     lambda s: _ref_poly(s, 0.1, 4, 0.01, 0.5, True)),
    ("cosine", schedules.CosineDecay(0.1, 6), lambda s: _ref_cosine(s, 0.1, 6)),
    ("cosine_alpha", schedules.CosineDecay(0.1, 6, alpha=0.2),
     lambda s: _ref_cosine(s, 0.1, 6, 0.2)),
    ("cosine_warmup", schedules.CosineDecay(0.0, 6, alpha=0.1, warmup_target=0.2,
                                            warmup_steps=3),
     lambda s: _ref_cosine(s, 0.0, 6, 0.1, 0.2, 3)),
    ("restarts", schedules.CosineDecayRestarts(0.1, 3),
     lambda s: _ref_restarts(s, 0.1, 3, 2.0, 1.0, 0.0)),
    ("restarts_flat", schedules.CosineDecayRestarts(0.1, 3, t_mul=1.0, m_mul=0.5, alpha=0.1),
     lambda s: _ref_restarts(s, 0.1, 3, 1.0, 0.5, 0.1)),
]
SCHEDULE_STEPS = list(range(13))


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=[c[0] for c in SCHEDULE_CASES])
def test_schedule_values(case):
    _, sched, ref = case
    expected = np.array([ref(s) for s in SCHEDULE_STEPS])
    eager_int = np.array([float(sched(s)) for s in SCHEDULE_STEPS])
    eager_tensor = np.array([float(sched(ember.constant(s, dtype=ember.int64)))
                             for s in SCHEDULE_STEPS])
    traced_fn = ember.function(lambda step: sched(step))
    traced = np.array([float(traced_fn(ember.constant(s, dtype=ember.int64)))
                       for s in SCHEDULE_STEPS])
    assert traced_fn.experimental_get_tracing_count() == 1
    for got in (eager_int, eager_tensor, traced):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert sched(ember.constant(2, dtype=ember.int64)).dtype is ember.float32
    counter = ember.Variable(4, dtype=ember.int64)
    np.testing.assert_allclose(float(sched(counter)), ref(4), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=[c[0] for c in SCHEDULE_CASES])
def test_schedule_config_round_trip(case):
    _, sched, _ = case
    config = sched.get_config()
    clone = type(sched).from_config(config)
    assert clone.get_config() == config
    again = schedules.deserialize(schedules.serialize(sched))
    assert type(again) is type(sched) and again.get_config() == config
    np.testing.assert_allclose(float(again(7)), float(sched(7)))


def test_schedule_base_class_and_custom_schedules():
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(1)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedules.LearningRateSchedule().get_config()

    class Halving(schedules.LearningRateSchedule):
        def __init__(self, lr):
            self.lr = lr

        def __call__(self, step):
            return self.lr / ember.cast(step + 1, ember.float32)

        def get_config(self):
            return {"lr": self.lr}

    opt = optimizers.SGD(learning_rate=Halving(1.0))
    v = ember.Variable([0.0])
    for _ in range(3):
        opt.apply_gradients([(ember.constant([1.0]), v)])
    np.testing.assert_allclose(v.numpy(), [-(1 + 1 / 2 + 1 / 3)], rtol=1e-6)
    config = optimizers.serialize(opt)
    clone = optimizers.deserialize(config, custom_objects={"Halving": Halving})
    assert isinstance(clone._learning_rate, Halving) and clone._learning_rate.lr == 1.0
    with pytest.raises(ValueError, match="Unknown decay"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
