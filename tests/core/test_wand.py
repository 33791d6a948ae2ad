import numpy as np

from restorer.core.wand import magic_wand


def _scene():
    y, x = np.mgrid[0:120, 0:160]
    g = (90 + 0.3 * x).astype(np.float32)  # soft shading across the background
    coat = (x > 40) & (x < 100) & (y > 20) & (y < 100)
    g[coat] = 190 + 0.2 * y[coat]  # a lighter coat, softly shaded too
    return np.clip(g + np.random.default_rng(0).normal(0, 1.5, g.shape), 0, 255).astype(np.uint8), coat


def test_one_stroke_selects_the_coat_and_stops_at_its_outline():
    gray, coat = _scene()
    stroke = np.zeros_like(coat)
    stroke[55:58, 60:80] = True  # a short drag inside the coat
    mask = magic_wand(gray, stroke) > 0
    assert (mask & coat).sum() > 0.95 * coat.sum()
    assert (mask & ~coat).sum() < 0.03 * coat.sum()


def test_empty_stroke_selects_nothing():
    gray, coat = _scene()
    assert not magic_wand(gray, np.zeros_like(coat)).any()
