"""``tf.distribute.MultiWorkerMirroredStrategy``: synchronous data parallelism over the
processes (workers) of a cluster, each with one replica.

The workers come from ``TF_CONFIG`` (or a ``cluster_resolver``); making the strategy
connects them (see ``collective.py``: a TCP star around worker 0, bounded timeouts, a
dead peer reported by name), so create it at the start of the program on every worker.
Variables made under its scope start from worker 0's values (broadcast when made); each
step the workers sum their gradients. Without a cluster in ``TF_CONFIG`` it is a one-
worker strategy.
"""
from __future__ import annotations

import enum

from ember.distribute import collective
from ember.distribute.cluster_resolver import TFConfigClusterResolver, collective_workers
from ember.distribute.strategy import Strategy, StrategyExtended

__all__ = ["MultiWorkerMirroredStrategy", "CommunicationOptions",
           "CommunicationImplementation", "CollectiveCommunication"]


class CommunicationImplementation(enum.Enum):
    """How workers exchange tensors. ember always uses its TCP collectives; ``RING`` and
    ``NCCL`` are accepted (NCCL needs GPUs, which ember lacks: it raises)."""

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


CollectiveCommunication = CommunicationImplementation


class CommunicationOptions:
    """Options of the collectives: ``implementation`` and ``timeout_seconds`` (how long a
    collective waits for a slow or dead peer before raising ``DeadlineExceededError``;
    default: ``EMBER_COLLECTIVE_TIMEOUT`` or 300 s). ``bytes_per_pack`` is accepted."""

    def __init__(self, bytes_per_pack=0, timeout_seconds=None,
                 implementation=CommunicationImplementation.AUTO):
        if bytes_per_pack < 0:
            raise ValueError(f"CommunicationOptions: bytes_per_pack must be non-negative, "
                             f"got {bytes_per_pack}")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError(f"CommunicationOptions: timeout_seconds must be positive, got "
                             f"{timeout_seconds}")
        if isinstance(implementation, str):
            implementation = CommunicationImplementation[implementation.upper()]
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation

    def merge(self, options):
        out = CommunicationOptions(self.bytes_per_pack, self.timeout_seconds,
                                   self.implementation)
        if options is not None:
            for key in ("bytes_per_pack", "timeout_seconds"):
                if getattr(options, key):
                    setattr(out, key, getattr(options, key))
            if options.implementation != CommunicationImplementation.AUTO:
                out.implementation = options.implementation
        return out


_communicators = {}


def _communicator(addresses, rank, timeout):
    """One communicator per cluster and task in a process (a second strategy reuses it, as
    TensorFlow's collective runtime is process-wide)."""
    key = (tuple(addresses), rank)
    comm = _communicators.get(key)
    if comm is None or comm._broken is not None:
        comm = _communicators[key] = collective.Communicator(addresses, rank,
                                                             timeout=timeout)
    elif timeout:
        comm.timeout = float(timeout)
    return comm


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous training over the workers of ``TF_CONFIG``'s cluster.

    >>> os.environ["TF_CONFIG"] = json.dumps({
    ...     "cluster": {"worker": ["localhost:12345", "localhost:23456"]},
    ...     "task": {"type": "worker", "index": 0}})
    >>> strategy = tf.distribute.MultiWorkerMirroredStrategy()   # waits for worker 1
    >>> with strategy.scope():
    ...     model = make_model(); model.compile(...)
    >>> model.fit(dataset)       # each worker reads its shard of every global batch
    """

    def __init__(self, cluster_resolver=None, communication_options=None):
        if communication_options is None:
            communication_options = CommunicationOptions()
        elif isinstance(communication_options, CommunicationImplementation):
            communication_options = CommunicationOptions(
                implementation=communication_options)
        if not isinstance(communication_options, CommunicationOptions):
            raise ValueError(f"MultiWorkerMirroredStrategy: communication_options must be a "
                             f"tf.distribute.experimental.CommunicationOptions, got "
                             f"{communication_options!r}")
        if communication_options.implementation == CommunicationImplementation.NCCL:
            raise NotImplementedError("MultiWorkerMirroredStrategy: NCCL communication needs "
                                      "GPUs, which ember does not have; use AUTO or RING")
        self._communication_options = communication_options
        self._cluster_resolver = cluster_resolver or TFConfigClusterResolver()
        addresses, rank = collective_workers(self._cluster_resolver)
        comm = None
        if len(addresses) > 1:
            comm = _communicator(addresses, rank, communication_options.timeout_seconds)
        super().__init__(StrategyExtended(
            self, ["/job:localhost/replica:0/task:0/device:CPU:0"], communicator=comm))
        if comm is not None:
            job = self._cluster_resolver.task_type
            self._extended._devices = (
                f"/job:{job}/replica:0/task:{self._cluster_resolver.task_id}/device:CPU:0",)
