"""The app icon in every format a bundle needs, from ``resources/icons/restorer.png``.

``python packaging/make_icons.py`` writes ``build/icons/restorer.ico`` (Windows: 16-256 px) and
``restorer.icns`` (macOS: 16-512 px) with Pillow; packaging/build.sh runs it before PyInstaller, so only the
PNG is kept in the repository. ``--from-svg`` first redraws that PNG at 512 px from ``restorer.svg`` with Qt's
SVG renderer (run it after editing the SVG, then commit the PNG).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
PNG_SIZE = 512
ICO_SIZES = [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]  # 256 is the largest a .ico entry can be


def png_from_svg(svg: Path = ICONS / "restorer.svg", png: Path = ICONS / "restorer.png", size: int = PNG_SIZE) -> Path:
    """Render ``svg`` into a ``size`` px square RGBA PNG."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png)):
        raise SystemExit(f"make_icons: could not write {png}")
    return png


def make_icons(png: Path = ICONS / "restorer.png", out_dir: Path = ROOT / "build" / "icons") -> tuple[Path, Path]:
    """Write ``restorer.ico`` and ``restorer.icns`` from ``png`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with Image.open(png) as im:
        im = im.convert("RGBA")
        if im.size[0] != im.size[1] or im.size[0] < 256:
            raise SystemExit(f"make_icons: {png} must be square and at least 256 px, not {im.size[0]}x{im.size[1]}")
        ico, icns = out_dir / "restorer.ico", out_dir / "restorer.icns"
        im.save(ico, sizes=ICO_SIZES)
        # Pillow's ICNS writer makes every size from 16 to 1024 px out of the one image it is given.
        im.resize((PNG_SIZE, PNG_SIZE), Image.Resampling.LANCZOS).save(icns)
    return ico, icns


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--from-svg", action="store_true", help="redraw resources/icons/restorer.png from the SVG first")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "icons", help="folder for the .ico and .icns")
    args = p.parse_args(argv)
    if args.from_svg:
        print(f"wrote {png_from_svg()}")
    for path in make_icons(out_dir=args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
