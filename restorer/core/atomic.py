"""The one way Restorer writes a file: a temp file in the destination's folder, fsync, rename, fsync the folder.

A reader (another process, a crash, a killed batch) sees either the old file or the whole new one, never half
of one, and no temp file is left behind on any error, KeyboardInterrupt included. Photos, models, cards,
reports, checkpoints and sidecars all go through here.
"""
from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Temp files start with this, so batch planning and folder listings can skip ones a power cut left behind.
TEMP_PREFIX = ".restorer-"


def _read_umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: the classic read-by-setting, done once at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); best effort, not possible on Windows."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit(tmp: str, dest: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, dest)
        return
    # A hard link creates ``dest`` only if it does not exist, closing the race between an existence check
    # and the rename. Filesystems without hard links (FAT, some shares) fall back to check-then-rename.
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(dest):
            raise FileExistsError(str(dest)) from None
        os.replace(tmp, dest)
        return
    os.unlink(tmp)


@contextmanager
def atomic_path(dest: str | Path, *, overwrite: bool = True, suffix: str | None = None) -> Iterator[str]:
    """Yield the path of a fresh temp file beside ``dest``; on a clean exit it becomes ``dest``.

    The body writes the temp file by name (libraries such as safetensors and torch want a path). Permissions
    are those a normal save would give (an overwritten file keeps its own). With ``overwrite=False`` an
    existing ``dest`` raises FileExistsError, race-free where the filesystem has hard links. Folder creation
    and OSErrors are the caller's to word for its users.
    """
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=suffix if suffix is not None else dest.suffix)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        mode = stat.S_IMODE(os.stat(dest).st_mode) if (overwrite and dest.exists()) else (0o666 & ~_UMASK)
        os.chmod(tmp, mode)  # mkstemp makes 0600; a model or photo folder may be shared
        _commit(tmp, dest, overwrite)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(folder)


def write_bytes(path: str | Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Atomically write ``data`` to ``path`` (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        f.write(data)
    return path


def write_text(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
