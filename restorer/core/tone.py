"""Whether a photo's colour can serve as ground truth: real colour has several hues, a toned scan has one.

A sepia, selenium or cyanotype print scanned in colour has real chroma (a mean Lab chroma of 4 to 30), but
all of it along one tint direction in the a/b plane: a colour model compared against it would be scored on
how well it reproduces the tint. Real colour photos spread across that direction as well (sky and skin,
foliage and a dress). The test is therefore the spread of the a/b values *across* their main axis (the
square root of the smaller eigenvalue of their 2x2 covariance), measured on a block-averaged copy so that
film grain and JPEG chroma noise, which average out, do not pass for colour.

Calibration (``tools``-free, measured with this module on the shared photos): toned scans in
``shared/data/bw`` (shoe shop 1890, Hooverville 1932, cobbler's shop, cotton mill, loggers, civil war,
Madison Square) spread 0.3 to 1.0 a/b units; early colour photos (autochromes, faded prints) in the same
folder 2.1 to 5.6; of 350 modern colour photos (shared/data/val, val_people) 339 spread more than 1.5, the
others are nearly one-hue pictures (a golf ball on grass, a white water tower against the sky).
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np

from restorer.core.color import rgb_to_lab

Tone = Literal["gray", "toned", "colour"]

#: Mean Lab chroma at or below which a scan counts as untinted gray (the rule of ``LoadedImage.was_color``).
GRAY_CHROMA = 3.0
#: a/b spread across the main tint direction (Lab units) from which the colour is "several hues".
MIN_HUE_SPREAD = 1.5
#: Long side of the averaged copy the statistics are taken on.
WORK_SIDE = 256
#: Samples averaged per side of each block of that copy: 4 x 4 averages chroma noise down by about 4.
BLOCK = 4


def _small(pixels: np.ndarray, alpha: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Float RGB in [0, 1], at most WORK_SIDE on the long side, each pixel the mean of BLOCK x BLOCK samples
    (strided first, so a 27 MP scan costs about a million samples); with ``alpha``, which blocks are opaque."""
    scale = 65535.0 if pixels.dtype == np.uint16 else 255.0 if pixels.dtype == np.uint8 else 1.0
    long_side = max(pixels.shape[:2])
    block = BLOCK if long_side > WORK_SIDE else 1
    stride = max(1, math.ceil(long_side / (WORK_SIDE * block)))
    rgb = pixels[::stride, ::stride, :3].astype(np.float32) / scale
    seen = None if alpha is None else (alpha[::stride, ::stride] > 0).astype(np.float32)
    h, w = (rgb.shape[0] // block) * block, (rgb.shape[1] // block) * block
    if block > 1 and h and w:
        rgb = rgb[:h, :w].reshape(h // block, block, w // block, block, 3).mean(axis=(1, 3))
        if seen is not None:
            seen = seen[:h, :w].reshape(h // block, block, w // block, block).min(axis=(1, 3))
    return rgb, None if seen is None else seen > 0


def hue_spread(ab: np.ndarray) -> float:
    """Standard deviation of ``N x 2`` a/b values across their main axis (0 for a single tint direction)."""
    if len(ab) < 2:
        return 0.0
    smallest = float(np.linalg.eigvalsh(np.cov(ab.astype(np.float64).T))[0])
    return math.sqrt(max(smallest, 0.0))


def tone_of(pixels: np.ndarray, alpha: np.ndarray | None = None) -> Tone:
    """"gray" (no real chroma), "toned" (chroma of one hue: sepia, selenium, cyanotype...) or "colour".

    ``pixels``: HxWx3 uint8, uint16 or float in [0, 1] (sRGB); fully transparent pixels (``alpha`` 0) are
    ignored, since they often hold arbitrary colours.
    """
    rgb, seen = _small(np.asarray(pixels), alpha)
    ab = rgb_to_lab(rgb)[..., 1:].reshape(-1, 2)
    if seen is not None:
        ab = ab[seen.reshape(-1)]
    if len(ab) == 0 or float(np.hypot(ab[:, 0], ab[:, 1]).mean()) <= GRAY_CHROMA:
        return "gray"
    return "colour" if hue_spread(ab) >= MIN_HUE_SPREAD else "toned"


def is_colour_reference(pixels: np.ndarray, alpha: np.ndarray | None = None) -> bool:
    """Whether the photo's own colour may serve as ground truth (PSNR, SSIM, JS divergence): real chroma of
    several hues, not a gray or toned scan."""
    return tone_of(pixels, alpha) == "colour"
