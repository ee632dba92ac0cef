"""atomic_write: the new content replaces the file at once, a failure leaves the old file,
and the file gets the permissions an ordinary open gives (not a temporary file's 0600)."""
import os
import stat

import pytest

from ember.runtime.atomic_file import atomic_write


def test_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with atomic_write(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["model.bin"]


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_file_gets_the_permissions_of_an_ordinary_open(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "weights.h5") as tmp:
            with open(tmp, "wb") as f:
                f.write(b"x")
        with open(tmp_path / "plain", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "weights.h5").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain").st_mode) == 0o644
