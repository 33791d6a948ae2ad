"""Colour management: embedded ICC profiles into sRGB on the way in and back into the original profile on the way out.

Pillow's LittleCMS binding does the maths; it only works on 8-bit modes, so 16-bit pixels go through sampled
lookup tables. A profile that cannot describe the pixels (unreadable, or a CMYK profile on RGB data) is
ignored with a note in ``info["notes"]`` rather than applied wrongly.
"""
from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageCms


@functools.lru_cache(maxsize=1)
def srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    """An sRGB ICC profile (LittleCMS's built-in), embedded when the original profile cannot be reused."""
    return srgb_profile().tobytes()


@functools.lru_cache(maxsize=16)
def _profile(icc: bytes) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


def profile_space(icc: bytes | None) -> str | None:
    """"RGB", "GRAY", "CMYK", ... of an ICC profile; None when there is none or it is unreadable."""
    prof = _profile(icc) if icc else None
    if prof is None:
        return None
    return prof.profile.xcolor_space.strip().upper()


def is_srgb(icc: bytes) -> bool:
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
    s = srgb_profile() if src == b"sRGB" else _profile(src)
    d = srgb_profile() if dst == b"sRGB" else _profile(dst)
    return ImageCms.buildTransform(s, d, in_mode, out_mode)


def usable_icc(icc: bytes | None, space: str, info: dict) -> bool:
    """Whether ``icc`` should drive a conversion of pixels in ``space`` ("RGB"/"GRAY"/"CMYK")."""
    if not icc:
        return False
    got = profile_space(icc)
    if got is None:
        info["notes"].append("ignored an unreadable ICC profile")
        info["icc_ignored"] = True
        return False
    if got != space:
        info["notes"].append(f"ignored a {got} ICC profile on {space} pixels")
        info["icc_ignored"] = True
        return False
    return not (space == "RGB" and is_srgb(icc))


def to_srgb_pil(im: Image.Image, icc: bytes | None, info: dict) -> Image.Image:
    """An 8-bit L/RGB/CMYK Pillow image -> sRGB RGB (or untouched L when it has no profile)."""
    space = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}[im.mode]
    if usable_icc(icc, space, info):
        try:
            out = ImageCms.applyTransform(im, _transform_cached(icc, b"sRGB", im.mode, "RGB"))
            info["icc_converted"] = True
            return out
        except ImageCms.PyCMSError as e:
            info["notes"].append(f"ICC conversion failed ({e}); colours used as they are")
    return im.convert("RGB") if im.mode == "CMYK" else im


def gray16_to_srgb(gray: np.ndarray, icc: bytes | None, info: dict) -> np.ndarray:
    if usable_icc(icc, "GRAY", info):
        try:
            out = _apply_lut16(gray[:, :, None], _lut(icc, b"sRGB", "L"))
            info["icc_converted"] = True
            return out
        except ImageCms.PyCMSError as e:
            info["notes"].append(f"ICC conversion failed ({e}); gray levels used as they are")
    return np.repeat(gray[:, :, None], 3, axis=2)


def rgb16_to_srgb(rgb: np.ndarray, icc: bytes | None, info: dict) -> np.ndarray:
    if usable_icc(icc, "RGB", info):
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

def srgb_to_profile(arr: np.ndarray, icc: bytes) -> np.ndarray:
    """sRGB pixels (uint8 or uint16) converted into the RGB profile ``icc``."""
    if arr.dtype == np.uint16:
        return _apply_lut16(arr, _lut(b"sRGB", icc, "RGB"))
    im = Image.fromarray(arr, "RGB")
    return np.asarray(ImageCms.applyTransform(im, _transform_cached(b"sRGB", icc, "RGB", "RGB")))



def lab_to_srgb_pil(im: Image.Image) -> Image.Image:
    """A Pillow "LAB" image -> sRGB. CIELab is device-independent, so any embedded profile is informational."""
    lab = ImageCms.buildTransform(ImageCms.createProfile("LAB"), srgb_profile(), "LAB", "RGB")
    return ImageCms.applyTransform(im, lab)
