"""Save (one photo) and Save all (every loaded photo), at full resolution, through the core writer.

Rules the user can rely on: outputs are named ``<name>_colour.<ext>`` in a folder they chose (remembered);
the core's ``write_image`` keeps the metadata, writes atomically and refuses to write onto the original; an
existing output is never replaced by Save all (it is skipped and counted). Save all runs the core's one
batch loop (``restorer.core.batch.colorize_files``), so names and subfolders come out as the CLI makes them. The work runs on the
compute pool with progress and Cancel in the status bar.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.workers import Worker, pool

if TYPE_CHECKING:  # pragma: no cover
    from restorer.gui.main_window import MainWindow

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"


class Exporter(QObject):
    saved = Signal(object)  # Path written
    saveFailed = Signal(str)
    saveAllFinished = Signal(object)  # jobs.SaveAllReport

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.win = window
        self.worker: Worker | None = None

    # -- Save ------------------------------------------------------------------------------------------------
    def save_current(self) -> Worker | None:
        """Ask where to save the current photo's colour version and write it on a worker."""
        win, doc, model = self.win, self.win.doc, self.win.current_model()
        if doc is None or doc.image is None:
            win.show_error("Nothing to save", "Open a photo first.")
            return None
        if not model:
            win.show_error("No model", "No colourisation model is installed.")
            return None
        suggested = Path(S.get_dir(S.LAST_SAVE_DIR)) / jobs.suggested_name(doc.path)
        out, _ = QFileDialog.getSaveFileName(win, "Save colour version", str(suggested), IMAGE_FILTER)
        if not out:
            return None
        out_path = Path(out)
        if out_path.resolve() in win.docs:
            win.show_error("Will not overwrite an original",
                           f"{out_path.name} is one of the photos you opened. Choose another name.")
            return None
        S.put(S.LAST_SAVE_DIR, str(out_path.parent))
        strength = win.strength()
        full = doc.full.pixels if doc.full is not None and doc.full.recipe == doc.key(model, strength) else None
        # The file dialog has already asked the user to confirm replacing an existing (non-original) file.
        w = Worker(jobs.save_photo, win.cache, doc.image, model, doc.hints.specs(), out_path, full,
                   overwrite=out_path.exists(), strength=strength, name="save")
        w.returned.connect(self._on_saved)
        w.errored.connect(lambda e: self._on_save_error(out_path, e))
        w.cancelled.connect(lambda: win.statusBar().showMessage("Save cancelled.", 4000))
        win.work.track(w, "Saving…")
        self.worker = w
        w.start(pool("compute"))
        return w

    def _on_saved(self, path: Path) -> None:
        self.win.statusBar().showMessage(f"Saved {path}", 8000)
        self.saved.emit(path)

    def _on_save_error(self, path: Path, exc: BaseException) -> None:
        msg = jobs.error_message(exc)
        self.saveFailed.emit(msg)
        self.win.show_error(f"Could not save {path.name}", msg)

    # -- Save all --------------------------------------------------------------------------------------------
    def save_all(self) -> Worker | None:
        """Colourise every loaded, readable photo into a chosen folder (each with its own hints)."""
        win, model = self.win, self.win.current_model()
        if not win.docs or not model:
            win.show_error("Nothing to save", "Open some photos first." if model else "No model is installed.")
            return None
        folder = QFileDialog.getExistingDirectory(win, "Save colour versions into", S.get_dir(S.LAST_SAVE_DIR))
        if not folder:
            return None
        S.put(S.LAST_SAVE_DIR, folder)
        items = []
        for p in win.strip.paths():
            doc = win.docs.get(Path(p).resolve())
            if doc is not None and doc.error is None:
                items.append((doc.path, doc.hints.specs()))
        win.cancel_colourise()  # one model run at a time: the batch goes first
        w = Worker(jobs.save_all, win.cache, items, model, Path(folder), strength=win.strength(), partial_ok=True,
                   name="save all")
        w.returned.connect(self._on_save_all_done)
        # Cancelled while still queued (behind a preview): the job never ran, so report that nothing was written.
        w.cancelled.connect(lambda: self._on_save_all_done(jobs.SaveAllReport(cancelled=True)))
        w.errored.connect(lambda e: win.show_error("Save all failed", jobs.error_message(e)))
        win.work.track(w, f"Saving {len(items)} photos…")
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
        self.win.statusBar().showMessage(msg, 10000)
        if report.failed:
            self.win.banner.show_problems(f"{len(report.failed)} photo(s) were not saved", report.failed)
        self.saveAllFinished.emit(report)
