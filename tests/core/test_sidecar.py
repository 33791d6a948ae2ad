"""Hints saved beside the photo (restorer.core.sidecar) and their use by ``restorer colorize``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorer.cli import main
from restorer.core import sidecar
from restorer.core.batch import find_images
from restorer.core.hints import Hint, RegionHint
from restorer.core.io import read_image


def _photo(folder: Path, name: str = "scan01.png") -> Path:
    y, x = np.mgrid[0:48, 0:64]
    g = ((x * 3 + y * 2) % 180 + 40).astype(np.uint8)
    g[10:30, 8:30] = 200
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    Image.fromarray(np.repeat(g[..., None], 3, axis=2)).save(p)
    return p


def _mask() -> np.ndarray:
    m = np.zeros((24, 32), np.uint8)
    m[4:14, 4:15] = 255
    return m


def test_round_trip_keeps_hints_and_regions_and_never_touches_the_photo(tmp_path):
    photo = _photo(tmp_path)
    before = photo.read_bytes()
    hints = [Hint(0.25, 0.4, (12.0, -30.5), 0.01), Hint(0.9, 0.1, (-5.25, 7.0), 0.03)]
    path = sidecar.write(photo, hints, [(_mask(), (40.0, 25.0), 1.0)])
    assert path == tmp_path / "scan01.png.restorer.json"
    assert (tmp_path / "scan01.png.region0.png").is_file()
    assert photo.read_bytes() == before
    data = json.loads(path.read_text())
    assert data["format"] == "restorer-hints" and data["version"] == 1
    assert data["regions"] == [{"mask": "scan01.png.region0.png", "ab": [40.0, 25.0], "strength": 1.0}]
    got_hints, got_regions = sidecar.read(path)
    assert got_hints == hints
    (mask, ab, strength), = got_regions
    assert np.array_equal(mask, _mask()) and ab == (40.0, 25.0) and strength == 1.0
    with Image.open(tmp_path / "scan01.png.region0.png") as im:
        assert im.mode == "L"


def test_documented_example_and_rgb_alternative_are_read(tmp_path):
    photo = _photo(tmp_path, "scan01.tif.png")
    Image.fromarray(_mask()).save(tmp_path / "m.png")
    sidecar.sidecar_path(photo).write_text(json.dumps({
        "format": "restorer-hints", "version": 1, "extra": "ignored",
        "hints": [{"x": 0.25, "y": 0.40, "ab": [12.0, -30.5], "radius": 0.01},
                  {"x": 0.5, "y": 0.5, "rgb": "#1f3a93"}],
        "regions": [{"mask": "m.png", "rgb": "#c03020", "strength": 0.5}]}))
    core, warning = sidecar.load_for(photo)
    assert warning is None
    assert core[0] == Hint(0.25, 0.40, (12.0, -30.5), 0.01)
    navy = Hint.from_rgb(0, 0, (0x1F / 255, 0x3A / 255, 0x93 / 255))
    assert core[1].ab == navy.ab and core[1].radius == 0.01 and core[1].ab[1] < -30
    assert isinstance(core[2], RegionHint) and core[2].strength == 0.5 and core[2].ab[0] > 30


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"format": "other", "version": 1}', "not a restorer-hints file"),
    ('{"format": "restorer-hints", "version": 7}', "version 7 is not supported"),
    ('{"format": "restorer-hints", "version": 1, "hints": [{"x": 2, "y": 0, "ab": [0, 0]}]}', "hint 1: x"),
    ('{"format": "restorer-hints", "version": 1, "hints": [{"x": 0, "y": 0}]}', "hint 1 needs"),
    ('{"format": "restorer-hints", "version": 1, "regions": [{"mask": "gone.png", "ab": [1, 2]}]}', "not found"),
    ('{"format": "restorer-hints", "version": 1, "regions": [{"mask": "../x.png", "ab": [1, 2]}]}', "beside"),
    ('{"format": "restorer-hints", "version": 1, "variation": "2"}', "\"variation\" must be a whole number"),
    ('{"format": "restorer-hints", "version": 1, "variation": -1}', "\"variation\" must be a whole number"),
    ('{"format": "restorer-hints", "version": 1, "variation": 1.5}', "\"variation\" must be a whole number"),
    ('{"format": "restorer-hints", "version": 1, "variation": true}', "\"variation\" must be a whole number"),
])
def test_malformed_sidecar_is_one_line_naming_the_file_and_left_alone(tmp_path, text, message):
    photo = _photo(tmp_path)
    path = sidecar.sidecar_path(photo)
    path.write_text(text)
    hints, warning = sidecar.load_for(photo)
    assert hints is None
    assert message in warning and path.name in warning and "\n" not in warning
    assert path.read_text() == text


def test_region_masks_are_not_photos_in_a_folder_batch(tmp_path):
    photo = _photo(tmp_path)
    sidecar.write(photo, [], [(_mask(), (1.0, 2.0), 1.0)])
    _photo(tmp_path, "other.region3.png")  # no sidecar of "other": a photo like any other
    names = sorted(p.name for p, _ in find_images([tmp_path]))
    assert names == ["other.region3.png", "scan01.png"]


def _colorize_cli(tiny_model_dir, args):
    return main(["colorize", *args, "--model", "tiny-test", "--device", "cpu"])


def _ab(path: Path) -> np.ndarray:
    from restorer.core.color import rgb_to_lab, to_float

    return rgb_to_lab(to_float(read_image(path).pixels))[..., 1:]


def test_colorize_applies_sidecars_and_no_hints_ignores_them(tiny_model_dir, tmp_path, capsys):
    photo = _photo(tmp_path / "in")
    hint = Hint(0.3, 0.4, (-20.0, -25.0), 0.03)
    sidecar.write(photo, [hint], [])
    assert _colorize_cli(tiny_model_dir, [str(tmp_path / "in"), "-o", str(tmp_path / "with")]) == 0
    assert _colorize_cli(tiny_model_dir, [str(tmp_path / "in"), "-o", str(tmp_path / "without"), "--no-hints"]) == 0
    with_h, without = _ab(tmp_path / "with" / "scan01_colour.png"), _ab(tmp_path / "without" / "scan01_colour.png")
    cy, cx, _ = hint.pixel(*with_h.shape[:2])
    assert np.linalg.norm(with_h[cy, cx] - np.array(hint.ab)) < 3
    assert np.linalg.norm(without[cy, cx] - np.array(hint.ab)) > 20
    assert not (tmp_path / "with" / "scan01.png.region0_colour.png").exists()


def test_hints_file_for_one_input_and_bad_uses(tiny_model_dir, tmp_path, capsys):
    photo = _photo(tmp_path / "in")
    _photo(tmp_path / "in", "b.png")
    hints_file = tmp_path / "h.json"
    hints_file.write_text(json.dumps({"format": "restorer-hints", "version": 1,
                                      "hints": [{"x": 0.3, "y": 0.4, "ab": [-20.0, -25.0], "radius": 0.03}]}))
    assert _colorize_cli(tiny_model_dir, [str(photo), "-o", str(tmp_path / "o"), "--hints", str(hints_file)]) == 0
    assert np.linalg.norm(_ab(tmp_path / "o" / "scan01_colour.png")[19, 19] - np.array([-20.0, -25.0])) < 3
    assert _colorize_cli(tiny_model_dir, [str(tmp_path / "in"), "-o", str(tmp_path / "p"),
                                          "--hints", str(hints_file)]) == 2
    assert "needs exactly one input photo" in capsys.readouterr().err
    assert _colorize_cli(tiny_model_dir, [str(photo), "-o", str(tmp_path / "p"), "--hints", "missing.json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_malformed_sidecar_warns_once_and_the_photo_is_still_coloured(tiny_model_dir, tmp_path, capsys):
    photo = _photo(tmp_path / "in")
    sidecar.sidecar_path(photo).write_text("{broken")
    assert _colorize_cli(tiny_model_dir, [str(tmp_path / "in"), "-o", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: hints ignored: scan01.png.restorer.json: not valid JSON") == 1
    assert (tmp_path / "o" / "scan01_colour.png").is_file()
    assert sidecar.sidecar_path(photo).read_text() == "{broken"


def test_round_trip_keeps_the_chosen_variation_and_omits_none(tmp_path, tiny_variations):
    from restorer.core.variations import Variation

    photo = _photo(tmp_path)
    hint = Hint(0.25, 0.4, (12.0, -30.5), 0.01)
    path = sidecar.write(photo, [hint], [], variation=3)
    assert json.loads(path.read_text())["variation"] == 3
    got = sidecar.read_contents(path)
    assert got.variation == 3 and got.hints == [hint] and sidecar.read(path) == ([hint], [])
    assert sidecar.load_for(photo) == ([hint, Variation(3)], None)
    sidecar.write(photo, [hint], [])
    assert "variation" not in json.loads(path.read_text()) and sidecar.read_contents(path).variation == 0


def test_a_variation_that_cannot_be_applied_warns_and_keeps_the_hints(tmp_path, tiny_variations, monkeypatch):
    import restorer.core.variations as v

    photo = _photo(tmp_path)
    hint = Hint(0.25, 0.4, (12.0, -30.5), 0.01)
    sidecar.write(photo, [hint], [], variation=9)
    hints, warning = sidecar.load_for(photo)
    assert hints == [hint] and "variation 9 not used" in warning and "1..4" in warning and "\n" not in warning
    monkeypatch.setattr(v, "variations_folder", lambda: tmp_path / "none")
    sidecar.write(photo, [hint], [], variation=2)
    hints, warning = sidecar.load_for(photo)
    assert hints == [hint] and "No variations network" in warning and "\n" not in warning


def test_colorize_applies_the_sidecars_variation_and_variation_overrides_it(tiny_model_dir, tiny_variations,
                                                                            tmp_path, capsys):
    photo = _photo(tmp_path / "in")
    bare = _photo(tmp_path / "bare")

    def run(src, out, *extra):
        assert _colorize_cli(tiny_model_dir, [str(src), "-o", str(tmp_path / out), *extra]) == 0
        return read_image(tmp_path / out / "scan01_colour.png").pixels

    sidecar.write(photo, [], [], variation=2)
    from_sidecar = run(tmp_path / "in", "side")  # a folder: the batch path
    assert np.array_equal(from_sidecar, run(bare, "two", "--variation", "2"))
    own = run(bare, "own")
    assert np.abs(from_sidecar.astype(int) - own.astype(int)).mean() > 1
    assert np.array_equal(run(photo, "plain", "--no-hints"), own)
    assert np.array_equal(run(photo, "over", "--variation", "3"), run(bare, "three", "--variation", "3"))
    assert np.array_equal(run(photo, "zero", "--variation", "0"), own)  # an explicit 0 overrides the sidecar too
    assert "warning" not in capsys.readouterr().err


def test_colorize_without_the_variations_network_warns_and_uses_the_models_own(tiny_model_dir, tmp_path, capsys,
                                                                               monkeypatch):
    import restorer.core.variations as v

    monkeypatch.setattr(v, "variations_folder", lambda: tmp_path / "none")
    photo = _photo(tmp_path / "in")
    bare = _photo(tmp_path / "bare")
    sidecar.write(photo, [], [], variation=2)
    assert _colorize_cli(tiny_model_dir, [str(photo), "-o", str(tmp_path / "o")]) == 0
    assert _colorize_cli(tiny_model_dir, [str(bare), "-o", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: scan01.png.restorer.json: variation 2 not used: No variations network") == 1
    assert np.array_equal(read_image(tmp_path / "o" / "scan01_colour.png").pixels,
                          read_image(tmp_path / "b" / "scan01_colour.png").pixels)
