"""Magic wand for regions: the area a rough stroke touches, grown up to the photo's own edges.

A flood fill from the stroke's pixels over the photo's lightness, each step allowed a small lightness change
(``tolerance``: it follows soft shading across a coat) but never across a strong edge (Canny edges of the
lightly smoothed photo are barriers), so one drag over a coat selects the coat and stops at its outline.
"""
from __future__ import annotations

import cv2
import numpy as np

TOLERANCE = 6  # gray levels (0..255) between neighbouring pixels
EDGES = (40, 110)  # Canny thresholds on the smoothed photo
MAX_SEEDS = 400  # stroke pixels used as seeds (a long stroke has thousands; the fill joins them anyway)


def magic_wand(gray: np.ndarray, stroke: np.ndarray, tolerance: int = TOLERANCE) -> np.ndarray:
    """uint8 mask (255 = selected) of the region grown from ``stroke`` (H x W bool/uint8) over ``gray``
    (H x W uint8, the photo's lightness on the stroke's grid). The stroke itself is always selected."""
    if gray.shape != stroke.shape:
        raise ValueError(f"photo {gray.shape} and stroke {stroke.shape} must share one grid")
    seeds = np.argwhere(stroke > 0)
    if not len(seeds):
        return np.zeros(gray.shape, np.uint8)
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.0)
    h, w = gray.shape
    fill = np.zeros((h + 2, w + 2), np.uint8)  # floodFill's mask: non-zero pixels are never filled
    edges = cv2.Canny(smooth, *EDGES) > 0
    fill[1:-1, 1:-1] = edges
    img = smooth.copy()
    flags = 8 | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    step = max(1, len(seeds) // MAX_SEEDS)
    for y, x in seeds[::step]:
        if fill[y + 1, x + 1] == 0:
            cv2.floodFill(img, fill, (int(x), int(y)), 0, tolerance, tolerance, flags)
    out = np.where(fill[1:-1, 1:-1] == 255, 255, 0).astype(np.uint8)
    # Canny's one-pixel edges lie on the object's rim: give the selection the edge pixels it touches, and
    # close the seams the barriers left inside it.
    grown = cv2.dilate(out, np.ones((3, 3), np.uint8)) > 0
    out[grown & edges] = 255
    out = cv2.morphologyEx(out, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    out[stroke > 0] = 255
    return out
