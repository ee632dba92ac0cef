"""The errors every model/weight loader gives for bad files, h5py on demand, and atomic
writes (``ember.runtime.atomic_file``)."""
from __future__ import annotations

import os

from ember.runtime.atomic_file import atomic_write

__all__ = ["atomic_write", "CorruptFileError", "h5py_module", "check_overwrite"]


class CorruptFileError(ValueError):
    """A model or weights file that is truncated, corrupted or of another format."""

    def __init__(self, filepath, problem):
        self.filepath = os.fspath(filepath)
        super().__init__(f"Cannot load {self.filepath!r}: {problem}")


def check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{os.fspath(filepath)} exists and overwrite=False")


def h5py_module():
    """h5py, imported on first use (an optional dependency: ``pip install ember[h5]``)."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing .h5 / .keras files needs the optional package "
                          "h5py: pip install h5py (or pip install ember[h5])") from None
    return h5py


def open_h5(filepath, mode="r"):
    """An h5py File; a missing, truncated or non-HDF5 file gives a CorruptFileError."""
    h5py = h5py_module()
    if mode == "r" and not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {os.fspath(filepath)!r}")
    try:
        return h5py.File(filepath, mode)
    except OSError as e:
        raise CorruptFileError(filepath, f"it is not a readable HDF5 file (truncated, "
                                         f"corrupted or of another format): {e}") from None
