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


def _shown(qtbot, cls=PhotoView, w=400, h=300):
    """A shown widget of ``cls`` at ``w`` x ``h`` that qtbot closes after the test."""
    v = cls()
    qtbot.addWidget(v)
    v.resize(w, h)
    v.show()
    return v


def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot):
    v = _shown(qtbot, PhotoView, 300, 200)
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
    v = _shown(qtbot)
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
    pv = _shown(qtbot, PhotoViewer, 800, 400)
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
    window.act_original.trigger()  # Original is a mode of its own: it replaces side by side ...
    assert window.viewer.mode() == "original" and window.viewer.primary.item.mode() == "before"
    assert not window.mode_actions["side"].isChecked()
    window.mode_actions["side"].trigger()  # ... and side by side then shows original | colour again
    assert window.viewer.mode() == "side" and window.viewer.primary.item.mode() == "after"
    assert [window.mode_actions[m].shortcut().toString() for m in window.viewer.MODES] == \
        ["Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+5"]
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


def _pane_colour(view: PhotoView, x: int, y: int):
    return view.viewport().grab().toImage().pixelColor(x, y)


def _is_gray(c) -> bool:
    """Qt's "gray" is (160, 160, 164): neutral within a few levels, unlike the red result."""
    return max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue()) < 8


def test_original_then_side_by_side_shows_original_and_colour_with_their_labels(qtbot):
    pv = _shown(qtbot, PhotoViewer, 800, 400)
    pv.set_photo(_image())
    pv.set_before_caption("Original (toned scan)")
    pv.set_mode("side")
    assert pv.captions() == ["Original (toned scan)", "Colour: not ready yet"]  # nothing claims to be colour yet
    pv.set_result(_image(colour=Qt.GlobalColor.red), "tiny (full resolution)")
    pv.set_mode("original")
    assert pv.secondary.isHidden() and pv.captions() == ["Original (toned scan)"]
    c = pv.primary.viewport().rect().center()
    assert _is_gray(_pane_colour(pv.primary, c.x(), c.y()))
    pv.set_mode("side")
    assert pv.captions() == ["Original (toned scan)", "tiny (full resolution)"]
    qtbot.waitUntil(lambda: pv.secondary.viewport().width() > 50)
    left = _pane_colour(pv.secondary, pv.secondary.viewport().width() // 2, pv.secondary.viewport().height() // 2)
    right = _pane_colour(pv.primary, pv.primary.viewport().width() // 2, pv.primary.viewport().height() // 2)
    assert _is_gray(left) and right.red() > 200 and right.green() < 50
    # holding T in side by side must not turn the colour pane gray as well
    pv.show_original(True)
    assert pv.primary.item.mode() == "after" and pv.captions()[1] == "tiny (full resolution)"
    pv.show_original(False)


def test_split_divider_is_a_fraction_of_the_photo_and_follows_it(qtbot):
    v = _shown(qtbot, PhotoView, 600, 300)
    v.set_photo(_image(600, 300))
    v.set_after(_image(600, 300, Qt.GlobalColor.red))
    v.set_display("split", True)
    qtbot.mousePress(v.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(v.divider_x(), 150))
    qtbot.mouseMove(v.viewport(), QPoint(450, 150))
    qtbot.mouseRelease(v.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(450, 150))
    photo = v.photo_rect()
    assert abs(v.split_fraction() - (450 - photo.left()) / photo.width()) < 0.01
    # a narrow portrait photo next: the divider keeps its share of the PHOTO, so colour still shows
    v.set_photo(_image(100, 300))
    v.set_after(_image(100, 300, Qt.GlobalColor.red))
    photo = v.photo_rect()
    assert photo.width() < 150 and photo.left() <= v.divider_x() <= photo.right()
    right = _pane_colour(v, int((v.divider_x() + photo.right()) / 2), 220)  # below the handle (mid-height)
    left = _pane_colour(v, int((photo.left() + v.divider_x()) / 2), 220)
    assert right.red() > 200 and right.green() < 50 and _is_gray(left)
    # zooming moves the divider with the photo: the same photo column stays under it
    column = v.mapToScene(QPoint(v.divider_x(), 150)).x()
    v.zoom_by(2.0, QPointF(10, 150))
    assert abs(v.mapToScene(QPoint(v.divider_x(), 150)).x() - column) < 1.0
    assert abs(v.item.split_x() - v.split_fraction() * 100) < 1e-6


def test_keyboard_moves_the_divider_and_the_view_is_described(qtbot):
    v = _shown(qtbot)
    assert v.accessibleName() == "Photo" and "Ctrl+O" in v.accessibleDescription()
    v.set_photo(_image())
    v.set_after(_image(colour=Qt.GlobalColor.red))
    v.set_display("split", True)
    v.setFocus()
    qtbot.keyClick(v, Qt.Key.Key_BracketRight)
    assert abs(v.split_fraction() - 0.55) < 1e-9
    qtbot.keyClick(v, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(v, Qt.Key.Key_BracketLeft)
    assert abs(v.split_fraction() - 0.45) < 1e-9
    assert "45 %" in v.accessibleDescription() and "Original" in v.accessibleDescription()
    v.set_display("after", False)
    qtbot.keyClick(v, Qt.Key.Key_BracketRight)  # no divider in this mode: nothing moves
    assert abs(v.split_fraction() - 0.45) < 1e-9
    assert v.accessibleDescription() == "Colour"
    v.set_annotation("2 hints, 1 region")  # for the hint and region tools: their circles are not widgets
    assert v.accessibleDescription() == "Colour; 2 hints, 1 region"
    pv = PhotoViewer()
    qtbot.addWidget(pv)
    assert pv.accessibleName() == "Photo viewer" and pv.secondary.accessibleName() == "Original photo"
