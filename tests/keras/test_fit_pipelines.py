"""fit/evaluate/predict on ember.data Datasets, Python generators, PyDataset and Sequence."""
import numpy as np
import pytest

import ember as tf
from ember import keras


def mnist_like(n=1200, seed=0):
    """Ten separable classes of 784-pixel 'images' (MNIST's shapes, no download)."""
    rng = np.random.default_rng(seed)
    centers = rng.random((10, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    x = centers[y] + 0.3 * rng.standard_normal((n, 784)).astype(np.float32)
    return x.astype(np.float32), y


def mlp():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                          keras.layers.Dense(10)])
    m.compile(keras.optimizers.Adam(1e-3),
              keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def test_mnist_mlp_trains_from_a_dataset_with_validation():
    x, y = mnist_like()
    train = tf.data.Dataset.from_tensor_slices((x[:1000], y[:1000])).shuffle(1000, seed=1) \
        .batch(64).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((x[1000:], y[1000:])).batch(50)
    m = mlp()
    hist = m.fit(train, epochs=3, validation_data=val, validation_steps=2, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.9
    loss, acc = m.evaluate(val, verbose=0)
    assert acc > 0.9
    np.testing.assert_allclose(m.predict(val, verbose=0), m.predict(x[1000:], verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_infinite_dataset_needs_steps_per_epoch():
    x, y = mnist_like(256)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32).repeat()
    m = mlp()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        m.fit(ds, epochs=1, verbose=0)
    hist = m.fit(ds, epochs=2, steps_per_epoch=5, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_sample_weights_from_dataset_elements():
    x, y = mnist_like(256)
    sw = np.zeros(256, np.float32)
    m = mlp()
    before = [w.numpy().copy() for w in m.trainable_variables]
    ds = tf.data.Dataset.from_tensor_slices((x, y, sw)).batch(64)
    m.fit(ds, epochs=1, verbose=0)
    for a, b in zip(before, m.trainable_variables):      # zero weights: nothing to learn
        np.testing.assert_allclose(a, b.numpy(), atol=1e-6)


def test_dict_inputs_from_dataset():
    x, y = mnist_like(128)
    inp = keras.Input((784,), name="pixels")
    out = keras.layers.Dense(10)(inp)
    m = keras.Model(inp, out)
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ds = tf.data.Dataset.from_tensor_slices(({"pixels": x}, y)).batch(32)
    hist = m.fit(ds, epochs=2, verbose=0)
    assert hist.history["loss"][1] < hist.history["loss"][0]


def test_generator_pydataset_and_sequence():
    x, y = mnist_like(256)

    def gen():
        for i in range(0, 256, 32):
            yield x[i:i + 32], y[i:i + 32]
    m = mlp()
    assert len(m.fit(gen(), epochs=1, verbose=0).history["loss"]) == 1

    class Batches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epochs_ended = 0

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

        def on_epoch_end(self):
            self.epochs_ended += 1
    for kwargs in ({}, {"workers": 2}, {"workers": 2, "use_multiprocessing": True}):
        data = Batches(max_queue_size=3, **kwargs)
        hist = mlp().fit(data, epochs=2, verbose=0)
        assert hist.history["loss"][1] < hist.history["loss"][0], kwargs
        assert data.epochs_ended == 2
    assert keras.utils.Sequence is keras.utils.PyDataset
    preds = mlp().predict(Batches(workers=2), verbose=0)
    assert preds.shape == (256, 10)


def test_generator_with_wrong_structure_fails_clearly_in_fit():
    def gen():
        yield np.zeros((4, 784), np.float32), np.zeros(4, np.int64)
        yield np.zeros((4, 784), np.float32)
    sig = (tf.TensorSpec([None, 784], tf.float32), tf.TensorSpec([None], tf.int64))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    with pytest.raises(TypeError, match="element 1.*expected structure"):
        mlp().fit(ds, epochs=1, verbose=0)


def test_class_weight_with_a_dataset_matches_arrays():
    x, y = mnist_like(128)
    cw = {k: (0.0 if k < 5 else 2.0) for k in range(10)}
    a, b = mlp(), mlp()
    a.fit(x, y, batch_size=32, epochs=1, shuffle=False, class_weight=cw, verbose=0)
    b.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=1, class_weight=cw,
          verbose=0)
    for va, vb in zip(a.trainable_variables, b.trainable_variables):
        np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-5, atol=1e-6)


def test_pydataset_with_num_batches_property():
    x, y = mnist_like(64)

    class Endless(keras.utils.PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            return x[:32], y[:32]
    with pytest.raises(ValueError, match="steps_per_epoch"):
        mlp().fit(Endless(), epochs=1, verbose=0)
    hist = mlp().fit(Endless(), epochs=1, steps_per_epoch=3, verbose=0)
    assert len(hist.history["loss"]) == 1


def test_fit_shuffles_pydataset_batch_order_evaluate_does_not():
    x, y = mnist_like(64)
    seen = []

    class Record(keras.utils.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            seen.append(i)
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]
    m = mlp()
    m.fit(Record(), epochs=2, verbose=0)
    assert sorted(seen[:8]) == list(range(8)) and sorted(seen[8:]) == list(range(8))
    assert seen[:8] != list(range(8)) or seen[8:] != list(range(8))
    seen.clear()
    m.fit(Record(), epochs=1, shuffle=False, verbose=0)
    m.evaluate(Record(), verbose=0)
    assert seen == list(range(8)) * 2


def test_in_memory_batches_for_fit_reuse_buffers_with_the_same_values():
    """fit reads shuffled in-memory batches into two buffers in turn (no allocation per
    batch); the values equal the dataset's own fresh batches, last partial batch too."""
    rng = np.random.default_rng(0)
    x = rng.random((50, 3)).astype(np.float32)
    y = np.arange(50)
    ds = tf.data.Dataset.from_tensor_slices((x, {"label": y})) \
        .shuffle(50, seed=3, reshuffle_each_iteration=False).batch(7).prefetch(2)
    fresh = list(ds.as_numpy_iterator())
    reused, views = [], []
    for xb, d in ds._reused_batches(2):
        views.append(xb)
        reused.append((xb.copy(), {"label": d["label"].copy()}))
    assert len(reused) == len(fresh) == 8 and len(reused[-1][0]) == 1
    for (a, da), (b, db) in zip(reused, fresh):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(da["label"], db["label"])
    assert np.shares_memory(views[0], views[2]) and not np.shares_memory(views[0], views[1])
    assert not np.shares_memory(fresh[0][0], fresh[2][0])      # users get their own arrays
    assert ds.map(lambda a, b: a)._reused_batches(2) is None    # not a gathered batch


@pytest.mark.parametrize("feed", ["arrays", "dataset"])
def test_fit_with_reused_batch_buffers_equals_fit_with_fresh_batches(feed, monkeypatch):
    from ember.keras.trainers import data_adapter
    x, y = mnist_like(300)

    def train():
        m = mlp()
        if feed == "arrays":
            keras.utils.set_random_seed(1)
            m.fit(x, y, batch_size=64, epochs=2, shuffle=True, verbose=0)
        else:
            ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(300, seed=2).batch(64)
            m.fit(ds, epochs=2, verbose=0)
        return [w.numpy() for w in m.weights]
    reused = train()
    monkeypatch.setattr(data_adapter, "_REUSED_SLOTS", 0)
    for a, b in zip(reused, train()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
