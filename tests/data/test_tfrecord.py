"""TFRecord files and tf.train.Example: files TensorFlow wrote (committed fixtures) parse
in ember to TF's values; files ember writes parse in TensorFlow (when /work/refenv exists)."""
import json
import os
import subprocess

import numpy as np
import pytest

import ember as tf
from tests.data.test_against_tf import REF, assert_same, decode

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data")
REFENV = "/work/refenv/bin/python"
FEATURES = {"label": tf.io.FixedLenFeature([], tf.int64),
            "x": tf.io.FixedLenFeature([3], tf.float32),
            "name": tf.io.FixedLenFeature([], tf.string),
            "tags": tf.io.VarLenFeature(tf.int64),
            "big": tf.io.FixedLenFeature([2], tf.int64),
            "missing": tf.io.FixedLenFeature([2], tf.float32, default_value=[7.0, 8.0])}


def check_parsed(parsed):
    ref = REF["parsed"]
    for key in ("label", "x", "name", "big", "missing"):
        assert_same(parsed[key].numpy(), decode(ref[key]), key)
    assert_same(parsed["tags"].indices.numpy(), decode(ref["tags_indices"]), "indices")
    assert_same(parsed["tags"].values.numpy(), decode(ref["tags_values"]), "values")
    assert_same(parsed["tags"].dense_shape.numpy(), decode(ref["tags_dense_shape"]), "shape")


@pytest.mark.parametrize("name,compression", [("tf_examples.tfrecord", None),
                                              ("tf_examples_gzip.tfrecord", "GZIP")])
def test_tensorflow_file_parses_to_tensorflow_values(name, compression):
    ds = tf.data.TFRecordDataset(os.path.join(FIXTURES, name), compression_type=compression)
    records = [r.numpy() for r in ds]
    assert [r.hex() for r in records] == REF["serialized_hex"]
    check_parsed(tf.io.parse_example(records, FEATURES))
    one = tf.io.parse_single_example(records[2], FEATURES)
    assert int(one["label"]) == 1 and one["tags"].values.numpy().tolist() == [0, 1]


def test_example_serialization_is_tensorflows_bytes():
    for i, hexed in enumerate(REF["serialized_hex"]):
        feats = {
            "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[i - 1])),
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i * 0.5, -i, 1e-3 * i])),
            "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"ex{i}".encode()])),
            "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i)))),
            "big": tf.train.Feature(int64_list=tf.train.Int64List(value=[2 ** 40 + i,
                                                                         -(2 ** 35)])),
        }
        ex = tf.train.Example(features=tf.train.Features(feature=feats))
        ours = ex.SerializeToString()
        # map entries come out in an unspecified order (TF's is its hash order), so the
        # bytes agree entry by entry: same length, and each parses to the other's message
        assert len(ours) == len(bytes.fromhex(hexed))
        assert tf.train.Example.FromString(ours) == ex
        back = tf.train.Example.FromString(bytes.fromhex(hexed))
        assert back == ex
        assert back.features.feature["big"].int64_list.value == [2 ** 40 + i, -(2 ** 35)]


def _write_examples(path, compression):
    with tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression)) as w:
        for i in range(3):
            ex = tf.train.Example(features=tf.train.Features(feature={
                "v": tf.train.Feature(float_list=tf.train.FloatList(value=[i, i / 4])),
                "s": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"r%d" % i]))}))
            w.write(ex.SerializeToString())


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_ember_file_roundtrip(tmp_path, compression):
    path = str(tmp_path / "e.tfrecord")
    _write_examples(path, compression)
    ds = tf.data.TFRecordDataset([path], compression_type=compression).map(
        lambda r: tf.io.parse_single_example(r, {"v": tf.io.FixedLenFeature([2], tf.float32),
                                                 "s": tf.io.FixedLenFeature([], tf.string)}))
    got = [(e["v"].numpy().tolist(), e["s"].numpy()) for e in ds]
    assert got == [([0.0, 0.0], b"r0"), ([1.0, 0.25], b"r1"), ([2.0, 0.5], b"r2")]


@pytest.mark.skipif(not os.path.exists(REFENV), reason="needs the reference TensorFlow")
def test_ember_files_parse_in_tensorflow(tmp_path):
    args = []
    for compression in ("", "GZIP", "ZLIB"):
        path = str(tmp_path / f"e{compression}.tfrecord")
        _write_examples(path, compression)
        args += [path, compression]
    script = (
        "import json, sys, tensorflow as tf\n"
        "f = {'v': tf.io.FixedLenFeature([2], tf.float32), 's': tf.io.FixedLenFeature([], tf.string)}\n"
        "res = []\n"
        "for path, comp in zip(sys.argv[1::2], sys.argv[2::2]):\n"
        "    ds = tf.data.TFRecordDataset(path, compression_type=comp)\n"
        "    out = [tf.io.parse_single_example(r, f) for r in ds]\n"
        "    res.append([[e['v'].numpy().tolist(), e['s'].numpy().decode()] for e in out])\n"
        "print(json.dumps(res))\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("PYTHONPATH", None)
    res = subprocess.run([REFENV, "-c", script] + args, capture_output=True,
                         text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    expected = [[[0.0, 0.0], "r0"], [[1.0, 0.25], "r1"], [[2.0, 0.5], "r2"]]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [expected] * 3


def test_bad_crc_names_file_and_record(tmp_path):
    path = str(tmp_path / "bad.tfrecord")
    _write_examples(path, "")
    data = bytearray(open(path, "rb").read())
    first_len = int.from_bytes(data[:8], "little")
    second = 16 + first_len
    data[second + 12 + 3] ^= 0xFF          # a byte of record 1's data
    open(path, "wb").write(bytes(data))
    ds = tf.data.TFRecordDataset(path)
    with pytest.raises(tf.errors.DataLossError, match=r"bad\.tfrecord.*record 1") as e:
        list(ds)
    assert "CRC" in str(e.value) and f"offset {second}" in str(e.value)


def test_truncated_and_missing_files(tmp_path):
    path = str(tmp_path / "t.tfrecord")
    _write_examples(path, "")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:-3])
    with pytest.raises(tf.errors.DataLossError, match="record 2"):
        list(tf.data.TFRecordDataset(path))
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.data.TFRecordDataset(str(tmp_path / "none.tfrecord")))


def test_parse_errors_are_clear():
    ex = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))})).SerializeToString()
    with pytest.raises(tf.errors.InvalidArgumentError, match="b.*required"):
        tf.io.parse_single_example(ex, {"b": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Data types don't match"):
        tf.io.parse_single_example(ex, {"a": tf.io.FixedLenFeature([2], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Values size: 2"):
        tf.io.parse_single_example(ex, {"a": tf.io.FixedLenFeature([3], tf.int64)})
    seq = tf.io.parse_single_example(ex, {"a": tf.io.FixedLenSequenceFeature(
        [], tf.int64, allow_missing=True)})
    assert seq["a"].numpy().tolist() == [1, 2]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
        tf.io.parse_single_example(b"\xff\xff", {"a": tf.io.VarLenFeature(tf.int64)})


def test_unpacked_repeated_fields_decode():
    # field 1 of Int64List written unpacked (varint per value), as older writers do
    raw = bytes([0x08, 0x05, 0x08, 0x07])
    lst = tf.train.Int64List.FromString(raw)
    assert lst.value == [5, 7]


def test_serialize_and_parse_tensor_match_tensorflow():
    tensors = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
               "i64": np.array([-1, 2 ** 40], np.int64), "u8": np.arange(5, dtype=np.uint8),
               "scalar": np.float64(2.5), "empty": np.zeros((0, 2), np.int32),
               "bool": np.array([True, False]),
               "str": np.array([b"ab", b"", b"xyz"], dtype=object)}
    ref = REF["serialized_tensors"]
    for key, value in tensors.items():
        ours = tf.io.serialize_tensor(tf.constant(value) if key != "str" else value)
        assert ours.numpy().hex() == ref[key], key
        back = tf.io.parse_tensor(bytes.fromhex(ref[key]), tf.as_dtype(
            "string" if key == "str" else np.asarray(value).dtype.name))
        assert back.shape == np.shape(value)
        np.testing.assert_array_equal(back.numpy(), value)
    const = tf.io.parse_tensor(bytes.fromhex(ref["const_f32"]), tf.float32)
    assert const.numpy().tolist() == [1.5, 1.5, 1.5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
        tf.io.parse_tensor(bytes.fromhex(ref["f32"]), tf.int32)


def test_decode_raw():
    data = np.array([1, -2, 3], np.int16).tobytes()
    assert tf.io.decode_raw(data, tf.int16).numpy().tolist() == [1, -2, 3]
    both = tf.io.decode_raw(np.array([data, data], dtype=object), tf.int16)
    assert both.shape == (2, 3)
    big = tf.io.decode_raw(np.array([1], ">i4").tobytes(), tf.int32, little_endian=False)
    assert big.numpy().tolist() == [1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of 4"):
        tf.io.decode_raw(b"abc", tf.int32)


def test_crc32c_block_parallel_path_equals_the_byte_loop(monkeypatch, tmp_path):
    from ember.io import crc32c as crc
    monkeypatch.setattr(crc, "_fast", False)          # the pure-Python/NumPy paths
    assert crc.crc32c(b"123456789") == 0xE3069283      # the standard check value
    rng = np.random.default_rng(0)
    for n in (0, 1, 255, 256, 2047, 2048, 2049, 5000, 70001):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc.crc32c(data) == crc._raw_python(0xFFFFFFFF, data) ^ 0xFFFFFFFF, n
    big = rng.integers(0, 256, 300000, dtype=np.uint8).tobytes()
    path = str(tmp_path / "big.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(big)
        w.write(b"small")
    assert [r.numpy() for r in tf.data.TFRecordDataset(path)] == [big, b"small"]


def test_varlen_feature_is_a_sparse_tensor_through_a_pipeline(tmp_path):
    path = str(tmp_path / "v.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        for n in (2, 0, 3):
            w.write(tf.train.Example(features=tf.train.Features(feature={
                "t": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(n))))
            })).SerializeToString())
    spec = {"t": tf.io.VarLenFeature(tf.int64)}
    ds = tf.data.TFRecordDataset(path).map(lambda r: tf.io.parse_single_example(r, spec))
    first = next(iter(ds))["t"]
    assert isinstance(first, tf.sparse.SparseTensor)
    assert tf.sparse.to_dense(first).numpy().tolist() == [0, 1]
    dense = tf.data.TFRecordDataset(path).map(
        lambda r: tf.sparse.to_dense(tf.io.parse_single_example(r, spec)["t"]))
    assert [v.tolist() for v in dense.as_numpy_iterator()] == [[0, 1], [], [0, 1, 2]]


def test_fixed_len_features_parse_inside_a_function_and_export(tmp_path):
    records = [r.numpy() for r in tf.data.TFRecordDataset(
        os.path.join(FIXTURES, "tf_examples.tfrecord"))]
    dense = {k: f for k, f in FEATURES.items() if k != "tags"}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def parse(serialized):
        return tf.io.parse_example(serialized, dense)

    graph = parse.get_concrete_function().graph
    assert [op.type for op in graph.get_operations()].count("ParseExampleDense") == 1
    ref = REF["parsed"]
    for key in dense:
        assert_same(parse(tf.constant(records))[key].numpy(), decode(ref[key]), key)
    assert parse(tf.constant(records))["x"].shape == (len(records), 3)

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def parse_one(serialized):
        return tf.io.parse_single_example(serialized, dense)["big"]
    assert parse_one(tf.constant(records[2])).numpy().tolist() == decode(ref["big"])[2].tolist()

    tf.saved_model.save(tf.Module(), str(tmp_path / "m"), signatures=parse)
    loaded = tf.saved_model.load(str(tmp_path / "m")).signatures["serving_default"]
    out = loaded(inputs=np.array(records, dtype=object))
    assert_same(out["missing"].numpy(), decode(ref["missing"]), "missing")
    assert_same(out["name"].numpy(), decode(ref["name"]), "name")
    with pytest.raises(tf.errors.InvalidArgumentError, match="label .*is required"):
        loaded(inputs=np.array([tf.train.Example().SerializeToString()], dtype=object))
