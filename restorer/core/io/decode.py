"""Decoding: a JPEG/PNG/TIFF/BMP/WebP/GIF file into an upright sRGB :class:`LoadedImage` (``read_image``).

Decoders: Pillow for 8-bit images (it refuses truncated files when ``LOAD_TRUNCATED_IMAGES`` is left off, which
we never change), tifffile for 16-bit TIFF (Pillow truncates 16-bit RGB to 8 bits), OpenCV for 16-bit PNG and
for 16-bit TIFFs whose compression tifffile cannot decode without the optional ``imagecodecs`` package (LZW).
Every failure the user can cause is raised as :class:`ImageError`, one line naming the file.
"""
from __future__ import annotations

import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import BmpImagePlugin, GifImagePlugin, Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin  # noqa: F401 - registers

from restorer.core.io.icc import gray16_to_srgb, lab_to_srgb_pil, rgb16_to_srgb, to_srgb_pil
from restorer.core.io.image import DEFAULT_MAX_PIXELS, ImageError, LoadedImage, Metadata, fmt_name, to8
from restorer.core.io.metadata import read_metadata, read_tifffile_metadata, tiff_iptc
from restorer.core.io.sniff import check_readable_file, check_size, sniff


def read_image(path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode ``path`` into an upright sRGB :class:`LoadedImage`.

    The format is detected from the content. Images whose header announces more than ``max_pixels`` pixels are
    refused before any pixel data is decoded. Raises :class:`ImageError` (one line, naming the file) for every
    problem with the file; never leaves a file handle open.
    """
    p = Path(path)
    name = p.name or str(p)
    check_readable_file(p, name)
    fmt: str | None = None
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
            fmt = sniff(head, name)
            fh.seek(0)
            img = _decode(fh, fmt, head, p, name, max_pixels)
            if fmt == "TIFF":
                img.metadata.iptc = tiff_iptc(fh)
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
        raise ImageError(f"{name}: truncated or corrupt {fmt_name(fmt)}") from None
    except (SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, zlib.error):
        # What Pillow (the same set Image.open tolerates, plus ValueError/EOFError) and tifffile raise for
        # damaged data.
        raise ImageError(f"{name}: truncated or corrupt {fmt_name(fmt)}") from None
    img.was_color = _has_chroma(img.pixels, img.alpha)
    return img

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
    check_size(name, im.size, max_pixels)
    if fmt == "PNG" and len(head) > 24 and head[24] == 16:
        return _read_png16(fh, im, p, name)
    if fmt == "TIFF" and _tiff_bits(im) > 8:
        return _read_tiff_tifffile(fh, p, name, max_pixels, pil=im)
    return _read_pillow(im, fmt, p, name)

def _tiff_bits(im: Image.Image) -> int:
    bits = getattr(im, "tag_v2", {}).get(258, 8)
    return max(bits) if isinstance(bits, tuple) else int(bits)

def _new_info(meta: Metadata, frames: int = 1) -> dict[str, Any]:
    """The decoder's ``info`` for a source whose metadata is read: orientation and a note per surprise."""
    info: dict[str, Any] = {"notes": [], "orientation": meta.orientation}
    if frames > 1:
        info["notes"].append(f"only the first of {frames} frames/pages is used")
    return info


def _finish(p: Path, fmt: str, pixels: np.ndarray, alpha: np.ndarray | None, bit_depth: int, meta: Metadata,
            info: dict) -> LoadedImage:
    pixels = _orient(pixels, meta.orientation)
    if alpha is not None:
        alpha = _orient(alpha, meta.orientation)
    if meta.orientation in (5, 6, 7, 8) and meta.dpi:
        meta.dpi = meta.dpi[::-1]
    return LoadedImage(pixels=np.ascontiguousarray(pixels),
                       alpha=None if alpha is None else np.ascontiguousarray(alpha),
                       path=p, format=fmt, bit_depth=bit_depth, metadata=meta, info=info)


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
    meta = read_metadata(im, fmt)
    info = _new_info(meta, getattr(im, "n_frames", 1))
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
        im = lab_to_srgb_pil(im)
    elif mode.startswith("I;16") or mode in ("I", "F"):
        return _finish_gray16(im, fmt, p, meta, info)
    alpha = None
    if im.mode in ("LA", "RGBA"):
        alpha = np.array(im.getchannel("A"))
        im = im.convert("L" if im.mode == "LA" else "RGB")
    if im.mode not in ("L", "RGB", "CMYK"):
        raise ImageError(f"{name}: unsupported pixel format ({im.mode})")
    im = to_srgb_pil(im, meta.icc, info)
    pixels = np.array(im.convert("RGB") if im.mode != "RGB" else im)
    return _finish(p, fmt, pixels, alpha, 8, meta, info)


def _finish_gray16(im: Image.Image, fmt: str, p: Path, meta: Metadata, info: dict) -> LoadedImage:
    gray = np.array(im)
    if gray.dtype.kind == "f":
        gray = np.clip(gray, 0.0, 1.0) * 65535.0 + 0.5
    gray = np.clip(gray, 0, 65535).astype(np.uint16)
    pixels = gray16_to_srgb(gray, meta.icc, info)
    return _finish(p, fmt, pixels, None, 16, meta, info)


# ------------------------------------------------------------------------------------------ 16-bit PNG
def _read_png16(fh: BinaryIO, im: Image.Image, p: Path, name: str) -> LoadedImage:
    import cv2

    meta = read_metadata(im, "PNG", header_only=True)
    info = _new_info(meta, getattr(im, "n_frames", 1))
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
        pixels = gray16_to_srgb(pixels, meta.icc, info)
    else:
        pixels = rgb16_to_srgb(pixels, meta.icc, info)
    return _finish(p, "PNG", pixels, alpha, 16, meta, info)


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
        meta = read_metadata(pil, "TIFF")
        info = _new_info(meta, getattr(pil, "n_frames", 1))
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
            meta = read_tifffile_metadata(page)
            info = _new_info(meta)
        if len(tf.pages) > 1 and not any("first of" in n for n in info["notes"]):
            info["notes"].append(f"only the first of {len(tf.pages)} pages is used")
        check_size(name, (page.imagewidth, page.imagelength), max_pixels)
        try:
            arr = page.asarray()
        except ValueError as e:
            if "imagecodecs" not in str(e):
                raise
            arr = None  # compression tifffile cannot decode by itself (LZW, PackBits, JPEG): use OpenCV
        if arr is None:
            return _read_tiff_cv2(fh, p, name, meta, info)
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
        pixels = rgb16_to_srgb(np.ascontiguousarray(pixels), meta.icc, info)
    elif photometric == 5:  # CMYK: colour management through 8-bit Pillow (documented limitation)
        info["notes"].append("16-bit CMYK converted to 8-bit RGB")
        cmyk = Image.fromarray(to8(np.ascontiguousarray(colour)), "CMYK")
        pixels = np.array(to_srgb_pil(cmyk, meta.icc, info).convert("RGB"))
        alpha = None if alpha is None else to8(alpha)
        return _finish(p, "TIFF", pixels, alpha, 8, meta, info)
    elif ncolour == 1:
        pixels = gray16_to_srgb(np.ascontiguousarray(colour[:, :, 0]), meta.icc, info)
    else:
        pixels = rgb16_to_srgb(np.ascontiguousarray(colour), meta.icc, info)
    return _finish(p, "TIFF", pixels, alpha, 16, meta, info)


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


def _read_tiff_cv2(fh: BinaryIO, p: Path, name: str, meta: Metadata, info: dict) -> LoadedImage:
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
    pixels = gray16_to_srgb(pixels, meta.icc, info) if pixels.ndim == 2 else rgb16_to_srgb(pixels, meta.icc, info)
    return _finish(p, "TIFF", pixels, alpha, 16, meta, info)


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

