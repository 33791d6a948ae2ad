"""The one place where the app tells the user what went wrong: worker failures, problems with files, status.

Every worker whose failure the user should hear about is handed to :func:`watch` (the only code that connects
``Worker.errored``): the failure becomes one line (:func:`restorer.gui.jobs.error_message`), goes to the log
once, and is shown either inline (a tile, a label: ``inline``) or in a window-modal box of the window's
:class:`Notifier`. Problems with single files (an unreadable photo in a folder of 300) go to the banner, one
line each, instead of a box per file.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from restorer.gui import jobs
from restorer.gui.banner import ErrorBanner
from restorer.gui.workers import Worker

log = logging.getLogger(__name__)

Title = str | Callable[[str], str]


def watch(worker: Worker, title: Title | None = None, *, notifier: Notifier | None = None,
          inline: Callable[[str], Any] | None = None, context: Callable[[], str] | None = None) -> Worker:
    """Report ``worker``'s failure: ``inline(message)`` when given, and a box titled ``title`` (a text, or a
    function of the message) from ``notifier`` when both are given, its text the message after
    ``context()`` ("Model 'x': ...") when given. Returns the worker."""

    def failed(exc: BaseException) -> None:
        message = jobs.error_message(exc)
        log.info("%s: %s", worker.name, message)
        try:
            if inline is not None:
                inline(message)
            if notifier is not None and title is not None:
                text = f"{context()}: {message}" if context is not None else message
                notifier.error(title(message) if callable(title) else title, text)
        except RuntimeError as e:
            if "deleted" not in str(e):  # only PySide's "already deleted" / "has been deleted" are expected
                raise
            # The window that asked was closed while the work ran: nobody to tell.
            log.debug("%s: not shown (%s)", worker.name, e)

    worker.errored.connect(failed)
    return worker


class Notifier(QObject):
    """Message boxes, the problem banner and the status bar of one window."""

    errorShown = Signal(str, str)  # title, text: what a box said (tests and scripts wait on it)

    def __init__(self, window: QMainWindow, banner: ErrorBanner) -> None:
        super().__init__(window)
        self.window = window
        self.banner = banner
        self.closing = False
        self._boxes: list[QMessageBox] = []

    def watch(self, worker: Worker, title: Title, inline: Callable[[str], Any] | None = None,
              context: Callable[[], str] | None = None) -> Worker:
        """:func:`watch` with this notifier's box."""
        return watch(worker, title, notifier=self, inline=inline, context=context)

    def error(self, title: str, text: str) -> None:
        """A clear, window-modal message that does not block the event loop (workers keep reporting)."""
        self.errorShown.emit(title, text)
        if self.closing:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, box=box: box in self._boxes and self._boxes.remove(box))
        self._boxes.append(box)
        box.open()

    def status(self, text: str, ms: int = 5000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def problem(self, title: str, path: Path, reason: str) -> None:
        """One file's one-line problem, added to the banner (which groups them under ``title``)."""
        self.banner.add_problem(title, path, reason)

    def problems(self, title: str, items: Iterable[tuple[Path, str]]) -> None:
        self.banner.show_problems(title, list(items))

    def close(self) -> None:
        """The window is closing: no new boxes, and the open ones go with it."""
        self.closing = True
        for box in list(self._boxes):
            box.close()
