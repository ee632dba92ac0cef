"""Dataset.save / Dataset.load / snapshot in TensorFlow's layout (``tf_snapshot``), so a
dataset saved by TensorFlow loads in ember and the reverse. A save is written to a
temporary directory beside the target and moved into place at the end, so a reader
never sees half a save. ``load`` also reads ember's earlier layout (``dataset_spec.json``
and ``shard_*.records`` files of ``codec`` elements)."""
from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import time

import numpy as np

from ember.data import codec, structure
from ember.data.dataset import Dataset, DatasetSpec, UnaryDataset
from ember.data import tf_snapshot

__all__ = ["save", "load", "SnapshotDataset"]

_EMBER_SPEC = "dataset_spec.json"       # ember's earlier layout, still read


def _shard_of(shard_func, element):
    if shard_func is None:
        return 0
    e = structure.to_tensors(element)
    shard = int(np.asarray(shard_func(*e) if type(e) is tuple else shard_func(e)))
    if shard < 0:
        raise ValueError(f"Dataset.save: shard_func returned {shard}; shard indices must "
                         f"be >= 0.")
    return shard


def save(ds, path, compression=None, shard_func=None):
    from ember.io.tensor_proto import tensor_proto_bytes
    from ember.io.tfrecord import TFRecordOptions, TFRecordWriter, compression_of
    path = os.fspath(path)
    compression = compression_of(compression)
    spec_bytes = tf_snapshot.encode_spec(ds.element_spec)     # unsupported specs fail here
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-dataset-", dir=parent)
    run_id = str(int.from_bytes(os.urandom(8), "little") >> 1)
    created = int(time.time() * 1e6)
    writers, count = {}, 0
    try:
        for element in ds._iter():
            shard = _shard_of(shard_func, element)
            if shard not in writers:
                folder = os.path.join(tmp, run_id, f"{shard:08d}.shard")
                os.makedirs(folder)
                writers[shard] = TFRecordWriter(os.path.join(folder, "00000000.snapshot"),
                                                TFRecordOptions(compression))
            for leaf in structure.flatten(element):
                writers[shard].write(tensor_proto_bytes(np.asarray(leaf),
                                                        strings_as_content=True))
            count += 1
        for w in writers.values():
            w.close()
        os.makedirs(os.path.join(tmp, run_id), exist_ok=True)
        with open(os.path.join(tmp, tf_snapshot.SPEC_FILE), "wb") as f:
            f.write(spec_bytes)
        with open(os.path.join(tmp, tf_snapshot.METADATA_FILE), "wb") as f:
            f.write(tf_snapshot.encode_metadata(run_id, created, ds.element_spec, count))
        if os.path.isdir(path):
            old = path + ".old-" + os.path.basename(tmp)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        for w in writers.values():
            try:
                w.close()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _compression_of_file(path, asked):
    """The compression asked for, or GZIP when the file starts with gzip's magic bytes."""
    if asked is not None:
        return asked
    with open(path, "rb") as f:
        return "GZIP" if f.read(2) == b"\x1f\x8b" else ""


class _ShardDataset(Dataset):
    """The elements of one shard file of a saved dataset."""

    def __init__(self, files, element_spec, compression, decode):
        self._files = files
        self._spec = element_spec
        self._compression = compression
        self._decode = decode

    @property
    def element_spec(self):
        return self._spec

    def _iter(self):
        from ember.io.tfrecord import read_records
        for path in self._files:
            yield from self._decode(read_records(path, _compression_of_file(
                path, self._compression)))


class _ShardsDataset(Dataset):
    """The shards of a saved dataset, each a dataset: what ``reader_func`` receives."""

    def __init__(self, shards, element_spec):
        self._shards = shards
        self._spec = DatasetSpec(element_spec)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return len(self._shards)

    def _iter(self):
        return iter(self._shards)


class LoadedDataset(Dataset):
    """A saved dataset read as TensorFlow's default reader does: its shards interleaved
    one element at a time, as many at once as there are cores."""

    def __init__(self, shards, element_spec, count):
        self._shards = shards
        self._spec = element_spec
        self._n = count

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return self._n

    def _iter(self):
        from ember.data.threads import cpu_count
        from ember.data.transforms import InterleaveDataset
        shards = _ShardsDataset(self._shards, self._spec)
        return InterleaveDataset(shards, lambda shard: shard, cpu_count(), 1, None,
                                 None)._iter()


def _tf_layout(path, element_spec, compression):
    """The shards, spec and element count of a save in TensorFlow's layout."""
    from ember.framework.errors import DataLossError
    from ember.io.tensor_proto import array_from_tensor_proto
    with open(os.path.join(path, tf_snapshot.METADATA_FILE), "rb") as f:
        meta = tf_snapshot.decode_metadata(f.read())
    if not meta["finalized"]:
        raise DataLossError(f"Dataset.load: the save in {path!r} was not finished "
                            f"(its snapshot.metadata is not finalized).")
    if element_spec is None:
        spec_path = os.path.join(path, tf_snapshot.SPEC_FILE)
        if not os.path.exists(spec_path):
            raise ValueError(f"Dataset.load: {path!r} has no {tf_snapshot.SPEC_FILE}; pass "
                             f"`element_spec`.")
        with open(spec_path, "rb") as f:
            element_spec = tf_snapshot.decode_spec(f.read())
    leaves = structure.flatten(element_spec)
    like = element_spec

    def decode(records):
        parts = []
        for record in records:
            spec = leaves[len(parts)]
            parts.append(array_from_tensor_proto(record, spec.dtype))
            if len(parts) == len(leaves):
                yield structure.pack(like, parts)
                parts = []
        if parts:
            raise DataLossError(f"Dataset.load: a shard of {path!r} ends inside an element "
                                f"({len(parts)} of its {len(leaves)} components).")
    folders = sorted(glob.glob(os.path.join(path, meta["run_id"], "*.shard")))
    shards = [_ShardDataset(sorted(glob.glob(os.path.join(d, "*.snapshot"))), element_spec,
                            compression, decode) for d in folders]
    return shards, element_spec, meta["num_elements"]


def _ember_layout(path, element_spec, compression):
    """The shards, spec and element count of a save in ember's earlier layout."""
    with open(os.path.join(path, _EMBER_SPEC)) as f:
        info = json.load(f)
    saved_spec = codec.spec_from_json(info["element_spec"])
    if element_spec is not None and not structure.same_structure(element_spec, saved_spec):
        raise ValueError(f"Dataset.load: element_spec {element_spec} does not match the "
                         f"saved {saved_spec}.")
    spec = element_spec or saved_spec
    comp = info.get("compression", "") if compression is None else compression

    def decode(records):
        for record in records:
            yield codec.decode_element(record, spec)
    shards = [_ShardDataset([f], spec, comp, decode)
              for f in sorted(glob.glob(os.path.join(path, "shard_*.records")))]
    return shards, spec, info.get("cardinality", -2)


def is_saved(path) -> bool:
    return os.path.exists(os.path.join(path, tf_snapshot.METADATA_FILE)) or \
        os.path.exists(os.path.join(path, _EMBER_SPEC))


def load(path, element_spec=None, compression=None, reader_func=None):
    path = os.fspath(path)
    if os.path.exists(os.path.join(path, tf_snapshot.METADATA_FILE)):
        shards, spec, count = _tf_layout(path, element_spec, compression)
    elif os.path.exists(os.path.join(path, _EMBER_SPEC)):
        shards, spec, count = _ember_layout(path, element_spec, compression)
    else:
        from ember.framework.errors import NotFoundError
        raise NotFoundError(f"Dataset.load: {path!r} is not a saved dataset (no "
                            f"{tf_snapshot.METADATA_FILE}).")
    if reader_func is not None:
        return reader_func(_ShardsDataset(shards, spec))
    return LoadedDataset(shards, spec, count)


class SnapshotDataset(UnaryDataset):
    def __init__(self, input_dataset, path, compression):
        self._input = input_dataset
        self._path = os.fspath(path)
        self._compression = "" if compression in ("AUTO", None) else compression

    def _cardinality(self):
        return self._input._cardinality()

    def _iter(self):
        if not is_saved(self._path):
            save(self._input, self._path, self._compression)
        return load(self._path)._iter()
