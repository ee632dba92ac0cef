"""Variables made under a strategy's scope: ``MirroredVariable`` and
``SyncOnReadVariable``.

The local replicas of one process share a variable's storage, so a mirrored variable is
the ember variable itself, its class swapped for a subclass that knows its strategy
(``values`` lists it once per local replica). What the strategy adds:
- **made**: with several workers, its initial value is worker 0's (broadcast), so every
  worker starts from the same weights;
- **updated in a replica context** (inside ``strategy.run``) with several replicas, as
  its ``aggregation`` says: ``SUM``/``MEAN`` all-reduce the replicas' new values (or
  deltas) and apply the result once; ``ONLY_FIRST_REPLICA`` applies replica 0's;
  ``NONE`` updates each worker's own copy, as TensorFlow updates each replica's copy
  (with several local replicas sharing the storage, replica 0's update is kept: the
  copy TensorFlow reads in the cross-replica context). Updates in the cross-replica context (an optimizer's, inside
  ``merge_call``) are applied as they are;
- ``synchronization=ON_READ`` (``SyncOnReadVariable``): replicas update their worker's
  copy; reading it in the cross-replica context gives the aggregate over workers.
"""
from __future__ import annotations

import numpy as np

from ember.framework import variables as _variables
from ember.framework.variables import VariableAggregation, VariableSynchronization
from ember.distribute import distribution_context as dc
from ember.distribute import cross_worker
from ember.distribute.reduce_op import ReduceOp
from ember.distribute.values import DistributedValues

__all__ = ["DistributedVariable", "MirroredVariable", "SyncOnReadVariable", "install"]


def _first(value):
    """Replica 0's component of a merge_call argument."""
    if isinstance(value, DistributedValues) and not getattr(value, "_is_ember_variable",
                                                            False):
        return value.values[0]
    return value


class DistributedVariable(DistributedValues):
    """A variable of a strategy (mixed into the variable's own class)."""


    @property
    def values(self) -> tuple:
        return (self,) * self._distribute_strategy.extended._num_local

    @property
    def distribute_strategy(self):
        return self._distribute_strategy

    def _get_on_device_or_primary(self):
        return self

    def __repr__(self):
        for klass in type(self).__mro__:
            if "__repr__" in vars(klass) and not issubclass(klass, DistributedValues):
                return klass.__repr__(self)
        return object.__repr__(self)

    def _active_replica_context(self):
        ctx = dc.current_replica_context()
        if ctx is None or ctx.strategy is not self._distribute_strategy or \
                ctx.num_replicas_in_sync == 1:
            return None
        return ctx


class MirroredVariable(DistributedVariable):
    """A variable kept equal on every replica."""


    def _replica_update(self, kind, value, read_value):
        base = getattr(super(MirroredVariable, self), kind)
        ctx = self._active_replica_context()
        agg = self.aggregation
        if ctx is None or (agg == VariableAggregation.NONE and ctx._group is None):
            return base(value, read_value=read_value)
        strategy = self._distribute_strategy
        comm = strategy.extended._communicator
        if agg == VariableAggregation.NONE:
            # each replica would update its own copy; the local replicas share one, which
            # keeps replica 0's update (the copy TensorFlow reads across replicas)
            return ctx.merge_call(lambda _, val: base(_first(val), read_value=read_value),
                                  args=(value,))
        if agg == VariableAggregation.ONLY_FIRST_REPLICA:
            def merge(_, val):
                first = cross_worker.broadcast_workers(
                    comm, [cross_worker.as_dense(_first(val))])[0]
                return base(first, read_value=read_value)
            return ctx.merge_call(merge, args=(value,))
        op = ReduceOp.SUM if agg == VariableAggregation.SUM else ReduceOp.MEAN
        reduced = ctx.all_reduce(op, cross_worker.as_dense(value))
        return ctx.merge_call(lambda _, val: base(_first(val), read_value=read_value),
                              args=(reduced,))

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return self._replica_update("assign", value, read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._replica_update("assign_add", delta, read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._replica_update("assign_sub", delta, read_value)


class SyncOnReadVariable(DistributedVariable):
    """A variable each worker updates on its own; read across replicas it is the
    aggregate (its ``aggregation``: SUM, MEAN or ONLY_FIRST_REPLICA) over workers."""


    def _aggregated(self):
        strategy = self._distribute_strategy
        comm = strategy.extended._communicator
        if comm is None or comm.size == 1 or not dc.in_cross_replica_context():
            return None
        local = super(SyncOnReadVariable, self).value()
        agg = self.aggregation
        if agg == VariableAggregation.ONLY_FIRST_REPLICA:
            return cross_worker.broadcast_workers(comm, [local])[0]
        if agg == VariableAggregation.NONE:
            return local
        op = ReduceOp.MEAN if agg == VariableAggregation.MEAN else ReduceOp.SUM
        return cross_worker.all_reduce_workers(comm, op, [local])[0]

    def value(self):
        found = self._aggregated()
        return found if found is not None else super(SyncOnReadVariable, self).value()

    def read_value(self):
        return self.value()

    def numpy(self):
        found = self._aggregated()
        return found.numpy() if found is not None else \
            super(SyncOnReadVariable, self).numpy()


_classes = {}


def _distributed_class(base, mixin):
    key = (base, mixin)
    cls = _classes.get(key)
    if cls is None:
        name = mixin.__name__ if base is _variables.Variable else \
            f"{mixin.__name__.replace('Variable', '')}{base.__name__}"
        cls = _classes[key] = type(name, (mixin, base), {"__module__": __name__})
    return cls


def on_variable_created(variable):
    """The creation hook: a variable made under a (non-default) strategy becomes its."""
    strategy = dc.get_strategy()
    if strategy is dc.default_strategy():
        return
    variable._distribute_strategy = strategy
    mixin = SyncOnReadVariable if variable.synchronization == VariableSynchronization.ON_READ \
        else MirroredVariable
    if not isinstance(variable, DistributedVariable):
        variable.__class__ = _distributed_class(type(variable), mixin)
    comm = strategy.extended._communicator
    if comm is not None and comm.size > 1:
        arr = comm.broadcast([variable.numpy()])[0]
        variable._set_array(np.array(arr, dtype=variable.dtype.np).reshape(
            np.shape(variable.numpy())))


def install():
    if on_variable_created not in _variables.creation_hooks:
        _variables.creation_hooks.append(on_variable_created)
