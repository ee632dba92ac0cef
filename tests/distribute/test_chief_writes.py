"""Multi-worker file writing: only the chief writes checkpoints and backups; another
worker writes ModelCheckpoint's file to a temporary directory it removes, and no backup.
A stand-in communicator makes this process a worker of two identical workers."""
import numpy as np
import pytest

from ember import keras
from ember.distribute import file_utils
from ember.distribute.strategy import Strategy, StrategyExtended


class _TwinWorkers:
    """The communicator of one of two workers that hold the same values."""

    size = 2
    _broken = None

    def __init__(self, rank):
        self.rank = rank

    def all_reduce(self, arrays, op="sum"):
        return [np.asarray(a) * (2 if op == "sum" else 1) for a in arrays]

    def broadcast(self, arrays, root=0):
        return [np.asarray(a) for a in arrays]

    def all_gather(self, arrays, axis=0):
        return [np.concatenate([a, a], axis=axis) for a in arrays]


def _strategy(rank):
    s = Strategy.__new__(Strategy)
    Strategy.__init__(s, StrategyExtended(s, ["/cpu:0"], _TwinWorkers(rank)))
    return s


@pytest.mark.parametrize("rank", [0, 1])
def test_only_the_chief_writes(tmp_path, rank):
    pytest.importorskip("h5py")
    strategy = _strategy(rank)
    assert file_utils.is_chief(strategy) == (rank == 0)
    assert file_utils.write_dirpath(str(tmp_path), strategy) == \
        (str(tmp_path) if rank == 0 else str(tmp_path / "workertemp_1"))
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    assert strategy.num_replicas_in_sync == 2
    callbacks = [keras.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"),
                                                 save_weights_only=True),
                 keras.callbacks.BackupAndRestore(str(tmp_path / "backup"),
                                                  delete_checkpoint=False)]
    before = model.get_weights()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=callbacks)
    assert not np.allclose(model.get_weights()[0], before[0])
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == (["backup", "m.weights.h5"] if rank == 0 else [])
