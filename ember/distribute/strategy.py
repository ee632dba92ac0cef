"""``tf.distribute.Strategy``: the API every strategy shares, its ``extended`` half, and
the ``ReplicaContext`` code sees inside ``strategy.run``.

A strategy here is described by two things: its *local replicas* (the devices of this
process it runs a copy of the computation on; several when the CPU is split into logical
devices) and its *communicator* (the other worker processes of a cluster, or none). The
replicas in sync are ``local replicas x workers``; replica ``k`` of worker ``w`` has id
``w x local + k``. The default, one-device, mirrored and multi-worker strategies differ
only in those two.
"""
from __future__ import annotations

import contextlib
import weakref

import ember
from ember.framework import nest
from ember.distribute import distribution_context as dc
from ember.distribute import cross_worker
from ember.distribute import values as values_lib
from ember.distribute.reduce_op import ReduceOp, as_reduce_op
from ember.distribute.replicas import LocalReplicaGroup
from ember.distribute.values import (
    DistributedValues, PerReplica, local_results, regroup, select_replica,
)

__all__ = ["Strategy", "StrategyExtended", "ReplicaContext"]


class _Scope:
    """``with strategy.scope():`` — the strategy's cross-replica context; variables made
    inside belong to it."""

    def __init__(self, strategy):
        self._strategy = strategy
        self._tokens = []

    def __enter__(self):
        current = dc.current_scope_strategy()
        if current is not None and current is not self._strategy and \
                not isinstance(current, _DefaultDistributionStrategy) and \
                not isinstance(self._strategy, _DefaultDistributionStrategy):
            raise RuntimeError(
                f"Mixing different tf.distribute.Strategy objects: entering the scope of "
                f"{type(self._strategy).__name__} inside the scope of "
                f"{type(current).__name__}")
        if dc.current_replica_context() is not None and \
                dc.current_replica_context().strategy is self._strategy:
            self._tokens.append(None)      # already in its replica context: no change
        else:
            self._tokens.append(dc.enter_scope(self._strategy))
        return self._strategy

    def __exit__(self, *exc):
        tokens = self._tokens.pop()
        if tokens is not None:
            dc.exit_scope(tokens)
        return False


class ReplicaContext:
    """What code running in one replica (inside ``strategy.run``) can ask and do.

    >>> def step():
    ...     ctx = tf.distribute.get_replica_context()
    ...     return ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.constant(1.0))
    >>> float(tf.distribute.get_strategy().run(step))
    1.0
    """

    def __init__(self, strategy, replica_id_in_sync_group, _local_index=0, _group=None):
        self._strategy = strategy
        self._replica_id = int(replica_id_in_sync_group)
        self._local_index = _local_index
        self._group = _group
        self._tokens = None

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self) -> int:
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        """This replica's id among all replicas in sync (a scalar int32 tensor)."""
        return ember.constant(self._replica_id, dtype=ember.int32)

    @property
    def devices(self):
        return (self._strategy.extended.worker_devices[self._local_index],)

    def __enter__(self):
        self._tokens = dc.enter_replica(self)
        return self

    def __exit__(self, *exc):
        dc.exit_replica(self._tokens)
        self._tokens = None
        return False

    def _collective(self, value, combine):
        if self._group is None:
            return combine([value])
        return self._group.collective(self._local_index, value, combine)

    def all_reduce(self, reduce_op, value, options=None):
        """``value`` (a tensor or nested structure of them) reduced over all replicas; the
        same result in every replica."""
        reduce_op = as_reduce_op(reduce_op, "ReplicaContext.all_reduce")
        comm = self._strategy.extended._communicator
        return self._collective(value, lambda values: cross_worker.reduce_structure(
            comm, reduce_op, values))

    def all_gather(self, value, axis, options=None):
        """Every replica's ``value`` concatenated along ``axis``, in replica-id order."""
        comm = self._strategy.extended._communicator

        def combine(values):
            flats = [nest.flatten(v) for v in values]
            local = [ember.concat([cross_worker.as_dense(x) for x in parts], axis=axis)
                     for parts in zip(*flats)]
            return nest.pack_sequence_as(values[0],
                                         cross_worker.gather_workers(comm, local, axis))
        return self._collective(value, combine)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Calls ``merge_fn(strategy, *args, **kwargs)`` once, in the cross-replica context,
        with each argument that differs between replicas as a ``PerReplica``; every replica
        gets its result (its own component of a ``PerReplica`` result)."""
        kwargs = kwargs or {}
        strategy = self._strategy

        def combine(per_replica):
            merged_args = _merge_values([a for a, _ in per_replica])
            merged_kwargs = _merge_values([k for _, k in per_replica])
            tokens = dc.enter_scope(strategy)
            try:
                return merge_fn(strategy, *merged_args, **merged_kwargs)
            finally:
                dc.exit_scope(tokens)
        result = self._collective((tuple(args), dict(kwargs)), combine)
        return select_replica(self._local_index, result)

    def __repr__(self):
        return (f"ReplicaContext(replica_id_in_sync_group={self._replica_id}, "
                f"num_replicas_in_sync={self.num_replicas_in_sync})")


def _merge_values(per_replica):
    """One structure from the replicas' structures: a leaf that is the same object in
    every replica stays itself, others become ``PerReplica``."""
    if len(per_replica) == 1:
        return per_replica[0]
    flats = [values_lib.flatten(v) for v in per_replica]
    leaves = [vals[0] if all(v is vals[0] for v in vals) else PerReplica(vals)
              for vals in zip(*flats)]
    return values_lib.pack_as(per_replica[0], leaves)


class StrategyExtended:
    """The lower-level half of a strategy (``strategy.extended``)."""

    def __init__(self, container_strategy, devices, communicator=None):
        self._container_strategy = container_strategy
        self._devices = tuple(devices)
        self._communicator = communicator
        self._traced_runs = weakref.WeakKeyDictionary()

    # -- layout ----------------------------------------------------------------------
    @property
    def _num_local(self) -> int:
        return len(self._devices)

    @property
    def _num_workers(self) -> int:
        return 1 if self._communicator is None else self._communicator.size

    @property
    def _worker_index(self) -> int:
        return 0 if self._communicator is None else self._communicator.rank

    @property
    def _num_replicas_in_sync(self) -> int:
        return self._num_local * self._num_workers

    def _in_multi_worker_mode(self) -> bool:
        return self._num_workers > 1

    @property
    def worker_devices(self) -> tuple:
        return self._devices

    @property
    def parameter_devices(self) -> tuple:
        return self._devices

    @property
    def should_checkpoint(self) -> bool:
        """Whether this worker should write checkpoints (the chief)."""
        return self._worker_index == 0

    @property
    def should_save_summary(self) -> bool:
        return self._worker_index == 0

    @property
    def experimental_should_init(self) -> bool:
        return True

    @property
    def experimental_between_graph(self) -> bool:
        return self._communicator is not None

    @property
    def experimental_require_static_shapes(self) -> bool:
        return False

    def variable_created_in_scope(self, v) -> bool:
        return getattr(v, "_distribute_strategy", None) is self._container_strategy

    def colocate_vars_with(self, colocate_with_variable):
        return contextlib.nullcontext()

    def value_container(self, value):
        return value

    def non_slot_devices(self, var_list):
        return self._devices

    # -- replicas ----------------------------------------------------------------------
    def call_for_each_replica(self, fn, args=(), kwargs=None):
        kwargs = kwargs or {}
        strategy = self._container_strategy
        base = self._worker_index * self._num_local
        if self._num_local == 1:
            with ReplicaContext(strategy, base):
                return fn(*select_replica(0, tuple(args)), **select_replica(0, kwargs))
        inner = getattr(fn, "python_function", None)
        if inner is not None and ember.executing_eagerly():
            # an ember.function run on several replicas: one trace holding every replica
            # (its trace lock would otherwise hold back all replicas but the first)
            traced = self._traced_runs.get(fn)
            if traced is None:
                traced = self._traced_runs[fn] = ember.function(
                    lambda *a, **k: self.call_for_each_replica(inner, a, k))
            return traced(*args, **kwargs)
        group = LocalReplicaGroup(self._num_local)

        def replica_fn(i):
            with ReplicaContext(strategy, base + i, _local_index=i, _group=group):
                return fn(*select_replica(i, tuple(args)), **select_replica(i, kwargs))
        return regroup(group.run(replica_fn))

    # -- cross-replica reductions --------------------------------------------------------
    def _local_values(self, value, reduce_op=None):
        """The local replicas' values of ``value``; a value that is not distributed counts
        once (as TensorFlow: MEAN gives it back, SUM over several local replicas of one
        worker is an error)."""
        if isinstance(value, DistributedValues) and not getattr(value, "_is_ember_variable",
                                                                False):
            return list(value.values)
        if reduce_op == ReduceOp.SUM and self._num_local > 1 and self._num_workers == 1:
            raise ValueError(f"A non-DistributedValues value {value!r} cannot be reduced "
                             f"with the given reduce op ReduceOp.SUM.")
        return [value]

    def reduce_to(self, reduce_op, value, destinations=None, options=None):
        """``value`` (per replica) reduced over all replicas, in the cross-replica
        context."""
        reduce_op = as_reduce_op(reduce_op, "reduce_to")
        return cross_worker.reduce_structure(self._communicator, reduce_op,
                                             self._local_values(value, reduce_op))

    def batch_reduce_to(self, reduce_op, value_destination_pairs, options=None):
        return [self.reduce_to(reduce_op, v, d) for v, d in value_destination_pairs]

    def update(self, var, fn, args=(), kwargs=None, group=True):
        """Runs ``fn(var, *args, **kwargs)`` to update ``var`` (once: the local replicas
        share its storage)."""
        kwargs = kwargs or {}
        tokens = dc.enter_scope(self._container_strategy) \
            if dc.current_replica_context() is not None else None
        try:
            return fn(var, *select_replica(0, tuple(args)), **select_replica(0, kwargs))
        finally:
            if tokens is not None:
                dc.exit_scope(tokens)

    def update_non_slot(self, colocate_with, fn, args=(), kwargs=None, group=True):
        return fn(*args, **(kwargs or {}))

    def read_var(self, v):
        return v.read_value() if hasattr(v, "read_value") else v

    def broadcast_to(self, tensor, destinations):
        return tensor


class Strategy:
    """Distributes a computation over replicas (see ``MirroredStrategy``,
    ``MultiWorkerMirroredStrategy``, ``OneDeviceStrategy``)."""

    def __init__(self, extended: StrategyExtended):
        self._extended = extended

    # -- description --------------------------------------------------------------------
    @property
    def extended(self) -> StrategyExtended:
        return self._extended

    @property
    def num_replicas_in_sync(self) -> int:
        return self._extended._num_replicas_in_sync

    @property
    def cluster_resolver(self):
        return getattr(self, "_cluster_resolver", None)

    def scope(self):
        """Enters the cross-replica context: variables made inside (models, optimizers,
        metrics) are this strategy's."""
        return _Scope(self)

    # -- running -----------------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """Calls ``fn`` once per local replica with that replica's component of each
        ``PerReplica`` argument; returns the results (a ``PerReplica`` per value when there
        are several local replicas)."""
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}.run: fn must be callable, got "
                            f"{type(fn).__name__}")
        scope = self.scope()
        with scope:
            return self._extended.call_for_each_replica(fn, args, kwargs)

    experimental_run_v2 = run

    def reduce(self, reduce_op, value, axis=None):
        """``value`` (per replica, from ``run``) reduced over all replicas; with ``axis``,
        also over that axis of each replica's value (``MEAN`` then averages over every
        element along it, whatever each replica held).

        >>> s = tf.distribute.get_strategy()
        >>> float(s.reduce("SUM", tf.constant([1.0, 2.0]), axis=0))
        3.0
        """
        reduce_op = as_reduce_op(reduce_op, f"{type(self).__name__}.reduce")
        with self.scope():
            values = self._extended._local_values(value, reduce_op)
            if axis is None:
                return cross_worker.reduce_structure(self._extended._communicator,
                                                     reduce_op, values)
            comm = self._extended._communicator
            sums = [ember.reduce_sum(cross_worker.as_dense(v), axis=axis) for v in values]
            total = cross_worker.reduce_structure(comm, ReduceOp.SUM, sums)
            if reduce_op == ReduceOp.SUM:
                return total
            counts = [ember.cast(ember.shape(cross_worker.as_dense(v))[axis], total.dtype)
                      for v in values]
            count = cross_worker.reduce_structure(comm, ReduceOp.SUM, counts)
            return ember.math.divide_no_nan(total, count)

    def experimental_local_results(self, value):
        """The local replicas' values of ``value``, as a tuple."""
        if isinstance(value, (list, tuple, dict)) and not isinstance(value,
                                                                     DistributedValues):
            flats = values_lib.flatten(value)
            per = [local_results(x) for x in flats]
            n = max(len(p) for p in per) if per else 1
            return tuple(values_lib.pack_as(value, [p[i] if len(p) > 1 else p[0]
                                                       for p in per]) for i in range(n))
        return local_results(value)

    def gather(self, value, axis):
        """Every replica's ``value`` concatenated along ``axis`` (cross-replica context)."""
        values = [cross_worker.as_dense(v) for v in self._extended._local_values(value)]
        local = ember.concat(values, axis=axis) if len(values) > 1 else values[0]
        with self.scope():
            return cross_worker.gather_workers(self._extended._communicator, [local],
                                               axis)[0]

    # -- input -------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        """``dataset`` (batched with the *global* batch size) split for the replicas:
        across workers by its auto-shard policy, each batch into one piece per local
        replica."""
        from ember.distribute.input_lib import DistributedDataset
        return DistributedDataset(self, dataset, options)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """Calls ``dataset_fn(input_context)`` on each worker; its dataset is batched with
        the *per-replica* batch size and not sharded further."""
        from ember.distribute.input_lib import DistributedDatasetsFromFunction
        return DistributedDatasetsFromFunction(self, dataset_fn, options)

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_distribute_values_from_function(self, value_fn):
        """A ``PerReplica`` of ``value_fn(ValueContext)`` for each local replica."""
        from ember.distribute.input_options import ValueContext
        ext = self._extended
        base = ext._worker_index * ext._num_local
        values = [value_fn(ValueContext(base + i, self.num_replicas_in_sync))
                  for i in range(ext._num_local)]
        return values[0] if len(values) == 1 else PerReplica(values)

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object>"


class _DefaultDistributionStrategy(Strategy):
    """The strategy in effect when no other is: one replica, no distribution."""

    def __init__(self):
        from ember.distribute.devices import current_device_name
        super().__init__(StrategyExtended(self, [current_device_name()]))
        self._replica_ctx = ReplicaContext(self, 0)

    def _default_replica_context(self):
        return self._replica_ctx

