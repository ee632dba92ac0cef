"""keras.optimizers: SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl,
Lion, Lamb, Adafactor, Muon, ScheduleFreeAdamW, LossScaleOptimizer, learning-rate
``schedules``, and ``get``/``serialize``/``deserialize``."""
from __future__ import annotations

from ember.keras.optimizers import schedules
from ember.keras.optimizers.base_optimizer import BaseOptimizer, Optimizer
from ember.keras.optimizers.adadelta import Adadelta
from ember.keras.optimizers.adafactor import Adafactor
from ember.keras.optimizers.adagrad import Adagrad
from ember.keras.optimizers.adam import Adam
from ember.keras.optimizers.adamax import Adamax
from ember.keras.optimizers.adamw import AdamW
from ember.keras.optimizers.ftrl import Ftrl
from ember.keras.optimizers.lamb import Lamb
from ember.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ember.keras.optimizers.lion import Lion
from ember.keras.optimizers.muon import Muon
from ember.keras.optimizers.nadam import Nadam
from ember.keras.optimizers.rmsprop import RMSprop
from ember.keras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from ember.keras.optimizers.sgd import SGD
from ember.keras.saving import serialization as _serialization

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Ftrl", "Lion", "Lamb", "LossScaleOptimizer", "Adafactor", "Muon",
           "ScheduleFreeAdamW", "schedules", "get", "serialize", "deserialize"]

_ALL_OBJECTS = (Optimizer, SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl,
                Lion, Lamb, LossScaleOptimizer, Adafactor, Muon, ScheduleFreeAdamW)
_ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _ALL_OBJECTS}


def serialize(optimizer):
    """The Keras config dict of an optimizer.

    >>> serialize(Adam())["class_name"]
    'Adam'
    """
    return _serialization.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None, use_legacy_format=False):
    """Rebuilds an optimizer from ``serialize`` output (class names are
    case-insensitive for the built-ins)."""
    if isinstance(config, dict):
        config = dict(config)
        class_name = config.get("class_name")
        if isinstance(class_name, str) and class_name.lower() in _ALL_OBJECTS_DICT:
            config["class_name"] = class_name.lower()
            config["registered_name"] = None
    with _serialization.custom_object_scope(custom_objects or {}):
        return _serialization.deserialize_keras_object(
            config, module_objects=_ALL_OBJECTS_DICT, custom_objects=custom_objects,
            printable_module_name="optimizer")


def get(identifier):
    """An optimizer from a name (``"adam"``, ``"SGD"`` ...), a config dict or an instance.

    >>> type(get("adam")).__name__
    'Adam'
    """
    from ember.keras.saving.serialization import get_object
    return get_object(identifier, deserialize, "optimizer",
                      accept=lambda o: isinstance(o, Optimizer))
