"""Press-and-hold a key: "show the original while T is held down" (release to see the colour again)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget


def _typing_into(widget: QWidget | None) -> bool:
    """True when the focus widget takes text (then T is a letter, not a command)."""
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


class HoldKey(QObject):
    """Application event filter calling ``on_change(True)`` when ``key`` goes down (no modifiers) while ``window``
    is active, and ``on_change(False)`` when it comes up. Auto-repeat is swallowed, so holding does not flicker.

    A QAction shortcut cannot do this: shortcuts fire on press only.
    """

    def __init__(self, window: QWidget, key: Qt.Key, on_change: Callable[[bool], None]) -> None:
        super().__init__(window)
        self.window, self.key, self.on_change = window, key, on_change
        self.held = False
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.held:
            self.held = False
            self.on_change(False)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        et = event.type()
        if et not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or not isinstance(event, QKeyEvent):
            if et == QEvent.Type.ApplicationDeactivate and self.held:  # released outside the app: never seen
                self.held = False
                self.on_change(False)
            return False
        if event.key() != self.key or event.modifiers() != Qt.KeyboardModifier.NoModifier:
            return False
        if obj is not self.window and not (isinstance(obj, QWidget) and obj.window() is self.window):
            return False
        if _typing_into(QApplication.focusWidget()):
            return False
        if event.isAutoRepeat():
            return True
        down = et == QEvent.Type.KeyPress
        if down != self.held:
            self.held = down
            self.on_change(down)
        return True
