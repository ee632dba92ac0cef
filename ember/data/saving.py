"""Dataset.save / Dataset.load / snapshot: a directory holding ``dataset_spec.json`` and
shards of records (TFRecord framing, optionally GZIP), written to a temporary directory
beside the target and moved into place at the end, so a reader never sees half a save."""
from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile

from ember.data import codec
from ember.data.dataset import Dataset, UnaryDataset

__all__ = ["save", "load", "SnapshotDataset"]

_SPEC = "dataset_spec.json"


def save(ds, path, compression=None, shard_func=None):
    from ember.io.tfrecord import TFRecordOptions, TFRecordWriter, compression_of
    path = os.fspath(path)
    compression = compression_of(compression)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-dataset-", dir=parent)
    writers, count = {}, 0
    try:
        for element in ds._iter():
            shard = 0
            if shard_func is not None:
                from ember.data.structure import to_tensors
                import numpy as np
                e = to_tensors(element)
                shard = int(np.asarray(shard_func(*e) if type(e) is tuple else
                                       shard_func(e)))
            if shard not in writers:
                writers[shard] = TFRecordWriter(
                    os.path.join(tmp, f"shard_{shard:05d}.records"),
                    TFRecordOptions(compression))
            writers[shard].write(codec.encode_element(element))
            count += 1
        for w in writers.values():
            w.close()
        with open(os.path.join(tmp, _SPEC), "w") as f:
            json.dump({"element_spec": codec.spec_to_json(ds.element_spec),
                       "compression": compression, "cardinality": count}, f)
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


class LoadedDataset(Dataset):
    def __init__(self, path, element_spec, compression, info):
        self._path = path
        self._spec = element_spec
        self._compression = compression
        self._n = info.get("cardinality", -2)

    @property
    def element_spec(self):
        return self._spec

    def _cardinality(self):
        return self._n

    def _iter(self):
        from ember.io.tfrecord import read_records
        for shard in sorted(glob.glob(os.path.join(self._path, "shard_*.records"))):
            for record in read_records(shard, self._compression):
                yield codec.decode_element(record, self._spec)


def load(path, element_spec=None, compression=None, reader_func=None):
    path = os.fspath(path)
    spec_file = os.path.join(path, _SPEC)
    if not os.path.exists(spec_file):
        from ember.framework.errors import NotFoundError
        raise NotFoundError(f"Dataset.load: {path!r} is not a saved dataset (no {_SPEC}).")
    with open(spec_file) as f:
        info = json.load(f)
    saved_spec = codec.spec_from_json(info["element_spec"])
    if element_spec is not None:
        from ember.data import structure
        if not structure.same_structure(element_spec, saved_spec):
            raise ValueError(f"Dataset.load: element_spec {element_spec} does not match the "
                             f"saved {saved_spec}.")
    comp = info.get("compression", "") if compression is None else compression
    ds = LoadedDataset(path, element_spec or saved_spec, comp, info)
    if reader_func is not None:
        ds = reader_func(ds)
    return ds


class SnapshotDataset(UnaryDataset):
    def __init__(self, input_dataset, path, compression):
        self._input = input_dataset
        self._path = os.fspath(path)
        self._compression = "" if compression in ("AUTO", None) else compression

    def _cardinality(self):
        return self._input._cardinality()

    def _iter(self):
        if not os.path.exists(os.path.join(self._path, _SPEC)):
            save(self._input, self._path, self._compression)
        return load(self._path)._iter()
