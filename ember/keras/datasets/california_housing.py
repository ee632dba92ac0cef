"""California housing prices: 20,640 districts of 8 features (``version="small"``: the
first 600)."""
from __future__ import annotations

from ember.keras.datasets import _common

__all__ = ["load_data"]

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` shuffled with ``seed`` and cut at
    ``1 - test_split`` as Keras does."""
    _common.check_test_split(test_split)
    x, y = _common.load_xy(path, "california_housing.npz", FILE_HASH)
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    return _common.split_shuffled(x, y, test_split, seed)
