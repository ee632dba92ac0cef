"""ember.keras: the Keras 3 API on ember's ops.

    from ember import keras
    model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
"""
from ember.keras import backend, saving  # noqa: F401
from ember.keras import (  # noqa: F401
    activations, callbacks, constraints, initializers, layers, losses, metrics, models,
    optimizers, regularizers, utils,
)
from ember.keras.layers import Input  # noqa: F401
from ember.keras.models import Model, Sequential  # noqa: F401

__version__ = "3.0.0-ember"

_LAZY_MODULES = ("ops",)


def __getattr__(name):
    """Loads the larger Keras 3 namespaces (keras.ops, ...) on first use."""
    if name in _LAZY_MODULES:
        import importlib
        module = importlib.import_module(f"ember.keras.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember.keras' has no attribute {name!r}")
