"""ember.keras: the Keras 3 API on ember's ops.

    from ember import keras
    model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
"""
from ember.keras import backend, config, dtype_policies, mixed_precision, saving  # noqa: F401
from ember.keras import (  # noqa: F401
    activations, callbacks, constraints, initializers, layers, losses, metrics, models,
    optimizers, regularizers, utils,
)
from ember.keras.layers import Input  # noqa: F401
from ember.keras.dtype_policies import DTypePolicy  # noqa: F401
from ember.keras.models import Model, Sequential  # noqa: F401
from ember.keras.models.functional import Functional as Function  # noqa: F401
from ember.keras.initializers import Initializer  # noqa: F401
from ember.keras.keras_tensor import KerasTensor  # noqa: F401
from ember.keras.layers import InputSpec, Layer  # noqa: F401
from ember.keras.losses import Loss  # noqa: F401
from ember.keras.metrics import Metric  # noqa: F401
from ember.keras.optimizers import Optimizer  # noqa: F401
from ember.keras.regularizers import Regularizer  # noqa: F401
from ember.keras.variables import StatelessScope, Variable  # noqa: F401
from ember import name_scope  # noqa: F401

__version__ = "3.0.0-ember"

# Keras's graph-of-operations classes: layers are ember's operations, and a functional
# model (``Function``) is its callable graph of them.
Operation = Layer


def version():
    """The Keras API version ember implements (``keras.__version__``)."""
    return __version__


_LAZY_MODULES = ("ops", "random", "tree", "datasets", "preprocessing", "wrappers",
                 "applications")


def __getattr__(name):
    """Loads the larger Keras 3 namespaces (keras.ops, keras.datasets, ...) on first use."""
    if name in _LAZY_MODULES:
        import importlib
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember.keras' has no attribute {name!r}")
