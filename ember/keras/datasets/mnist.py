"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 uint8 images."""
from __future__ import annotations

import numpy as np

from ember.keras.datasets import _common
from ember.keras.utils.file_utils import get_file

__all__ = ["load_data"]

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,), cached as ``~/.keras/datasets/<path>``.

    >>> (x_train, y_train), _ = ember.keras.datasets.mnist.load_data()  # doctest: +SKIP
    """
    path = get_file(fname=path, origin=_common.ORIGIN_FOLDER + "mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
