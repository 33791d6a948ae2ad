"""Yes-or-no questions before something that cannot be taken back (deleting files, stopping a batch)."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget | None, title: str, text: str, informative: str, button: str,
            role: QMessageBox.ButtonRole = QMessageBox.ButtonRole.AcceptRole) -> bool:
    """A window-modal question with one button that does it and Cancel; True when that button was clicked.
    The texts come translated from the caller (its own tr() context)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(informative)
    do = box.addButton(button, role)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is do
