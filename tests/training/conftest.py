"""Fixtures of the trainer's tests: small generated colour photos."""
import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def colour_folder(tmp_path):
    """12 small colour photos (sky over grass with a red object) plus a gray and a broken file."""
    rng = np.random.default_rng(0)
    d = tmp_path / "photos" / "sub"
    d.mkdir(parents=True)
    for i in range(12):
        img = np.zeros((72, 96, 3), np.uint8)
        horizon = 30 + i
        img[:horizon] = (90 + 5 * i, 150, 230)  # sky
        img[horizon:] = (60, 150 + 3 * i, 50)  # grass
        img[40:60, 20 + i:40 + i] = (200, 30, 30)  # a red thing
        img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(d / f"p{i:02d}.jpg", quality=95)
    Image.fromarray(np.full((40, 40), 128, np.uint8)).save(d / "gray.png")
    (d / "broken.jpg").write_bytes(b"not a jpeg")
    return tmp_path / "photos"
