"""The main toolbar on a 1366 x 768 laptop screen (issue 26): every command is on it, none behind the » button."""
from __future__ import annotations

import pytest

LAPTOP_WIDTH = 1366


def _toolbar(window):
    from PySide6.QtWidgets import QToolBar, QToolButton

    tb = window.findChild(QToolBar, "mainToolbar")
    return tb, tb.findChild(QToolButton, "qt_toolbar_ext_button")


def _overflowing(window, qtbot, width):
    """The toolbar's actions not shown whole in it when the window is ``width`` px wide."""
    tb, _ = _toolbar(window)
    window.resize(width, 728)
    qtbot.waitUntil(lambda: abs(tb.width() - window.width()) < 10, timeout=5000)
    qtbot.wait(50)  # the toolbar lays its items out anew
    right = tb.contentsRect().right()
    out = []
    for a in tb.actions():
        if a.isSeparator() or not a.isVisible():
            continue
        w = tb.widgetForAction(a)
        if w is None or not w.isVisible() or w.geometry().right() > right:
            out.append(a.iconText() or a.text() or type(w).__name__)
    return out


def test_the_toolbar_fits_a_laptop_screen(qtbot, window):
    assert window.act_hints.isVisible() and window.hint_size_action.isVisible()  # its widest state
    assert _overflowing(window, qtbot, LAPTOP_WIDTH) == []
    _, extension = _toolbar(window)
    assert extension is None or not extension.isVisible()


def test_the_check_sees_an_overflow(qtbot, window):
    """At half the width some actions go behind the » button, and the check above says which."""
    hidden = _overflowing(window, qtbot, 700)
    _, extension = _toolbar(window)
    assert "Compare" in hidden and extension is not None and extension.isVisible()


@pytest.mark.parametrize("name", ["act_open", "act_open_folder"])
def test_open_folder_is_in_opens_drop_down_and_the_file_menu(window, name):
    from PySide6.QtWidgets import QToolButton

    tb, _ = _toolbar(window)
    button = tb.widgetForAction(window.act_open)
    assert isinstance(button, QToolButton) and button.popupMode() == QToolButton.ToolButtonPopupMode.MenuButtonPopup
    assert getattr(window, name) in button.menu().actions()
    file_menu = window.menuBar().actions()[0].menu()
    assert getattr(window, name) in file_menu.actions()


def test_the_unlabelled_tool_sizes_say_what_they_are(window):
    for widget in (window.hint_size, window.brush_size):
        assert widget.accessibleName() and widget.toolTip()
