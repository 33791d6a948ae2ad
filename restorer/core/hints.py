"""User colour hints ("this coat was navy"): representation, rasterisation and edge-aware propagation.

Hints live in normalised image coordinates (0..1) so the same list applies to the preview and the
full-resolution export. They reach the result two ways: as the network's extra input channels (ab hint +
mask, learned with simulated hints), and then whatever correction the network did not take up is spread by an
edge-aware optimisation over the working grid (:mod:`restorer.core.propagate`, Levin et al. 2004) - measured to
matter far more than the learned channels on a CPU training budget.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restorer.core.color import rgb_to_lab


@dataclass(frozen=True)
class Hint:
    x: float  # 0..1, left to right
    y: float  # 0..1, top to bottom
    ab: tuple[float, float]
    radius: float = 0.01  # fraction of the image's short side

    @classmethod
    def from_rgb(cls, x: float, y: float, rgb: tuple[float, float, float], radius: float = 0.01) -> Hint:
        """A hint asking for the chroma of sRGB colour ``rgb`` (floats 0..1); its lightness is ignored."""
        lab = rgb_to_lab(np.asarray(rgb, dtype=np.float32).reshape(1, 1, 3))[0, 0]
        return cls(float(x), float(y), (float(lab[1]), float(lab[2])), float(radius))

    def pixel(self, h: int, w: int) -> tuple[int, int, int]:
        """Centre row, column and half-size in pixels of an h x w grid (at least a 1-pixel patch)."""
        cy = min(h - 1, max(0, int(self.y * h)))
        cx = min(w - 1, max(0, int(self.x * w)))
        r = int(round(self.radius * min(h, w)))
        return cy, cx, max(0, r)


@dataclass(frozen=True, eq=False)
class RegionHint:
    """Recolour a painted region: ``mask`` (H x W, bool or float 0..1, at any resolution; it is stretched over
    the whole image) gets chroma ``ab``. The photo's own lightness and the edge-aware upsampling keep texture
    and edges; a soft mask edge gives a soft transition."""

    mask: np.ndarray
    ab: tuple[float, float]
    strength: float = 1.0

    @classmethod
    def from_rgb(cls, mask: np.ndarray, rgb: tuple[float, float, float], strength: float = 1.0) -> RegionHint:
        lab = rgb_to_lab(np.asarray(rgb, dtype=np.float32).reshape(1, 1, 3))[0, 0]
        return cls(mask, (float(lab[1]), float(lab[2])), float(strength))


#: Gaussian sigma of a painted region's edge, as a fraction of its mask's long side (about 2 px on a 1024 px mask,
#: at least 1 px): a brush edge becomes a short ramp instead of a hard step, without visibly growing the region.
REGION_FEATHER = 0.002


def feather(mask: np.ndarray) -> np.ndarray:
    """uint8 (0..255) or float mask -> float32 0..1 with a softened edge (:data:`REGION_FEATHER`).

    The app and the CLI (reading a sidecar's mask PNG) both go through here, so they recolour the same pixels."""
    import cv2

    m = mask.astype(np.float32) / 255.0 if mask.dtype == np.uint8 else np.asarray(mask, np.float32)
    sigma = max(1.0, REGION_FEATHER * max(m.shape))
    return np.clip(cv2.GaussianBlur(m, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE), 0.0, 1.0)


def point_hints(hints) -> list[Hint]:
    return [h for h in hints or [] if isinstance(h, Hint)]


def apply_regions(ab: np.ndarray, hints) -> np.ndarray:
    """Blend every RegionHint's chroma into ``ab`` (2 x h x w) through its resized, soft mask."""
    regions = [h for h in hints or [] if isinstance(h, RegionHint)]
    if not regions:
        return ab
    import cv2

    _, h, w = ab.shape
    out = ab.copy()
    for r in regions:
        m = np.asarray(r.mask, dtype=np.float32)
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA if m.shape[0] > h else cv2.INTER_LINEAR)
        m = np.clip(m * r.strength, 0.0, 1.0)
        for c in range(2):
            out[c] = out[c] * (1.0 - m) + r.ab[c] * m
    return out


def rasterize(hints: list[Hint] | None, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Point hints -> (ab_hint 2 x h x w float32, mask 1 x h x w float32 in {0, 1}); later hints win overlaps."""
    ab = np.zeros((2, h, w), np.float32)
    mask = np.zeros((1, h, w), np.float32)
    for hint in point_hints(hints):
        cy, cx, r = hint.pixel(h, w)
        ys, xs = slice(max(0, cy - r), cy + r + 1), slice(max(0, cx - r), cx + r + 1)
        ab[0, ys, xs] = hint.ab[0]
        ab[1, ys, xs] = hint.ab[1]
        mask[0, ys, xs] = 1.0
    return ab, mask


#: A hint also holds the pixels up to this far around its patch (working-grid pixels; at least the reach of the
#: engine's guided upsampling, radius 2 applied twice) whose lightness is within PIN_L_TOL of the patch's, so
#: the smoothing after it does not pull the hint's own patch back towards the prediction around it. Tuned on
#: 30 photos of the training set's selection split (tools/tune_hints.py, eval's hint sampler): 10 hints gained
#: +4.03 dB with 8 px / 10 L units against +3.89 with 4 / 6; the solver's mu and the hint channels moved
#: it by under 0.02 dB.
PIN_MARGIN = 8
PIN_L_TOL = 10.0


def pins(hints: list[Hint] | None, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(target ab 2 x h x w, held h x w bool) of the point hints on the working grid ``L`` (later hints win)."""
    h, w = L.shape
    target = np.zeros((2, h, w), np.float32)
    held = np.zeros((h, w), bool)
    for hint in point_hints(hints):
        cy, cx, r = hint.pixel(h, w)
        l0 = float(L[max(0, cy - r):cy + r + 1, max(0, cx - r):cx + r + 1].mean())
        m = r + PIN_MARGIN
        ys, xs = slice(max(0, cy - m), cy + m + 1), slice(max(0, cx - m), cx + m + 1)
        sel = np.abs(L[ys, xs] - l0) <= PIN_L_TOL
        sel[max(0, cy - r) - ys.start:cy + r + 1 - ys.start, max(0, cx - r) - xs.start:cx + r + 1 - xs.start] = True
        for c in range(2):
            target[c, ys, xs][sel] = hint.ab[c]
        held[ys, xs] |= sel
    return target, held


def propagate(ab_pred: np.ndarray, L: np.ndarray, hints: list[Hint] | None) -> np.ndarray:
    """Spread each point hint's correction (hint ab - predicted ab) edge-aware over the working grid.

    ``ab_pred`` is 2 x h x w, ``L`` h x w (0..100). Each hint's patch (and its like-lit surround, see
    :func:`pins`) is held at the hint's ab; the correction fades with the distance measured along the photo's
    own lightness, so it fills the hinted object and stops at strong L edges (:mod:`restorer.core.propagate`).
    """
    from restorer.core.propagate import spread

    if not point_hints(hints):
        return ab_pred
    return spread(ab_pred, L, *pins(hints, L))


def sample_hints_from_image(rgb: np.ndarray, n: int, rng: np.random.Generator,
                            max_patch: int = 9) -> list[Hint]:
    """``n`` hints as a user with the true colours would give them: random points, each the mean ab of a
    1-``max_patch`` px square patch of ``rgb`` (uint8/uint16/float HxWx3). Used by eval and tests."""
    from restorer.core.color import to_float

    if n <= 0:
        return []
    h, w = rgb.shape[:2]
    lab = rgb_to_lab(to_float(rgb))
    hints = []
    for _ in range(n):
        p = int(rng.integers(1, max_patch + 1))
        y0 = int(rng.integers(0, max(1, h - p + 1)))
        x0 = int(rng.integers(0, max(1, w - p + 1)))
        ab = lab[y0:y0 + p, x0:x0 + p, 1:].reshape(-1, 2).mean(axis=0)
        hints.append(Hint((x0 + p / 2) / w, (y0 + p / 2) / h, (float(ab[0]), float(ab[1])),
                          radius=(p / 2) / min(h, w)))
    return hints
