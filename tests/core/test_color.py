import numpy as np
import pytest
import torch

from restorer.lab import from_float, lab_to_rgb, lab_to_rgb_t, luminance, rgb_to_lab, rgb_to_lab_t, to_float


@pytest.fixture(scope="module")
def colours() -> np.ndarray:
    return np.random.default_rng(0).random((100_000, 1, 3)).astype(np.float32)


def _delta_e(a, b):
    return np.sqrt(((a - b) ** 2).sum(-1))


def test_lab_agrees_with_skimage(colours):
    skcolor = pytest.importorskip("skimage.color")
    ref = skcolor.rgb2lab(colours.astype(np.float64))
    assert _delta_e(rgb_to_lab(colours), ref).max() < 0.5


def test_lab_agrees_with_opencv(colours):
    import cv2

    ref = cv2.cvtColor(colours, cv2.COLOR_RGB2Lab)
    d = _delta_e(rgb_to_lab(colours), ref)
    # OpenCV's float path uses a tabulated cube root, so a few colours are off by up to ~0.7 dE;
    # skimage (exact) is the 0.5 dE reference above.
    assert np.percentile(d, 99.9) < 0.5 and d.max() < 1.0


def test_round_trip_within_one_level(colours):
    back = lab_to_rgb(rgb_to_lab(colours))
    assert np.abs(back - colours).max() < 1 / 255
    u8 = (colours * 255).round().astype(np.uint8)
    assert np.array_equal(from_float(lab_to_rgb(rgb_to_lab(to_float(u8))), np.uint8), u8)


def test_torch_matches_numpy(colours):
    t = torch.from_numpy(colours).permute(2, 0, 1)[None]
    lab_t = rgb_to_lab_t(t)[0].permute(1, 2, 0).numpy()
    assert _delta_e(lab_t, rgb_to_lab(colours)).max() < 0.05
    back = lab_to_rgb_t(rgb_to_lab_t(t))[0].permute(1, 2, 0).numpy()
    assert np.abs(back - colours).max() < 1 / 255


def test_gray_has_no_chroma_and_luminance_matches():
    g = np.linspace(0, 1, 256, dtype=np.float32)
    gray = np.repeat(g[None, :, None], 3, axis=2)
    lab = rgb_to_lab(gray)
    assert np.abs(lab[..., 1:]).max() < 1e-3
    assert np.abs(luminance(gray) - lab[..., 0]).max() < 1e-3
    assert lab[0, 0, 0] == pytest.approx(0, abs=1e-4) and lab[0, -1, 0] == pytest.approx(100, abs=1e-3)


def test_sixteen_bit_conversions():
    u16 = np.array([[[0, 32768, 65535]]], dtype=np.uint16)
    assert np.array_equal(from_float(to_float(u16), np.uint16), u16)


def test_gray_srgb_is_the_achromatic_case_of_lab_to_rgb():
    from restorer.lab import gray_srgb_t

    L = torch.linspace(0, 100, 1001).view(1, 1, 1, -1)
    full = lab_to_rgb_t(torch.cat([L, torch.zeros_like(L), torch.zeros_like(L)], 1))
    gray = gray_srgb_t(L)
    assert torch.allclose(full, gray.expand_as(full), atol=1e-5)
    assert gray[0, 0, 0, 0] == 0 and gray[0, 0, 0, -1] == pytest.approx(1.0, abs=1e-6)


def test_core_color_is_the_lab_module_not_a_copy():
    import restorer.core.color as color
    import restorer.lab as lab

    for name in ("L_CENT", "L_NORM", "AB_NORM", "rgb_to_lab", "lab_to_rgb", "rgb_to_lab_t", "lab_to_rgb_t",
                 "luminance", "to_float", "from_float"):
        assert getattr(color, name) is getattr(lab, name), name
