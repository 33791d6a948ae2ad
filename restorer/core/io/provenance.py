"""What an output says about itself: the source's EXIF and XMP carried over, with orientation reset and provenance."""
from __future__ import annotations

import re
import struct
from xml.sax.saxutils import quoteattr

from PIL import Image

from restorer.core.io.image import SOFTWARE, LoadedImage
from restorer.core.io.metadata import (
    DESCRIPTION,
    EXIF_HEIGHT,
    EXIF_IFD,
    EXIF_WIDTH,
    GPS_IFD,
    ORIENTATION,
    SOFTWARE_TAG,
    STRUCTURAL_TAGS,
)

# xmp:CreatorTool / dc:description, which a second rdf:Description would otherwise repeat.
XMP_NS = "http://ns.restorer.app/xmp/1.0/"



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


def raw_string(value: str | bytes) -> bytes:
    """A metadata string as bytes: Latin-1 when possible (undoes Pillow's Latin-1 decoding), else UTF-8."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


_XMP_ORIENT_ATTR = re.compile(rb'(tiff:Orientation\s*=\s*["\'])\d(["\'])')
_XMP_ORIENT_ELEM = re.compile(rb"(<tiff:Orientation>)\s*\d\s*(</tiff:Orientation>)")
_XMP_OURS = re.compile(rb"<rdf:Description\b[^>]*xmlns:restorer=[^>]*/>\s*", re.S)


def output_xmp(xmp: bytes | None, note: str, model_name: str | None) -> bytes | None:
    """The source's XMP packet (orientation reset) with Restorer's provenance description added."""
    attrs = (f'xmlns:restorer="{XMP_NS}" restorer:Software={quoteattr(SOFTWARE)} '
             f"restorer:Note={quoteattr(note)}" + (f" restorer:Model={quoteattr(model_name)}" if model_name else ""))
    ours = f'<rdf:Description rdf:about="" {attrs}/>\n'.encode()
    if xmp:
        xmp = _XMP_ORIENT_ATTR.sub(rb"\g<1>1\g<2>", xmp)
        xmp = _XMP_ORIENT_ELEM.sub(rb"\g<1>1\g<2>", xmp)
        xmp = _XMP_OURS.sub(b"", xmp)
        end = xmp.rfind(b"</rdf:RDF>")
        if end < 0:
            return xmp  # not an XMP packet we understand: copy it untouched rather than corrupt it
        return xmp[:end] + ours + xmp[end:]
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        f"xmp:CreatorTool={quoteattr(SOFTWARE)}/>\n"
        + ours.decode("utf-8")
        + "</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode("utf-8")

