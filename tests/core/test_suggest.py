import numpy as np

from restorer.core.color import lab_to_rgb, rgb_to_lab
from restorer.core.suggest import MIN_DISTANCE, suggest


def _img(a, b, L=60.0):
    lab = np.zeros((40, 60, 3), np.float32)
    lab[...] = (L, a, b)
    lab[:, 30:] = (L, -20.0, 30.0)  # a green neighbour
    return (lab_to_rgb(lab) * 255 + 0.5).astype(np.uint8)


def test_model_colour_first_then_distinct_alternatives():
    current, other = _img(30.0, 20.0), _img(-5.0, -35.0)
    got = suggest(current, [other], 0.45, 0.5)  # near the edge of the green neighbour
    assert len(got) >= 5
    ab = rgb_to_lab(np.array([got], np.float32))[0, :, 1:]
    assert np.linalg.norm(ab[0] - [30, 20]) < 3  # the model's colour at the point
    assert np.linalg.norm(ab[1] - [-5, -35]) < 3  # the other model's colour there
    assert any(np.linalg.norm(c - [-20, 30]) < 4 for c in ab)  # the neighbour's colour
    d = np.linalg.norm(ab[:, None] - ab[None], axis=-1) + np.eye(len(ab)) * 99
    assert d.min() >= MIN_DISTANCE - 1.5  # no near-duplicates (rounding to 8 bits moves them a little)
