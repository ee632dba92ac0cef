"""keras.utils: one-hot labels, normalization, seeding, progress bars, cached downloads and
the serialization registry.

>>> ember.keras.utils.to_categorical([1, 0], num_classes=2).tolist()
[[0.0, 1.0], [1.0, 0.0]]
"""
from ember.keras.saving.serialization import (  # noqa: F401
    CustomObjectScope, custom_object_scope, deserialize_keras_object, get_custom_objects,
    get_registered_name, get_registered_object, register_keras_serializable,
    serialize_keras_object,
)
from ember.keras.utils.image_utils import (  # noqa: F401
    array_to_img, img_to_array, load_img, save_img,
)
from ember.keras.utils.sequence_utils import pad_sequences  # noqa: F401
from ember.keras.utils.numerical_utils import normalize, to_categorical  # noqa: F401
from ember.keras.utils.model_visualization import model_to_dot, plot_model  # noqa: F401
from ember.keras.utils.progbar import Progbar  # noqa: F401

from ember.keras.utils.rng_utils import set_random_seed  # noqa: F401
from ember.keras.utils.general_utils import Config, get_source_inputs  # noqa: F401
from ember.keras.utils.io_utils import (  # noqa: F401
    disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled,
)
from ember.keras.trainers.data_adapter import (  # noqa: F401
    pack_x_y_sample_weight, unpack_x_y_sample_weight,
)
from ember.keras.backend import clear_session  # noqa: F401
from ember.keras.keras_tensor import is_keras_tensor  # noqa: F401


def standardize_dtype(dtype):
    """The Keras name of a dtype ("float32", "int64", ...; None gives floatx())."""
    from ember.keras.ops._dtypes import standardize_dtype as _standardize
    return _standardize(dtype)


__all__ = [
    "CustomObjectScope", "Progbar", "custom_object_scope", "deserialize_keras_object",
    "get_custom_objects", "get_file", "get_registered_name", "get_registered_object",
    "normalize", "PyDataset", "Sequence", "image_dataset_from_directory",
    "text_dataset_from_directory", "timeseries_dataset_from_array", "split_dataset",
    "register_keras_serializable", "serialize_keras_object", "set_random_seed",
    "to_categorical", "Config", "get_source_inputs", "disable_interactive_logging",
    "enable_interactive_logging", "is_interactive_logging_enabled", "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight", "clear_session", "is_keras_tensor", "standardize_dtype",
]

__all__ += ["array_to_img", "img_to_array", "load_img", "pad_sequences", "save_img"]
__all__ += ["model_to_dot", "plot_model"]


def __getattr__(name):
    """The dataset loaders (ember.data), get_file (hashlib, urllib) and PyDataset
    (multiprocessing) load on first use."""
    import importlib
    homes = {"get_file": "file_utils", "PyDataset": "py_dataset", "Sequence": "py_dataset",
             "image_dataset_from_directory": "image_dataset_utils",
             "text_dataset_from_directory": "text_dataset_utils",
             "timeseries_dataset_from_array": "timeseries_dataset_utils",
             "split_dataset": "dataset_utils"}
    if name in homes:
        return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
