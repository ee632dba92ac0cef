"""``tf.io.read_file`` / ``write_file``: whole files as string scalars."""
from __future__ import annotations

import os
import tempfile

import numpy as np

from ember.framework.errors import NotFoundError

__all__ = ["read_file", "write_file", "string_scalar", "as_bytes"]


def as_bytes(value, what) -> bytes:
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise ValueError(f"{what}: expected a scalar string, got shape {value.shape}.")
        value = value[()]
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, np.bytes_)):
        return bytes(value)
    raise TypeError(f"{what}: expected a string, got {type(value).__name__}.")


def string_scalar(data: bytes):
    from ember.framework.tensor import EagerTensor
    return EagerTensor(np.array(data, dtype=object))


def read_file(filename, name=None):
    """The file's bytes as a tf.string scalar."""
    path = os.fsdecode(as_bytes(filename, "read_file: filename"))
    try:
        with open(path, "rb") as f:
            return string_scalar(f.read())
    except FileNotFoundError:
        raise NotFoundError(f"read_file: {path}; No such file or directory") from None


def write_file(filename, contents, name=None):
    """Writes ``contents`` to ``filename`` atomically (temp file, then rename)."""
    path = os.fsdecode(as_bytes(filename, "write_file: filename"))
    data = as_bytes(contents, "write_file: contents")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
