"""Reading metadata: EXIF, ICC, XMP, resolution, PNG text and comments from a source file into :class:`Metadata`."""
from __future__ import annotations

from typing import Any

from PIL import Image

from restorer.core.io import iptc
from restorer.core.io.image import Metadata

# EXIF / TIFF tag numbers we touch.
ORIENTATION, SOFTWARE_TAG, DESCRIPTION = 0x0112, 0x0131, 0x010E
ARTIST, COPYRIGHT = 315, 33432
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
EXIF_WIDTH, EXIF_HEIGHT = 0xA002, 0xA003
ICC_TAG, XMP_TAG = 34675, 700
EXIF_PLACEHOLDER = EXIF_IFD - 1  # see _encode_tiff
# IFD0 tags worth carrying from a TIFF into another file's EXIF. A TIFF's IFD0 also holds its pixel layout
# (strip offsets, bit depth, ...) and possibly huge blobs (Photoshop layers), which must not be copied.
TIFF_DESCRIPTIVE_TAGS = {269, 270, 271, 272, 274, 282, 283, 285, 296, 305, 306, 315, 316, 318, 319, 33432,
                          EXIF_IFD, GPS_IFD, 0x4746, 0x4749, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F}
# Tags describing the pixel layout of the file they came from; stale (and misleading) anywhere else.
STRUCTURAL_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 284, 317, 320, 322, 323,
                    324, 325, 338, 339, 513, 514, 530, 531, 532, ICC_TAG, XMP_TAG, 34377, 37724}
# ASCII IFD0 tags that a TIFF output carries as plain tags (the rest of EXIF goes into its Exif sub-IFD).
TIFF_ASCII_TAGS = (271, 272, 306, 315, 316, 33432)


def read_metadata(im: Image.Image, fmt: str, header_only: bool = False) -> Metadata:
    """The metadata of a Pillow image whose file is still open.

    ``header_only`` avoids what would make Pillow decode the pixels (its PNG ``getexif()``/``text`` load the
    image to find chunks after the pixel data), for files whose pixels another decoder reads; metadata
    chunks placed after the image data are then not seen.
    """
    meta = Metadata()
    if header_only:
        exif_obj = Image.Exif()
        if im.info.get("exif"):
            exif_obj.load(im.info["exif"])
    else:
        exif_obj = im.getexif()
    meta.orientation = _orientation(exif_obj.get(ORIENTATION, 1))
    if fmt == "TIFF":
        meta.exif = _exif_from_tiff(exif_obj)
    else:
        raw = im.info.get("exif")
        meta.exif = bytes(raw) if raw else (exif_obj.tobytes() if len(exif_obj) else None)
    icc = im.info.get("icc_profile") or None
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or None
    if fmt == "TIFF" and xmp is None:
        xmp = getattr(im, "tag_v2", {}).get(XMP_TAG)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    meta.icc, meta.xmp = (bytes(icc) if icc else None), (bytes(xmp) if xmp else None)
    dpi = im.info.get("dpi")
    if dpi and all(float(d) > 0 for d in dpi):
        meta.dpi = (float(dpi[0]), float(dpi[1]))
    if fmt == "PNG":
        chunks = im.info if header_only else getattr(im, "text", {})
        text = {k: v for k, v in chunks.items() if isinstance(v, str)
                # XMP travels as xmp; ImageMagick's raw EXIF/ICC copies would carry the old orientation.
                and k != "XML:com.adobe.xmp" and not k.startswith("Raw profile type")}
        meta.png_text = {k: str(v) for k, v in text.items()}
        meta.iptc = iptc.from_png_raw_profile(chunks.get("Raw profile type iptc"))
    if im.info.get("comment"):
        meta.comment = im.info["comment"]
    if fmt == "JPEG":
        meta.iptc = iptc.from_photoshop(im.info.get("photoshop"))
    return meta


def _orientation(value: Any) -> int:
    orientation = int(value or 1)
    return orientation if orientation in range(1, 9) else 1


def _exif_from_tiff(exif_obj: Image.Exif) -> bytes | None:
    """EXIF made of a TIFF's descriptive IFD0 tags and its Exif/GPS sub-IFDs (not its pixel layout)."""
    out = Image.Exif()
    for tag in list(exif_obj.keys()):
        if tag not in TIFF_DESCRIPTIVE_TAGS:
            continue
        if tag in (EXIF_IFD, GPS_IFD):
            sub = exif_obj.get_ifd(tag)
            if sub:
                out.get_ifd(tag).update(sub)
        else:
            value = exif_obj[tag]
            # Pillow would write a non-ASCII str as "?"s ("Studio M??ller"): give it the file's own bytes.
            out[tag] = raw_string(value) if isinstance(value, str) and not value.isascii() else value
    return out.tobytes() if len(out) or out._ifds else None  # noqa: SLF001 - Exif keeps sub-IFDs there



def read_tifffile_metadata(page: Any) -> Metadata:
    """Metadata of a tifffile page, for TIFFs Pillow cannot even open: only plain tags (no Exif sub-IFD)."""
    tags = page.tags
    meta = Metadata()

    def value(code: int):
        t = tags.get(code)
        return None if t is None else t.value

    meta.orientation = _orientation(value(274))
    exif = Image.Exif()
    for code in (270, 305, *TIFF_ASCII_TAGS):
        v = value(code)
        if isinstance(v, str) and v:
            exif[code] = v if v.isascii() else v.encode("utf-8")
    x, y = value(282), value(283)
    if isinstance(x, tuple) and isinstance(y, tuple) and x[1] and y[1]:
        unit = int(value(296) or 2)
        factor = 2.54 if unit == 3 else 1.0
        meta.dpi = (x[0] / x[1] * factor, y[0] / y[1] * factor)
    icc = value(ICC_TAG)
    xmp = value(XMP_TAG)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    meta.exif = exif.tobytes() if len(exif) else None
    meta.icc, meta.xmp = (bytes(icc) if icc else None), (bytes(xmp) if xmp else None)
    return meta



def tiff_iptc(fh: Any, start: int = 0) -> bytes | None:
    """The raw IIM of TIFF tag 33723, read with tifffile (Pillow types it as one LONG and loses it)."""
    import tifffile

    fh.seek(start)
    try:
        with tifffile.TiffFile(fh) as tf:
            tag = tf.pages[0].tags.get(iptc.IPTC_TIFF_TAG) if tf.pages else None
            if tag is None:
                return None
            offset, size = tag.valueoffset, tag.valuebytecount
    except (tifffile.TiffFileError, ValueError, IndexError, KeyError, OSError):
        return None
    fh.seek(offset)
    data = fh.read(size)
    return data if iptc.is_iim(data) else None


def raw_string(value: str | bytes) -> bytes:
    """A metadata string as bytes: Latin-1 when possible (undoes Pillow's Latin-1 decoding), else UTF-8."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


