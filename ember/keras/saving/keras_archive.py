"""The ``.keras`` file: a zip of ``metadata.json``, ``config.json`` (the model's serialized
config with ``compile_config`` and ``build_config``), ``model.weights.h5`` (Keras 3's
weights layout, optimizer state included) and ``assets/<object path>/...`` (files an
object writes with ``save_assets``, e.g. a lookup layer's ``vocabulary.txt``), as Keras 3
writes and reads it."""
from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import zipfile

from ember.keras.saving import serialization
from ember.keras.saving.file_io import CorruptFileError, atomic_write, h5py_module
from ember.keras.saving.keras_weights import read_weights, write_weights
from ember.keras.saving.object_paths import walk

__all__ = ["save_keras_archive", "load_keras_archive"]

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def model_config(model):
    """The model's serialized config as ``config.json`` holds it."""
    config = serialization.serialize_keras_object(model)
    config.setdefault("build_config", model.get_build_config() or {"input_shape": None})
    compile_config = model.get_compile_config()
    if compile_config is not None:
        config["compile_config"] = compile_config
    return config


def archive_bytes(model, include_optimizer=True):
    """The ``.keras`` archive of ``model`` as bytes."""
    from ember import keras
    h5py = h5py_module()
    config = json.dumps(model_config(model))
    metadata = json.dumps({"keras_version": keras.__version__,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    buffer = io.BytesIO()
    optimizer = getattr(model, "optimizer", None)
    with h5py.File(buffer, "w") as f:
        if not include_optimizer and optimizer is not None:
            model.optimizer = None
            try:
                write_weights(model, f)
            finally:
                model.optimizer = optimizer
        else:
            write_weights(model, f)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(_METADATA, metadata)
        z.writestr(_CONFIG, config)
        z.writestr(_WEIGHTS, buffer.getvalue())
        _write_assets(model, z)
    return archive.getvalue()


def save_keras_archive(model, filepath, include_optimizer=True):
    data = archive_bytes(model, include_optimizer)
    with atomic_write(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def unpickle_model(data):
    """The model a pickle holds (``Model.__reduce__``: its ``.keras`` archive as bytes)."""
    return load_keras_archive(io.BytesIO(data))


_ASSETS = "assets"


def _write_assets(model, archive):
    """Each object's ``save_assets(dir)`` files, stored under ``assets/<its path>/``."""
    for path, obj in walk(model):
        if not hasattr(obj, "save_assets"):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            obj.save_assets(tmp)
            for root, _, files in os.walk(tmp):
                for name in sorted(files):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, tmp).replace(os.sep, "/")
                    archive.write(full, "/".join(p for p in (_ASSETS, path, rel) if p))


def _read_assets(model, archive, filepath):
    """Hands each object with ``load_assets`` a directory holding its stored assets."""
    names = archive.namelist()
    for path, obj in walk(model):
        if not hasattr(obj, "load_assets"):
            continue
        prefix = "/".join(p for p in (_ASSETS, path) if p) + "/"
        members = [n for n in names if n.startswith(prefix) and not n.endswith("/")]
        if not members:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for name in members:
                rel = name[len(prefix):]
                if rel.startswith("/") or ".." in rel.split("/"):
                    raise CorruptFileError(filepath, f"its asset {name!r} has an unsafe path.")
                target = os.path.join(tmp, *rel.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(_read_member(archive, filepath, name))
            obj.load_assets(tmp)


def _open_archive(filepath):
    try:
        archive = zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile as e:
        raise CorruptFileError(filepath, f"it is not a valid .keras archive (a zip file): "
                                         f"{e}; the file may be truncated or corrupted.") from None
    names = set(archive.namelist())
    if _CONFIG not in names:
        archive.close()
        raise CorruptFileError(filepath, f"the zip holds no {_CONFIG}, so it is not a Keras "
                                         f"model archive (it holds {sorted(names)[:10]}).")
    return archive


def _read_member(archive, filepath, name):
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise CorruptFileError(filepath, f"its member {name} cannot be read ({e}); the file "
                                         f"is truncated or corrupted.") from None


def read_config(filepath):
    with _open_archive(filepath) as archive:
        raw = _read_member(archive, filepath, _CONFIG)
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptFileError(filepath, f"its {_CONFIG} is not valid JSON ({e}).") from None


def load_keras_archive(filepath, custom_objects=None, compile=True,  # noqa: A002
                       safe_mode=True):
    from ember.keras.layers import deserialize as deserialize_layer
    h5py = h5py_module()
    with _open_archive(filepath) as archive:
        raw_config = _read_member(archive, filepath, _CONFIG)
        weights = _read_member(archive, filepath, _WEIGHTS) \
            if _WEIGHTS in archive.namelist() else None
        assets = {n: _read_member(archive, filepath, n) for n in archive.namelist()
                  if n.startswith(_ASSETS + "/")}
    try:
        config = json.loads(raw_config)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptFileError(filepath, f"its {_CONFIG} is not valid JSON ({e}).") from None
    compile_config = config.get("compile_config") if isinstance(config, dict) else None
    with serialization.SafeModeScope(safe_mode), \
            serialization.CustomObjectScope(custom_objects or {}):
        model = deserialize_layer(config, custom_objects=custom_objects)
        if compile and compile_config:
            model.compile_from_config(compile_config)
    if weights is not None:
        try:
            h5 = h5py.File(io.BytesIO(weights), "r")
        except OSError as e:
            raise CorruptFileError(filepath, f"its {_WEIGHTS} is not a readable HDF5 file "
                                             f"({e}).") from None
        with h5:
            read_weights(model, h5, filepath)
    if assets:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, data in assets.items():
                z.writestr(name, data)
        with zipfile.ZipFile(buffer) as z:
            _read_assets(model, z, filepath)
    return model


def read_weights_from_archive(model, filepath, skip_mismatch=False):
    """``model.load_weights("m.keras")``: the weights of a ``.keras`` archive."""
    h5py = h5py_module()
    with _open_archive(filepath) as archive:
        if _WEIGHTS not in archive.namelist():
            raise CorruptFileError(filepath, f"the archive holds no {_WEIGHTS}.")
        weights = _read_member(archive, filepath, _WEIGHTS)
    with h5py.File(io.BytesIO(weights), "r") as h5:
        read_weights(model, h5, filepath, skip_mismatch=skip_mismatch)
