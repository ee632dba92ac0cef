"""Boston housing prices: 506 samples of 13 features, median values in k$."""
from __future__ import annotations

from ember.keras.datasets import _common

__all__ = ["load_data"]

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)`` shuffled with ``seed`` and cut at
    ``1 - test_split`` as Keras does."""
    _common.check_test_split(test_split)
    x, y = _common.load_xy(path, "boston_housing.npz", FILE_HASH)
    return _common.split_shuffled(x, y, test_split, seed)
