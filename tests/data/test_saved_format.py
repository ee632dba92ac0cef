"""Dataset.save/load in TensorFlow's layout: datasets saved by real TensorFlow load in
ember (tests/fixtures/data/saved, made by make_saved_fixtures.py), and ember writes the
same spec, metadata and records TensorFlow does, so TensorFlow loads ember's saves."""
import collections
import glob
import json
import os

import numpy as np
import pytest

import ember as tf
from ember.data import tf_snapshot
from ember.data.threads import cpu_count
from ember.io.tfrecord import read_records

D = tf.data.Dataset
Point = collections.namedtuple("Point", ["x", "label"])
SAVED = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data", "saved")
with open(os.path.join(SAVED, "expected.json")) as _f:
    EXPECTED = json.load(_f)


def plain(element):
    if isinstance(element, dict):
        return {k: plain(v) for k, v in element.items()}
    if isinstance(element, tuple):
        return [plain(v) for v in element]
    a = np.asarray(element)
    return [v.decode() for v in a.reshape(-1)] if a.dtype == object else a.tolist()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_dataset_saved_by_tensorflow_loads(name):
    ref = EXPECTED[name]
    ds = D.load(os.path.join(SAVED, name))
    got = [plain(e) for e in ds.as_numpy_iterator()]
    if cpu_count() >= 2:            # TF's reader interleaves as many shards as cores
        assert got == ref["elements"]
    else:
        assert sorted(map(str, got)) == sorted(map(str, ref["elements"]))
    assert int(ds.cardinality()) == ref["cardinality"]
    assert tf_snapshot.encode_spec(ds.element_spec).hex() == ref["spec_hex"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ember_saves_what_tensorflow_saves(name, tmp_path):
    ref = EXPECTED[name]
    ds = eval(ref["source"])
    path = str(tmp_path / name)
    ds.save(path, compression=ref["compression"],
            shard_func=eval(ref["shard_func"]) if ref["shard_func"] else None)
    with open(os.path.join(path, "dataset_spec.pb"), "rb") as f:
        assert f.read().hex() == ref["spec_hex"]
    with open(os.path.join(path, "snapshot.metadata"), "rb") as f:
        meta = tf_snapshot.decode_metadata(f.read())
    with open(os.path.join(SAVED, name, "snapshot.metadata"), "rb") as f:
        tf_meta = tf_snapshot.decode_metadata(f.read())
    for key in ("version", "num_elements", "finalized", "dtypes"):
        assert meta[key] == tf_meta[key], key
    shards = {}
    for f in sorted(glob.glob(os.path.join(path, meta["run_id"], "*.shard", "*.snapshot"))):
        rel = os.path.relpath(f, path).split(os.sep, 1)[1]
        shards[rel] = [bytes(r).hex() for r in read_records(f, ref["compression"] or "")]
    assert shards == ref["shards"]
    again = [plain(e) for e in D.load(path).as_numpy_iterator()]
    assert sorted(map(str, again)) == sorted(map(str, ref["elements"]))


def test_load_reader_func_element_spec_and_errors(tmp_path):
    path = str(tmp_path / "d")
    D.range(6).save(path, shard_func=lambda x: x % 3)
    shards = D.load(path, reader_func=lambda datasets: datasets.flat_map(lambda d: d))
    assert [int(x) for x in shards] == [0, 3, 1, 4, 2, 5]
    spec = tf.TensorSpec([], tf.int64)
    assert sorted(int(x) for x in D.load(path, element_spec=spec)) == list(range(6))
    with pytest.raises(tf.errors.NotFoundError, match="not a saved dataset"):
        D.load(str(tmp_path / "nothing"))
    sparse = D.from_tensors(tf.sparse.SparseTensor([[0]], [1.0], [2]))
    with pytest.raises(TypeError, match="SparseTensor"):
        sparse.save(str(tmp_path / "sparse"))
    assert not os.path.exists(str(tmp_path / "sparse"))
    os.remove(os.path.join(path, "snapshot.metadata"))
    with pytest.raises(tf.errors.NotFoundError):
        D.load(path)


def test_a_save_in_embers_earlier_layout_still_loads(tmp_path):
    from ember.data import codec
    from ember.io.tfrecord import TFRecordWriter
    spec = (tf.TensorSpec([], tf.int64), tf.TensorSpec([2], tf.float32))
    elements = [(np.int64(i), np.full(2, i / 2, np.float32)) for i in range(3)]
    with TFRecordWriter(str(tmp_path / "shard_00000.records")) as w:
        for e in elements:
            w.write(codec.encode_element(e))
    (tmp_path / "dataset_spec.json").write_text(json.dumps(
        {"element_spec": codec.spec_to_json(spec), "compression": "", "cardinality": 3}))
    ds = D.load(str(tmp_path))
    got = [(int(a), b.tolist()) for a, b in ds.as_numpy_iterator()]
    assert got == [(0, [0.0, 0.0]), (1, [0.5, 0.5]), (2, [1.0, 1.0])]
    assert int(ds.cardinality()) == 3
