"""The one atomic writer: whole file or nothing, no temp file left on any error."""
import os

import pytest

from restorer.core.atomic import TEMP_PREFIX, atomic_path, write_bytes, write_text


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_write_replaces_whole_file(tmp_path):
    dest = tmp_path / "sub" / "report.json"
    write_text(dest, "old")
    write_bytes(dest, b"new contents")
    assert dest.read_bytes() == b"new contents"
    assert _leftovers(dest.parent) == []


def test_error_in_body_keeps_old_file_and_leaves_no_temp(tmp_path):
    dest = tmp_path / "model.safetensors"
    dest.write_bytes(b"original")
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise RuntimeError("encoder failed")
    assert dest.read_bytes() == b"original"
    assert _leftovers(tmp_path) == []


def test_no_overwrite_refuses_existing(tmp_path):
    dest = tmp_path / "photo_colour.jpg"
    dest.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        write_bytes(dest, b"other", overwrite=False)
    assert dest.read_bytes() == b"keep me"
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_file_gets_normal_permissions_and_overwrite_keeps_them(tmp_path):
    dest = tmp_path / "card.json"
    write_text(dest, "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert (dest.stat().st_mode & 0o777) == (0o666 & ~umask)
    dest.chmod(0o640)
    write_text(dest, "{ }")
    assert (dest.stat().st_mode & 0o777) == 0o640
