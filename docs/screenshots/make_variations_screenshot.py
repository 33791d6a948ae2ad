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
from make_screenshots import settle, wait_until, window_with_photo  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default=str(ROOT / "resources" / "sample" / "sample.jpg"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "variations.png"))
    ap.add_argument("--size", default="1560x960", help="window size WxH")
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    _app, win = window_with_photo(args.photo, args.size)
    w, h = (int(v) for v in args.size.split("x"))
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
