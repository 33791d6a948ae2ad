"""Tools > Colour like a reference photo…: learn one colour photo's palette and see the open photo take it.

The learning runs as a ``restorer reference … --status-dir DIR`` child process, as fine-tuning does: the app
never imports the trainer (a crash or an out-of-memory there must not take the open photos with it), and the
GUI thread only polls two small files in DIR. The child writes ``status.json`` (progress) about once a second,
``preview.png`` (the open photo coloured by the model so far) every ~15 s and at the end, and the finished
model into ``DIR/model``; Cancel creates ``DIR/STOP`` and the child stops at its next step, writing nothing.
"Keep as model…" installs that model into the user's models folder with the same checks as an import.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.child_process import MIN_GRACE_MS, ChildProcess, headline, stop_grace_ms, trainer_command
from restorer.gui.notifier import watch
from restorer.gui.train_dialog import ImagePanel
from restorer.gui.workers import JobControl, Worker, pool

#: The child's files, as ``training.reference`` names them (not imported: that module pulls in torch).
STATUS_JSON, PREVIEW_PNG, STOP_FILE, MODEL_DIR = "status.json", "preview.png", "STOP", "model"
STAGED_NAME = "reference"
POLL_MS = 400
#: As long as the trainer's: a busy CPU made 15 s too short (exit 9, killed, instead of 130, stopped).
STOP_GRACE_MS = MIN_GRACE_MS
IMAGE_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp)"


def _read_image(ctl: JobControl, path: Path) -> QImage:
    img = QImage(str(path))
    if img.isNull():
        raise OSError(f"cannot read {path.name}")
    return img


def suggest_name(ref: Path) -> str:
    """'like <reference file stem>', cut to what a model name allows."""
    from restorer.core.models import MAX_NAME, model_name_problem

    stem = "".join(ch if ch.isalnum() or ch in " -_.+" else " " for ch in ref.stem).strip(" ._") or "reference"
    name = f"like {stem}"[:MAX_NAME].rstrip(" .")
    return name if model_name_problem(name) is None else "like reference"


class ReferenceRun(QObject):
    """One child process learning a reference; reports ``status(dict)``, ``preview(QImage)``, ``ended(code, text)``."""

    status = Signal(dict)
    preview = Signal(QImage)
    ended = Signal(int, str)

    def __init__(self, ref: Path, target: Path, minutes: float, base: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(tempfile.mkdtemp(prefix="restorer-reference-"))
        self.ref, self.target, self.minutes, self.base = ref, target, minutes, base
        self.child = ChildProcess((self.folder / STOP_FILE).touch, self, merged=True)
        self.proc = self.child.proc
        self.child.ended.connect(self._on_finished)
        self.child.failedToStart.connect(lambda _details: self._end(2, self.tr("could not start the trainer process")))
        self.timer = QTimer(self, interval=POLL_MS, timeout=self.poll)
        self._preview_mtime = 0.0
        self._last: dict[str, Any] = {}
        self._ended = False

    @property
    def model_card(self) -> Path:
        return self.folder / MODEL_DIR / f"{STAGED_NAME}.json"

    def start(self) -> None:
        self.child.start(*trainer_command(["reference", "--ref", str(self.ref), str(self.target),
                                           "-o", str(self.folder / "out"), "--minutes", f"{self.minutes:g}",
                                           "--base", self.base, "--status-dir", str(self.folder)]))
        self.timer.start()

    def is_running(self) -> bool:
        return self.child.is_running()

    def stop(self) -> None:
        """Ask the child to stop at its next step; kill it if it has not within :meth:`stop_grace_ms`."""
        self.child.stop(self.stop_grace_ms())

    def stop_grace_ms(self) -> int:
        """At least :data:`STOP_GRACE_MS`, longer when its steps are slow (a busy CPU, a preview being made)."""
        return stop_grace_ms(self._last.get("minutes"), self._last.get("steps"), STOP_GRACE_MS)

    def kill(self) -> None:
        """End the child now and wait for it (briefly), so its folder can be removed."""
        self.child.kill()
        self.proc.waitForFinished(3000)

    def poll(self) -> None:
        try:
            self._last = json.loads((self.folder / STATUS_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # not written yet (the child is still loading the model)
        else:
            self.status.emit(self._last)
        p = self.folder / PREVIEW_PNG
        try:
            mtime = p.stat().st_mtime
        except OSError:
            return
        if mtime != self._preview_mtime:
            self._preview_mtime = mtime
            w = Worker(_read_image, p, name="reference preview")
            w.returned.connect(self.preview.emit)
            w.start(pool("io"))

    def _on_finished(self, code: int, _normal_exit: bool) -> None:
        self.poll()
        if self.child.killed and self.child.stopping:
            text = self.tr("the trainer did not stop within {seconds} s and was ended").format(
                seconds=self.child.grace_ms // 1000)
        else:
            text = headline(self.child.lines["out"])
        self._end(code, text)

    def _end(self, code: int, text: str) -> None:
        if self._ended:
            return
        self._ended = True
        self.timer.stop()
        self.ended.emit(code, text)

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class ReferenceDialog(QDialog):
    """Pick a colour reference, train on it (progress, preview, Cancel), keep the result as a model."""

    modelKept = Signal(str)
    runEnded = Signal(int, str)  # after the dialog has shown the outcome (exit code, the child's last line)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Colour like a reference photo"))
        self.run: ReferenceRun | None = None
        self.target: Path | None = None
        self.base = "default"
        self.finished_ok = False
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        self.ref_edit = QLineEdit(readOnly=True, placeholderText="a colour photo of the same place, uniform or room")
        self.browse = QPushButton(self.tr("Choose…"), clicked=self.choose_reference)
        row = QHBoxLayout()
        row.addWidget(self.ref_edit, 1)
        row.addWidget(self.browse)
        self.target_label = QLabel(self.tr("Open a black-and-white photo in the main window first."))
        self.minutes = QDoubleSpinBox(decimals=1, minimum=0.5, maximum=30.0, singleStep=0.5, value=2.0,
                                      suffix=" min")
        self.minutes.setToolTip(self.tr("How long to learn the reference's colours (2 minutes suit a laptop CPU)"))
        form = QFormLayout()
        form.addRow(self.tr("Reference:"), row)
        form.addRow(self.tr("Photo to colour:"), self.target_label)
        form.addRow(self.tr("Learning time:"), self.minutes)
        self.ref_panel = ImagePanel("Reference")
        self.result_panel = ImagePanel("The result appears here while the colours are learned")
        panels = QHBoxLayout()
        panels.addWidget(self.ref_panel, 1)
        panels.addWidget(self.result_panel, 1)
        self.progress = QProgressBar(minimum=0, maximum=1000, textVisible=False)
        self.status_label = QLabel("")
        self.start_button = QPushButton(self.tr("Start"), clicked=self.start)
        self.cancel_button = QPushButton(self.tr("Cancel"), clicked=self.cancel)
        self.keep_button = QPushButton(self.tr("Keep as model…"), clicked=self.keep)
        self.keep_button.setToolTip(self.tr("Save the learned colours as a model: it appears in the model picker "
                                            "and Compare"))
        close = QPushButton(self.tr("Close"), clicked=self.close)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.keep_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(panels, 1)
        lay.addWidget(self.progress)
        lay.addWidget(self.status_label)
        lay.addLayout(buttons)
        self.resize(820, 520)

    # -- inputs ----------------------------------------------------------------------------------------------
    def set_target(self, path: Path | None, base: str = "default") -> None:
        """The photo the preview shows (the main window's current one) and the model to learn on top of."""
        if self.is_running():
            return
        self.target, self.base = path, base
        self.target_label.setText(path.name if path else self.tr("Open a black-and-white photo in the main window "
                                                                 "first."))
        self._update_buttons()

    def set_reference(self, path: Path) -> None:
        self.ref_edit.setText(str(path))
        self.finished_ok = False
        w = Worker(_read_image, path, name="reference thumbnail")
        w.returned.connect(self.ref_panel.set_image)
        watch(w, inline=lambda message: self._say(
            self.tr("Cannot show {name}: {message}").format(name=path.name, message=message), error=True))
        w.start(pool("io"))
        self._update_buttons()

    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a colour reference photo"), "", IMAGE_FILTER)
        if path:
            self.set_reference(Path(path))

    def reference(self) -> Path | None:
        return Path(self.ref_edit.text()) if self.ref_edit.text() else None

    # -- the run ---------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.run is not None and self.run.is_running()

    def start(self) -> ReferenceRun | None:
        ref = self.reference()
        if ref is None or self.target is None or self.is_running():
            return None
        self._discard_run()
        self.finished_ok = False
        self.result_panel.set_image(None)
        run = self.run = ReferenceRun(ref, self.target, self.minutes.value(), self.base, self)
        run.status.connect(self._on_status)
        run.preview.connect(self.result_panel.set_image)
        run.ended.connect(self._on_ended)
        self.progress.setValue(0)
        self._say(self.tr("Loading the model…"))
        run.start()
        self._update_buttons()
        return run

    def cancel(self) -> None:
        if self.is_running():
            assert self.run is not None
            self.run.stop()
            self._say(self.tr("Stopping…"))

    def _on_status(self, st: dict[str, Any]) -> None:
        if st.get("state") != "training":
            return
        self.progress.setValue(int(1000 * float(st.get("fraction") or 0.0)))
        loss = st.get("loss")
        error = self.tr(", error {loss}").format(loss=f"{loss:.4f}") if isinstance(loss, (int, float)) else ""
        self._say(self.tr("Learning the reference's colours: {steps} steps, {done} of {budget} min").format(
            steps=st.get("steps", 0), done=f"{float(st.get('minutes') or 0):.1f}", budget=f"{self.minutes.value():g}")
            + error)

    def _on_ended(self, code: int, text: str) -> None:
        self.finished_ok = code == 0 and self.run is not None and self.run.model_card.is_file()
        if self.finished_ok:
            self.progress.setValue(1000)
            self._say(self.tr("Done. Keep the result as a model to use it on other photos, in Compare and Save all."))
        elif code == 130:
            self.progress.setValue(0)
            self._say(self.tr("Cancelled: nothing was kept."))
        else:
            why = text or self.tr("the trainer stopped (code {code})").format(code=code)
            self._say(self.tr("Could not learn the reference: {reason}").format(reason=why), error=True)
        self._update_buttons()
        self.runEnded.emit(code, text)

    def keep(self) -> Worker | None:
        if not self.finished_ok or self.run is None:
            return None
        ref = self.reference() or Path("reference")
        name, ok = QInputDialog.getText(self, self.tr("Keep as model"), self.tr("Model name:"), text=suggest_name(ref))
        return self.keep_as(name.strip()) if ok else None

    def keep_as(self, name: str) -> Worker | None:
        """Install the finished model as ``name`` on a worker; ``modelKept(name)`` when it is in the folder."""
        from restorer.core.model_store import install_files

        if self.run is None or not self.finished_ok:
            return None
        staged = self.run.model_card
        w = Worker(lambda _ctl: install_files(staged, name), name="keep reference model")
        w.returned.connect(lambda card: (self._say(self.tr("Kept as model {name}.").format(name=repr(card.name))),
                                         self.modelKept.emit(card.name)))
        watch(w, inline=lambda message: self._say(self.tr("Not kept: {message}").format(message=message), error=True))
        w.start(pool("io"))
        return w

    # -- plumbing --------------------------------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #c0392b;" if error else "")

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.start_button.setEnabled(not running and self.reference() is not None and self.target is not None)
        self.cancel_button.setEnabled(running)
        self.keep_button.setEnabled(not running and self.finished_ok)
        self.browse.setEnabled(not running)
        self.minutes.setEnabled(not running)

    def _discard_run(self) -> None:
        if self.run is not None:
            self.run.cleanup()
            self.run.deleteLater()
            self.run = None

    def shutdown(self) -> None:
        """The window is closing: end the child now and remove its folder."""
        self._discard_run()

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.cancel()  # the learning has no use without this dialog; the child stops at its next step
        super().closeEvent(event)

    def reject(self) -> None:  # noqa: D401 - Esc and the title bar come here
        self.cancel()
        super().reject()
