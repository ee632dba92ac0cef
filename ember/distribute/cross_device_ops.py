"""``tf.distribute.CrossDeviceOps`` and friends: how a MirroredStrategy combines its
replicas' values. ember's local replicas share memory, so every choice sums the same way;
the classes are accepted for compatibility."""
from __future__ import annotations

__all__ = ["CrossDeviceOps", "ReductionToOneDevice", "NcclAllReduce",
           "HierarchicalCopyAllReduce"]


class CrossDeviceOps:
    """Base class of the cross-device reduction choices (no effect in ember)."""

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs


class ReductionToOneDevice(CrossDeviceOps):
    pass


class NcclAllReduce(CrossDeviceOps):
    pass


class HierarchicalCopyAllReduce(CrossDeviceOps):
    pass
