"""Make ``variations.png``: the Variations dialog (the model's own colouring and the 4 alternatives) over the main
window with the bundled sample photo.

Run under a virtual X server, like ``make_screenshots.py``::

    xvfb-run -s '-screen 0 1600x1000x24' .venv/bin/python docs/screenshots/make_variations_screenshot.py
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import settle, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default=str(ROOT / "resources" / "sample" / "sample.jpg"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "variations.png"))
    ap.add_argument("--size", default="1560x960", help="window size WxH")
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    app = create_app([sys.argv[0]])
    S.settings().clear()  # the default layout, not this machine's last session
    win = MainWindow()
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.move(10, 10)
    win.set_theme("light", save=False)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    done = {"full": None}
    win.fullReady.connect(lambda r: done.__setitem__("full", r))
    win.open_paths([args.photo])
    wait_until(lambda: done["full"] is not None, 600, "the first full-resolution result")
    win.variations.action.trigger()
    dlg = win.variations.dialog
    wait_until(lambda: all(b.isEnabled() for b in dlg.buttons), 600, "the variation thumbnails")
    settle(1000)
    screen = QApplication.primaryScreen()
    shot = screen.grabWindow(0, 0, 0, w + 40, h + 40)
    shot.save(args.out)
    print(f"wrote {args.out}")
    dlg.reject()
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
