"""Reading and writing photos: every supported format in, one sRGB working image out, metadata carried over.

``read_image`` turns a JPEG/PNG/TIFF/BMP/WebP file into a :class:`LoadedImage` whose ``pixels`` are upright
(EXIF orientation applied), sRGB (embedded ICC profiles converted), ``HxWx3`` ``uint8`` or ``uint16`` (16-bit
sources stay 16-bit) with any alpha channel kept aside in ``alpha``. ``write_image`` does the reverse: it writes
the colourised pixels atomically, re-attaches alpha where the format can hold it, converts back into the
original RGB colour profile, and copies EXIF/XMP/ICC/DPI/text metadata with provenance added.

Every failure the user can cause (missing, empty, corrupt, truncated, oversized, unwritable...) is raised as
:class:`ImageError`, whose ``str()`` is a single line naming the file. No Qt here.

Decoders: Pillow for 8-bit images (it refuses truncated files when ``LOAD_TRUNCATED_IMAGES`` is left off, which
we never change), tifffile for 16-bit TIFF (Pillow truncates 16-bit RGB to 8 bits), OpenCV for 16-bit PNG and
for 16-bit TIFFs whose compression tifffile cannot decode without the optional ``imagecodecs`` package (LZW).
Encoders: Pillow for JPEG/WebP/BMP, OpenCV + our own metadata chunks for PNG (Pillow cannot write 16-bit RGB
PNG), tifffile for TIFF (8- and 16-bit).
"""
from __future__ import annotations

import errno
import functools
import io
import math
import os
import re
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import BmpImagePlugin, Image, ImageCms, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin  # noqa: F401 - registers

from restorer import __version__
from restorer.core.atomic import TEMP_PREFIX, atomic_path  # noqa: F401 - TEMP_PREFIX is part of this API

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
FORMATS = ("JPEG", "PNG", "TIFF", "BMP", "WEBP")
_EXT_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
               ".bmp": "BMP", ".webp": "WEBP"}
FORMAT_EXTENSION = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "BMP": ".bmp", "WEBP": ".webp"}
_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}
_16BIT_FORMATS = {"PNG", "TIFF"}

DEFAULT_MAX_PIXELS = 250_000_000
SOFTWARE = f"Restorer {__version__}"
# Our own XMP namespace: adding properties here can never clash with (or duplicate) the source's own
# xmp:CreatorTool / dc:description, which a second rdf:Description would otherwise repeat.
XMP_NS = "http://ns.restorer.app/xmp/1.0/"

# EXIF / TIFF tag numbers we touch.
_ORIENTATION, _SOFTWARE, _DESCRIPTION = 0x0112, 0x0131, 0x010E
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_EXIF_WIDTH, _EXIF_HEIGHT = 0xA002, 0xA003
_ICC_TAG, _XMP_TAG = 34675, 700
_EXIF_PLACEHOLDER = _EXIF_IFD - 1  # see _encode_tiff
# IFD0 tags worth carrying from a TIFF into another file's EXIF. A TIFF's IFD0 also holds its pixel layout
# (strip offsets, bit depth, ...) and possibly huge blobs (Photoshop layers), which must not be copied.
_TIFF_DESCRIPTIVE_TAGS = {269, 270, 271, 272, 274, 282, 283, 285, 296, 305, 306, 315, 316, 318, 319, 33432,
                          _EXIF_IFD, _GPS_IFD, 0x4746, 0x4749, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F}
# Tags describing the pixel layout of the file they came from; stale (and misleading) anywhere else.
_STRUCTURAL_TAGS = {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 284, 317, 320, 322, 323,
                    324, 325, 338, 339, 513, 514, 530, 531, 532, _ICC_TAG, _XMP_TAG, 34377, 37724}
# ASCII IFD0 tags that a TIFF output carries as plain tags (the rest of EXIF goes into its Exif sub-IFD).
_TIFF_ASCII_TAGS = (271, 272, 306, 315, 316, 33432)


class ImageError(Exception):
    """A user-facing, one-line problem with an image file (``str(e)`` is ready to print)."""

    def __init__(self, message: str) -> None:
        # One line, whatever a library put in the message we wrap.
        super().__init__(" ".join(str(message).split()))


@dataclass
class LoadedImage:
    """A decoded photo: upright sRGB pixels plus everything needed to write a faithful copy."""

    pixels: np.ndarray  # HxWx3 uint8 | uint16, sRGB, C-contiguous, EXIF orientation applied
    alpha: np.ndarray | None  # HxW, same dtype as pixels, or None
    path: Path
    format: str  # "JPEG" | "PNG" | "TIFF" | "BMP" | "WEBP" (detected from the content, not the name)
    bit_depth: int  # 8 | 16
    exif: bytes | None = None  # EXIF as found (orientation NOT yet reset; write_image does that)
    icc: bytes | None = None  # the ORIGINAL embedded profile (pixels are already converted to sRGB)
    xmp: bytes | None = None
    info: dict[str, Any] = field(default_factory=dict)  # dpi, text, comment, orientation, notes, ...
    was_color: bool = False  # the source had real chroma (not an untinted gray scan)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the upright image."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def is_supported(path: str | os.PathLike[str]) -> bool:
    """True when the file name has an extension Restorer reads and writes (case-insensitive)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


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


# ===================================================================================================== read
def read_image(path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode ``path`` into an upright sRGB :class:`LoadedImage`.

    The format is detected from the content. Images whose header announces more than ``max_pixels`` pixels are
    refused before any pixel data is decoded. Raises :class:`ImageError` (one line, naming the file) for every
    problem with the file; never leaves a file handle open.
    """
    p = Path(path)
    name = p.name or str(p)
    _check_readable_file(p, name)
    fmt: str | None = None
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
            fmt = _sniff(head, name)
            fh.seek(0)
            img = _decode(fh, fmt, head, p, name, max_pixels)
    except ImageError:
        raise
    except Image.DecompressionBombError as e:  # a plugin's own check (e.g. PNG text chunk bombs)
        raise ImageError(f"{name}: refused as a possible decompression bomb ({e})") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to open this image") from None
    except PermissionError:
        raise ImageError(f"{name}: permission denied") from None
    except OSError as e:
        if e.errno is not None:  # a real I/O error (disk, network share), not a decoder complaint
            raise ImageError(f"{name}: cannot read the file ({e.strerror or e})") from None
        raise ImageError(f"{name}: truncated or corrupt {_fmt_name(fmt)}") from None
    except (SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, zlib.error):
        # What Pillow (the same set Image.open tolerates, plus ValueError/EOFError) and tifffile raise for
        # damaged data.
        raise ImageError(f"{name}: truncated or corrupt {_fmt_name(fmt)}") from None
    img.was_color = _has_chroma(img.pixels, img.alpha)
    return img


def _fmt_name(fmt: str | None) -> str:
    return {"WEBP": "WebP", None: "image"}.get(fmt, fmt)  # type: ignore[arg-type]


def _check_readable_file(p: Path, name: str) -> None:
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


def _sniff(head: bytes, name: str) -> str:
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
        raise ImageError(f"{name}: GIF images are not supported (convert it to PNG)")
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


def _decode(fh: BinaryIO, fmt: str, head: bytes, p: Path, name: str, max_pixels: int) -> LoadedImage:
    # Open with the plugin directly rather than Image.open: Image.open applies Pillow's process-wide
    # MAX_IMAGE_PIXELS (warning at 89 MP, error at 179 MP), which would refuse scans our own, per-call
    # max_pixels allows, and changing that global would weaken every other Pillow user in the process.
    # The plugin constructor parses the header only, so the size check below still runs before decoding.
    factory = Image.OPEN[fmt][0]
    try:
        im = factory(fh, str(p))
    except (SyntaxError, OSError, ValueError, struct.error, IndexError, EOFError, TypeError) as e:
        if fmt == "TIFF" and not (isinstance(e, OSError) and e.errno is not None):
            return _read_tiff_tifffile(fh, p, name, max_pixels, pil=None)  # exotic TIFF Pillow cannot parse
        raise
    _check_size(name, im.size, max_pixels)
    if fmt == "PNG" and len(head) > 24 and head[24] == 16:
        return _read_png16(fh, im, p, name)
    if fmt == "TIFF" and _tiff_bits(im) > 8:
        return _read_tiff_tifffile(fh, p, name, max_pixels, pil=im)
    return _read_pillow(im, fmt, p, name)


def _check_size(name: str, size: tuple[int, int], max_pixels: int) -> None:
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


def _tiff_bits(im: Image.Image) -> int:
    bits = getattr(im, "tag_v2", {}).get(258, 8)
    return max(bits) if isinstance(bits, tuple) else int(bits)


# ------------------------------------------------------------------------------------------ metadata
def _common_metadata(im: Image.Image, fmt: str, header_only: bool = False
                     ) -> tuple[int, bytes | None, bytes | None, bytes | None, dict]:
    """(orientation, exif, icc, xmp, info) from a Pillow image whose file is still open.

    ``header_only`` avoids what would make Pillow decode the pixels (its PNG ``getexif()``/``text`` load the
    image to find chunks after the pixel data), for files whose pixels another decoder reads; metadata
    chunks placed after the image data are then not seen.
    """
    info: dict[str, Any] = {"notes": []}
    if header_only:
        exif_obj = Image.Exif()
        if im.info.get("exif"):
            exif_obj.load(im.info["exif"])
    else:
        exif_obj = im.getexif()
    orientation = int(exif_obj.get(_ORIENTATION, 1) or 1)
    if orientation not in range(1, 9):
        orientation = 1
    info["orientation"] = orientation
    exif: bytes | None
    if fmt == "TIFF":
        exif = _exif_from_tiff(exif_obj)
    else:
        raw = im.info.get("exif")
        exif = bytes(raw) if raw else (exif_obj.tobytes() if len(exif_obj) else None)
    icc = im.info.get("icc_profile") or None
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or None
    if fmt == "TIFF" and xmp is None:
        xmp = getattr(im, "tag_v2", {}).get(_XMP_TAG)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    dpi = im.info.get("dpi")
    if dpi and all(float(d) > 0 for d in dpi):
        info["dpi"] = (float(dpi[0]), float(dpi[1]))
    if fmt == "PNG":
        chunks = im.info if header_only else getattr(im, "text", {})
        text = {k: v for k, v in chunks.items() if isinstance(v, str)
                # XMP travels as xmp; ImageMagick's raw EXIF/ICC copies would carry the old orientation.
                and k != "XML:com.adobe.xmp" and not k.startswith("Raw profile type")}
        if text:
            info["text"] = {k: str(v) for k, v in text.items()}
    if im.info.get("comment"):
        info["comment"] = im.info["comment"]
    frames = getattr(im, "n_frames", 1)
    if frames > 1:
        info["notes"].append(f"only the first of {frames} frames/pages is used")
    return orientation, exif, (bytes(icc) if icc else None), (bytes(xmp) if xmp else None), info


def _exif_from_tiff(exif_obj: Image.Exif) -> bytes | None:
    """EXIF made of a TIFF's descriptive IFD0 tags and its Exif/GPS sub-IFDs (not its pixel layout)."""
    out = Image.Exif()
    for tag in list(exif_obj.keys()):
        if tag not in _TIFF_DESCRIPTIVE_TAGS:
            continue
        if tag in (_EXIF_IFD, _GPS_IFD):
            sub = exif_obj.get_ifd(tag)
            if sub:
                out.get_ifd(tag).update(sub)
        else:
            out[tag] = exif_obj[tag]
    return out.tobytes() if len(out) or out._ifds else None  # noqa: SLF001 - Exif keeps sub-IFDs there


def _finish(p: Path, fmt: str, pixels: np.ndarray, alpha: np.ndarray | None, orientation: int, bit_depth: int,
            exif: bytes | None, icc: bytes | None, xmp: bytes | None, info: dict) -> LoadedImage:
    pixels = _orient(pixels, orientation)
    if alpha is not None:
        alpha = _orient(alpha, orientation)
    if orientation in (5, 6, 7, 8) and "dpi" in info:
        info["dpi"] = info["dpi"][::-1]
    return LoadedImage(pixels=np.ascontiguousarray(pixels),
                       alpha=None if alpha is None else np.ascontiguousarray(alpha),
                       path=p, format=fmt, bit_depth=bit_depth, exif=exif, icc=icc, xmp=xmp, info=info)


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) so the array is upright, as viewers display it."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, k=-1)  # stored rotated 90 degrees counter-clockwise
    if orientation == 7:
        return a.swapaxes(0, 1)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(a, k=1)
    return a


# --------------------------------------------------------------------------------------- 8-bit (Pillow)
def _read_pillow(im: Image.Image, fmt: str, p: Path, name: str) -> LoadedImage:
    im.load()  # inside read_image's try: truncated data raises here (LOAD_TRUNCATED_IMAGES stays off)
    orientation, exif, icc, xmp, info = _common_metadata(im, fmt)
    mode = im.mode
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if (mode == "PA" or "transparency" in im.info) else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("L", "RGB") and "transparency" in im.info:  # tRNS colour key
        im = im.convert("LA" if mode == "L" else "RGBA")
    elif mode in ("La", "RGBa"):  # premultiplied alpha -> straight alpha
        im = im.convert("LA" if mode == "La" else "RGBA")
    elif mode in ("RGBX", "YCbCr"):
        im = im.convert("RGB")
    elif mode == "LAB":
        # CIELab is device-independent: convert it to sRGB directly (any embedded profile is informational).
        lab = ImageCms.buildTransform(ImageCms.createProfile("LAB"), _srgb_profile(), "LAB", "RGB")
        im = ImageCms.applyTransform(im, lab)
    elif mode.startswith("I;16") or mode in ("I", "F"):
        return _finish_gray16(im, fmt, p, orientation, exif, icc, xmp, info)
    alpha = None
    if im.mode in ("LA", "RGBA"):
        alpha = np.array(im.getchannel("A"))
        im = im.convert("L" if im.mode == "LA" else "RGB")
    if im.mode not in ("L", "RGB", "CMYK"):
        raise ImageError(f"{name}: unsupported pixel format ({im.mode})")
    im = _to_srgb_pil(im, icc, info)
    pixels = np.array(im.convert("RGB") if im.mode != "RGB" else im)
    return _finish(p, fmt, pixels, alpha, orientation, 8, exif, icc, xmp, info)


def _finish_gray16(im: Image.Image, fmt: str, p: Path, orientation: int, exif, icc, xmp, info) -> LoadedImage:
    gray = np.array(im)
    if gray.dtype.kind == "f":
        gray = np.clip(gray, 0.0, 1.0) * 65535.0 + 0.5
    gray = np.clip(gray, 0, 65535).astype(np.uint16)
    pixels = _gray16_to_srgb(gray, icc, info)
    return _finish(p, fmt, pixels, None, orientation, 16, exif, icc, xmp, info)


# ------------------------------------------------------------------------------------------ 16-bit PNG
def _read_png16(fh: BinaryIO, im: Image.Image, p: Path, name: str) -> LoadedImage:
    import cv2

    orientation, exif, icc, xmp, info = _common_metadata(im, "PNG", header_only=True)
    fh.seek(0)
    data = fh.read()
    # libpng prints its complaints to stderr and OpenCV just returns None; walking the chunk list first
    # catches the common case (a cut-off file) quietly and with a clear message.
    if not _png_chunks_complete(data):
        raise ImageError(f"{name}: truncated or corrupt PNG")
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    del data
    if arr is None:
        raise ImageError(f"{name}: truncated or corrupt PNG")
    pixels, alpha = _split_cv2(arr)
    if pixels.dtype != np.uint16:  # cannot happen for a 16-bit IHDR, but never hand out a surprise dtype
        pixels = pixels.astype(np.uint16) * 257
        alpha = None if alpha is None else alpha.astype(np.uint16) * 257
    if pixels.ndim == 2:
        pixels = _gray16_to_srgb(pixels, icc, info)
    else:
        pixels = _rgb16_to_srgb(pixels, icc, info)
    return _finish(p, "PNG", pixels, alpha, orientation, 16, exif, icc, xmp, info)


def _png_chunks_complete(data: bytes) -> bool:
    pos = 8
    while pos + 12 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        pos += 12 + length
        if ctype == b"IEND":
            return pos <= len(data)
    return False


def _split_cv2(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """OpenCV's BGR(A)/gray array -> (RGB or gray pixels, alpha or None)."""
    if arr.ndim == 2:
        return arr, None
    if arr.shape[2] == 1:
        return arr[:, :, 0], None
    if arr.shape[2] == 2:  # gray + alpha
        return arr[:, :, 0].copy(), arr[:, :, 1].copy()
    rgb = np.ascontiguousarray(arr[:, :, 2::-1])
    return rgb, (np.ascontiguousarray(arr[:, :, 3]) if arr.shape[2] >= 4 else None)


# ----------------------------------------------------------------------------------------- 16-bit TIFF
def _read_tiff_tifffile(fh: BinaryIO, p: Path, name: str, max_pixels: int, pil: Image.Image | None) -> LoadedImage:
    import tifffile

    if pil is not None:
        orientation, exif, icc, xmp, info = _common_metadata(pil, "TIFF")
    fh.seek(0)
    try:
        tf = tifffile.TiffFile(fh)
    except (tifffile.TiffFileError, ValueError, struct.error, IndexError) as e:
        raise ImageError(f"{name}: truncated or corrupt TIFF ({e})") from None
    with tf:
        if not tf.pages:
            raise ImageError(f"{name}: TIFF without images")
        page = tf.pages[0]
        if pil is None:
            orientation, exif, icc, xmp, info = _tiff_metadata_tifffile(page)
        if len(tf.pages) > 1 and not any("first of" in n for n in info["notes"]):
            info["notes"].append(f"only the first of {len(tf.pages)} pages is used")
        _check_size(name, (page.imagewidth, page.imagelength), max_pixels)
        try:
            arr = page.asarray()
        except ValueError as e:
            if "imagecodecs" not in str(e):
                raise
            arr = None  # compression tifffile cannot decode by itself (LZW, PackBits, JPEG): use OpenCV
        if arr is None:
            return _read_tiff_cv2(fh, p, name, orientation, exif, icc, xmp, info)
        photometric = int(page.photometric)
        extrasamples = tuple(int(x) for x in (page.extrasamples or ()))
        if page.axes.startswith("S") and arr.ndim == 3:  # planar (RRR..GGG..BBB) storage
            arr = np.moveaxis(arr, 0, -1)
        bits = int(page.bitspersample)
        colormap = page.colormap
        sampleformat = int(page.sampleformat)
    arr = _tiff_samples_to_uint16(arr, bits, sampleformat, name)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    alpha = None
    ncolour = {0: 1, 1: 1, 2: 3, 3: 1, 5: 4}.get(photometric)
    if ncolour is None:
        kind = {6: "YCbCr", 8: "CIELab", 9: "ICCLab", 10: "ITULab", 32844: "LogL", 32845: "LogLuv"}
        raise ImageError(f"{name}: unsupported TIFF colour model ({kind.get(photometric, photometric)})")
    if extrasamples and arr.shape[2] > ncolour and extrasamples[0] in (1, 2):
        alpha = np.ascontiguousarray(arr[:, :, ncolour])
        if extrasamples[0] == 1:  # associated (premultiplied) alpha -> straight alpha
            arr = _unpremultiply(arr[:, :, :ncolour], alpha)
    colour = arr[:, :, :ncolour]
    if photometric == 0:  # MINISWHITE: 0 is white
        colour = 65535 - colour
    if photometric == 3:
        if colormap is None:
            raise ImageError(f"{name}: palette TIFF without a colour map")
        cmap = np.asarray(colormap, dtype=np.uint16)  # 3 x 2**bits
        pixels = cmap[:, colour[:, :, 0].astype(np.intp)].transpose(1, 2, 0)
        pixels = _rgb16_to_srgb(np.ascontiguousarray(pixels), icc, info)
    elif photometric == 5:  # CMYK: colour management through 8-bit Pillow (documented limitation)
        info["notes"].append("16-bit CMYK converted to 8-bit RGB")
        cmyk = Image.fromarray(_to8(np.ascontiguousarray(colour)), "CMYK")
        pixels = np.array(_to_srgb_pil(cmyk, icc, info).convert("RGB"))
        alpha = None if alpha is None else _to8(alpha)
        return _finish(p, "TIFF", pixels, alpha, orientation, 8, exif, icc, xmp, info)
    elif ncolour == 1:
        pixels = _gray16_to_srgb(np.ascontiguousarray(colour[:, :, 0]), icc, info)
    else:
        pixels = _rgb16_to_srgb(np.ascontiguousarray(colour), icc, info)
    return _finish(p, "TIFF", pixels, alpha, orientation, 16, exif, icc, xmp, info)


def _tiff_samples_to_uint16(arr: np.ndarray, bits: int, sampleformat: int, name: str) -> np.ndarray:
    if arr.dtype == np.uint16:
        if 8 < bits < 16:  # e.g. 12-bit scanner data: stretch to the full 16-bit range
            scale = 65535.0 / (2 ** bits - 1)
            return np.clip(arr.astype(np.float32) * scale + 0.5, 0, 65535).astype(np.uint16)
        return arr
    if arr.dtype == np.uint8:
        return arr.astype(np.uint16) * 257
    if arr.dtype.kind == "f":  # float scans: treat [0, 1] as the range
        return (np.clip(np.nan_to_num(arr, nan=0.0), 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    if arr.dtype == np.uint32:
        return (arr >> 16).astype(np.uint16)
    raise ImageError(f"{name}: unsupported TIFF sample format ({arr.dtype}, sampleformat {sampleformat})")


def _unpremultiply(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = np.maximum(alpha.astype(np.float32), 1.0)[:, :, None]
    return np.clip(colour.astype(np.float32) * 65535.0 / a + 0.5, 0, 65535).astype(np.uint16)


def _read_tiff_cv2(fh: BinaryIO, p: Path, name: str, orientation: int, exif, icc, xmp, info) -> LoadedImage:
    import cv2

    fh.seek(0)
    arr = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ImageError(f"{name}: truncated or corrupt TIFF (or a compression OpenCV cannot decode)")
    pixels, alpha = _split_cv2(arr)
    if pixels.dtype == np.uint8:
        pixels, alpha = pixels.astype(np.uint16) * 257, (None if alpha is None else alpha.astype(np.uint16) * 257)
    elif pixels.dtype != np.uint16:
        pixels = _tiff_samples_to_uint16(pixels, 16, 0, name)
        alpha = None if alpha is None else _tiff_samples_to_uint16(alpha, 16, 0, name)
    pixels = _gray16_to_srgb(pixels, icc, info) if pixels.ndim == 2 else _rgb16_to_srgb(pixels, icc, info)
    return _finish(p, "TIFF", pixels, alpha, orientation, 16, exif, icc, xmp, info)


def _tiff_metadata_tifffile(page) -> tuple[int, bytes | None, bytes | None, bytes | None, dict]:
    """Metadata for TIFFs Pillow cannot even open: only plain tags (no Exif sub-IFD)."""
    tags = page.tags
    info: dict[str, Any] = {"notes": []}

    def value(code: int):
        t = tags.get(code)
        return None if t is None else t.value

    orientation = int(value(274) or 1)
    orientation = orientation if orientation in range(1, 9) else 1
    info["orientation"] = orientation
    exif = Image.Exif()
    for code in (270, 305, *_TIFF_ASCII_TAGS):
        v = value(code)
        if isinstance(v, str) and v:
            exif[code] = v
    x, y = value(282), value(283)
    if isinstance(x, tuple) and isinstance(y, tuple) and x[1] and y[1]:
        unit = int(value(296) or 2)
        factor = 2.54 if unit == 3 else 1.0
        info["dpi"] = (x[0] / x[1] * factor, y[0] / y[1] * factor)
    icc = value(_ICC_TAG)
    xmp = value(_XMP_TAG)
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return (orientation, exif.tobytes() if len(exif) else None, bytes(icc) if icc else None,
            bytes(xmp) if xmp else None, info)


# ----------------------------------------------------------------------------------- colour management
@functools.lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    """An sRGB ICC profile (LittleCMS's built-in), embedded when the original profile cannot be reused."""
    return _srgb_profile().tobytes()


@functools.lru_cache(maxsize=16)
def _profile(icc: bytes) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


def _profile_space(icc: bytes | None) -> str | None:
    """"RGB", "GRAY", "CMYK", ... of an ICC profile; None when there is none or it is unreadable."""
    prof = _profile(icc) if icc else None
    if prof is None:
        return None
    return prof.profile.xcolor_space.strip().upper()


def _is_srgb(icc: bytes) -> bool:
    prof = _profile(icc)
    if prof is None:
        return True
    try:
        desc = ImageCms.getProfileDescription(prof) or ""
    except ImageCms.PyCMSError:
        desc = ""
    # sRGB-named profiles (IEC 61966-2.1, "sRGB built-in", ...) are sRGB to within rounding: skip the work.
    return "srgb" in desc.lower()


@functools.lru_cache(maxsize=16)
def _transform_cached(src: bytes, dst: bytes, in_mode: str, out_mode: str) -> ImageCms.ImageCmsTransform:
    s = _srgb_profile() if src == b"sRGB" else _profile(src)
    d = _srgb_profile() if dst == b"sRGB" else _profile(dst)
    return ImageCms.buildTransform(s, d, in_mode, out_mode)


def _usable_icc(icc: bytes | None, space: str, info: dict) -> bool:
    """Whether ``icc`` should drive a conversion of pixels in ``space`` ("RGB"/"GRAY"/"CMYK")."""
    if not icc:
        return False
    got = _profile_space(icc)
    if got is None:
        info["notes"].append("ignored an unreadable ICC profile")
        info["icc_ignored"] = True
        return False
    if got != space:
        info["notes"].append(f"ignored a {got} ICC profile on {space} pixels")
        info["icc_ignored"] = True
        return False
    return not (space == "RGB" and _is_srgb(icc))


def _to_srgb_pil(im: Image.Image, icc: bytes | None, info: dict) -> Image.Image:
    """An 8-bit L/RGB/CMYK Pillow image -> sRGB RGB (or untouched L when it has no profile)."""
    space = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}[im.mode]
    if _usable_icc(icc, space, info):
        try:
            out = ImageCms.applyTransform(im, _transform_cached(icc, b"sRGB", im.mode, "RGB"))
            info["icc_converted"] = True
            return out
        except ImageCms.PyCMSError as e:
            info["notes"].append(f"ICC conversion failed ({e}); colours used as they are")
    return im.convert("RGB") if im.mode == "CMYK" else im


def _gray16_to_srgb(gray: np.ndarray, icc: bytes | None, info: dict) -> np.ndarray:
    if _usable_icc(icc, "GRAY", info):
        try:
            out = _apply_lut16(gray[:, :, None], _lut(icc, b"sRGB", "L"))
            info["icc_converted"] = True
            return out
        except ImageCms.PyCMSError as e:
            info["notes"].append(f"ICC conversion failed ({e}); gray levels used as they are")
    return np.repeat(gray[:, :, None], 3, axis=2)


def _rgb16_to_srgb(rgb: np.ndarray, icc: bytes | None, info: dict) -> np.ndarray:
    if _usable_icc(icc, "RGB", info):
        try:
            out = _apply_lut16(rgb, _lut(icc, b"sRGB", "RGB"))
            info["icc_converted"] = True
            return out
        except ImageCms.PyCMSError as e:
            info["notes"].append(f"ICC conversion failed ({e}); colours used as they are")
    return rgb


# Pillow's colour engine only works on 8-bit modes, so 16-bit images go through a lookup table sampled with it
# (every 5th 8-bit level: 52 nodes per axis) and interpolated (trilinear for RGB, linear for gray). The
# interpolation keeps 16-bit gradients smooth; in-gamut colours are accurate to about one 8-bit level. Where
# the conversion clips (colours outside the target gamut) the interpolation can be off by a few levels.
_LUT_STEP = 5
_LUT_N = 255 // _LUT_STEP + 1


@functools.lru_cache(maxsize=8)
def _lut(src: bytes, dst: bytes, in_mode: str) -> np.ndarray:
    nodes = np.arange(_LUT_N, dtype=np.uint8) * _LUT_STEP
    if in_mode == "L":
        grid = nodes[None, :]
    else:
        r, g, b = np.meshgrid(nodes, nodes, nodes, indexing="ij")
        grid = np.stack([r, g, b], axis=-1).reshape(1, -1, 3)
    im = Image.fromarray(np.ascontiguousarray(grid), in_mode)
    out = np.asarray(ImageCms.applyTransform(im, _transform_cached(src, dst, in_mode, "RGB")), dtype=np.float32)
    shape = (_LUT_N, 3) if in_mode == "L" else (_LUT_N, _LUT_N, _LUT_N, 3)
    return out.reshape(shape) * 257.0  # to the 16-bit scale


def _apply_lut16(a: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Interpolate a 1D (gray) or 3D (RGB) LUT over a 16-bit HxWxC image, in row chunks to bound memory."""
    h, w, _ = a.shape
    rows_per_chunk = max(1, (1 << 20) // w)  # ~1 MP per chunk: a few tens of MB of float temporaries
    out = np.empty((h, w, 3), np.uint16)
    scale = (_LUT_N - 1) / 65535.0
    for y0 in range(0, h, rows_per_chunk):
        x = a[y0:y0 + rows_per_chunk].astype(np.float32) * scale
        i = np.minimum(x.astype(np.intp), _LUT_N - 2)
        f = x - i
        if lut.ndim == 2:  # gray -> RGB
            res = lut[i[..., 0]] * (1 - f) + lut[i[..., 0] + 1] * f
        else:
            res = np.zeros(x.shape[:2] + (3,), np.float32)
            for dr in (0, 1):
                wr = f[..., 0:1] if dr else 1 - f[..., 0:1]
                for dg in (0, 1):
                    wg = f[..., 1:2] if dg else 1 - f[..., 1:2]
                    for db in (0, 1):
                        wb = f[..., 2:3] if db else 1 - f[..., 2:3]
                        res += lut[i[..., 0] + dr, i[..., 1] + dg, i[..., 2] + db] * (wr * wg * wb)
        out[y0:y0 + rows_per_chunk] = np.clip(res + 0.5, 0, 65535).astype(np.uint16)
    return out


def _has_chroma(pixels: np.ndarray, alpha: np.ndarray | None, threshold: float = 3.0) -> bool:
    """Mean Lab chroma of a <=256 px copy above ``threshold``: an untinted gray scan is False."""
    from restorer.core.color import rgb_to_lab

    step = max(1, math.ceil(max(pixels.shape[:2]) / 256))
    small = pixels[::step, ::step].astype(np.float32) / (65535.0 if pixels.dtype == np.uint16 else 255.0)
    lab = rgb_to_lab(small)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    if alpha is not None:  # fully transparent pixels often hold arbitrary colours
        visible = alpha[::step, ::step] > 0
        if not visible.any():
            return False
        chroma = chroma[visible]
    return bool(chroma.mean() > threshold)


# ==================================================================================================== write
def write_image(path: str | os.PathLike[str], pixels: np.ndarray, source: LoadedImage | None = None, *,
                model_name: str | None = None, fmt: str | None = None, quality: int = 95,
                overwrite: bool = False) -> Path:
    """Write ``pixels`` (HxWx3 sRGB uint8/uint16, or float32 in [0, 1]) to ``path`` atomically; return the path.

    Format: ``fmt`` ("jpeg", "png", "tiff", "webp", "bmp") or the extension. 16-bit pixels stay 16-bit in
    PNG/TIFF and are rounded to 8 bits for JPEG/WebP/BMP. From ``source`` it re-attaches the alpha channel
    (PNG/TIFF/WebP only; JPEG and BMP drop it), converts back into the original RGB ICC profile (a gray/CMYK
    profile cannot describe colour, so sRGB is embedded instead), and copies EXIF (Orientation reset to 1,
    since the pixels are upright), XMP, DPI, PNG text and JPEG comments. Adds provenance: EXIF/TIFF/PNG
    Software "Restorer <version>", an ImageDescription when the source had none, and XMP properties in
    Restorer's own namespace. The data goes to a hidden temporary file in the destination folder, is
    fsynced and then renamed over ``path``, so readers never see a half-written file and a failure leaves
    nothing behind. Never writes onto ``source.path``; refuses an existing ``path`` unless ``overwrite``.
    Raises :class:`ImageError` for user-facing problems and ``ValueError`` for malformed ``pixels``.
    """
    dest = Path(path)
    out_fmt = format_for(dest, fmt)
    if source is not None and _same_path(dest, source.path):
        raise ImageError(f"{dest.name}: refusing to overwrite the original photo")
    if not overwrite and os.path.lexists(dest):
        raise ImageError(f"{dest.name}: already exists (use --overwrite to replace it)")
    arr = _check_pixels(pixels, source)
    payload = _prepare(arr, source, out_fmt, model_name)
    encoder = _ENCODERS[out_fmt]
    folder = dest.parent if str(dest.parent) else Path(".")
    _make_folder(folder)
    try:
        with atomic_path(dest, overwrite=overwrite, suffix=dest.suffix or FORMAT_EXTENSION[out_fmt]) as tmp, \
                open(tmp, "w+b") as f:  # read as well: the TIFF encoder patches offsets it wrote
            encoder(f, payload, quality)
    except FileExistsError:
        raise ImageError(f"{dest.name}: already exists (use --overwrite to replace it)") from None
    except PermissionError:
        raise ImageError(f"cannot write to {folder}: permission denied") from None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise ImageError(f"{dest.name}: cannot write: no space left on device") from None
        raise ImageError(f"{dest.name}: cannot write: {e.strerror or e}") from None
    except ImageError:
        raise
    except Exception as e:
        raise ImageError(f"{dest.name}: cannot write {_fmt_name(out_fmt)}: {e}") from None
    return dest


def _same_path(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)  # also catches hard links and differently spelled paths
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _check_pixels(pixels: np.ndarray, source: LoadedImage | None) -> np.ndarray:
    arr = np.asarray(pixels)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"pixels must be HxWx3, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if source is not None and source.bit_depth == 16:
            return (np.clip(arr, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
        return (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if arr.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"pixels must be uint8, uint16 or float32, got {arr.dtype}")
    return arr


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        raise ImageError(f"cannot write to {folder}: permission denied") from None
    except (FileExistsError, NotADirectoryError):
        raise ImageError(f"cannot write to {folder}: not a folder") from None
    except OSError as e:
        raise ImageError(f"cannot write to {folder}: {e.strerror or e}") from None


# ------------------------------------------------------------------------------------- prepared payload
@dataclass
class _Payload:
    pixels: np.ndarray  # HxWx3, dtype the format can hold
    alpha: np.ndarray | None  # HxW, same dtype
    icc: bytes | None
    exif: Image.Exif
    xmp: bytes | None
    dpi: tuple[float, float] | None
    text: dict[str, str]
    comment: bytes | None
    description: str  # provenance note


def _prepare(arr: np.ndarray, source: LoadedImage | None, fmt: str, model_name: str | None) -> _Payload:
    if arr.dtype == np.uint16 and fmt not in _16BIT_FORMATS:
        arr = _to8(arr)
    alpha = None
    if source is not None and source.alpha is not None and fmt in _ALPHA_FORMATS \
            and source.alpha.shape == arr.shape[:2]:
        alpha = _match_dtype(source.alpha, arr.dtype)
    icc: bytes | None = None
    if source is not None and source.icc:
        ignored = bool(source.info.get("icc_ignored"))
        if not ignored and _profile_space(source.icc) == "RGB" and _is_srgb(source.icc):
            icc = source.icc  # an sRGB profile: the pixels already match it
        else:
            icc = srgb_icc_bytes()  # gray/CMYK/unusable profiles cannot describe the colour result
            if not ignored and _usable_icc(source.icc, "RGB", {"notes": []}):
                try:
                    arr, icc = _srgb_to_profile(arr, source.icc), source.icc  # back into the original space
                except ImageCms.PyCMSError:
                    pass  # a profile usable one way only: keep sRGB
    note = f"colourised by {SOFTWARE}" + (f" with model {model_name}" if model_name else "")
    exif = _output_exif(source, arr.shape[1], arr.shape[0], note)
    xmp = _output_xmp(source.xmp if source is not None else None, note, model_name)
    info = source.info if source is not None else {}
    return _Payload(pixels=np.ascontiguousarray(arr), alpha=alpha, icc=icc, exif=exif, xmp=xmp,
                    dpi=info.get("dpi"), text=dict(info.get("text") or {}), comment=info.get("comment"),
                    description=note)


def _to8(a: np.ndarray) -> np.ndarray:
    """uint16 -> uint8 with rounding (65535 / 257 = 255 exactly), without a float copy of a big image."""
    if a.dtype == np.uint8:
        return a
    out = np.empty(a.shape, np.uint8)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    chunk = 1 << 22
    for i in range(0, flat_in.size, chunk):
        flat_out[i:i + chunk] = (flat_in[i:i + chunk].astype(np.uint32) + 128) // 257
    return out


def _match_dtype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if a.dtype == dtype:
        return a
    return _to8(a) if dtype == np.uint8 else a.astype(np.uint16) * 257


def _srgb_to_profile(arr: np.ndarray, icc: bytes) -> np.ndarray:
    if arr.dtype == np.uint16:
        return _apply_lut16(arr, _lut(b"sRGB", icc, "RGB"))
    im = Image.fromarray(arr, "RGB")
    return np.asarray(ImageCms.applyTransform(im, _transform_cached(b"sRGB", icc, "RGB", "RGB")))


def _output_exif(source: LoadedImage | None, width: int, height: int, note: str) -> Image.Exif:
    exif = Image.Exif()
    if source is not None and source.exif:
        try:
            exif.load(source.exif)
            for tag in (_EXIF_IFD, _GPS_IFD):  # materialise sub-IFDs while the source bytes are loaded
                if tag in exif:
                    exif.get_ifd(tag)
        except (SyntaxError, ValueError, struct.error, OSError, TypeError, IndexError, KeyError):
            exif = Image.Exif()  # unreadable EXIF is dropped rather than copied half-broken
    for tag in _STRUCTURAL_TAGS:
        exif.pop(tag, None)
    exif[_ORIENTATION] = 1  # the pixels are already upright
    exif[_SOFTWARE] = SOFTWARE
    old = exif.get(_DESCRIPTION)
    # Keep the photo's own caption; provenance then lives in Software + XMP. An earlier Restorer note is
    # replaced so re-colourising does not stack notes.
    if not old or (isinstance(old, str) and old.lower().startswith("colourised by restorer")):
        caption = note[0].upper() + note[1:]
        exif[_DESCRIPTION] = caption if caption.isascii() else caption.encode("utf-8")
    if _EXIF_IFD in exif or exif._ifds.get(_EXIF_IFD):  # noqa: SLF001
        sub = exif.get_ifd(_EXIF_IFD)
        if _EXIF_WIDTH in sub or _EXIF_HEIGHT in sub:
            sub[_EXIF_WIDTH], sub[_EXIF_HEIGHT] = width, height
    # Pillow reads EXIF strings as Latin-1 but writes them as ASCII with "?" for anything else, which would
    # turn a UTF-8 caption ("Großmutter") into "Gro??mutter". Bytes are written untouched, so non-ASCII
    # IFD0 strings go back as their original bytes (Latin-1 round trip), ours as UTF-8. (In sub-IFDs Pillow
    # would store bytes with a BYTE type, so rare non-ASCII strings there keep Pillow's behaviour.)
    for tag in list(exif.keys()):
        value = exif[tag]
        if isinstance(value, str) and not value.isascii():
            exif[tag] = _raw_string(value)
    return exif


def _raw_string(value: str | bytes) -> bytes:
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


def _output_xmp(xmp: bytes | None, note: str, model_name: str | None) -> bytes | None:
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


# ------------------------------------------------------------------------------------------- encoders
def _exif_bytes(p: _Payload, limit: int | None = None) -> bytes:
    data = p.exif.tobytes()
    if limit is not None and len(data) > limit:
        # JPEG APP1 holds 64 KB; maker notes are the usual bulk (and their internal offsets break anyway).
        p.exif.get_ifd(_EXIF_IFD).pop(0x927C, None)
        data = p.exif.tobytes()
        if len(data) > limit:
            data = b""
    return data


def _encode_jpeg(fh: BinaryIO, p: _Payload, quality: int) -> None:
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
    Image.fromarray(p.pixels, "RGB").save(fh, format="JPEG", **kwargs)


def _encode_webp(fh: BinaryIO, p: _Payload, quality: int) -> None:
    im = Image.fromarray(p.pixels, "RGB")
    if p.alpha is not None:
        im.putalpha(Image.fromarray(p.alpha, "L"))
    kwargs: dict[str, Any] = {"quality": int(quality), "exif": _exif_bytes(p)}
    if p.icc:
        kwargs["icc_profile"] = p.icc
    if p.xmp:
        kwargs["xmp"] = p.xmp
    im.save(fh, format="WEBP", **kwargs)


def _encode_bmp(fh: BinaryIO, p: _Payload, quality: int) -> None:
    # BMP carries no EXIF/ICC/XMP; only the resolution survives.
    kwargs: dict[str, Any] = {"dpi": tuple(int(round(d)) for d in p.dpi)} if p.dpi else {}
    Image.fromarray(p.pixels, "RGB").save(fh, format="BMP", **kwargs)


def _encode_png(fh: BinaryIO, p: _Payload, quality: int) -> None:
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


def _encode_tiff(fh: BinaryIO, p: _Payload, quality: int) -> None:
    import tifffile

    data = p.pixels if p.alpha is None else np.dstack([p.pixels, p.alpha])
    base = {k: v for k, v in p.exif.items()}
    extratags: list[tuple] = [(_ORIENTATION, "H", 1, 1, True)]  # explicit: the pixels are upright
    for code in _TIFF_ASCII_TAGS:
        v = base.get(code)
        if isinstance(v, (str, bytes)) and v:
            # tifffile refuses non-ASCII str; bytes are written as they are.
            extratags.append((code, "s", 0, _raw_string(v), True))
    if p.xmp:
        extratags.append((_XMP_TAG, "B", len(p.xmp), p.xmp, True))
    sub = dict(p.exif.get_ifd(_EXIF_IFD)) if (_EXIF_IFD in p.exif or p.exif._ifds.get(_EXIF_IFD)) else {}  # noqa: SLF001
    if sub:
        # tifffile neither writes Exif sub-IFDs nor accepts tag 34665 as an extra tag: we write a placeholder
        # LONG under the neighbouring (unassigned) code, so it sorts where 34665 belongs, and patch it below.
        extratags.append((_EXIF_PLACEHOLDER, "I", 1, 0, True))
    description = base.get(_DESCRIPTION)
    description = _raw_string(description if isinstance(description, (str, bytes)) and description
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
        tag = tf.pages[0].tags.get(_EXIF_PLACEHOLDER)
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
    fh.write(struct.pack(order + "H", _EXIF_IFD))  # the placeholder becomes the real ExifIFD pointer
    fh.seek(valueoffset)
    fh.write(struct.pack(order + "I", offset - start))
    fh.seek(0, os.SEEK_END)


_ENCODERS: dict[str, Callable[[BinaryIO, _Payload, int], None]] = {
    "JPEG": _encode_jpeg, "PNG": _encode_png, "TIFF": _encode_tiff, "WEBP": _encode_webp, "BMP": _encode_bmp,
}
