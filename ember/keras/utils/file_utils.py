"""get_file: download-once caching of data files under ``~/.keras`` (or ``$KERAS_HOME``)."""
from __future__ import annotations

import hashlib
import os
import shutil
import warnings

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive"]


def _resolve_hasher(algorithm, file_hash=""):
    if algorithm == "sha256" or (algorithm == "auto" and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"get_file: unknown hash_algorithm {algorithm!r}; expected 'auto', "
                     f"'sha256' or 'md5'")


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file ('sha256' or 'md5').

    >>> len(hash_file(__file__))
    64
    """
    hasher = _resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's hash equals ``file_hash`` ('auto' picks sha256 for 64 hex digits,
    md5 otherwise).

    >>> validate_file(__file__, hash_file(__file__))
    True
    """
    hasher = _resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash).lower()


def _archive_kind(path, archive_format):
    import tarfile
    import zipfile
    if archive_format is None:
        return None
    if isinstance(archive_format, str):
        formats = ["tar", "zip"] if archive_format == "auto" else [archive_format]
    else:
        formats = list(archive_format)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(path):
            return "tar"
        if kind == "zip" and zipfile.is_zipfile(path):
            return "zip"
    return None


def _inside(base, target):
    base = os.path.realpath(base)
    return os.path.commonpath([base, os.path.realpath(target)]) == base


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into ``path``; returns whether the
    file was an archive of an accepted format. Members escaping ``path`` are refused.

    >>> extract_archive(__file__, "/tmp")
    False
    """
    import tarfile
    import zipfile
    kind = _archive_kind(file_path, archive_format)
    if kind is None:
        return False
    os.makedirs(path, exist_ok=True)
    try:
        if kind == "tar":
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    if not _inside(path, os.path.join(path, member.name)):
                        raise ValueError(f"extract_archive: refusing to extract {member.name!r} "
                                         f"from {file_path}: it points outside {path}")
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(path, filter="data")
                else:
                    archive.extractall(path)
        else:
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if not _inside(path, os.path.join(path, name)):
                        raise ValueError(f"extract_archive: refusing to extract {name!r} "
                                         f"from {file_path}: it points outside {path}")
                archive.extractall(path)
    except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        raise
    return True


def _cache_root(cache_dir):
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".keras")
    root = os.path.expanduser(cache_dir)
    os.makedirs(root, exist_ok=True)
    if not os.access(root, os.W_OK):
        root = os.path.join("/tmp", ".keras")
    return root


_CHUNK = 1 << 20


def _progress_bar(total, already):
    """A byte progress bar on a terminal with interactive logging on; None (quiet)
    otherwise."""
    import sys

    from ember.keras.utils.io_utils import is_interactive_logging_enabled
    if not is_interactive_logging_enabled() or \
            not getattr(sys.stdout, "isatty", lambda: False)():
        return None
    from ember.keras.utils.progbar import Progbar
    bar = Progbar(total, unit_name="byte")
    if already:
        bar.update(already)
    return bar


def _fetch(origin, partial, timeout):
    """Appends the rest of ``origin`` to ``partial`` (asking the server for the bytes after
    what ``partial`` holds; starting over if it sends the whole file)."""
    import urllib.request
    done = os.path.getsize(partial) if os.path.exists(partial) else 0
    headers = {"User-Agent": "ember-keras"}
    if done:
        headers["Range"] = f"bytes={done}-"
    request = urllib.request.Request(origin, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if done and getattr(response, "status", None) != 206:
            done = 0                       # no range support: the whole file again
        length = response.headers.get("Content-Length") if response.headers else None
        total = done + int(length) if length and length.isdigit() else None
        bar = _progress_bar(total, done)
        with open(partial, "ab" if done else "wb") as out:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if bar is not None:
                    bar.update(done if total is None else min(done, total))
        if bar is not None and total is not None:
            bar.update(total, finalize=True)
        if total is not None and done < total:
            raise OSError(f"the connection closed after {done} of {total} bytes")


def _download(origin, fpath, timeout=60):
    """Downloads ``origin`` to ``fpath`` through ``fpath + '.part'`` (kept after an
    interruption so the next call resumes it), moved into place only when complete."""
    import http.client
    import urllib.error

    from ember.keras.utils.io_utils import print_msg
    print_msg(f"Downloading data from {origin}")
    partial = fpath + ".part"
    try:
        try:
            _fetch(origin, partial, timeout)
        except urllib.error.HTTPError as e:
            if e.code != 416 or not os.path.exists(partial):
                raise
            os.remove(partial)             # what we hold is not a prefix of the file
            _fetch(origin, partial, timeout)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        if os.path.exists(partial) and os.path.getsize(partial) == 0:
            os.remove(partial)
        if isinstance(e, urllib.error.HTTPError):
            reason = f"HTTP {e.code} {e.msg}"
        elif isinstance(e, urllib.error.URLError):
            reason = str(e.reason)
        else:
            reason = str(e)
        raise Exception(f"Could not download {origin}: URL fetch failure ({reason}). The "
                        f"file is not in the cache either: check the URL and your network "
                        f"connection, or place the file at {fpath}.") from e
    os.replace(partial, fpath)


def _targets(datadir, fname, provided, extract):
    """(download path, extraction directory or None) in Keras 3's cache layout."""
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        return os.path.join(datadir, fname), \
            os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
    return os.path.join(datadir, fname + "_archive"), os.path.join(datadir, fname)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads ``origin`` into ``<cache_dir>/<cache_subdir>/<fname>`` unless it is already
    there, and returns the local path.

    ``cache_dir`` defaults to ``$KERAS_HOME`` or ``~/.keras``, laid out as Keras 3 lays it
    out, so files real Keras downloaded are used as they are. A given ``file_hash`` (sha256
    or md5, told apart by length) is checked on the cached copy (a mismatch triggers a new
    download) and on the download (a mismatch raises ValueError). Downloads go through a
    ``.part`` file that is resumed after an interruption and moved into place when complete;
    a progress bar shows on a terminal. With ``extract=True`` (or ``untar=True``) a tar/zip
    archive is unpacked and the extraction directory is returned: ``<name>_extracted`` for
    an ``fname`` with a suffix (``<name>`` being the part before the first dot), else
    ``<fname>`` itself, the archive then being kept as ``<fname>_archive``.

    >>> path = get_file("mnist.npz", "https://example.com/mnist.npz")  # doctest: +SKIP
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (URL of the file to '
                         'download).')
    if untar:
        extract = True
        archive_format = "tar"
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    provided = bool(fname)
    if not fname:
        from urllib.parse import urlsplit
        fname = os.path.basename(urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot infer a file name from origin={origin!r}; "
                             f"pass fname=")
    fname = os.fspath(fname)
    if os.sep in fname:
        raise ValueError(f"get_file: fname must be a file name, not a path (use cache_dir "
                         f"for the directory); got fname={fname!r}")

    datadir = os.path.join(_cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    fpath, extract_dir = _targets(datadir, fname, provided, extract)

    download = force_download or not os.path.exists(fpath)
    if not download and file_hash is not None and \
            not validate_file(fpath, file_hash, algorithm=hash_algorithm):
        warnings.warn(f"get_file: the cached file {fpath} does not match the expected "
                      f"{hash_algorithm} hash {file_hash}; downloading it again.", stacklevel=2)
        download = True

    if download:
        _download(origin, fpath)
        if file_hash is not None and not validate_file(fpath, file_hash,
                                                       algorithm=hash_algorithm):
            os.remove(fpath)
            raise ValueError(f"get_file: incomplete or corrupted file detected: the "
                             f"{hash_algorithm} hash of the file downloaded from {origin} "
                             f"does not match the expected value {file_hash}; it was not "
                             f"kept in the cache ({fpath}).")
        if extract_dir is not None and os.path.isdir(extract_dir):
            shutil.rmtree(extract_dir)

    if extract_dir is not None:
        if not os.path.isdir(extract_dir):
            # into a scratch directory first, so a half-done extraction is never taken
            # for the real one
            scratch = extract_dir + ".partial"
            if os.path.isdir(scratch):
                shutil.rmtree(scratch)
            if not extract_archive(fpath, scratch, archive_format):
                raise ValueError(f"get_file: {fpath} is not a {archive_format} archive that "
                                 f"can be extracted")
            os.replace(scratch, extract_dir)
        return extract_dir
    return fpath
