"""Make ``train.png``: the fine-tuning dialog during a real short run on a folder of colour photos.

Run under a virtual X server, like ``make_screenshots.py``::

    xvfb-run -s '-screen 0 1600x1000x24' .venv/bin/python docs/screenshots/make_train_screenshot.py

It fine-tunes the default bundled model on a few colour photos of the shared training set (linked into a
temporary folder, which also holds the run and the exported model: the user's model folder is not touched),
waits for the first validation grid, takes the picture, then stops the run.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import settle, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def link_photos(src: Path, dst: Path, count: int) -> Path:
    dst.mkdir(parents=True)
    for p in sorted(src.iterdir())[:count]:
        (dst / p.name).symlink_to(p.resolve())
    return dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SHARED / "train"))
    ap.add_argument("--val", default=str(SHARED / "val"))
    ap.add_argument("--count", type=int, default=150, help="training photos to use")
    ap.add_argument("--minutes", type=int, default=3)
    ap.add_argument("--name", default="Family album 1960s")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "train.png"))
    ap.add_argument("--theme", default="light", choices=["light", "dark", "system"])
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="restorer-train-shot-"))
    os.environ["RESTORER_USER_MODELS"] = str(tmp / "models")  # before restorer reads it
    data = link_photos(Path(args.data), tmp / "Family album", args.count)
    val = link_photos(Path(args.val), tmp / "Held out", 16)

    from restorer.core.models import list_models
    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.theme import apply_theme
    from restorer.gui.train_dialog import TrainDialog

    app = create_app([sys.argv[0]])
    S.settings().clear()
    apply_theme(args.theme)
    dlg = TrainDialog(list_models())
    dlg.move(10, 10)
    dlg.show()
    dlg.data_edit.setText(str(data))
    dlg.val_edit.setText(str(val))
    dlg.name_edit.setText(args.name)
    dlg.minutes_spin.setValue(args.minutes)
    wait_until(lambda: "found" in dlg.data_info.text(), 30, "the photo count")
    run = dlg.start()
    assert run is not None, dlg.result_label.text()
    print("trainer:", " ".join(run.request.cli_args()))
    wait_until(lambda: dlg.grid.image is not None or run.outcome is not None, 1800, "the first validation grid")
    if run.outcome is not None:
        print("the run ended first:", run.outcome.message, run.outcome.details, sep="\n")
        return 1
    wait_until(lambda: run.status.img_per_s is not None, 300, "a speed reading")
    settle(800)
    dlg.grab().save(args.out)
    print("wrote", args.out)
    dlg.stop()
    wait_until(lambda: run.outcome is not None, 300, "the stop")
    print(run.outcome.message)
    dlg.hide()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
