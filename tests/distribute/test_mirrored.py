"""MirroredStrategy over logical CPU devices: several replicas in one process, their
results equal to one replica on the whole batch."""
import numpy as np
import pytest

import ember as tf
from ember import keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 5)).astype("float32")
Y = (X @ RNG.normal(size=(5, 1)) + 0.3).astype("float32")


def _model(run_eagerly=False):
    keras.utils.set_random_seed(7)
    m = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="tanh",
                           kernel_regularizer=keras.regularizers.L2(0.01)),
        keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse",
              metrics=["mae", keras.metrics.RootMeanSquaredError()],
              run_eagerly=run_eagerly)
    return m


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_fit_on_two_replicas_equals_one(two_cpus, run_eagerly):
    plain = _model(run_eagerly)
    want = plain.fit(X, Y, batch_size=12, epochs=2, shuffle=False, verbose=0).history
    strategy = tf.distribute.MirroredStrategy(two_cpus)
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = _model(run_eagerly)
    got = model.fit(X, Y, batch_size=12, epochs=2, shuffle=False, verbose=0).history
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in want:                    # metrics aggregated over the replicas
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=10, verbose=0),
                               plain.evaluate(X, Y, batch_size=10, verbose=0), rtol=1e-5)
    assert model.distribute_strategy is strategy


def test_custom_loop_on_two_replicas_equals_one(two_cpus):
    global_batch = 16
    loss_obj = keras.losses.MeanSquaredError(reduction="none")

    def run(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(5)
            model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4),
                                      keras.layers.Dense(1)])
            optimizer = keras.optimizers.Adam(0.01)
        ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(global_batch)
        dist = strategy.experimental_distribute_dataset(ds)

        def step(inputs):
            x, y = inputs
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(loss_obj(y, model(x, training=True)))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function
        def train(iterator):             # the pattern of TF's tutorials: next() inside
            inputs = next(iterator)
            return strategy.reduce("SUM", strategy.run(step, args=(inputs,)), axis=None)
        losses = []
        for _ in range(2):
            iterator = iter(dist)
            losses += [float(train(iterator)) for _ in range(len(X) // global_batch)]
        return model.get_weights(), losses
    w1, l1 = run(tf.distribute.get_strategy())
    w2, l2 = run(tf.distribute.MirroredStrategy(two_cpus))
    for a, b in zip(w2, w1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l2, l1, rtol=1e-5)


@pytest.mark.parametrize("traced", [False, True])
def test_replica_context_collectives(two_cpus, traced):
    s = tf.distribute.MirroredStrategy(two_cpus)
    calls = []

    def fn(x):
        ctx = tf.distribute.get_replica_context()
        rid = tf.cast(ctx.replica_id_in_sync_group, tf.float32)
        total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, {"a": x * (rid + 1.0)})
        mean = ctx.all_reduce("MEAN", rid)
        gathered = ctx.all_gather(tf.reshape(rid, [1]), axis=0)
        merged = ctx.merge_call(lambda strategy, v: calls.append(v) or 1.0, args=(rid,))
        return total["a"], mean, gathered, merged
    run = tf.function(lambda: s.run(fn, args=(tf.constant(2.0),))) if traced else \
        (lambda: s.run(fn, args=(tf.constant(2.0),)))
    total, mean, gathered, merged = run()
    assert [float(v) for v in s.experimental_local_results(total)] == [6.0, 6.0]
    assert [float(v) for v in mean.values] == [0.5, 0.5]
    np.testing.assert_array_equal(gathered.values[1], [0.0, 1.0])
    assert len(calls) == 1 and isinstance(calls[0], tf.distribute.PerReplica)
    assert s.experimental_local_results(merged) == (1.0, 1.0)


def test_distributed_values_and_reduce(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    per = s.experimental_distribute_values_from_function(
        lambda ctx: tf.constant([float(ctx.replica_id_in_sync_group) + 1.0, 10.0]))
    assert isinstance(per, tf.distribute.PerReplica) and len(per.values) == 2
    out = s.run(lambda v: v * 2.0, args=(per,))
    np.testing.assert_allclose(s.reduce("SUM", out, axis=None), [6.0, 40.0])
    np.testing.assert_allclose(s.reduce("MEAN", out, axis=None), [3.0, 20.0])
    assert float(s.reduce("SUM", out, axis=0)) == 46.0
    assert float(s.reduce("MEAN", out, axis=0)) == 11.5
    np.testing.assert_allclose(s.gather(out, axis=0), [2.0, 20.0, 4.0, 20.0])


def test_variable_aggregation_in_replica_context(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    with s.scope():
        total = tf.Variable(0.0, aggregation=tf.VariableAggregation.SUM)
        mean = tf.Variable(0.0, aggregation=tf.VariableAggregation.MEAN)
        first = tf.Variable(0.0, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        plain = tf.Variable(0.0)
    assert total.values == (total, total)

    @tf.function
    def step():
        rid = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group,
                      tf.float32)
        total.assign_add(rid + 1.0)          # 1 + 2, applied once
        mean.assign(rid + 1.0)               # (1 + 2) / 2
        first.assign(rid + 5.0)              # replica 0's
        plain.assign(rid + 7.0)              # each replica's own copy: replica 0's kept
    s.run(step)
    assert (float(total), float(mean), float(first), float(plain)) == (3.0, 1.5, 5.0, 7.0)


def test_compute_average_loss_uses_replica_count(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    out = s.run(lambda: tf.nn.compute_average_loss(tf.constant([1.0, 3.0])))
    assert [float(v) for v in out.values] == [1.0, 1.0]      # 4 / (2 per replica x 2)
    out = s.run(lambda: tf.nn.scale_regularization_loss(tf.constant(3.0)))
    assert [float(v) for v in out.values] == [1.5, 1.5]
    with s.scope():                                           # Keras loss objects scale too
        assert float(keras.losses.MeanSquaredError()([[0.0], [0.0]], [[1.0], [3.0]])) == 2.5


def test_replica_errors_are_raised(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)

    def only_first_reduces():
        ctx = tf.distribute.get_replica_context()
        if ctx._replica_id == 0:
            ctx.all_reduce("SUM", tf.constant(1.0))
        return 0
    with pytest.raises(RuntimeError, match="replica 0 is waiting in collective"):
        s.run(only_first_reduces)

    def fails_in_second():
        if tf.distribute.get_replica_context()._replica_id == 1:
            raise ValueError("bad replica")
        return tf.distribute.get_replica_context().all_reduce("SUM", tf.constant(1.0))
    with pytest.raises(ValueError, match="bad replica"):
        s.run(fails_in_second)


def test_datasets_from_function(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    seen = []

    def dataset_fn(ctx):
        seen.append((ctx.num_input_pipelines, ctx.input_pipeline_id,
                     ctx.num_replicas_in_sync))
        return tf.data.Dataset.range(8).batch(ctx.get_per_replica_batch_size(4))
    dist = s.distribute_datasets_from_function(dataset_fn)
    steps = [[v.numpy().tolist() for v in s.experimental_local_results(e)] for e in dist]
    assert seen == [(1, 0, 2)]
    assert steps == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]


def test_tf1_optimizer_under_several_replicas_raises(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    with s.scope():
        v = tf.Variable(1.0)
    opt = tf.compat.v1.train.GradientDescentOptimizer(0.1)
    with pytest.raises(NotImplementedError, match="tf.keras.optimizers"):
        s.run(lambda: opt.apply_gradients([(tf.constant(1.0), v)]))


def test_reduce_of_a_value_that_is_not_distributed(two_cpus):
    """As TensorFlow 2.21 (checked side by side): MEAN gives it back, SUM over several
    local replicas is an error."""
    s = tf.distribute.MirroredStrategy(two_cpus)
    np.testing.assert_allclose(s.reduce("MEAN", tf.constant([1.0, 2.0]), axis=None),
                               [1.0, 2.0])
    with pytest.raises(ValueError, match="non-DistributedValues"):
        s.reduce("SUM", tf.constant([1.0, 2.0]), axis=None)
    assert len(s.experimental_local_results(tf.constant(1.0))) == 1


def test_for_loop_over_distributed_dataset_inside_function(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    dist = s.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices(np.arange(12, dtype=np.float32)).batch(4))

    @tf.function
    def total():
        acc = tf.constant(0.0)
        for batch in dist:
            acc += s.reduce("SUM", s.run(lambda x: tf.reduce_sum(x * x), args=(batch,)),
                            axis=None)
        return acc
    assert float(total()) == float(np.sum(np.arange(12.0) ** 2))
    assert float(total()) == float(np.sum(np.arange(12.0) ** 2))     # a new pass per call


def test_synchronized_batch_norm_under_replicas_raises(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    with s.scope():
        layer = keras.layers.BatchNormalization(synchronized=True)
        layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="synchronized=True"):
        s.run(lambda: layer(tf.ones((4, 3)), training=True))
    plain = keras.layers.BatchNormalization(synchronized=True)    # one replica: as False
    np.testing.assert_allclose(plain(tf.ones((4, 3)), training=True), np.zeros((4, 3)),
                               atol=1e-6)


def test_blocked_replicas_time_out(two_cpus, monkeypatch):
    """An ember.function with a collective called inside the replica function: one replica
    traces it (holding its trace lock) and waits for the other, which waits for the lock;
    the collective timeout ends the wait with an error that says what to do."""
    monkeypatch.setenv("EMBER_COLLECTIVE_TIMEOUT", "0.5")
    s = tf.distribute.MirroredStrategy(two_cpus)

    @tf.function
    def inner(x):
        return tf.distribute.get_replica_context().all_reduce("SUM", x)
    with pytest.raises(RuntimeError, match="make the function given to strategy.run"):
        s.run(lambda: inner(tf.constant(1.0)))
