"""Reading the CIFAR-10/100 "python version" batch files."""
from __future__ import annotations

import numpy as np

from ember.keras.datasets._common import ArrayUnpickler


def load_batch(fpath, label_key="labels"):
    """(data of shape (n, 3, 32, 32) uint8, labels) from one pickled CIFAR batch."""
    with open(fpath, "rb") as f:
        d = ArrayUnpickler(f, encoding="bytes").load()
    d = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in d.items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def channels(x):
    """NCHW batches as the Keras image data format asks (channels_last by default)."""
    from ember.keras import backend
    return x.transpose(0, 2, 3, 1) if backend.image_data_format() == "channels_last" else x
