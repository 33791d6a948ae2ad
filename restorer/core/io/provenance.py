"""What an output says about itself: the source's EXIF and XMP carried over, with orientation reset and provenance.

Where a block has no home in the output format, its main fields are mirrored: IPTC-IIM captions, TIFF text tags
and PNG text go into XMP (IPTC Core: dc:description, dc:subject, dc:creator, dc:rights...), and a PNG's
Author/Copyright/Description into EXIF.
"""
from __future__ import annotations

import struct

from PIL import Image

from restorer.core.io import iptc
from restorer.core.io.image import SOFTWARE, LoadedImage, Provenance
from restorer.core.io.metadata import (
    ARTIST,
    COPYRIGHT,
    DESCRIPTION,
    EXIF_HEIGHT,
    EXIF_IFD,
    EXIF_WIDTH,
    GPS_IFD,
    ORIENTATION,
    SOFTWARE_TAG,
    STRUCTURAL_TAGS,
    raw_string,
)
from restorer.core.io.xmp import XMP_NS, XmpProvenance
from restorer.core.io.xmp import output_xmp as _merge_xmp

__all__ = ["XMP_NS", "note_for", "output_exif", "output_xmp"]


def note_for(prov: Provenance) -> str:
    """The one-line provenance note ("colourised by Restorer 0.1.0 with model m")."""
    return f"colourised by {SOFTWARE}" + (f" with model {prov.model}" if prov.model else "")


def output_exif(source: LoadedImage | None, width: int, height: int, note: str) -> Image.Exif:
    """The source's EXIF for an upright ``width`` x ``height`` output: orientation 1, Software and caption set."""
    exif = Image.Exif()
    if source is not None and source.exif:
        try:
            exif.load(source.exif)
            for tag in (EXIF_IFD, GPS_IFD):  # materialise sub-IFDs while the source bytes are loaded
                if tag in exif:
                    exif.get_ifd(tag)
        except (SyntaxError, ValueError, struct.error, OSError, TypeError, IndexError, KeyError):
            exif = Image.Exif()  # unreadable EXIF is dropped rather than copied half-broken
    for tag in STRUCTURAL_TAGS:
        exif.pop(tag, None)
    text = source.metadata.png_text if source is not None else {}
    for tag, key in ((ARTIST, "Author"), (COPYRIGHT, "Copyright"), (DESCRIPTION, "Description")):
        if not exif.get(tag) and text.get(key):  # a PNG's credits, where JPEG/TIFF/WebP readers look
            exif[tag] = text[key] if text[key].isascii() else text[key].encode("utf-8")
    exif[ORIENTATION] = 1  # the pixels are already upright
    exif[SOFTWARE_TAG] = SOFTWARE
    old = exif.get(DESCRIPTION)
    # Keep the photo's own caption; provenance then lives in Software + XMP. An earlier Restorer note is
    # replaced so re-colourising does not stack notes.
    if not old or (isinstance(old, str) and old.lower().startswith("colourised by restorer")):
        caption = note[0].upper() + note[1:]
        exif[DESCRIPTION] = caption if caption.isascii() else caption.encode("utf-8")
    if EXIF_IFD in exif or exif._ifds.get(EXIF_IFD):  # noqa: SLF001
        sub = exif.get_ifd(EXIF_IFD)
        if EXIF_WIDTH in sub or EXIF_HEIGHT in sub:
            sub[EXIF_WIDTH], sub[EXIF_HEIGHT] = width, height
    # Pillow reads EXIF strings as Latin-1 but writes them as ASCII with "?" for anything else, which would
    # turn a UTF-8 caption ("Großmutter") into "Gro??mutter". Bytes are written untouched, so non-ASCII
    # IFD0 strings go back as their original bytes (Latin-1 round trip), ours as UTF-8. (In sub-IFDs Pillow
    # would store bytes with a BYTE type, so rare non-ASCII strings there keep Pillow's behaviour.)
    for tag in list(exif.keys()):
        value = exif[tag]
        if isinstance(value, str) and not value.isascii():
            exif[tag] = raw_string(value)
    return exif


#: PNG text keywords (the PNG spec's predefined ones) mirrored into XMP, and the field each one fills.
_PNG_KEYS = {"Title": "title", "Description": "caption", "Author": "byline", "Copyright": "copyright",
             "Source": "source"}
#: TIFF/EXIF IFD0 text tags mirrored into XMP.
_TIFF_KEYS = {DESCRIPTION: "caption", ARTIST: "byline", COPYRIGHT: "copyright"}


def mirrored_fields(source: LoadedImage | None) -> dict[str, str | list[str]]:
    """Caption, keywords, credits... from the source's IIM, then its TIFF/EXIF text tags, then its PNG text."""
    if source is None:
        return {}
    meta = source.metadata
    out: dict[str, str | list[str]] = dict(iptc.fields(meta.iptc))
    if meta.exif:
        exif = Image.Exif()
        try:
            exif.load(meta.exif)
        except (SyntaxError, ValueError, struct.error, OSError, TypeError, IndexError, KeyError):
            exif = Image.Exif()
        for tag, key in _TIFF_KEYS.items():
            value = exif.get(tag)
            if isinstance(value, str) and value.strip() and key not in out:
                text = _undo_latin1(value.strip())
                if not text.lower().startswith("colourised by restorer"):
                    out[key] = [text] if key == "byline" else text
    for png_key, key in _PNG_KEYS.items():
        value = meta.png_text.get(png_key)
        if value and value.strip() and key not in out and not value.lower().startswith("colourised by restorer"):
            out[key] = [value.strip()] if key == "byline" else value.strip()
    return out


def _undo_latin1(value: str) -> str:
    """Pillow decodes EXIF strings as Latin-1; most writers store UTF-8 ("Studio MÃ¼ller" -> "Studio Müller")."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def output_xmp(source: LoadedImage | None, prov: Provenance) -> bytes:
    """The source's XMP (orientation reset, earlier provenance replaced) with this output's provenance."""
    info = XmpProvenance(software=SOFTWARE, note=note_for(prov),
                         source_name=source.path.name if source is not None else None, model=prov.model,
                         strength=prov.strength, hints=prov.hints, mirrored=mirrored_fields(source))
    return _merge_xmp(source.xmp if source is not None else None, info)
