"""Reading and writing photos: every supported format in, one sRGB working image out, metadata carried over.

``read_image`` turns a JPEG/PNG/TIFF/BMP/WebP file (or a GIF's first frame) into a :class:`LoadedImage` whose ``pixels`` are upright
(EXIF orientation applied), sRGB (embedded ICC profiles converted), ``HxWx3`` ``uint8`` or ``uint16`` (16-bit
sources stay 16-bit) with any alpha channel kept aside in ``alpha`` and the file's metadata in a
:class:`Metadata`. ``write_image`` does the reverse: it writes the colourised pixels atomically, re-attaches
alpha where the format can hold it, converts back into the original RGB colour profile, and carries the
metadata over with provenance added. No Qt here.

Modules, each importing only those listed before it: ``image`` (types, format names), ``sniff`` (what a file
is), ``icc`` (colour management), ``iptc`` (IPTC-IIM blocks), ``metadata`` (reading metadata blocks), ``xmp``
(merging XMP), ``provenance`` (the output's metadata), ``decode`` (``read_image``), ``encoders`` (one per
format), ``encode`` (``write_image``). Which format carries which block: docs/metadata.md.
"""
from __future__ import annotations

from restorer.core.atomic import TEMP_PREFIX
from restorer.core.io.decode import read_image
from restorer.core.io.encode import write_image
from restorer.core.io.icc import srgb_icc_bytes
from restorer.core.io.image import (
    DEFAULT_MAX_PIXELS,
    FORMAT_EXTENSION,
    FORMATS,
    SOFTWARE,
    SUPPORTED_EXTENSIONS,
    ImageError,
    LoadedImage,
    Metadata,
    Provenance,
    format_for,
    is_supported,
    output_suffix,
)
from restorer.core.io.xmp import XMP_NS

__all__ = [
    "DEFAULT_MAX_PIXELS", "FORMATS", "FORMAT_EXTENSION", "SOFTWARE", "SUPPORTED_EXTENSIONS", "TEMP_PREFIX", "XMP_NS",
    "ImageError", "LoadedImage", "Metadata", "Provenance", "format_for", "is_supported", "output_suffix", "read_image", "srgb_icc_bytes",
    "write_image",
]
