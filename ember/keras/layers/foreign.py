"""Keras 3's layers that wrap another framework's code (JaxLayer, FlaxLayer,
TorchModuleWrapper) or a TensorFlow SavedModel endpoint (TFSMLayer). ember runs its own
ops only, so these raise a NotImplementedError that says what to use instead."""
from __future__ import annotations

from ember.keras.layers.layer import Layer

__all__ = ["FlaxLayer", "JaxLayer", "TFSMLayer", "TorchModuleWrapper"]

_ALTERNATIVES = {
    "JaxLayer": "a JAX function cannot run inside ember's graphs; rewrite it with "
                "ember.keras.ops or wrap it in keras.layers.Lambda over ember ops",
    "FlaxLayer": "a Flax module cannot run inside ember's graphs; rebuild it from "
                 "ember.keras layers",
    "TorchModuleWrapper": "a torch.nn.Module cannot run inside ember's graphs; rebuild it "
                          "from ember.keras layers (weights can be copied with set_weights)",
    "TFSMLayer": "ember's loaded SavedModels run eagerly for inference only "
                 "(ember.saved_model.load(path).serve(x)) and cannot be traced inside a "
                 "model; load the model's .keras file with keras.models.load_model instead",
}


class _Foreign(Layer):
    def __init__(self, *args, **kwargs):
        name = type(self).__name__
        raise NotImplementedError(f"keras.layers.{name} is not supported by ember: "
                                  f"{_ALTERNATIVES[name]}.")


class JaxLayer(_Foreign):
    """Not supported: wraps a JAX function (see the error for what to use instead)."""


class FlaxLayer(_Foreign):
    """Not supported: wraps a Flax module (see the error for what to use instead)."""


class TorchModuleWrapper(_Foreign):
    """Not supported: wraps a torch.nn.Module (see the error for what to use instead)."""


class TFSMLayer(_Foreign):
    """Not supported inside models: wraps a SavedModel endpoint (see the error)."""
