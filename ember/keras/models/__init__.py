"""keras.models: Model, Sequential and the functional API."""
from ember.keras.models.functional import Functional  # noqa: F401
from ember.keras.models.model import Model  # noqa: F401
from ember.keras.models.sequential import Sequential  # noqa: F401


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    from ember.keras.saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile,
                 safe_mode=safe_mode)


def clone_model(model, input_tensors=None, clone_function=None):
    from ember.keras.saving.serialization import deserialize_keras_object, \
        serialize_keras_object
    from ember.keras import layers
    config = serialize_keras_object(model)
    return deserialize_keras_object(config, module_objects={
        "Sequential": Sequential, "Functional": Functional, "Model": Model,
        **layers._layer_classes()})
