"""ember.keras.losses: values against NumPy references, shapes, reductions, sample weights,
logits, label smoothing, gradients, configs, (de)serialization, tracing and errors."""
import math

import numpy as np
import pytest

import ember as tf
from ember.keras import losses
from tests.ops.optest import check_gradient

EPS = 1e-7

# ------------------------------------------------------------------ NumPy references ---


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def np_log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def np_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def np_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def np_mape(t, p):
    return 100.0 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def np_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2,
                   axis=-1)


def np_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2), axis=-1)


def np_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_kld(t, p):
    t = np.clip(t, EPS, 1)
    p = np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_cosine(t, p, axis=-1):
    def unit(v):
        return v / np.maximum(np.sqrt(np.sum(v * v, axis=axis, keepdims=True)), EPS)
    return -np.sum(unit(t) * unit(p), axis=axis)


def _hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_hinge(t, p):
    return np.mean(np.maximum(1 - _hinge_labels(t) * p, 0), axis=-1)


def np_squared_hinge(t, p):
    return np.mean(np.maximum(1 - _hinge_labels(t) * p, 0) ** 2, axis=-1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        e = t * np_softplus(-p) + (1 - t) * np_softplus(p)
    else:
        p = np.clip(p, EPS, 1 - EPS)
        e = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return np.mean(e, axis=axis)


def np_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                    from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = np_sigmoid(p)
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return np.mean(out, axis=axis)


def np_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        return -np.sum(t * np_log_softmax(p, axis), axis=axis)
    p = np.clip(p / np.sum(p, axis=axis, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=axis)


def np_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                         axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = np.exp(np_log_softmax(p, axis))
    p = np.clip(p / np.sum(p, axis=axis, keepdims=True), EPS, 1 - EPS)
    return np.sum(alpha * (1 - p) ** gamma * -t * np.log(p), axis=axis)


def np_scce(labels, p, from_logits=False):
    labels = np.asarray(labels).astype(np.int64)
    if labels.ndim == p.ndim:
        labels = labels[..., 0]
    logits = p if from_logits else np.log(np.clip(p, EPS, 1 - EPS))
    lsm = np_log_softmax(logits)
    return -np.take_along_axis(lsm, labels[..., None], axis=-1)[..., 0]


# --------------------------------------------------------------------------- data ---

def rng(seed=0):
    return np.random.default_rng(seed)


def real(shape, seed=0):
    return (rng(seed).standard_normal(shape) * 2).astype(np.float32)


def positive(shape, seed=0):
    return rng(seed).uniform(0.05, 3.0, shape).astype(np.float32)


def prob(shape, seed=0):
    return rng(seed).uniform(0.02, 0.98, shape).astype(np.float32)


def binary(shape, seed=0):
    return rng(seed).integers(0, 2, shape).astype(np.float32)


def simplex(shape, seed=0):
    x = rng(seed).uniform(0.05, 1.0, shape)
    return (x / x.sum(-1, keepdims=True)).astype(np.float32)


def one_hot(shape, seed=0):
    labels = rng(seed).integers(0, shape[-1], shape[:-1])
    return np.eye(shape[-1], dtype=np.float32)[labels]


def signs(shape, seed=0):
    return rng(seed).choice([-1.0, 1.0], shape).astype(np.float32)


# name, function, class, reference, y_true maker, y_pred maker, kwargs
CASES = [
    ("mse", losses.mean_squared_error, losses.MeanSquaredError, np_mse, real, real, {}),
    ("mae", losses.mean_absolute_error, losses.MeanAbsoluteError, np_mae, real, real, {}),
    ("mape", losses.mean_absolute_percentage_error, losses.MeanAbsolutePercentageError,
     np_mape, real, real, {}),
    ("msle", losses.mean_squared_logarithmic_error, losses.MeanSquaredLogarithmicError,
     np_msle, positive, positive, {}),
    ("huber", losses.huber, losses.Huber, np_huber, real, real, {}),
    ("huber_delta", losses.huber, losses.Huber, np_huber, real, real, {"delta": 0.5}),
    ("log_cosh", losses.log_cosh, losses.LogCosh, np_log_cosh, real, real, {}),
    ("poisson", losses.poisson, losses.Poisson, np_poisson, positive, positive, {}),
    ("kld", losses.kl_divergence, losses.KLDivergence, np_kld, simplex, simplex, {}),
    ("cosine", losses.cosine_similarity, losses.CosineSimilarity, np_cosine, real, real, {}),
    ("hinge01", losses.hinge, losses.Hinge, np_hinge, binary, real, {}),
    ("hinge_pm", losses.hinge, losses.Hinge, np_hinge, signs, real, {}),
    ("squared_hinge", losses.squared_hinge, losses.SquaredHinge, np_squared_hinge, binary,
     real, {}),
    ("categorical_hinge", losses.categorical_hinge, losses.CategoricalHinge,
     np_categorical_hinge, one_hot, real, {}),
    ("bce", losses.binary_crossentropy, losses.BinaryCrossentropy, np_bce, binary, prob, {}),
    ("bce_logits", losses.binary_crossentropy, losses.BinaryCrossentropy, np_bce, binary, real,
     {"from_logits": True}),
    ("bce_smooth", losses.binary_crossentropy, losses.BinaryCrossentropy, np_bce, binary, prob,
     {"label_smoothing": 0.2}),
    ("bce_soft_labels", losses.binary_crossentropy, losses.BinaryCrossentropy, np_bce, prob,
     real, {"from_logits": True, "label_smoothing": 0.1}),
    ("focal", losses.binary_focal_crossentropy, losses.BinaryFocalCrossentropy,
     np_binary_focal, binary, prob, {}),
    ("focal_balanced_logits", losses.binary_focal_crossentropy,
     losses.BinaryFocalCrossentropy, np_binary_focal, binary, real,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True,
      "label_smoothing": 0.1}),
    ("cce", losses.categorical_crossentropy, losses.CategoricalCrossentropy, np_cce, one_hot,
     simplex, {}),
    ("cce_unnormalized", losses.categorical_crossentropy, losses.CategoricalCrossentropy,
     np_cce, one_hot, positive, {}),
    ("cce_logits", losses.categorical_crossentropy, losses.CategoricalCrossentropy, np_cce,
     simplex, real, {"from_logits": True}),
    ("cce_smooth", losses.categorical_crossentropy, losses.CategoricalCrossentropy, np_cce,
     one_hot, simplex, {"label_smoothing": 0.1}),
    ("cce_smooth_logits", losses.categorical_crossentropy, losses.CategoricalCrossentropy,
     np_cce, one_hot, real, {"label_smoothing": 0.3, "from_logits": True}),
    ("cat_focal", losses.categorical_focal_crossentropy, losses.CategoricalFocalCrossentropy,
     np_categorical_focal, one_hot, simplex, {}),
    ("cat_focal_logits", losses.categorical_focal_crossentropy,
     losses.CategoricalFocalCrossentropy, np_categorical_focal, one_hot, real,
     {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1}),
]
CASE_IDS = [c[0] for c in CASES]
SHAPES = [(4, 3), (6,), (2, 3, 4)]
# Losses whose per-sample value needs more than one class/element (skip 1-D inputs).
NEEDS_CLASSES = {"kld", "categorical_hinge", "cce", "cce_unnormalized", "cce_logits",
                 "cce_smooth", "cce_smooth_logits", "cat_focal", "cat_focal_logits"}


def make(case, shape, seed=0):
    _, _, _, _, mk_true, mk_pred, _ = case
    return mk_true(shape, seed), mk_pred(shape, seed + 1)


def reference(case, t, p):
    _, _, _, np_fn, _, _, kwargs = case
    return np_fn(t.astype(np.float64), p.astype(np.float64), **kwargs)


# ------------------------------------------------------------------ function values ---

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_matches_numpy(case, shape):
    name, fn, _, _, _, _, kwargs = case
    t, p = make(case, shape)
    got = fn(tf.constant(t), tf.constant(p), **kwargs)
    want = reference(case, t, p)
    assert got.dtype == tf.float32
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_float64_stays_float64(case):
    name, fn, _, _, _, _, kwargs = case
    t, p = make(case, (3, 4))
    got = fn(t.astype(np.float64), p.astype(np.float64), **kwargs)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), reference(case, t, p), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in NEEDS_CLASSES],
                         ids=[c[0] for c in CASES if c[0] not in NEEDS_CLASSES])
def test_rank_1_targets_against_column_predictions(case):
    """(N,) against (N, 1) (either way round) is per sample, never an N x N broadcast."""
    name, fn, cls, _, _, _, kwargs = case
    t, p = make(case, (5, 1))
    want = reference(case, t, p)
    for yt, yp in [(t[:, 0], p), (t, p[:, 0])]:
        got = fn(tf.constant(yt), tf.constant(yp), **kwargs)
        assert got.shape == (5,)
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=2e-6)
        loss = cls(reduction="none", **kwargs)(yt, yp)
        assert loss.shape == (5,)
        np.testing.assert_allclose(loss.numpy(), want, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(cls(**kwargs)(yt, yp).numpy(), want.mean(), rtol=2e-5,
                                   atol=2e-6)


def test_mse_user_complaint():
    y_true = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    y_pred = np.array([[1.5], [2.0], [2.0], [6.0]], np.float32)
    np.testing.assert_allclose(losses.mse(y_true, y_pred).numpy(), [0.25, 0.0, 1.0, 4.0])
    np.testing.assert_allclose(losses.MeanSquaredError()(y_true, y_pred).numpy(), 1.3125)


def test_integer_labels_cast_to_prediction_dtype():
    got = losses.mean_squared_error(tf.constant([[1, 0]]), tf.constant([[0.5, 0.5]]))
    assert got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), [0.25])
    got = losses.binary_crossentropy(np.array([[1, 0]], np.int64),
                                     np.array([[0.5, 0.5]], np.float64))
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), [math.log(2.0)])


def test_known_values():
    """Hand-computed values (the examples of the Keras documentation)."""
    np.testing.assert_allclose(
        losses.MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]), 0.5)
    np.testing.assert_allclose(
        losses.BinaryCrossentropy(from_logits=True)([0.0, 1.0, 0.0, 0.0],
                                                    [-18.6, 0.51, 2.94, -12.8]),
        0.865458, rtol=1e-5)
    np.testing.assert_allclose(
        losses.CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]],
                                         [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 1.177, rtol=1e-3)
    np.testing.assert_allclose(
        losses.SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        1.177, rtol=1e-3)
    np.testing.assert_allclose(
        losses.CosineSimilarity(axis=1)([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]),
        -0.5, rtol=1e-6)
    yt, yp, yp2 = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], [[1.0, 1.0], [0.0, 0.0]]
    np.testing.assert_allclose(losses.Huber()(yt, yp), 0.155, rtol=1e-5)
    np.testing.assert_allclose(losses.BinaryCrossentropy()(yt, yp), 0.815, rtol=1e-3)
    np.testing.assert_allclose(losses.Poisson()(yt, yp2), 0.5, rtol=1e-6)
    np.testing.assert_allclose(losses.KLDivergence()(yt, yp), 0.458, rtol=1e-3)
    np.testing.assert_allclose(losses.Hinge()(yt, yp), 1.3, rtol=1e-6)
    np.testing.assert_allclose(losses.SquaredHinge()(yt, yp), 1.86, rtol=1e-6)
    np.testing.assert_allclose(losses.CategoricalHinge()(yt, yp), 1.4, rtol=1e-6)
    np.testing.assert_allclose(losses.LogCosh()(yt, yp2), 0.108, rtol=1e-2)
    np.testing.assert_allclose(
        losses.MeanSquaredLogarithmicError()(yt, [[1.0, 1.0], [1.0, 0.0]]), 0.240, rtol=1e-2)
    np.testing.assert_allclose(
        losses.MeanAbsolutePercentageError()([[2, 1], [2, 3]], [[1, 1], [1, 0]]), 50.0)
    logits = [-18.6, 0.51, 2.94, -12.8]
    np.testing.assert_allclose(
        losses.BinaryFocalCrossentropy(gamma=2, from_logits=True)([0, 1, 0, 0], logits),
        0.691, rtol=1e-3)
    np.testing.assert_allclose(
        losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2,
                                       from_logits=True)([0, 1, 0, 0], logits),
        0.51, rtol=1e-2)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(yt, yp, gamma=2),
                               [0.330, 0.206], rtol=2e-3)
    np.testing.assert_allclose(
        losses.CategoricalFocalCrossentropy()([[0, 1, 0], [0, 0, 1]],
                                              [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        0.23315276, rtol=1e-5)


# ------------------------------------------------------------- sparse categorical ---

SCCE_CASES = [
    # labels shape, logits shape, from_logits
    ((5,), (5, 4), False),
    ((5, 1), (5, 4), False),
    ((5,), (5, 4), True),
    ((5, 1), (5, 4), True),
    ((2, 3), (2, 3, 4), True),
    ((2, 3, 1), (2, 3, 4), False),
]


@pytest.mark.parametrize("label_shape,pred_shape,from_logits", SCCE_CASES)
def test_sparse_categorical_crossentropy(label_shape, pred_shape, from_logits):
    labels = rng(3).integers(0, pred_shape[-1], label_shape)
    p = real(pred_shape) if from_logits else simplex(pred_shape)
    want = np_scce(labels, p.astype(np.float64), from_logits)
    for lab in (labels.astype(np.int32), labels.astype(np.int64), labels.astype(np.float32)):
        got = losses.sparse_categorical_crossentropy(lab, p, from_logits=from_logits)
        assert got.shape == want.shape and got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=2e-6)
    obj = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    np.testing.assert_allclose(obj(labels, p).numpy(), want.mean(), rtol=2e-5)


def test_sparse_matches_categorical_on_one_hot():
    labels = np.array([0, 2, 1, 2])
    p = simplex((4, 3))
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, p).numpy(),
        losses.categorical_crossentropy(np.eye(3, dtype=np.float32)[labels], p).numpy(),
        rtol=1e-5)


def test_sparse_ignore_class():
    labels = np.array([1, -1, 0, -1])
    logits = real((4, 3))
    per_sample = np_scce(np.maximum(labels, 0), logits.astype(np.float64), True)
    valid = labels != -1
    got = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True,
                                                 ignore_class=-1)
    np.testing.assert_allclose(got.numpy(), np.where(valid, per_sample, 0.0), rtol=1e-5)
    # The mean runs over the valid samples only.
    obj = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(obj(labels, logits).numpy(), per_sample[valid].mean(),
                               rtol=1e-5)
    obj = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                               reduction="sum")
    np.testing.assert_allclose(obj(labels, logits).numpy(), per_sample[valid].sum(), rtol=1e-5)
    w = np.array([1.0, 5.0, 2.0, 5.0], np.float32)
    obj = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(obj(labels, logits, sample_weight=w).numpy(),
                               (per_sample * w)[valid].sum() / 2, rtol=1e-5)


# ------------------------------------------------------------------ reductions ---

def _reduce(values, reduction, weights=None):
    v = values if weights is None else values * weights
    if reduction in ("none", None):
        return v
    if reduction == "sum":
        return v.sum()
    if reduction == "mean_with_sample_weight" and weights is not None:
        return v.sum() / np.broadcast_to(weights, v.shape).sum()
    return v.sum() / v.size


REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]
WEIGHTS = [None, 0.5, np.array([1.0, 0.0, 2.0, 0.5], np.float32),
           np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)]
REDUCTION_CASES = [c for c in CASES if c[0] in ("mse", "bce_logits", "cce", "hinge01", "kld")]


@pytest.mark.parametrize("weights", WEIGHTS, ids=["none", "scalar", "per_sample", "column"])
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=str)
@pytest.mark.parametrize("case", REDUCTION_CASES, ids=[c[0] for c in REDUCTION_CASES])
def test_reduction_and_sample_weight(case, reduction, weights):
    name, _, cls, _, _, _, kwargs = case
    t, p = make(case, (4, 3))
    per_sample = reference(case, t, p)
    w = None if weights is None else np.asarray(weights, np.float64)
    if w is not None and w.ndim == 2:
        per_sample = per_sample[:, None]     # Keras expands rank-1 losses to the weights'
    want = _reduce(per_sample, reduction, w)
    got = cls(reduction=reduction, **kwargs)(t, p, sample_weight=weights)
    assert got.dtype == tf.float32
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-5, atol=2e-6)


def test_per_sample_weights_broadcast_over_time_steps():
    t, p = real((2, 3, 4)), real((2, 3, 4), seed=1)
    w = np.array([2.0, 0.5], np.float32)
    per = np_mse(t.astype(np.float64), p.astype(np.float64))          # (2, 3)
    got = losses.MeanSquaredError(reduction="none")(t, p, sample_weight=w)
    np.testing.assert_allclose(got.numpy(), per * w[:, None], rtol=1e-5)
    got = losses.MeanSquaredError()(t, p, sample_weight=w)
    np.testing.assert_allclose(got.numpy(), (per * w[:, None]).mean(), rtol=1e-5)


def test_sample_weight_mismatch_raises():
    with pytest.raises(ValueError, match=r"mean_squared_error: sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(real((4, 2)), real((4, 2)), sample_weight=[1.0, 2.0, 3.0])


def test_empty_batch_reduces_to_zero():
    got = losses.MeanSquaredError()(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))
    assert got.shape == () and float(got) == 0.0


def test_scalar_inputs():
    np.testing.assert_allclose(losses.mse(2.0, 5.0).numpy(), 9.0)
    np.testing.assert_allclose(losses.MeanAbsoluteError()(2.0, 5.0).numpy(), 3.0)


def test_loss_dtype():
    t, p = real((3, 2)), real((3, 2), seed=1)
    assert losses.MeanSquaredError()(t.astype(np.float64), p.astype(np.float64)).dtype \
        == tf.float32
    got = losses.MeanSquaredError(dtype="float64")(t, p)
    assert got.dtype == tf.float64
    np.testing.assert_allclose(got.numpy(), np_mse(t.astype(np.float64),
                                                   p.astype(np.float64)).mean(), rtol=1e-12)
    assert losses.MeanSquaredError(dtype="float64").dtype == "float64"


# ------------------------------------------------------------ logits and stability ---

def test_from_logits_agrees_with_probabilities():
    logits = real((4, 3))
    t_bin, t_cat = binary((4, 3)), one_hot((4, 3))
    probs_sig = 1 / (1 + np.exp(-logits.astype(np.float64)))
    probs_soft = np.exp(np_log_softmax(logits.astype(np.float64)))
    pairs = [
        (losses.binary_crossentropy, t_bin, probs_sig),
        (losses.binary_focal_crossentropy, t_bin, probs_sig),
        (losses.categorical_crossentropy, t_cat, probs_soft),
        (losses.categorical_focal_crossentropy, t_cat, probs_soft),
        (losses.sparse_categorical_crossentropy, t_cat.argmax(-1), probs_soft),
    ]
    for fn, t, probs in pairs:
        np.testing.assert_allclose(fn(t, logits, from_logits=True).numpy(),
                                   fn(t, probs.astype(np.float32)).numpy(), rtol=1e-4,
                                   err_msg=fn.__name__)


def test_large_logits_are_stable():
    logits = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 20.0]], np.float32)
    t = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    cce = losses.categorical_crossentropy(t, logits, from_logits=True).numpy()
    np.testing.assert_allclose(cce, [2000.0, 0.0], atol=1e-4)
    scce = losses.sparse_categorical_crossentropy([1, 1], logits, from_logits=True).numpy()
    np.testing.assert_allclose(scce, [2000.0, 0.0], atol=1e-4)
    bce = losses.binary_crossentropy(t, logits, from_logits=True).numpy()
    np.testing.assert_allclose(bce, np_bce(t.astype(np.float64), logits.astype(np.float64),
                                           from_logits=True), rtol=1e-6)
    # Probabilities of exactly 0 and 1 are clipped, never log(0).
    p = np.array([[0.0, 1.0, 0.0]], np.float32)
    assert np.isfinite(losses.binary_crossentropy([[1.0, 0.0, 0.0]], p).numpy()).all()
    assert np.isfinite(losses.categorical_crossentropy([[1.0, 0.0, 0.0]], p).numpy()).all()
    assert np.isfinite(losses.binary_focal_crossentropy([[1.0, 0.0, 0.0]], logits[:1],
                                                        from_logits=True).numpy()).all()
    for fn, labels in [(losses.categorical_crossentropy, t), (losses.binary_crossentropy, t),
                       (losses.sparse_categorical_crossentropy, np.array([1, 1]))]:
        x = tf.Variable(logits)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(fn(labels, x, from_logits=True))
        g = tape.gradient(y, x).numpy()
        assert np.isfinite(g).all(), fn.__name__


# -------------------------------------------------------------------- gradients ---

GRAD_CASES = [c for c in CASES if c[0] in (
    "mse", "mae", "huber", "log_cosh", "poisson", "kld", "cosine", "hinge_pm", "bce",
    "bce_logits", "focal_balanced_logits", "cce_unnormalized", "cce_logits", "cat_focal_logits",
    "msle", "mape")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient(case):
    name, fn, _, _, _, _, kwargs = case
    t, p = make(case, (3, 4), seed=5)
    t = t.astype(np.float64)
    check_gradient(lambda yp: fn(tf.constant(t), yp, **kwargs), [p.astype(np.float64)],
                   rtol=1e-4, atol=1e-5, delta=1e-6)


def test_gradient_through_weighted_reduction():
    t, p = real((4, 3)), real((4, 3), seed=1)
    w = np.array([1.0, 2.0, 0.0, 0.5])
    loss = losses.MeanSquaredError(dtype="float64")
    check_gradient(lambda yp: loss(t, yp, sample_weight=w), [p], rtol=1e-5, atol=1e-6)
    # d/dp of mean(w * mean((p - t)^2, -1)) = w * 2 (p - t) / (3 * 4)
    x = tf.Variable(p.astype(np.float64))
    with tf.GradientTape() as tape:
        y = loss(t, x, sample_weight=w)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               w[:, None] * 2 * (p - t) / 12, rtol=1e-6)


def test_sparse_gradient():
    labels = np.array([0, 2, 1])
    check_gradient(lambda yp: losses.sparse_categorical_crossentropy(labels, yp,
                                                                     from_logits=True),
                   [real((3, 4)).astype(np.float64)], rtol=1e-5, atol=1e-6)
    check_gradient(lambda yp: losses.sparse_categorical_crossentropy(labels, yp),
                   [simplex((3, 4)).astype(np.float64)], rtol=1e-4, atol=1e-5, delta=1e-6)


# ------------------------------------------------------------------- configs ---

CLASSES = [
    (losses.MeanSquaredError, {}), (losses.MeanAbsoluteError, {}),
    (losses.MeanAbsolutePercentageError, {}), (losses.MeanSquaredLogarithmicError, {}),
    (losses.Huber, {"delta": 2.5}), (losses.LogCosh, {}), (losses.Poisson, {}),
    (losses.KLDivergence, {}), (losses.CosineSimilarity, {"axis": 0}), (losses.Hinge, {}),
    (losses.SquaredHinge, {}), (losses.CategoricalHinge, {}),
    (losses.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1, "axis": -1}),
    (losses.BinaryFocalCrossentropy, {"apply_class_balancing": True, "alpha": 0.3,
                                      "gamma": 3.0, "from_logits": True}),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.2}),
    (losses.CategoricalFocalCrossentropy, {"alpha": 0.5, "gamma": 1.0}),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True, "ignore_class": 3}),
]
CLASS_IDS = [c[0].__name__ for c in CLASSES]
DEFAULT_NAMES = {
    "MeanSquaredError": "mean_squared_error", "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error", "Huber": "huber_loss",
    "LogCosh": "log_cosh", "Poisson": "poisson", "KLDivergence": "kl_divergence",
    "CosineSimilarity": "cosine_similarity", "Hinge": "hinge", "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge", "BinaryCrossentropy": "binary_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}


def _inputs_for(cls):
    if cls is losses.SparseCategoricalCrossentropy:
        return np.array([0, 3, 1, 2]), real((4, 4))
    if cls in (losses.MeanSquaredLogarithmicError, losses.Poisson):
        return positive((4, 4)), positive((4, 4), seed=1)
    if cls in (losses.KLDivergence, losses.CategoricalCrossentropy,
               losses.CategoricalFocalCrossentropy, losses.CategoricalHinge):
        return one_hot((4, 4)), simplex((4, 4), seed=1)
    if cls in (losses.BinaryCrossentropy, losses.BinaryFocalCrossentropy, losses.Hinge,
               losses.SquaredHinge):
        return binary((4, 4)), prob((4, 4), seed=1)
    return real((4, 4)), real((4, 4), seed=1)


@pytest.mark.parametrize("cls,kwargs", CLASSES, ids=CLASS_IDS)
def test_config_round_trip(cls, kwargs):
    obj = cls(reduction="sum", name="custom_name", **kwargs)
    config = obj.get_config()
    assert config["name"] == "custom_name" and config["reduction"] == "sum"
    for k, v in kwargs.items():
        assert config[k] == v
    assert "fn" not in config
    clone = cls.from_config(config)
    assert clone.get_config() == config
    t, p = _inputs_for(cls)
    np.testing.assert_allclose(clone(t, p).numpy(), obj(t, p).numpy())
    restored = losses.deserialize(losses.serialize(obj))
    assert type(restored) is cls and restored.get_config() == config
    assert cls().name == DEFAULT_NAMES[cls.__name__]
    assert cls().reduction == "sum_over_batch_size"


@pytest.mark.parametrize("cls,kwargs", CLASSES, ids=CLASS_IDS)
def test_traced_equals_eager(cls, kwargs):
    obj = cls(**kwargs)
    t, p = _inputs_for(cls)
    w = np.array([1.0, 0.5, 2.0, 0.0], np.float32)
    eager = obj(t, p, sample_weight=w)
    traced = tf.function(lambda a, b, c: obj(a, b, sample_weight=c))(
        tf.constant(t), tf.constant(p), tf.constant(w))
    np.testing.assert_allclose(traced.numpy(), eager.numpy(), rtol=1e-6, atol=1e-7)


def test_traced_with_unknown_batch_size():
    fn = tf.function(lambda a, b: losses.MeanSquaredError()(a, b),
                     input_signature=[tf.TensorSpec([None], tf.float32),
                                      tf.TensorSpec([None, 1], tf.float32)])
    t, p = real((5,)), real((5, 1), seed=1)
    np.testing.assert_allclose(fn(t, p).numpy(), np.mean((t - p[:, 0]) ** 2), rtol=1e-6)
    np.testing.assert_allclose(fn(t[:3], p[:3]).numpy(), np.mean((t[:3] - p[:3, 0]) ** 2),
                               rtol=1e-6)


def test_custom_loss_subclass_and_wrapper():
    class ScaledMSE(losses.Loss):
        def __init__(self, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    t, p = real((4, 2)), real((4, 2), seed=1)
    obj = ScaledMSE(scale=3.0)
    assert obj.name.startswith("scaled_mse")
    np.testing.assert_allclose(obj(t, p).numpy(), 3 * np_mse(t, p).mean(), rtol=1e-5)
    clone = ScaledMSE.from_config(obj.get_config())
    assert clone.scale == 3.0 and clone.name == obj.name

    def my_loss(y_true, y_pred, power=2.0):
        return tf.reduce_mean(tf.abs(y_true - y_pred) ** power, axis=-1)

    wrapped = losses.LossFunctionWrapper(my_loss, reduction="sum", power=3.0)
    np.testing.assert_allclose(wrapped(t, p).numpy(), np.sum(np.mean(np.abs(t - p) ** 3, -1)),
                               rtol=1e-5)
    config = wrapped.get_config()
    assert config["power"] == 3.0 and config["reduction"] == "sum"
    restored = losses.LossFunctionWrapper.from_config(
        {**config, "fn": my_loss})
    np.testing.assert_allclose(restored(t, p).numpy(), wrapped(t, p).numpy())
    builtin = losses.LossFunctionWrapper(losses.mean_absolute_error)
    restored = losses.LossFunctionWrapper.from_config(builtin.get_config())
    assert restored.fn is losses.mean_absolute_error


# -------------------------------------------------------------- get / serialize ---

NAME_TO_FUNCTION = {
    "mse": losses.mean_squared_error, "MSE": losses.mean_squared_error,
    "mean_squared_error": losses.mean_squared_error, "mae": losses.mean_absolute_error,
    "MAE": losses.mean_absolute_error, "mape": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error, "kld": losses.kl_divergence,
    "KLD": losses.kl_divergence, "kullback_leibler_divergence": losses.kl_divergence,
    "binary_crossentropy": losses.binary_crossentropy, "bce": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
    "binary_focal_crossentropy": losses.binary_focal_crossentropy,
    "categorical_focal_crossentropy": losses.categorical_focal_crossentropy,
    "huber": losses.huber, "log_cosh": losses.log_cosh, "logcosh": losses.log_cosh,
    "poisson": losses.poisson, "hinge": losses.hinge, "squared_hinge": losses.squared_hinge,
    "categorical_hinge": losses.categorical_hinge,
    "cosine_similarity": losses.cosine_similarity,
}


@pytest.mark.parametrize("name", sorted(NAME_TO_FUNCTION))
def test_get_function_names(name):
    fn = losses.get(name)
    assert fn is NAME_TO_FUNCTION[name]
    assert losses.deserialize(losses.serialize(fn)) is fn
    assert losses.deserialize(name) is fn
    assert losses.serialize(fn)["config"] == fn.__name__


@pytest.mark.parametrize("cls,kwargs", CLASSES, ids=CLASS_IDS)
def test_get_class_names(cls, kwargs):
    obj = losses.get(cls.__name__)
    assert type(obj) is cls
    assert losses.get(cls) is not None and type(losses.get(cls)) is cls
    inst = cls(**kwargs)
    assert losses.get(inst) is inst
    restored = losses.get(losses.serialize(inst))
    assert type(restored) is cls and restored.get_config() == inst.get_config()
    assert type(losses.get({"class_name": cls.__name__, "config": inst.get_config()})) is cls


def test_get_passes_custom_callables_and_none():
    def custom(y_true, y_pred):
        return tf.reduce_mean(y_true - y_pred, axis=-1)
    assert losses.get(custom) is custom
    assert losses.get(None) is None


def test_get_unknown_name_lists_choices():
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 'msee'.*"
                                         r"Valid choices:.*mean_squared_error"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Unknown loss function: 'nope'.*Valid choices"):
        losses.deserialize("nope")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(42)


def test_deserialize_custom_objects():
    def my_loss(y_true, y_pred):
        return tf.reduce_mean(y_true * y_pred, axis=-1)
    config = losses.serialize(my_loss)
    assert losses.deserialize(config, custom_objects={"my_loss": my_loss}) is my_loss


# ------------------------------------------------------------------------ errors ---

def test_shape_errors_name_loss_and_shapes():
    with pytest.raises(ValueError, match=r"mean_squared_error: .*y_true.shape=\(3,\), "
                                         r"y_pred.shape=\(4,\)"):
        losses.mse(np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match=r"mean_absolute_error: .*same rank.*"
                                         r"y_true.shape=\(3,\), y_pred.shape=\(3, 2\)"):
        losses.MeanAbsoluteError()(np.zeros(3, np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*sparse_categorical"
                                         r".*y_true.shape=\(4, 1\), y_pred.shape=\(4, 3\)"):
        losses.CategoricalCrossentropy()(np.zeros((4, 1)), simplex((4, 3)))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*sparse_categorical"
                                         r".*y_true.shape=\(4,\), y_pred.shape=\(4, 3\)"):
        losses.categorical_crossentropy(np.zeros(4), simplex((4, 3)))
    with pytest.raises(ValueError, match=r"binary_crossentropy: .*same shape.*"
                                         r"y_true.shape=\(4, 1\), y_pred.shape=\(4, 3\)"):
        losses.binary_crossentropy(np.zeros((4, 1), np.float32), prob((4, 3)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: .*rank.*"
                                         r"y_true.shape=\(4, 3\), y_pred.shape=\(4, 3\)"):
        losses.sparse_categorical_crossentropy(one_hot((4, 3)), simplex((4, 3)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: .*same shape up"):
        losses.sparse_categorical_crossentropy(np.zeros(5, np.int32), simplex((4, 3)))


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        losses.MeanSquaredError(reduction="average")
    assert losses.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"
    with pytest.raises(ValueError, match="`axis` must be of type `int`"):
        losses.categorical_crossentropy(one_hot((2, 3)), simplex((2, 3)), axis=True)
    with pytest.raises(ValueError, match="only axis=-1"):
        losses.sparse_categorical_crossentropy([0, 1], simplex((2, 3)), axis=0)
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((2, 1), np.float32), prob((2, 1)))
    with pytest.raises(Exception, match="outside the valid range"):
        losses.sparse_categorical_crossentropy([0, 7], simplex((2, 3)))
