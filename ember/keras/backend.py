"""keras.backend basics: float type, epsilon, image data format, clear_session."""
from __future__ import annotations

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected float16, bfloat16, "
                         f"float32 or float64")
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: {data_format}")
    _IMAGE_DATA_FORMAT = data_format


def backend():
    """"tensorflow": ember stands in for Keras's TensorFlow backend, so code that branches
    on the backend takes the TensorFlow path."""
    return "tensorflow"


_uid_counts = {}


def get_uid(prefix=""):
    _uid_counts[prefix] = _uid_counts.get(prefix, 0) + 1
    return _uid_counts[prefix]


def reset_uids():
    _uid_counts.clear()


def clear_session(free_memory=True):
    """Resets layer-name counters (``dense``, ``dense_1`` ... start again); with
    ``free_memory`` also drops the kernels' cached scratch buffers."""
    reset_uids()
    if free_memory:
        from ember.runtime.memory import release_scratch
        release_scratch()


def unique_layer_name(base):
    """``dense``, ``dense_1``, ``dense_2`` ... (reset by clear_session)."""
    n = get_uid(base) - 1
    return base if n == 0 else f"{base}_{n}"


def standardize_dtype(dtype):
    if dtype is None:
        return floatx()
    if isinstance(dtype, dict):   # a serialized DTypePolicy
        dtype = dtype.get("config", {}).get("name", floatx())
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    if dtype in ("mixed_float16", "mixed_bfloat16"):
        return "float32"
    import ember
    return ember.as_dtype(dtype).name


def __getattr__(name):
    """tf.keras's backend functions (``K.mean``, ``K.batch_dot``, ...) load on first use
    from ``ember.keras.legacy_backend``."""
    if not name.startswith("_"):
        from ember.keras import legacy_backend
        if name in legacy_backend.__all__:
            return getattr(legacy_backend, name)
    raise AttributeError(f"module 'ember.keras.backend' has no attribute {name!r}")


def __dir__():
    from ember.keras import legacy_backend
    return sorted(set(globals()) | set(legacy_backend.__all__))
