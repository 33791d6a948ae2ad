"""IPTC-IIM, the archive's captions, keywords and credits: found in JPEG APP13 and TIFF tag 33723, written back.

The IIM block is carried byte for byte (so nothing a reader relies on is re-encoded); it is only parsed to
mirror its main fields into XMP (IPTC Core), which PNG and WebP outputs can carry where IIM has no home.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator

IPTC_TIFF_TAG = 33723
PHOTOSHOP_IPTC = 0x0404  # the Photoshop image resource that holds IIM
_PHOTOSHOP_SIG = b"Photoshop 3.0\x00"
_UTF8_ESC = b"\x1b%G"

#: Record 2 datasets mirrored into XMP: dataset number -> (field name, repeatable).
FIELDS = {5: ("title", False), 25: ("keywords", True), 80: ("byline", True), 105: ("headline", False),
          110: ("credit", False), 115: ("source", False), 116: ("copyright", False), 120: ("caption", False)}


def _datasets(iim: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(record, dataset, value) of every well-formed dataset; stops at the first damaged one."""
    pos = 0
    while pos + 5 <= len(iim) and iim[pos] == 0x1C:
        record, dataset, size = iim[pos + 1], iim[pos + 2], struct.unpack(">H", iim[pos + 3:pos + 5])[0]
        pos += 5
        if size & 0x8000:  # extended dataset: the next (size & 0x7FFF) bytes hold the length
            n = size & 0x7FFF
            if n > 4 or pos + n > len(iim):
                return
            size = int.from_bytes(iim[pos:pos + n], "big")
            pos += n
        if pos + size > len(iim):
            return
        yield record, dataset, iim[pos:pos + size]
        pos += size


def is_iim(data: bytes | None) -> bool:
    return bool(data) and data[0] == 0x1C and next(_datasets(data), None) is not None  # type: ignore[index]


def fields(iim: bytes | None) -> dict[str, str | list[str]]:
    """The main record-2 fields as text (UTF-8 when the block says so or decodes as such, else Latin-1)."""
    if not iim:
        return {}
    items = list(_datasets(iim))
    utf8 = any(r == 1 and d == 90 and v.startswith(_UTF8_ESC) for r, d, v in items)
    out: dict[str, str | list[str]] = {}
    for record, dataset, value in items:
        if record != 2 or dataset not in FIELDS:
            continue
        name, repeatable = FIELDS[dataset]
        text = _text(value, utf8)
        if not text:
            continue
        if repeatable:
            out.setdefault(name, []).append(text)  # type: ignore[union-attr]
        else:
            out.setdefault(name, text)
    return out


def _text(value: bytes, utf8: bool) -> str:
    value = value.rstrip(b"\x00")
    if not utf8:
        try:
            return value.decode("utf-8").strip()  # many writers use UTF-8 without saying so
        except UnicodeDecodeError:
            return value.decode("latin-1").strip()
    return value.decode("utf-8", "replace").strip()


def from_photoshop(resources: dict | None) -> bytes | None:
    """IIM from Pillow's parsed JPEG APP13 (``im.info["photoshop"]``: resource id -> bytes)."""
    data = (resources or {}).get(PHOTOSHOP_IPTC)
    return bytes(data) if is_iim(data) else None


def photoshop_segment(iim: bytes) -> bytes:
    """A complete JPEG APP13 segment holding ``iim`` as Photoshop resource 0x0404 (empty name)."""
    body = iim + (b"\x00" if len(iim) % 2 else b"")
    resource = b"8BIM" + struct.pack(">H", PHOTOSHOP_IPTC) + b"\x00\x00" + struct.pack(">I", len(iim)) + body
    payload = _PHOTOSHOP_SIG + resource
    if len(payload) + 2 > 0xFFFF:
        return b""  # one APP13 holds 64 KB; an archive caption never comes near it
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def insert_jpeg_segment(jpeg: bytes, segment: bytes) -> bytes:
    """``jpeg`` with ``segment`` placed after its leading APPn segments (where readers look for APP13)."""
    pos = 2
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        pos += 2 + struct.unpack(">H", jpeg[pos + 2:pos + 4])[0]
    return jpeg[:pos] + segment + jpeg[pos:]


def png_raw_profile(iim: bytes) -> str:
    """The ImageMagick "Raw profile type iptc" text (hex in lines of 72) that ExifTool reads from PNG."""
    hexed = iim.hex()
    lines = "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
    return f"\niptc\n{len(iim):8d}\n{lines}\n"


def from_png_raw_profile(text: str | None) -> bytes | None:
    """IIM from a "Raw profile type iptc" text (ImageMagick/ExifTool); None when it is not one."""
    if not text:
        return None
    parts = text.strip().split(None, 2)
    if len(parts) != 3 or parts[0] != "iptc":
        return None
    try:
        data = bytes.fromhex("".join(parts[2].split()))
    except ValueError:
        return None
    if data.startswith(b"8BIM"):  # some writers store the whole Photoshop resource
        data = _resource_from_irb(data) or b""
    return data if is_iim(data) else None


def _resource_from_irb(irb: bytes) -> bytes | None:
    pos = 0
    while pos + 12 <= len(irb) and irb[pos:pos + 4] == b"8BIM":
        rid = struct.unpack(">H", irb[pos + 4:pos + 6])[0]
        name_len = irb[pos + 6]
        pos += 6 + (name_len + 2) // 2 * 2
        size = struct.unpack(">I", irb[pos:pos + 4])[0]
        pos += 4
        if rid == PHOTOSHOP_IPTC:
            return irb[pos:pos + size]
        pos += size + size % 2
    return None
