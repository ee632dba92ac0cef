"""A Keras model's weights as a TensorFlow checkpoint in tf.keras 2's layout: the model's
layers that have weights are ``layer_with_weights-<k>`` (k counting them in
``model.layers`` order), each weight under its short name, so a value's key is
``layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE`` (the names TensorBoard's
projector and tf.keras 2's ``save_weights`` checkpoints use)."""
from __future__ import annotations

import os

__all__ = ["layers_with_weights", "write_keras2_checkpoint", "keras2_tensor_name"]


class _Weights:
    """One layer's weights as a checkpoint node: {short name: variable}."""

    def __init__(self, layer):
        self._layer = layer

    def _trackable_children(self):
        out = {}
        for v in list(self._layer.trainable_weights) + list(self._layer.non_trainable_weights):
            name = str(v.name)
            name = name[:-2] if name.endswith(":0") else name
            name = name.rsplit("/", 1)[-1]
            while name in out:
                name += "_"
            out[name] = v
        return out


def layers_with_weights(model):
    """The model's layers that hold weights, in ``model.layers`` order."""
    return [layer for layer in model.layers if layer.weights]


def keras2_tensor_name(model, layer, weight_name):
    """The checkpoint key of ``layer``'s weight ``weight_name`` in this layout."""
    k = [id(x) for x in layers_with_weights(model)].index(id(layer))
    return f"layer_with_weights-{k}/{weight_name}/.ATTRIBUTES/VARIABLE_VALUE"


def write_keras2_checkpoint(model, prefix):
    """Writes the model's weights at ``prefix`` (TensorFlow's checkpoint files)."""
    from ember.train.checkpoint import Checkpoint
    children = {f"layer_with_weights-{k}": _Weights(layer)
                for k, layer in enumerate(layers_with_weights(model))}
    return Checkpoint(**children).write(os.fspath(prefix))
