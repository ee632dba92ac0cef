"""CIFAR-100: 50,000 training and 10,000 test 32x32 colour images in 100 fine classes
(20 coarse ones)."""
from __future__ import annotations

import os

import numpy as np

from ember.keras.datasets.cifar import channels, load_batch
from ember.keras.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)`` with ``label_mode`` "fine" (100 classes) or
    "coarse" (20); shapes as cifar10's."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of "fine", "coarse". Received: '
                         f'label_mode={label_mode}.')
    path = get_file(fname="cifar-100-python-target", origin=ORIGIN, extract=True,
                    file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    out = []
    for part in ("train", "test"):
        x, y = load_batch(os.path.join(path, part), label_key=f"{label_mode}_labels")
        out.append((channels(x), np.reshape(y, (len(y), 1))))
    return tuple(out)
