"""The engine's promises: luminance untouched, strips equal whole-image, hints honoured, cancel works."""
import numpy as np
import pytest

import restorer.core.engine as engine
from restorer.core.color import luminance, rgb_to_lab, to_float
from restorer.core.hints import Hint
from restorer.core.models import load_model


@pytest.fixture
def model(tiny_model_dir):
    return load_model("tiny-test", device="cpu")


def _photo(h=300, w=420, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 90 + 80 * np.sin(x / 23) * np.cos(y / 31) + rng.normal(0, 6, (h, w))
    g[h // 3: h // 2, w // 4: w // 2] = 230  # a bright block with hard edges
    g = np.clip(g, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def test_output_shape_dtype_and_colour(model):
    src = _photo()
    out = engine.colorize(src, model)
    assert out.shape == src.shape and out.dtype == np.uint8
    chroma = np.hypot(*rgb_to_lab(to_float(out))[..., 1:].transpose(2, 0, 1))
    assert chroma.mean() > 5  # the test net has a known tint: the result is not gray


def test_luminance_is_preserved(model):
    src = _photo()
    out = engine.colorize(src, model)
    dl = np.abs(luminance(out) - luminance(src))
    # Only 8-bit rounding moves L where the colour fits the sRGB gamut; clipped pixels may move more.
    in_gamut = np.all((out > 0) & (out < 255), axis=2)
    assert in_gamut.mean() > 0.5
    assert np.median(dl) < 0.5 and dl[in_gamut].max() < 1.0


def test_strips_equal_whole_image(model, monkeypatch):
    src = _photo(333, 257)
    whole = engine.colorize(src, model)
    monkeypatch.setattr(engine, "STRIP_PIXELS", 257 * 7)  # 7-row strips, odd on purpose
    strips = engine.colorize(src, model)
    assert np.abs(whole.astype(int) - strips.astype(int)).max() <= 1


def test_sixteen_bit_in_sixteen_bit_out(model):
    src = _photo().astype(np.uint16) * 257
    out = engine.colorize(src, model)
    assert out.dtype == np.uint16 and out.shape == src.shape
    assert len(np.unique(out)) > 256  # real 16-bit values, not 8-bit upscaled


def test_preview_is_small_and_fast_path(model):
    src = _photo(900, 1500)
    prev = engine.colorize(src, model, preview=True, preview_long_side=400)
    assert max(prev.shape[:2]) == 400 and prev.shape[2] == 3


def test_working_grid_multiples_of_32():
    for h, w in [(100, 100), (1200, 1600), (4000, 6000), (50, 3000)]:
        th, tw = engine.working_grid(h, w, 256)
        assert th % 32 == 0 and tw % 32 == 0
        assert max(th, tw) <= 256 * 3 + 32


def test_hint_is_honoured_at_its_location(model):
    src = _photo()
    navy = Hint.from_rgb(0.8, 0.8, (0.1, 0.15, 0.5), radius=0.02)
    out = engine.colorize(src, model, hints=[navy])
    lab = rgb_to_lab(to_float(out))
    y, x = int(0.8 * src.shape[0]), int(0.8 * src.shape[1])
    got = lab[y - 2:y + 3, x - 2:x + 3, 1:].reshape(-1, 2).mean(0)
    base = rgb_to_lab(to_float(engine.colorize(src, model)))[y - 2:y + 3, x - 2:x + 3, 1:].reshape(-1, 2).mean(0)
    want = np.array(navy.ab)
    assert np.linalg.norm(got - want) < 0.5 * np.linalg.norm(base - want)


def test_cancel_raises_and_progress_reaches_one(model):
    calls = []
    engine.colorize(_photo(), model, progress=calls.append)
    assert calls and calls[-1] == pytest.approx(1.0) and all(a <= b for a, b in zip(calls, calls[1:]))
    with pytest.raises(engine.Cancelled):
        engine.colorize(_photo(), model, cancel=lambda: True)


def test_already_tinted_scan_keeps_its_lightness(model):
    sepia = _photo().astype(np.float32)
    sepia = np.clip(sepia * np.array([1.0, 0.85, 0.65]), 0, 255).astype(np.uint8)
    out = engine.colorize(sepia, model)
    assert np.median(np.abs(luminance(out) - luminance(sepia))) < 0.5


def _chroma(rgb):
    return np.hypot(*rgb_to_lab(to_float(rgb))[..., 1:].transpose(2, 0, 1))


def test_colour_strength_scales_the_prediction_but_not_the_hints(model):
    src = _photo()
    c1 = _chroma(engine.colorize(src, model)).mean()
    assert _chroma(engine.colorize(src, model, strength=0.0)).max() < 1.5  # gray apart from 8-bit rounding
    assert _chroma(engine.colorize(src, model, strength=0.5)).mean() == pytest.approx(c1 / 2, rel=0.1)
    assert _chroma(engine.colorize(src, model, strength=1.5)).mean() > 1.3 * c1
    # A hint keeps its colour whatever the strength: only the network's own colour is scaled.
    navy = Hint.from_rgb(0.8, 0.8, (0.1, 0.15, 0.5), radius=0.02)
    y, x = int(0.8 * src.shape[0]), int(0.8 * src.shape[1])

    def miss(hints, s):
        lab = rgb_to_lab(to_float(engine.colorize(src, model, hints=hints, strength=s)))
        return np.linalg.norm(lab[y - 1:y + 2, x - 1:x + 2, 1:].reshape(-1, 2).mean(0) - np.array(navy.ab))

    far = miss(None, 1.0)
    for s in (0.0, 1.0, 1.8):
        assert miss([navy], s) < 0.25 * far, s


@pytest.mark.parametrize("bad", [-0.1, 2.5, float("nan"), "lots", None, True])
def test_bad_colour_strength_is_refused(model, bad):
    with pytest.raises(ValueError, match="colour strength"):
        engine.colorize(_photo(60, 60), model, strength=bad)


def test_blend_of_the_working_size_with_itself_is_the_plain_pass(model):
    src = _photo()
    plain, L = engine.network_ab(src, model)
    model.card.blend_sizes = [model.card.working_size]
    blended, L2 = engine.network_ab(src, model)
    np.testing.assert_allclose(blended, plain, atol=1e-5)
    np.testing.assert_array_equal(L2, L)


def test_blend_averages_the_pass_at_another_size(model):
    import cv2

    src = _photo()
    plain, L = engine.network_ab(src, model)
    model.card.working_size = 96
    at96, _ = engine.network_ab(src, model)
    model.card.working_size, model.card.blend_sizes = 64, [96]
    blended, L2 = engine.network_ab(src, model)
    assert blended.shape == plain.shape and L2.shape == L.shape
    up = cv2.resize(at96.transpose(1, 2, 0), plain.shape[:0:-1], interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
    want = (plain + up) / 2
    # The blend's pass shrinks the working-size photo, not the original: close, not identical.
    assert np.abs(blended - want).mean() < 0.1 * np.abs(plain - up).mean()


def test_blend_flip_makes_the_prediction_mirror_symmetric(model):
    src = _photo()
    mirrored = np.ascontiguousarray(src[:, ::-1])
    ab, _ = engine.network_ab(src, model)
    ab_m, _ = engine.network_ab(mirrored, model)
    assert np.abs(ab_m[..., ::-1] - ab).max() > 1e-2  # the untrained net alone is not symmetric
    model.card.blend_flip = True
    ab, _ = engine.network_ab(src, model)
    ab_m, _ = engine.network_ab(mirrored, model)
    np.testing.assert_allclose(ab_m[..., ::-1], ab, atol=1e-4)


def test_hints_are_honoured_through_a_blend(model):
    model.card.blend_sizes, model.card.blend_flip = [96], True
    test_hint_is_honoured_at_its_location(model)
