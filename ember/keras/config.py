"""keras.config: global Keras settings (float type, epsilon, image data format, unsafe
deserialization)."""
from ember.keras.backend import (  # noqa: F401
    backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
    set_image_data_format,
)
from ember.keras.layers.lambda_layer import enable_unsafe_deserialization  # noqa: F401

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "enable_unsafe_deserialization"]
