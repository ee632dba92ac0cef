"""Strategies ember does not provide: they raise a NotImplementedError that says what to
use instead."""
from __future__ import annotations

__all__ = ["ParameterServerStrategy", "TPUStrategy", "CentralStorageStrategy"]


class _Unsupported:
    _why = ""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"tf.distribute.{self._public}: {self._why}")


class ParameterServerStrategy(_Unsupported):
    _public = "experimental.ParameterServerStrategy"
    _why = ("asynchronous training with parameter servers is not implemented in ember; use "
            "tf.distribute.MultiWorkerMirroredStrategy (synchronous, all workers train)")


class TPUStrategy(_Unsupported):
    _public = "TPUStrategy"
    _why = ("ember runs on the CPU and has no TPU support; use MirroredStrategy or "
            "MultiWorkerMirroredStrategy")


class CentralStorageStrategy(_Unsupported):
    _public = "experimental.CentralStorageStrategy"
    _why = ("not implemented in ember; MirroredStrategy gives the same results on the CPU "
            "(its replicas share the variables' storage)")
