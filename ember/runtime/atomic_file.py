"""Atomic file writes: the new content goes to a temporary file in the same directory, which
then replaces the target at once (``os.replace``), so a crash mid-write leaves the previous
file intact."""
from __future__ import annotations

import contextlib
import os
import secrets

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path next to ``filepath``; when the block succeeds the file is
    flushed to disk and moved over ``filepath``; on an exception it is removed.

    >>> with atomic_write("weights.npz") as tmp:
    ...     numpy.savez(tmp, w=w)
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _create_temporary(directory, os.path.basename(filepath))
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


def _create_temporary(directory, base):
    """A new empty file next to the target, made with the permissions an ordinary ``open``
    gives (0666 less the process's umask, as TensorFlow's files have), not mkstemp's 0600."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
