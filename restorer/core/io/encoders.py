"""Encoders, one per output format, writing a prepared :class:`Payload` (pixels and metadata) to an open file.

Pillow writes JPEG/WebP/BMP; OpenCV plus our own metadata chunks write PNG (Pillow cannot write 16-bit RGB
PNG); tifffile writes TIFF (8- and 16-bit). They write into the temp file ``write_image`` opened through
``restorer.core.atomic``; none of them opens a file itself.
"""
from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, TiffImagePlugin

from restorer.core.io import iptc
from restorer.core.io.image import SOFTWARE
from restorer.core.io.metadata import (
    DESCRIPTION,
    EXIF_IFD,
    EXIF_PLACEHOLDER,
    ORIENTATION,
    TIFF_ASCII_TAGS,
    XMP_TAG,
    raw_string,
)


@dataclass
class Payload:
    """Everything an encoder writes: pixels ready for the format and the metadata blocks to embed."""

    pixels: np.ndarray  # HxWx3, dtype the format can hold
    alpha: np.ndarray | None  # HxW, same dtype
    icc: bytes | None
    exif: Image.Exif
    xmp: bytes | None
    dpi: tuple[float, float] | None
    text: dict[str, str]
    comment: bytes | None
    description: str  # provenance note
    iptc: bytes | None = None  # IPTC-IIM, carried byte for byte



def _exif_bytes(p: Payload, limit: int | None = None) -> bytes:
    data = p.exif.tobytes()
    if limit is not None and len(data) > limit:
        # JPEG APP1 holds 64 KB; maker notes are the usual bulk (and their internal offsets break anyway).
        p.exif.get_ifd(EXIF_IFD).pop(0x927C, None)
        data = p.exif.tobytes()
        if len(data) > limit:
            data = b""
    return data


def _encode_jpeg(fh: BinaryIO, p: Payload, quality: int) -> None:
    kwargs: dict[str, Any] = {"quality": int(quality), "subsampling": 0}  # 4:4:4 keeps colour edges crisp
    exif = _exif_bytes(p, 65533)
    if exif:
        kwargs["exif"] = exif
    if p.icc:
        kwargs["icc_profile"] = p.icc
    if p.xmp and len(p.xmp) <= 65000:  # longer packets need "extended XMP", which Pillow cannot write
        kwargs["xmp"] = p.xmp
    if p.dpi:
        kwargs["dpi"] = tuple(int(round(d)) for d in p.dpi)
    if p.comment:
        kwargs["comment"] = p.comment
    if not p.iptc:
        Image.fromarray(p.pixels, "RGB").save(fh, format="JPEG", **kwargs)
        return
    # Pillow cannot write APP13: encode in memory, then put the IPTC segment after the APPn segments.
    buf = io.BytesIO()
    Image.fromarray(p.pixels, "RGB").save(buf, format="JPEG", **kwargs)
    fh.write(iptc.insert_jpeg_segment(buf.getvalue(), iptc.photoshop_segment(p.iptc)))


def _encode_webp(fh: BinaryIO, p: Payload, quality: int) -> None:
    im = Image.fromarray(p.pixels, "RGB")
    if p.alpha is not None:
        im.putalpha(Image.fromarray(p.alpha, "L"))
    kwargs: dict[str, Any] = {"quality": int(quality), "exif": _exif_bytes(p)}
    if p.icc:
        kwargs["icc_profile"] = p.icc
    if p.xmp:
        kwargs["xmp"] = p.xmp
    im.save(fh, format="WEBP", **kwargs)


def _encode_bmp(fh: BinaryIO, p: Payload, quality: int) -> None:
    # BMP carries no EXIF/ICC/XMP; only the resolution survives.
    kwargs: dict[str, Any] = {"dpi": tuple(int(round(d)) for d in p.dpi)} if p.dpi else {}
    Image.fromarray(p.pixels, "RGB").save(fh, format="BMP", **kwargs)


def _encode_png(fh: BinaryIO, p: Payload, quality: int) -> None:
    import cv2

    bgr = p.pixels[:, :, ::-1]
    if p.alpha is not None:
        bgr = np.dstack([bgr, p.alpha])
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(bgr), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise OSError("PNG encoder failed")
    data = buf.tobytes()
    del buf
    chunks: list[bytes] = []
    if p.icc:
        chunks.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(p.icc)))
    if p.dpi:
        ppm = [int(round(d / 0.0254)) for d in p.dpi]
        chunks.append(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    exif = _exif_bytes(p)
    if exif:
        chunks.append(_png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    text = dict(p.text)
    text["Software"] = SOFTWARE
    if "Description" not in text or text["Description"].lower().startswith("colourised by restorer"):
        text["Description"] = p.description[0].upper() + p.description[1:]
    if p.comment and "Comment" not in text:
        text["Comment"] = p.comment.decode("utf-8", "replace") if isinstance(p.comment, bytes) else str(p.comment)
    if p.iptc:  # PNG has no IPTC chunk; ExifTool and ImageMagick read this one
        text.setdefault("Raw profile type iptc", iptc.png_raw_profile(p.iptc))
    for key, value in text.items():
        chunks.append(_png_text_chunk(key, value))
    if p.xmp:
        chunks.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + p.xmp))
    assert data[12:16] == b"IHDR"
    ihdr_end = 8 + 8 + 13 + 4
    # iCCP/pHYs/eXIf must precede the image data; right after IHDR is valid for all of them.
    fh.write(data[:ihdr_end])
    fh.write(b"".join(chunks))
    fh.write(data[ihdr_end:])


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _png_text_chunk(key: str, value: str) -> bytes:
    k = key.encode("latin-1", "replace")[:79] or b"Comment"
    try:
        return _png_chunk(b"tEXt", k + b"\x00" + value.encode("latin-1"))
    except UnicodeEncodeError:  # tEXt is Latin-1 only; iTXt carries UTF-8
        return _png_chunk(b"iTXt", k + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))


def _encode_tiff(fh: BinaryIO, p: Payload, quality: int) -> None:
    import tifffile

    data = p.pixels if p.alpha is None else np.dstack([p.pixels, p.alpha])
    base = {k: v for k, v in p.exif.items()}
    extratags: list[tuple] = [(ORIENTATION, "H", 1, 1, True)]  # explicit: the pixels are upright
    for code in TIFF_ASCII_TAGS:
        v = base.get(code)
        if isinstance(v, (str, bytes)) and v:
            # tifffile refuses non-ASCII str; bytes are written as they are.
            extratags.append((code, "s", 0, raw_string(v), True))
    if p.xmp:
        extratags.append((XMP_TAG, "B", len(p.xmp), p.xmp, True))
    if p.iptc:  # UNDEFINED (7), which readers accept as well as LONG and which needs no padding
        extratags.append((iptc.IPTC_TIFF_TAG, 7, len(p.iptc), p.iptc, True))
    sub = dict(p.exif.get_ifd(EXIF_IFD)) if (EXIF_IFD in p.exif or p.exif._ifds.get(EXIF_IFD)) else {}  # noqa: SLF001
    if sub:
        # tifffile neither writes Exif sub-IFDs nor accepts tag 34665 as an extra tag: we write a placeholder
        # LONG under the neighbouring (unassigned) code, so it sorts where 34665 belongs, and patch it below.
        extratags.append((EXIF_PLACEHOLDER, "I", 1, 0, True))
    description = base.get(DESCRIPTION)
    description = raw_string(description if isinstance(description, (str, bytes)) and description
                              else p.description)
    kwargs: dict[str, Any] = {}
    if p.dpi:
        kwargs.update(resolution=(float(p.dpi[0]), float(p.dpi[1])), resolutionunit="INCH")
    start = fh.tell()
    tifffile.imwrite(fh, data, photometric="rgb", planarconfig="contig", compression="adobe_deflate",
                     predictor=True, extrasamples=("unassalpha",) if p.alpha is not None else None,
                     iccprofile=p.icc, description=description, software=SOFTWARE, metadata=None,
                     extratags=extratags, **kwargs)
    if sub:
        _tiff_append_exif_ifd(fh, start, sub)


def _tiff_append_exif_ifd(fh: BinaryIO, start: int, sub: dict) -> None:
    import tifffile

    fh.flush()
    fh.seek(start)
    with tifffile.TiffFile(fh) as tf:
        if tf.is_bigtiff:
            return  # offsets are 8 bytes there; not worth the complexity for > 4 GB files
        tag = tf.pages[0].tags.get(EXIF_PLACEHOLDER)
        if tag is None:
            return
        entry, valueoffset = tag.offset, tag.valueoffset
        little = tf.byteorder == "<"
    fh.seek(0, os.SEEK_END)
    if fh.tell() % 2:
        fh.write(b"\x00")  # IFDs start on a word boundary
    offset = fh.tell()
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II" if little else b"MM")
    for k, v in sub.items():
        if isinstance(v, dict):
            continue  # the Interop sub-sub-IFD is not worth rebuilding
        ifd[k] = v
    fh.write(ifd.tobytes(offset - start))
    order = "<" if little else ">"
    fh.seek(entry)
    fh.write(struct.pack(order + "H", EXIF_IFD))  # the placeholder becomes the real ExifIFD pointer
    fh.seek(valueoffset)
    fh.write(struct.pack(order + "I", offset - start))
    fh.seek(0, os.SEEK_END)


ENCODERS: dict[str, Callable[[BinaryIO, Payload, int], None]] = {
    "JPEG": _encode_jpeg, "PNG": _encode_png, "TIFF": _encode_tiff, "WEBP": _encode_webp, "BMP": _encode_bmp,
}
