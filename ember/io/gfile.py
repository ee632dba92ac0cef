"""``tf.io.gfile``: file access on the local file system, with TensorFlow's names.
Writes through ``GFile(..., "w")`` land atomically when the file is closed."""
from __future__ import annotations

import glob as _glob
import os
import shutil
import tempfile

from ember.framework.errors import AlreadyExistsError, NotFoundError

__all__ = ["GFile", "Open", "exists", "glob", "listdir", "makedirs", "mkdir", "remove",
           "rename", "isdir", "walk", "copy", "rmtree", "stat", "join", "get_temp_dir"]


def _path(p):
    if hasattr(p, "numpy"):
        p = p.numpy()
    return os.fsdecode(p) if isinstance(p, bytes) else os.fspath(p)


class GFile:
    """A file object: ``read``, ``write``, ``readline``, iteration over lines, ``seek``,
    ``tell``, ``size``; modes as ``open``'s (text unless "b")."""

    def __init__(self, name, mode="r"):
        self.name = _path(name)
        self.mode = mode
        self._tmp = None
        if "r" in mode and "+" not in mode and not os.path.exists(self.name):
            raise NotFoundError(f"{self.name}; No such file or directory")
        if "w" in mode:
            directory = os.path.dirname(os.path.abspath(self.name))
            if not os.path.isdir(directory):
                raise NotFoundError(f"{directory}; No such file or directory")
            fd, self._tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
            os.close(fd)
            self._f = open(self._tmp, mode)
        else:
            self._f = open(self.name, mode)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __iter__(self):
        return iter(self._f)

    def __next__(self):
        return next(self._f)

    def size(self):
        return os.path.getsize(self.name if self._tmp is None else self._tmp)

    def read(self, n=-1):
        return self._f.read(n)

    def write(self, data):
        if isinstance(data, str) and "b" in self.mode:
            data = data.encode()
        elif isinstance(data, bytes) and "b" not in self.mode:
            data = data.decode()
        return self._f.write(data)

    def close(self):
        if self._f.closed:
            return
        self._f.close()
        if self._tmp is not None:
            os.replace(self._tmp, self.name)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is not None and self._tmp is not None:
            self._f.close()
            os.unlink(self._tmp)
            self._tmp = None
            return
        self.close()


Open = GFile


def exists(path) -> bool:
    return os.path.exists(_path(path))


def glob(pattern):
    return sorted(_glob.glob(_path(pattern)))


def listdir(path):
    path = _path(path)
    if not os.path.isdir(path):
        raise NotFoundError(f"Could not find directory {path}")
    return sorted(os.listdir(path))


def isdir(path) -> bool:
    return os.path.isdir(_path(path))


def makedirs(path):
    os.makedirs(_path(path), exist_ok=True)


def mkdir(path):
    path = _path(path)
    if os.path.exists(path):
        raise AlreadyExistsError(f"{path}; File exists")
    os.mkdir(path)


def remove(path):
    path = _path(path)
    if not os.path.exists(path):
        raise NotFoundError(f"{path}; No such file or directory")
    os.remove(path)


def rmtree(path):
    path = _path(path)
    if not os.path.exists(path):
        raise NotFoundError(f"{path}; No such file or directory")
    shutil.rmtree(path)


def rename(src, dst, overwrite=False):
    src, dst = _path(src), _path(dst)
    if not os.path.exists(src):
        raise NotFoundError(f"{src}; No such file or directory")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"{dst}; File already exists")
    os.replace(src, dst)


def copy(src, dst, overwrite=False):
    src, dst = _path(src), _path(dst)
    if not os.path.exists(src):
        raise NotFoundError(f"{src}; No such file or directory")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"{dst}; File already exists")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(os.path.abspath(dst)))
    os.close(fd)
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def walk(top, topdown=True, onerror=None):
    for root, dirs, files in os.walk(_path(top), topdown=topdown, onerror=onerror):
        dirs.sort()
        yield root, dirs, sorted(files)


class _Stat:
    def __init__(self, st, is_dir):
        self.length = st.st_size
        self.mtime_nsec = st.st_mtime_ns
        self.is_directory = is_dir


def stat(path):
    path = _path(path)
    if not os.path.exists(path):
        raise NotFoundError(f"{path}; No such file or directory")
    return _Stat(os.stat(path), os.path.isdir(path))


def join(path, *paths):
    return os.path.join(_path(path), *[_path(p) for p in paths])


def get_temp_dir():
    return tempfile.gettempdir()
