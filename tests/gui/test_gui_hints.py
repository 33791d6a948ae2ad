"""The Hint tool: place by clicking, initial colour from the result, drag, remove, undo; debounced re-runs."""
from __future__ import annotations

from guihelpers import open_and_wait, recording_picker
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

NAVY = QColor(20, 30, 110)


def _hint_window(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    assert window.act_hints.isVisible() and window.act_hints.isEnabled()
    window.hint_controller.picker, asked = recording_picker(NAVY)
    window.act_hints.setChecked(True)
    return asked


def test_click_places_a_hint_and_reruns_the_preview(qtbot, window, gray_png):
    asked = _hint_window(qtbot, window, gray_png)
    view = window.viewer.primary
    target = view.mapFromScene(QPointF(40, 30))  # left of the split divider (which sits mid-view)
    before = window.displayed_result()
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
    res = blocker.args[0]
    specs = window.doc.hints.specs()
    assert len(specs) == 1
    assert abs(specs[0].x - 40 / 128) < 0.02 and abs(specs[0].y - 30 / 96) < 0.02
    # the dialog started at the result's colour under the click
    expected = before.pixels[int(specs[0].y * 96), int(specs[0].x * 128)]
    assert (asked[0].red(), asked[0].green(), asked[0].blue()) == tuple(int(v) for v in expected)
    assert len(res.hints_key) == 1
    # the hint pulls the colour there towards navy (blue > red)
    px = res.pixels[30, 40].astype(int)
    assert px[2] > px[0]
    assert len(window.hint_controller.items()) == 1


def test_undo_removes_the_hint_and_reruns(qtbot, window, gray_png):
    _hint_window(qtbot, window, gray_png)
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        window.hint_controller.add_at(QPointF(30, 30))
    assert len(window.doc.hints) == 1
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.act_undo.trigger()  # Ctrl+Z
    assert len(window.doc.hints) == 0 and blocker.args[0].hints_key == ()
    window.act_redo.trigger()
    assert len(window.doc.hints) == 1


def test_drag_recolour_and_right_click_remove(qtbot, window, gray_png):
    _hint_window(qtbot, window, gray_png)
    ctl = window.hint_controller
    ctl.add_at(QPointF(30, 30))
    ctl.move(0, QPointF(90, 60))
    spec = window.doc.hints[0]
    assert abs(spec.x - 90 / 128) < 1e-6 and abs(spec.y - 60 / 96) < 1e-6
    ctl.recolour(0, QColor(200, 40, 40))
    assert window.doc.hints[0].rgb[0] > 0.7
    # right-click on the circle removes it
    item = ctl.items()[0]
    view = window.viewer.primary
    pos = view.mapFromScene(item.scenePos())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=pos)
    qtbot.waitUntil(lambda: len(window.doc.hints) == 0, timeout=5_000)
    # every step is undoable, in order
    window.act_undo.trigger()
    assert len(window.doc.hints) == 1 and window.doc.hints[0].rgb[0] > 0.7
    window.act_undo.trigger()
    assert window.doc.hints[0].rgb == HintRGB.navy
    window.act_undo.trigger()
    assert abs(window.doc.hints[0].x - 30 / 128) < 1e-6


class HintRGB:
    navy = (round(NAVY.redF(), 4), round(NAVY.greenF(), 4), round(NAVY.blueF(), 4))


def test_burst_of_edits_runs_one_preview(qtbot, window, gray_png):
    _hint_window(qtbot, window, gray_png)
    runs = []
    window.previewReady.connect(runs.append)
    for i in range(5):  # faster than the 150 ms debounce
        window.hint_controller.add_at(QPointF(10 + 20 * i, 40))
    qtbot.waitUntil(lambda: len(runs) >= 1, timeout=30_000)
    qtbot.wait(400)
    assert len(runs) == 1 and len(runs[0].hints_key) == 5


def test_cancelled_colour_dialog_adds_nothing(qtbot, window, gray_png):
    _hint_window(qtbot, window, gray_png)
    window.hint_controller.picker = lambda initial, parent: None
    assert window.hint_controller.add_at(QPointF(10, 10)) is False
    assert len(window.doc.hints) == 0


def test_hint_tool_is_offered_only_when_hints_do_something(qtbot, window, monkeypatch):
    card = window.current_card()
    assert window.hints_propagate  # the engine spreads hints for every model
    monkeypatch.setattr(card, "hints", False)
    window._update_model_ui()
    assert window.act_hints.isVisible()  # propagation alone is enough
    assert "not trained with hints" in window.act_hints.toolTip()
    window.hints_propagate = False
    window._update_model_ui()
    assert not window.act_hints.isVisible() and not window.act_hints.isEnabled()
