"""keras.saving.save_model / load_model and the weight files behind
``model.save_weights`` / ``model.load_weights``.

Formats, chosen by the file name:
- ``.keras``: Keras 3's zip archive (``keras_archive``);
- ``.h5`` / ``.hdf5`` (not ``.weights.h5``): the legacy tf.keras HDF5 model file
  (``legacy_h5``);
- ``.weights.h5``: Keras 3's weights layout (``keras_weights``); other ``.h5`` weight
  files are read in the legacy layout (``by_name`` / ``skip_mismatch``);
- ``.weights.npz``: ember's own NumPy archive of the weights in ``model.weights`` order.
Every write is atomic: a crash mid-save leaves any previous file intact.
"""
from __future__ import annotations

import os
import zipfile

import numpy as np

from ember.keras.saving.file_io import (
    CorruptFileError, atomic_write, check_overwrite, open_h5,
)

__all__ = ["save_weights", "load_weights", "save_model", "load_model"]

_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _magic(filepath):
    with open(filepath, "rb") as f:
        return f.read(8)


def _weight_key(i, v):
    return f"{i:04d}:{v.name}"


def _is_legacy_h5_name(filepath):
    return filepath.endswith((".h5", ".hdf5")) and not filepath.endswith(".weights.h5")


def _is_tf_checkpoint_name(filepath, save_format=None):
    """tf.keras 2 wrote TensorFlow checkpoints for names without a file extension
    (``save_weights("ckpts/my_checkpoint")``), ``.ckpt`` and ``save_format="tf"``."""
    if save_format in ("tf", "tensorflow"):
        return True
    base = os.path.basename(filepath)
    return base.endswith(".ckpt") or "." not in base.lstrip(".")


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Writes the model's weights: ``.weights.h5`` (Keras 3 layout, with optimizer state),
    ``.h5`` (legacy layout), ``.weights.npz`` (ember's own), or a TensorFlow checkpoint in
    tf.keras 2's layout for a name without extension or ``.ckpt`` (weights only)."""
    filepath = os.fspath(filepath)
    check_overwrite(filepath, overwrite)
    if filepath.endswith(".weights.h5"):
        from ember.keras.saving.keras_weights import write_weights
        with atomic_write(filepath) as tmp, open_h5(tmp, "w") as f:
            write_weights(model, f)
        return
    if _is_legacy_h5_name(filepath):
        from ember.keras.saving.legacy_h5 import write_model_weights
        with atomic_write(filepath) as tmp, open_h5(tmp, "w") as f:
            write_model_weights(f, model)
        return
    if _is_tf_checkpoint_name(filepath, kwargs.get("save_format")):
        from ember.keras.saving.tf_checkpoint import write_keras2_checkpoint
        from ember.train.checkpoint_management import update_checkpoint_state
        write_keras2_checkpoint(model, filepath)
        update_checkpoint_state(os.path.dirname(os.path.abspath(filepath)),
                                os.path.basename(filepath))
        return
    if not filepath.endswith(".npz"):
        raise ValueError(f"The filename must end in `.weights.h5` (Keras weights), `.h5` "
                         f"(legacy weights) or `.weights.npz`, or name a TensorFlow "
                         f"checkpoint (no extension, `.ckpt`, or save_format='tf'). "
                         f"Received: filepath={filepath}")
    arrays = {_weight_key(i, v): np.asarray(v.numpy()) for i, v in enumerate(model.weights)}
    with atomic_write(filepath) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def _read_npz(filepath):
    if _magic(filepath)[:4] != _ZIP_MAGIC:
        raise CorruptFileError(filepath, "it is not a .weights.npz archive (it does not start "
                                         "like a zip file).")
    try:
        with np.load(filepath, allow_pickle=False) as data:
            keys = sorted(data.files)
            return keys, [data[k] for k in keys]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as e:
        raise CorruptFileError(filepath, f"the .weights.npz archive is truncated or corrupted "
                                         f"({type(e).__name__}: {e}).") from None


def load_weights(model, filepath, skip_mismatch=False, by_name=False, **kwargs):
    """Reads weights written by ``save_weights`` (or by Keras: ``.weights.h5``, legacy
    ``.h5``; ``by_name`` applies to legacy files). Bad files and mismatched shapes raise
    errors naming the file, the layer and both shapes."""
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath) and os.path.exists(os.path.join(filepath, "checkpoint")):
        from ember.train.checkpoint_management import latest_checkpoint
        filepath = latest_checkpoint(filepath) or filepath
    if not os.path.isfile(filepath) and os.path.exists(filepath + ".index"):
        from ember.keras.saving.tf_checkpoint import read_keras2_checkpoint
        read_keras2_checkpoint(model, filepath, skip_mismatch=skip_mismatch)
        return
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such weights file: {filepath!r}")
    if filepath.endswith(".keras"):
        from ember.keras.saving.keras_archive import read_weights_from_archive
        read_weights_from_archive(model, filepath, skip_mismatch=skip_mismatch)
        return
    if filepath.endswith((".h5", ".hdf5")):
        if _magic(filepath) != _HDF5_MAGIC:
            raise CorruptFileError(filepath, "it is not an HDF5 file (wrong signature); it "
                                             "may be of another format or corrupted.")
        from ember.keras.saving.keras_weights import is_keras3_weights, read_weights
        from ember.keras.saving.legacy_h5 import is_legacy_h5, load_legacy_weights
        with open_h5(filepath, "r") as f:
            if by_name and not is_legacy_h5(f):
                raise ValueError(f"by_name=True loads legacy .h5 weight files only; "
                                 f"{filepath} holds Keras 3 weights, which load by their "
                                 f"place in the model (drop by_name).")
            if is_legacy_h5(f):
                load_legacy_weights(model, f, filepath, by_name=by_name,
                                    skip_mismatch=skip_mismatch)
            elif is_keras3_weights(f):
                read_weights(model, f, filepath, skip_mismatch=skip_mismatch)
            else:
                raise CorruptFileError(filepath, "this HDF5 file holds neither Keras 3 "
                                                 "weights nor legacy Keras weights; top-level "
                                                 f"keys: {sorted(f.keys())[:10]}")
        return
    keys, values = _read_npz(filepath)
    weights = model.weights
    if len(values) != len(weights):
        raise ValueError(f"Weight file {filepath} holds {len(values)} weights but model "
                         f"{model.name} has {len(weights)}.")
    for v, key, arr in zip(weights, keys, values):
        shape = tuple(v.shape.as_list())
        if tuple(arr.shape) != shape:
            if skip_mismatch:
                continue
            layer = getattr(v, "path", v.name)
            raise ValueError(f"Weight {layer} has shape {shape} but {filepath} holds shape "
                             f"{arr.shape} for it (entry {key!r}).")
        v.assign(arr.astype(v.dtype.np))


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """Saves the whole model (config, weights, compile arguments and optimizer state):
    ``.keras`` (Keras 3 archive) or ``.h5`` (legacy HDF5)."""
    filepath = os.fspath(filepath)
    save_format = kwargs.pop("save_format", None)
    kwargs.pop("zipped", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {sorted(kwargs)}")
    check_overwrite(filepath, overwrite)
    if save_format == "h5" or _is_legacy_h5_name(filepath):
        from ember.keras.saving.legacy_h5 import save_legacy_h5
        save_legacy_h5(model, filepath, include_optimizer=include_optimizer)
        return
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"Invalid filepath extension for saving. Please add either a `.keras` extension "
            f"for the native Keras format (recommended) or a `.h5` extension. Use "
            f"`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={filepath}.")
    from ember.keras.saving.keras_archive import save_keras_archive
    save_keras_archive(model, filepath, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Loads a model saved by ``save_model`` (in ember or in Keras): ``.keras`` or ``.h5``.

    ``safe_mode=True`` refuses to rebuild Python code stored in the file (a Lambda layer's
    lambda); pass ``safe_mode=False`` only for files you trust."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"File not found: filepath={filepath}. Please ensure the file "
                                f"is an accessible `.keras` zip file.")
    if os.path.isdir(filepath):
        raise ValueError(f"{filepath} is a directory. ember loads `.keras` and `.h5` model "
                         f"files; a SavedModel directory is loaded with "
                         f"ember.saved_model.load.")
    magic = _magic(filepath)
    if magic == _HDF5_MAGIC or (_is_legacy_h5_name(filepath) and magic[:4] != _ZIP_MAGIC):
        from ember.keras.saving.legacy_h5 import load_legacy_h5
        return load_legacy_h5(filepath, custom_objects=custom_objects, compile=compile,
                              safe_mode=safe_mode)
    if magic[:4] == _ZIP_MAGIC or filepath.endswith(".keras"):
        from ember.keras.saving.keras_archive import load_keras_archive
        return load_keras_archive(filepath, custom_objects=custom_objects, compile=compile,
                                  safe_mode=safe_mode)
    raise ValueError(f"File format not supported: filepath={filepath}. ember loads `.keras` "
                     f"(Keras 3) and `.h5` (legacy) model files.")
