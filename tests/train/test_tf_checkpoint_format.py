"""tf.train.Checkpoint files in TensorFlow's format (tensor bundle + object graph): files
real TensorFlow wrote (tests/fixtures/checkpoint, made by tf_checkpoints.py) restore in
ember, ember's restore in real TensorFlow, and damaged files give clear errors."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import ember
from ember.train.object_graph import decode_object_graph
from ember.train.tensor_bundle import read_bundle, write_bundle

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "checkpoint")
SCRIPT = os.path.join(FIXTURES, "tf_checkpoints.py")
REFENV = os.environ.get("EMBER_REFENV_PYTHON", "/work/refenv/bin/python")
NAMES = ["step", "label", "net/w", "net/b", "net/layers/0", "net/layers/1/gate",
         "net/layers/1/scale"]
SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


class Net:
    """The tf.Module of tf_checkpoints.py, as a plain ember object."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.w = ember.Variable(rng.normal(size=(2, 3)).astype("float32"), name="w")
        self.b = ember.Variable(rng.normal(size=3), name="b")
        self.layers = [ember.Variable(rng.integers(-9, 9, size=4).astype("int32")),
                       {"gate": ember.Variable(rng.random(3) > 0.5),
                        "scale": ember.Variable(np.float16(rng.normal()))}]


def _tree(seed):
    return {"step": ember.Variable(seed * 10, dtype=ember.int64),
            "label": ember.Variable([f"run{seed}", "ok"]), "net": Net(seed)}


def _values(t):
    net = t["net"]
    return [t["step"].numpy(), t["label"].numpy(), net.w.numpy(), net.b.numpy(),
            net.layers[0].numpy(), net.layers[1]["gate"].numpy(),
            net.layers[1]["scale"].numpy()]


def _check(values, expected):
    for name, got in zip(NAMES, values):
        want = expected[name]
        if want.dtype.kind in "SUO":
            assert [bytes(v) if not isinstance(v, str) else v.encode() for v in got] == \
                [bytes(v) if not isinstance(v, str) else v.encode() for v in want], name
        else:
            np.testing.assert_array_equal(got, want, err_msg=name)
            assert np.asarray(got).dtype == want.dtype, name


def test_restores_a_checkpoint_tensorflow_wrote():
    t = _tree(0)
    prefix = ember.train.latest_checkpoint(FIXTURES)      # TensorFlow's state file
    assert prefix.endswith("tf_tree-1")
    ckpt = ember.train.Checkpoint(**t)
    ckpt.restore(prefix).assert_consumed()
    with np.load(os.path.join(FIXTURES, "tf_tree.npz")) as data:
        _check(_values(t), dict(data))
    assert int(ckpt.save_counter.numpy()) == 1
    listed = dict(ember.train.list_variables(FIXTURES))
    assert listed["net/w" + SUFFIX] == [2, 3] and "_CHECKPOINTABLE_OBJECT_GRAPH" in listed
    np.testing.assert_array_equal(ember.train.load_variable(prefix, "net/w"), t["net"].w)
    reader = ember.train.load_checkpoint(FIXTURES)
    assert reader.get_variable_to_shape_map()["net/b" + SUFFIX] == [3]
    assert reader.get_variable_to_dtype_map()["net/layers/1/scale" + SUFFIX] == ember.float16
    assert reader.get_variable_to_dtype_map()["label" + SUFFIX] == ember.string
    assert list(reader.get_tensor("label" + SUFFIX)) == [b"run3", b"ok"]
    assert reader.has_tensor("step" + SUFFIX) and not reader.has_tensor("step")


def test_writes_tensorflows_format(tmp_path):
    t = _tree(5)
    prefix = ember.train.Checkpoint(**t).save(str(tmp_path / "ckpt"))
    stored = read_bundle(prefix)
    assert set(stored) == {n + SUFFIX for n in NAMES} | {
        "save_counter" + SUFFIX, "_CHECKPOINTABLE_OBJECT_GRAPH"}
    np.testing.assert_array_equal(stored["net/w" + SUFFIX], t["net"].w.numpy())
    nodes = decode_object_graph(stored["_CHECKPOINTABLE_OBJECT_GRAPH"][()])
    root = dict((name, i) for i, name in nodes[0].children)
    assert list(root) == ["label", "net", "step", "save_counter"]     # TensorFlow's order
    net = dict((name, i) for i, name in nodes[root["net"]].children)
    assert nodes[net["w"]].attributes == [("VARIABLE_VALUE", "w", "net/w" + SUFFIX)]
    back = _tree(0)
    ember.train.Checkpoint(**back).restore(prefix).assert_consumed()
    _check(_values(back), {n: np.asarray(v) for n, v in zip(NAMES, _values(t))})


@pytest.mark.skipif(not os.path.exists(REFENV), reason=f"no reference TensorFlow at {REFENV}")
def test_tensorflow_restores_embers_checkpoint_and_writes_one_ember_reads(tmp_path):
    t = _tree(7)
    prefix = ember.train.Checkpoint(**t).save(str(tmp_path / "ember"))
    out = str(tmp_path / "restored.npz")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([REFENV, SCRIPT, "make", str(tmp_path), "read", prefix, out],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    with np.load(out) as data:
        data = dict(data)
    _check([data[n] for n in NAMES], {n: np.asarray(v) for n, v in zip(NAMES, _values(t))})
    assert "net/layers/1/gate" + SUFFIX in set(data["__keys__"])
    np.testing.assert_array_equal(data["__w_by_key__"], t["net"].w.numpy())
    fresh = _tree(0)                                    # and TensorFlow's new file
    ember.train.Checkpoint(**fresh).restore(str(tmp_path / "tf_tree-1")).assert_consumed()
    with np.load(str(tmp_path / "tf_tree.npz")) as data:
        _check(_values(fresh), dict(data))


def test_keras_model_and_optimizer_resume_in_the_format(tmp_path):
    from ember import keras
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = x.sum(1, keepdims=True)

    def model():
        keras.utils.set_random_seed(2)
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
        m.compile(keras.optimizers.Adam(0.05), "mse")
        return m
    straight = model()
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first = model()
    first.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    prefix = ember.train.Checkpoint(model=first, optimizer=first.optimizer).save(
        str(tmp_path / "k"))
    resumed = model()
    status = ember.train.Checkpoint(model=resumed, optimizer=resumed.optimizer).restore(
        prefix)
    assert status.deferred                       # the slots: applied when Adam builds
    resumed.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_damaged_files_name_the_file(tmp_path):
    prefix = str(tmp_path / "c")
    shutil.copy(os.path.join(FIXTURES, "tf_tree-1.index"), prefix + ".index")
    shutil.copy(os.path.join(FIXTURES, "tf_tree-1.data-00000-of-00001"),
                prefix + ".data-00000-of-00001")
    data = bytearray(open(prefix + ".data-00000-of-00001", "rb").read())
    data[-3] ^= 0xFF
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(bytes(data))
    with pytest.raises(ValueError, match=r"c\.data-00000-of-00001.*CRC-32C"):
        ember.train.Checkpoint(**_tree(0)).restore(prefix)
    index = open(os.path.join(FIXTURES, "tf_tree-1.index"), "rb").read()
    with open(prefix + ".index", "wb") as f:
        f.write(index[:-10])
    with pytest.raises(ValueError, match=r"c\.index.*(neither|magic)"):
        ember.train.Checkpoint(**_tree(0)).restore(prefix)
    with open(prefix + ".index", "wb") as f:
        f.write(index[:40] + bytes([index[40] ^ 0xFF]) + index[41:])
    with pytest.raises(ValueError, match=r"c\.index.*CRC-32C"):
        ember.train.Checkpoint(**_tree(0)).restore(prefix)


def test_embers_earlier_format_still_loads(tmp_path):
    t = _tree(4)
    prefix = str(tmp_path / "old")
    keys = ["step", "net/w", "net/b"]
    arrays = [t["step"].numpy(), t["net"].w.numpy(), t["net"].b.numpy()]
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        np.savez(f, **{f"v{i}": a for i, a in enumerate(arrays)})
    with open(prefix + ".index", "w") as f:
        json.dump({"format": "ember.train.Checkpoint/1", "keys": keys,
                   "shapes": [list(a.shape) for a in arrays],
                   "dtypes": [str(a.dtype) for a in arrays]}, f)
    back = _tree(0)
    status = ember.train.Checkpoint(step=back["step"], net=back["net"]).restore(prefix)
    np.testing.assert_array_equal(back["net"].w.numpy(), t["net"].w.numpy())
    assert int(back["step"].numpy()) == 40
    assert "net/layers/0" in status.unmatched_variables


def test_bundle_round_trip_of_every_dtype(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {f"t_{d}": rng.normal(size=(3, 2)).astype(d) for d in
               ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                "uint8", "uint16", "uint32", "uint64", "complex64", "complex128")}
    tensors["flag"] = np.array([True, False])
    tensors["empty"] = np.zeros((0, 4), "float32")
    strings = np.empty((2, 2), dtype=object)
    strings[:] = [[b"", b"a" * 300], ["\u00e9t\u00e9".encode(), b"x"]]
    tensors["text"] = strings
    write_bundle(str(tmp_path / "b"), tensors)
    back = read_bundle(str(tmp_path / "b"))
    assert set(back) == set(tensors)
    for name, arr in tensors.items():
        assert back[name].dtype == arr.dtype and back[name].shape == arr.shape, name
        assert np.array_equal(back[name], arr), name


def test_tables_of_many_blocks_and_restart_points(tmp_path, monkeypatch):
    from ember.train import tensor_bundle
    monkeypatch.setattr(tensor_bundle, "_BLOCK_SIZE", 1024)     # many data blocks
    tensors = {f"scope_{i // 7:02d}/weight_{i:04d}": np.full((2,), i, "int64")
               for i in range(500)}
    write_bundle(str(tmp_path / "many"), tensors)
    table = tensor_bundle._read_table(open(str(tmp_path / "many.index"), "rb").read(), "x")
    assert [k for k, _ in table] == [b""] + sorted(k.encode() for k in tensors)
    back = read_bundle(str(tmp_path / "many"), names=["scope_70/weight_0490", "nope"])
    assert list(back) == ["scope_70/weight_0490"]
    np.testing.assert_array_equal(back["scope_70/weight_0490"], [490, 490])


def _keras3_model():
    from ember import keras
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                             keras.layers.BatchNormalization(), keras.layers.Dense(2)])


def test_restores_a_keras3_model_and_optimizer_tensorflow_saved():
    """Keras 3 on TensorFlow names objects its own way (``model/_functional/_operations/1/
    _kernel``, ``optimizer/_variables/3``); ember's layers and optimizers answer to those
    names, so training resumes from TensorFlow's checkpoint."""
    from ember import keras
    with np.load(os.path.join(FIXTURES, "tf_keras3.npz")) as data:
        data = dict(data)
    model = _keras3_model()
    model.compile(keras.optimizers.Adam(0.02), "mse")
    model.optimizer.build(model.trainable_variables)
    status = ember.train.Checkpoint(model=model, optimizer=model.optimizer).restore(
        os.path.join(FIXTURES, "tf_keras3-1"))
    status.assert_existing_objects_matched()
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["predictions"],
                               rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 2
    model.fit(data["x"], data["y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, data[f"w{i}"], rtol=1e-5, atol=1e-6)
