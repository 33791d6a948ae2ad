"""Files and folders dragged onto a widget: accept local ones only, hand over their paths."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent


def accept_files(event: QDragEnterEvent) -> None:
    """dragEnterEvent / dragMoveEvent: take a drag that carries local files or folders, refuse anything else."""
    if any(u.isLocalFile() for u in event.mimeData().urls()):
        event.acceptProposedAction()
    else:
        event.ignore()


def take_files(event: QDropEvent, handle: Callable[[list[str]], object]) -> None:
    """dropEvent: ``handle(paths)`` with the dropped local files and folders."""
    paths = [QUrl(u).toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
    if paths:
        event.acceptProposedAction()
        handle(paths)
    else:
        event.ignore()
