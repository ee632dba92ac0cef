"""Devices: what ember runs on (the CPU), device names and ``device`` scopes.

ember computes on the CPU with NumPy. ``list_physical_devices`` reports that CPU (and no
GPU); the CPU can be split into several logical devices, as TensorFlow allows, for code
that places work on ``/CPU:1`` and so on. ``ember.device('/GPU:0')`` is accepted: with soft
device placement on (the default, as in TensorFlow) the ops inside run on the CPU, as
TensorFlow does on a machine without a GPU.
"""
from __future__ import annotations

import contextlib
import re
import threading

__all__ = ["PhysicalDevice", "LogicalDevice", "LogicalDeviceConfiguration", "DeviceSpec",
           "list_physical_devices", "list_logical_devices", "get_visible_devices",
           "set_visible_devices", "get_logical_device_configuration",
           "set_logical_device_configuration", "set_soft_device_placement",
           "get_soft_device_placement", "device", "current_device"]

_KNOWN_TYPES = ("CPU", "GPU", "TPU")


class PhysicalDevice:
    """A device the machine has: ``PhysicalDevice(name='/physical_device:CPU:0',
    device_type='CPU')``."""

    __slots__ = ("name", "device_type")

    def __init__(self, name: str, device_type: str):
        self.name = name
        self.device_type = device_type

    def __eq__(self, other):
        return isinstance(other, PhysicalDevice) and (self.name, self.device_type) == \
            (other.name, other.device_type)

    def __hash__(self):
        return hash((self.name, self.device_type))

    def __repr__(self):
        return f"PhysicalDevice(name={self.name!r}, device_type={self.device_type!r})"


class LogicalDevice(PhysicalDevice):
    """A device ops are placed on: ``LogicalDevice(name='/device:CPU:0', device_type='CPU')``."""

    __slots__ = ()

    def __repr__(self):
        return f"LogicalDevice(name={self.name!r}, device_type={self.device_type!r})"


class LogicalDeviceConfiguration:
    """One logical device to make from a physical one (``memory_limit`` in MB applies to
    GPUs and is kept for compatibility)."""

    def __init__(self, memory_limit=None, experimental_priority=None,
                 experimental_device_ordinal=None):
        self.memory_limit = memory_limit
        self.experimental_priority = experimental_priority
        self.experimental_device_ordinal = experimental_device_ordinal

    def __eq__(self, other):
        return isinstance(other, LogicalDeviceConfiguration) and vars(self) == vars(other)

    def __repr__(self):
        return (f"LogicalDeviceConfiguration(memory_limit={self.memory_limit}, "
                f"experimental_priority={self.experimental_priority}, "
                f"experimental_device_ordinal={self.experimental_device_ordinal})")


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_state = {"visible": [_CPU], "logical": {}, "soft_placement": True}


def _check_type(device_type):
    if device_type is None:
        return None
    t = str(device_type).upper()
    return t


def list_physical_devices(device_type: str | None = None) -> list:
    """The machine's devices of ``device_type`` (all when None): ember has the CPU.

    >>> tf.config.list_physical_devices()
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    >>> tf.config.list_physical_devices('GPU')
    []
    """
    t = _check_type(device_type)
    return [d for d in [_CPU] if t is None or d.device_type == t]


def get_visible_devices(device_type: str | None = None) -> list:
    t = _check_type(device_type)
    return [d for d in _state["visible"] if t is None or d.device_type == t]


def set_visible_devices(devices, device_type: str | None = None) -> None:
    """Restricts the devices ember may use; the CPU is ember's only device, so it must
    stay visible (hiding GPUs, which ember does not use, is accepted)."""
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in devices:
        if not isinstance(d, PhysicalDevice) or d not in list_physical_devices():
            raise ValueError(f"set_visible_devices: unrecognized device {d!r}")
    t = _check_type(device_type)
    if (t in (None, "CPU")) and _CPU not in devices:
        raise ValueError("set_visible_devices: ember computes on the CPU, so the CPU device "
                         "cannot be hidden")
    _state["visible"] = [_CPU]


def get_logical_device_configuration(device: PhysicalDevice):
    """The logical devices configured for ``device`` (None when not split)."""
    _check_physical(device, "get_logical_device_configuration")
    return _state["logical"].get(device)


def set_logical_device_configuration(device: PhysicalDevice, logical_devices) -> None:
    """Splits ``device`` into several logical devices (``/CPU:0``, ``/CPU:1`` ...). ember
    runs all of them on the same CPU."""
    _check_physical(device, "set_logical_device_configuration")
    configs = list(logical_devices) if logical_devices is not None else None
    if configs is not None:
        if not configs or not all(isinstance(c, LogicalDeviceConfiguration) for c in configs):
            raise ValueError("set_logical_device_configuration: logical_devices must be a "
                             "non-empty list of LogicalDeviceConfiguration")
        _state["logical"][device] = configs
    else:
        _state["logical"].pop(device, None)


def _check_physical(device, what):
    if not isinstance(device, PhysicalDevice) or device not in list_physical_devices():
        raise ValueError(f"{what}: unrecognized device {device!r}")


def list_logical_devices(device_type: str | None = None) -> list:
    """The devices ops can be placed on.

    >>> tf.config.list_logical_devices('CPU')
    [LogicalDevice(name='/device:CPU:0', device_type='CPU')]
    """
    t = _check_type(device_type)
    out = []
    for phys in _state["visible"]:
        n = len(_state["logical"].get(phys) or [None])
        out.extend(LogicalDevice(f"/device:{phys.device_type}:{i}", phys.device_type)
                   for i in range(n))
    return [d for d in out if t is None or d.device_type == t]


def set_soft_device_placement(enabled: bool) -> None:
    """With soft placement (the default), ops asked to run on a device ember lacks run on
    the CPU; without it, such a request raises an error."""
    _state["soft_placement"] = bool(enabled)


def get_soft_device_placement() -> bool:
    return _state["soft_placement"]


# ------------------------------------------------------------------------ DeviceSpec ---

_PART = re.compile(r"^(job|replica|task|device|cpu|gpu|tpu|[A-Za-z_]+)(?::(.*))?$",
                   re.IGNORECASE)


class DeviceSpec:
    """A parsed device name: job, replica, task, device type and index.

    >>> tf.DeviceSpec.from_string('/job:worker/task:1/device:GPU:0').device_type
    'GPU'
    """

    __slots__ = ("job", "replica", "task", "device_type", "device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = None if device_type is None else str(device_type).upper()
        self.device_index = None if device_index is None else int(device_index)

    @classmethod
    def from_string(cls, spec: str) -> "DeviceSpec":
        out = cls()
        for part in [p for p in (spec or "").split("/") if p]:
            m = _PART.match(part)
            key = m.group(1).lower() if m else None
            value = m.group(2) if m else None
            if key == "job" and value is not None:
                out.job = value
            elif key in ("replica", "task") and value is not None and value.isdigit():
                setattr(out, key, int(value))
            elif key == "device" and value is not None:
                dtype, _, index = value.partition(":")
                out._set_device(dtype, index, spec)
            elif key is not None and key.upper() in _KNOWN_TYPES:
                out._set_device(key, value or "", spec)
            else:
                raise ValueError(f"Unknown attribute '{part.split(':')[0]}' is encountered "
                                 f"while parsing the device spec: '{spec}'.")
        return out

    def _set_device(self, dtype, index, spec):
        if dtype.upper() not in _KNOWN_TYPES and dtype != "*":
            raise ValueError(f"Unknown attribute '{dtype}' is encountered while parsing the "
                             f"device spec: '{spec}'.")
        self.device_type = dtype.upper() if dtype != "*" else None
        if index not in ("", "*", None):
            if not index.isdigit():
                raise ValueError(f"Invalid device index '{index}' in the device spec '{spec}'")
            self.device_index = int(index)

    parse_from_string = from_string

    def to_string(self) -> str:
        parts = []
        if self.job is not None:
            parts.append(f"/job:{self.job}")
        if self.replica is not None:
            parts.append(f"/replica:{self.replica}")
        if self.task is not None:
            parts.append(f"/task:{self.task}")
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            parts.append(f"/device:{self.device_type}:{index}")
        return "".join(parts)

    def replace(self, **kwargs) -> "DeviceSpec":
        fields = {k: getattr(self, k) for k in self.__slots__}
        fields.update(kwargs)
        return DeviceSpec(**fields)

    def make_merged_spec(self, dev: "DeviceSpec") -> "DeviceSpec":
        """This spec with the fields ``dev`` sets replaced."""
        return self.replace(**{k: getattr(dev, k) for k in self.__slots__
                               if getattr(dev, k) is not None})

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"<DeviceSpec {self.to_string()!r}>"


# ------------------------------------------------------------------- device scopes ---

_local = threading.local()


def _stack():
    s = getattr(_local, "stack", None)
    if s is None:
        s = _local.stack = []
    return s


def current_device() -> str:
    """The device the innermost ``device`` scope asked for ('' outside any scope)."""
    s = _stack()
    return s[-1] if s else ""


@contextlib.contextmanager
def device(device_name):
    """Places the ops made inside on ``device_name`` ('/CPU:0', '/GPU:0', 'cpu' ...).

    ember runs every op on the CPU; asking for a device it lacks is fine with soft device
    placement (the default), and an error without it.

    >>> with tf.device('/CPU:0'):
    ...     y = x * 2
    """
    if callable(device_name) and not isinstance(device_name, str):
        raise NotImplementedError("device: device functions (TF1) are not supported; pass a "
                                  "device name")
    if isinstance(device_name, DeviceSpec):
        spec = device_name
    else:
        spec = DeviceSpec.from_string(device_name or "")
    if spec.device_type is not None and not _state["soft_placement"]:
        have = [d for d in list_logical_devices(spec.device_type)]
        index = spec.device_index or 0
        if index >= len(have):
            from ember.framework.errors import InvalidArgumentError
            raise InvalidArgumentError(
                f"Could not satisfy device specification '{device_name}': ember has no such "
                f"device ({', '.join(d.name for d in list_logical_devices())}) and soft "
                f"device placement is off")
    stack = _stack()
    stack.append(spec.to_string())
    try:
        yield
    finally:
        stack.pop()
