"""The pieces of the desktop bundle that can be checked without building it: where resources are looked for,
how the frozen launcher reads its arguments, the icons, the Linux desktop entry."""
from __future__ import annotations

import configparser
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_resources_dir_order(tmp_path, monkeypatch):
    from restorer import paths

    monkeypatch.delenv("RESTORER_RESOURCES", raising=False)
    # In the checkout (or an editable install) the package folder has no resources/: the top-level one serves.
    assert paths.resources_dir() == ROOT / "resources"
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert paths.resources_dir() == tmp_path / "bundle" / "resources"
    monkeypatch.setenv("RESTORER_RESOURCES", str(tmp_path / "mine"))
    assert paths.resources_dir() == tmp_path / "mine"
    assert paths.sample_photo() == tmp_path / "mine" / "sample" / "sample.jpg"


@pytest.mark.parametrize("argv, expected", [
    ([], ["gui"]),
    (["photo.jpg", "scans"], ["gui", "photo.jpg", "scans"]),
    (["-psn_0_12345"], ["gui"]),
    (["colorize", "a.jpg", "-o", "out"], ["colorize", "a.jpg", "-o", "out"]),
    (["train", "--data", "d"], ["train", "--data", "d"]),
    (["--selftest"], ["--selftest"]),
    (["--version"], ["--version"]),
])
def test_frozen_launcher_arguments(argv, expected):
    launch = _load("restorer_launch", ROOT / "packaging" / "launch.py")
    assert launch.app_argv(argv) == expected


def test_icons_are_made_from_the_png(tmp_path):
    from PIL import Image

    make_icons = _load("restorer_make_icons", ROOT / "packaging" / "make_icons.py")
    with Image.open(ROOT / "resources" / "icons" / "restorer.png") as png:
        assert png.size == (512, 512) and png.mode == "RGBA"
    ico, icns = make_icons.make_icons(out_dir=tmp_path)
    with Image.open(ico) as im:
        assert im.format == "ICO" and (256, 256) in im.info["sizes"] and (16, 16) in im.info["sizes"]
    with Image.open(icns) as im:
        assert im.format == "ICNS" and (512, 512, 2) in im.info["sizes"]


def test_linux_desktop_entry():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "linux" / "restorer.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Terminal"] == "false"
    assert d["Exec"].split()[-1] == "%F"  # several photos at once, as `restorer gui FILES...` takes them
    assert "image/tiff" in d["MimeType"].split(";")

