"""Atomic file writes and the errors every model/weight loader gives for bad files."""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_write", "CorruptFileError", "h5py_module", "check_overwrite"]


class CorruptFileError(ValueError):
    """A model or weights file that is truncated, corrupted or of another format."""

    def __init__(self, filepath, problem):
        self.filepath = os.fspath(filepath)
        super().__init__(f"Cannot load {self.filepath!r}: {problem}")


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path in ``filepath``'s directory; on success it replaces
    ``filepath`` at once (``os.replace``), so a crash mid-write leaves the previous file
    intact. On an exception the temporary file is removed."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(filepath) + ".",
                               suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


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
