"""Variations: the action shows K + 1 thumbnails; picking one changes the result with the hints still on top;
undo restores; Save writes what is shown; the pick is kept in the photo's sidecar and restored on reopening;
without a network the action is disabled and says why."""
from __future__ import annotations

import json

import numpy as np
from guihelpers import open_and_wait, save_shown
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from restorer.core import sidecar

NAVY = QColor(20, 30, 110)


def _open_dialog(qtbot, window):
    window.variations.action.trigger()
    dlg = window.variations.dialog
    qtbot.waitUntil(lambda: all(b.isEnabled() for b in dlg.buttons), timeout=30_000)
    return dlg


def test_pick_a_variation_keeps_hints_and_undo_restores(qtbot, tiny_variations, window, gray_png, tmp_path,
                                                        monkeypatch):
    assert window.variations.action.isEnabled()
    open_and_wait(qtbot, window, gray_png)
    window.hint_controller.picker = lambda initial, parent: NAVY
    window.act_hints.setChecked(True)
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.hint_controller.add_at(QPointF(30, 30))
    own = blocker.args[0]

    dlg = _open_dialog(qtbot, window)
    assert len(dlg.buttons) == 5 and all(not b.icon().isNull() for b in dlg.buttons)
    assert [b.accessibleName() for b in dlg.buttons][:2] == ["Model's own", "Variation 1"]
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        dlg.buttons[2].click()
    picked = blocker.args[0]
    assert ("variation", 2) in picked.hints_key and len(window.hint_controller.items()) == 1
    assert np.abs(picked.pixels.astype(int) - own.pixels.astype(int)).mean() > 2  # another colouring
    # the navy hint still lands on top of the variation: the same colour at its own pixel as before
    assert np.abs(picked.pixels[30, 30].astype(int) - own.pixels[30, 30].astype(int)).max() <= 6
    assert window.doc.undo.undoText() == "Use variation 2"

    written = save_shown(qtbot, window, tmp_path / "out", monkeypatch)
    assert np.abs(written.astype(int) - picked.pixels.astype(int)).max() <= 1  # Save writes what is shown

    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.act_undo.trigger()
    assert blocker.args[0].hints_key == own.hints_key
    assert np.array_equal(blocker.args[0].pixels, own.pixels)
    window.act_redo.trigger()
    assert ("variation", 2) in window.session.recipe(window.doc, window.current_model())[1]


def test_cancel_closes_without_changing_anything(qtbot, tiny_variations, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    dlg = _open_dialog(qtbot, window)
    dlg.reject()
    assert window.doc.hints.specs() == [] and window.doc.undo.count() == 0


def test_action_disabled_with_reason_without_a_network(qtbot, tmp_path, monkeypatch, only_tiny_models):
    import restorer.core.variations as v
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    monkeypatch.setattr(v, "variations_folder", lambda: tmp_path / "none")
    create_app()
    win = MainWindow()
    qtbot.addWidget(win)
    assert not win.variations.action.isEnabled()
    assert "No variations network" in win.variations.action.toolTip()


def _reopen(qtbot, photo):
    from restorer.gui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.model_combo.count() >= 2, timeout=30_000)
    return again, open_and_wait(qtbot, again, photo)


def test_the_pick_is_saved_in_the_sidecar_and_restored_on_reopening(qtbot, tiny_variations, window, gray_png):
    from restorer.gui.variations_dialog import VariationSpec

    open_and_wait(qtbot, window, gray_png)
    path = sidecar.sidecar_path(gray_png)
    dlg = _open_dialog(qtbot, window)
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        dlg.buttons[3].click()
    picked = blocker.args[0]
    assert json.loads(path.read_text())["variation"] == 3 and json.loads(path.read_text())["hints"] == []
    window.close()

    again, shown = _reopen(qtbot, gray_png)
    assert again.doc.hints.specs() == [VariationSpec(3)] and again.doc.undo.count() == 0
    assert shown.hints_key == picked.hints_key and np.array_equal(shown.pixels, picked.pixels)
    with qtbot.waitSignal(again.previewReady, timeout=30_000):
        again.variations.pick(again.doc, 0)  # back to the model's own: the key goes
    assert "variation" not in json.loads(path.read_text())
    again.close()


def test_a_saved_pick_without_the_network_is_reported_and_kept(qtbot, window, gray_png, tmp_path, monkeypatch):
    import restorer.core.variations as v

    monkeypatch.setattr(v, "variations_folder", lambda: tmp_path / "none")
    path = sidecar.sidecar_path(gray_png)
    sidecar.write(gray_png, [], [], variation=2)
    open_and_wait(qtbot, window, gray_png)
    assert window.doc.hints.specs() == []
    window.hint_controller.picker = lambda initial, parent: NAVY
    window.act_hints.setChecked(True)
    window.hint_controller.add_at(QPointF(30, 30))
    data = json.loads(path.read_text())
    assert data["variation"] == 2 and len(data["hints"]) == 1
