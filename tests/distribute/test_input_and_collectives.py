"""Distributed datasets (auto-shard policies, per-replica pieces) and the TCP collectives
(in threads of one process)."""
import socket
import threading

import numpy as np
import pytest

import ember as tf
from ember.distribute.collective import Communicator
from ember.distribute.strategy import Strategy, StrategyExtended


class _SecondOfTwoWorkers:
    """Stands for the communicator of worker 1 of 2 (the dataset code reads only these)."""
    size, rank = 2, 1


def _worker1_strategy():
    s = Strategy.__new__(Strategy)
    Strategy.__init__(s, StrategyExtended(s, ["/cpu:0"], _SecondOfTwoWorkers()))
    return s


def _steps(dist):
    return [np.asarray(e).tolist() for e in dist]


def _with_policy(ds, policy):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy
    return ds.with_options(options)


def test_data_policy_gives_each_worker_its_slice_of_every_batch():
    s = _worker1_strategy()
    ds = tf.data.Dataset.range(10).batch(4)
    assert _steps(s.experimental_distribute_dataset(ds)) == [[2, 3], [6, 7], [9]]
    data = _with_policy(ds, tf.data.experimental.AutoShardPolicy.DATA)
    assert _steps(s.experimental_distribute_dataset(data)) == [[2, 3], [6, 7], [9]]


def test_off_policy_reads_everything_in_per_replica_pieces():
    s = _worker1_strategy()
    ds = _with_policy(tf.data.Dataset.range(6).batch(4),
                      tf.data.experimental.AutoShardPolicy.OFF)
    assert _steps(s.experimental_distribute_dataset(ds)) == [[0, 1], [2, 3], [4], [5]]


def test_file_policy_shards_files(tmp_path):
    names = []
    for i in range(4):
        name = str(tmp_path / f"part{i}.tfrecord")
        with tf.io.TFRecordWriter(name) as w:
            for j in range(2):
                w.write(f"{i}-{j}".encode())
        names.append(name)
    s = _worker1_strategy()
    files = tf.data.Dataset.list_files(str(tmp_path / "*.tfrecord"), shuffle=False)
    ds = files.interleave(tf.data.TFRecordDataset, cycle_length=1).batch(2)
    got = [[v.decode() for v in step] for step in _steps(
        s.experimental_distribute_dataset(ds))]          # AUTO: files found, FILE sharding
    assert got == [["1-0", "1-1"], ["3-0", "3-1"]]
    reader = _with_policy(tf.data.TFRecordDataset(names).batch(4),
                          tf.data.experimental.AutoShardPolicy.FILE)
    got = [[v.decode() for v in step] for step in _steps(
        s.experimental_distribute_dataset(reader))]
    assert got == [["1-0", "1-1", "3-0", "3-1"]]


def test_file_policy_without_files_and_hint_raise():
    s = _worker1_strategy()
    ds = tf.data.Dataset.range(4).batch(2)
    with pytest.raises(ValueError, match="FILE needs a dataset that reads files"):
        s.experimental_distribute_dataset(
            _with_policy(ds, tf.data.experimental.AutoShardPolicy.FILE))
    with pytest.raises(NotImplementedError, match="HINT"):
        s.experimental_distribute_dataset(
            _with_policy(ds, tf.data.experimental.AutoShardPolicy.HINT))


def test_local_replicas_get_pieces_of_each_batch(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    dist = s.experimental_distribute_dataset(tf.data.Dataset.range(7).batch(4))
    steps = [[np.asarray(v).tolist() for v in s.experimental_local_results(e)]
             for e in dist]
    assert steps == [[[0, 1], [2, 3]], [[4, 5], [6]]]      # the first pieces one larger
    it = iter(dist)
    next(it), next(it)
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()


def _ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    out = [f"localhost:{s.getsockname()[1]}" for s in socks]
    for s in socks:
        s.close()
    return out


def _in_threads(n, body, timeout=5.0):
    addresses = _ports(n)
    results, errors = {}, {}

    def run(rank):
        try:
            comm = Communicator(addresses, rank, timeout=timeout)
            results[rank] = body(comm)
        except Exception as e:  # noqa: BLE001
            errors[rank] = e
    threads = [threading.Thread(target=run, args=(r,)) for r in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_collectives_across_three_workers():
    def body(comm):
        r = comm.rank
        return (comm.all_reduce([np.full(3, r + 1.0, np.float32), np.int64(r)], "sum"),
                comm.all_reduce([np.float32(r)], "mean"),
                comm.all_reduce([np.array([r, -r])], "max"),
                comm.broadcast([np.full((2,), r * 10.0)], root=2),
                comm.all_gather([np.full((r + 1, 2), r)], axis=0))
    results, errors = _in_threads(3, body)
    assert not errors, errors
    for r in range(3):
        total, mean, biggest, broadcast, gathered = results[r]
        np.testing.assert_array_equal(total[0], [6.0, 6.0, 6.0])
        assert total[0].dtype == np.float32 and int(total[1]) == 3 and total[1].shape == ()
        assert float(mean[0]) == 1.0
        np.testing.assert_array_equal(biggest[0], [2, 0])
        np.testing.assert_array_equal(broadcast[0], [20.0, 20.0])
        np.testing.assert_array_equal(gathered[0][:, 0], [0, 1, 1, 2, 2, 2])


def test_mismatched_collectives_raise_on_every_worker():
    def body(comm):
        shape = (2,) if comm.rank == 0 else (3,)
        comm.all_reduce([np.zeros(shape, np.float32)])
    _, errors = _in_threads(2, body)
    assert set(errors) == {0, 1}
    for e in errors.values():
        assert isinstance(e, tf.errors.InternalError)
        assert "worker 1" in str(e) and "float32[3]" in str(e)


def test_missing_chief_times_out_naming_it():
    addresses = _ports(2)
    with pytest.raises(tf.errors.DeadlineExceededError, match="worker 0 \\(chief\\)"):
        Communicator(addresses, 1, timeout=0.5, connect_timeout=0.5)


def test_unbatched_dataset_cannot_be_split(two_cpus):
    s = tf.distribute.MirroredStrategy(two_cpus)
    with pytest.raises(ValueError, match="batch the dataset"):
        list(s.experimental_distribute_dataset(tf.data.Dataset.range(4)))


def test_fit_shuffles_alike_on_every_worker():
    """Without a global seed, fit's shuffle seed is worker 0's on every worker, so the
    workers' DATA slices of each shuffled global batch cover the data exactly once."""
    from ember.keras.trainers import distribution
    from ember.keras.trainers.data_adapter import DataHandler
    x = np.arange(20, dtype=np.float32)[:, None]

    def body(comm):
        s = Strategy.__new__(Strategy)
        Strategy.__init__(s, StrategyExtended(s, ["/cpu:0"], comm))
        seed = distribution.shuffle_seed(s, None)
        handler = DataHandler(x, batch_size=8, shuffle=True, seed=seed)
        return seed, [distribution.worker_batch(s, b) for b in handler.epoch_batches(0)]
    results, errors = _in_threads(2, body)
    assert not errors, errors
    assert results[0][0] == results[1][0]
    seen = [np.asarray(tf.nest.flatten(b)[0]).ravel() for r in (0, 1) for b in results[r][1]]
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(20))
