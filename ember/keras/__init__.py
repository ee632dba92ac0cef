"""ember.keras: the Keras 3 API on ember's ops.

    from ember import keras
    model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])

``import ember.keras`` loads nothing more: every namespace (``keras.layers``,
``keras.optimizers``, ...) and top-level class loads on first use (the tables below;
ember/framework/lazy.py, docs/architecture.md "Lazy namespaces").
"""
from ember.framework import lazy as _lazy

__version__ = "3.0.0-ember"


def version():
    """The Keras API version ember implements (``keras.__version__``)."""
    return __version__


# One entry per line, so additions merge cleanly.
_LAZY_SUBMODULES = (
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "dtype_policies",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "wrappers",
    # internal modules that importing Keras used to leave bound here
    "ctc_losses",
    "keras_tensor",
    "metric_learning_losses",
    "overlap_losses",
    "robust_losses",
    "trainers",
    "variables",
)
_LAZY_ATTRIBUTES = {
    "DTypePolicy": "ember.keras.dtype_policies",
    "Function": "ember.keras.models.functional:Functional",
    "Initializer": "ember.keras.initializers",
    "Input": "ember.keras.layers",
    "InputSpec": "ember.keras.layers",
    "KerasTensor": "ember.keras.keras_tensor",
    "Layer": "ember.keras.layers",
    "Loss": "ember.keras.losses",
    "Metric": "ember.keras.metrics",
    "Model": "ember.keras.models",
    # Keras's graph-of-operations classes: layers are ember's operations, and a functional
    # model (``Function``) is its callable graph of them.
    "Operation": "ember.keras.layers:Layer",
    "Optimizer": "ember.keras.optimizers",
    "Regularizer": "ember.keras.regularizers",
    "Sequential": "ember.keras.models",
    "StatelessScope": "ember.keras.variables",
    "Variable": "ember.keras.variables",
    "name_scope": "ember",
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY_SUBMODULES, _LAZY_ATTRIBUTES)
# ``from ember.keras import *`` gives what it gave before the names became lazy.
__all__ = _lazy.star_names(
    globals(), _LAZY_ATTRIBUTES,
    [n for n in _LAZY_SUBMODULES
     if n not in ("applications", "datasets", "ops", "preprocessing", "random", "tree",
                  "wrappers")])
