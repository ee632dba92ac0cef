"""CTC: tf.nn.ctc_loss (and its gradient), the greedy and beam-search decoders,
keras.ops.ctc_loss / ctc_decode and keras.losses.CTC against real TensorFlow/Keras
fixtures (tests/fixtures/ctc/make_fixtures.py), plus numerical gradient checks."""
import itertools
import os

import numpy as np
import pytest

import ember
import ember.compat.v1 as v1
from ember import keras
from ember.keras import ops

F = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "ctc", "ctc.npz"))
WEIGHTS = ember.constant([1.0, 2.0, 0.5])


def _dense(st):
    return ember.sparse.to_dense(st, default_value=-1).numpy()


def _brute_force_loss(logits, labels, blank):
    """-log of the summed probability of every frame path that collapses to labels."""
    T, C = logits.shape
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        out = [c for i, c in enumerate(path) if c != blank and (i == 0 or path[i - 1] != c)]
        if out == list(labels):
            total += np.prod([p[t, c] for t, c in enumerate(path)])
    return -np.log(total)


@pytest.mark.parametrize("key,blank", [("blank0", 0), ("blankm1", -1), ("blank3", 3)])
def test_ctc_loss_and_gradient_match_tensorflow(key, blank):
    x = ember.Variable(F["logits"])
    with ember.GradientTape() as tape:
        loss = ember.nn.ctc_loss(F[f"{key}_labels"], x, F["label_length"], F["logit_length"],
                                 blank_index=blank)
        total = ember.reduce_sum(loss * WEIGHTS)
    np.testing.assert_allclose(loss.numpy(), F[f"{key}_loss"], rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), F[f"{key}_grad"], atol=1e-5)


def test_ctc_loss_against_brute_force_enumeration():
    rs = np.random.RandomState(3)
    logits = rs.randn(4, 1, 3)
    for labels in ([1], [1, 1], [2, 1], []):
        got = ember.nn.ctc_loss([labels + [0] * (2 - len(labels))], logits, [len(labels)],
                                [4]).numpy()[0]
        np.testing.assert_allclose(got, _brute_force_loss(logits[:, 0], labels, 0),
                                   rtol=1e-10)


def test_ctc_loss_batch_major_sparse_labels_and_v1():
    batch_major = ember.nn.ctc_loss(F["labels"], np.transpose(F["logits"], (1, 0, 2)),
                                    F["label_length"], F["logit_length"],
                                    logits_time_major=False)
    np.testing.assert_allclose(batch_major.numpy(), F["batch_major_loss"], rtol=1e-5)
    sp = ember.sparse.SparseTensor(F["sparse_indices"], F["sparse_values"], F["sparse_shape"])
    got = ember.nn.ctc_loss(sp, F["logits"], None, F["logit_length"], blank_index=-1)
    np.testing.assert_allclose(got.numpy(), F["sparse_loss"], rtol=1e-5)
    got = v1.nn.ctc_loss(sp, F["logits"], sequence_length=F["logit_length"])
    np.testing.assert_allclose(got.numpy(), F["sparse_loss"], rtol=1e-5)
    # a label longer than its sequence: ignored on request (TF1), else infinite
    short = v1.nn.ctc_loss(sp, F["logits"], sequence_length=[7, 1, 3],
                           ignore_longer_outputs_than_inputs=True).numpy()
    assert short[1] == 0.0 and np.isfinite(short).all()
    assert np.isinf(v1.nn.ctc_loss(sp, F["logits"], sequence_length=[7, 1, 3]).numpy()[1])


def test_ctc_loss_numerical_gradient_and_traced():
    rs = np.random.RandomState(0)
    logits = rs.randn(5, 2, 4)
    labels = np.array([[1, 3, 3], [2, 0, 0]], np.int32)

    def f(x):
        return ember.nn.ctc_loss(labels, x, [3, 1], [5, 4], blank_index=0)

    theoretical, numerical = ember.test.compute_gradient(f, [logits])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-6)
    traced = ember.function(lambda x: f(x))
    np.testing.assert_allclose(traced(ember.constant(logits)).numpy(),
                               f(ember.constant(logits)).numpy(), rtol=1e-12)
    # an empty label: the loss is minus the blank's log probability over the frames
    lp = logits[:, 0] - np.log(np.exp(logits[:, 0]).sum(1, keepdims=True))
    got = ember.nn.ctc_loss([[0]], logits[:, :1], [0], [5]).numpy()[0]
    np.testing.assert_allclose(got, -lp[:, 0].sum(), rtol=1e-10)


def test_ctc_loss_float16_and_errors():
    loss = ember.nn.ctc_loss(F["labels"], ember.cast(F["logits"], "float16"),
                             F["label_length"], F["logit_length"])
    assert loss.dtype == ember.float16
    np.testing.assert_allclose(loss.numpy().astype("float32"), F["blank0_loss"], rtol=2e-3)
    with pytest.raises(ember.errors.InvalidArgumentError, match="blank"):
        ember.nn.ctc_loss([[0, 1]], F["logits"][:, :1], [2], [7])
    with pytest.raises(ember.errors.InvalidArgumentError, match="label_length"):
        ember.nn.ctc_loss([[1, 2]], F["logits"][:, :1], [3], [7])
    with pytest.raises(ember.errors.InvalidArgumentError, match="logit_length"):
        ember.nn.ctc_loss([[1, 2]], F["logits"][:, :1], [2], [9])
    with pytest.raises(ValueError, match="label_length"):
        ember.nn.ctc_loss([[1, 2]], F["logits"][:, :1], None, [7])


@pytest.mark.parametrize("key,kw", [("greedy", {}),
                                    ("greedy_nomerge", {"merge_repeated": False}),
                                    ("greedy_blank0", {"blank_index": 0})])
def test_greedy_decoder_matches_tensorflow(key, kw):
    decoded, score = ember.nn.ctc_greedy_decoder(F["logits"], [7, 5, 3], **kw)
    assert decoded[0].values.dtype == ember.int64
    np.testing.assert_array_equal(_dense(decoded[0]), F[f"{key}_decoded"])
    np.testing.assert_allclose(score.numpy(), F[f"{key}_score"], rtol=1e-6)


@pytest.mark.parametrize("beam_width,top_paths", [(1, 1), (3, 2), (10, 3)])
def test_beam_search_decoder_matches_tensorflow(beam_width, top_paths):
    decoded, log_prob = ember.nn.ctc_beam_search_decoder(
        F["beam_logits"], F["beam_seq"], beam_width=beam_width, top_paths=top_paths)
    assert len(decoded) == top_paths
    for k in range(top_paths):
        np.testing.assert_array_equal(_dense(decoded[k]),
                                      F[f"beam_{beam_width}_{top_paths}_decoded{k}"])
    np.testing.assert_allclose(log_prob.numpy(), F[f"beam_{beam_width}_{top_paths}_logp"],
                               rtol=1e-5)


def test_v1_beam_search_merges_repeats_and_bad_arguments():
    decoded, log_prob = v1.nn.ctc_beam_search_decoder(F["beam_logits"], F["beam_seq"],
                                                      beam_width=10, top_paths=2)
    for k in range(2):
        np.testing.assert_array_equal(_dense(decoded[k]), F[f"beam_merge_decoded{k}"])
    np.testing.assert_allclose(log_prob.numpy(), F["beam_merge_logp"], rtol=1e-5)
    with pytest.raises(ValueError, match="top_paths"):
        ember.nn.ctc_beam_search_decoder(F["beam_logits"], F["beam_seq"], beam_width=2,
                                         top_paths=3)
    with pytest.raises(ember.errors.InvalidArgumentError, match="sequence_length"):
        ember.nn.ctc_greedy_decoder(F["beam_logits"], [9, 1, 1, 1])


def test_keras_ops_ctc_loss_and_decode_match_keras():
    ylog = np.transpose(F["logits"], (1, 0, 2))
    got = ops.ctc_loss(F["labels"], ylog, F["label_length"], F["logit_length"])
    np.testing.assert_allclose(got.numpy(), F["keras_ctc_loss"], rtol=1e-5)
    for strategy, kw in (("greedy", {}), ("greedy_nomerge", {"merge_repeated": False}),
                         ("beam_search", {"beam_width": 4, "top_paths": 2}),
                         ("greedy_mask2", {"mask_index": 2}),
                         ("beam_search_mask2", {"beam_width": 4, "mask_index": 2})):
        name = strategy.split("_no")[0].replace("_mask2", "")
        decoded, scores = ops.ctc_decode(ylog, [7, 5, 3], strategy=name, **kw)
        assert decoded.dtype == ember.int32
        np.testing.assert_array_equal(decoded.numpy(), F[f"keras_decode_{strategy}"])
        np.testing.assert_allclose(scores.numpy(), F[f"keras_decode_{strategy}_scores"],
                                   rtol=1e-5)
    with pytest.raises(ValueError, match="strategy"):
        ops.ctc_decode(ylog, [7, 5, 3], strategy="best")


def test_keras_ctc_loss_matches_keras_and_trains():
    ylog = np.transpose(F["logits"], (1, 0, 2))
    np.testing.assert_allclose(keras.losses.CTC()(F["keras_ytrue"], ylog).numpy(),
                               F["keras_losses_ctc"], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.CTC(reduction=None)(F["keras_ytrue"], ylog),
                               F["keras_losses_ctc_none"], rtol=1e-5)
    assert keras.losses.get("ctc") is keras.losses.ctc
    cfg = keras.losses.CTC(name="c").get_config()
    assert keras.losses.CTC.from_config(cfg).name == "c"
    with pytest.raises(ValueError, match="y_true"):
        keras.losses.ctc(np.zeros((2, 3, 1)), ylog)
    # a tiny per-frame model (frames one-hot, plus noise) learns to emit "1 2" over 6
    keras.utils.set_random_seed(0)
    x = (np.eye(6)[None] + 0.1 * np.random.RandomState(0).randn(16, 6, 6)).astype("float32")
    y = np.tile(np.array([[1, 2]], "int32"), (16, 1))
    model = keras.Sequential([keras.Input((6, 6)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.05), loss=keras.losses.CTC())
    hist = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < 0.3 * hist.history["loss"][0]
    decoded, _ = ops.ctc_decode(model.predict(x[:2], verbose=0), [6, 6])
    np.testing.assert_array_equal(decoded.numpy()[0, :, :2], [[1, 2], [1, 2]])


def test_docstring_examples():
    from ember.keras import ctc_losses
    from ember.ops import ctc_ops
    from tests.docexamples import run_examples
    for module in (ctc_ops, ctc_losses):
        failed, attempted = run_examples(module, {"ember": ember, "np": np})
        assert attempted and not failed
