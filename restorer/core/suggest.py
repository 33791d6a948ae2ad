"""Colour suggestions for a new hint: the model's colour there, then plausible alternatives.

Alternatives, in order: what the other results at hand (other models, other strengths, earlier previews) put at
the same point, then the dominant colours the current result uses around the point (k-means over ab in a
window: colours of neighbouring objects of the photo), then the same hue bolder and quieter. Colours closer
than :data:`MIN_DISTANCE` (CIELAB ab units) to one already offered are skipped. All RGB floats 0..1.
"""
from __future__ import annotations

import numpy as np

from restorer.core.color import lab_to_rgb, rgb_to_lab, to_float

MIN_DISTANCE = 8.0
WINDOW = 0.15  # half-size of the neighbourhood, as a fraction of the short side


def _lab_at(rgb: np.ndarray, fx: float, fy: float, r: int = 1) -> np.ndarray:
    h, w = rgb.shape[:2]
    cy, cx = min(h - 1, int(fy * h)), min(w - 1, int(fx * w))
    patch = to_float(rgb[max(0, cy - r):cy + r + 1, max(0, cx - r):cx + r + 1])
    return rgb_to_lab(patch).reshape(-1, 3).mean(axis=0)


def _dominant_ab(rgb: np.ndarray, fx: float, fy: float, k: int = 6) -> list[np.ndarray]:
    import cv2

    h, w = rgb.shape[:2]
    r = max(4, int(WINDOW * min(h, w)))
    cy, cx = int(fy * h), int(fx * w)
    win = to_float(rgb[max(0, cy - r):cy + r + 1, max(0, cx - r):cx + r + 1])
    ab = rgb_to_lab(win)[..., 1:].reshape(-1, 2).astype(np.float32)
    if len(ab) < k:
        return []
    ab = ab[:: max(1, len(ab) // 4000)]
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # the same photo offers the same suggestions every time
    _, labels, centres = cv2.kmeans(ab, k, None, crit, 2, cv2.KMEANS_PP_CENTERS)
    order = np.argsort(-np.bincount(labels.ravel(), minlength=k))
    return [centres[i] for i in order]


def suggest(current: np.ndarray, others: list[np.ndarray], fx: float, fy: float, n: int = 5) -> list[tuple]:
    """At least ``n`` colours (RGB floats) for a hint at (fx, fy): ``current``'s colour there first."""
    lab0 = _lab_at(current, fx, fy)
    L = float(lab0[0])
    chosen: list[np.ndarray] = [lab0[1:]]

    def offer(ab) -> None:
        ab = np.asarray(ab, np.float32)
        if all(np.linalg.norm(ab - c) >= MIN_DISTANCE for c in chosen):
            chosen.append(ab)

    for other in others:
        offer(_lab_at(other, fx, fy)[1:])
    for ab in _dominant_ab(current, fx, fy):
        offer(ab)
    base = lab0[1:]
    hue = np.arctan2(base[1], base[0]) if np.linalg.norm(base) > 2 else 0.6  # gray: start from a warm hue
    chroma = max(float(np.linalg.norm(base)), 12.0)
    for scale in (1.6, 0.5, 2.2):
        offer(chroma * scale * np.array([np.cos(hue), np.sin(hue)]))
    for turn in np.linspace(0, 2 * np.pi, 8, endpoint=False)[1:]:  # last resort: hues around the circle
        if len(chosen) >= n:
            break
        offer(chroma * np.array([np.cos(hue + turn), np.sin(hue + turn)]))
    lab = np.array([[[L, c[0], c[1]] for c in chosen]], np.float32)
    return [tuple(float(v) for v in px) for px in lab_to_rgb(lab)[0]]
