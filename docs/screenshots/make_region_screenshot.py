"""Make ``region.png``: the Region tool with one painted region applied to the bundled sample photo.

Run under a virtual X server, like ``make_screenshots.py``::

    xvfb-run -s '-screen 0 1600x1000x24' .venv/bin/python docs/screenshots/make_region_screenshot.py

The stroke is drawn with real mouse events (QTest) over the building on the left of *Detroit, circa 1915*; the
colour dialog is replaced by a fixed brick red, as a user would pick it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import settle, wait_until, window_with_photo  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BRICK = QColor(150, 62, 40)


def zigzag(x0: float, x1: float, y0: float, y1: float, step: float) -> list[tuple[float, float]]:
    """Back-and-forth rows covering a box (normalised coordinates): how one fills an area with a brush."""
    pts, y, left = [], y0, True
    while y <= y1 + 1e-9:
        pts += [(x0, y), (x1, y)] if left else [(x1, y), (x0, y)]
        y += step
        left = not left
    return pts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default=str(ROOT / "resources" / "sample" / "sample.jpg"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "region.png"))
    ap.add_argument("--size", default="1560x960", help="window size WxH")
    args = ap.parse_args(argv)

    app, win = window_with_photo(args.photo, args.size)
    done = {"full": None}
    win.fullReady.connect(lambda r: done.__setitem__("full", r))
    win.strip_dock.hide()  # one photo: the strip would only take height from it

    win.region_controller.picker = lambda initial, parent: QColor(BRICK)
    win.brush_size.setValue(36)
    win.act_regions.setChecked(True)
    settle()
    view = win.viewer.primary
    rect = view.item.boundingRect()
    pts = [view.mapFromScene(QPointF(x * rect.width(), y * rect.height()))
           for x, y in zigzag(0.035, 0.225, 0.245, 0.64, 0.035)]
    vp = view.viewport()
    done["full"] = None
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
    wait_until(lambda: done["full"] is not None, 600, "the full-resolution result with the region")
    win.set_view_mode("toggle", save=False)  # the colour result over the whole photo, overlay on top
    hover = view.mapFromScene(QPointF(0.5 * rect.width(), 0.2 * rect.height()))
    QTest.mouseMove(vp, hover)  # the brush outline, as while painting
    settle(600)
    win.grab().save(args.out)
    print("wrote", args.out, "| caption:", view._captions[1])
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
