"""The colourisation pipeline every front end uses.

1. Shrink the photo to the model's working grid (short side = working size, sides multiples of 32) and take L.
2. The network predicts ab there (with hint channels when given); hints are then propagated edge-aware.
3. ab goes back to full resolution with a fast guided filter (He & Sun 2015): the linear model
   ab = A * L + B is fitted at the working size and its smooth coefficients are upsampled, then applied to
   the ORIGINAL full-resolution L. Colour follows the photo's edges instead of bleeding across them.
4. The full-resolution L is never changed; only chroma is added. Already-tinted scans (sepia, faded colour)
   simply contribute their L.
Full resolution is processed in strips of rows, so a 24 MP scan needs little more memory than its pixels.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np
import torch

from restorer.core.cancel import Cancelled
from restorer.core.color import AB_NORM, check_strength, from_float, luminance, to_float
from restorer.core.hints import Hint, RegionHint, apply_regions, point_hints, propagate, rasterize
from restorer.core.variations import apply_variation, variation_of

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]

STRIP_PIXELS = 1_000_000  # rows per strip are chosen so a strip holds about this many pixels (~50 MB of temporaries)
PREVIEW_LONG_SIDE = 1280
GUIDE_RADIUS = 2  # at the working size
GUIDE_EPS = 1e-3  # on L scaled to 0..1: larger = smoother chroma, smaller = chroma follows L more




def working_grid(h: int, w: int, working_size: int, max_aspect: float = 3.0) -> tuple[int, int]:
    """(height, width) the network sees: short side ~ working_size, both multiples of 32, long side capped."""
    scale = working_size / min(h, w)
    th, tw = h * scale, w * scale
    cap = working_size * max_aspect
    th, tw = min(th, cap), min(tw, cap)
    return max(32, int(round(th / 32)) * 32), max(32, int(round(tw / 32)) * 32)


def _resize(pixels: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    h, w = pixels.shape[:2]
    th, tw = size_hw
    interp = cv2.INTER_AREA if th * tw < h * w else cv2.INTER_CUBIC
    return cv2.resize(pixels, (tw, th), interpolation=interp)


def _network_pass(model, L: np.ndarray, hints: list | None, flip: bool) -> np.ndarray:
    """One pass of the network at L's grid, point hints rasterised there; with ``flip`` averaged with the
    mirrored photo's pass (one batch of two)."""
    dev = model.device
    L_t = torch.from_numpy(np.ascontiguousarray(L))[None, None].to(dev)
    ab_hint = mask = None
    if point_hints(hints) and model.card.in_channels > 1:
        ab_np, mask_np = rasterize(hints, L.shape[0], L.shape[1])
        ab_hint = torch.from_numpy(ab_np)[None].to(dev)
        mask = torch.from_numpy(mask_np)[None].to(dev)
    if not flip:
        return model(L_t, ab_hint, mask)[0].float().cpu().numpy()
    both = lambda t: None if t is None else torch.cat([t, t.flip(-1)])  # noqa: E731  (a hint's colour has no direction)
    ab = model(both(L_t), both(ab_hint), both(mask)).float()
    return ((ab[0] + ab[1].flip(-1)) / 2).cpu().numpy()


@torch.inference_mode()
def network_ab(pixels: np.ndarray, model, hints: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The network alone: (ab 2 x h x w, L h x w) at the model's working grid, point hints as its input channels.

    A card with ``blend_sizes`` or ``blend_flip`` averages passes at those further working sizes and/or of the
    mirrored photo (a test-time ensemble). On held-out photos that gained ~0.1 dB at equal colourfulness but left
    the blotches, which the passes agree on (docs/experiments.md), so the bundled models use none.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 pixels, got shape {pixels.shape}")
    card = model.card
    sizes, flip = getattr(card, "blend_sizes", ()), getattr(card, "blend_flip", False)  # any object with a card
    th, tw = working_grid(pixels.shape[0], pixels.shape[1], card.working_size)
    small = to_float(_resize(pixels, (th, tw)))
    L = luminance(small)
    ab = _network_pass(model, L, hints, flip)
    for size in sizes:
        grid = working_grid(pixels.shape[0], pixels.shape[1], size)
        other = _network_pass(model, luminance(_resize(small, grid)), hints, flip)
        ab += cv2.resize(other.transpose(1, 2, 0), (tw, th), interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
    if sizes:
        ab /= 1 + len(sizes)
    return ab, L


def finish_ab(ab: np.ndarray, L: np.ndarray, hints: list | None = None, strength: float = 1.0) -> np.ndarray:
    """The network's ab -> the result's ab at the working grid: the chosen variation (restorer.core.variations)
    as the base, colour strength, then the hints' edge-aware propagation and the painted regions."""
    ab = apply_variation(ab, L, variation_of(hints))
    if strength != 1.0:
        ab = np.clip(ab * np.float32(strength), -AB_NORM, AB_NORM)
    return apply_regions(propagate(ab, L, hints), hints)


def predict_ab(pixels: np.ndarray, model, hints: list | None = None,
               strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Run the network: returns (ab 2 x h x w, L h x w) at the model's working grid, hints applied.

    ``strength`` scales the network's chroma before the hints are applied, so hinted and painted colours
    stay exactly what the user chose while the rest of the photo gets bolder (> 1) or quieter (< 1).
    """
    check_strength(strength)
    ab, L = network_ab(pixels, model, hints)
    return finish_ab(ab, L, hints, strength), L


def guided_coefficients(ab: np.ndarray, L: np.ndarray, radius: int = GUIDE_RADIUS,
                        eps: float = GUIDE_EPS) -> tuple[np.ndarray, np.ndarray]:
    """Fit ab ~ A * (L/100) + B locally (guided filter); returns mean-filtered A and B, each 2 x h x w."""
    I = (L / 100.0).astype(np.float32)
    k = (2 * radius + 1, 2 * radius + 1)
    box = lambda x: cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    mean_I = box(I)
    var_I = box(I * I) - mean_I * mean_I
    A = np.empty_like(ab)
    B = np.empty_like(ab)
    for c in range(2):
        p = ab[c].astype(np.float32)
        mean_p = box(p)
        cov = box(I * p) - mean_I * mean_p
        a = cov / (var_I + eps)
        A[c] = box(a)
        B[c] = box(mean_p - a * mean_I)
    return A, B


def _strip_rows(w: int) -> int:
    return max(16, STRIP_PIXELS // max(1, w))


@functools.cache
def _gray_luminance_lut(dtype_name: str) -> np.ndarray:
    """L of every gray level of an integer dtype: a gray scan's L is then one table lookup per pixel, not a
    gamma curve and a cube root (most of the strip loop's time before). Equal to ``luminance`` within 1e-5."""
    ramp = np.arange(np.iinfo(dtype_name).max + 1, dtype=dtype_name)
    return luminance(np.repeat(ramp[:, None], 3, axis=1)[None])[0]


def _is_gray(pixels: np.ndarray) -> bool:
    return bool(np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2]))


def lab_to_rgb_fast(lab: np.ndarray) -> np.ndarray:
    """Lab -> sRGB float32 clipped to [0, 1] with OpenCV: about 9x faster than ``color.lab_to_rgb`` per strip.

    OpenCV's D65 white and matrix differ from ``restorer.lab``'s in the fourth decimal: at most ~1e-4 apart
    on [0, 1] (docs/experiments.md), i.e. an occasional 1/255 step in the written pixels.
    """
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def apply_coefficients(pixels: np.ndarray, A: np.ndarray, B: np.ndarray, out_dtype: np.dtype,
                       progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                       p0: float = 0.0, p1: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
    """Full-resolution result: original L + upsampled guided ab, computed strip by strip.

    ``out`` may be ``pixels`` itself: each strip is read before it is overwritten.
    """
    H, W = pixels.shape[:2]
    _, h, w = A.shape
    coeffs = np.concatenate([A, B], axis=0).transpose(1, 2, 0).copy()  # h x w x 4
    if out is None:
        out = np.empty((H, W, 3), dtype=out_dtype)
    # Bilinear sampling positions, pixel-centre aligned; identical whichever strip a row falls in.
    map_x = ((np.arange(W, dtype=np.float32) + 0.5) * (w / W) - 0.5)[None, :]
    # Decided once for the whole image, so a strip's result never depends on where the strips are cut.
    lut = _gray_luminance_lut(pixels.dtype.name) if pixels.dtype in (np.uint8, np.uint16) and _is_gray(pixels) \
        else None
    step = _strip_rows(W)
    mx_full = np.ascontiguousarray(np.broadcast_to(map_x, (min(step, H), W)), dtype=np.float32)
    for y0 in range(0, H, step):
        if cancel is not None and cancel():
            raise Cancelled()
        y1 = min(H, y0 + step)
        map_y = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * (h / H) - 0.5)[:, None]
        my = np.ascontiguousarray(np.broadcast_to(map_y, (y1 - y0, W)), dtype=np.float32)
        up = cv2.remap(coeffs, mx_full[: y1 - y0], my, interpolation=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        # Planar channels: numpy's arithmetic on contiguous planes is several times faster than on the
        # interleaved h x w x 4 array.
        a_gain, b_gain, a_off, b_off = cv2.split(up)
        del up, my
        L = lut[pixels[y0:y1, :, 0]] if lut is not None else luminance(pixels[y0:y1])
        I = np.multiply(L, np.float32(0.01))
        np.multiply(a_gain, I, out=a_gain)
        a_gain += a_off
        np.multiply(b_gain, I, out=b_gain)
        b_gain += b_off
        del I, a_off, b_off
        rgb = lab_to_rgb_fast(cv2.merge([L, a_gain, b_gain]))
        del L, a_gain, b_gain
        # uint8: OpenCV's saturating convert (round to nearest) instead of numpy's clip + add + cast.
        out[y0:y1] = cv2.convertScaleAbs(rgb, alpha=255.0) if out_dtype == np.uint8 else from_float(rgb, out_dtype)
        if progress is not None:
            progress(p0 + (p1 - p0) * y1 / H)
    return out


def colorize(pixels: np.ndarray, model, hints: list[Hint | RegionHint] | None = None, *, progress: ProgressFn | None = None,
             cancel: CancelFn | None = None, preview: bool = False,
             preview_long_side: int = PREVIEW_LONG_SIDE, strength: float = 1.0,
             in_place: bool = False, finish_later: bool = False) -> np.ndarray | Callable[[], np.ndarray]:
    """Colourise H x W x 3 sRGB ``pixels`` (uint8, uint16 or float 0..1); returns the same dtype.

    The result has the input's size, or with ``preview=True`` at most ``preview_long_side`` px on the long
    side (fast: for live display). ``progress(fraction)`` is called as work proceeds; ``cancel()`` is polled
    and raises ``Cancelled``. ``hints`` are point ``Hint``s (normalised coordinates) and/or ``RegionHint``s
    (a painted mask recoloured to one chroma). ``strength`` scales the predicted colour (see ``predict_ab``).
    ``in_place=True`` writes the full-resolution result into ``pixels`` itself and returns it (a batch that
    reads each photo for this call alone saves a whole image of memory: 72 MB at 24 MP); ignored with
    ``preview``. A cancelled in-place call leaves ``pixels`` partly colourised. ``finish_later=True`` stops
    after the working-size part and returns ``finish()``, which makes the full-resolution result; it calls
    neither ``progress`` nor ``cancel``, so it may run on another thread (the batch's writer does).
    """
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 pixels, got shape {pixels.shape}")
    if cancel is not None and cancel():
        raise Cancelled()
    src = pixels
    if preview and max(pixels.shape[:2]) > preview_long_side:
        s = preview_long_side / max(pixels.shape[:2])
        src = _resize(pixels, (max(1, round(pixels.shape[0] * s)), max(1, round(pixels.shape[1] * s))))
    A, B = guided_ab(src, model, hints, strength=strength, cancel=cancel)
    if progress is not None:
        progress(0.3)
    out = pixels if in_place and src is pixels and pixels.flags.writeable else None
    if finish_later:
        return functools.partial(apply_coefficients, src, A, B, src.dtype, out=out)
    return apply_coefficients(src, A, B, src.dtype, progress, cancel, p0=0.3, p1=1.0, out=out)


def guided_ab(pixels: np.ndarray, model, hints: list[Hint | RegionHint] | None = None, *, strength: float = 1.0,
              cancel: CancelFn | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The working-size part of :func:`colorize`: the network, hints and strength, and the guided filter's fit.
    Returns its coefficients (A, B); ``apply_coefficients(pixels, A, B, pixels.dtype)`` makes the result (a
    batch finishes one photo that way on a helper thread while the network works on the next)."""
    ab, L = predict_ab(pixels, model, hints, strength)
    if cancel is not None and cancel():
        raise Cancelled()
    return guided_coefficients(ab, L)
