"""The current photo's colourise runs: a debounced preview, then the full resolution, each on the compute pool.

A change (model, hints, strength, photo) cancels the runs in flight and starts a new generation of the
:class:`~restorer.core.session.PhotoSession`; a result of an older generation is kept as a preview but never
shown. Showing a result is the window's business (``show``): this class only decides which result, when.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from restorer.gui import jobs
from restorer.gui.workers import Worker, pool

if TYPE_CHECKING:  # pragma: no cover
    from restorer.gui.main_window import MainWindow

HINT_DEBOUNCE_MS = 150


class PreviewFlow(QObject):
    previewReady = Signal(object)  # ColorizeResult to show (preview)
    fullReady = Signal(object)  # ColorizeResult to show (full resolution)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, win: MainWindow, show: Callable[[jobs.ColorizeResult], None]) -> None:
        super().__init__(win)
        self.win, self.session, self.show = win, win.session, show
        self.preview_worker: Worker | None = None
        self.full_worker: Worker | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(HINT_DEBOUNCE_MS)
        self.timer.timeout.connect(self.colourise_now)

    def request(self, immediate: bool = False) -> None:
        """(Re)run the preview: debounced (hint edits arrive in bursts) unless ``immediate``."""
        if immediate:
            self.timer.stop()
            self.colourise_now()
        else:
            self.timer.start()

    def colourise_now(self) -> Worker | None:
        """Cancel running colourisation and start a preview of the current photo; returns its worker."""
        self.timer.stop()
        doc, model = self.session.current, self.win.current_model()
        if doc is None or doc.image is None or not model:
            return None
        self.cancel()
        self.session.next_generation()
        w = Worker(jobs.colorize_photo, self.win.cache, model, doc.image.pixels, doc.hints.specs(), preview=True,
                   token=self.session.token(doc), make_qimage=True, strength=self.win.strength(), name="preview")
        self._connect(w, "Colourising…")
        w.returned.connect(self._on_preview)
        self.preview_worker = w
        w.start(pool("compute"))
        return w

    def show_cached(self) -> bool:
        """Show the current photo's kept preview for the current model, hints and strength, if there is one."""
        cached = self.session.cached_preview(self.session.current, self.win.current_model(), self.win.strength())
        if cached is None:
            return False
        self.timer.stop()
        self.cancel()
        self.session.next_generation()  # a run still in flight for another setting must not replace this
        self.show(cached)
        self.start_full(cached)
        return True

    def start_full(self, preview: jobs.ColorizeResult) -> None:
        """Make the full-resolution result in the background (skipped when the preview already is full size)."""
        doc = self.session.current
        if doc is None or doc.image is None:
            return
        if doc.full is not None and doc.full.recipe == preview.recipe:
            self.show(doc.full)
            return
        if preview.pixels.shape == doc.image.pixels.shape:
            doc.full = preview
            self.fullReady.emit(preview)
            return
        w = Worker(jobs.colorize_photo, self.win.cache, preview.model_name, doc.image.pixels, doc.hints.specs(),
                   preview=False, token=self.session.token(doc), make_qimage=True, strength=preview.strength,
                   name="full resolution")
        self._connect(w, "Full resolution…")
        w.returned.connect(self._on_full)
        self.full_worker = w
        w.start(pool("compute"))

    def cancel(self) -> None:
        """Cancel the preview and full-resolution runs (if any)."""
        for w in (self.preview_worker, self.full_worker):
            if w is not None and not w.done:
                w.cancel()

    def _connect(self, w: Worker, label: str) -> None:
        w.cancelled.connect(self.cancelled)
        self.win.notifier.watch(w, "Colourisation failed", inline=self.failed.emit,
                                context=lambda: f"Model {self.win.current_model()!r}")
        self.win.track_work(w, label)

    def _on_preview(self, res: jobs.ColorizeResult) -> None:
        doc, wanted = self.session.owner(res)
        if doc is None:
            return
        self.session.keep_preview(doc, res)
        if wanted:
            self.show(res)
            self.previewReady.emit(res)
            self.start_full(res)

    def _on_full(self, res: jobs.ColorizeResult) -> None:
        doc, wanted = self.session.owner(res)
        if doc is None or not wanted:
            return
        doc.full = res
        self.show(res)
        self.fullReady.emit(res)


def flow_signals(flow: PreviewFlow, win: Any) -> None:
    """Forward the flow's signals to the window's (what tests and scripts wait on)."""
    flow.previewReady.connect(win.previewReady)
    flow.fullReady.connect(win.fullReady)
    flow.failed.connect(win.colorizeFailed)
