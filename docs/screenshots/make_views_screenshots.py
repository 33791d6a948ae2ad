"""Screenshots of issue 26's fixes: the four view modes, the split divider on a portrait photo, the photo
strip's context menu (with a broken file) and a toned scan's label and histograms.

Runs on Qt's offscreen platform (``QWidget.grab`` renders the widgets; a popup menu is grabbed on its own and
drawn where it would open)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_views_screenshots.py \
        [--bw ../shared/data/bw] [--out docs/screenshots]

Writes ``view_split.png``, ``view_side.png``, ``view_colour.png``, ``view_original.png``, ``view_portrait.png``,
``strip_menu.png`` and ``toned_scan.png``. Uses the installed models (the default) and photos of ``--bw``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from make_screenshots import settle, wait_until
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPainter

LANDSCAPE = "deoldify_1909Chicago.jpg"
PORTRAIT = "deoldify_EasterNyc1911.jpg"
TONED = "deoldify_1890sShoeShopOhio.jpg"
STRIP = [LANDSCAPE, "deoldify_1899NycBlizzard.jpg", TONED, PORTRAIT]


def _show(win, path: Path, done: dict) -> None:
    done["full"] = done["hist"] = None
    win.strip.select_path(path)
    wait_until(lambda: done["full"] is not None and win.doc is not None and win.doc.path == path, 600,
               f"the full-resolution result of {path.name}")
    wait_until(lambda: done["hist"] is not None, 120, "the histograms")
    settle()


def _strip_menu(win, out: Path, broken: Path) -> None:
    strip = win.strip
    strip.scrollToItem(strip.item(0))
    settle()
    rect = strip.visualItemRect(strip.item(strip.count() - 1))  # the broken tile
    menu = strip.context_menu(rect.center())
    menu.adjustSize()
    dock = win.strip_dock.grab()
    at = strip.viewport().mapTo(win.strip_dock, rect.center())
    menu_pm = menu.grab()
    canvas = dock.copy(0, 0, dock.width(), dock.height() + menu_pm.height())
    canvas.fill(win.palette().window().color())
    p = QPainter(canvas)
    p.drawPixmap(0, 0, dock)
    p.drawPixmap(QPoint(at.x(), at.y()), menu_pm)
    p.end()
    canvas.save(str(out / "strip_menu.png"))
    menu.deleteLater()
    print("wrote", out / "strip_menu.png", f"(broken tile: {strip.item(strip.count() - 1).text()!r})")
    assert broken.name in strip.item(strip.count() - 1).text()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bw", default=str(Path(__file__).resolve().parents[3] / "shared" / "data" / "bw"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = ap.parse_args(argv)
    bw, out = Path(args.bw), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    app = create_app([sys.argv[0]])
    S.settings().clear()
    folder = Path(tempfile.mkdtemp(prefix="restorer-shots-"))
    for name in STRIP:
        (folder / name).symlink_to(bw / name)
    broken = folder / "zz_damaged_scan.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated download")

    win = MainWindow()
    win.resize(1400, 860)
    win.set_theme("light", save=False)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    done: dict = {"full": None, "hist": None}
    win.fullReady.connect(lambda r: done.__setitem__("full", r))
    win.histogramsReady.connect(lambda d: done.__setitem__("hist", d))
    win.resizeDocks([win.hist_dock], [400], Qt.Orientation.Horizontal)
    win.open_paths([folder])
    wait_until(lambda: win.strip.count() == len(STRIP) + 1 and not win.strip.is_busy(), 300, "the strip")
    _show(win, folder / LANDSCAPE, done)

    for mode, name in (("split", "view_split"), ("side", "view_side"), ("toggle", "view_colour"),
                       ("original", "view_original")):
        win.set_view_mode(mode, save=False)
        if mode == "split":
            win.viewer.primary.set_split_fraction(0.3)
        settle()
        win.tabs.grab().save(str(out / f"{name}.png"))
        print("wrote", out / f"{name}.png", win.viewer.captions())

    win.set_view_mode("split", save=False)  # the divider stays at 30 % of the next, narrow photo
    _show(win, folder / PORTRAIT, done)
    win.tabs.grab().save(str(out / "view_portrait.png"))
    print("wrote", out / "view_portrait.png", f"split {win.viewer.primary.split_fraction():.2f}")

    _strip_menu(win, out, broken)

    win.set_view_mode("side", save=False)
    _show(win, folder / TONED, done)
    win.grab().save(str(out / "toned_scan.png"))
    print("wrote", out / "toned_scan.png", win.viewer.captions(), [s.role for s in done["hist"].series])
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
