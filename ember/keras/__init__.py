"""ember.keras: the Keras 3 API on ember's ops.

    from ember import keras
    model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
"""
from ember.keras import backend, config, saving  # noqa: F401
from ember.keras import (  # noqa: F401
    activations, callbacks, constraints, initializers, layers, losses, metrics, models,
    optimizers, regularizers, utils,
)
from ember.keras.layers import Input  # noqa: F401
from ember.keras.models import Model, Sequential  # noqa: F401

__version__ = "3.0.0-ember"


def __getattr__(name):
    """``keras.datasets`` and ``keras.preprocessing`` load on first use."""
    import importlib
    if name in ("datasets", "preprocessing"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ember.keras' has no attribute {name!r}")
