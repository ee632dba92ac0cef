"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes."""
from __future__ import annotations

import os

import numpy as np

from ember.keras.datasets.cifar import channels, load_batch
from ember.keras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
    (10000, 32, 32, 3) (channels first under ``image_data_format() == "channels_first"``),
    labels of shape (n, 1); cached as Keras caches them
    (``~/.keras/datasets/cifar-10-batches-py-target``)."""
    path = get_file(fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True,
                    file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([np.asarray(x, dtype="uint8") for x, _ in parts])
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    x_test = np.asarray(x_test).astype("uint8")
    y_test = np.reshape(y_test, (len(y_test), 1)).astype("uint8")
    return (channels(x_train), np.reshape(y_train, (len(y_train), 1))), \
        (channels(x_test), y_test)
