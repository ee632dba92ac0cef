"""RNNSequence: numerical gradient checks (float64) of every cell in every mode, and
eager == traced agreement."""
import itertools

import numpy as np
import pytest

import ember
from ember.engine.gradient_checker import compute_gradient
from ember.ops import rnn_ops
from ember.ops.rnn_ops import _GATES, rnn_sequence
from ember.runtime import parallel, tuning

B, T, D, U = 2, 4, 3, 2
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)


def _case(cell, seed):
    rng = np.random.default_rng(seed)
    g = _GATES[cell] * U
    return dict(
        x=rng.standard_normal((B, T, D)), h0=rng.standard_normal((B, U)) * 0.5,
        c0=rng.standard_normal((B, U)) * 0.5, W=rng.standard_normal((D, g)) * 0.5,
        R=rng.standard_normal((U, g)) * 0.5,
        b=rng.standard_normal((2, g) if cell == "gru" else (g,)) * 0.3,
        rm=rng.random((B, U)), wseq=rng.standard_normal((B, T, U)),
        wlast=rng.standard_normal((B, U)))


MODES = [m for m in itertools.product(["lstm", "gru", "gru_v1", "simple"], [False, True],
                                      [False, True], [False, True], [False, True])
         if not (m[3] and not m[1])]


@pytest.fixture(params=["rows", "pipeline", "pipeline3"])
def split_rows(request, monkeypatch):
    """Even for these tiny shapes, several threads: the batch rows shared out across three
    threads ("rows"), or the steps in the caller while the other thread (two others:
    "pipeline3") does the products in runs of one step ("pipeline")."""
    requested = parallel.requested_threads()
    monkeypatch.setattr(tuning, "RNN_CHUNK_ROWS", 1)
    if request.param == "rows":
        monkeypatch.setattr(tuning, "RNN_ROW_SPLIT_ELEMENTS", 1)
        parallel.set_num_threads(3)
    else:
        monkeypatch.setattr(tuning, "RNN_ROW_SPLIT_ELEMENTS", 1 << 40)
        monkeypatch.setattr(tuning, "RNN_SPLIT_MACS", 1)
        parallel.set_num_threads(3 if request.param == "pipeline3" else 2)
    yield request.param
    parallel.set_num_threads(requested)


@pytest.mark.parametrize("cell,masked,backwards,zero_output,rdrop", MODES)
def test_gradients_numerically(cell, masked, backwards, zero_output, rdrop):
    c = _case(cell, len(cell) + 2 * masked + 3 * backwards)
    mask = ember.constant(MASK) if masked else None
    rm = ember.constant(c["rm"]) if rdrop else None
    act = "relu" if cell == "simple" and backwards else "tanh"

    def f(x, h0, c0, W, R, b):
        states = [h0, c0] if cell == "lstm" else [h0]
        seq, last, final = rnn_sequence(cell, x, states, W, R, b, mask=mask,
                                        recurrent_mask=rm, go_backwards=backwards,
                                        zero_output=zero_output, activation=act)
        out = ember.reduce_sum(seq * c["wseq"]) + ember.reduce_sum(last * c["wlast"])
        for s in final:
            out = out + ember.reduce_sum(s * s)
        return out
    theo, num = compute_gradient(f, [c[k] for k in ("x", "h0", "c0", "W", "R", "b")])
    for t, n in zip(theo, num):
        np.testing.assert_allclose(t, n, rtol=1e-5, atol=1e-5)


def _outputs_and_gradients(cell, masked, backwards, zero_output, rdrop, batch=7):
    """Forward outputs and every input's gradient of a weighted sum of the outputs."""
    rng = np.random.default_rng(3)
    g = _GATES[cell] * U
    f32 = lambda *shape: ember.constant(rng.standard_normal(shape).astype("float32"))  # noqa
    x, h0, c0, W, R = f32(batch, T, D), f32(batch, U), f32(batch, U), f32(D, g), f32(U, g)
    b = f32(2, g) if cell == "gru" else f32(g)
    mask = ember.constant(rng.random((batch, T)) < 0.7) if masked else None
    rm = ember.constant(rng.random((batch, U)).astype("float32")) if rdrop else None
    wseq, wlast = f32(batch, T, U), f32(batch, U)
    args = [x, h0, c0, W, R, b]
    with ember.GradientTape() as tape:
        tape.watch(args)
        states = [h0, c0] if cell == "lstm" else [h0]
        seq, last, final = rnn_sequence(cell, x, states, W, R, b, mask=mask,
                                        recurrent_mask=rm, go_backwards=backwards,
                                        zero_output=zero_output)
        loss = ember.reduce_sum(seq * wseq) + ember.reduce_sum(last * wlast)
        for s in final:
            loss = loss + ember.reduce_sum(s * s)
    grads = tape.gradient(loss, args if cell == "lstm" else [a for a in args if a is not c0])
    return [t.numpy() for t in [seq, last, *final, *grads]]


@pytest.mark.parametrize("cell,masked,backwards,zero_output,rdrop", MODES)
def test_batch_rows_on_threads_equal_one_thread(split_rows, cell, masked, backwards,
                                                zero_output, rdrop):
    """The work shared out across threads (the batch split in rows, each thread running
    every step on its rows; or the steps in one thread and the products in the other)
    gives the outputs and gradients of the whole batch in one thread."""
    mode = (cell, masked, backwards, zero_output, rdrop)
    split = _outputs_and_gradients(*mode)
    parallel.set_num_threads(1)
    whole = _outputs_and_gradients(*mode)
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_gradients_numerically_with_batch_rows_on_threads(split_rows):
    test_gradients_numerically("lstm", True, False, False, True)
    test_gradients_numerically("gru", True, True, True, False)


def _numpy_lstm(x, h, c, W, R, b):
    sig = lambda z: 1 / (1 + np.exp(-z))   # noqa: E731
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W + h @ R + b
        i, f, g, o = np.split(z, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), h, c


def test_lstm_forward_against_numpy_eager_and_traced():
    c = _case("lstm", 0)
    args = [np.asarray(c[k], np.float32) for k in ("x", "h0", "c0", "W", "R", "b")]
    ref_seq, ref_h, ref_c = _numpy_lstm(*args)
    seq, last, (h, cc) = rnn_sequence("lstm", args[0], args[1:3], *args[3:])
    np.testing.assert_allclose(seq.numpy(), ref_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last.numpy(), ref_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cc.numpy(), ref_c, rtol=1e-5, atol=1e-6)

    @ember.function
    def traced(x, W):
        with ember.GradientTape() as tape:
            tape.watch(W)
            s, _, _ = rnn_sequence("lstm", x, args[1:3], W, *args[4:])
            loss = ember.reduce_sum(s)
        return s, tape.gradient(loss, W)
    s2, g2 = traced(ember.constant(args[0]), ember.constant(args[3]))
    W = ember.constant(args[3])
    with ember.GradientTape() as tape:
        tape.watch(W)
        loss = ember.reduce_sum(rnn_sequence("lstm", args[0], args[1:3], W, *args[4:])[0])
    np.testing.assert_allclose(s2.numpy(), ref_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g2.numpy(), tape.gradient(loss, W).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        rnn_sequence("lstmx", np.zeros((1, 2, 3), "float32"), [], None, None, None)
    with pytest.raises(ValueError, match="activation"):
        rnn_sequence("simple", np.zeros((1, 2, 3), "float32"), [np.zeros((1, 2), "float32")],
                     np.zeros((3, 2), "float32"), np.zeros((2, 2), "float32"),
                     np.zeros((2,), "float32"), activation="softplus")


@pytest.mark.parametrize("name", ["lstm_mask", "lstm_back_state", "lstm_hard_sigmoid",
                                  "gru_seq_mask", "gru_back_state", "gru_v1_mask"])
def test_keras_fixtures_with_batch_rows_on_threads(split_rows, name):
    """Real Keras's outputs and gradients (rtol 1e-4) with each batch row on a thread."""
    from tests.keras.test_sequence_vs_keras import test_layer_equals_keras
    test_layer_equals_keras(name)


@pytest.mark.parametrize("cell", ["lstm", "gru", "gru_v1", "simple"])
def test_rows_are_independent_for_every_batch_size(cell):
    """Each sequence's outputs are the same alone (batch 1), among a few (batch 3) and in a
    larger batch (20): the input projection takes a different path for each."""
    rng = np.random.default_rng(5)
    g = _GATES[cell] * U
    x = rng.standard_normal((20, T, D)).astype("float32")
    h0 = rng.standard_normal((20, U)).astype("float32")
    W, R = (rng.standard_normal(s).astype("float32") for s in ((D, g), (U, g)))
    b = rng.standard_normal((2, g) if cell == "gru" else (g,)).astype("float32")

    def run(rows):
        states = [h0[rows], h0[rows] * 0.5] if cell == "lstm" else [h0[rows]]
        seq, _, final = rnn_sequence(cell, x[rows], states, W, R, b)
        return [seq.numpy()] + [s.numpy() for s in final]
    whole = run(slice(0, 20))
    for rows in (slice(0, 1), slice(4, 7), slice(19, 20)):
        for part, ref in zip(run(rows), whole):
            np.testing.assert_allclose(part, ref[rows], rtol=1e-5, atol=1e-6)
