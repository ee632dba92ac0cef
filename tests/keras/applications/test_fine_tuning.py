"""Feature extraction and fine-tuning with keras.applications: a frozen base with a new
head trains (loss goes down, the base's weights and BN statistics stay), then the base
unfrozen trains too."""
import numpy as np

from ember import keras
from tests.keras.applications import fixtures


def _data(n=16):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(n, 32, 32, 3)).astype(np.float32)
    x[: n // 2] *= 0.5        # darker half: class 0
    y = (np.arange(n) >= n // 2).astype(np.int32)
    return x, y


def test_frozen_base_with_new_head_trains():
    from ember.keras import applications, layers
    # weights from the fixture formula: a randomly initialized base at inference has
    # vanishing activations at this size (Keras's too), pretrained ones would not
    base = fixtures.build("MobileNetV2", {"alpha": 0.35, "include_top": False,
                                          "input_shape": (32, 32, 3)}, fill=True)
    keras.utils.set_random_seed(1)
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = applications.mobilenet_v2.preprocess_input(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    assert len(model.trainable_weights) == 2
    frozen = [np.array(w.numpy()) for w in base.weights]
    model.compile(optimizer=keras.optimizers.Adam(5e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x_train, y_train = _data()
    history = model.fit(x_train, y_train, epochs=10, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    for before, w in zip(frozen, base.weights):
        np.testing.assert_array_equal(before, w.numpy())


def test_unfrozen_base_fine_tunes():
    from ember.keras import layers
    ctor, kwargs, _ = fixtures.PREDICTIONS["mobilenet_v3small_min"]
    keras.utils.set_random_seed(2)
    base = fixtures.build(ctor, {**kwargs, "include_top": False, "classes": 1000,
                                 "classifier_activation": "softmax"}, fill=True)
    model = keras.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    kernel = base.get_layer("conv").kernel
    start = np.array(kernel.numpy())
    x_train, y_train = _data()
    history = model.fit(x_train, y_train, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(start, kernel.numpy())
