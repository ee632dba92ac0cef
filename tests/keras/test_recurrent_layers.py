"""Recurrent layers in use: masking against unpadded runs, generic cells against the fused
op, stateful layers, configs, errors, and small models that learn."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import layers
from tests.keras.layer_test_utils import run_layer_test


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, return_sequences=True),
    lambda: layers.GRU(3, return_sequences=True),
    lambda: layers.GRU(3, return_sequences=True, reset_after=False),
    lambda: layers.SimpleRNN(3, return_sequences=True),
])
def test_padded_masked_batch_equals_unpadded_sequences(make):
    keras.utils.set_random_seed(1)
    seqs = [[3, 1, 4, 1, 5], [9, 2], [6, 5, 3]]
    padded = keras.utils.pad_sequences(seqs, padding="post")
    emb = layers.Embedding(10, 4, mask_zero=True)
    rnn = make()
    out = rnn(emb(padded)).numpy()
    last_layer = make()
    last_layer(emb(padded))
    last_layer.set_weights(rnn.get_weights())
    last_layer.return_sequences = False
    last = last_layer(emb(padded)).numpy()
    for i, s in enumerate(seqs):
        alone = rnn(emb(np.array([s]))).numpy()[0]
        np.testing.assert_allclose(out[i, :len(s)], alone, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(last[i], alone[-1], rtol=1e-5, atol=1e-6)


def test_bidirectional_masked_equals_unpadded():
    keras.utils.set_random_seed(2)
    seqs = [[3, 1, 4], [9, 2, 7, 7, 1]]
    padded = keras.utils.pad_sequences(seqs, padding="post")
    emb = layers.Embedding(10, 4, mask_zero=True)
    bi = layers.Bidirectional(layers.GRU(3, return_sequences=True))
    out = bi(emb(padded))
    assert out._keras_mask is not None
    for i, s in enumerate(seqs):
        alone = bi(emb(np.array([s]))).numpy()[0]
        np.testing.assert_allclose(out.numpy()[i, :len(s)], alone, rtol=1e-5, atol=1e-6)


class MinimalRNNCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs, states):
        h = ember.tanh(ember.matmul(inputs, self.kernel) + self.bias +
                       ember.matmul(states[0], self.recurrent_kernel))
        return h, [h]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_custom_cell_loop_equals_fused_simple_rnn(go_backwards):
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    custom = layers.RNN(MinimalRNNCell(4), return_sequences=True, go_backwards=go_backwards)
    fused = layers.SimpleRNN(4, return_sequences=True, go_backwards=go_backwards)
    custom(x)
    fused(x)
    fused.set_weights(custom.get_weights())
    np.testing.assert_allclose(custom(x, mask=mask).numpy(), fused(x, mask=mask).numpy(),
                               rtol=1e-5, atol=1e-6)
    xt = ember.constant(x)
    grads = []
    for layer in (custom, fused):
        with ember.GradientTape() as tape:
            tape.watch(xt)
            loss = ember.reduce_sum(layer(xt, mask=mask) ** 2)
        grads.append(tape.gradient(loss, [xt] + layer.trainable_weights))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


def test_custom_cell_traced_and_stacked_cells():
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype("float32")
    layer = layers.RNN([MinimalRNNCell(4), layers.LSTMCell(2)], return_state=True)
    out, s1, s2, s3 = layer(x)
    assert out.shape == (2, 2) and s1.shape == (2, 4) and s3.shape == (2, 2)
    traced = ember.function(lambda t: layer(t)[0])
    np.testing.assert_allclose(traced(ember.constant(x)).numpy(), out.numpy(), rtol=1e-6)


def test_weights_layout_and_initializers_like_keras():
    lstm = layers.LSTM(4)
    lstm(np.zeros((1, 2, 3), "float32"))
    k, r, b = lstm.get_weights()
    assert k.shape == (3, 16) and r.shape == (4, 16) and b.shape == (16,)
    np.testing.assert_array_equal(b, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-5)      # orthogonal rows
    gru = layers.GRU(4, reset_after=False)
    gru(np.zeros((1, 2, 3), "float32"))
    assert [w.shape for w in gru.get_weights()] == [(3, 12), (4, 12), (12,)]


@pytest.mark.parametrize("cls,kwargs", [
    (layers.LSTM, {"units": 3, "return_sequences": True}),
    (layers.GRU, {"units": 3, "reset_after": False}),
    (layers.SimpleRNN, {"units": 3, "go_backwards": True}),
])
def test_run_layer_test(cls, kwargs):
    run_layer_test(cls, kwargs, input_shape=(2, 4, 3), run_saving_check=False,
                   training_epochs=3)


def test_configs_round_trip():
    for layer in (layers.LSTM(3, dropout=0.1, recurrent_dropout=0.2, unit_forget_bias=False,
                              return_state=True, go_backwards=True),
                  layers.GRU(2, reset_after=False, activation="relu"),
                  layers.RNN(layers.LSTMCell(2), zero_output_for_mask=True),
                  layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)]),
                  layers.Bidirectional(layers.LSTM(2), merge_mode="ave"),
                  layers.TimeDistributed(layers.Dense(2)),
                  layers.MultiHeadAttention(2, 3, attention_axes=(1,), dropout=0.1),
                  layers.Attention(use_scale=True, score_mode="concat"),
                  layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c"),
                  layers.RMSNormalization(epsilon=1e-5), layers.UnitNormalization(axis=1),
                  layers.ConvLSTM2D(2, 3, padding="same", strides=1, return_sequences=True)):
        cfg = layer.get_config()
        again = layer.__class__.from_config(cfg)
        assert again.get_config() == cfg, type(layer).__name__


def test_stateful_lstm_and_reset_states():
    x = np.random.default_rng(3).standard_normal((2, 6, 3)).astype("float32")
    full = layers.LSTM(4)
    full(x)
    inp = keras.Input(batch_shape=(2, 3, 3))
    stateful = layers.LSTM(4, stateful=True)
    model = keras.Model(inp, stateful(inp))
    stateful.set_weights(full.get_weights())
    model(x[:, :3])
    second = model(x[:, 3:]).numpy()
    np.testing.assert_allclose(second, full(x).numpy(), rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(model(x[:, :3]).numpy(), full(x[:, :3]).numpy(), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="fixed batch size"):
        layers.LSTM(2, stateful=True)(keras.Input((3, 3)))


def test_initial_state_return_state_and_time_major():
    x = np.random.default_rng(4).standard_normal((2, 5, 3)).astype("float32")
    lstm = layers.LSTM(4, return_state=True)
    out, h, c = lstm(x)
    np.testing.assert_allclose(out.numpy(), h.numpy())
    cont = layers.LSTM(4)
    cont(x)
    cont.set_weights(lstm.get_weights())
    out2 = cont(x[:, 3:], initial_state=[lstm(x[:, :3])[1], lstm(x[:, :3])[2]])
    np.testing.assert_allclose(out2.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
    tm = layers.GRU(4, time_major=True, return_sequences=True)
    bm = layers.GRU(4, return_sequences=True)
    tm(np.transpose(x, (1, 0, 2)))
    bm(x)
    tm.set_weights(bm.get_weights())
    np.testing.assert_allclose(tm(np.transpose(x, (1, 0, 2))).numpy().transpose(1, 0, 2),
                               bm(x).numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_and_recurrent_dropout():
    keras.utils.set_random_seed(5)
    x = np.ones((4, 5, 3), "float32")
    for cls in (layers.LSTM, layers.GRU, layers.SimpleRNN):
        layer = cls(4, dropout=0.5, recurrent_dropout=0.5)
        a = layer(x, training=True).numpy()
        b = layer(x, training=True).numpy()
        assert not np.allclose(a, b)
        np.testing.assert_allclose(layer(x).numpy(), layer(x).numpy())
        xt = ember.constant(x)
        with ember.GradientTape() as tape:
            loss = ember.reduce_sum(layer(xt, training=True))
        assert all(np.isfinite(g.numpy()).all()
                   for g in tape.gradient(loss, layer.trainable_weights))


def test_clear_errors_name_the_layer():
    with pytest.raises(ValueError, match="my_lstm"):
        layers.LSTM(2, name="my_lstm")(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="my_gru.*mask"):
        layers.GRU(2, name="my_gru")(np.zeros((2, 3, 4), "float32"),
                                     mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="mha.*mask"):
        layers.MultiHeadAttention(2, 2, name="mha")(
            np.zeros((2, 3, 4), "float32"), np.zeros((2, 5, 4), "float32"),
            attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match="att.*mask"):
        layers.Attention(name="att")([np.zeros((2, 3, 4), "float32"),
                                      np.zeros((2, 5, 4), "float32")],
                                     mask=[None, np.ones((2, 4), bool)])


def _token_task(n, maxlen, vocab, seed):
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for _ in range(n):
        length = rng.integers(3, maxlen + 1)
        s = rng.integers(3, vocab, size=length)
        label = int(rng.random() < 0.5)
        if label:
            s[rng.integers(0, length)] = 1        # the marker token
        seqs.append(list(s))
        labels.append(label)
    return keras.utils.pad_sequences(seqs, maxlen=maxlen, padding="post"), \
        np.array(labels, "float32")[:, None]


def test_text_classifier_learns():
    keras.utils.set_random_seed(0)
    x, y = _token_task(256, 10, 12, 0)
    model = keras.Sequential([keras.Input((10,), dtype="int32"),
                              layers.Embedding(12, 8, mask_zero=True), layers.LSTM(16),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=12, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.85


def test_bidirectional_gru_tagger_trains():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.integers(1, 9, size=(128, 8))
    y = (np.roll(x, 1, axis=1) > 4).astype("float32")[..., None]    # depends on the neighbour
    y[:, 0] = 0
    model = keras.Sequential([keras.Input((8,), dtype="int32"), layers.Embedding(9, 8),
                              layers.Bidirectional(layers.GRU(8, return_sequences=True)),
                              layers.TimeDistributed(layers.Dense(1, activation="sigmoid"))])
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    hist = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


class PositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab, dim, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab, dim)
        self.pos = layers.Embedding(maxlen, dim)

    def call(self, x):
        positions = ember.range(ember.shape(x)[-1])
        return self.tok(x) + self.pos(positions)


def test_transformer_encoder_classifier_trains():
    keras.utils.set_random_seed(2)
    x, y = _token_task(192, 10, 12, 2)
    inp = keras.Input((10,), dtype="int32")
    h = PositionEmbedding(10, 12, 16)(inp)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    h = layers.LayerNormalization()(layers.Add()([h, att]))
    ff = layers.Dense(16)(layers.Dense(32, activation="relu")(h))
    h = layers.LayerNormalization()(layers.Add()([h, ff]))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    hist = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]


def test_compiled_fit_step_equals_eager_step():
    x, y = _token_task(32, 6, 8, 3)
    weights = None
    results = []
    for eager in (True, False):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((6,), dtype="int32"),
                                  layers.Embedding(8, 4, mask_zero=True),
                                  layers.GRU(5), layers.Dense(1)])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile("sgd", "mse", run_eagerly=eager)
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mha_keras_masks_from_embedding_equal_unpadded():
    keras.utils.set_random_seed(6)
    emb = layers.Embedding(10, 4, mask_zero=True)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    padded = np.array([[4, 5, 6, 0, 0]])
    h = emb(padded)
    out = mha(h, h)
    alone = mha(emb(padded[:, :3]), emb(padded[:, :3]))
    np.testing.assert_allclose(out.numpy()[:, :3], alone.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out._keras_mask.numpy(), padded != 0)


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, return_sequences=True, go_backwards=True),
    lambda: layers.LSTM(3, return_sequences=True, recurrent_activation="hard_sigmoid"),
    lambda: layers.GRU(3, return_sequences=True),
    lambda: layers.GRU(3, return_sequences=True, reset_after=False, go_backwards=True),
    lambda: layers.SimpleRNN(3, return_sequences=True, activation="relu"),
])
def test_cells_step_loop_equals_fused_op(make):
    """The cells' own call (used for other activations and in custom RNNs) against the op."""
    layer = make()
    x = ember.constant(np.random.default_rng(7).standard_normal((2, 5, 4)).astype("float32"))
    mask = ember.constant(np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool))
    fused = layer(x, mask=mask)
    states = layer.get_initial_state(2)
    stepped, _, _ = layer._run_steps(x, states, layer._check_mask(x, mask), False)
    np.testing.assert_allclose(stepped.numpy(), fused.numpy(), rtol=1e-5, atol=1e-6)


def test_sequence_model_file_round_trip(tmp_path):
    """A .keras file of a model with every sequence layer family loads to the same
    predictions (MHA rebuilds from Keras's shapes_dict build config)."""
    keras.utils.set_random_seed(8)
    inp = keras.Input((6,), dtype="int32")
    h = layers.Embedding(20, 8, mask_zero=True)(inp)
    h = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(h)
    h = layers.LayerNormalization()(layers.Add()([h, layers.MultiHeadAttention(2, 3)(h, h)]))
    h = layers.GRU(5, reset_after=False, return_sequences=True)(h)
    out = layers.Dense(1)(layers.SimpleRNN(3)(h))
    model = keras.Model(inp, out)
    x = np.array([[1, 2, 3, 4, 0, 0], [5, 6, 7, 8, 9, 1]])
    path = str(tmp_path / "seq.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-7)
    mha = [l for l in again.layers if isinstance(l, layers.MultiHeadAttention)][0]
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": [None, 6, 8],
                                                      "value_shape": [None, 6, 8]}}
