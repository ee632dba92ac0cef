"""Keras preprocessing layers: augmentation semantics (identity at inference, seeding,
value ranges), configs, training a model with augmentation and with an adapted
Normalization, save/load. Values against real Keras are in test_preprocessing_fixtures.py."""
import numpy as np
import pytest

import ember as tf
from ember import keras

L = keras.layers
IMAGES = np.random.default_rng(0).uniform(0, 255, (4, 8, 10, 3)).astype(np.float32)

RANDOM_LAYERS = {
    "RandomFlip": lambda: L.RandomFlip(seed=1),
    "RandomRotation": lambda: L.RandomRotation(0.2, seed=1),
    "RandomZoom": lambda: L.RandomZoom(0.3, -0.2, seed=1),
    "RandomTranslation": lambda: L.RandomTranslation(0.2, 0.3, fill_mode="constant", seed=1),
    "RandomShear": lambda: L.RandomShear(0.3, 0.2, fill_mode="nearest", seed=1),
    "RandomContrast": lambda: L.RandomContrast(0.4, seed=1),
    "RandomBrightness": lambda: L.RandomBrightness(0.3, seed=1),
    "RandomHue": lambda: L.RandomHue(0.4, seed=1),
    "RandomSaturation": lambda: L.RandomSaturation((0.2, 0.8), seed=1),
    "RandomGrayscale": lambda: L.RandomGrayscale(0.5, seed=1),
    "RandomColorDegeneration": lambda: L.RandomColorDegeneration(0.6, seed=1),
    "RandomColorJitter": lambda: L.RandomColorJitter(brightness_factor=0.2,
                                                     contrast_factor=0.3,
                                                     saturation_factor=(0.3, 0.7),
                                                     hue_factor=0.2, seed=1),
    "RandomSharpness": lambda: L.RandomSharpness(0.8, seed=1),
    "RandomInvert": lambda: L.RandomInvert(0.5, seed=1),
    "RandomPosterization": lambda: L.RandomPosterization(3, seed=1),
    "Solarization": lambda: L.Solarization(0.2, (0.3, 0.8), seed=1),
    "RandomErasing": lambda: L.RandomErasing(scale=(0.1, 0.3), seed=1),
    "RandomGaussianBlur": lambda: L.RandomGaussianBlur(1.0, 3, (0.5, 1.5), seed=1),
    "RandAugment": lambda: L.RandAugment(num_ops=2, factor=0.5, seed=1),
    "MixUp": lambda: L.MixUp(0.4, seed=1),
    "CutMix": lambda: L.CutMix(1.0, seed=1),
    "Equalization": lambda: L.Equalization(),
    "RandomCrop": lambda: L.RandomCrop(5, 6, seed=1),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_random_layer(name):
    layer = RANDOM_LAYERS[name]()
    # inference: the identity
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    # training: a change, seeded, within the value range
    keras.utils.set_random_seed(5)
    a = layer(IMAGES, training=True).numpy()
    keras.utils.set_random_seed(5)
    b = RANDOM_LAYERS[name]()(IMAGES, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    if name != "RandomCrop":
        assert a.shape == IMAGES.shape
    else:
        assert a.shape == (4, 5, 6, 3)
    assert not np.array_equal(a, IMAGES[:, :a.shape[1], :a.shape[2]])
    assert a.min() >= -1e-3 and a.max() <= 255 + 1e-3
    # config round trip
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    # a single image and channels_first inputs
    assert layer(IMAGES[0]).shape[-1] == 3


def test_random_flip_is_each_image_or_its_mirror():
    keras.utils.set_random_seed(2)
    x = np.random.default_rng(1).uniform(0, 1, (32, 3, 4, 1)).astype(np.float32)
    y = L.RandomFlip("horizontal")(x).numpy()
    same = np.all(y == x, axis=(1, 2, 3))
    mirror = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(same | mirror) and same.any() and mirror.any()
    y = L.RandomFlip("vertical")(x).numpy()
    assert np.all(np.all(y == x, axis=(1, 2, 3)) | np.all(y == x[:, ::-1], axis=(1, 2, 3)))


@pytest.mark.parametrize("layer", [
    lambda: L.RandomRotation(0.0), lambda: L.RandomZoom(0.0),
    lambda: L.RandomTranslation(0.0, 0.0), lambda: L.RandomShear(0.0, 0.0),
    lambda: L.RandomContrast(0.0), lambda: L.RandomBrightness(0.0),
])
def test_zero_factor_is_identity_in_training(layer):
    np.testing.assert_allclose(layer()(IMAGES, training=True).numpy(), IMAGES, atol=1e-3)


def test_half_turn_rotation_and_exact_translation():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    y = L.RandomRotation((0.5, 0.5))(x).numpy()
    np.testing.assert_allclose(y, x[:, ::-1, ::-1], atol=1e-4)
    y = L.RandomTranslation((0.0, 0.0), (0.25, 0.25), fill_mode="constant",
                            interpolation="nearest")(x).numpy()
    np.testing.assert_array_equal(y[0, :, 1:, 0], x[0, :, :3, 0])
    np.testing.assert_array_equal(y[0, :, 0, 0], 0)


def test_mixup_mixes_labels_with_images():
    keras.utils.set_random_seed(3)
    labels = np.eye(4, dtype=np.float32)
    out = L.MixUp(0.5)({"images": IMAGES, "labels": labels})
    np.testing.assert_allclose(out["labels"].numpy().sum(1), 1.0, rtol=1e-5)
    assert out["images"].shape == IMAGES.shape


def test_model_with_augmentation_trains_and_is_identity_at_inference():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 8, 8, 3)).astype(np.float32)
    y = (x[:, :, :, 0].mean((1, 2)) > x[:, :, :, 1].mean((1, 2))).astype(np.float32)
    aug = [L.RandomFlip("horizontal"), L.RandomRotation(0.05), L.RandomZoom(0.1),
           L.RandomContrast(0.1, value_range=(0, 1)),
           L.RandomBrightness(0.05, value_range=(0, 1))]
    head = [L.Conv2D(4, 3, activation="relu"), L.GlobalAveragePooling2D(),
            L.Dense(1, activation="sigmoid")]
    model = keras.Sequential([L.Input((8, 8, 3))] + aug + head)
    model.compile("adam", "binary_crossentropy")
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    plain = keras.Sequential([L.Input((8, 8, 3))] + head)
    np.testing.assert_allclose(model.predict(x, verbose=0), plain.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_normalization_adapt_trains_and_reloads(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(50, 10, (128, 3)).astype(np.float32)
    y = (x @ np.array([0.1, -0.2, 0.05], np.float32)).reshape(-1, 1)
    norm = L.Normalization()
    norm.adapt(x)
    np.testing.assert_allclose(norm(x).numpy().mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(norm(x).numpy().std(0), 1, rtol=1e-3)
    model = keras.Sequential([L.Input((3,)), norm, L.Dense(1)])
    model.compile("adam", "mse")
    hist = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)  # the adapted mean and variance are weights
    again = keras.Sequential([L.Input((3,)), L.Normalization(), L.Dense(1)])
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)


def test_normalization_adapt_on_batches_equals_array():
    x = np.random.default_rng(2).normal(1, 3, (30, 2)).astype(np.float32)
    a, b = L.Normalization(), L.Normalization()
    a.adapt(x)
    b.adapt([x[:7], x[7:20], x[20:]])
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy(), rtol=1e-5, atol=1e-5)


def test_lookup_and_encoding_configs_and_in_a_model():
    lookup = L.IntegerLookup(vocabulary=[7, 3, 9], mask_token=0)
    again = L.IntegerLookup.from_config(lookup.get_config())
    x = np.array([[7, 0, 5], [9, 3, 3]])
    np.testing.assert_array_equal(again(x).numpy(), lookup(x).numpy())
    np.testing.assert_array_equal(lookup(x).numpy(), [[2, 0, 1], [4, 3, 3]])
    inp = L.Input((3,), dtype="int64")
    out = L.CategoryEncoding(5, "count")(lookup(inp))
    model = keras.Model(inp, out)
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[1, 1, 1, 0, 0],
                                                                [0, 0, 0, 2, 1]])
    disc = L.Discretization(bin_boundaries=[0.0, 1.0])
    assert L.Discretization.from_config(disc.get_config()).bin_boundaries == [0.0, 1.0]


@pytest.mark.parametrize("fn,match", [
    (lambda: L.RandomFlip("diagonal"), "unknown mode"),
    (lambda: L.RandomContrast(1.5), "factor"),
    (lambda: L.Resizing(3, 3, interpolation="cubic"), "interpolation"),
    (lambda: L.RandomTranslation(2.0, 0.1), "height_factor"),
    (lambda: L.Normalization(mean=1.0), "both"),
    (lambda: L.CategoryEncoding(3)(np.array([[0, 4]])), "range"),
    (lambda: L.Discretization(), "exactly one"),
    (lambda: L.IntegerLookup(vocabulary=[1, 1]), "repeated"),
    (lambda: L.RandomFlip()(np.ones((3, 3))), "inputs must be an image"),
])
def test_errors(fn, match):
    with pytest.raises(Exception, match=match):
        fn()


def test_hashing_layers_configs_and_in_a_model():
    h = L.Hashing(5, mask_value=0)
    assert L.Hashing.from_config(h.get_config()).get_config() == h.get_config()
    x = np.array([[0, 3, 9]])
    out = h(x).numpy()
    assert out[0, 0] == 0 and np.all((out[0, 1:] >= 1) & (out[0, 1:] < 5))
    a, b = L.Input((1,), dtype="int64"), L.Input((1,), dtype="int64")
    model = keras.Model([a, b], L.HashedCrossing(7)((a, b)))
    got = model.predict([np.array([[1], [2]]), np.array([[3], [4]])], verbose=0)
    np.testing.assert_array_equal(got, L.HashedCrossing(7)((np.array([[1], [2]]),
                                                             np.array([[3], [4]]))).numpy())
    with pytest.raises(ValueError, match="salt"):
        L.Hashing(3, salt="a")


def test_adapt_on_a_dataset_equals_adapt_on_the_array():
    x = np.random.default_rng(3).normal(2, 3, (24, 2)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(5)
    a, b = L.Normalization(), L.Normalization()
    a.adapt(x)
    b.adapt(ds)
    np.testing.assert_allclose(b(x).numpy(), a(x).numpy(), rtol=1e-5, atol=1e-5)
    ints = np.array([[1, 2], [2, 2], [3, 2], [1, 1]])
    lookup = L.IntegerLookup()
    lookup.adapt(tf.data.Dataset.from_tensor_slices(ints).batch(3))
    assert lookup.get_vocabulary() == [-1, 2, 1, 3]


def test_keras_file_keeps_adapted_statistics_and_vocabulary(tmp_path):
    pytest.importorskip("h5py")
    x = np.random.default_rng(4).normal(5, 2, (16, 2)).astype(np.float32)
    norm = L.Normalization()
    norm.adapt(x)
    lookup = L.IntegerLookup()
    lookup.adapt(np.array([4, 4, 8, 9, 9, 9]))
    a, b = L.Input((2,)), L.Input((1,), dtype="int64")
    model = keras.Model([a, b], [norm(a), lookup(b)])
    path = str(tmp_path / "pre.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    ints = np.array([[9], [4], [7]])
    for got, want in zip(loaded.predict([x[:3], ints], verbose=0),
                         model.predict([x[:3], ints], verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
