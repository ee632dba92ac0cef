"""``ember.debugging`` (``tf.debugging``): run-time checks and debugging switches."""
from __future__ import annotations

from ember.ops.check_ops import (  # noqa: F401
    Assert, assert_all_finite, assert_equal, assert_greater, assert_greater_equal,
    assert_integer, assert_less, assert_less_equal, assert_near, assert_negative,
    assert_non_negative, assert_non_positive, assert_none_equal, assert_positive,
    assert_proper_iterable, assert_rank, assert_rank_at_least, assert_rank_in,
    assert_same_float_dtype, assert_scalar, assert_shapes, assert_type, check_numerics,
    is_numeric_tensor,
)

_settings = {"check_numerics": False, "log_device_placement": False,
             "traceback_filtering": True}


def enable_check_numerics(stack_height_limit=30, path_length_limit=50) -> None:
    """Records the request to check every float result for NaN/Inf. ember does not
    instrument every op: wrap the tensors to check with ``check_numerics``."""
    _settings["check_numerics"] = True


def disable_check_numerics() -> None:
    _settings["check_numerics"] = False


def set_log_device_placement(enabled: bool) -> None:
    """Records the setting (ember runs every op on the CPU, so there is nothing to log)."""
    _settings["log_device_placement"] = bool(enabled)


def get_log_device_placement() -> bool:
    return _settings["log_device_placement"]


def enable_traceback_filtering() -> None:
    """Accepted for compatibility: ember's tracebacks are not filtered."""
    _settings["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    _settings["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    return _settings["traceback_filtering"]
