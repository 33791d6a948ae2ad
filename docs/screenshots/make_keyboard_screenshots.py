"""Make the keyboard screenshots on a 1366 x 768 screen: the Edit and Tools menus with their keys, and the
fine-tune dialog's list of models to start from, which offers the user's own models.

    xvfb-run -s '-screen 0 1366x768x24' nice -n 10 .venv/bin/python docs/screenshots/make_keyboard_screenshots.py \
        --photo "../shared/data/bw/ddcolor_Ansel_Adams___Moore_Photography.jpg"

The user model folder is a temporary one holding one "own" model (a copy of a bundled one, as in
``make_train_screenshot.py``).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import settle, wait_until  # noqa: E402
from make_train_screenshot import HERE, TASKBAR, own_model, screen_shot  # noqa: E402


def show_menu(win, title: str, out: Path) -> None:
    """Open the menu bar's ``title`` menu as Alt+its letter would, take the screen, close it."""
    action = next(a for a in win.menuBar().actions() if a.text().replace("&", "") == title)
    menu = action.menu()
    menu.popup(win.menuBar().mapToGlobal(win.menuBar().actionGeometry(action).bottomLeft()))
    settle(600)
    screen_shot(out)
    menu.hide()
    settle(200)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default="")
    ap.add_argument("--base", default="effnet-lite0-unet")
    ap.add_argument("--own-name", default="Lyon 1920s")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="restorer-keys-shot-"))
    os.environ["RESTORER_USER_MODELS"] = str(tmp / "models")
    own_model(tmp / "models", args.base, args.own_name)

    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow
    from restorer.gui.theme import apply_theme
    from restorer.gui.train_dialog import show_for_window

    app = create_app([sys.argv[0]])
    S.settings().clear()
    apply_theme("light")
    screen = app.primaryScreen().geometry()
    win = MainWindow()
    win.setGeometry(0, 0, screen.width(), screen.height() - TASKBAR)
    win.show()
    wait_until(lambda: win.model_combo.count() > 0, 120, "the model list")
    if args.photo:
        win.open_paths([args.photo])
        wait_until(lambda: win.doc is not None and win.displayed_result() is not None, 900, "the first preview")
    settle(800)
    show_menu(win, "Edit", HERE / "keys_edit_menu.png")
    show_menu(win, "Tools", HERE / "keys_tools_menu.png")
    dlg = show_for_window(win)
    dlg.move((screen.width() - dlg.width()) // 2, 60)
    settle(400)
    dlg.base_combo.showPopup()
    settle(600)
    screen_shot(HERE / "train_base_list.png")
    dlg.base_combo.hidePopup()
    dlg.hide()
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
