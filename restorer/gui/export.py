"""Save (one photo) and Save all (every loaded photo), at full resolution, through the core writer.

Rules the user can rely on: outputs are named ``<name>_colour.<ext>`` in a folder they chose (remembered);
the core's writer keeps the metadata, writes atomically and refuses to write onto the original. Save all runs
the core's one batch loop (``restorer.core.batch.colorize_files``) on the compute pool, so names and
subfolders come out as the CLI makes them; when some outputs already exist it asks once whether to skip,
replace or keep both. Progress and Cancel are in the status bar.

The exporter sees the window only through :class:`ExportHost`.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from restorer.core.session import PhotoSession
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.notifier import Notifier
from restorer.gui.workers import Worker, pool

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"
#: ``restorer.core.batch.ON_EXISTS``, by the button that chooses each.
EXISTING_CHOICES = (("skip", "Skip them"), ("replace", "Replace them"), ("keep-both", "Keep both"))


class ExportHost(Protocol):
    """What the exporter needs of the window."""

    session: PhotoSession
    cache: jobs.ModelCache
    notifier: Notifier

    def current_model(self) -> str: ...
    def strength(self) -> float: ...
    def track_work(self, worker: Worker, label: str) -> None: ...
    def cancel_colourise(self) -> None: ...


def ask_existing(parent: QWidget, count: int, folder: Path) -> str | None:
    """Ask once what to do with ``count`` outputs that already exist: an ON_EXISTS value, or None (cancel)."""
    box = QMessageBox(QMessageBox.Icon.Question, QCoreApplication.translate("Export", "Some colour versions already "
                                                                                      "exist"),
                      QCoreApplication.translate("Export", "{count} of the colour versions are already in {folder}.").format(
                          count=count, folder=folder), QMessageBox.StandardButton.NoButton,
                      parent)
    box.setInformativeText(QCoreApplication.translate("Export", "Skip keeps them and colourises only the others; "
                                                                "Replace writes over them; Keep both writes the "
                                                                "new ones beside them, numbered (-2)."))
    buttons = {box.addButton(text, QMessageBox.ButtonRole.AcceptRole): value for value, text in EXISTING_CHOICES}
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return buttons.get(box.clickedButton())


class Exporter(QObject):
    saved = Signal(object)  # Path written
    saveFailed = Signal(str)
    saveAllFinished = Signal(object)  # jobs.SaveAllReport

    def __init__(self, host: ExportHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self.worker: Worker | None = None
        #: Answers the "outputs already exist" question; replaced by tests.
        self.ask_existing = lambda count, folder: ask_existing(self.parent_widget, count, folder)

    # -- Save ------------------------------------------------------------------------------------------------
    def save_current(self) -> Worker | None:
        """Ask where to save the current photo's colour version and write it on a worker."""
        host, note = self.host, self.host.notifier
        doc, model = host.session.current, host.current_model()
        if doc is None or doc.image is None:
            note.error(self.tr("Nothing to save"), self.tr("Open a photo first."))
            return None
        if not model:
            note.error(self.tr("No model"), self.tr("No colourisation model is installed."))
            return None
        suggested = Path(S.get_dir(S.LAST_SAVE_DIR)) / jobs.suggested_name(doc.path)
        out, _ = QFileDialog.getSaveFileName(self.parent_widget, self.tr("Save colour version"), str(suggested),
                                             IMAGE_FILTER)
        if not out:
            return None
        out_path = Path(out)
        if out_path in host.session:
            note.error(self.tr("Will not overwrite an original"),
                       self.tr("{name} is one of the photos you opened. Choose another name.").format(
                           name=out_path.name))
            return None
        S.put(S.LAST_SAVE_DIR, str(out_path.parent))
        strength = host.strength()
        full = host.session.full_for(doc, model, strength)
        # The file dialog has already asked the user to confirm replacing an existing (non-original) file.
        w = Worker(jobs.save_photo, host.cache, doc.image, model, doc.hints.specs(), out_path,
                   full.pixels if full is not None else None, overwrite=out_path.exists(), strength=strength,
                   name="save")
        note.watch(w, f"Could not save {out_path.name}", inline=self.saveFailed.emit)
        w.returned.connect(self._on_saved)
        w.cancelled.connect(lambda: note.status(self.tr("Save cancelled."), 4000))
        host.track_work(w, "Saving…")
        self.worker = w
        w.start(pool("compute"))
        return w

    def _on_saved(self, path: Path) -> None:
        self.host.notifier.status(self.tr("Saved {path}").format(path=path), 8000)
        self.saved.emit(path)

    # -- Save all --------------------------------------------------------------------------------------------
    def save_all(self) -> Worker | None:
        """Colourise every loaded, readable photo into a chosen folder (each with its own hints)."""
        host, note, model = self.host, self.host.notifier, self.host.current_model()
        docs = host.session.readable()
        if not docs or not model:
            note.error(self.tr("Nothing to save"), self.tr("Open some photos first.") if model
                       else self.tr("No model is installed."))
            return None
        folder = QFileDialog.getExistingDirectory(self.parent_widget, self.tr("Save colour versions into"),
                                                  S.get_dir(S.LAST_SAVE_DIR))
        if not folder:
            return None
        S.put(S.LAST_SAVE_DIR, folder)
        out_dir = Path(folder)
        existing = jobs.existing_outputs(jobs.mirrored([d.path for d in docs]), out_dir)
        on_exists = self.ask_existing(len(existing), out_dir) if existing else "skip"
        if on_exists is None:
            return None
        items = [(d.path, d.hints.specs()) for d in docs]
        host.cancel_colourise()  # one model run at a time: the batch goes first
        w = Worker(jobs.save_all, host.cache, items, model, out_dir, strength=host.strength(),
                   on_exists=on_exists, partial_ok=True, name="save all")
        note.watch(w, "Save all failed")
        w.returned.connect(self._on_save_all_done)
        # Cancelled while still queued (behind a preview): the job never ran, so report that nothing was written.
        w.cancelled.connect(lambda: self._on_save_all_done(jobs.SaveAllReport(cancelled=True)))
        host.track_work(w, f"Saving {len(items)} photos…")
        self.worker = w
        w.start(pool("compute"))
        return w

    def _on_save_all_done(self, report: jobs.SaveAllReport) -> None:
        n = len(report.written)
        where = f" to {report.written[0].parent}" if report.written else ""
        msg = (f"Save all cancelled: {n} photo(s) written{where}." if report.cancelled
               else f"Saved {n} photo(s){where}.")
        if report.skipped:
            msg += f" {len(report.skipped)} already existed and were kept (skipped)."
        note = self.host.notifier
        note.status(msg, 10000)
        for src, reason in report.failed:
            log.warning("save all: %s: %s", src, reason)  # one line per failure, no traceback
        if report.failed:
            note.problems(f"{len(report.failed)} photo(s) were not saved", report.failed)
        self.saveAllFinished.emit(report)
