"""keras.datasets: the small datasets Keras tutorials start from, downloaded once into
Keras's cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``) with Keras's file names
and hashes, so a cache real Keras filled is used as it is.

>>> (x_train, y_train), (x_test, y_test) = ember.keras.datasets.mnist.load_data()  # doctest: +SKIP
"""
from ember.keras.datasets import (  # noqa: F401
    boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters,
)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist",
           "imdb", "mnist", "reuters"]
