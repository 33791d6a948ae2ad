"""Entry points of the desktop app: ``restorer gui [FILES...]`` (via :func:`run_cli`) and :func:`main`."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from restorer.gui import settings as S


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, as under pytest-qt), named for QSettings, with the app icon."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setOrganizationName(S.ORG)
    app.setApplicationName(S.APP)
    app.setApplicationDisplayName("Restorer")
    from restorer.gui.window_actions import app_icon

    app.setWindowIcon(app_icon())
    if not getattr(app, "restorer_translators", None):
        app.restorer_translators = install_translations(app)
    return app  # type: ignore[return-value]


def translations_dir() -> Path:
    """Where translations of the app live: ``resources/translations/restorer_<language>.qm`` (made with
    pyside6-lupdate and pyside6-lrelease, see the README), so a language is added without code changes."""
    from restorer.paths import resources_dir

    return resources_dir() / "translations"


def install_translations(app: QApplication, locale: QLocale | None = None,
                         folder: Path | None = None) -> list[QTranslator]:
    """Load the app's translation for ``locale`` (the system's) and Qt's own (its standard buttons and dialogs),
    when there are any; the translators installed (kept: Qt does not own them)."""
    locale = locale or QLocale.system()
    found = []
    for name, where in (("restorer", folder or translations_dir()),
                        ("qtbase", Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)))):
        t = QTranslator(app)
        if t.load(locale, name, "_", str(where)) and app.installTranslator(t):
            found.append(t)
    return found


def _no_display() -> bool:
    """True on Linux/BSD with no X11/Wayland screen, where Qt would abort with a cryptic plugin error."""
    import os

    if sys.platform.startswith(("win", "darwin")) or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_cli(args: argparse.Namespace) -> int:
    """Open the main window with ``args.files`` (photos and/or folders) and run until it is closed."""
    if _no_display():
        print("restorer: no display found (DISPLAY/WAYLAND_DISPLAY unset); use `restorer colorize` on the "
              "command line, or run under a desktop session", file=sys.stderr)
        return 2
    app = create_app()
    from restorer.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    files = list(getattr(args, "files", None) or [])
    if files:
        window.open_paths(files)
    return int(app.exec())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m restorer.gui.app [FILES...]``: same as ``restorer gui``."""
    parser = argparse.ArgumentParser(prog="restorer-gui", description="Restorer desktop app")
    parser.add_argument("files", nargs="*", help="photos or folders to open")
    return run_cli(parser.parse_args(list(argv) if argv is not None else None))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
