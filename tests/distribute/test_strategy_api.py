"""tf.distribute's strategy API: contexts, default and one-device strategies, reductions,
distributed values, cluster resolvers, the strategies ember leaves out."""
import json

import numpy as np
import pytest

import ember as tf
from ember import keras


def test_default_strategy_contexts():
    d = tf.distribute.get_strategy()
    assert d.num_replicas_in_sync == 1
    assert not tf.distribute.has_strategy()
    assert not tf.distribute.in_cross_replica_context()
    ctx = tf.distribute.get_replica_context()
    assert ctx is not None and ctx.num_replicas_in_sync == 1
    assert int(ctx.replica_id_in_sync_group) == 0
    assert tf.distribute.get_strategy() is d


def test_scope_and_run_contexts():
    s = tf.distribute.MirroredStrategy()
    assert s.num_replicas_in_sync == 1             # one CPU device: one replica, as in TF
    with s.scope():
        assert tf.distribute.has_strategy() and tf.distribute.get_strategy() is s
        assert tf.distribute.in_cross_replica_context()
        assert tf.distribute.get_replica_context() is None

        def fn():
            ctx = tf.distribute.get_replica_context()
            assert not tf.distribute.in_cross_replica_context()
            assert ctx.strategy is s
            merged = ctx.merge_call(lambda strategy, v: (strategy, v * 2), args=(3.0,))
            return merged
        strategy, value = s.run(fn)
        assert strategy is s and value == 6.0
    assert not tf.distribute.has_strategy()
    other = tf.distribute.OneDeviceStrategy("/cpu:0")
    with s.scope():
        with pytest.raises(RuntimeError, match="Mixing different"):
            with other.scope():
                pass


def test_reduce_and_local_results_one_replica():
    s = tf.distribute.OneDeviceStrategy("/cpu:0")
    out = s.run(lambda x: x * 2.0, args=(tf.constant([1.0, 2.0, 3.0]),))
    np.testing.assert_allclose(s.reduce("SUM", out, axis=None), [2.0, 4.0, 6.0])
    assert float(s.reduce(tf.distribute.ReduceOp.SUM, out, axis=0)) == 12.0
    assert float(s.reduce(tf.distribute.ReduceOp.MEAN, out, axis=0)) == 4.0
    (local,) = s.experimental_local_results(out)
    np.testing.assert_allclose(local, [2.0, 4.0, 6.0])
    np.testing.assert_allclose(s.gather(out, axis=0), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="ReduceOp"):
        s.reduce("MAX", out, axis=None)


def test_one_device_rejects_unknown_device():
    with pytest.raises(ValueError, match="does not exist"):
        tf.distribute.OneDeviceStrategy("/gpu:0")
    with pytest.raises(ValueError, match="does not exist"):
        tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])    # not split: one CPU


def _fit(strategy=None, run_eagerly=False):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")

    def make():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=run_eagerly)
        return m
    if strategy is None:
        model = make()
    else:
        with strategy.scope():
            model = make()
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), history.history


@pytest.mark.parametrize("make", [lambda: tf.distribute.get_strategy(),
                                  lambda: tf.distribute.OneDeviceStrategy("/cpu:0"),
                                  lambda: tf.distribute.MirroredStrategy()])
def test_one_replica_strategies_equal_plain_fit(make):
    plain_w, plain_h = _fit()
    w, h = _fit(make())
    for a, b in zip(w, plain_w):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h["loss"], plain_h["loss"], rtol=1e-6)


def test_variables_made_in_scope_are_the_strategys():
    s = tf.distribute.OneDeviceStrategy("/cpu:0")
    with s.scope():
        v = tf.Variable(1.0, aggregation=tf.VariableAggregation.SUM)
        r = tf.Variable(0.0, synchronization=tf.VariableSynchronization.ON_READ,
                        aggregation=tf.VariableAggregation.SUM)
    outside = tf.Variable(2.0)
    assert isinstance(v, tf.distribute.MirroredVariable)
    assert isinstance(v, tf.distribute.DistributedValues) and isinstance(v, tf.Variable)
    assert isinstance(r, tf.distribute.SyncOnReadVariable)
    assert not isinstance(outside, tf.distribute.DistributedValues)
    assert s.extended.variable_created_in_scope(v)
    assert not s.extended.variable_created_in_scope(outside)
    assert v.values == (v,)
    assert s.experimental_local_results(v) == (v,)
    s.run(lambda: v.assign_add(2.0))
    assert float(v) == 3.0 and "ember.Variable" in repr(v)


def test_compute_average_loss_default_strategy():
    per_example = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert float(tf.nn.compute_average_loss(per_example)) == 3.0
    assert float(tf.nn.compute_average_loss(per_example, global_batch_size=8)) == 1.5
    assert float(tf.nn.scale_regularization_loss(tf.constant(4.0))) == 4.0


def test_tf_config_cluster_resolver(monkeypatch):
    config = {"cluster": {"chief": ["host0:1000"], "worker": ["host1:1001", "host2:1002"]},
              "task": {"type": "worker", "index": 1}, "rpc_layer": "grpc"}
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    r = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    assert (r.task_type, r.task_id, r.rpc_layer) == ("worker", 1, "grpc")
    assert r.cluster_spec().as_dict() == config["cluster"]
    assert r.master() == "grpc://host2:1002"
    from ember.distribute.cluster_resolver import collective_workers
    assert collective_workers(r) == (["host0:1000", "host1:1001", "host2:1002"], 2)
    simple = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"worker": ["a:1", "b:2"]}), task_type="worker", task_id=0)
    assert simple.cluster_spec().num_tasks("worker") == 2
    assert collective_workers(simple) == (["a:1", "b:2"], 0)
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        r.cluster_spec()


def test_multi_worker_strategy_without_cluster_is_one_worker(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    s = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING))
    assert s.num_replicas_in_sync == 1 and not s.extended._in_multi_worker_mode()
    assert s.extended.should_checkpoint
    with pytest.raises(NotImplementedError, match="NCCL"):
        tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=tf.distribute.experimental.CollectiveCommunication.NCCL)


def test_unsupported_strategies_raise_clearly():
    with pytest.raises(NotImplementedError, match="parameter servers"):
        tf.distribute.experimental.ParameterServerStrategy(None)
    with pytest.raises(NotImplementedError, match="TPU"):
        tf.distribute.TPUStrategy()


def test_input_context():
    ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1,
                                     num_replicas_in_sync=4)
    assert ctx.get_per_replica_batch_size(64) == 16
    with pytest.raises(ValueError, match="divisible"):
        ctx.get_per_replica_batch_size(10)


@pytest.mark.parametrize("module", ["reduce_op", "strategy", "input_options", "one_device",
                                    "cluster_resolver", "distribution_context"])
def test_docstring_examples(module):
    import importlib
    from tests.docexamples import run_examples
    failed, attempted = run_examples(importlib.import_module(f"ember.distribute.{module}"),
                                     {"tf": tf})
    assert attempted > 0 and failed == 0
