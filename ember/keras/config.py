"""keras.config: global Keras settings (float type, epsilon, image data format, dtype
policy, traceback filtering, interactive logging, unsafe deserialization)."""
from ember.keras.backend import (  # noqa: F401
    backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
    set_image_data_format,
)
from ember.keras.dtype_policies import dtype_policy, set_dtype_policy  # noqa: F401
from ember.framework import lazy as _lazy

# keras.layers and keras.utils load when one of these is first read, not with keras.config.
__getattr__, __dir__ = _lazy.attach(__name__, attributes={
    "enable_unsafe_deserialization": "ember.keras.layers.lambda_layer",
    "disable_interactive_logging": "ember.keras.utils.io_utils",
    "enable_interactive_logging": "ember.keras.utils.io_utils",
    "is_interactive_logging_enabled": "ember.keras.utils.io_utils",
})

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format", "enable_unsafe_deserialization",
           "disable_interactive_logging",
           "enable_interactive_logging", "is_interactive_logging_enabled",
           "enable_traceback_filtering", "disable_traceback_filtering",
           "is_traceback_filtering_enabled", "dtype_policy", "set_dtype_policy",
           "enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled",
           "max_epochs", "set_max_epochs", "max_steps_per_epoch", "set_max_steps_per_epoch",
           "set_backend", "is_nnx_enabled"]

_SETTINGS = {"traceback_filtering": True, "flash_attention": None,
             "max_epochs": None, "max_steps_per_epoch": None}


def enable_traceback_filtering():
    """Keras's switch for trimming its own frames from tracebacks (ember shows all frames;
    the setting is kept for programs that read it)."""
    _SETTINGS["traceback_filtering"] = True


def disable_traceback_filtering():
    _SETTINGS["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    return _SETTINGS["traceback_filtering"]


def enable_flash_attention():
    """Flash attention needs a GPU kernel; ember records the setting only."""
    _SETTINGS["flash_attention"] = True


def disable_flash_attention():
    _SETTINGS["flash_attention"] = False


def is_flash_attention_enabled():
    return _SETTINGS["flash_attention"]


def max_epochs():
    return _SETTINGS["max_epochs"]


def set_max_epochs(max_epochs):
    """Records Keras's cap on fit's epochs (ember's fit does not read it)."""
    _SETTINGS["max_epochs"] = max_epochs


def max_steps_per_epoch():
    return _SETTINGS["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Records Keras's cap on steps per epoch (ember's fit does not read it)."""
    _SETTINGS["max_steps_per_epoch"] = max_steps_per_epoch


def set_backend(backend):
    """ember is the only backend: switching raises."""
    if backend != "tensorflow":
        raise NotImplementedError(f"keras.config.set_backend: ember provides the "
                                  f"'tensorflow' backend only; received {backend!r}")


def is_nnx_enabled() -> bool:
    return False
