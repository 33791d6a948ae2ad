"""restorer.core.tone: toned scans are not colour references, real colour photos are."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from restorer.core.color import lab_to_rgb
from restorer.core.tone import hue_spread, is_colour_reference, tone_of

BW = Path(__file__).resolve().parents[3] / "shared" / "data" / "bw"


def _scene(h: int = 300, w: int = 400) -> np.ndarray:
    """A gray 'photo' with structure: a lightness ramp plus blobs (L in about 10..95)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    L = 50 + 30 * np.sin(x / 37.0) * np.cos(y / 23.0) + 15 * (x / w - 0.5)
    return np.clip(L, 5, 95)


def _to_uint8(lab: np.ndarray) -> np.ndarray:
    return np.round(lab_to_rgb(lab.astype(np.float32)) * 255).astype(np.uint8)


def sepia(noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A sepia print: the chroma follows the lightness along one hue (strongest in the mid-tones)."""
    L = _scene()
    c = 22 * np.sin(np.pi * L / 100.0)  # no tint in the white paper or the deepest shadows
    hue = np.deg2rad(75.0)
    lab = np.stack([L, c * np.cos(hue), c * np.sin(hue)], axis=-1)
    if noise:
        lab[..., 1:] += np.random.default_rng(seed).normal(0, noise, lab[..., 1:].shape)
    return _to_uint8(lab)


def colour_photo() -> np.ndarray:
    """Several hues at the same lightness: a blue sky band, green and red patches, a skin-coloured blob."""
    L = _scene()
    h, w = L.shape
    a = np.zeros_like(L)
    b = np.zeros_like(L)
    b[: h // 3] = -30  # sky
    a[h // 3:, : w // 2], b[h // 3:, : w // 2] = -35, 30  # foliage
    a[h // 3:, w // 2:], b[h // 3:, w // 2:] = 40, 25  # a red wall
    return _to_uint8(np.stack([L, a, b], axis=-1))


def test_gray_toned_and_colour_are_told_apart():
    gray = np.repeat(_scene()[..., None], 3, axis=2).astype(np.uint8)
    assert tone_of(gray) == "gray"
    assert tone_of(sepia()) == "toned"
    assert tone_of(colour_photo()) == "colour"
    assert is_colour_reference(colour_photo()) and not is_colour_reference(sepia())
    assert not is_colour_reference(gray)


def test_chroma_noise_of_a_grainy_toned_scan_is_not_colour():
    # a 2000 px scan with per-pixel chroma noise (film grain, JPEG): averaged out before the spread is measured
    big = np.kron(sepia(), np.ones((5, 5, 1), dtype=np.uint8))
    rng = np.random.default_rng(1)
    noisy = np.clip(big.astype(np.int16) + rng.integers(-6, 7, big.shape), 0, 255).astype(np.uint8)
    assert tone_of(noisy) == "toned"


def test_split_toning_is_still_one_axis():
    # warm highlights, cool shadows: two hues, but both tied to the lightness along one line through gray
    L = _scene()
    t = (L - 50) / 50
    lab = np.stack([L, 12 * t, 20 * t], axis=-1)
    assert tone_of(_to_uint8(lab)) == "toned"


def test_uint16_float_and_transparent_pixels():
    c = colour_photo()
    assert tone_of(c.astype(np.uint16) * 257) == "colour"
    assert tone_of(c.astype(np.float32) / 255) == "colour"
    # the colour sits only under fully transparent pixels: what the user sees is a toned print
    toned = sepia()
    mixed = toned.copy()
    mixed[:, 200:] = c[:, 200:]
    alpha = np.full(mixed.shape[:2], 255, np.uint8)
    alpha[:, 200:] = 0
    assert tone_of(mixed) == "colour" and tone_of(mixed, alpha) == "toned"
    assert tone_of(mixed, np.zeros_like(alpha)) == "gray"  # nothing visible


def test_hue_spread_of_a_line_is_zero():
    t = np.linspace(0, 20, 50)
    assert hue_spread(np.stack([t * 0.6, t * 0.8], axis=1)) < 1e-6
    assert hue_spread(np.zeros((1, 2))) == 0.0


@pytest.mark.parametrize("name", ["deoldify_1890sShoeShopOhio.jpg", "deoldify_HoovervilleSeattle1932.jpg"])
def test_the_toned_scans_named_in_issue_26(name):
    path = BW / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    from restorer.core.io import read_image

    img = read_image(path)
    assert img.was_color  # they do carry chroma ...
    assert tone_of(img.pixels, img.alpha) == "toned"  # ... of one hue: no ground truth
