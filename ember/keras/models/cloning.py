"""clone_model, model_from_json and model_from_config."""
from __future__ import annotations

import json

__all__ = ["clone_model", "model_from_json", "model_from_config"]


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the same structure and fresh weights (weights are not copied).

    ``clone_function(layer) -> layer`` makes each new layer (default: a layer rebuilt from
    its config; return the layer itself to share it); ``input_tensors`` (``keras.Input``
    tensors) become the new model's inputs. Subclassed models are rebuilt from their config.

    >>> twin = keras.models.clone_model(model)
    >>> twin.set_weights(model.get_weights())
    """
    from ember.keras.layers.input_layer import InputLayer
    from ember.keras.models.functional import Functional
    from ember.keras.models.sequential import Sequential
    from ember.keras.saving.functional_config import functional_from_config
    if kwargs:
        raise TypeError(f"clone_model got unexpected arguments {sorted(kwargs)}")
    if call_function is not None:
        raise NotImplementedError("clone_model(call_function=...) is not supported in ember; "
                                  "use clone_function.")
    user_fn = clone_function

    def clone_one(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=user_fn, recursive=True)
        return (user_fn or _clone_layer)(layer)

    if isinstance(model, Sequential):
        layers = [clone_one(l) for l in model.layers]
        inputs = input_tensors
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 1:
                raise ValueError(f"A Sequential model takes one input tensor; received "
                                 f"{len(inputs)}.")
            inputs = inputs[0]
        if inputs is None and model.input is not None:
            from ember.keras.layers.input_layer import Input
            original = model.input._keras_history[0]
            inputs = Input(batch_shape=original.batch_shape, dtype=original.dtype,
                           name=original.name)
        return Sequential(([inputs] if inputs is not None else []) + layers, name=model.name,
                          trainable=model.trainable)
    if isinstance(model, Functional):
        by_name = {l.name: l for l in model.operations}

        def make(entry):
            layer = by_name[entry["name"]]
            if isinstance(layer, InputLayer):
                return InputLayer.from_config(layer.get_config())
            if getattr(layer, "_is_operation", False):      # x * 2.0 and the like
                from ember.keras.layers import deserialize
                return deserialize(entry)
            return clone_one(layer)
        return functional_from_config(model.get_config(), clone_function=make,
                                      input_tensors=input_tensors, cls=type(model))
    if clone_function is not None or input_tensors is not None:
        raise ValueError(f"clone_model of the subclassed model {model.name}: "
                         f"clone_function and input_tensors apply only to Sequential and "
                         f"functional models.")
    return model.__class__.from_config(model.get_config())


def model_from_config(config, custom_objects=None):
    """A model from ``{"class_name": ..., "config": ...}`` (e.g. ``json.loads(to_json())``)."""
    from ember.keras.layers import deserialize
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: "
                        f"config={config}. Did you meant to use `Sequential.from_config(config)`?")
    return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None):
    """A model (structure only, fresh weights) from ``model.to_json()`` output."""
    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise ValueError(f"model_from_json: the string is not valid JSON ({e}).") from None
    return model_from_config(config, custom_objects=custom_objects)
