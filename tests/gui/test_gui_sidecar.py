"""Hints saved with the photo: the app writes <photo>.restorer.json on every change, reads it on open, asks
before quitting when it cannot be written, and its saved result equals ``restorer colorize`` with the sidecar."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from guihelpers import open_and_wait, place_hint_and_region, save_shown
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

from restorer.core import sidecar
from restorer.core.io import read_image

NAVY = QColor(20, 30, 110)


def _place(qtbot, window, path):
    place_hint_and_region(qtbot, window, path, NAVY, QColor(190, 60, 40))


def test_hints_are_written_on_change_and_read_when_reopened(qtbot, window, gray_png):
    _place(qtbot, window, gray_png)
    path = sidecar.sidecar_path(gray_png)
    data = json.loads(path.read_text())
    assert data["format"] == "restorer-hints" and len(data["hints"]) == 1 and len(data["regions"]) == 1
    assert (gray_png.parent / "photo.png.region0.png").is_file()
    specs = window.doc.hints.specs()
    window.close()

    from restorer.gui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.model_combo.count() >= 2, timeout=30_000)
    open_and_wait(qtbot, again, gray_png)
    got = again.doc.hints.specs()
    assert len(got) == 2
    assert (got[0].x, got[0].y, got[0].rgb, got[0].radius) == (specs[0].x, specs[0].y, specs[0].rgb, specs[0].radius)
    assert np.array_equal(got[1].mask, specs[1].mask) and got[1].rgb == specs[1].rgb
    assert again.doc.undo.count() == 0  # loading is not an edit
    again.close()


def test_malformed_sidecar_is_reported_and_left_alone(qtbot, window, gray_png, monkeypatch):
    path = sidecar.sidecar_path(gray_png)
    path.write_text("{broken")
    open_and_wait(qtbot, window, gray_png)
    assert len(window.doc.hints) == 0
    window.hint_controller.picker = lambda initial, parent: NAVY
    window.act_hints.setChecked(True)
    window.hint_controller.add_at(QPointF(30, 30))
    assert path.read_text() == "{broken"
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: asked.append(self.text()) or QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible() and "could not be read" in asked[0]
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Discard)
    window.close()
    assert not window.isVisible()


def test_quitting_with_an_unwritable_sidecar_asks(qtbot, window, gray_png, monkeypatch):
    open_and_wait(qtbot, window, gray_png)

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sidecar, "write_text", refuse)
    window.hint_controller.picker = lambda initial, parent: NAVY
    window.act_hints.setChecked(True)
    window.hint_controller.add_at(QPointF(30, 30))
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: asked.append(self.text()) or QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible() and "Permission denied" in asked[0]
    monkeypatch.undo()  # writable again: quitting saves and does not ask
    window.close()
    assert not window.isVisible() and sidecar.sidecar_path(gray_png).is_file()


@pytest.mark.parametrize("variation", [0, 2])
def test_cli_result_equals_the_apps_saved_result(qtbot, tiny_variations, window, gray_png, tmp_path, monkeypatch,
                                                 variation):
    from restorer.cli import main

    _place(qtbot, window, gray_png)
    if variation:
        with qtbot.waitSignal(window.previewReady, timeout=30_000):
            window.variations.pick(window.doc, variation)
    assert json.loads(sidecar.sidecar_path(gray_png).read_text()).get("variation", 0) == variation
    app_result = save_shown(qtbot, window, tmp_path / "app", monkeypatch)
    model = window.current_model()
    assert main(["colorize", str(gray_png), "-o", str(tmp_path / "cli"), "--model", model, "--device", "cpu"]) == 0
    cli_result = read_image(tmp_path / "cli" / "photo_colour.png").pixels
    assert np.array_equal(app_result, cli_result)
    plain = tmp_path / "plain"
    assert main(["colorize", str(gray_png), "-o", str(plain), "--model", model, "--device", "cpu", "--no-hints"]) == 0
    assert not np.array_equal(read_image(plain / "photo_colour.png").pixels, cli_result)
    assert sorted(os.listdir(tmp_path / "cli")) == ["photo_colour.png", "report.csv", "report.json"]
