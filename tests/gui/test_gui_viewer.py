"""Viewer navigation and before/after modes."""
from __future__ import annotations

from guihelpers import open_and_wait
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from restorer.gui.viewer import PhotoView, PhotoViewer


def _image(w=400, h=300, colour=Qt.GlobalColor.gray):
    img = QImage(w, h, QImage.Format.Format_RGB888)
    img.fill(colour)
    return img


def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot):
    v = PhotoView()
    qtbot.addWidget(v)
    v.resize(300, 200)
    v.show()
    v.set_photo(_image(2000, 1500))
    anchor = QPointF(220, 60)
    before = v.mapToScene(anchor.toPoint())
    v.zoom_by(2.0, anchor)
    after = v.mapToScene(anchor.toPoint())
    assert abs(before.x() - after.x()) < 2.5 / v.zoom_level() + 1
    assert abs(before.y() - after.y()) < 2.5 / v.zoom_level() + 1
    assert not v.is_fit()
    v.actual_size()
    assert abs(v.zoom_level() - 1.0) < 1e-9
    v.fit()
    assert v.is_fit() and v.zoom_level() < 0.2


def test_split_divider_drag(qtbot):
    v = PhotoView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    v.set_photo(_image())
    v.set_after(_image(colour=Qt.GlobalColor.red))
    v.set_display("split", True)
    x = v.divider_x()
    qtbot.mousePress(v.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 150))
    qtbot.mouseMove(v.viewport(), QPoint(100, 150))
    qtbot.mouseRelease(v.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(100, 150))
    assert abs(v.split_fraction() - 100 / v.viewport().width()) < 0.01
    # the rendered view: original (gray) left of the divider, colour (red) right of it
    img = v.viewport().grab().toImage()
    left, right = img.pixelColor(60, 150), img.pixelColor(300, 150)
    assert left.red() == left.green() and right.red() > 200 and right.green() < 50


def test_modes_and_side_by_side_sync(qtbot):
    pv = PhotoViewer()
    qtbot.addWidget(pv)
    pv.resize(800, 400)
    pv.show()
    pv.set_photo(_image())
    pv.set_result(_image(100, 75, Qt.GlobalColor.blue), "Colour (preview)")  # preview smaller: drawn scaled
    pv.set_mode("side")
    assert pv.secondary.isVisible() and pv.primary.item.mode() == "after"
    pv.primary.zoom_by(2.5)
    assert pv.secondary.transform() == pv.primary.transform()
    pv.set_mode("toggle")
    assert not pv.secondary.isVisible() and pv.primary.item.mode() == "after"
    pv.show_original(True)
    assert pv.primary.item.mode() == "before"
    pv.show_original(False)
    pv.set_mode("split")
    assert pv.primary.item.mode() == "split"


def test_window_zoom_shortcuts_and_modes(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    v = window.viewer.primary
    window.act_100.trigger()
    assert abs(v.zoom_level() - 1.0) < 1e-9
    window.act_zoom_in.trigger()
    assert v.zoom_level() > 1.0
    window.act_zoom_out.trigger()
    window.act_zoom_out.trigger()
    assert v.zoom_level() < 1.0
    window.act_fit.trigger()
    assert v.is_fit()
    window.mode_actions["side"].trigger()
    assert window.viewer.mode() == "side"
    window.act_original.setChecked(True)  # the "Original" button toggles
    assert window.viewer.showing_original()
    window.act_original.setChecked(False)
    assert not window.viewer.showing_original()
    # shortcuts are the documented ones
    assert window.act_fit.shortcut().toString() == "Ctrl+0"
    assert window.act_100.shortcut().toString() == "Ctrl+1"
    assert window.act_compare.shortcut().toString() == "Ctrl+K"
    assert window.act_save.shortcut().toString() == "Ctrl+S"
    assert window.act_save_all.shortcut().toString() == "Ctrl+Shift+S"
    assert window.act_open.shortcut().toString() == "Ctrl+O"
    assert window.act_undo.shortcut().toString() == "Ctrl+Z"


def test_hold_t_shows_the_original_until_released(qtbot, window, gray_png):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    open_and_wait(qtbot, window, gray_png)
    target = window.viewer.primary.viewport()
    qtbot.keyPress(target, Qt.Key.Key_T)
    assert window.viewer.showing_original() and window.viewer.primary.item.mode() == "before"
    # auto-repeat while held changes nothing
    rep = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_T, Qt.KeyboardModifier.NoModifier, "t", True)
    QApplication.sendEvent(target, rep)
    assert window.viewer.showing_original()
    qtbot.keyRelease(target, Qt.Key.Key_T)
    assert not window.viewer.showing_original() and window.viewer.primary.item.mode() == "split"
    # Ctrl+T is not the hold key
    qtbot.keyPress(target, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert not window.viewer.showing_original()


def test_redo_shortcuts_unambiguous_and_include_ctrl_y(window):
    import sys

    keys = [k.toString() for k in window.act_redo.shortcuts()]
    assert len(keys) == len(set(keys))  # a key bound twice made Qt call it ambiguous
    assert "Ctrl+Shift+Z" in keys
    if sys.platform != "darwin":
        assert "Ctrl+Y" in keys
