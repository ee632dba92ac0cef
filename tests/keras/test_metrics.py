"""keras.metrics: values against NumPy references over several weighted updates, reset,
dtypes, config round-trips, traced == eager, and errors."""
import numpy as np
import pytest

import ember as tf
from ember.keras import metrics as M

EPS = 1e-7
RNG_SEED = 1234


def _rng():
    return np.random.default_rng(RNG_SEED)


# ----------------------------------------------------------------- numpy references ---

def _softmax_rows(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_mse(t, p):
    return np.mean((t - p) ** 2, -1)


def np_mae(t, p):
    return np.mean(np.abs(t - p), -1)


def np_mape(t, p):
    return 100 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), EPS), -1)


def np_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, -1)


def np_logcosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), -1)


def np_cosine(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return np.sum(tn * pn, -1)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), -1)


def np_bce_logits_smoothed(t, x, ls=0.1):
    t = t * (1 - ls) + 0.5 * ls
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), -1)


def np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), -1)


def np_cce_logits(t, x):
    return -np.sum(t * np.log(_softmax_rows(x.astype(np.float64))), -1)


def np_scce(t, p):
    t = t.reshape(-1).astype(int)
    c = np.clip(p, EPS, 1 - EPS)
    return -np.log(c[np.arange(len(t)), t] / c.sum(-1))


def np_kld(t, p):
    t = np.clip(t, EPS, 1)
    p = np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), -1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), -1)


def np_hinge(t, p):
    return np.mean(np.maximum(1 - (2 * t - 1) * p, 0), -1)


def np_squared_hinge(t, p):
    return np.mean(np.maximum(1 - (2 * t - 1) * p, 0) ** 2, -1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, -1)
    neg = np.max((1 - t) * p, -1)
    return np.maximum(neg - pos + 1, 0)


def np_accuracy(t, p):
    return np.mean(t == p, -1).astype(np.float64)


def np_binary_accuracy(t, p, threshold=0.5):
    return np.mean(t == (p > threshold), -1).astype(np.float64)


def np_categorical_accuracy(t, p):
    return (t.argmax(-1) == p.argmax(-1)).astype(np.float64)


def np_sparse_categorical_accuracy(t, p):
    return (t.reshape(-1) == p.argmax(-1)).astype(np.float64)


def _np_in_top_k(labels, p, k):
    target = p[np.arange(len(labels)), labels]
    return (np.sum(p > target[:, None], -1) < k).astype(np.float64)


def np_top_k(t, p, k=2):
    return _np_in_top_k(t.argmax(-1), p, k)


def np_sparse_top_k(t, p, k=2):
    return _np_in_top_k(t.reshape(-1).astype(int), p, k)


# -------------------------------------------------------------------- data makers ---

def d_regression(rng, n):
    return (rng.normal(size=(n, 3)).astype(np.float32),
            rng.normal(size=(n, 3)).astype(np.float32))


def d_positive(rng, n):
    return (rng.uniform(0.1, 2, size=(n, 3)).astype(np.float32),
            rng.uniform(0.1, 2, size=(n, 3)).astype(np.float32))


def d_binary(rng, n):
    return (rng.integers(0, 2, size=(n, 3)).astype(np.float32),
            rng.uniform(0, 1, size=(n, 3)).astype(np.float32))


def d_binary_logits(rng, n):
    return (rng.integers(0, 2, size=(n, 3)).astype(np.float32),
            rng.normal(size=(n, 3)).astype(np.float32) * 3)


def d_onehot(rng, n):
    labels = rng.integers(0, 4, size=n)
    probs = _softmax_rows(rng.normal(size=(n, 4))).astype(np.float32)
    return np.eye(4, dtype=np.float32)[labels], probs


def d_onehot_logits(rng, n):
    labels = rng.integers(0, 4, size=n)
    return np.eye(4, dtype=np.float32)[labels], rng.normal(size=(n, 4)).astype(np.float32)


def d_sparse(rng, n):
    return rng.integers(0, 4, size=n).astype(np.int32), \
        _softmax_rows(rng.normal(size=(n, 4))).astype(np.float32)


def d_sparse_col(rng, n):
    t, p = d_sparse(rng, n)
    return t.reshape(n, 1), p


def d_sparse_float_col(rng, n):
    t, p = d_sparse(rng, n)
    return t.reshape(n, 1).astype(np.float32), p


def d_int_labels(rng, n):
    return (rng.integers(0, 3, size=(n, 1)).astype(np.int32),
            rng.integers(0, 3, size=(n, 1)).astype(np.int32))


def d_probs(rng, n):
    t = _softmax_rows(rng.normal(size=(n, 3))).astype(np.float32)
    return t, _softmax_rows(rng.normal(size=(n, 3))).astype(np.float32)


def d_binary_col(rng, n):
    return (rng.integers(0, 2, size=(n, 1)).astype(np.float32),
            rng.uniform(0, 1, size=(n, 1)).astype(np.float32))


WRAPPER_CASES = [
    ("accuracy", lambda: M.Accuracy(), np_accuracy, d_int_labels),
    ("binary_accuracy", lambda: M.BinaryAccuracy(), np_binary_accuracy, d_binary),
    ("binary_accuracy_t", lambda: M.BinaryAccuracy(threshold=0.3),
     lambda t, p: np_binary_accuracy(t, p, 0.3), d_binary_col),
    ("categorical_accuracy", lambda: M.CategoricalAccuracy(), np_categorical_accuracy,
     d_onehot),
    ("sparse_cat_acc_1d", lambda: M.SparseCategoricalAccuracy(),
     np_sparse_categorical_accuracy, d_sparse),
    ("sparse_cat_acc_col", lambda: M.SparseCategoricalAccuracy(),
     np_sparse_categorical_accuracy, d_sparse_col),
    ("sparse_cat_acc_float", lambda: M.SparseCategoricalAccuracy(),
     np_sparse_categorical_accuracy, d_sparse_float_col),
    ("top_k", lambda: M.TopKCategoricalAccuracy(k=2), np_top_k, d_onehot),
    ("sparse_top_k", lambda: M.SparseTopKCategoricalAccuracy(k=2), np_sparse_top_k, d_sparse),
    ("sparse_top_k_col", lambda: M.SparseTopKCategoricalAccuracy(k=2), np_sparse_top_k,
     d_sparse_col),
    ("mse", lambda: M.MeanSquaredError(), np_mse, d_regression),
    ("mae", lambda: M.MeanAbsoluteError(), np_mae, d_regression),
    ("mape", lambda: M.MeanAbsolutePercentageError(), np_mape, d_positive),
    ("msle", lambda: M.MeanSquaredLogarithmicError(), np_msle, d_positive),
    ("logcosh", lambda: M.LogCoshError(), np_logcosh, d_regression),
    ("cosine", lambda: M.CosineSimilarity(), np_cosine, d_regression),
    ("bce", lambda: M.BinaryCrossentropy(), np_bce, d_binary),
    ("bce_logits_ls", lambda: M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
     np_bce_logits_smoothed, d_binary_logits),
    ("cce", lambda: M.CategoricalCrossentropy(), np_cce, d_onehot),
    ("cce_logits", lambda: M.CategoricalCrossentropy(from_logits=True), np_cce_logits,
     d_onehot_logits),
    ("scce", lambda: M.SparseCategoricalCrossentropy(), np_scce, d_sparse),
    ("kld", lambda: M.KLDivergence(), np_kld, d_probs),
    ("poisson", lambda: M.Poisson(), np_poisson, d_positive),
    ("hinge", lambda: M.Hinge(), np_hinge, d_binary_logits),
    ("squared_hinge", lambda: M.SquaredHinge(), np_squared_hinge, d_binary_logits),
    ("categorical_hinge", lambda: M.CategoricalHinge(), np_categorical_hinge,
     d_onehot_logits),
    ("wrapper_fn", lambda: M.MeanMetricWrapper(M.binary_accuracy, threshold=0.7),
     lambda t, p: np_binary_accuracy(t, p, 0.7), d_binary),
]

BATCHES = (5, 7, 3)


def _batches(data, weighted):
    rng = _rng()
    out = []
    for n in BATCHES:
        t, p = data(rng, n)
        w = rng.uniform(0, 2, size=n).astype(np.float32) if weighted else None
        out.append((t, p, w))
    return out


def _weighted_reference(np_fn, batches):
    values = np.concatenate([np.asarray(np_fn(t.astype(np.float64) if t.dtype.kind == "f"
                                              else t, p.astype(np.float64)),
                                        dtype=np.float64).reshape(-1) for t, p, _ in batches])
    if batches[0][2] is None:
        return values.mean()
    w = np.concatenate([b[2] for b in batches]).astype(np.float64)
    return np.sum(values * w) / np.sum(w)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,factory,np_fn,data", WRAPPER_CASES,
                         ids=[c[0] for c in WRAPPER_CASES])
def test_mean_wrappers_match_numpy(name, factory, np_fn, data, weighted):
    m = factory()
    batches = _batches(data, weighted)
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    got = m.result()
    assert got.dtype == tf.float32 and got.shape == ()
    np.testing.assert_allclose(got.numpy(), _weighted_reference(np_fn, batches),
                               rtol=2e-5, atol=2e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    t, p, w = batches[1]
    m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(m.result().numpy(), _weighted_reference(np_fn, batches[1:2]),
                               rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,factory,np_fn,data", WRAPPER_CASES,
                         ids=[c[0] for c in WRAPPER_CASES])
def test_mean_wrappers_traced_equals_eager(name, factory, np_fn, data):
    eager, traced = factory(), factory()

    @tf.function
    def step(t, p, w):
        traced.update_state(t, p, sample_weight=w)
        return traced.result()

    for t, p, w in _batches(data, True):
        eager.update_state(t, p, sample_weight=w)
        got = step(tf.constant(t), tf.constant(p), tf.constant(w))
        np.testing.assert_allclose(got.numpy(), eager.result().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,factory,np_fn,data", WRAPPER_CASES,
                         ids=[c[0] for c in WRAPPER_CASES])
def test_mean_wrappers_config_round_trip(name, factory, np_fn, data):
    m = factory()
    config = m.get_config()
    clone = type(m).from_config(config)
    assert clone.get_config() == config
    again = M.deserialize(M.serialize(m))
    assert type(again) is type(m) and again.get_config() == config
    t, p, _ = _batches(data, False)[0]
    m.update_state(t, p)
    again.update_state(t, p)
    np.testing.assert_allclose(again.result().numpy(), m.result().numpy())


def test_function_forms_per_sample():
    t = np.array([[0, 0, 1], [0, 1, 0]], np.float32)
    p = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]], np.float32)
    np.testing.assert_array_equal(M.categorical_accuracy(t, p).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(M.top_k_categorical_accuracy(t, p, k=2).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(M.sparse_categorical_accuracy([[2], [1]], p).numpy(),
                                  [0.0, 1.0])
    np.testing.assert_array_equal(M.sparse_categorical_accuracy([2, 1], p).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([2, 1], p, k=1).numpy(),
                                  [0.0, 1.0])
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([2, 1], [[1, 2, 0], [1, 0, 2]], k=1,
                                            from_sorted_ids=True).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(M.accuracy([[1], [2]], [[1], [3]]).numpy(), [[1.0], [0.0]])
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0]], [[0.7, 0.6]]).numpy(),
                                  [[1.0, 0.0]])
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0]], [[0.7, 0.6]], 0.65).numpy(),
                                  [[1.0, 1.0]])
    for out in (M.categorical_accuracy(t, p), M.binary_accuracy(t, p)):
        assert out.dtype == tf.float32


def test_in_top_k_ties_and_nonfinite():
    p = np.array([[0.5, 0.5, 0.1], [np.inf, 1.0, 0.0], [0.2, 0.3, 0.5]], np.float32)
    got = M.sparse_top_k_categorical_accuracy([1, 0, 0], p, k=1).numpy()
    np.testing.assert_array_equal(got, [1.0, 0.0, 0.0])
    got = M.sparse_top_k_categorical_accuracy([0, 1, 2], p, k=2).numpy()
    np.testing.assert_array_equal(got, [1.0, 0.0, 1.0])     # Keras 3 / TF: a row with inf


def test_top_k_accuracy_rank3():
    rng = _rng()
    p = rng.normal(size=(2, 3, 5)).astype(np.float32)
    labels = rng.integers(0, 5, size=(2, 3))
    got = M.sparse_top_k_categorical_accuracy(labels, p, k=2).numpy()
    want = _np_in_top_k(labels.reshape(-1), p.reshape(-1, 5), 2).reshape(2, 3)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------- Mean and Sum ---

def test_mean_weight_shapes():
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    m = M.Mean()
    m.update_state(v)
    assert float(m.result()) == pytest.approx(v.mean())
    assert float(m.count.numpy()) == 4.0
    m = M.Mean()
    w = np.array([1, 0, 2, 1], np.float32)
    m.update_state(v, sample_weight=w)
    want = np.sum(v.mean(1) * w) / w.sum()
    assert float(m.result()) == pytest.approx(want)
    m = M.Mean()
    w2 = np.abs(np.sin(np.arange(12))).reshape(4, 3).astype(np.float32)
    m.update_state(v, sample_weight=w2)
    assert float(m.result()) == pytest.approx(np.sum(v * w2) / np.sum(w2), rel=1e-6)
    m = M.Mean()
    m.update_state(v, sample_weight=w.reshape(4, 1))
    assert float(m.result()) == pytest.approx(want)
    m = M.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=1.0)
    m.update_state([10.0], sample_weight=3.0)
    assert float(m.result()) == pytest.approx((2.0 + 3 * 10.0) / 4)
    m = M.Mean()
    m.update_state(5.0)
    m.update_state(tf.constant(7.0))
    assert float(m.result()) == 6.0
    assert float(m.count.numpy()) == 2.0


def test_mean_empty_result_is_zero_and_dtype():
    m = M.Mean()
    assert float(m.result()) == 0.0
    m64 = M.Mean(dtype="float64")
    m64.update_state([1, 2])
    assert m64.result().dtype == tf.float64 and m64.dtype == "float64"
    assert M.Mean(dtype=tf.float64).dtype == "float64"


def test_sum():
    m = M.Sum()
    m.update_state([1, 3, 5, 7])
    m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
    assert float(m.result()) == pytest.approx(16 + 3 + 3.5)
    assert m.result().dtype == tf.float32
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mean_and_sum_traced_equals_eager():
    a, b = M.Mean(), M.Mean()
    s1, s2 = M.Sum(), M.Sum()

    @tf.function
    def step(v, w):
        b.update_state(v, sample_weight=w)
        s2.update_state(v, sample_weight=w)
        return b.result(), s2.result()

    rng = _rng()
    for n in (4, 6):
        v = rng.normal(size=(n, 2)).astype(np.float32)
        w = rng.uniform(size=n).astype(np.float32)
        a.update_state(v, sample_weight=w)
        s1.update_state(v, sample_weight=w)
        got_mean, got_sum = step(tf.constant(v), tf.constant(w))
        np.testing.assert_allclose(got_mean.numpy(), a.result().numpy(), rtol=1e-6)
        np.testing.assert_allclose(got_sum.numpy(), s1.result().numpy(), rtol=1e-6)

    @tf.function
    def reset():
        b.reset_state()

    reset()
    assert float(b.result()) == 0.0


def test_call_updates_then_returns_result():
    m = M.Mean()
    assert float(m([1.0, 3.0])) == 2.0
    assert float(m([5.0])) == 3.0


# ------------------------------------------------------------------ custom metrics ---

class _Count(M.Metric):
    def __init__(self, name="count_positive", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.n = self.add_weight(name="n", initializer="zeros")
        self.inner = M.Mean(name="inner_mean")

    def update_state(self, values):
        values = tf.convert_to_tensor(values, tf.float32)
        self.n.assign_add(tf.reduce_sum(tf.cast(values > 0, self.dtype)))
        self.inner.update_state(values)

    def result(self):
        return tf.identity(self.n)


def test_custom_metric_tracking_and_reset():
    m = _Count()
    assert len(m.variables) == 3 and m.trainable_variables == []
    assert all(not v.trainable for v in m.variables)
    assert m([1.0, -1.0, 2.0]).numpy() == 2.0
    assert float(m.inner.result()) == pytest.approx(2 / 3)
    m.reset_state()
    assert all(np.all(v.numpy() == 0) for v in m.variables)
    assert repr(m) == "<_Count name=count_positive>"


def test_add_weight_keras2_form_and_initializers():
    m = M.Metric(name="x")
    v = m.add_weight("tp", shape=(2,), initializer="ones")
    assert v.numpy().tolist() == [1.0, 1.0] and v.dtype == tf.float32
    w = m.add_variable((3,), initializer=lambda shape, dtype=None: np.full(shape, 2.0),
                       dtype="float64", name="w")
    assert w.dtype == tf.float64 and w.numpy().tolist() == [2.0, 2.0, 2.0]
    assert m.variables == [v, w]
    m.reset_state()
    assert v.numpy().tolist() == [0.0, 0.0]


def test_auto_names_and_missing_super_init():
    from ember.keras import backend
    backend.clear_session()
    assert M.Metric().name == "metric"
    assert M.Metric().name == "metric_1"

    class Bad(M.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super"):
        Bad().add_variable((), "zeros")
    with pytest.raises(NotImplementedError):
        M.Metric().result()


def test_variables_created_inside_function_are_eager():
    m = M.F1Score(average="macro")

    @tf.function
    def step(t, p):
        m.update_state(t, p)
        return m.result()

    t = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    p = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7]], np.float32)
    got = step(tf.constant(t), tf.constant(p))
    assert len(m.variables) == 4
    eager = M.F1Score(average="macro")
    eager.update_state(t, p)
    np.testing.assert_allclose(got.numpy(), eager.result().numpy())


# ------------------------------------------------------------------ confusion counts ---

def _np_counts(t, p, thresholds, w=None):
    t = t.reshape(-1).astype(bool)
    p = p.reshape(-1).astype(np.float64)
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    pos = p[None, :] > np.asarray(thresholds, np.float64)[:, None]
    return {
        "tp": np.sum(w * (pos & t), 1), "fp": np.sum(w * (pos & ~t), 1),
        "tn": np.sum(w * (~pos & ~t), 1), "fn": np.sum(w * (~pos & t), 1),
    }


def _conf_batches():
    rng = _rng()
    out = []
    for n in (6, 9):
        t = rng.integers(0, 2, size=n).astype(np.float32)
        p = rng.uniform(size=n).astype(np.float32)
        p[:3] = [0.0, 0.5, 1.0]
        w = rng.uniform(0, 2, size=n).astype(np.float32)
        out.append((t, p, w))
    return out


COUNT_CLASSES = [(M.TruePositives, "tp"), (M.FalsePositives, "fp"),
                 (M.TrueNegatives, "tn"), (M.FalseNegatives, "fn")]


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.15, 0.5, 0.85],
                                        [0.0, 0.25, 0.5, 0.75, 1.0]],
                         ids=["default", "scalar", "list", "even"])
@pytest.mark.parametrize("cls,key", COUNT_CLASSES, ids=[k for _, k in COUNT_CLASSES])
def test_confusion_counts(cls, key, thresholds):
    m = cls(thresholds=thresholds)
    batches = _conf_batches()
    th = [0.5] if thresholds is None else np.atleast_1d(thresholds).tolist()
    want = np.zeros(len(th))
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
        want += _np_counts(t, p, th, w)[key]
    got = m.result()
    assert got.dtype == tf.float32
    assert got.shape == (() if len(th) == 1 else (len(th),))
    np.testing.assert_allclose(got.numpy(), want if len(th) > 1 else want[0], rtol=1e-5)
    assert type(m).from_config(m.get_config()).get_config() == m.get_config()
    m.reset_state()
    assert np.all(m.result().numpy() == 0)


def test_confusion_counts_2d_inputs_and_traced():
    y_true = np.array([[0, 1], [1, 1], [0, 0]], np.float32)
    y_pred = np.array([[0.2, 0.7], [0.6, 0.1], [0.9, 0.0]], np.float32)
    m = M.TruePositives(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    traced = M.TruePositives(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    w = np.array([1.0, 2.0, 0.5], np.float32)
    m.update_state(y_true, y_pred, sample_weight=w)
    tf.function(lambda a, b, c: traced.update_state(a, b, sample_weight=c))(
        tf.constant(y_true), tf.constant(y_pred), tf.constant(w))
    want = _np_counts(y_true, y_pred, [0.0, 0.25, 0.5, 0.75, 1.0],
                      np.broadcast_to(w[:, None], (3, 2)).reshape(-1))["tp"]
    np.testing.assert_allclose(m.result().numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(traced.result().numpy(), want, rtol=1e-6)


# ----------------------------------------------------------------- Precision/Recall ---

def _np_top_k_filter(p, k):
    out = np.full_like(p, -1e10, dtype=np.float64)
    idx = np.argsort(-p, axis=-1)[:, :k]
    rows = np.arange(p.shape[0])[:, None]
    out[rows, idx] = p[rows, idx]
    return out


def _np_precision_recall(batches, thresholds, top_k=None, class_id=None):
    tp = np.zeros(len(thresholds))
    fp = np.zeros(len(thresholds))
    fn = np.zeros(len(thresholds))
    for t, p, w in batches:
        p = p.astype(np.float64)
        if top_k is not None:
            p = _np_top_k_filter(p, top_k)
        ww = np.ones(t.shape[0]) if w is None else w.astype(np.float64)
        ww = np.broadcast_to(ww[:, None], t.shape)
        if class_id is not None:
            t, p, ww = t[:, class_id], p[:, class_id], ww[:, class_id]
        c = _np_counts(t, p, thresholds, ww.reshape(-1))
        tp += c["tp"]
        fp += c["fp"]
        fn += c["fn"]
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        rec = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
    return prec, rec


def _multiclass_batches(weighted=True):
    rng = _rng()
    out = []
    for n in (5, 8):
        t = (rng.uniform(size=(n, 4)) < 0.4).astype(np.float32)
        p = rng.uniform(size=(n, 4)).astype(np.float32)
        w = rng.uniform(0.2, 2, size=n).astype(np.float32) if weighted else None
        out.append((t, p, w))
    return out


PR_CASES = [
    dict(),
    dict(thresholds=[0.2, 0.5, 0.7]),
    dict(thresholds=0.8),
    dict(top_k=2),
    dict(class_id=1),
    dict(top_k=1, class_id=2),
    dict(thresholds=[0.1, 0.6], top_k=3),
    dict(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0], class_id=0),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kwargs", PR_CASES, ids=[str(c) for c in PR_CASES])
def test_precision_recall(kwargs, weighted):
    batches = _multiclass_batches(weighted)
    p_m, r_m = M.Precision(**kwargs), M.Recall(**kwargs)
    for t, p, w in batches:
        p_m.update_state(t, p, sample_weight=w)
        r_m.update_state(t, p, sample_weight=w)
    th = kwargs.get("thresholds")
    th = ([0.5] if kwargs.get("top_k") is None else [-1e10]) if th is None \
        else np.atleast_1d(th).tolist()
    want_p, want_r = _np_precision_recall(batches, th, kwargs.get("top_k"),
                                          kwargs.get("class_id"))
    if len(th) == 1:
        want_p, want_r = want_p[0], want_r[0]
    for m, want in ((p_m, want_p), (r_m, want_r)):
        got = m.result()
        assert got.dtype == tf.float32
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-7)
        config = m.get_config()
        assert type(m).from_config(config).get_config() == config
        assert M.deserialize(M.serialize(m)).get_config() == config


def test_precision_recall_traced_equals_eager():
    eager_p, traced_p = M.Precision(top_k=2, class_id=1), M.Precision(top_k=2, class_id=1)
    eager_r, traced_r = M.Recall(thresholds=[0.3, 0.6]), M.Recall(thresholds=[0.3, 0.6])

    @tf.function
    def step(t, p, w):
        traced_p.update_state(t, p, sample_weight=w)
        traced_r.update_state(t, p, sample_weight=w)
        return traced_p.result(), traced_r.result()

    for t, p, w in _multiclass_batches():
        eager_p.update_state(t, p, sample_weight=w)
        eager_r.update_state(t, p, sample_weight=w)
        gp, gr = step(tf.constant(t), tf.constant(p), tf.constant(w))
        np.testing.assert_allclose(gp.numpy(), eager_p.result().numpy(), rtol=1e-6)
        np.testing.assert_allclose(gr.numpy(), eager_r.result().numpy(), rtol=1e-6)


def test_precision_doc_examples():
    m = M.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == 1.0
    m = M.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == 0.0
    m = M.Recall(class_id=2)
    m.update_state([[0, 0, 1], [0, 0, 1]], [[0.1, 0.2, 0.9], [0.6, 0.2, 0.3]])
    assert float(m.result()) == 0.5


def test_operating_point_metrics():
    rng = _rng()
    t = rng.integers(0, 2, size=40).astype(np.float32)
    p = np.clip(t * 0.3 + rng.uniform(size=40) * 0.7, 0, 1).astype(np.float32)
    n = 11
    th = [0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0]
    c = _np_counts(t, p, th)
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = np.nan_to_num(c["tp"] / (c["tp"] + c["fn"]))
        spec = np.nan_to_num(c["tn"] / (c["tn"] + c["fp"]))
        prec = np.nan_to_num(c["tp"] / (c["tp"] + c["fp"]))
    cases = [(M.SensitivityAtSpecificity(0.6, num_thresholds=n), sens, spec),
             (M.SpecificityAtSensitivity(0.6, num_thresholds=n), spec, sens),
             (M.PrecisionAtRecall(0.6, num_thresholds=n), prec, sens),
             (M.RecallAtPrecision(0.6, num_thresholds=n), sens, prec)]
    for m, dependent, constrained in cases:
        m.update_state(t, p)
        feasible = constrained >= 0.6
        want = dependent[feasible].max() if feasible.any() else 0.0
        assert float(m.result()) == pytest.approx(want, rel=1e-5)
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.SensitivityAtSpecificity(1.5)


# ------------------------------------------------------------------------------ AUC ---

def _auc_thresholds(num_thresholds=None, thresholds=None):
    if thresholds is None:
        thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return np.array([-EPS] + sorted(thresholds) + [1 + EPS])


def _np_auc_from_counts(c, curve="ROC", method="interpolation"):
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    div = lambda a, b: np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)  # noqa: E731
    if curve == "PR" and method == "interpolation":
        total = 0.0
        for i in range(len(tp) - 1):
            p_hi, p_lo = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
            d_tp, d_p = tp[i] - tp[i + 1], p_hi - p_lo
            slope = d_tp / d_p if d_p > 0 else 0.0
            intercept = tp[i + 1] - slope * p_lo
            ratio = p_hi / p_lo if (p_hi > 0 and p_lo > 0) else 1.0
            pos = tp[i + 1] + fn[i + 1]
            if pos > 0:
                total += slope * (d_tp + intercept * np.log(ratio)) / pos
        return total
    recall = div(tp, tp + fn)
    if curve == "ROC":
        x, y = div(fp, fp + tn), recall
    else:
        x, y = recall, div(tp, tp + fp)
    if method == "interpolation":
        h = (y[:-1] + y[1:]) / 2
    elif method == "minoring":
        h = np.minimum(y[:-1], y[1:])
    else:
        h = np.maximum(y[:-1], y[1:])
    return np.sum((x[:-1] - x[1:]) * h)


def _auc_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, size=n).astype(np.float32)
    p = np.clip(0.35 * t + 0.65 * rng.uniform(size=n), 0, 1).astype(np.float32)
    w = rng.uniform(0.1, 2, size=n).astype(np.float32)
    return t, p, w


AUC_CASES = [
    dict(num_thresholds=200),
    dict(num_thresholds=7),
    dict(num_thresholds=7, summation_method="minoring"),
    dict(num_thresholds=7, summation_method="majoring"),
    dict(num_thresholds=9, curve="PR"),
    dict(num_thresholds=9, curve="PR", summation_method="majoring"),
    dict(thresholds=[0.1, 0.35, 0.4, 0.8]),
    dict(thresholds=[0.1, 0.35, 0.4, 0.8], curve="PR"),
    dict(thresholds=[0.25, 0.5, 0.75]),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kwargs", AUC_CASES, ids=[str(c) for c in AUC_CASES])
def test_auc_matches_direct_computation(kwargs, weighted):
    m = M.AUC(**kwargs)
    th = _auc_thresholds(kwargs.get("num_thresholds"), kwargs.get("thresholds"))
    np.testing.assert_allclose(m.thresholds, th)
    counts = {k: np.zeros(len(th)) for k in ("tp", "fp", "tn", "fn")}
    for seed in (0, 1):
        t, p, w = _auc_data(seed=seed)
        w = w if weighted else None
        m.update_state(t, p, sample_weight=w)
        for k, v in _np_counts(t, p, th, w).items():
            counts[k] += v
    np.testing.assert_allclose(m.true_positives.numpy(), counts["tp"], rtol=1e-5)
    np.testing.assert_allclose(m.true_negatives.numpy(), counts["tn"], rtol=1e-5)
    want = _np_auc_from_counts(counts, kwargs.get("curve", "ROC"),
                               kwargs.get("summation_method", "interpolation"))
    got = m.result()
    assert got.dtype == tf.float32 and got.shape == ()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    config = m.get_config()
    assert M.AUC.from_config(config).get_config() == config
    m.reset_state()
    assert float(m.result()) == 0.0


def test_auc_close_to_exact_roc_auc():
    t, p, _ = _auc_data(n=200, seed=3)
    m = M.AUC(num_thresholds=2000)
    m.update_state(t, p)
    pos, neg = p[t == 1], p[t == 0]
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert float(m.result()) == pytest.approx(exact, abs=2e-3)


def test_auc_doc_example_and_from_logits():
    m = M.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(1.0)
    logits = np.array([-3.0, 0.2, -0.4, 2.0], np.float32)
    a = M.AUC(num_thresholds=50, from_logits=True)
    b = M.AUC(num_thresholds=50)
    a.update_state([0, 0, 1, 1], logits)
    b.update_state([0, 0, 1, 1], 1 / (1 + np.exp(-logits)))
    assert float(a.result()) == pytest.approx(float(b.result()))


def test_auc_multi_label_and_label_weights():
    rng = _rng()
    t = rng.integers(0, 2, size=(30, 3)).astype(np.float32)
    p = np.clip(0.3 * t + 0.7 * rng.uniform(size=(30, 3)), 0, 1).astype(np.float32)
    th = _auc_thresholds(num_thresholds=11)
    per_label = np.array([_np_auc_from_counts(_np_counts(t[:, j], p[:, j], th))
                          for j in range(3)])
    m = M.AUC(num_thresholds=11, multi_label=True)
    m.update_state(t, p)
    assert m.true_positives.shape == (11, 3)
    np.testing.assert_allclose(float(m.result()), per_label.mean(), rtol=1e-5)
    lw = [0.2, 0.3, 0.5]
    m = M.AUC(num_thresholds=11, multi_label=True, label_weights=lw, num_labels=3)
    m.update_state(t, p)
    np.testing.assert_allclose(float(m.result()), np.sum(per_label * lw) / np.sum(lw),
                               rtol=1e-5)
    uneven = M.AUC(thresholds=[0.05, 0.3, 0.7], multi_label=True, curve="PR")
    uneven.update_state(t, p)
    th2 = _auc_thresholds(thresholds=[0.05, 0.3, 0.7])
    want = np.mean([_np_auc_from_counts(_np_counts(t[:, j], p[:, j], th2), "PR")
                    for j in range(3)])
    np.testing.assert_allclose(float(uneven.result()), want, rtol=1e-5)
    flat = M.AUC(num_thresholds=11, label_weights=lw)
    flat.update_state(t, p)
    want = _np_auc_from_counts(_np_counts(t, p, th, np.tile(lw, (30, 1)).reshape(-1)))
    np.testing.assert_allclose(float(flat.result()), want, rtol=1e-5)


def test_auc_traced_equals_eager_with_lazy_build():
    rng = _rng()
    eager = M.AUC(num_thresholds=21, multi_label=True)
    traced = M.AUC(num_thresholds=21, multi_label=True)
    pr_eager, pr_traced = M.AUC(curve="PR"), M.AUC(curve="PR")

    @tf.function
    def step(t, p, w):
        traced.update_state(t, p, sample_weight=w)
        pr_traced.update_state(t, p, sample_weight=w)
        return traced.result(), pr_traced.result()

    for _ in range(2):
        t = rng.integers(0, 2, size=(8, 2)).astype(np.float32)
        p = rng.uniform(size=(8, 2)).astype(np.float32)
        w = rng.uniform(size=8).astype(np.float32)
        eager.update_state(t, p, sample_weight=w)
        pr_eager.update_state(t, p, sample_weight=w)
        a, b = step(tf.constant(t), tf.constant(p), tf.constant(w))
        np.testing.assert_allclose(a.numpy(), eager.result().numpy(), rtol=1e-6)
        np.testing.assert_allclose(b.numpy(), pr_eager.result().numpy(), rtol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(curve="XYZ"), "Invalid AUC curve"),
    (dict(summation_method="trapezoid"), "Invalid AUC summation"),
    (dict(num_thresholds=1), "num_thresholds"),
    (dict(num_labels=3), "multi_label"),
    (dict(thresholds=[0.2, 1.5]), r"\[0, 1\]"),
])
def test_auc_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.AUC(**kwargs)


def test_auc_multi_label_rank_error():
    m = M.AUC(multi_label=True)
    with pytest.raises(ValueError, match="rank 2"):
        m.update_state([1, 0], [0.3, 0.2])


def test_auc_prgain_finite_and_config_curve_names():
    t, p, _ = _auc_data(seed=5)
    m = M.AUC(num_thresholds=20, curve="prgain")
    m.update_state(t, p)
    assert np.isfinite(float(m.result()))
    assert m.get_config()["curve"] == "PRGAIN"
    assert M.AUC(curve="pr").get_config()["curve"] == "PR"


# -------------------------------------------------------------------------- F-scores ---

def _np_fbeta(batches, beta, average, threshold):
    tp = fp = fn = tw = 0.0
    for t, p, w in batches:
        p = p.astype(np.float64)
        t = t.astype(np.float64)
        if threshold is None:
            pred = ((p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)).astype(np.float64)
        else:
            pred = (p > threshold).astype(np.float64)
        ww = np.ones((t.shape[0], 1)) if w is None else w[:, None].astype(np.float64)
        axis = None if average == "micro" else 0
        tp = tp + np.sum(pred * t * ww, axis=axis)
        fp = fp + np.sum(pred * (1 - t) * ww, axis=axis)
        fn = fn + np.sum((1 - pred) * t * ww, axis=axis)
        tw = tw + np.sum(t * ww, axis=axis)
    prec = tp / (tp + fp + EPS)
    rec = tp / (tp + fn + EPS)
    b2 = beta ** 2
    f = (1 + b2) * prec * rec / (b2 * prec + rec + EPS)
    if average == "weighted":
        return np.sum(f * tw / (np.sum(tw) + EPS))
    if average is not None:
        return np.mean(f)
    return f


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("threshold", [None, 0.5])
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_fbeta(beta, average, threshold, weighted):
    batches = _multiclass_batches(weighted)
    m = M.F1Score(average=average, threshold=threshold) if beta == 1.0 else \
        M.FBetaScore(average=average, beta=beta, threshold=threshold)
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    got = m.result()
    assert got.dtype == tf.float32
    want = _np_fbeta(batches, beta, average, threshold)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    config = m.get_config()
    assert ("beta" in config) == (beta != 1.0)
    assert type(m).from_config(config).get_config() == config
    m.reset_state()
    assert np.all(m.result().numpy() == 0)


def test_fbeta_doc_example():
    m = M.FBetaScore(beta=2.0, threshold=0.5)
    m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32),
                   np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32))
    np.testing.assert_allclose(m.result().numpy(), [0.3846154, 0.90909094, 0.8333334],
                               rtol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    (dict(average="samples"), "average"),
    (dict(beta=2), "beta"),
    (dict(beta=-1.0), "beta"),
    (dict(threshold=1), "threshold"),
    (dict(threshold=1.5), "threshold"),
])
def test_fbeta_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.FBetaScore(**kwargs)


def test_fbeta_rank_error():
    with pytest.raises(ValueError, match="2D inputs"):
        M.F1Score().update_state([1.0, 0.0], [0.3, 0.8])


# ------------------------------------------------------------------------------- IoU ---

def _np_cm(t, p, n, w=None):
    t = t.reshape(-1).astype(int)
    p = p.reshape(-1).astype(int)
    w = np.ones(t.shape) if w is None else \
        np.broadcast_to(np.reshape(w, (-1,)) if np.ndim(w) > 1 else w, t.shape).astype(float)
    cm = np.zeros((n, n))
    np.add.at(cm, (t, p), w)
    return cm


def _np_iou(cm, ids):
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    tp, denom = tp[ids], denom[ids]
    valid = np.sum(denom > 1e-9)
    return np.sum(tp / (denom + EPS)) / (valid + EPS)


def test_mean_iou_and_iou_weighted_updates():
    rng = _rng()
    n = 4
    cm = np.zeros((n, n))
    miou, iou = M.MeanIoU(num_classes=n), M.IoU(num_classes=n, target_class_ids=[1, 3])
    for size in (10, 6):
        t = rng.integers(0, 3, size=(size, 2))
        p = rng.integers(0, 3, size=(size, 2))
        w = rng.uniform(size=(size, 2)).astype(np.float32)
        miou.update_state(t, p, sample_weight=w)
        iou.update_state(t, p, sample_weight=w)
        cm += _np_cm(t, p, n, w)
    np.testing.assert_allclose(miou.total_cm.numpy(), cm, rtol=1e-5)
    assert miou.result().dtype == tf.float32
    np.testing.assert_allclose(float(miou.result()), _np_iou(cm, [0, 1, 2, 3]), rtol=1e-5)
    np.testing.assert_allclose(float(iou.result()), _np_iou(cm, [1, 3]), rtol=1e-5)
    for m in (miou, iou):
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()
        m.reset_state()
        assert float(m.result()) == 0.0


def test_iou_variants():
    m = M.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(m.result()) == pytest.approx(1 / 3, rel=1e-5)
    b = M.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    b.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    assert float(b.result()) == pytest.approx(0.17361112, rel=1e-5)
    assert M.BinaryIoU.from_config(b.get_config()).get_config() == b.get_config()
    t = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]], np.float32)
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
                 np.float32)
    w = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    oh = M.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    oh.update_state(t, p, sample_weight=w)
    cm = _np_cm(t.argmax(-1), p.argmax(-1), 3, w)
    assert float(oh.result()) == pytest.approx(_np_iou(cm, [0, 2]), rel=1e-5)
    ohm = M.OneHotMeanIoU(num_classes=3)
    ohm.update_state(t, p, sample_weight=w)
    assert float(ohm.result()) == pytest.approx(_np_iou(cm, [0, 1, 2]), rel=1e-5)
    for m in (oh, ohm):
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()


def test_iou_ignore_class_and_traced():
    t = np.array([0, 1, 255, 2, 1], np.int32)
    p = np.array([0, 2, 1, 2, 1], np.int32)
    m = M.MeanIoU(num_classes=3, ignore_class=255)
    m.update_state(t, p)
    keep = t != 255
    want = _np_iou(_np_cm(t[keep], p[keep], 3), [0, 1, 2])
    assert float(m.result()) == pytest.approx(want, rel=1e-5)
    traced = M.MeanIoU(num_classes=3, ignore_class=255)
    got = tf.function(lambda a, b: traced(a, b))(tf.constant(t), tf.constant(p))
    assert float(got) == pytest.approx(want, rel=1e-5)


def test_iou_target_id_error():
    with pytest.raises(ValueError, match="out of range"):
        M.IoU(num_classes=2, target_class_ids=[2])


# --------------------------------------------------------------------------- R2Score ---

def _np_r2(t, p, w, aggregation, num_regressors=0):
    w = np.ones(t.shape[0]) if w is None else w
    w = np.broadcast_to(w[:, None], t.shape)
    s = np.sum(w * t, 0)
    sq = np.sum(w * t * t, 0)
    res = np.sum(w * (t - p) ** 2, 0)
    count = np.sum(w, 0)
    total = sq - s * s / count
    raw = 1 - res / total
    if aggregation == "uniform_average":
        r2 = raw.mean()
    elif aggregation == "variance_weighted_average":
        r2 = np.sum(total * raw) / np.sum(total)
    else:
        r2 = raw
    n = t.size
    if num_regressors and num_regressors < n - 1:
        r2 = 1 - (1 - r2) * (n - 1) / (n - num_regressors - 1)
    return r2


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_score(aggregation, weighted):
    rng = _rng()
    ts, ps, ws = [], [], []
    m = M.R2Score(class_aggregation=aggregation)
    for n in (6, 5):
        t = rng.normal(size=(n, 2)).astype(np.float32)
        p = (t + 0.3 * rng.normal(size=(n, 2))).astype(np.float32)
        w = rng.uniform(0.5, 2, size=n).astype(np.float32) if weighted else None
        m.update_state(t, p, sample_weight=w)
        ts.append(t), ps.append(p), ws.append(w)
    w = np.concatenate(ws) if weighted else None
    want = _np_r2(np.concatenate(ts).astype(np.float64), np.concatenate(ps), w, aggregation)
    got = m.result()
    assert got.dtype == tf.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4)
    assert M.R2Score.from_config(m.get_config()).get_config() == m.get_config()


def test_r2_adjusted_and_traced():
    t = np.array([[1.0], [4.0], [3.0], [2.0], [5.0]], np.float32)
    p = np.array([[2.0], [4.0], [4.0], [2.5], [4.0]], np.float32)
    m = M.R2Score(num_regressors=2)
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(_np_r2(t.astype(np.float64), p, None,
                                                     "uniform_average", 2), rel=1e-5)
    fallback = M.R2Score(num_regressors=10)
    fallback.update_state(t, p)
    assert float(fallback.result()) == pytest.approx(
        _np_r2(t.astype(np.float64), p, None, "uniform_average"), rel=1e-5)
    traced = M.R2Score(num_regressors=2)
    got = tf.function(lambda a, b: traced(a, b))(tf.constant(t), tf.constant(p))
    np.testing.assert_allclose(got.numpy(), m.result().numpy(), rtol=1e-6)


def test_r2_errors():
    with pytest.raises(ValueError, match="class_aggregation"):
        M.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        M.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D inputs"):
        M.R2Score().update_state([[[1.0]]], [[[1.0]]])


def test_rmse_weighted():
    rng = _rng()
    m = M.RootMeanSquaredError()
    sq, ww = [], []
    for n in (4, 3):
        t = rng.normal(size=(n, 2)).astype(np.float32)
        p = rng.normal(size=(n, 2)).astype(np.float32)
        w = rng.uniform(size=n).astype(np.float32)
        m.update_state(t, p, sample_weight=w)
        sq.append(((t - p) ** 2).mean(1)), ww.append(w)
    sq, ww = np.concatenate(sq), np.concatenate(ww)
    assert float(m.result()) == pytest.approx(np.sqrt(np.sum(sq * ww) / ww.sum()), rel=1e-5)
    assert M.RootMeanSquaredError.from_config(m.get_config()).name == "root_mean_squared_error"


# ------------------------------------------------------------- get / serialization ---

@pytest.mark.parametrize("identifier,cls", [
    ("accuracy", M.Accuracy), ("acc", M.Accuracy), ("Accuracy", M.Accuracy),
    ("binary_accuracy", M.BinaryAccuracy), ("mse", M.MeanSquaredError),
    ("MAE", M.MeanAbsoluteError), ("AUC", M.AUC), ("auc", M.AUC), ("f1_score", M.F1Score),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy), ("Precision", M.Precision),
    ("kl_divergence", M.KLDivergence), ("logcosh", M.LogCoshError), ("r2_score", M.R2Score),
])
def test_get_by_name(identifier, cls):
    m = M.get(identifier)
    assert type(m) is cls


def test_get_other_identifiers():
    m = M.Mean(name="foo")
    assert M.get(m) is m
    assert type(M.get(M.Recall)) is M.Recall
    assert M.get(M.binary_accuracy) is M.binary_accuracy
    assert M.get(None) is None
    d = M.serialize(M.BinaryAccuracy(threshold=0.7))
    assert d["class_name"] == "BinaryAccuracy"
    got = M.get(d)
    assert isinstance(got, M.BinaryAccuracy) and got.threshold == 0.7
    assert M.deserialize(M.serialize(M.categorical_accuracy)) is M.categorical_accuracy
    assert M.deserialize("mse") is M.MeanSquaredError


def test_get_unknown_lists_choices():
    with pytest.raises(ValueError, match=r"Could not interpret metric identifier.*"
                                         r"Valid choices:.*accuracy"):
        M.get("not_a_metric")
    with pytest.raises(ValueError, match="Unknown metric"):
        M.deserialize({"class_name": "Nope", "config": {}})


def test_mean_metric_wrapper_serialization_and_custom_objects():
    m = M.MeanMetricWrapper(M.binary_accuracy, name="acc7", threshold=0.7)
    config = m.get_config()
    assert config["threshold"] == 0.7 and config["fn"]["config"] == "binary_accuracy"
    clone = M.MeanMetricWrapper.from_config(config)
    assert clone._fn is M.binary_accuracy and clone._fn_kwargs == {"threshold": 0.7}

    def my_metric(y_true, y_pred):
        return tf.abs(y_true - y_pred)

    custom = M.MeanMetricWrapper(my_metric, name="mine")
    from ember.keras.saving import custom_object_scope
    with custom_object_scope({"my_metric": my_metric}):
        again = M.deserialize(M.serialize(custom))
    assert again._fn is my_metric
    again.update_state([1.0, 2.0], [2.0, 2.0])
    assert float(again.result()) == 0.5


def test_registered_custom_metric_round_trip():
    from ember.keras.saving import register_keras_serializable

    @register_keras_serializable(package="TestMetrics")
    class Twice(M.Mean):
        def update_state(self, values, sample_weight=None):
            super().update_state(tf.convert_to_tensor(values, tf.float32) * 2.0,
                                 sample_weight)

    m = Twice(name="twice")
    again = M.deserialize(M.serialize(m))
    assert type(again) is Twice and again.name == "twice"


# -------------------------------------------------------------------------- errors ---

@pytest.mark.parametrize("make,match", [
    (lambda: M.BinaryAccuracy(threshold=1.5), "threshold"),
    (lambda: M.Precision(thresholds=[0.5, 1.2]), r"\[0, 1\]"),
    (lambda: M.TruePositives(thresholds=-0.1), r"\[0, 1\]"),
    (lambda: M.Recall(class_id=1).update_state([1, 0], [0.3, 0.9]), "class_id"),
    (lambda: M.Metric().add_variable((), "zeros", aggregation="median"), "aggregation"),
    (lambda: M.Metric().add_variable((), object()), "initializer"),
])
def test_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_metric_unexpected_kwarg():
    with pytest.raises(TypeError, match="unexpected"):
        M.Metric(name="x", foo=1)


UNKNOWN_BATCH_CASES = [
    ("mean_wrapper", lambda: M.BinaryAccuracy()),
    ("precision_top_k", lambda: M.Precision(top_k=2)),
    ("recall_list", lambda: M.Recall(thresholds=[0.2, 0.7])),
    ("auc", lambda: M.AUC()),
    ("auc_multi", lambda: M.AUC(multi_label=True, num_labels=3)),
    ("f1_weighted", lambda: M.F1Score(average="weighted")),
    ("r2", lambda: M.R2Score()),
    ("top_k", lambda: M.TopKCategoricalAccuracy(k=2)),
    ("rmse", lambda: M.RootMeanSquaredError()),
]


@pytest.mark.parametrize("name,factory", UNKNOWN_BATCH_CASES,
                         ids=[c[0] for c in UNKNOWN_BATCH_CASES])
def test_traced_with_unknown_batch_dimension(name, factory):
    rng = _rng()
    eager, traced = factory(), factory()
    spec = [tf.TensorSpec([None, 3]), tf.TensorSpec([None, 3]), tf.TensorSpec([None])]
    step = tf.function(lambda t, p, w: traced(t, p, sample_weight=w), input_signature=spec)
    for n in (6, 4):
        t = rng.integers(0, 2, size=(n, 3)).astype(np.float32)
        p = rng.uniform(size=(n, 3)).astype(np.float32)
        w = rng.uniform(size=n).astype(np.float32)
        eager.update_state(t, p, sample_weight=w)
        got = step(tf.constant(t), tf.constant(p), tf.constant(w))
        np.testing.assert_allclose(got.numpy(), eager.result().numpy(), rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_bool_and_int_inputs_to_confusion_metrics():
    m = M.Precision()
    m.update_state(np.array([True, False, True]), np.array([1, 1, 0], np.int32))
    assert float(m.result()) == 0.5
    a = M.AUC(num_thresholds=3)
    a.update_state(tf.constant([False, False, True, True]), [0, 0.5, 0.3, 0.9])
    assert float(a.result()) == pytest.approx(0.75)


# --------------------------------------------- per-sample weighting of mean metrics ---

def test_accuracy_weights_updates_by_their_number_of_samples():
    # Keras: 4 samples (3 right) then 2 (1 right) is 4/6, not the mean of 3/4 and 1/2.
    m = M.Accuracy()
    m.update_state([1, 1, 1, 0], [1, 1, 1, 1])
    m.update_state([1, 0], [1, 1])
    assert float(m.result()) == pytest.approx(4 / 6)
    b = M.BinaryAccuracy()
    b.update_state([1.0, 1.0, 1.0, 0.0], [0.9, 0.8, 0.7, 0.6])
    b.update_state([1.0, 0.0], [0.9, 0.9])
    assert float(b.result()) == pytest.approx(4 / 6)
    b.reset_state()
    b.update_state([1.0, 1.0, 1.0, 0.0], [0.9, 0.8, 0.7, 0.6], sample_weight=[1, 1, 1, 2])
    b.update_state([1.0, 0.0], [0.9, 0.9], sample_weight=[3, 1])
    assert float(b.result()) == pytest.approx(6 / 9)
    # Keras 3's functions are elementwise: the mean is taken by the metric.
    np.testing.assert_array_equal(M.accuracy([[1, 2]], [[1, 3]]).numpy(), [[1.0, 0.0]])
    np.testing.assert_array_equal(M.binary_accuracy([1.0, 0.0], [0.7, 0.6]).numpy(),
                                  [1.0, 0.0])


MEAN_METRICS_SPLIT = [
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanSquaredError",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
    "LogCoshError", "CosineSimilarity", "RootMeanSquaredError", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
]


@pytest.mark.parametrize("name", MEAN_METRICS_SPLIT)
def test_mean_metrics_over_uneven_updates_equal_one_update(name):
    rng = _rng()
    t = (rng.random((7, 3)) > 0.5).astype(np.float32)
    p = rng.uniform(0.05, 0.95, size=(7, 3)).astype(np.float32)
    if name == "Accuracy":
        t, p = t.astype(np.int32), (p > 0.5).astype(np.int32)
    if name.startswith("Sparse"):
        t = rng.integers(0, 3, size=7)
    w = rng.uniform(0.1, 2.0, size=7).astype(np.float32)
    kwargs = {"k": 2} if "TopK" in name else {}
    for sw in (None, w):
        split, whole = getattr(M, name)(**kwargs), getattr(M, name)(**kwargs)
        for lo, hi in ((0, 5), (5, 7)):
            split.update_state(t[lo:hi], p[lo:hi],
                               sample_weight=None if sw is None else sw[lo:hi])
        whole.update_state(t, p, sample_weight=sw)
        np.testing.assert_allclose(split.result().numpy(), whole.result().numpy(),
                                   rtol=1e-5, err_msg=name)


def test_evaluate_with_partial_last_batch_is_the_per_sample_mean():
    from ember import keras
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = (rng.random(10) > 0.5).astype(np.float32)
    sw = rng.uniform(0.1, 1.0, size=10).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mse", "mae"],
                  weighted_metrics=[M.BinaryAccuracy(name="wacc")])
    p = model.predict(x, verbose=0)[:, 0].astype(np.float64)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    right = ((p > 0.5) == y)
    for run_eagerly in (False, True):
        model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mse", "mae"],
                      weighted_metrics=[M.BinaryAccuracy(name="wacc")],
                      run_eagerly=run_eagerly)
        logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
        np.testing.assert_allclose(logs["loss"], bce.mean(), rtol=1e-5)
        np.testing.assert_allclose(logs["accuracy"], right.mean(), rtol=1e-6)
        np.testing.assert_allclose(logs["mse"], np.mean((y - p) ** 2), rtol=1e-5)
        np.testing.assert_allclose(logs["mae"], np.mean(np.abs(y - p)), rtol=1e-5)
        logs = model.evaluate(x, y, sample_weight=sw, batch_size=4, verbose=0,
                              return_dict=True)
        np.testing.assert_allclose(logs["wacc"], np.sum(right * sw) / sw.sum(), rtol=1e-5)
        # Keras's loss: each batch's weighted sum over its size, then averaged per sample
        np.testing.assert_allclose(logs["loss"], np.mean(bce * sw), rtol=1e-5)
