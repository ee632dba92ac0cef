"""What ``fit``/``evaluate`` do under a ``tf.distribute`` strategy (data parallelism).

Under a strategy with several replicas in sync the compiled step runs
``strategy.run(train_step, ...)`` on the replicas' pieces of the batch: with several
workers each worker keeps its slice of every global batch (TensorFlow's DATA auto-shard,
or the dataset's FILE sharding), and a worker's batch is cut again for its local
replicas. Losses are scaled by ``1 / num_replicas_in_sync`` (Keras's
``scale_loss_for_distribution``) so that the gradients summed over replicas are those of
the mean over the global batch; the optimizer sums gradients over replicas and applies
them once; metrics made under the strategy's scope add their updates over replicas.
Nothing here runs (``ember.distribute`` is not even imported) for a program that never
uses a strategy.
"""
from __future__ import annotations

import sys

import ember

__all__ = ["current_strategy", "model_strategy", "num_replicas_in_sync", "distributed_step",
           "worker_batch", "apply_gradients_in_replica", "shard_dataset_for_worker",
           "shuffle_seed"]


def _module():
    return sys.modules.get("ember.distribute")


def current_strategy():
    """The strategy in effect, or None when ``ember.distribute`` was never used."""
    mod = _module()
    return None if mod is None else mod.get_strategy()


def num_replicas_in_sync() -> int:
    strategy = current_strategy()
    return 1 if strategy is None else strategy.num_replicas_in_sync


def model_strategy(model):
    """The non-default strategy a model was made or compiled under, or None."""
    mod = _module()
    if mod is None:
        return None
    if mod.has_strategy():
        return mod.get_strategy()
    for v in getattr(model, "weights", None) or []:
        found = getattr(v, "_distribute_strategy", None)
        if found is not None:
            return found
    return None


def is_distributed(strategy) -> bool:
    return strategy is not None and (strategy.num_replicas_in_sync > 1 or
                                     strategy.extended._num_workers > 1)


def distributed_step(strategy, step_fn):
    """``step_fn(batch)`` run on every local replica's piece of ``batch`` (this worker's
    part); returns the last local replica's logs (after every local replica's metric
    updates)."""
    from ember.distribute.input_lib import split_batch
    from ember.distribute.values import PerReplica

    def step(data):
        local = strategy.extended._num_local
        data = ember.nest.map_structure(
            lambda a: a if a is None or isinstance(a, ember.Tensor) else
            ember.convert_to_tensor(a), data)
        args = data if local == 1 else PerReplica(split_batch(data, local))
        out = strategy.run(step_fn, args=(args,))
        return strategy.experimental_local_results(out)[-1]
    return step


def worker_batch(strategy, batch, pre_sharded=False):
    """This worker's slice of a global batch of arrays (DATA sharding)."""
    if strategy is None or pre_sharded or strategy.extended._num_workers == 1:
        return batch
    from ember.distribute.input_lib import worker_part
    return worker_part(batch, strategy.extended._num_workers,
                       strategy.extended._worker_index)


def shard_dataset_for_worker(strategy, x):
    """For a ``tf.data.Dataset`` ``x`` under several workers: (the dataset to read, whether
    it is already this worker's share). FILE (or AUTO with files) shards by file, OFF
    leaves it whole (each worker then trains on whole global batches), DATA (AUTO
    without files) keeps it whole for ``worker_batch`` to slice."""
    if strategy is None or strategy.extended._num_workers == 1 or \
            not isinstance(x, ember.data.Dataset):
        return x, False
    from ember.distribute import input_lib
    policy = input_lib._policy(x)
    if policy == input_lib._HINT:
        raise NotImplementedError("fit: AutoShardPolicy.HINT is not supported in ember; use "
                                  "DATA, FILE, AUTO or OFF")
    if policy == input_lib._OFF:
        return x, True
    if policy in (input_lib._AUTO, input_lib._FILE):
        sharded = input_lib._shard_files(x, strategy.extended._num_workers,
                                         strategy.extended._worker_index)
        if sharded is not None:
            return sharded, True
        if policy == input_lib._FILE:
            raise ValueError("fit: AutoShardPolicy.FILE needs a dataset that reads files "
                             "(Dataset.list_files or a file reader at its source); use DATA "
                             "or OFF")
    return x, False


def shuffle_seed(strategy, seed):
    """``seed`` for fit's shuffling; with several workers, worker 0's (a fresh one when
    there is no global seed), so that every worker shuffles alike and the DATA slices of
    each global batch cover it exactly once."""
    if strategy is None or strategy.extended._num_workers == 1:
        return seed
    import numpy as np
    mine = np.array(seed if seed is not None else
                    np.random.SeedSequence().generate_state(3, dtype=np.uint32).tolist(),
                    dtype=np.int64)
    return [int(v) for v in strategy.extended._communicator.broadcast([mine])[0]]


def apply_gradients_in_replica(grads, variables, apply_fn) -> bool:
    """Inside ``strategy.run`` with several replicas in sync: sums ``grads`` over the
    replicas and calls ``apply_fn(grads, variables)`` once (a ``merge_call``); returns
    False (nothing done) otherwise."""
    mod = _module()
    if mod is None:
        return False
    ctx = mod.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return False
    from ember.distribute.cross_worker import as_dense
    reduced = ctx.all_reduce(mod.ReduceOp.SUM, [as_dense(g) for g in grads])

    def merge(_strategy, summed):
        first = [g.values[0] if isinstance(g, mod.DistributedValues) else g for g in summed]
        apply_fn(first, variables)
    ctx.merge_call(merge, args=(reduced,))
    return True
