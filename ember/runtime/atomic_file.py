"""Atomic file writes: the new content goes to a temporary file in the same directory, which
then replaces the target at once (``os.replace``), so a crash mid-write leaves the previous
file intact."""
from __future__ import annotations

import contextlib
import os
import tempfile

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
