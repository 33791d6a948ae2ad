"""The status bar's work area: what is running (label, progress, Cancel), the last run's timings, the device."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from restorer.gui.workers import Worker


class WorkStatus(QObject):
    """Shows foreground workers (colourising, saving) in the status bar; Cancel stops all of them.

    Background work (thumbnails, histograms) is deliberately not shown here: it is cheap, cancels itself when
    superseded, and a progress bar flickering for it would hide the one the user is waiting for.
    """

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat(self.tr("%p %"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the running colourisation or save (Esc)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.timing = QLabel()
        self.device = QLabel(self.tr("Device: …"))
        for w in (self.label, self.progress, self.cancel_button, self.timing, self.device):
            bar.addPermanentWidget(w)
        self._workers: list[Worker] = []
        self._set_visible(False)

    def track(self, worker: Worker, label: str) -> None:
        """Show ``worker`` from when it starts until it finishes (call before ``worker.start``)."""
        self._workers.append(worker)
        _Tracked(self, worker, label)

    def cancel(self) -> None:
        for w in list(self._workers):
            w.cancel()

    def is_busy(self) -> bool:
        return any(not w.done for w in self._workers)

    def set_timing(self, text: str) -> None:
        self.timing.setText(text)

    def set_device(self, text: str) -> None:
        self.device.setText(self.tr("Device: {text}").format(text=text))

    def _on_started(self, label: str) -> None:
        self.label.setText(label)
        self.progress.setValue(0)
        self._set_visible(True)

    def _on_progress(self, f: float) -> None:
        self.progress.setValue(int(f * 1000))

    def _on_finished(self, w: Worker) -> None:
        if w in self._workers:
            self._workers.remove(w)
        if not self.is_busy():
            self._set_visible(False)

    def _set_visible(self, on: bool) -> None:
        for w in (self.label, self.progress, self.cancel_button):
            w.setVisible(on)


class _Tracked(QObject):
    """One tracked worker's connections, owned by the status: bound methods of a QObject are disconnected when
    it is destroyed, so a worker that finishes after its window closed finds nothing to update (lambdas stayed
    connected and reached deleted labels)."""

    def __init__(self, status: WorkStatus, worker: Worker, label: str) -> None:
        super().__init__(status)
        self.status, self.worker, self.text = status, worker, label
        worker.started.connect(self.on_started)
        worker.progress.connect(status._on_progress)
        worker.yielded.connect(self.on_yielded)
        worker.finished.connect(self.on_finished)

    def on_started(self) -> None:
        self.status._on_started(self.text)

    def on_yielded(self, v: object) -> None:
        if isinstance(v, str):
            self.status.label.setText(v)

    def on_finished(self) -> None:
        self.status._on_finished(self.worker)
        self.deleteLater()
