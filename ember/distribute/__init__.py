"""``tf.distribute``: data-parallel training over replicas and worker processes.

    strategy = tf.distribute.MultiWorkerMirroredStrategy()   # workers from TF_CONFIG
    with strategy.scope():
        model = tf.keras.Sequential([...])
        model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=64)     # 64 = the global batch, split over the replicas

Strategies: the default one (no distribution), ``OneDeviceStrategy``, ``MirroredStrategy``
(replicas on this machine's devices: the CPU, or its logical devices) and
``MultiWorkerMirroredStrategy`` (one replica per worker process, TCP collectives). See
docs/architecture.md ("Distribution").
"""
from ember.framework import hooks as _hooks
from ember.distribute import experimental  # noqa: F401
from ember.distribute import cluster_resolver  # noqa: F401
from ember.distribute.cross_device_ops import (  # noqa: F401
    CrossDeviceOps, HierarchicalCopyAllReduce, NcclAllReduce, ReductionToOneDevice,
)
from ember.distribute.distribution_context import (  # noqa: F401
    experimental_set_strategy, get_replica_context, get_strategy, has_strategy,
    in_cross_replica_context,
)
from ember.distribute.distributed_variables import (  # noqa: F401
    DistributedVariable, MirroredVariable, SyncOnReadVariable, install as _install,
)
from ember.distribute.input_lib import (  # noqa: F401
    DistributedDataset, DistributedIterator,
)
from ember.distribute.input_options import (  # noqa: F401
    InputContext, InputOptions, InputReplicationMode, RunOptions,
)
from ember.distribute.mirrored import MirroredStrategy  # noqa: F401
from ember.distribute.multi_worker import MultiWorkerMirroredStrategy  # noqa: F401
from ember.distribute.one_device import OneDeviceStrategy  # noqa: F401
from ember.distribute.reduce_op import ReduceOp  # noqa: F401
from ember.distribute.strategy import ReplicaContext, Strategy, StrategyExtended  # noqa: F401
from ember.distribute.unsupported import TPUStrategy  # noqa: F401
from ember.distribute.values import DistributedValues, Mirrored, PerReplica  # noqa: F401

StrategyExtendedV2 = StrategyExtended
_install()
_hooks.set_replicas_in_sync_getter(lambda: get_strategy().num_replicas_in_sync)

__all__ = ["get_strategy", "has_strategy", "in_cross_replica_context", "get_replica_context",
           "experimental_set_strategy", "Strategy", "StrategyExtended", "ReplicaContext",
           "OneDeviceStrategy", "MirroredStrategy", "MultiWorkerMirroredStrategy",
           "TPUStrategy", "ReduceOp", "InputContext", "InputOptions",
           "InputReplicationMode", "RunOptions", "DistributedValues", "DistributedDataset",
           "DistributedIterator", "CrossDeviceOps", "HierarchicalCopyAllReduce",
           "NcclAllReduce", "ReductionToOneDevice", "experimental", "cluster_resolver",
           "DistributedVariable", "MirroredVariable", "SyncOnReadVariable", "PerReplica",
           "Mirrored"]
