"""Make the fine-tuning dialog's screenshots on a 1366 x 768 laptop screen, during a real short run.

Run under a virtual X server of that size::

    xvfb-run -s '-screen 0 1366x768x24' nice -n 10 .venv/bin/python docs/screenshots/make_train_screenshot.py

It makes a temporary user model folder holding one "own" model (a copy of ``--base`` under ``--own-name``, so the
list of models to start from shows a model of the user's), fine-tunes it on a few colour photos of the shared
training set (linked into the temporary folder, which also holds the run: the user's folders are not touched),
and saves:

* ``train_laptop_phase.png``: the whole screen while the trainer reads the photos (the busy bar, the phase);
* ``train.png`` and ``train_laptop.png``: the dialog alone and the whole screen after the first validation;
* ``train_done.png``: the dialog after "Stop and save", offering to delete the run's checkpoints.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import settle, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
HERE = Path(__file__).resolve().parent
TASKBAR = 40  # px kept free at the bottom of the screen, as a desktop's taskbar would


def link_photos(src: Path, dst: Path, count: int) -> Path:
    dst.mkdir(parents=True)
    for p in sorted(src.iterdir())[:count]:
        (dst / p.name).symlink_to(p.resolve())
    return dst


def own_model(models: Path, base: str, name: str) -> None:
    """The bundled ``base`` again under ``name`` in the user model folder, as a model the user made."""
    from restorer.core.models import resolve

    card = resolve(base)
    data = json.loads(card.path.read_text(encoding="utf-8"))
    data.update(name=name, default=False, role="", description=f"fine-tuned from {base} on a family album")
    models.mkdir(parents=True, exist_ok=True)
    (models / f"{name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    (models / f"{name}.safetensors").symlink_to(card.path.with_suffix(".safetensors"))


def screen_shot(path: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
    print("wrote", path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(SHARED / "train"))
    ap.add_argument("--val", default=str(SHARED / "val"))
    ap.add_argument("--count", type=int, default=120, help="training photos to use")
    ap.add_argument("--minutes", type=int, default=2)
    ap.add_argument("--base", default="effnet-lite0-unet")
    ap.add_argument("--own-name", default="Lyon 1920s")
    ap.add_argument("--name", default="Family album 1960s")
    ap.add_argument("--theme", default="light", choices=["light", "dark", "system"])
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="restorer-train-shot-"))
    os.environ["RESTORER_USER_MODELS"] = str(tmp / "models")  # before restorer reads it
    data = link_photos(Path(args.data), tmp / "Family album", args.count)
    val = link_photos(Path(args.val), tmp / "Held out", 16)
    own_model(tmp / "models", args.base, args.own_name)

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow
    from restorer.gui.theme import apply_theme
    from restorer.gui.train_dialog import show_for_window
    from training import protocol

    app = create_app([sys.argv[0]])
    S.settings().clear()
    apply_theme(args.theme)
    screen = app.primaryScreen().geometry()
    win = MainWindow()
    win.setGeometry(0, 0, screen.width(), screen.height() - TASKBAR)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    dlg = show_for_window(win)
    dlg.data_edit.setText(str(data))
    dlg.val_edit.setText(str(val))
    dlg.base_combo.setCurrentIndex(dlg.base_combo.findData(args.own_name))
    dlg.name_edit.setText(args.name)
    dlg.minutes_spin.setValue(args.minutes)
    wait_until(lambda: "found" in dlg.data_info.text(), 60, "the photo count")
    run = dlg.start()
    assert run is not None, dlg.form_note.text()
    dlg.move((screen.width() - dlg.width()) // 2, max(0, (screen.height() - TASKBAR - dlg.frameGeometry().height()) // 2))
    print("trainer:", " ".join(run.request.cli_args()), f"dialog {dlg.width()}x{dlg.height()}")
    wait_until(lambda: run.status.busy_with() == protocol.PHASE_READ or run.status.train_step >= 0
               or run.outcome is not None, 600, "the photo reading")
    settle(600)
    screen_shot(HERE / "train_laptop_phase.png")
    wait_until(lambda: dlg.grid.image is not None or run.outcome is not None, 1800, "the first validation grid")
    if run.outcome is not None:
        print("the run ended first:", run.outcome.message, run.outcome.details, sep="\n")
        return 1
    settle(1500)
    dlg.grab().save(str(HERE / "train.png"))
    screen_shot(HERE / "train_laptop.png")
    dlg.stop()
    wait_until(lambda: run.outcome is not None, 600, "the stop")
    settle(800)
    dlg.grab().save(str(HERE / "train_done.png"))
    print(run.outcome.message, "| clean button:", dlg.clean_button.isVisible(), dlg.clean_button.text())
    dlg.hide()
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
