"""``tf.config.experimental``: device memory, determinism, execution policy."""
from __future__ import annotations

from ember.config.devices import (  # noqa: F401
    PhysicalDevice, get_visible_devices, list_logical_devices, list_physical_devices,
    set_visible_devices,
)
from ember.config.devices import LogicalDeviceConfiguration as VirtualDeviceConfiguration  # noqa
from ember.config.devices import get_logical_device_configuration as \
    get_virtual_device_configuration  # noqa: F401
from ember.config.devices import set_logical_device_configuration as \
    set_virtual_device_configuration  # noqa: F401

_settings = {"determinism": False, "tf32": True, "device_policy": "silent",
             "synchronous": True, "mlir_bridge": False}
_POLICIES = (None, "explicit", "warn", "silent")


def _non_gpu(device, what):
    if not isinstance(device, PhysicalDevice) or device not in list_physical_devices():
        raise ValueError(f"{what}: unrecognized device {device!r}")
    raise ValueError(f"Cannot {what} on non-GPU and non-Pluggable devices")


def set_memory_growth(device, enable: bool) -> None:
    """GPU memory growth; ember has no GPU, so every device it lists refuses it, as
    TensorFlow refuses it on the CPU."""
    _non_gpu(device, "set memory growth")


def get_memory_growth(device) -> bool:
    _non_gpu(device, "get memory growth")


def get_memory_info(device: str) -> dict:
    """``{'current': bytes, 'peak': bytes}`` of device memory ember allocated: ember keeps
    tensors in ordinary host memory and does not count it, so both are 0 (as TensorFlow
    reports for the CPU)."""
    _device_name(device)
    return {"current": 0, "peak": 0}


def get_memory_usage(device: str) -> int:
    return get_memory_info(device)["current"]


def reset_memory_stats(device: str) -> None:
    _device_name(device)


def _device_name(device):
    from ember.config.devices import DeviceSpec
    spec = DeviceSpec.from_string(device)
    have = list_logical_devices(spec.device_type)
    if spec.device_type is None or (spec.device_index or 0) >= len(have):
        raise ValueError(f"No matching devices found for '{device}'")


def get_device_details(device) -> dict:
    """Details (name, compute capability) of a GPU; {} for the CPU."""
    if not isinstance(device, PhysicalDevice):
        raise ValueError(f"get_device_details: expected a PhysicalDevice, got {device!r}")
    return {}


def enable_op_determinism() -> None:
    """Requests deterministic ops. ember's kernels are deterministic already (a result
    depends only on inputs, dtype and thread count); seed randomness with
    ``tf.random.set_seed`` or ``keras.utils.set_random_seed``."""
    _settings["determinism"] = True


def disable_op_determinism() -> None:
    _settings["determinism"] = False


def is_op_determinism_enabled() -> bool:
    return _settings["determinism"]


def enable_tensor_float_32_execution(enabled: bool) -> None:
    """TensorFloat-32 is a GPU format; the setting is kept, float32 stays float32."""
    _settings["tf32"] = bool(enabled)


def tensor_float_32_execution_enabled() -> bool:
    return _settings["tf32"]


def get_device_policy() -> str:
    return _settings["device_policy"]


def set_device_policy(device_policy) -> None:
    if device_policy not in _POLICIES:
        raise ValueError(f"set_device_policy: policy must be one of {_POLICIES}, got "
                         f"{device_policy!r}")
    _settings["device_policy"] = "silent" if device_policy is None else device_policy


def get_synchronous_execution() -> bool:
    return _settings["synchronous"]


def set_synchronous_execution(enable: bool) -> None:
    """ember always executes synchronously; False is accepted."""
    _settings["synchronous"] = bool(enable)


def enable_mlir_bridge() -> None:
    _settings["mlir_bridge"] = True


def disable_mlir_bridge() -> None:
    _settings["mlir_bridge"] = False


class ClusterDeviceFilters:
    """Device filters per job and task (recorded; ember does not run clusters)."""

    def __init__(self):
        self._filters = {}

    def set_device_filters(self, job_name, task_index, device_filters):
        self._filters[(job_name, int(task_index))] = list(device_filters)
