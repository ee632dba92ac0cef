"""Embedding, Masking and mask propagation (Sequential, functional, subclassed, losses)."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.framework.errors import InvalidArgumentError
from ember.engine.gradient_checker import compute_gradient
from tests.keras.layer_test_utils import run_layer_test


def test_embedding_layer_test_and_values():
    ids = np.array([[1, 2, 0], [3, 3, 4]], dtype="int32")
    res = run_layer_test(keras.layers.Embedding, {"input_dim": 5, "output_dim": 3},
                         input_data=ids, expected_output_shape=(2, 3, 3),
                         expected_num_trainable_weights=1, supports_training=False)
    layer = res["layer"]
    np.testing.assert_allclose(res["output"].numpy(), layer.embeddings.numpy()[ids])
    assert layer.embeddings.shape == (5, 3)


def test_embedding_gradient_sums_repeated_rows():
    table = np.random.default_rng(0).standard_normal((6, 2))
    ids = ember.constant([[1, 1, 5], [0, 1, 2]])
    fn = lambda t: ember.ops.embedding_ops.embedding_lookup_checked(t, ids) ** 2
    theo, num = compute_gradient(fn, [table])
    np.testing.assert_allclose(theo[0], num[0], rtol=1e-6, atol=1e-6)
    t = ember.constant(np.zeros((6, 2), "float32"))
    with ember.GradientTape() as tape:
        tape.watch(t)
        y = ember.reduce_sum(ember.ops.embedding_ops.embedding_lookup_checked(t, ids))
    g = tape.gradient(y, t)
    assert isinstance(g, ember.IndexedSlices)
    np.testing.assert_array_equal(ember.convert_to_tensor(g).numpy()[:, 0], [1, 3, 1, 0, 0, 1])


def test_embedding_bad_ids_name_layer_eager_and_fit():
    layer = keras.layers.Embedding(10, 2, name="tok_emb")
    for bad in ([[1, 10]], [[-1, 2]]):
        with pytest.raises(InvalidArgumentError, match="tok_emb.*input_dim=10"):
            layer(np.array(bad))
    model = keras.Sequential([keras.layers.Embedding(10, 2, name="emb2"),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(InvalidArgumentError, match="emb2"):
        model.fit(np.array([[1, 12]]), np.ones((1, 1)), verbose=0)


def test_embedding_config_and_input_length():
    layer = keras.layers.Embedding(7, 3, mask_zero=True, input_length=4)
    cfg = layer.get_config()
    assert cfg["mask_zero"] and cfg["input_dim"] == 7 and cfg["input_length"] == 4
    again = keras.layers.Embedding.from_config(cfg)
    assert again.mask_zero and again.output_dim == 3
    model = keras.Sequential([keras.layers.Embedding(7, 3, input_length=4)])
    assert model.output_shape == (None, 4, 3)


def test_mask_zero_propagates_and_pooling_honours_it():
    emb = keras.layers.Embedding(5, 2, mask_zero=True)
    ids = np.array([[1, 2, 0, 0]])
    out = emb(ids)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, True, False, False]])
    pooled = keras.layers.GlobalAveragePooling1D()(out)
    np.testing.assert_allclose(pooled.numpy(), out.numpy()[:, :2].mean(1), rtol=1e-6)
    mx = keras.layers.GlobalMaxPooling1D()(out)
    np.testing.assert_allclose(mx.numpy(), out.numpy()[:, :2].max(1), rtol=1e-6)
    dense = keras.layers.Dense(3)(out)      # Dense passes the mask on
    np.testing.assert_array_equal(dense._keras_mask.numpy(), out._keras_mask.numpy())


def test_masking_layer():
    x = np.array([[[1., 2.], [0., 0.], [3., 0.]]], dtype="float32")
    out = keras.layers.Masking()(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    x2 = x.copy()
    x2[0, 1] = 7.
    out2 = keras.layers.Masking(mask_value=7.)(x2)
    np.testing.assert_allclose(out2.numpy()[0, 1], [0., 0.])
    assert keras.layers.Masking.from_config(
        keras.layers.Masking(mask_value=7.).get_config()).mask_value == 7.


class _Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.emb = keras.layers.Embedding(6, 3, mask_zero=True)
        self.pool = keras.layers.GlobalAveragePooling1D()

    def call(self, x):
        return self.pool(self.emb(x))


def test_mask_through_functional_and_subclassed_models():
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    inp = keras.Input((4,), dtype="int32")
    emb = keras.layers.Embedding(6, 3, mask_zero=True)
    model = keras.Model(inp, keras.layers.GlobalAveragePooling1D()(emb(inp)))
    table = emb.embeddings.numpy()
    expect = np.stack([table[[1, 2]].mean(0), table[[3]].mean(0)])
    np.testing.assert_allclose(model(ids).numpy(), expect, rtol=1e-6)
    np.testing.assert_allclose(model.predict(ids, verbose=0), expect, rtol=1e-6)
    sub = _Sub()
    out = sub(ids)
    table = sub.emb.embeddings.numpy()
    np.testing.assert_allclose(out.numpy()[1], table[3], rtol=1e-6)


def test_loss_and_metric_skip_masked_steps():
    y_pred = ember.constant([[[0.5], [9.0]]])
    y_pred._keras_mask = ember.constant([[True, False]])
    y_true = ember.constant([[[1.0], [0.0]]])
    loss = keras.losses.MeanSquaredError()(y_true, y_pred)
    np.testing.assert_allclose(loss.numpy(), 0.25, rtol=1e-6)
    m = keras.metrics.MeanAbsoluteError()
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result().numpy(), 0.5, rtol=1e-6)


def test_masked_sequence_loss_in_fit():
    """A per-step output whose padded steps would dominate the loss if counted."""
    ids = np.array([[1, 2, 0, 0]] * 8)
    y = np.zeros((8, 4, 1), "float32")
    y[:, 2:] = 100.0                   # targets at padded steps: ignored
    model = keras.Sequential([keras.layers.Embedding(4, 2, mask_zero=True),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    loss = model.evaluate(ids, y, verbose=0)
    out = model.predict(ids, verbose=0)
    np.testing.assert_allclose(loss, np.mean(out[:, :2] ** 2), rtol=1e-4)
