"""Writing: colourised pixels plus the source's metadata and provenance into a new file (``write_image``).

The data goes to a hidden temp file beside the destination through :mod:`restorer.core.atomic` (the one
writer), so readers never see half a file and a failure leaves nothing behind. Originals are never written.
"""
from __future__ import annotations

import errno
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import ImageCms

from restorer.core.atomic import atomic_path
from restorer.core.io.encoders import ENCODERS, Payload
from restorer.core.io.icc import is_srgb, profile_space, srgb_icc_bytes, srgb_to_profile, usable_icc
from restorer.core.io.image import (
    ALPHA_FORMATS,
    FORMAT_EXTENSION,
    SIXTEEN_BIT_FORMATS,
    ImageError,
    LoadedImage,
    Metadata,
    Provenance,
    fmt_name,
    format_for,
    match_dtype,
    to8,
)
from restorer.core.io.provenance import note_for, output_exif, output_xmp


def write_image(path: str | os.PathLike[str], pixels: np.ndarray, source: LoadedImage | None = None, *,
                model_name: str | None = None, fmt: str | None = None, quality: int = 95,
                overwrite: bool = False, provenance: Provenance | None = None) -> Path:
    """Write ``pixels`` (HxWx3 sRGB uint8/uint16, or float32 in [0, 1]) to ``path`` atomically; return the path.

    Format: ``fmt`` ("jpeg", "png", "tiff", "webp", "bmp") or the extension. 16-bit pixels stay 16-bit in
    PNG/TIFF and are rounded to 8 bits for JPEG/WebP/BMP. From ``source`` it re-attaches the alpha channel
    (PNG/TIFF/WebP only; JPEG and BMP drop it), converts back into the original RGB ICC profile (a gray/CMYK
    profile cannot describe colour, so sRGB is embedded instead), and carries the metadata into every format
    that can hold it (see docs/metadata.md): EXIF (Orientation reset to 1, since the pixels are upright),
    IPTC-IIM (JPEG APP13, TIFF tag 33723, PNG raw profile), XMP (merged, never replaced), DPI, PNG text and
    JPEG comments, with captions and credits mirrored into XMP where a block has no home. Adds provenance:
    Software "Restorer <version>", an ImageDescription when the source had none, and in XMP the IPTC
    digital source type, ``xmpMM:DerivedFrom`` naming the source file and, in
    Restorer's own namespace, the model, colour strength and number of hints of ``provenance``
    (``model_name`` is shorthand for ``Provenance(model=model_name)``). The data goes to a hidden temporary file in the destination folder, is
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
    prov = provenance or Provenance()
    if prov.model is None and model_name:
        prov = replace(prov, model=model_name)
    payload = _prepare(arr, source, out_fmt, prov)
    encoder = ENCODERS[out_fmt]
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
        raise ImageError(f"{dest.name}: cannot write {fmt_name(out_fmt)}: {e}") from None
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


def _prepare(arr: np.ndarray, source: LoadedImage | None, fmt: str, prov: Provenance) -> Payload:
    if arr.dtype == np.uint16 and fmt not in SIXTEEN_BIT_FORMATS:
        arr = to8(arr)
    alpha = None
    if source is not None and source.alpha is not None and fmt in ALPHA_FORMATS \
            and source.alpha.shape == arr.shape[:2]:
        alpha = match_dtype(source.alpha, arr.dtype)
    icc: bytes | None = None
    if source is not None and source.icc:
        ignored = bool(source.info.get("icc_ignored"))
        if not ignored and profile_space(source.icc) == "RGB" and is_srgb(source.icc):
            icc = source.icc  # an sRGB profile: the pixels already match it
        else:
            icc = srgb_icc_bytes()  # gray/CMYK/unusable profiles cannot describe the colour result
            if not ignored and usable_icc(source.icc, "RGB", {"notes": []}):
                try:
                    arr, icc = srgb_to_profile(arr, source.icc), source.icc  # back into the original space
                except ImageCms.PyCMSError:
                    pass  # a profile usable one way only: keep sRGB
    note = note_for(prov)
    exif = output_exif(source, arr.shape[1], arr.shape[0], note)
    xmp = output_xmp(source, prov)
    meta = source.metadata if source is not None else Metadata()
    return Payload(pixels=np.ascontiguousarray(arr), alpha=alpha, icc=icc, exif=exif, xmp=xmp,
                   dpi=meta.dpi, text=dict(meta.png_text), comment=meta.comment, description=note,
                   iptc=meta.iptc)

