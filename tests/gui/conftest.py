"""GUI test setup: offscreen Qt, throw-away QSettings, a fixture that fails tests leaving threads behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from guihelpers import write_png

# Before any Qt object exists: no display needed, and QSettings must never touch the developer's real config.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="restorer-gui-settings-")

pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def no_threads_left():
    """Fail any test that leaves worker threads running.

    Autouse and without dependencies, so it is set up before and torn down after qtbot (which closes the
    test's widgets; MainWindow.closeEvent must then have stopped every worker).
    """
    yield
    from PySide6.QtCore import QThreadPool

    from restorer.gui import workers

    for pool in workers.all_pools():
        pool.waitForDone(5000)
    busy = {p.objectName() or "global": p.activeThreadCount() for p in workers.all_pools()}
    assert all(n == 0 for n in busy.values()), f"worker threads still running after the test: {busy}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture(autouse=True)
def clean_settings(qapp):
    """Each test starts from empty settings."""
    from restorer.gui import settings

    qapp.setOrganizationName(settings.ORG)
    qapp.setApplicationName(settings.APP)
    settings.settings().clear()
    yield
    settings.settings().clear()


@pytest.fixture
def gray_png(tmp_path, gray_photo) -> Path:
    """A gray 128 x 96 PNG in its own folder (tmp/src/photo.png)."""
    return write_png(tmp_path / "src" / "photo.png", gray_photo)


@pytest.fixture
def colour_png(tmp_path) -> Path:
    """A colourful 128 x 96 PNG (it serves as ground truth: LoadedImage.was_color)."""
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    rgb = np.stack([x / 127 * 255, y / 95 * 255, 255 - x / 127 * 200], axis=2)
    return write_png(tmp_path / "colour" / "colour.png", np.clip(rgb, 0, 255).astype(np.uint8))


@pytest.fixture
def only_tiny_models(tiny_model_dir, tmp_path, monkeypatch):
    """Hide the bundled models: GUI tests must not depend on (or wait for) whatever resources/models holds."""
    import restorer.core.models as models

    empty = tmp_path / "no_bundled_models"
    empty.mkdir()
    monkeypatch.setattr(models, "bundled_models_dir", lambda: empty)
    return tiny_model_dir


@pytest.fixture
def window(qtbot, only_tiny_models):
    """A shown MainWindow whose model list is exactly the two tiny test models (tiny-test, tiny-test-2)."""
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitUntil(lambda: win.model_combo.count() >= 2, timeout=30_000)
    assert win.model_combo.count() == 2
    yield win
    # A batch a failed test left running would make closing ask in a modal box: never ask, stop it first.
    win.queue.ask_close = lambda: True
    if win.queue.is_running():
        win.queue.cancel()
        qtbot.waitUntil(lambda: not win.queue.is_running(), timeout=20_000)
