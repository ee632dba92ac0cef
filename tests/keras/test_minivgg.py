"""The user's MiniVGGNet (Conv2D 32 -> BN -> ReLU -> Conv2D 32 -> BN -> ReLU -> MaxPool ->
Dropout 0.25, the same with 64 filters, Flatten -> Dense 512 -> BN -> ReLU -> Dropout 0.5 ->
Dense 10 softmax; SGD momentum 0.9) builds with Keras's parameter counts and learns MNIST.

The full acceptance run (2 epochs of 28x28 MNIST, >= 98.5% test accuracy) takes many minutes
and lives in bench/minivgg.py. Here the same network trains for 300 steps of 32 images on
MNIST average-pooled to 14x14 (a quarter of the FLOPs per image, so four times the steps in
the same time), with BatchNormalization momentum 0.9 instead of 0.99 so the moving
statistics used at inference settle within such a short run, and must reach >= 94% on 1000
held-out test images (runs at 95.5-96.7% across seeds).
"""
import os

import numpy as np
import pytest

from ember import keras
from ember.keras.layers.convolutional import Conv2D
from ember.keras.layers.core import Activation, Dense, Dropout, Flatten
from ember.keras.layers.normalization import BatchNormalization
from ember.keras.layers.pooling import MaxPooling2D

MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                     "data", "mnist.npz")


def mini_vgg(input_shape, classes=10, bn_momentum=0.99):
    def block(filters):
        return [Conv2D(filters, (3, 3), padding="same"),
                BatchNormalization(axis=-1, momentum=bn_momentum), Activation("relu")]
    return keras.Sequential(
        [keras.Input(input_shape)] + block(32) + block(32) +
        [MaxPooling2D(pool_size=(2, 2)), Dropout(0.25)] + block(64) + block(64) +
        [MaxPooling2D(pool_size=(2, 2)), Dropout(0.25), Flatten(), Dense(512),
         BatchNormalization(momentum=bn_momentum), Activation("relu"), Dropout(0.5),
         Dense(classes), Activation("softmax")])


def test_minivgg_structure_and_parameter_counts():
    model = mini_vgg((28, 28, 1))
    assert model.output_shape == (None, 10)
    assert model.count_params() == 1_679_082
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == \
        2 * (32 + 32 + 64 + 64 + 512)
    cifar = mini_vgg((32, 32, 3))
    assert cifar.count_params() == 2_171_178
    shapes = [l.output_shape for l in cifar.layers if isinstance(l, (Conv2D, MaxPooling2D))]
    assert shapes == [(None, 32, 32, 32), (None, 32, 32, 32), (None, 16, 16, 32),
                      (None, 16, 16, 64), (None, 16, 16, 64), (None, 8, 8, 64)]


def _pool14(images):
    x = images.astype("float32") / 255.0
    return x.reshape(-1, 14, 2, 14, 2).mean((2, 4))[..., None]


def test_minivgg_learns_mnist():
    if not os.path.exists(MNIST):
        pytest.skip(f"MNIST not found at {os.path.normpath(MNIST)}")
    data = np.load(MNIST)
    x_train = _pool14(data["x_train"][:9600])
    y_train = data["y_train"][:9600].astype("int32")
    x_test = _pool14(data["x_test"][:1000])
    y_test = data["y_test"][:1000].astype("int32")
    keras.utils.set_random_seed(0)
    model = mini_vgg((14, 14, 1), bn_momentum=0.9)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    bn = model.layers[1]
    history = model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    assert accuracy >= 0.94, f"held-out accuracy {accuracy:.4f}"
    probs = model.predict(x_test[:10], verbose=0)
    assert probs.shape == (10, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
