"""keras.metrics: stateful metric objects (state in non-trainable ember Variables) and
stateless metric functions, as in Keras 3.

    m = ember.keras.metrics.get("accuracy")     # an Accuracy() instance
    m.update_state([[1], [2]], [[1], [3]])
    m.result()                                  # 0.5
"""
from __future__ import annotations

import inspect

from ember.keras import losses as _losses
from ember.keras.metrics.accuracy_metrics import *  # noqa: F401,F403
from ember.keras.metrics.accuracy_metrics import __all__ as _acc_all
from ember.keras.metrics.confusion_metrics import *  # noqa: F401,F403
from ember.keras.metrics.correlation_metrics import *  # noqa: F401,F403
from ember.keras.metrics.correlation_metrics import __all__ as _corr_all
from ember.keras.metrics.confusion_metrics import __all__ as _conf_all
from ember.keras.metrics.f_score_metrics import *  # noqa: F401,F403
from ember.keras.metrics.f_score_metrics import __all__ as _f_all
from ember.keras.metrics.hinge_metrics import *  # noqa: F401,F403
from ember.keras.metrics.hinge_metrics import __all__ as _hinge_all
from ember.keras.metrics.iou_metrics import *  # noqa: F401,F403
from ember.keras.metrics.iou_metrics import __all__ as _iou_all
from ember.keras.metrics.metric import Metric
from ember.keras.metrics.probabilistic_metrics import *  # noqa: F401,F403
from ember.keras.metrics.probabilistic_metrics import __all__ as _prob_all
from ember.keras.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from ember.keras.metrics.regression_metrics import *  # noqa: F401,F403
from ember.keras.metrics.regression_metrics import __all__ as _reg_all
from ember.keras.metrics.metric import _snake_case
from ember.keras.saving import serialization as _serialization

binary_crossentropy = _losses.binary_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
categorical_focal_crossentropy = _losses.categorical_focal_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
categorical_hinge = _losses.categorical_hinge
hinge = _losses.hinge
squared_hinge = _losses.squared_hinge
huber = _losses.huber
kl_divergence = kld = KLD = kullback_leibler_divergence = _losses.kl_divergence
log_cosh = logcosh = _losses.log_cosh
mean_squared_error = mse = MSE = _losses.mean_squared_error
mean_absolute_error = mae = MAE = _losses.mean_absolute_error
mean_absolute_percentage_error = mape = MAPE = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = MSLE = _losses.mean_squared_logarithmic_error
poisson = _losses.poisson

_LOSS_FUNCTION_NAMES = [
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "categorical_hinge",
    "hinge", "squared_hinge", "huber", "kl_divergence", "kld", "KLD",
    "kullback_leibler_divergence", "log_cosh", "logcosh", "mean_squared_error", "mse", "MSE",
    "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error", "mape", "MAPE",
    "mean_squared_logarithmic_error", "msle", "MSLE", "poisson",
]

_CLASSES = [Metric, Mean, Sum, MeanMetricWrapper] + [
    globals()[n] for n in _acc_all + _conf_all + _f_all + _hinge_all + _iou_all + _prob_all
    + _reg_all + _corr_all if inspect.isclass(globals()[n])]

_FUNCTIONS = {n: globals()[n] for n in _acc_all + _reg_all + _corr_all + _LOSS_FUNCTION_NAMES
              if not inspect.isclass(globals()[n])}

ALL_OBJECTS = set(_CLASSES)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "acc": Accuracy, "ACC": Accuracy,  # noqa: F405
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,  # noqa: F405
    "mse": MeanSquaredError, "MSE": MeanSquaredError,  # noqa: F405
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,  # noqa: F405
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,  # noqa: F405
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,  # noqa: F405
    "kld": KLDivergence, "KLD": KLDivergence,  # noqa: F405
    "kullback_leibler_divergence": KLDivergence,  # noqa: F405
    "logcosh": LogCoshError, "log_cosh": LogCoshError,  # noqa: F405
    "auc": AUC, "iou": IoU, "mean_iou": MeanIoU, "binary_iou": BinaryIoU,  # noqa: F405
    "one_hot_iou": OneHotIoU, "one_hot_mean_iou": OneHotMeanIoU,  # noqa: F405
    "rmse": RootMeanSquaredError,  # noqa: F405
})

__all__ = (["Metric", "Mean", "Sum", "MeanMetricWrapper"] + list(_acc_all) + list(_conf_all)
           + list(_f_all) + list(_hinge_all) + list(_iou_all) + list(_prob_all)
           + list(_reg_all) + _LOSS_FUNCTION_NAMES + ["get", "serialize", "deserialize"])


def serialize(metric):
    """The Keras 3 config dict of a metric object or metric function.

    >>> ember.keras.metrics.serialize(ember.keras.metrics.Mean())["class_name"]
    'Mean'
    """
    return _serialization.serialize_keras_object(metric)


def _resolve_function(config, custom_objects=None):
    """A metric function from a name, a serialized function dict or the function itself."""
    if callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") != "function":
        return deserialize(config, custom_objects)
    return _serialization.deserialize_keras_object(
        config, module_objects={**ALL_OBJECTS_DICT, **_FUNCTIONS},
        custom_objects=custom_objects, printable_module_name="metric function")


def deserialize(config, custom_objects=None):
    """Rebuilds a metric (or metric function) from ``serialize`` output or a name.

    >>> m = ember.keras.metrics.deserialize(
    ...     ember.keras.metrics.serialize(ember.keras.metrics.BinaryAccuracy(threshold=0.7)))
    >>> m.threshold
    0.7
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        return _resolve_function(config, custom_objects)
    return _serialization.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects,
        printable_module_name="metric function")


def get(identifier):
    """A metric from a name (``"accuracy"``, ``"acc"``, ``"mse"``, ``"AUC"`` ...), a config
    dict, a metric class, a metric instance or a metric function. Class names give new
    instances; functions and instances are returned as they are.

    >>> ember.keras.metrics.get("mse").name
    'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None:
            obj = _serialization.get_registered_object(identifier)
        if obj is None:
            choices = ", ".join(sorted(ALL_OBJECTS_DICT))
            raise ValueError(f"Could not interpret metric identifier: '{identifier}'. "
                             f"Valid choices: {choices}.")
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
