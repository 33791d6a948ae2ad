"""Entry point, settings persistence, theme, model fallback, closing with work in flight."""
from __future__ import annotations

import argparse
import time

from PySide6.QtWidgets import QApplication

from restorer.gui import settings as S


def test_run_cli_opens_the_files(qtbot, only_tiny_models, gray_png, monkeypatch):
    from restorer.gui import app as gui_app
    from restorer.gui.main_window import MainWindow

    seen = {}

    def fake_exec(self=None):
        # The one run_cli showed: closed windows of earlier tests may still be waiting for their deletion.
        win = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        qtbot.waitUntil(lambda: win.strip.count() == 1, timeout=20_000)
        seen["title"] = win.windowTitle()
        seen["icon"] = not QApplication.windowIcon().isNull()
        win.close()
        win.deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    assert gui_app.run_cli(argparse.Namespace(command="gui", files=[str(gray_png)])) == 0
    assert seen["icon"]
    assert "photo.png" in seen["title"] or seen["title"] == "Restorer"


def test_settings_persist(qtbot, only_tiny_models, gray_png):
    from restorer.gui.main_window import MainWindow

    w1 = MainWindow()
    qtbot.addWidget(w1)
    w1.show()
    qtbot.waitUntil(lambda: w1.model_combo.count() >= 2, timeout=20_000)
    w1.model_combo.setCurrentIndex(1)
    w1.set_theme("dark")
    w1.set_view_mode("side")
    w1.close()
    assert S.get_str(S.MODEL) == w1.model_combo.itemData(1)
    assert S.get_str(S.THEME) == "dark"
    assert S.settings().value(S.GEOMETRY) is not None

    w2 = MainWindow()
    qtbot.addWidget(w2)
    qtbot.waitUntil(lambda: w2.model_combo.count() >= 2, timeout=20_000)
    assert w2.current_model() == w1.model_combo.itemData(1)
    assert w2.viewer.mode() == "side"
    assert w2.theme_actions["dark"].isChecked()
    w2.set_theme("system")
    w2.close()


def test_missing_saved_model_falls_back(qtbot, only_tiny_models):
    from restorer.gui.main_window import MainWindow

    S.put(S.MODEL, "deleted-model")
    w = MainWindow()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.model_combo.count() >= 2, timeout=20_000)
    assert w.current_model() in ("tiny-test", "tiny-test-2")
    assert "deleted-model" in w.statusBar().currentMessage()


def test_no_models_is_a_clear_error(qtbot, tmp_path, monkeypatch):
    from restorer.gui.main_window import MainWindow

    monkeypatch.setenv("RESTORER_USER_MODELS", str(tmp_path / "empty"))
    monkeypatch.setenv("RESTORER_RESOURCES", str(tmp_path / "no-resources"))
    w = MainWindow()
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.errorShown, timeout=20_000) as err:
        pass
    assert "No colourisation models" in err.args[0]
    assert not w.act_colourise.isEnabled()


def test_close_waits_for_running_work(qtbot, window, gray_png, monkeypatch):
    import restorer.core.engine as engine

    def slow(pixels, model, hints=None, *, progress=None, cancel=None, preview=False, **kw):
        for _ in range(500):
            if cancel is not None and cancel():
                raise engine.Cancelled()
            time.sleep(0.01)
        return pixels

    monkeypatch.setattr(engine, "colorize", slow)
    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.preview_worker is not None and not window.preview_worker.done, timeout=20_000)
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 5
    assert window.preview_worker.done or window.preview_worker.is_cancelled()


def test_theme_menu_switches_palettes(qtbot, window):
    from PySide6.QtGui import QPalette

    window.theme_actions["dark"].trigger()
    dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness()
    window.theme_actions["light"].trigger()
    light = QApplication.palette().color(QPalette.ColorRole.Window).lightness()
    assert dark < 100 < light
    assert S.get_str(S.THEME) == "light"
    window.theme_actions["system"].trigger()
