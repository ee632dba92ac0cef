"""``tf.distribute.MirroredStrategy``: synchronous data parallelism over the devices of
one machine."""
from __future__ import annotations

from ember.distribute.devices import canonicalize, local_devices
from ember.distribute.strategy import Strategy, StrategyExtended

__all__ = ["MirroredStrategy"]


class MirroredStrategy(Strategy):
    """One replica per device; each gets a slice of every global batch, and gradients are
    summed over the replicas before one update of the shared variables.

    ember's one device is the CPU, so ``MirroredStrategy()`` has one replica, as
    TensorFlow has on a host without GPUs. Split the CPU into logical devices first to
    run several replicas:

    >>> cpu = tf.config.list_physical_devices("CPU")[0]
    >>> tf.config.set_logical_device_configuration(
    ...     cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    >>> strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    >>> strategy.num_replicas_in_sync
    2
    """

    def __init__(self, devices=None, cross_device_ops=None):
        if devices is None:
            names = local_devices()
        else:
            if isinstance(devices, str):
                devices = [devices]
            names = [canonicalize(d, "MirroredStrategy") for d in devices]
            if not names:
                raise ValueError("MirroredStrategy: devices must not be empty")
            if len(set(names)) != len(names):
                raise ValueError(f"MirroredStrategy: devices must be distinct, got "
                                 f"{list(devices)}")
        self._cross_device_ops = cross_device_ops
        super().__init__(StrategyExtended(self, names))
