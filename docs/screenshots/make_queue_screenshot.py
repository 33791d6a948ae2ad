"""Make ``queue.png``: the batch queue panel part-way through a real batch (done, running, waiting, failed).

Run under a virtual X server::

    xvfb-run -s '-screen 0 1600x1000x24' .venv/bin/python docs/screenshots/make_queue_screenshot.py \
        --photos ../shared/data/bw [--count 9] [--model NAME] [--out docs/screenshots]

The photos are copied into a temporary box with a subfolder and one broken file, colourised by the installed
model through the queue (the same calls a user's clicks make), and the window is grabbed once a few photos are
done, with the batch paused.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from make_screenshots import settle, wait_until
from PySide6.QtCore import Qt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", required=True, help="folder of black-and-white photos")
    ap.add_argument("--count", type=int, default=9)
    ap.add_argument("--model", default="", help="model to colourise with (default: the default model)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = ap.parse_args(argv)

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    box = Path(tempfile.mkdtemp(prefix="restorer-queue-shot-"))
    photos = sorted(p for p in Path(args.photos).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    (box / "1940s").mkdir()
    for i, p in enumerate(photos[: args.count]):
        shutil.copy(p, (box / "1940s" if i % 3 == 2 else box) / p.name)  # a subfolder, mirrored in the output
    (box / "1940s" / "scan_0042.jpg").write_bytes(b"\xff\xd8\xff truncated")  # a broken scan among them

    app = create_app([sys.argv[0]])
    S.settings().clear()
    win = MainWindow()
    win.resize(1500, 900)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, what="models")
    queue = win.queue
    win.hist_dock.hide()  # the queue gets the whole right side
    queue.show()
    queue.setFloating(False)
    win.resizeDocks([queue], [640], Qt.Orientation.Horizontal)
    if args.model:
        queue.model_combo.setCurrentIndex(queue.model_combo.findData(args.model))
    queue.out_edit.setText(str(box.parent / (box.name + "-colour")))
    queue.add_paths([box])
    wait_until(lambda: len(queue.items) >= args.count, what="the queue")
    queue.start()
    wait_until(lambda: queue.counts()["done"] >= 4, timeout=900, what="four photos")
    settle(300)
    out = Path(args.out) / "queue.png"
    win.grab().save(str(out))
    print(f"wrote {out}: {queue.summary.text()}")
    queue.cancel()
    wait_until(lambda: not queue.is_running(), what="the cancel")
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
