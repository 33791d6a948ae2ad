"""Fine-tune a model on the user's own colour photos: the dialog (a form, then the run's progress and grid).

The run itself, a ``restorer train`` child process watched through its run folder, is
:class:`restorer.gui.train_process.TrainRun`; this module only asks and shows. The new model lands in the user
model folder, where ``list_models()`` finds it; the main window refreshes its model picker when
:attr:`TrainDialog.modelTrained` fires.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from restorer.core.models import MAX_NAME
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.notifier import watch
from restorer.gui.train_process import (
    TrainOutcome,
    TrainRequest,
    TrainRun,
    TrainStatus,
    fresh_run_dir,
    validation_interval,
)
from restorer.gui.workers import JobControl, Worker, pool
from training import protocol

LAST_TRAIN_DIR = "paths/last_train_data"
TRAIN_MINUTES = "train/minutes"

_STAGES = {protocol.STAGE_REC: "Stage 1 of 2: learning the colours",
           protocol.STAGE_ADV: "Stage 2 of 2: making the colours vivid"}


def name_problem(name: str, taken: Iterable[str]) -> str | None:
    """Why ``name`` cannot name a new model, or None. It becomes two file names, on any OS, and must not hide
    an existing model (case-insensitively: Windows and macOS folders would merge them)."""
    from restorer.core.models import model_name_problem

    name = name.strip()
    problem = model_name_problem(name)
    if problem:
        return problem
    if name.lower() in {t.lower() for t in taken}:
        return f"A model named {name!r} already exists; choose another name."
    return None




def count_photos(ctl: JobControl, folder: str) -> int | None:
    """Photos under ``folder`` (None: no such folder); gray and broken ones are only sorted out by the trainer."""
    path = Path(folder)
    if not folder or not path.is_dir():
        return None
    return len(jobs.find_photos(ctl, [path]))



# -- widgets -------------------------------------------------------------------------------------------------------

class ImagePanel(QLabel):
    """A QImage scaled to fit the label, aspect kept; the placeholder text until there is one."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(placeholder, parent)
        self.placeholder = placeholder
        self.image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumSize(240, 160)
        # Ignored: the pixmap must never push the dialog bigger; the layout decides and the image follows.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.image is None or self.image.isNull():
            self.setPixmap(QPixmap())
            self.setText(self.placeholder)
            return
        size = self.contentsRect().size()
        self.setPixmap(QPixmap.fromImage(self.image).scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                            Qt.TransformationMode.SmoothTransformation))


def _absolute(folder: str) -> str:
    """The trainer runs in its run folder, so a typed relative path must not reach it as one."""
    return str(Path(folder.strip()).expanduser().absolute())


def _summary(req: TrainRequest) -> str:
    esc = html.escape
    val = f" (checked on {esc(Path(req.val).name)})" if req.val else ""
    return (f"Fine-tuning <b>{esc(req.base)}</b> on the photos in <b>{esc(Path(req.data).name)}</b>{val} for "
            f"{req.minutes:g} min; the new model will be <b>{esc(req.name)}</b>.")


def _folder_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    lay.addWidget(browse)
    return w


class TrainDialog(QDialog):
    """Tools ▸ Fine-tune on my photos…: choose photos, base model, name and time; watch; use the result.

    Non-modal, and it keeps its run when hidden: the user goes on colourising while it trains.
    """

    modelTrained = Signal(str)  # a new model was exported (its name)
    useModel = Signal(str)  # "Use this model" was clicked
    runFinished = Signal(object)  # TrainOutcome

    def __init__(self, cards: Sequence[Any] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fine-tune a model on your photos")
        self.run: TrainRun | None = None
        self.outcome: TrainOutcome | None = None
        self.taken: set[str] = set()
        self._close_parent_when_done = False
        self._count_worker: Worker | None = None
        self._build()
        self.set_models(cards)
        if parent is not None:
            parent.installEventFilter(self)  # to ask before the app quits under a running trainer

    # -- building --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_form()
        self._build_progress()
        buttons = self._build_buttons()
        intro = QLabel("Teach a model the colours of your own collection: give it a folder of <b>colour</b> "
                       "photos from the same era or place. Training runs in the background; you can keep "
                       "working, and the new model joins the model list when it is done.")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.form_box)
        lay.addWidget(self.progress_box, 1)
        lay.addStretch(0)  # keeps the form at the top while the progress box is hidden
        lay.addLayout(buttons)
        self.resize(720, self.sizeHint().height())

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(300)  # typing a path must not start a folder walk per keystroke
        self._count_timer.timeout.connect(self._count_photos)
        self.data_edit.textChanged.connect(lambda _t: self._count_timer.start())
        self.data_edit.textChanged.connect(lambda _t: self._validate())
        self.val_edit.textChanged.connect(lambda _t: self._validate())
        self.name_edit.textChanged.connect(lambda _t: self._validate())
        self.base_combo.currentIndexChanged.connect(lambda _i: self._validate())

    def _build_form(self) -> None:
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("Folder of colour photos (subfolders included)")
        self.data_browse = QPushButton("Browse…")
        self.data_browse.clicked.connect(lambda: self._browse(self.data_edit, "Folder of colour photos"))
        self.data_info = QLabel()
        self.data_info.setWordWrap(True)
        self.val_edit = QLineEdit()
        self.val_edit.setPlaceholderText("Optional: otherwise every 20th photo is kept aside to check progress")
        self.val_browse = QPushButton("Browse…")
        self.val_browse.clicked.connect(lambda: self._browse(self.val_edit, "Folder of validation photos"))
        self.base_combo = QComboBox()
        self.base_combo.setToolTip("The model to start from; it is not changed, a new one is made")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Lyon 1920s")
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_note = QLabel()
        self.name_note.setWordWrap(True)
        self.name_note.setStyleSheet("color: #b3261e;")
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(1, 48 * 60)
        self.minutes_spin.setSingleStep(10)
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setValue(int(S.get_float(TRAIN_MINUTES, 30)))
        self.minutes_spin.setToolTip("Training time (start-up and checks not counted). Longer learns more; "
                                     "you can stop early and keep what was learnt.")

        self.form_box = QGroupBox("What to learn from")
        form = QFormLayout(self.form_box)
        form.addRow("Colour photos:", _folder_row(self.data_edit, self.data_browse))
        form.addRow("", self.data_info)
        form.addRow("Validation photos:", _folder_row(self.val_edit, self.val_browse))
        form.addRow("Start from model:", self.base_combo)
        form.addRow("New model name:", self.name_edit)
        form.addRow("", self.name_note)
        form.addRow("Time budget:", self.minutes_spin)
        self.form_note = QLabel()
        self.form_note.setWordWrap(True)
        self.form_note.setStyleSheet("color: #b3261e;")
        self.form_note.hide()
        form.addRow(self.form_note)

    def _build_progress(self) -> None:
        self.progress_box = QGroupBox("Training")
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.stage_label = QLabel()
        self.stage_label.setWordWrap(True)
        self.stage_label.setStyleSheet("font-weight: bold;")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.speed_label = QLabel()
        self.val_label = QLabel()
        self.val_label.setWordWrap(True)
        self.val_label.setToolTip("Measured on the validation photos turned gray. PSNR: closeness to the real "
                                  "colours, compared with leaving the photo gray. Colourfulness: 1.0× is as "
                                  "colourful as the real photos; a model that is unsure tends to brown (below 1).")
        self.grid_caption = QLabel("Latest check — each row: gray · this model · the real colours")
        self.grid = ImagePanel("The first check of the model on the validation photos appears here.")
        self.grid.setMinimumHeight(260)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_box = QPlainTextEdit()
        self.error_box.setReadOnly(True)
        self.error_box.setMaximumHeight(140)
        self.error_box.hide()
        pl = QVBoxLayout(self.progress_box)
        for w in (self.summary_label, self.stage_label, self.bar, self.speed_label, self.val_label,
                  self.grid_caption):
            pl.addWidget(w)
        pl.addWidget(self.grid, 1)
        pl.addWidget(self.result_label)
        pl.addWidget(self.error_box)
        pl.addStretch(0)  # takes the room only while the grid is hidden (a failure before any training)
        self.progress_box.hide()

    def _build_buttons(self) -> QHBoxLayout:
        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.stop_button = QPushButton("Stop and save")
        self.stop_button.setToolTip("Stop now and keep the model trained so far")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self._use_model)
        self.use_button.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.use_button, self.stop_button, self.start_button, self.close_button):
            buttons.addWidget(b)
        return buttons

    def set_models(self, cards: Sequence[Any]) -> None:
        """The models to start from (the default model first chosen) and the names already taken."""
        from restorer.paths import user_models_dir

        self.base_combo.clear()
        for c in cards:
            self.base_combo.addItem(c.name, c.name)
            self.base_combo.setItemData(self.base_combo.count() - 1, getattr(c, "description", ""),
                                        Qt.ItemDataRole.ToolTipRole)
        default = next((i for i, c in enumerate(cards) if getattr(c, "default", False)), 0)
        self.base_combo.setCurrentIndex(default if cards else -1)
        # Files in the model folder count too: a card hidden by a bundled name would still be overwritten.
        folder = user_models_dir()
        files = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
        self.taken = {c.name for c in cards} | files
        self._validate()

    # -- the form --------------------------------------------------------------------------------------------
    def _browse(self, edit: QLineEdit, title: str) -> None:
        start = edit.text() if Path(edit.text()).is_dir() else S.get_dir(LAST_TRAIN_DIR)
        folder = QFileDialog.getExistingDirectory(self, title, start)
        if folder:
            S.put(LAST_TRAIN_DIR, str(Path(folder).parent))
            edit.setText(folder)
            if edit is self.data_edit and not self.name_edit.text().strip():
                self.name_edit.setText(self.suggest_name(Path(folder).name))

    def suggest_name(self, folder_name: str) -> str:
        base = re.sub(r"[^\w .+-]+", " ", folder_name).strip(" .")[: MAX_NAME - 4] or "my photos"
        name, k = base, 2
        while name_problem(name, self.taken):
            name, k = f"{base} {k}", k + 1
            if k > 99:
                return ""
        return name

    def form_problem(self) -> str | None:
        """What stops the form from starting a run (None: ready)."""
        if self.base_combo.currentData() is None:
            return "No model to start from is installed."
        data = self.data_edit.text().strip()
        if not data:
            return "Choose the folder of colour photos."
        val = self.val_edit.text().strip()
        problem = name_problem(self.name_edit.text(), self.taken)
        if problem:
            return problem
        for label, folder in (("photo", data), ("validation", val)):
            if folder and not Path(folder).is_dir():
                return f"The {label} folder does not exist: {folder}"
        return None

    def _validate(self) -> None:
        self.form_note.hide()  # it answered the last Start; the form has changed since
        name = self.name_edit.text()
        problem = name_problem(name, self.taken) if name.strip() else None
        self.name_note.setText(problem or "")
        self.name_note.setVisible(bool(problem))
        running = self.is_running()
        ready = not running and bool(self.data_edit.text().strip()) and bool(name.strip()) and not problem \
            and self.base_combo.currentData() is not None
        # Under a finished run the button is "Train another", which only brings the form back.
        self.start_button.setEnabled(ready or (not running and self.form_box.isHidden()))

    def _count_photos(self) -> None:
        if self._count_worker is not None and not self._count_worker.done:
            self._count_worker.cancel()
        folder = self.data_edit.text().strip()
        if not folder:
            self.data_info.setText("")
            return
        self.data_info.setText("Looking for photos…")
        w = Worker(count_photos, folder, name="count training photos")
        w.returned.connect(lambda n, folder=folder: self._on_counted(folder, n))
        watch(w, inline=self.data_info.setText)
        self._count_worker = w
        w.start(pool("io"))

    def _on_counted(self, folder: str, n: int | None) -> None:
        if folder != self.data_edit.text().strip():
            return  # the user typed on
        if n is None:
            self.data_info.setText("No such folder.")
        elif n == 0:
            self.data_info.setText("No photos found in this folder.")
        else:
            self.data_info.setText(f"{n} photo{'s' if n != 1 else ''} found; gray and unreadable ones will be "
                                   f"skipped. A few hundred or more work best.")

    def request(self) -> TrainRequest:
        """The run the form describes (its run folder is picked now)."""
        from restorer.paths import user_models_dir

        name, minutes = self.name_edit.text().strip(), float(self.minutes_spin.value())
        val = self.val_edit.text().strip()
        return TrainRequest(data=_absolute(self.data_edit.text()), val=_absolute(val) if val else None,
                            base=str(self.base_combo.currentData()), name=name, minutes=minutes,
                            run_dir=fresh_run_dir(name), out_dir=user_models_dir(),
                            val_every=validation_interval(minutes))

    # -- running ---------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.run is not None and self.run.is_running()

    def start(self, request: TrainRequest | None = None) -> TrainRun | None:
        """Start the form's run (or ``request``); None when the form is not complete (it says why)."""
        if self.is_running():
            return None
        if request is None:
            problem = self.form_problem()
            if problem:
                self.form_note.setText(problem)
                self.form_note.show()
                return None
            request = self.request()
            S.put(TRAIN_MINUTES, self.minutes_spin.value())
        self.outcome = None
        run = self.run = TrainRun(request, self)
        run.statusChanged.connect(self._on_status)
        run.message.connect(self._on_message)
        # A grid decoded for an earlier run may arrive late: only this run's are shown.
        run.gridChanged.connect(lambda image, run=run: run is self.run and self.grid.set_image(image))
        run.finished.connect(self._on_finished)
        self.grid.set_image(None)
        for w in (self.bar, self.speed_label, self.val_label, self.grid_caption, self.grid):
            w.show()
        self.error_box.hide()
        self._show_result("")
        self.stage_label.setText("Starting the trainer and reading the photos…")
        self.bar.setRange(0, 0)  # busy until the first log row says how far along it is
        self.bar.setFormat("")
        self.speed_label.setText("")
        self.val_label.setText("")
        self.summary_label.setText(_summary(request))
        self._set_running(True)
        if self.height() < 700:
            self.resize(max(self.width(), 720), 760)
        run.start()
        return run

    def _on_start_clicked(self) -> None:
        if self.form_box.isHidden():  # "Train another": back to the form, keeping its folders
            self.progress_box.hide()
            self.form_box.show()
            self.start_button.setText("Start training")
            self.use_button.hide()
            self._validate()
            self._fit_height()
        else:
            self.start()

    def _fit_height(self) -> None:
        # After the layout has taken in the shown/hidden widgets, not before.
        QTimer.singleShot(0, lambda: self.resize(self.width(), self.sizeHint().height()))

    def stop(self) -> None:
        """Stop and save: the trainer finishes its step, checkpoints and exports the model trained so far."""
        if not self.is_running():
            return
        self.run.stop()
        self.stop_button.setEnabled(False)
        self.stage_label.setText("Stopping… saving the model trained so far.")

    def _set_running(self, on: bool) -> None:
        # While it trains the form is only a summary line: the room goes to the validation grid.
        self.form_box.setVisible(not on and self.outcome is None)
        self.progress_box.show()
        self.start_button.setVisible(not on)
        self.stop_button.setVisible(on)
        self.stop_button.setEnabled(on)
        self.use_button.setVisible(not on and self.outcome is not None and self.outcome.ok)
        self._validate()

    def _on_message(self, line: str) -> None:
        if self.run is not None and self.run.status.step == 0 and not self.run.stopping:
            self.stage_label.setText(line if len(line) < 160 else line[:157] + "…")

    def _on_status(self, st: TrainStatus) -> None:
        run = self.run
        if run is None:
            return
        budget = run.request.minutes
        if st.minutes > 0 or st.stage:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(1.0, st.minutes / budget)))
            self.bar.setFormat(f"{st.minutes:.1f} of {budget:g} min")
            if st.minutes >= budget and not run.stopping:
                self.stage_label.setText("Time is up: checking and saving the model…")
            elif not run.stopping:
                self.stage_label.setText(_STAGES.get(st.stage, "Training"))
        if st.img_per_s:
            self.speed_label.setText(f"{st.img_per_s:.1f} images/s · step {st.step}")
        bits = []
        if st.val_psnr is not None:
            gray = f" (gray photo: {st.gray_psnr:.2f} dB)" if st.gray_psnr is not None else ""
            bits.append(f"PSNR {st.val_psnr:.2f} dB{gray}")
        if st.val_colourfulness is not None:
            bits.append(f"colourfulness {st.val_colourfulness:.2f}× the real photos")
        if bits:
            when = f" at {st.val_minutes:.1f} min" if st.val_minutes is not None else ""
            self.val_label.setText(f"Check on the validation photos{when}: " + " · ".join(bits))

    def _on_finished(self, outcome: TrainOutcome) -> None:
        self.outcome = outcome
        self.bar.setRange(0, 1000)
        if outcome.ok:
            self.bar.setValue(1000)
            self.stage_label.setText("Done." if not outcome.stopped else "Stopped.")
            self.taken.add(outcome.name)
            self.modelTrained.emit(outcome.name)
        else:
            self.stage_label.setText("Stopped." if outcome.stopped else "Failed.")
        self._show_result(outcome.message, error=not outcome.ok and not outcome.stopped)
        self.error_box.setPlainText(outcome.details)
        # The box is for a traceback's context; a one-line reason is already in the message.
        self.error_box.setVisible(bool(outcome.details.strip()) and outcome.details.strip() not in outcome.message)
        if self.run is not None and self.run.status.step == 0 and self.grid.image is None:
            # Nothing was trained, so nothing to show there.
            for w in (self.bar, self.speed_label, self.val_label, self.grid_caption, self.grid):
                w.hide()
            self._fit_height()
        self._set_running(False)
        self.start_button.setText("Train another")
        self.runFinished.emit(outcome)
        if self._close_parent_when_done and self.parentWidget() is not None:
            QTimer.singleShot(0, self.parentWidget().close)
        elif not self.isVisible():
            self.show()  # trained in the background: this is where the user learns it is done

    def _show_result(self, text: str, error: bool = False) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet("color: #b3261e;" if error else "")
        self.result_label.setVisible(bool(text))
        if text:
            self.progress_box.show()

    def _use_model(self) -> None:
        if self.outcome is not None and self.outcome.ok:
            self.useModel.emit(self.outcome.name)
            self.hide()

    # -- closing ---------------------------------------------------------------------------------------------
    def ask_while_running(self, quitting: bool) -> str:
        """"stop", "background" (close the dialog only) or "cancel". A method so tests can answer it."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running", "The model is still training.",
                          QMessageBox.StandardButton.NoButton, self if self.isVisible() else self.parentWidget())
        if quitting:
            box.setInformativeText("Stop it and quit? The model trained so far is saved first (a few seconds).")
            stop = box.addButton("Stop training and quit", QMessageBox.ButtonRole.AcceptRole)
            background = None
        else:
            box.setInformativeText("It can go on in the background while you work; the model joins the list "
                                   "when it is done. Or stop now and keep the model trained so far.")
            background = box.addButton("Keep training", QMessageBox.ButtonRole.AcceptRole)
            stop = box.addButton("Stop and save", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "stop" if clicked is stop else "background" if clicked is background else "cancel"

    def reject(self) -> None:  # noqa: D401 - Esc, the Close button and the title bar's close all come here
        if self.is_running():
            choice = self.ask_while_running(quitting=False)
            if choice == "stop":
                self.stop()
            if choice != "background":
                return
        super().reject()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.parentWidget() and event.type() == QEvent.Type.Close and self.is_running():
            if not self._close_parent_when_done:
                if self.ask_while_running(quitting=True) == "stop":
                    self._close_parent_when_done = True
                    self.show()
                    self.stop()
            event.ignore()  # the window closes itself once the trainer has saved (see _on_finished)
            return True
        return super().eventFilter(obj, event)


def show_for_window(win: Any) -> TrainDialog:
    """The window's one fine-tuning dialog (made on first use; it keeps its run while hidden), shown."""
    dlg = getattr(win, "train_dialog", None)
    if dlg is None:
        dlg = win.train_dialog = TrainDialog(win.cards, win)
        dlg.modelTrained.connect(lambda _name: win.refresh_models())
        dlg.useModel.connect(lambda name: win.refresh_models(select=name))
    elif not dlg.is_running():
        dlg.set_models(win.cards)
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    return dlg

