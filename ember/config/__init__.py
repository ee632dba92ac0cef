"""ember.config (``tf.config``): runtime settings — devices, threading, eager execution of
functions, optimizer options; and ember's own ``runtime`` (heap tuning, spinning workers,
BLAS thread control)."""
from __future__ import annotations

from ember.config import experimental, optimizer, runtime, threading  # noqa: F401
from ember.config.devices import (  # noqa: F401
    LogicalDevice, LogicalDeviceConfiguration, PhysicalDevice, get_logical_device_configuration,
    get_soft_device_placement, get_visible_devices, list_logical_devices,
    list_physical_devices, set_logical_device_configuration, set_soft_device_placement,
    set_visible_devices,
)


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Makes every ``ember.function`` run its Python code eagerly (no tracing, no
    AutoGraph) — for debugging with print and breakpoints.

    >>> tf.config.run_functions_eagerly(True)
    """
    from ember.framework.context import settings
    settings.run_functions_eagerly = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether ``run_functions_eagerly(True)`` is in effect."""
    from ember.framework.context import settings
    return settings.run_functions_eagerly


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


def experimental_connect_to_cluster(*args, **kwargs):
    raise NotImplementedError("experimental_connect_to_cluster: ember runs in one process; "
                              "remote devices and clusters are not supported")


def experimental_connect_to_host(*args, **kwargs):
    raise NotImplementedError("experimental_connect_to_host: ember runs in one process; "
                              "remote hosts are not supported")
