import numpy as np

from restorer.core.hints import Hint, propagate, rasterize, sample_hints_from_image


def test_rasterize_places_patch_and_mask():
    h = Hint(0.5, 0.25, (20.0, -30.0), radius=0.05)
    ab, mask = rasterize([h], 40, 80)
    ys, xs = np.nonzero(mask[0])
    assert mask.sum() == 25  # radius 0.05 * 40 = 2 px -> 5 x 5 patch
    assert ys.mean() == 10 and xs.mean() == 40
    assert np.all(ab[0][mask[0] > 0] == 20) and np.all(ab[1][mask[0] > 0] == -30)


def test_propagation_is_edge_aware():
    L = np.full((40, 80), 30.0, np.float32)
    L[:, 40:] = 80.0  # a hard edge down the middle
    pred = np.zeros((2, 40, 80), np.float32)
    out = propagate(pred, L, [Hint(0.25, 0.5, (40.0, 0.0))])
    assert out[0, 20, 20] == 40.0  # at the hint
    assert out[0, 20, 29] > 20  # same side of the edge, nearby: strongly corrected
    assert out[0, 20, 45] < 1  # across the edge: untouched


def test_sample_hints_reads_true_colour():
    rgb = np.zeros((50, 50, 3), np.uint8)
    rgb[..., 0] = 200  # uniformly red
    hints = sample_hints_from_image(rgb, 10, np.random.default_rng(0))
    assert len(hints) == 10
    for h in hints:
        assert 0 <= h.x <= 1 and 0 <= h.y <= 1 and h.ab[0] > 40


def test_from_rgb_gray_has_no_chroma():
    h = Hint.from_rgb(0.1, 0.1, (0.5, 0.5, 0.5))
    assert abs(h.ab[0]) < 1e-3 and abs(h.ab[1]) < 1e-3


def test_region_hint_recolours_only_its_mask():
    from restorer.core.hints import RegionHint, apply_regions

    ab = np.zeros((2, 40, 60), np.float32)
    mask = np.zeros((20, 30), bool)
    mask[:, :15] = True  # left half, given at a lower resolution than the prediction
    out = apply_regions(ab, [RegionHint.from_rgb(mask, (0.1, 0.2, 0.6))])
    assert out[1, 20, 10] < -30  # blue: strongly negative b on the left
    assert np.all(out[:, :, 40:] == 0)  # the right half is untouched


def test_engine_applies_region_hint(tiny_model_dir):
    from restorer.core.color import rgb_to_lab, to_float
    from restorer.core.engine import colorize
    from restorer.core.hints import RegionHint
    from restorer.core.models import load_model

    gray = np.full((64, 96, 3), 128, np.uint8)
    mask = np.zeros((64, 96), bool)
    mask[10:50, 10:40] = True
    red = RegionHint.from_rgb(mask, (0.8, 0.1, 0.1))
    out = rgb_to_lab(to_float(colorize(gray, load_model("tiny-test", device="cpu"), hints=[red])))
    assert np.linalg.norm(out[30, 25, 1:] - np.array(red.ab)) < 6
    assert np.linalg.norm(out[30, 80, 1:] - np.array(red.ab)) > 20
