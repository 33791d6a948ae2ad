"""Image-quality numbers for colourisation results (numpy + OpenCV, no Qt, no torch).

All full-reference metrics take ``pred`` first and the ground truth second and work on 8-bit RGB
(``HxWx3`` ``uint8``, data range 255), the form in which results are saved and looked at.

* :func:`psnr` and :func:`ssim` reproduce ``skimage.metrics.peak_signal_noise_ratio(data_range=255)`` and
  ``skimage.metrics.structural_similarity(channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False)`` (Wang et al. 2004); scikit-image is only a test dependency, the tests compare
  the two.
* :func:`colourfulness` is Hasler & Süsstrunk (2003), "Measuring colourfulness in natural images".
* :func:`ab_histograms` / :func:`l_histogram`, :func:`js_divergence` and :func:`kl_divergence` compare colour
  *distributions*, which is fairer to a plausible-but-different colourisation than pixel distances are.
  Divergences are in **nats** (natural logarithm), so the Jensen-Shannon divergence is at most ln 2 ≈ 0.693.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from restorer.lab import AB_NORM, rgb_to_lab, to_float

#: Default histogram settings for a and b. 110 bins over [-110, 110] are 2 Lab units wide: fine enough to
#: separate "slightly warm" from "neutral", coarse enough that a few images do not give a comb of empty bins.
AB_BINS = 110
AB_RANGE = (-AB_NORM, AB_NORM)
L_BINS = 100
#: Additive smoothing for the divergences: an empty predicted bin where the ground truth has mass gives a large
#: but finite KL instead of infinity.
DIV_EPS = 1e-8

# SSIM constants of Wang et al. 2004 (as scikit-image): K1, K2, gaussian sigma, and scipy's truncate=3.5,
# which gives the 11-tap window of the paper.
_SSIM_K1 = 0.01
_SSIM_K2 = 0.03
_SSIM_SIGMA = 1.5
_SSIM_RADIUS = int(3.5 * _SSIM_SIGMA + 0.5)  # = 5, as scipy.ndimage computes it


def _check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"images differ in shape: {pred.shape} vs {gt.shape}")
    if pred.ndim != 3 or pred.shape[2] != 3:
        raise ValueError(f"expected HxWx3 RGB images, got shape {pred.shape}")
    return pred, gt


def to_uint8_rgb(pixels: np.ndarray) -> np.ndarray:
    """``HxWx3`` uint8 view of uint8 / uint16 / float [0, 1] pixels (rounded, clipped)."""
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype == np.uint16:
        # 65535 / 257 = 255 exactly, so this maps full range onto full range.
        return ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if np.issubdtype(pixels.dtype, np.floating):
        return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    raise TypeError(f"unsupported pixel type {pixels.dtype}")


def psnr(pred_rgb_uint8: np.ndarray, gt_rgb_uint8: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all pixels and channels, data range 255.

    Identical images give ``math.inf`` (the MSE is 0), as scikit-image does.
    """
    pred, gt = _check_pair(pred_rgb_uint8, gt_rgb_uint8)
    diff = pred.astype(np.float64) - gt.astype(np.float64)
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return float(10.0 * np.log10(255.0**2 / mse))


def _gaussian_kernel() -> np.ndarray:
    # Same sampled, normalised kernel as scipy.ndimage.gaussian_filter(sigma=1.5, truncate=3.5).
    x = np.arange(-_SSIM_RADIUS, _SSIM_RADIUS + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / _SSIM_SIGMA) ** 2)
    return k / k.sum()


def _blur(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    # BORDER_REFLECT is scipy's mode="reflect" (edge pixel repeated); the border strip is cropped later anyway.
    return cv2.sepFilter2D(img, cv2.CV_64F, kernel, kernel, borderType=cv2.BORDER_REFLECT)


def ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean structural similarity of two RGB uint8 images, averaged over the three channels.

    Gaussian-weighted 11x11 window (sigma 1.5), population covariances, C1 = (0.01*255)², C2 = (0.03*255)²;
    the 5-pixel border where the window leaves the image is excluded from the mean. Equal to scikit-image's
    ``structural_similarity(pred, gt, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False)`` up to float rounding. Both sides must be at least 11 pixels.
    """
    pred, gt = _check_pair(pred, gt)
    win = 2 * _SSIM_RADIUS + 1
    if min(pred.shape[:2]) < win:
        raise ValueError(f"SSIM needs images of at least {win}x{win} pixels, got {pred.shape[1]}x{pred.shape[0]}")
    kernel = _gaussian_kernel()
    c1 = (_SSIM_K1 * 255.0) ** 2
    c2 = (_SSIM_K2 * 255.0) ** 2
    r = _SSIM_RADIUS
    values = []
    for ch in range(3):
        x = np.ascontiguousarray(pred[:, :, ch], dtype=np.float64)
        y = np.ascontiguousarray(gt[:, :, ch], dtype=np.float64)
        ux, uy = _blur(x, kernel), _blur(y, kernel)
        vx = _blur(x * x, kernel) - ux * ux
        vy = _blur(y * y, kernel) - uy * uy
        vxy = _blur(x * y, kernel) - ux * uy
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        values.append(s[r:-r, r:-r].mean(dtype=np.float64))
    return float(np.mean(values))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness M on 0-255 values.

    ``rg = R - G``, ``yb = (R + G)/2 - B``; ``M = sqrt(std_rg² + std_yb²) + 0.3 * sqrt(mean_rg² + mean_yb²)``
    (population standard deviations over all pixels). 0 for any gray image; about 15 is "slightly
    colourful", 33 "moderately", 59 "quite", 82 "highly", 109 "extremely" in the paper's scale.
    uint16 and float [0, 1] inputs are rescaled to 0-255 first.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected HxWx3 RGB image, got shape {rgb.shape}")
    if rgb.dtype == np.uint16:
        px = rgb.astype(np.float64) / 257.0
    elif np.issubdtype(rgb.dtype, np.floating):
        px = rgb.astype(np.float64) * 255.0
    else:
        px = rgb.astype(np.float64)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    std_root = math.sqrt(float(rg.std()) ** 2 + float(yb.std()) ** 2)
    mean_root = math.sqrt(float(rg.mean()) ** 2 + float(yb.mean()) ** 2)
    return std_root + 0.3 * mean_root


def to_lab(pixels: np.ndarray) -> np.ndarray:
    """CIE Lab (D65, L in [0, 100]) of RGB pixels (uint8, uint16 or float [0, 1]) as float32 ``HxWx3``."""
    return rgb_to_lab(to_float(np.asarray(pixels)))


def _as_lab(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected HxWx3 image, got shape {image.shape}")
    # Integer arrays can only be RGB; float arrays are taken to be Lab already (see ab_histograms).
    if np.issubdtype(image.dtype, np.integer):
        return to_lab(image)
    return image


def ab_histograms(
    image: np.ndarray,
    bins: int = AB_BINS,
    range: tuple[float, float] = AB_RANGE,  # noqa: A002 - same name as numpy.histogram's argument
    *,
    normalize: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Histograms of the a and b channels, each of length ``bins`` (float64).

    ``image`` is either Lab (any float array: L, a, b in real units) or RGB as uint8/uint16, which is converted
    with :func:`to_lab`. Values outside ``range`` are clipped into the end bins so that no pixel is lost and the
    histograms of two images always have the same total. With ``normalize`` (default) each histogram sums to 1;
    with ``normalize=False`` they are raw pixel counts, so a whole set can be accumulated and normalised once.
    """
    lab = _as_lab(image)
    lo, hi = float(range[0]), float(range[1])
    out = []
    for ch in (1, 2):
        v = np.clip(lab[..., ch].astype(np.float64).ravel(), lo, hi)
        h, _ = np.histogram(v, bins=bins, range=(lo, hi))
        h = h.astype(np.float64)
        out.append(h / max(h.sum(), 1.0) if normalize else h)
    return out[0], out[1]


def l_histogram(
    image: np.ndarray,
    bins: int = L_BINS,
    range: tuple[float, float] = (0.0, 100.0),  # noqa: A002
    *,
    normalize: bool = True,
) -> np.ndarray:
    """Histogram of the L channel (Lab float array or uint8/uint16 RGB), like :func:`ab_histograms`."""
    lab = _as_lab(image)
    lo, hi = float(range[0]), float(range[1])
    v = np.clip(lab[..., 0].astype(np.float64).ravel(), lo, hi)
    h, _ = np.histogram(v, bins=bins, range=(lo, hi))
    h = h.astype(np.float64)
    return h / max(h.sum(), 1.0) if normalize else h


def _smooth(p: np.ndarray, eps: float) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64).ravel()
    if np.any(p < 0):
        raise ValueError("histograms must be non-negative")
    total = p.sum()
    if total <= 0:
        raise ValueError("histogram is empty")
    # Normalise before smoothing so that counts and probabilities of the same histogram give the same result.
    p = p / total + eps
    return p / p.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray, eps: float = DIV_EPS) -> float:
    """Kullback-Leibler divergence KL(p || q) in nats, with p the ground truth and q the prediction.

    Both are histograms (counts or probabilities) of the same length; ``eps`` is added to every bin and the
    result renormalised, so an empty predicted bin costs a lot instead of infinity. 0 for identical histograms.
    Not symmetric: it punishes a prediction that lacks colours the ground truth has (e.g. a washed-out result).
    """
    ps, qs = _smooth(p, eps), _smooth(q, eps)
    if ps.shape != qs.shape:
        raise ValueError(f"histograms differ in length: {ps.size} vs {qs.size}")
    return float(max(np.sum(ps * np.log(ps / qs)), 0.0))


def js_divergence(p: np.ndarray, q: np.ndarray, eps: float = DIV_EPS) -> float:
    """Jensen-Shannon divergence in nats: ½ KL(p || m) + ½ KL(q || m), m = (p + q)/2.

    Symmetric, 0 for identical histograms, at most ln 2 (disjoint support). Inputs are smoothed like
    :func:`kl_divergence`.
    """
    ps, qs = _smooth(p, eps), _smooth(q, eps)
    if ps.shape != qs.shape:
        raise ValueError(f"histograms differ in length: {ps.size} vs {qs.size}")
    m = 0.5 * (ps + qs)
    js = 0.5 * np.sum(ps * np.log(ps / m)) + 0.5 * np.sum(qs * np.log(qs / m))
    # Clamp float rounding (tiny negatives, or a hair above ln 2) so callers can rely on the documented bounds.
    return float(min(max(js, 0.0), math.log(2.0)))


#: False colour (issue 28): a prediction is "loud" where its chroma exceeds this while the truth is nearly
#: neutral (chroma below FALSE_NEUTRAL); hues are compared where both chromas exceed HUE_MIN_CHROMA.
FALSE_LOUD = 20.0
FALSE_NEUTRAL = 8.0
HUE_MIN_CHROMA = 15.0
HUE_OFF_DEGREES = 90.0


def false_colour_counts(pred_lab: np.ndarray, gt_lab: np.ndarray) -> np.ndarray:
    """Counts behind the blotch measures, as int64 ``[loud, neutral, hue_off, both_chromatic]``.

    ``loud / neutral`` is the share of the truly near-neutral pixels (chroma < 8) that the prediction paints
    with chroma > 20: blue shirts on gray walls. ``hue_off / both_chromatic`` is the share of the pixels where
    both are chromatic (chroma > 15) whose hues are more than 90 degrees apart: a red coat painted green.
    Counts rather than ratios so a set's value is pooled over its pixels, not averaged over its photos.
    """
    pa, pb = pred_lab[..., 1].astype(np.float32), pred_lab[..., 2].astype(np.float32)
    ga, gb = gt_lab[..., 1].astype(np.float32), gt_lab[..., 2].astype(np.float32)
    pc, gc = np.hypot(pa, pb), np.hypot(ga, gb)
    neutral = gc < FALSE_NEUTRAL
    both = (pc > HUE_MIN_CHROMA) & (gc > HUE_MIN_CHROMA)
    # cos of the hue difference from the dot product: no angle wrapping to get wrong.
    cos = (pa * ga + pb * gb) / np.maximum(pc * gc, 1e-6)
    hue_off = both & (cos < math.cos(math.radians(HUE_OFF_DEGREES)))
    return np.array([np.count_nonzero(neutral & (pc > FALSE_LOUD)), np.count_nonzero(neutral),
                     np.count_nonzero(hue_off), np.count_nonzero(both)], dtype=np.int64)


def false_colour_shares(counts: np.ndarray) -> tuple[float | None, float | None]:
    """(false colour, hue error) as fractions from :func:`false_colour_counts` (summed); None where undefined."""
    loud, neutral, off, both = (int(c) for c in counts)
    return (loud / neutral if neutral else None), (off / both if both else None)


class PhotoScore(NamedTuple):
    """What every report scores on one colourised photo (8-bit RGB) against its original."""

    psnr: float
    colourfulness: float
    lab: np.ndarray  #: the prediction in Lab, for any further measure
    hist_a: np.ndarray  #: raw a / b counts (:func:`ab_histograms` with ``normalize=False``), to pool over a set
    hist_b: np.ndarray
    false_counts: np.ndarray  #: :func:`false_colour_counts`, to pool over a set


def score_photo(pred: np.ndarray, gt: np.ndarray, gt_lab: np.ndarray | None = None) -> PhotoScore:
    """:class:`PhotoScore` of ``pred`` against ``gt`` (both ``HxWx3`` uint8 RGB); ``gt_lab`` is ``to_lab(gt)``
    when the caller has it (a photo scored against several predictions converts its original once)."""
    lab = to_lab(pred)
    ha, hb = ab_histograms(lab, normalize=False)
    return PhotoScore(psnr(pred, gt), colourfulness(pred), lab, ha, hb,
                      false_colour_counts(lab, to_lab(gt) if gt_lab is None else gt_lab))


class SetScore:
    """Photos' :class:`PhotoScore` pooled as this project's reports pool them (the trainer's validation, the
    screening tools, ``restorer eval``): PSNR and colourfulness averaged over photos, colourfulness as a ratio
    of means against the originals', a/b histograms and blotch counts summed over pixels."""

    def __init__(self) -> None:
        self.psnrs: list[float] = []
        self.colourfulness: list[float] = []
        self.hist_a = np.zeros(AB_BINS)
        self.hist_b = np.zeros(AB_BINS)
        self.false_counts = np.zeros(4, np.int64)

    def add(self, score: PhotoScore) -> PhotoScore:
        self.psnrs.append(score.psnr)
        self.colourfulness.append(score.colourfulness)
        self.hist_a += score.hist_a
        self.hist_b += score.hist_b
        self.false_counts += score.false_counts
        return score

    def summary(self, truth_colourfulness: float, truth_hists: tuple[np.ndarray, np.ndarray] | None = None,
                weights: np.ndarray | None = None) -> dict[str, float | None]:
        """Mean PSNR and colourfulness, the ratio to ``truth_colourfulness`` (the originals' mean), false colour
        and hue error (None where undefined) and, given the originals' pooled a/b counts, their JS divergences.

        ``weights`` (one per photo, in the order added) weight the PSNR and colourfulness means (pass the
        originals' colourfulness averaged with the same weights); the pixel-pooled measures are unweighted."""
        cf = float(np.average(self.colourfulness, weights=weights))
        false, hue = false_colour_shares(self.false_counts)
        out: dict[str, float | None] = {"psnr": float(np.average(self.psnrs, weights=weights)), "colourfulness": cf,
                                        "colourfulness_ratio": cf / max(truth_colourfulness, 1e-6),
                                        "false_colour": false, "hue_error": hue}
        if truth_hists is not None:
            out["js_a"] = js_divergence(self.hist_a, truth_hists[0])
            out["js_b"] = js_divergence(self.hist_b, truth_hists[1])
        return out


__all__ = [
    "AB_BINS",
    "AB_RANGE",
    "DIV_EPS",
    "PhotoScore",
    "SetScore",
    "ab_histograms",
    "colourfulness",
    "false_colour_counts",
    "false_colour_shares",
    "js_divergence",
    "kl_divergence",
    "l_histogram",
    "psnr",
    "score_photo",
    "ssim",
    "to_lab",
    "to_uint8_rgb",
]
