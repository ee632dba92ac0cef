"""Model and weight files: save_weights/load_weights (``.weights.npz``, and
``.weights.h5`` when h5py is installed); whole-model files come with the saving issue."""
from __future__ import annotations

import os

import numpy as np

__all__ = ["save_weights", "load_weights", "save_model", "load_model"]


def _weight_key(i, v):
    return f"{i:04d}:{v.name}"


def save_weights(model, filepath, overwrite=True, **kwargs):
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    weights = model.weights
    if filepath.endswith(".h5"):
        _save_weights_h5(weights, filepath)
        return
    if not filepath.endswith(".npz"):
        raise ValueError(f"The filename must end in `.weights.h5` or `.weights.npz`. "
                         f"Received: filepath={filepath}")
    arrays = {_weight_key(i, v): np.asarray(v.numpy()) for i, v in enumerate(weights)}
    with open(filepath, "wb") as f:
        np.savez(f, **arrays)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    filepath = os.fspath(filepath)
    if filepath.endswith(".h5"):
        values = _load_weights_h5(filepath)
    else:
        with np.load(filepath, allow_pickle=False) as data:
            values = [data[k] for k in sorted(data.files)]
    weights = model.weights
    if len(values) != len(weights):
        raise ValueError(f"Weight file {filepath} holds {len(values)} weights but the model "
                         f"has {len(weights)}.")
    for v, arr in zip(weights, values):
        if tuple(arr.shape) != tuple(v.shape.as_list()):
            if skip_mismatch:
                continue
            raise ValueError(f"Weight {v.name} has shape {tuple(v.shape.as_list())} but the "
                             f"file holds shape {arr.shape}")
        v.assign(arr.astype(v.dtype.np))


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving to .h5 files needs the optional package h5py: "
                          "pip install h5py (or pip install ember[h5])") from None
    return h5py


def _save_weights_h5(weights, filepath):
    h5py = _h5py()
    with h5py.File(filepath, "w") as f:
        group = f.create_group("weights")
        for i, v in enumerate(weights):
            group.create_dataset(f"{i:04d}", data=np.asarray(v.numpy()))
            group[f"{i:04d}"].attrs["name"] = v.name


def _load_weights_h5(filepath):
    h5py = _h5py()
    with h5py.File(filepath, "r") as f:
        group = f["weights"]
        return [np.asarray(group[k]) for k in sorted(group.keys())]


def save_model(model, filepath, overwrite=True, **kwargs):
    raise NotImplementedError(
        "Saving whole models (.keras / .h5) is not available yet in ember; use "
        "model.save_weights('path.weights.npz') and rebuild the model from code.")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    raise NotImplementedError(
        "Loading whole models (.keras / .h5) is not available yet in ember; use "
        "model.load_weights().")
