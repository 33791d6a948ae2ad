"""Make the README screenshots of the desktop app from a real photo and the installed models.

Run under a virtual X server so the window is drawn by a real window system::

    xvfb-run -s '-screen 0 1600x1000x24' .venv/bin/python docs/screenshots/make_screenshots.py \
        --photo /path/to/old_photo.jpg [--folder /path/to/box] [--models a,b,c] [--out docs/screenshots]

Writes ``main.png`` (split view with the colour result), ``compare.png`` (2-3 models) and ``histograms.png``
(the histogram dock during the comparison). Everything is driven through the window's public API and
waits on its signals, exactly as a user's clicks would go.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication


def wait_until(pred, timeout: float = 300.0, what: str = "") -> None:
    """Spin the event loop until ``pred()`` is true (workers report through queued signals)."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or pred}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def settle(ms: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def window_with_photo(photo: str, size: str = "1560x960"):
    """(app, window) at the default layout in the light theme, ``photo`` open and colourised at full resolution:
    the starting point of the single-photo screenshots. The photo is opened from a temporary copy: the app saves
    hints and regions in a sidecar beside the photo, which must not land beside a bundled sample."""
    import shutil
    import tempfile

    from restorer.gui import settings as S

    copy = Path(tempfile.mkdtemp(prefix="restorer-shot-")) / Path(photo).name
    shutil.copy2(photo, copy)
    photo = str(copy)
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    app = create_app([sys.argv[0]])
    S.settings().clear()  # the default layout, not this machine's last session
    win = MainWindow()
    w, h = (int(v) for v in size.split("x"))
    win.resize(w, h)
    win.move(10, 10)
    win.set_theme("light", save=False)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    done = {"full": None}
    win.fullReady.connect(lambda r: done.__setitem__("full", r))
    win.open_paths([photo])
    wait_until(lambda: done["full"] is not None, 600, "the first full-resolution result")
    return app, win


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", required=True)
    ap.add_argument("--folder", default="", help="also open this folder (fills the photo strip)")
    ap.add_argument("--models", default="", help="comma-separated models for the comparison (default: up to 3)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    ap.add_argument("--size", default="1560x960", help="window size WxH")
    ap.add_argument("--theme", default="light", choices=["light", "dark", "system"])
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    app = create_app([sys.argv[0]])
    S.settings().clear()  # screenshots show the default layout, not this machine's last session
    win = MainWindow()
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.move(10, 10)
    win.set_theme(args.theme, save=False)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    names = [win.model_combo.itemText(i) for i in range(win.model_combo.count())]
    print("models:", ", ".join(names))
    compare = [n for n in args.models.split(",") if n] or names[:3]

    done = {"preview": None, "full": None, "hist": None}
    win.previewReady.connect(lambda r: done.__setitem__("preview", r))
    win.fullReady.connect(lambda r: done.__setitem__("full", r))
    win.histogramsReady.connect(lambda d: done.__setitem__("hist", d))
    # A little wider than the default dock so the numbers table fits on one line per model.
    win.resizeDocks([win.hist_dock], [400], Qt.Orientation.Horizontal)
    win.open_paths([args.folder, args.photo] if args.folder else [args.photo])
    wait_until(lambda: win.strip.count() > 0, 120, "the photo strip")
    win.strip.select_path(Path(args.photo))
    wait_until(lambda: done["full"] is not None, 600, "the full-resolution result")
    wait_until(lambda: done["hist"] is not None, 120, "the histograms")
    print(f"preview {done['preview'].seconds:.2f} s, full {done['full'].seconds:.2f} s")
    win.viewer.primary.set_split_fraction(0.5)
    wait_until(lambda: not win.strip.is_busy(), 600, "the thumbnails")
    win.strip.scrollToItem(win.strip.currentItem())
    settle()
    win.grab().save(str(out / "main.png"))
    print("wrote", out / "main.png")

    finished = {"ok": False}
    win.compare.comparisonFinished.connect(lambda: finished.__setitem__("ok", True))
    win.compare.set_checked(compare)
    done["hist"] = None
    win.act_compare.trigger()
    wait_until(lambda: finished["ok"], 900, "the comparison")
    wait_until(lambda: done["hist"] is not None and len(done["hist"].series) == len(compare) + 1, 120,
               "the comparison histograms")
    settle()
    win.grab().save(str(out / "compare.png"))
    print("wrote", out / "compare.png")
    win.hist_dock.grab().save(str(out / "histograms.png"))
    print("wrote", out / "histograms.png")
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
