"""User colour hints ("this coat was navy"): representation, rasterisation and edge-aware propagation.

Hints live in normalised image coordinates (0..1) so the same list applies to the preview and the
full-resolution export. They reach the result two ways: as the network's extra input channels (ab hint +
mask, learned with simulated hints) and by spreading each hint's correction over the prediction with weights
that fall off with distance and with lightness difference (edge-aware, untrained) - measured to matter far
more than the learned channels on a CPU training budget.
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


def propagate(ab_pred: np.ndarray, L: np.ndarray, hints: list[Hint] | None, *,
              sigma_space: float = 0.12, sigma_l: float = 8.0) -> np.ndarray:
    """Spread each hint's correction (hint ab - predicted ab there) with space x lightness-similarity weights.

    ``ab_pred`` is 2 x h x w, ``L`` h x w (0..100). ``sigma_space`` is a fraction of the image diagonal,
    ``sigma_l`` in L units. Where hints overlap, their corrections are averaged by weight; at a hint's own
    pixel the result equals the hint's ab.
    """
    hints = point_hints(hints)
    if not hints:
        return ab_pred
    _, h, w = ab_pred.shape
    yy = (np.arange(h, dtype=np.float32)[:, None] + 0.5)
    xx = (np.arange(w, dtype=np.float32)[None, :] + 0.5)
    s2 = 2.0 * (sigma_space * float(np.hypot(h, w))) ** 2
    l2 = 2.0 * sigma_l ** 2
    num = np.zeros_like(ab_pred)
    den = np.zeros((h, w), np.float32)
    for hint in hints:
        cy, cx, r = hint.pixel(h, w)
        ys, xs = slice(max(0, cy - r), cy + r + 1), slice(max(0, cx - r), cx + r + 1)
        d = np.asarray(hint.ab, np.float32) - ab_pred[:, ys, xs].reshape(2, -1).mean(axis=1)
        l0 = float(L[ys, xs].mean())
        wgt = np.exp(-((yy - cy - 0.5) ** 2 + (xx - cx - 0.5) ** 2) / s2) * np.exp(-((L - l0) ** 2) / l2)
        wgt[ys, xs] = 1.0
        num += wgt[None] * d[:, None, None]
        den += wgt
    return (ab_pred + num / np.maximum(den, 1.0)[None]).astype(np.float32)


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
