"""Reductions over replicas: first the local replicas of this process (ember ops, so they
work eagerly and inside a trace), then the workers of the cluster (the communicator, run
as an op when traced)."""
from __future__ import annotations

import numpy as np

import ember
from ember.framework import nest
from ember.framework.tensor import EagerTensor
from ember.distribute.reduce_op import ReduceOp

__all__ = ["reduce_local", "all_reduce_workers", "broadcast_workers", "gather_workers"]


def as_dense(x):
    """A tensor for ``x`` (IndexedSlices, variables and Python values made dense)."""
    if isinstance(x, ember.IndexedSlices):
        return ember.convert_to_tensor(x)
    if getattr(x, "_is_ember_variable", False):
        return x.value()
    return ember.convert_to_tensor(x)


def reduce_local(reduce_op: ReduceOp, values: list):
    """One tensor from the local replicas' ``values`` (one tensor each)."""
    values = [as_dense(v) for v in values]
    if len(values) == 1:
        return values[0]
    total = ember.add_n(values)
    if reduce_op == ReduceOp.MEAN:
        total = total / ember.cast(len(values), total.dtype)
    return total


def _eager(tensors):
    return all(isinstance(t, EagerTensor) for t in tensors) and ember.executing_eagerly()


def _run(comm, tensors, call):
    """``call(arrays)`` on the tensors' values: directly when eager, as a stateful op
    inside a trace (keeping the tensors' static shapes)."""
    if _eager(tensors):
        return [ember.constant(a) for a in call([np.asarray(t._value) for t in tensors])]
    outs = ember.numpy_function(lambda *arrays: call(list(arrays)), tensors,
                                Tout=[t.dtype for t in tensors], stateful=True)
    outs = outs if isinstance(outs, list) else [outs]
    return outs


def all_reduce_workers(comm, reduce_op: ReduceOp, tensors: list) -> list:
    """The tensors reduced over every worker (unchanged with one worker)."""
    if comm is None or comm.size == 1 or not tensors:
        return list(tensors)
    op = "mean" if reduce_op == ReduceOp.MEAN else "sum"
    outs = _run(comm, tensors, lambda arrays: comm.all_reduce(arrays, op))
    return [_keep_shape(o, t) for o, t in zip(outs, tensors)]


def broadcast_workers(comm, tensors: list, root: int = 0) -> list:
    if comm is None or comm.size == 1 or not tensors:
        return list(tensors)
    outs = _run(comm, tensors, lambda arrays: comm.broadcast(arrays, root))
    return [_keep_shape(o, t) for o, t in zip(outs, tensors)]


def gather_workers(comm, tensors: list, axis: int) -> list:
    if comm is None or comm.size == 1 or not tensors:
        return list(tensors)
    return _run(comm, tensors, lambda arrays: comm.all_gather(arrays, axis))


def _keep_shape(out, like):
    if not isinstance(out, EagerTensor) and like.shape.rank is not None:
        out = ember.ensure_shape(out, like.shape)
    return out


def reduce_structure(comm, reduce_op: ReduceOp, per_replica_values: list):
    """Reduces a list (one per local replica) of equal nested structures over every
    replica of the cluster; one structure of tensors."""
    flats = [nest.flatten(v) for v in per_replica_values]
    local = [reduce_local(reduce_op, list(vals)) for vals in zip(*flats)]
    # MEAN: the workers' mean of local means is the mean over all replicas (every worker
    # has as many local replicas)
    reduced = all_reduce_workers(comm, reduce_op, local)
    return nest.pack_sequence_as(per_replica_values[0], reduced)
