"""``tf.distribute.OneDeviceStrategy``: one replica on one named device."""
from __future__ import annotations

from ember.distribute.devices import canonicalize
from ember.distribute.strategy import Strategy, StrategyExtended

__all__ = ["OneDeviceStrategy"]


class OneDeviceStrategy(Strategy):
    """Everything on ``device`` (one replica): code written for a strategy, run without
    distribution.

    >>> strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    >>> strategy.num_replicas_in_sync
    1
    """

    def __init__(self, device):
        if device is None:
            raise ValueError("OneDeviceStrategy: a device is required, e.g. '/cpu:0'")
        super().__init__(StrategyExtended(self, [canonicalize(device, "OneDeviceStrategy")]))
