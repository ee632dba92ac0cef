"""Device names a strategy's replicas run on: canonical TensorFlow spelling
(``/job:localhost/replica:0/task:0/device:CPU:0``) and checks against the logical devices
``tf.config`` reports."""
from __future__ import annotations

from ember.config import devices as _devices

__all__ = ["canonicalize", "local_devices", "current_device_name"]


def canonicalize(name: str, what: str) -> str:
    """``name`` ('/cpu:1', 'CPU:0', '/device:CPU:0', a DeviceSpec) as
    '/job:localhost/replica:0/task:0/device:CPU:<i>', checked to exist."""
    spec = name if isinstance(name, _devices.DeviceSpec) else \
        _devices.DeviceSpec.from_string(str(name) if str(name).startswith("/")
                                        else "/" + str(name))
    kind = spec.device_type or "CPU"
    index = spec.device_index or 0
    have = _devices.list_logical_devices(kind)
    if index >= len(have):
        known = ", ".join(d.name for d in _devices.list_logical_devices()) or "none"
        hint = (" ember computes on the CPU; split it into several logical devices with "
                "tf.config.set_logical_device_configuration(cpu, [tf.config."
                "LogicalDeviceConfiguration()] * n) before making the strategy") \
            if kind == "CPU" else " ember has no GPU or TPU"
        raise ValueError(f"{what}: device {name!r} does not exist (logical devices: "
                         f"{known}).{hint}")
    return f"/job:localhost/replica:0/task:0/device:{kind}:{index}"


def local_devices() -> list:
    """The devices a MirroredStrategy uses by default: every logical GPU, else the
    CPU (one replica; TensorFlow too does not use a split CPU's logical devices unless
    they are named)."""
    gpus = _devices.list_logical_devices("GPU")
    if gpus:
        return [canonicalize(d.name, "MirroredStrategy") for d in gpus]
    return ["/job:localhost/replica:0/task:0/device:CPU:0"]


def current_device_name() -> str:
    current = _devices.current_device()
    if current:
        try:
            return canonicalize(current, "tf.distribute")
        except ValueError:
            pass
    return "/job:localhost/replica:0/task:0/device:CPU:0"
