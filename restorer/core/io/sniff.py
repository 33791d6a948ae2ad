"""What a file is before it is decoded: a readable regular file, its format from the magic bytes, its size sane."""
from __future__ import annotations

import stat
from pathlib import Path

from restorer.core.io.image import ImageError


def check_readable_file(p: Path, name: str) -> None:
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ImageError(f"{name}: no such file") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as e:
        raise ImageError(f"{name}: cannot read the file ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(f"{name}: is a folder, not an image")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise ImageError(f"{name}: not a regular file")
    if st.st_size == 0:
        raise ImageError(f"{name}: file is empty (0 bytes)")


def sniff(head: bytes, name: str) -> str:
    """Format from the magic bytes, or an ImageError saying what the file seems to be instead."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head.startswith(b"BM"):
        return "BMP"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"hevc"):
        raise ImageError(f"{name}: HEIC/AVIF images are not supported (convert it to JPEG or PNG)")
    if head.startswith(b"%PDF"):
        raise ImageError(f"{name}: not an image (it is a PDF document)")
    if head.startswith(b"PK\x03\x04"):
        raise ImageError(f"{name}: not an image (it is a ZIP archive)")
    if _looks_like_text(head):
        raise ImageError(f"{name}: not an image (it looks like text)")
    raise ImageError(f"{name}: not an image (unrecognised file format)")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # only a multi-byte character cut by our 64-byte window is forgiven
            return False
        text = head[: e.start].decode("utf-8")
    return all(c.isprintable() or c in "\r\n\t\f" for c in text)

def check_size(name: str, size: tuple[int, int], max_pixels: int) -> None:
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ImageError(f"{name}: invalid image size {w}x{h}")
    if w * h > max_pixels:
        raise ImageError(f"{name}: {w}x{h} = {_mp(w * h)} MP exceeds the {_mp(max_pixels)} MP limit "
                         "(use --max-pixels to raise it)")


def _mp(n: int) -> str:
    v = n / 1e6
    if v >= 10:
        return f"{v:.0f}"
    return f"{v:.1f}" if v >= 0.1 else f"{v:.2g}"

