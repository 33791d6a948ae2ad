"""The strip loop's fast paths (OpenCV Lab -> RGB, gray-level L table, in-place output) against the plain maths."""
from __future__ import annotations

import numpy as np

from restorer.core import engine
from restorer.core.color import lab_to_rgb, luminance


def test_opencv_lab_to_rgb_is_within_2e4_of_the_numpy_maths():
    rng = np.random.default_rng(0)
    lab = rng.uniform([0, -110, -110], [100, 110, 110], (300, 400, 3)).astype(np.float32)
    fast = engine.lab_to_rgb_fast(lab.copy())
    assert fast.dtype == np.float32 and fast.min() >= 0 and fast.max() <= 1
    assert np.abs(fast - lab_to_rgb(lab)).max() < 2e-4


def test_gray_level_table_matches_luminance():
    for dtype in (np.uint8, np.uint16):
        top = np.iinfo(dtype).max
        g = np.random.default_rng(1).integers(0, top + 1, (50, 70), dtype=dtype)
        rgb = np.repeat(g[..., None], 3, axis=2)
        assert np.abs(engine._gray_luminance_lut(np.dtype(dtype).name)[g] - luminance(rgb)).max() < 1e-4


class _Flat:
    """A stand-in network: constant chroma, so the test is about the full-resolution loop alone."""

    card = type("Card", (), {"working_size": 64, "in_channels": 1, "name": "flat"})()
    device = "cpu"

    def __call__(self, L, ab_hint=None, mask=None):
        import torch

        ab = torch.zeros((L.shape[0], 2, L.shape[2], L.shape[3]))
        ab[:, 0], ab[:, 1] = 20.0, 35.0
        return ab


def test_fast_loop_matches_the_numpy_loop_within_one_level(monkeypatch):
    y, x = np.mgrid[0:300, 0:410]
    gray = ((x * 3 + y * 5) % 230 + 10).astype(np.uint8)
    for pixels in (np.repeat(gray[..., None], 3, axis=2),  # gray: the L table
                   np.stack([gray, gray // 2 + 40, 255 - gray], axis=2)):  # colour: luminance()
        fast = engine.colorize(pixels, _Flat())
        monkeypatch.setattr(engine, "lab_to_rgb_fast", lab_to_rgb)
        monkeypatch.setattr(engine, "_is_gray", lambda p: False)
        slow = engine.colorize(pixels, _Flat())
        monkeypatch.undo()
        d = np.abs(fast.astype(int) - slow.astype(int))
        assert d.max() <= 1 and (d > 0).mean() < 0.01


def test_in_place_gives_the_same_result_in_the_input_array():
    y, x = np.mgrid[0:120, 0:170]
    pixels = np.repeat(((x + 2 * y) % 250).astype(np.uint8)[..., None], 3, axis=2)
    expected = engine.colorize(pixels, _Flat())
    same = pixels.copy()
    out = engine.colorize(same, _Flat(), in_place=True)
    assert out is same and np.array_equal(out, expected)
    preview = pixels.copy()  # a preview is smaller: never in place
    assert engine.colorize(preview, _Flat(), preview=True, in_place=True, preview_long_side=64) is not preview
    assert np.array_equal(preview, pixels)


def test_finish_later_gives_the_same_result_without_callbacks():
    y, x = np.mgrid[0:90, 0:130]
    pixels = np.repeat(((3 * x + y) % 240).astype(np.uint8)[..., None], 3, axis=2)
    expected = engine.colorize(pixels, _Flat())
    calls = []
    finish = engine.colorize(pixels.copy(), _Flat(), progress=calls.append, cancel=lambda: calls.append("c") and False,
                             finish_later=True)
    seen = len(calls)
    assert callable(finish) and np.array_equal(finish(), expected)
    assert len(calls) == seen  # the full-resolution pass polls nothing: it may run on another thread
