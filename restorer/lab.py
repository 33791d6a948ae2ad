"""sRGB <-> CIELAB (D65, 2 degree observer) in numpy and torch, and the networks' L/ab scaling: the one definition.

The bottom layer: core, nets, training and LPIPS all take their Lab maths from here, so it imports nothing of
Restorer and only numpy at load time (torch inside the ``*_t`` functions, which keeps ``import restorer.core``
and the CLI's argument checks torch-free). As in richzhang/colorization the networks see
(L - L_CENT) / L_NORM and ab / AB_NORM; everything outside the networks works in real Lab units.
"""
from __future__ import annotations

import numpy as np

L_CENT = 50.0
L_NORM = 50.0
AB_NORM = 110.0

# sRGB primaries -> XYZ (D65), IEC 61966-2-1.
_RGB2XYZ = np.array(
    [[0.412453, 0.357580, 0.180423],
     [0.212671, 0.715160, 0.072169],
     [0.019334, 0.119193, 0.950227]], dtype=np.float64)
_XYZ2RGB = np.linalg.inv(_RGB2XYZ)
_WHITE = _RGB2XYZ.sum(axis=1)  # D65 white of this matrix, so gray maps to a = b = 0 exactly
_EPS = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def _f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPS, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)


def _finv(f: np.ndarray) -> np.ndarray:
    f3 = f ** 3
    return np.where(f3 > _EPS, f3, (116.0 * f - 16.0) / _KAPPA)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 sRGB float in [0, 1] -> float32 Lab (L 0..100)."""
    lin = _srgb_to_linear(np.asarray(rgb, dtype=np.float32))
    xyz = lin @ (_RGB2XYZ / _WHITE[:, None]).T.astype(np.float32)
    f = _f(xyz)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """float Lab -> HxWx3 sRGB float32 in [0, 1] (out-of-gamut colours clipped)."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    xyz = np.stack([_finv(fx), _finv(fy), _finv(fz)], axis=-1) * _WHITE.astype(np.float32)
    lin = xyz @ _XYZ2RGB.T.astype(np.float32)
    return _linear_to_srgb(lin).astype(np.float32)


def to_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 / uint16 / float pixels -> float32 in [0, 1]."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / 65535.0
    return np.asarray(pixels, dtype=np.float32)


def from_float(rgb: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float [0, 1] -> the given dtype, rounded (not truncated) so round trips are exact."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.clip(rgb * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    return np.clip(rgb, 0.0, 1.0).astype(dtype)


def luminance(pixels: np.ndarray) -> np.ndarray:
    """L channel (0..100) of uint8/uint16/float sRGB pixels, float32 HxW."""
    rgb = to_float(pixels)
    y = _srgb_to_linear(rgb) @ _RGB2XYZ[1].astype(np.float32)
    return (116.0 * _f(y / _WHITE[1]) - 16.0).astype(np.float32)


# ---------------------------------------------------------------------------------------------- torch
def rgb_to_lab_t(rgb):
    """Bx3xHxW sRGB in [0, 1] -> Bx3xHxW Lab; differentiable (used by losses and LPIPS on results)."""
    import torch

    rgb = rgb.clamp(0.0, 1.0)
    lin = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055).clamp_min(1e-8) ** 2.4)
    m = torch.as_tensor(_RGB2XYZ / _WHITE[:, None], dtype=rgb.dtype, device=rgb.device)
    xyz = torch.einsum("ij,bjhw->bihw", m, lin)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS) ** (1.0 / 3.0), (_KAPPA * xyz + 16.0) / 116.0)
    L = 116.0 * f[:, 1] - 16.0
    a = 500.0 * (f[:, 0] - f[:, 1])
    b = 200.0 * (f[:, 1] - f[:, 2])
    return torch.stack([L, a, b], dim=1)


def _finv_t(f):
    import torch

    return torch.where(f ** 3 > _EPS, f ** 3, (116.0 * f - 16.0) / _KAPPA)


def _linear_to_srgb_t(lin):
    """Linear RGB already clamped to [0, 1] -> sRGB."""
    import torch

    return torch.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin.clamp_min(1e-8) ** (1 / 2.4) - 0.055)


def lab_to_linear_rgb_t(lab):
    """Bx3xHxW Lab -> Bx3xHxW linear RGB, unclamped (values outside [0, 1] are out of the sRGB gamut)."""
    import torch

    fy = (lab[:, 0] + 16.0) / 116.0
    fx = fy + lab[:, 1] / 500.0
    fz = fy - lab[:, 2] / 200.0
    xyz = _finv_t(torch.stack([fx, fy, fz], dim=1))
    xyz = xyz * torch.as_tensor(_WHITE, dtype=lab.dtype, device=lab.device).view(1, 3, 1, 1)
    m = torch.as_tensor(_XYZ2RGB, dtype=lab.dtype, device=lab.device)
    return torch.einsum("ij,bjhw->bihw", m, xyz)


def lab_to_rgb_t(lab):
    """Bx3xHxW Lab -> Bx3xHxW sRGB in [0, 1]; differentiable."""
    return _linear_to_srgb_t(lab_to_linear_rgb_t(lab).clamp(0.0, 1.0))


def gray_srgb_t(L):
    """Bx1xHxW lightness (0..100) -> Bx1xHxW sRGB gray of that lightness (a = b = 0), differentiable.

    The achromatic case of :func:`lab_to_rgb_t` without its matrices: gray's relative luminance is the linear
    value of every channel (the white's Y is 1).
    """
    return _linear_to_srgb_t(_finv_t((L + 16.0) / 116.0).clamp(0, 1))
