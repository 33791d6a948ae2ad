"""Edge-aware hint propagation (restorer.core.propagate) through the whole engine."""
import numpy as np
import pytest

from restorer.core.color import lab_to_rgb, rgb_to_lab, to_float
from restorer.core.hints import Hint, propagate
from restorer.core.propagate import MU, SIGMA_CAP, SIGMA_FLOOR, laplacian, solve, spread


def _two_objects(h=96, w=160, l_left=35.0, l_right=80.0):
    """Lab ground truth: a left object and a right object of different lightness and colour."""
    lab = np.zeros((h, w, 3), np.float32)
    lab[:, : w // 2] = (l_left, 25.0, 30.0)
    lab[:, w // 2:] = (l_right, -20.0, -25.0)
    return lab


def _gray(lab):
    g = lab.copy()
    g[..., 1:] = 0
    return (np.clip(lab_to_rgb(g), 0, 1) * 255 + 0.5).astype(np.uint8)


def _ab(rgb_uint8):
    return rgb_to_lab(to_float(rgb_uint8))[..., 1:]


def test_laplacian_rows_sum_to_zero_and_is_symmetric():
    L = np.random.default_rng(0).uniform(0, 100, (13, 17)).astype(np.float32)
    A, deg = laplacian(L)
    assert abs(A - A.T).max() < 1e-12
    assert np.abs(np.asarray(A.sum(axis=1)).ravel()).max() < 1e-9
    assert np.all(deg >= 0) and np.allclose(A.diagonal(), deg)


def test_solve_holds_fixed_pixels_and_matches_the_direct_solution():
    import scipy.sparse.linalg as spl

    from restorer.core.propagate import _system

    rng = np.random.default_rng(1)
    L = np.clip(50 + 3 * rng.standard_normal((90, 130)), 0, 100).astype(np.float32)
    fixed = np.zeros(L.shape, bool)
    fixed[20:23, 30:33] = fixed[60, 100] = True
    d = np.zeros((2, *L.shape), np.float32)
    d[0][fixed], d[1][fixed] = 12.0, -7.0
    x = solve(L, d, fixed)
    A, b, _ = _system(L, d, fixed, MU, SIGMA_FLOOR, SIGMA_CAP)
    exact = spl.splu(A.tocsc()).solve(b).T.reshape(2, *L.shape)
    assert np.all(x[0][fixed] == 12.0) and np.all(x[1][fixed] == -7.0)
    assert np.abs(x - exact).mean() < 1.0  # the cascade approximates the minimiser (it is its own fixed operator)


def test_hint_does_not_cross_a_strong_edge():
    L = np.full((64, 120), 30.0, np.float32)
    L[:, 60:] = 80.0
    pred = np.zeros((2, 64, 120), np.float32)
    out = propagate(pred, L, [Hint(0.25, 0.5, (40.0, -20.0))])
    assert out[0, 32, 30] == 40.0 and out[1, 32, 30] == -20.0  # held at the hint
    assert out[0, 32, 55] > 20  # same object, 25 px away: strongly corrected
    assert np.abs(out[:, :, 62:]).max() < 1.0  # the other object: untouched


def test_spread_without_fixed_pixels_returns_the_prediction():
    pred = np.ones((2, 8, 8), np.float32)
    assert spread(pred, np.zeros((8, 8), np.float32), pred, np.zeros((8, 8), bool)) is pred


@pytest.mark.parametrize("strength", [0.0, 0.5, 1.0, 2.0])
def test_hint_keeps_its_chroma_at_its_patch_at_any_strength(tiny_model_dir, strength):
    from restorer.core.engine import colorize
    from restorer.core.models import load_model

    model = load_model("tiny-test", device="cpu")
    lab = _two_objects()
    hint = Hint(0.25, 0.5, (18.0, -30.0), radius=0.02)
    out = _ab(colorize(_gray(lab), model, hints=[hint], strength=strength))
    cy, cx, r = hint.pixel(*lab.shape[:2])
    patch = out[cy - r:cy + r + 1, cx - r:cx + r + 1].reshape(-1, 2).mean(axis=0)
    assert np.linalg.norm(patch - np.array(hint.ab)) < 2.0


def test_true_colour_hint_never_makes_its_neighbourhood_worse(tiny_model_dir):
    from restorer.core.engine import colorize
    from restorer.core.models import load_model

    model = load_model("tiny-test", device="cpu")
    lab = _two_objects()
    gray = _gray(lab)
    truth = lab[..., 1:]
    hint = Hint(0.3, 0.4, (25.0, 30.0), radius=0.02)  # the left object's true colour
    before = np.linalg.norm(_ab(colorize(gray, model)) - truth, axis=-1)
    after = np.linalg.norm(_ab(colorize(gray, model, hints=[hint])) - truth, axis=-1)
    cy, cx, _ = hint.pixel(*gray.shape[:2])
    win = (slice(cy - 30, cy + 30), slice(max(0, cx - 45), cx + 45))  # spans the edge into the right object
    assert np.all(after[win] <= before[win] + 0.5)
    left = (win[0], slice(win[1].start, gray.shape[1] // 2))  # the hinted object's part of the window
    assert after[left].mean() < 0.5 * before[left].mean()


def test_hint_leaves_a_differently_lit_object_alone(tiny_model_dir):
    from restorer.core.engine import colorize
    from restorer.core.models import load_model

    model = load_model("tiny-test", device="cpu")
    gray = _gray(_two_objects())
    base = _ab(colorize(gray, model))
    hinted = _ab(colorize(gray, model, hints=[Hint(0.25, 0.5, (60.0, 40.0), radius=0.02)]))
    w = gray.shape[1]
    assert np.abs(hinted[:, w // 2 + 4:] - base[:, w // 2 + 4:]).max() < 1.5
    assert np.abs(hinted[:, : w // 2 - 4, 0] - base[:, : w // 2 - 4, 0]).mean() > 20  # a: 27 -> 60


def _held(h, w, y, x, r=3):
    fixed = np.zeros((h, w), bool)
    fixed[y - r:y + r + 1, x - r:x + r + 1] = True
    return fixed


def test_a_hint_scales_a_muted_colour_and_leaves_the_neutral_part_of_the_same_object_neutral():
    """One object (flat L): the network made its left half a muted orange and its right half gray. A vivid
    orange hint on the left makes the whole left half vivid (a gain, not a shift) and keeps the right half gray;
    an additive correction alone would have tinted the gray half by the same ab."""
    h, w = 48, 96
    L = np.full((h, w), 50.0, np.float32)
    ab = np.zeros((2, h, w), np.float32)
    ab[0, :, : w // 2], ab[1, :, : w // 2] = 12.0, 16.0  # chroma 20: muted
    fixed = _held(h, w, 24, 12)
    target = np.zeros_like(ab)
    target[0][fixed], target[1][fixed] = 24.0, 32.0  # the same hue, twice the chroma
    out = spread(ab, L, target, fixed)
    assert np.allclose(out[:, fixed], target[:, fixed], atol=1e-3)  # the hint's patch is exactly the hint
    far_left = out[:, :, 36:44]
    assert np.abs(far_left[0] - 24.0).max() < 2.5 and np.abs(far_left[1] - 32.0).max() < 3.0
    gray_half = out[:, :, w // 2 + 4:]
    assert np.hypot(gray_half[0], gray_half[1]).max() < 4.0


def test_a_hints_gain_does_not_cross_a_strong_edge():
    h, w = 48, 96
    L = np.full((h, w), 30.0, np.float32)
    L[:, w // 2:] = 80.0
    ab = np.zeros((2, h, w), np.float32)
    ab[0], ab[1] = 12.0, 16.0  # both objects the same muted colour
    fixed = _held(h, w, 24, 12)
    target = np.zeros_like(ab)
    target[0][fixed], target[1][fixed] = 24.0, 32.0
    out = spread(ab, L, target, fixed)
    beyond = out[:, :, w // 2 + 2:]
    assert np.abs(beyond[0] - 12.0).max() < 1.0 and np.abs(beyond[1] - 16.0).max() < 1.0


def test_a_hint_of_another_hue_does_not_amplify_the_wrong_colour():
    h, w = 32, 64
    L = np.full((h, w), 50.0, np.float32)
    ab = np.zeros((2, h, w), np.float32)
    ab[0], ab[1] = 30.0, 0.0  # the network says red
    fixed = _held(h, w, 16, 32)
    target = np.zeros_like(ab)
    target[1][fixed] = -30.0  # the hint says blue: orthogonal in ab, so the gain drops to 0 (clipped), not below
    out = spread(ab, L, target, fixed)
    assert np.allclose(out[:, fixed], target[:, fixed], atol=1e-3)
    assert np.abs(out[0]).max() < 30.0 + 1e-3 and out[0].min() > -1.0  # red never grows nor turns green
