"""restorer.core.metrics and restorer.core.lpips: agreement with scikit-image and the metrics' basic laws."""
from __future__ import annotations

import math

import numpy as np
import pytest

from restorer.core import metrics
from restorer.paths import backbones_dir

skimage_metrics = pytest.importorskip("skimage.metrics")


def _structured(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth colour gradient with a few hard-edged rectangles: more photo-like than white noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([255 * x / w, 255 * y / h, 128 + 100 * np.sin(x / 7.0 + y / 11.0)], axis=-1)
    for _ in range(4):
        y0, x0 = rng.integers(0, h // 2), rng.integers(0, w // 2)
        img[y0:y0 + h // 3, x0:x0 + w // 3] = rng.integers(0, 256, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def _pairs():
    rng = np.random.default_rng(1)
    noise_a = rng.integers(0, 256, (40, 53, 3), dtype=np.uint8)
    noise_b = rng.integers(0, 256, (40, 53, 3), dtype=np.uint8)
    s = _structured(64, 80, 2)
    s_noisy = np.clip(s.astype(int) + rng.integers(-20, 21, s.shape), 0, 255).astype(np.uint8)
    s_shifted = np.roll(s, 3, axis=1)
    return [(noise_a, noise_b), (s_noisy, s), (s_shifted, s), (_structured(11, 17, 3), _structured(11, 17, 4))]


@pytest.mark.parametrize("pair", range(4))
def test_psnr_matches_skimage(pair: int) -> None:
    pred, gt = _pairs()[pair]
    ref = skimage_metrics.peak_signal_noise_ratio(gt, pred, data_range=255)
    assert metrics.psnr(pred, gt) == pytest.approx(ref, abs=1e-3)


@pytest.mark.parametrize("pair", range(4))
def test_ssim_matches_skimage(pair: int) -> None:
    pred, gt = _pairs()[pair]
    ref = skimage_metrics.structural_similarity(
        pred, gt, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert metrics.ssim(pred, gt) == pytest.approx(ref, abs=1e-3)


def test_psnr_ssim_identical_and_errors() -> None:
    img = _structured(32, 32, 5)
    assert metrics.psnr(img, img) == math.inf
    assert metrics.ssim(img, img) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError):
        metrics.psnr(img, img[:, :-1])
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(img[:8, :8], img[:8, :8])


def test_colourfulness_gray_is_zero_and_vivid_is_large() -> None:
    gray = np.repeat(_structured(32, 32, 6)[..., :1], 3, axis=2)
    assert metrics.colourfulness(gray) == pytest.approx(0.0, abs=1e-9)
    vivid = np.zeros((32, 32, 3), np.uint8)
    vivid[:, :16] = (255, 0, 0)
    vivid[:, 16:] = (0, 0, 255)
    # Half pure red, half pure blue: std_rg = 127.5, std_yb = 191.25, mean_rg = 127.5, mean_yb = -63.75.
    expected = math.hypot(127.5, 191.25) + 0.3 * math.hypot(127.5, -63.75)
    assert metrics.colourfulness(vivid) == pytest.approx(expected, rel=1e-9)
    assert metrics.colourfulness(vivid) > 100  # "extremely colourful" on Hasler & Süsstrunk's scale
    # The same picture as float [0, 1] and uint16 gives the same number.
    assert metrics.colourfulness(vivid.astype(np.float32) / 255) == pytest.approx(expected, rel=1e-6)
    assert metrics.colourfulness(vivid.astype(np.uint16) * 257) == pytest.approx(expected, rel=1e-9)


def test_ab_histograms_are_normalised_and_gray_is_at_zero() -> None:
    img = _structured(24, 30, 7)
    ha, hb = metrics.ab_histograms(img, bins=44)
    assert ha.shape == hb.shape == (44,)
    assert ha.sum() == pytest.approx(1.0) and hb.sum() == pytest.approx(1.0)
    counts_a, _ = metrics.ab_histograms(img, bins=44, normalize=False)
    assert counts_a.sum() == 24 * 30
    gray = np.full((8, 8, 3), 120, np.uint8)
    ga, gb = metrics.ab_histograms(gray, bins=44)  # a = b = 0 lies in the bin starting at 0
    assert ga[22] == pytest.approx(1.0) and gb[22] == pytest.approx(1.0)
    lh = metrics.l_histogram(gray)
    assert lh.sum() == pytest.approx(1.0) and lh.max() == pytest.approx(1.0)
    # A float Lab array is taken as Lab, so the same image gives the same histograms.
    la, lb = metrics.ab_histograms(metrics.to_lab(img), bins=44)
    np.testing.assert_allclose(la, ha)
    np.testing.assert_allclose(lb, hb)


def test_js_divergence_laws() -> None:
    rng = np.random.default_rng(8)
    p, q = rng.random(50), rng.random(50)
    assert metrics.js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert metrics.js_divergence(p, q) == pytest.approx(metrics.js_divergence(q, p), abs=1e-12)
    assert metrics.js_divergence(p, q) > 0
    # Disjoint supports reach the ln 2 bound (in nats) but never exceed it.
    a = np.array([1.0, 0.0, 0.0, 0.0])
    b = np.array([0.0, 0.0, 0.0, 1.0])
    assert metrics.js_divergence(a, b) == pytest.approx(math.log(2), abs=1e-6)
    assert metrics.js_divergence(a, b) <= math.log(2)
    # Counts and probabilities give the same answer.
    assert metrics.js_divergence(10 * p, q) == pytest.approx(metrics.js_divergence(p, q), abs=1e-9)


def test_kl_divergence_laws() -> None:
    rng = np.random.default_rng(9)
    p, q = rng.random(50), rng.random(50)
    assert metrics.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert metrics.kl_divergence(p, q) > 0
    # KL(gt || pred) is large when the prediction lacks the ground truth's colours, but finite (eps smoothing).
    gt = np.array([0.5, 0.5, 0.0])
    washed_out = np.array([1.0, 0.0, 0.0])
    kl = metrics.kl_divergence(gt, washed_out)
    assert math.isfinite(kl) and kl > 5
    assert metrics.kl_divergence(washed_out, gt) < kl  # asymmetric, as documented
    with pytest.raises(ValueError):
        metrics.kl_divergence(p, q[:-1])


# ------------------------------------------------------------------------------------------------- LPIPS
_VGG = backbones_dir() / "vgg16_features.safetensors"
_LIN = backbones_dir() / "lpips_vgg_lin.safetensors"


@pytest.mark.skipif(not (_VGG.is_file() and _LIN.is_file()),
                    reason=f"LPIPS weights absent: needs {_VGG.name} and {_LIN.name} in {backbones_dir()}")
def test_lpips_orders_distortions() -> None:
    import torch

    from restorer.core.lpips import LPIPS, load_vgg16_features

    torch.manual_seed(0)
    model = LPIPS()
    img = _structured(64, 64, 10)
    rng = np.random.default_rng(11)
    slightly_noisy = np.clip(img.astype(int) + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
    different = _structured(64, 64, 12)[:, ::-1].copy()
    d_same = model.distance(img, img)
    d_noisy = model.distance(slightly_noisy, img)
    d_diff = model.distance(different, img)
    assert d_same == pytest.approx(0.0, abs=1e-7)
    assert 0 < d_noisy < d_diff
    # Batched forward on [0, 1] inputs agrees with the uint8 helper, and the trunk is frozen float32.
    t = torch.from_numpy(np.stack([slightly_noisy, img])).permute(0, 3, 1, 2).float() / 255
    batched = model(t[:1], t[1:], normalize=True)
    assert batched.shape == (1,)
    assert float(batched[0]) == pytest.approx(d_noisy, rel=1e-5)
    trunk = load_vgg16_features()
    assert len(trunk) == 31 and not trunk.training
    assert all(not p.requires_grad and p.dtype == torch.float32 for p in trunk.parameters())


def test_set_score_pools_pixels_and_averages_photos() -> None:
    gray = np.full((8, 8, 3), 128, np.uint8)
    blue = gray.copy()
    blue[..., 2] = 230  # loud blue where the truth is gray
    half = gray.copy()
    half[:2, :, 2] = 230  # a quarter of this photo painted blue
    one, two = metrics.score_photo(blue, gray), metrics.score_photo(half, gray)
    assert one.psnr < two.psnr
    assert metrics.false_colour_shares(one.false_counts)[0] == 1.0
    scores = metrics.SetScore()
    for s in (one, two):
        scores.add(s)
    out = scores.summary(truth_colourfulness=10.0, truth_hists=metrics.ab_histograms(np.vstack([gray, gray]),
                                                                                     normalize=False))
    assert out["psnr"] == pytest.approx((one.psnr + two.psnr) / 2)
    assert out["colourfulness_ratio"] == pytest.approx((one.colourfulness + two.colourfulness) / 2 / 10.0)
    assert out["false_colour"] == pytest.approx((64 + 16) / 128)  # pooled over pixels, not 0.625 per photo
    assert out["hue_error"] is None  # nothing is truly chromatic
    assert out["js_a"] == pytest.approx(metrics.js_divergence(one.hist_a + two.hist_a,
                                                              metrics.ab_histograms(gray, normalize=False)[0]))
    assert out["js_b"] > 0
    # Weights move the photo means (a selection weighted by source) but not the pixel-pooled measures.
    weighted = scores.summary(truth_colourfulness=10.0, weights=np.array([3.0, 1.0]))
    assert weighted["psnr"] == pytest.approx((3 * one.psnr + two.psnr) / 4)
    assert weighted["colourfulness"] == pytest.approx((3 * one.colourfulness + two.colourfulness) / 4)
    assert weighted["false_colour"] == out["false_colour"]
