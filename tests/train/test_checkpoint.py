"""tf.train.Checkpoint / CheckpointManager / latest_checkpoint on trees of variables,
plain objects, Keras models and optimizers."""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember import keras


class Holder:
    """A plain object (tf.Module-like) holding variables directly and in containers."""

    def __init__(self, scale=1.0):
        self.w = ember.Variable(np.full((2, 3), scale, "float32"), name="w")
        self.layers = [ember.Variable(np.arange(3.0, dtype="float32") * scale)]
        self.table = {"b": ember.Variable(scale, name="b")}
        self.note = "not a variable"


def test_plain_object_tree_round_trip(tmp_path):
    src = Holder(2.0)
    step = ember.Variable(7, dtype=ember.int64)
    ckpt = ember.train.Checkpoint(holder=src, step=step)
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path == str(tmp_path / "ckpt-1")
    assert ckpt.save(str(tmp_path / "ckpt")).endswith("ckpt-2")
    keys = dict(ember.train.list_variables(path))          # TensorFlow's keys
    suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
    assert keys["holder/w" + suffix] == [2, 3] and keys["holder/layers/0" + suffix] == [3]
    assert keys["holder/table/b" + suffix] == [] and "step" + suffix in keys
    assert "save_counter" + suffix in keys and "_CHECKPOINTABLE_OBJECT_GRAPH" in keys

    dst = Holder(0.0)
    step2 = ember.Variable(0, dtype=ember.int64)
    status = ember.train.Checkpoint(holder=dst, step=step2).restore(path)
    status.assert_consumed()
    np.testing.assert_array_equal(dst.w.numpy(), src.w.numpy())
    np.testing.assert_array_equal(dst.layers[0].numpy(), [0.0, 2.0, 4.0])
    assert float(dst.table["b"].numpy()) == 2.0 and int(step2.numpy()) == 7
    np.testing.assert_array_equal(ember.train.load_variable(path, "holder/w"), src.w.numpy())


def test_partial_and_mismatched_restores(tmp_path):
    path = ember.train.Checkpoint(holder=Holder(1.0)).write(str(tmp_path / "only"))
    other = ember.Variable(1.0)
    status = ember.train.Checkpoint(holder=Holder(0.0), extra=other).restore(path)
    with pytest.raises(AssertionError, match="variables with no saved value: .*extra"):
        status.assert_consumed()
    status.expect_partial()
    small = Holder(0.0)
    small.w = ember.Variable(np.zeros((3, 3), "float32"))
    with pytest.raises(ValueError, match=r"holder/w.*shape \(2, 3\).*shape \(3, 3\)"):
        ember.train.Checkpoint(holder=small).restore(path)
    with open(path + ".data-00000-of-00001", "wb") as f:
        f.write(b"garbage")
    with pytest.raises(ValueError, match=r"only\.data-00000-of-00001.*(truncated|CRC)"):
        ember.train.Checkpoint(holder=Holder()).restore(path)
    with pytest.raises(FileNotFoundError, match="missing"):
        ember.train.Checkpoint(holder=Holder()).restore(str(tmp_path / "missing"))


def _model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


def test_model_and_optimizer_resume_through_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    straight = _model()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)

    first = _model()
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    manager = ember.train.CheckpointManager(
        ember.train.Checkpoint(model=first, optimizer=first.optimizer), str(tmp_path), 2)
    path = manager.save()

    resumed = _model()                                  # optimizer slots not created yet
    status = ember.train.Checkpoint(model=resumed, optimizer=resumed.optimizer).restore(
        ember.train.latest_checkpoint(str(tmp_path)))
    assert status.deferred and path == manager.latest_checkpoint
    assert int(resumed.optimizer.iterations.numpy()) == 8
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_checkpoint_manager_keeps_newest(tmp_path):
    v = ember.Variable(0.0)
    ckpt = ember.train.Checkpoint(v=v)
    manager = ember.train.CheckpointManager(ckpt, str(tmp_path / "run"), max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.restore_or_initialize() is None
    for i in range(1, 5):
        v.assign(float(i))
        manager.save()
    names = sorted(os.listdir(tmp_path / "run"))
    assert names == ["checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index",
                     "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
    assert manager.checkpoints == [str(tmp_path / "run" / "ckpt-3"),
                                   str(tmp_path / "run" / "ckpt-4")]
    state = (tmp_path / "run" / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-4"' in state
    v.assign(0.0)
    again = ember.train.CheckpointManager(ember.train.Checkpoint(v=v), str(tmp_path / "run"),
                                          max_to_keep=2)
    assert again.restore_or_initialize() == str(tmp_path / "run" / "ckpt-4")
    assert float(v.numpy()) == 4.0
    ckpt.restore(manager.checkpoints[0])
    assert float(v.numpy()) == 3.0
    named = manager.save(checkpoint_number=100)
    assert named.endswith("ckpt-100") and ember.train.latest_checkpoint(
        str(tmp_path / "run")) == named


def test_checkpoint_interval(tmp_path):
    step = ember.Variable(0, dtype=ember.int64)
    manager = ember.train.CheckpointManager(ember.train.Checkpoint(step=step), str(tmp_path),
                                            max_to_keep=None, step_counter=step,
                                            checkpoint_interval=5)
    saved = []
    for i in range(12):
        step.assign(i)
        saved.append(manager.save())
    assert [s is not None for s in saved].count(True) == 3
    assert saved[0].endswith("ckpt-0") and saved[5].endswith("ckpt-5")
    with pytest.raises(ValueError, match="step_counter"):
        ember.train.CheckpointManager(ember.train.Checkpoint(step=step), str(tmp_path), 1,
                                      checkpoint_interval=3)
