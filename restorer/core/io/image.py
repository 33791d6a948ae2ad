"""The image types and format names every part of ``restorer.core.io`` shares: no decoding or encoding here."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restorer import __version__

#: What Restorer reads. GIF is read (its first frame) but not written: its outputs are PNG (``output_suffix``).
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp",
                                                  ".gif"})
FORMATS = ("JPEG", "PNG", "TIFF", "BMP", "WEBP")  # what Restorer writes
_EXT_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
               ".bmp": "BMP", ".webp": "WEBP"}
FORMAT_EXTENSION = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "BMP": ".bmp", "WEBP": ".webp"}
ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}

DEFAULT_MAX_PIXELS = 250_000_000
SOFTWARE = f"Restorer {__version__}"
class ImageError(Exception):
    """A user-facing, one-line problem with an image file (``str(e)`` is ready to print)."""

    def __init__(self, message: str) -> None:
        # One line, whatever a library put in the message we wrap.
        super().__init__(" ".join(str(message).split()))


@dataclass
class Metadata:
    """The metadata blocks of a photo as found in its file, ready to be written into another file."""

    orientation: int = 1  # EXIF orientation of the source (1..8); outputs are upright and say 1
    exif: bytes | None = None  # EXIF as found (orientation NOT yet reset; write_image does that)
    icc: bytes | None = None  # the ORIGINAL embedded profile (pixels are already converted to sRGB)
    xmp: bytes | None = None
    dpi: tuple[float, float] | None = None
    png_text: dict[str, str] = field(default_factory=dict)  # PNG tEXt/zTXt/iTXt chunks, keyword -> text
    comment: bytes | None = None  # JPEG COM segment
    iptc: bytes | None = None  # IPTC-IIM datasets (JPEG APP13 resource 0x0404, TIFF tag 33723), byte for byte


@dataclass(frozen=True)
class Provenance:
    """How an output was made, written into its XMP: the model, the colour strength and the number of hints."""

    model: str | None = None
    strength: float | None = None
    hints: int | None = None


@dataclass
class LoadedImage:
    """A decoded photo: upright sRGB pixels plus everything needed to write a faithful copy."""

    pixels: np.ndarray  # HxWx3 uint8 | uint16, sRGB, C-contiguous, EXIF orientation applied
    alpha: np.ndarray | None  # HxW, same dtype as pixels, or None
    path: Path
    format: str  # "JPEG" | "PNG" | "TIFF" | "BMP" | "WEBP" | "GIF" (detected from the content, not the name)
    bit_depth: int  # 8 | 16
    metadata: Metadata = field(default_factory=Metadata)
    #: What decoding did: orientation applied, notes (one line each), icc_converted, icc_ignored.
    info: dict[str, Any] = field(default_factory=dict)
    was_color: bool = False  # the source had real chroma (not an untinted gray scan)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the upright image."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])

    @property
    def exif(self) -> bytes | None:
        return self.metadata.exif

    @property
    def icc(self) -> bytes | None:
        return self.metadata.icc

    @property
    def xmp(self) -> bytes | None:
        return self.metadata.xmp


def is_supported(path: str | os.PathLike[str]) -> bool:
    """True when the file name has an extension Restorer reads and writes (case-insensitive)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def output_suffix(path: str | os.PathLike[str]) -> str:
    """The extension an output of ``path`` gets by default: its own (lower-case) when writable, else ".png"."""
    ext = Path(path).suffix.lower()
    return ext if ext in _EXT_FORMAT else ".png"


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The output format ("JPEG", ...) named by ``fmt`` (e.g. "jpeg", "tif") or else by the path's extension."""
    if fmt:
        key = fmt.strip().lower().lstrip(".")
        key = {"jpg": "jpeg", "tif": "tiff"}.get(key, key)
        if key.upper() in FORMATS:
            return key.upper()
        raise ImageError(f"unknown image format {fmt!r} (use jpeg, png, tiff, webp or bmp)")
    ext = Path(path).suffix.lower()
    if ext in _EXT_FORMAT:
        return _EXT_FORMAT[ext]
    raise ImageError(f"{Path(path).name}: cannot write '{ext or 'no extension'}' files "
                     f"(use {', '.join(sorted(SUPPORTED_EXTENSIONS))})")


def fmt_name(fmt: str | None) -> str:
    """How a format is named in messages ("WebP", "image" when unknown)."""
    return {"WEBP": "WebP", None: "image"}.get(fmt, fmt)  # type: ignore[arg-type]


def to8(a: np.ndarray) -> np.ndarray:
    """uint16 -> uint8 with rounding (65535 / 257 = 255 exactly), without a float copy of a big image."""
    if a.dtype == np.uint8:
        return a
    out = np.empty(a.shape, np.uint8)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    chunk = 1 << 22
    for i in range(0, flat_in.size, chunk):
        flat_out[i:i + chunk] = (flat_in[i:i + chunk].astype(np.uint32) + 128) // 257
    return out


def match_dtype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` (uint8/uint16) at the bit depth of ``dtype``."""
    if a.dtype == dtype:
        return a
    return to8(a) if dtype == np.uint8 else a.astype(np.uint16) * 257

