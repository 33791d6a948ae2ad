"""Fine-tune a model on the user's own colour photos: the dialog (a form, then the run's progress and grid).

The run itself, a ``restorer train`` child process watched through its run folder, is
:class:`restorer.gui.train_process.TrainRun`; its progress, checks and end are shown by
:class:`restorer.gui.train_progress.TrainProgress`; this module asks and wires them. The new model lands in the
user model folder, where ``list_models()`` finds it; the main window refreshes its model picker when
:attr:`TrainDialog.modelTrained` fires, and the dialog's list of models to start from follows the window's.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
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
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from restorer.core.models import MAX_NAME
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.ask import confirm
from restorer.gui.model_picker import fill_combo
from restorer.gui.notifier import watch
from restorer.gui.train_process import (
    TrainOutcome,
    TrainRequest,
    TrainRun,
    checkpoint_bytes,
    delete_checkpoints,
    fresh_run_dir,
    megabytes,
    validation_interval,
)
from restorer.gui.train_progress import ERROR_STYLE, ImagePanel, TrainProgress
from restorer.gui.workers import JobControl, Worker, pool

__all__ = ["ImagePanel", "TrainDialog", "count_photos", "name_problem", "show_for_window"]  # (reference_dialog)

LAST_TRAIN_DIR = "paths/last_train_data"
TRAIN_MINUTES = "train/minutes"
#: The dialog must fit a 1366 x 768 laptop screen under its taskbar and title bar.
MAX_HEIGHT = 660


def name_problem(name: str, taken: Iterable[str]) -> str | None:
    """Why ``name`` cannot name a new model, or None. It becomes two file names, on any OS, and must not hide
    an existing model (case-insensitively: Windows and macOS folders would merge them)."""
    from restorer.core.models import model_name_problem

    name = name.strip()
    problem = model_name_problem(name)
    if problem:
        return problem
    if name.lower() in {t.lower() for t in taken}:
        return QCoreApplication.translate("TrainDialog", "A model named {name} already exists; choose another "
                                                         "name.").format(name=repr(name))
    return None


def count_photos(ctl: JobControl, folder: str) -> int | None:
    """Photos under ``folder`` (None: no such folder); gray and broken ones are only sorted out by the trainer."""
    path = Path(folder)
    if not folder or not path.is_dir():
        return None
    return len(jobs.find_photos(ctl, [path]))


def _absolute(folder: str) -> str:
    """The trainer runs in its run folder, so a typed relative path must not reach it as one."""
    return str(Path(folder.strip()).expanduser().absolute())


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
    checkpointsDeleted = Signal(int)  # bytes freed

    def __init__(self, cards: Sequence[Any] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Fine-tune a model on your photos"))
        self.run: TrainRun | None = None
        self.outcome: TrainOutcome | None = None
        self.taken: set[str] = set()
        self._close_parent_when_done = False
        self._count_worker: Worker | None = None
        self._counting = ""  # the folder the count worker walks
        self._build()
        self.set_models(cards)
        if parent is not None:
            parent.installEventFilter(self)  # to ask before the app quits under a running trainer

    # -- building --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_form()
        self.progress_box = TrainProgress()
        self.progress_box.cleanRequested.connect(self.delete_checkpoints)
        p = self.progress_box  # the dialog's names for its parts (tests and scripts use them)
        self.summary_label, self.stage_label, self.bar, self.speed_label = (
            p.summary_label, p.stage_label, p.bar, p.speed_label)
        self.val_label, self.grid_caption, self.grid, self.result_label, self.error_box, self.clean_button = (
            p.val_label, p.grid_caption, p.grid, p.result_label, p.error_box, p.clean_button)
        buttons = self._build_buttons()
        self.intro = QLabel(self.tr(
            "Teach a model the colours of your own collection: give it a folder of <b>colour</b> photos from the "
            "same era or place. Training runs in the background; you can keep working, and the new model joins "
            "the model list when it is done."))
        self.intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addWidget(self.form_box)
        lay.addWidget(self.progress_box, 1)
        lay.addStretch(0)  # keeps the form at the top while the progress box is hidden
        lay.addLayout(buttons)
        self.resize(720, min(MAX_HEIGHT, self.sizeHint().height()))

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
        self.data_edit.setPlaceholderText(self.tr("Folder of colour photos (subfolders included)"))
        self.data_browse = QPushButton(self.tr("Browse…"))
        self.data_browse.clicked.connect(lambda: self._browse(self.data_edit, self.tr("Folder of colour photos")))
        self.data_info = QLabel()
        self.data_info.setWordWrap(True)
        self.val_edit = QLineEdit()
        self.val_edit.setPlaceholderText(self.tr("Optional: otherwise every 20th photo is kept aside to check "
                                                 "progress"))
        self.val_browse = QPushButton(self.tr("Browse…"))
        self.val_browse.clicked.connect(lambda: self._browse(self.val_edit, self.tr("Folder of validation photos")))
        self.base_combo = QComboBox()
        self.base_combo.setToolTip(self.tr("The model to start from (yours too); it is not changed, a new one "
                                           "is made"))
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("e.g. Lyon 1920s"))
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_note = QLabel()
        self.name_note.setWordWrap(True)
        self.name_note.setStyleSheet(ERROR_STYLE)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(1, 48 * 60)
        self.minutes_spin.setSingleStep(10)
        self.minutes_spin.setSuffix(self.tr(" min"))
        self.minutes_spin.setValue(int(S.get_float(TRAIN_MINUTES, 30)))
        self.minutes_spin.setToolTip(self.tr("Training time (start-up and checks not counted). Longer learns "
                                             "more; you can stop early and keep what was learnt."))

        self.form_box = QGroupBox(self.tr("What to learn from"))
        form = QFormLayout(self.form_box)
        form.addRow(self.tr("&Colour photos:"), _folder_row(self.data_edit, self.data_browse))
        form.addRow("", self.data_info)
        form.addRow(self.tr("&Validation photos:"), _folder_row(self.val_edit, self.val_browse))
        form.addRow(self.tr("Start from &model:"), self.base_combo)
        form.addRow(self.tr("New model &name:"), self.name_edit)
        form.addRow("", self.name_note)
        form.addRow(self.tr("&Time budget:"), self.minutes_spin)
        for row in (0, 2):  # the row labels' mnemonics focus the line edits, not the row widgets
            form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().setBuddy(
                self.data_edit if row == 0 else self.val_edit)
        self.form_note = QLabel()
        self.form_note.setWordWrap(True)
        self.form_note.setStyleSheet(ERROR_STYLE)
        self.form_note.hide()
        form.addRow(self.form_note)

    def _build_buttons(self) -> QHBoxLayout:
        self.start_button = QPushButton(self.tr("&Start training"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.stop_button = QPushButton(self.tr("S&top and save"))
        self.stop_button.setToolTip(self.tr("Stop now and keep the model trained so far"))
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        self.use_button = QPushButton(self.tr("&Use this model"))
        self.use_button.clicked.connect(self._use_model)
        self.use_button.hide()
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.use_button, self.stop_button, self.start_button, self.close_button):
            buttons.addWidget(b)
        return buttons

    def set_models(self, cards: Sequence[Any]) -> None:
        """The models to start from, bundled and the user's own (labelled as in the window's picker); the
        choice is kept when the list is re-read, else the default model is chosen. And the names taken."""
        from restorer.paths import user_models_dir

        before = self.base_combo.currentData()
        fill_combo(self.base_combo, cards)
        default = next((i for i, c in enumerate(cards) if getattr(c, "default", False)), 0)
        kept = self.base_combo.findData(before) if before is not None else -1
        self.base_combo.setCurrentIndex(kept if kept >= 0 else default if cards else -1)
        # Files in the model folder count too: a card hidden by a bundled name would still be overwritten.
        folder = user_models_dir()
        files = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
        self.taken = {c.name for c in cards} | files | ({self.outcome.name} if self.outcome and self.outcome.ok
                                                           else set())
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
        base = re.sub(r"[^\w .+-]+", " ", folder_name).strip(" .")[: MAX_NAME - 4] or self.tr("my photos")
        name, k = base, 2
        while name_problem(name, self.taken):
            name, k = f"{base} {k}", k + 1
            if k > 99:
                return ""
        return name

    def form_problem(self) -> str | None:
        """What stops the form from starting a run (None: ready)."""
        if self.base_combo.currentData() is None:
            return self.tr("No model to start from is installed.")
        data = self.data_edit.text().strip()
        if not data:
            return self.tr("Choose the folder of colour photos.")
        val = self.val_edit.text().strip()
        problem = name_problem(self.name_edit.text(), self.taken)
        if problem:
            return problem
        if not Path(data).is_dir():
            return self.tr("The photo folder does not exist: {folder}").format(folder=data)
        if val and not Path(val).is_dir():
            return self.tr("The validation folder does not exist: {folder}").format(folder=val)
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
        self.data_info.setText(self.tr("Looking for photos…"))
        w = Worker(count_photos, folder, name="count training photos")
        self._counting = folder
        w.returned.connect(self._on_counted)  # a bound method: Qt drops the call if the dialog is gone by then
        watch(w, inline=self.data_info.setText)
        self._count_worker = w
        w.start(pool("io"))

    def _on_counted(self, n: int | None) -> None:
        if self._counting != self.data_edit.text().strip():
            return  # the user typed on
        if n is None:
            self.data_info.setText(self.tr("No such folder."))
        elif n == 0:
            self.data_info.setText(self.tr("No photos found in this folder."))
        else:
            found = self.tr("1 photo found") if n == 1 else self.tr("{n} photos found").format(n=n)
            self.data_info.setText(found + self.tr("; gray and unreadable ones will be skipped. A few hundred or "
                                                   "more work best."))

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
        run.statusChanged.connect(self.progress_box.show_status)
        run.message.connect(self.progress_box.trainer_line)
        # A grid decoded for an earlier run may arrive late: only this run's are shown.
        run.gridChanged.connect(lambda image, run=run: run is self.run and self.grid.set_image(image))
        run.finished.connect(self._on_finished)
        self.progress_box.begin(run)
        self._set_running(True)
        self.resize(max(self.width(), 720), self.running_height())
        run.start()
        return run

    def running_height(self) -> int:
        """Tall enough for a readable grid, never taller than :data:`MAX_HEIGHT` nor the screen."""
        screen = self.screen().availableGeometry().height() if self.screen() is not None else MAX_HEIGHT
        return max(self.minimumSizeHint().height(), min(MAX_HEIGHT, screen - 40))

    def _on_start_clicked(self) -> None:
        if self.form_box.isHidden():  # "Train another": back to the form, keeping its folders
            self.progress_box.hide()
            self.form_box.show()
            self.intro.show()
            self.start_button.setText(self.tr("&Start training"))
            self.use_button.hide()
            self._validate()
            self._fit_height()
        else:
            self.start()

    def _fit_height(self) -> None:
        # After the layout has taken in the shown/hidden widgets, not before.
        QTimer.singleShot(0, lambda: self.resize(self.width(), min(MAX_HEIGHT, self.sizeHint().height())))

    def stop(self) -> None:
        """Stop and save: the trainer finishes its step, checkpoints and exports the model trained so far."""
        if not self.is_running():
            return
        self.run.stop()
        self.stop_button.setEnabled(False)
        self.progress_box.stopping()

    def _set_running(self, on: bool) -> None:
        # While it trains the form is only a summary line: the room goes to the validation grid.
        self.form_box.setVisible(not on and self.outcome is None)
        self.intro.setVisible(self.form_box.isVisible())
        self.progress_box.show()
        self.start_button.setVisible(not on)
        self.stop_button.setVisible(on)
        self.stop_button.setEnabled(on)
        self.use_button.setVisible(not on and self.outcome is not None and self.outcome.ok)
        self._validate()

    def _on_finished(self, outcome: TrainOutcome) -> None:
        self.outcome = outcome
        if outcome.ok:
            self.taken.add(outcome.name)
            self.modelTrained.emit(outcome.name)
        if not self.progress_box.finish(outcome):
            self._fit_height()  # nothing was trained, so no grid to make room for
        self._set_running(False)
        self.start_button.setText(self.tr("Train &another"))
        self.runFinished.emit(outcome)
        if self._close_parent_when_done and self.parentWidget() is not None:
            QTimer.singleShot(0, self.parentWidget().close)
        elif not self.isVisible():
            self.show()  # trained in the background: this is where the user learns it is done

    def _use_model(self) -> None:
        if self.outcome is not None and self.outcome.ok:
            self.useModel.emit(self.outcome.name)
            self.hide()

    # -- the run's checkpoints -------------------------------------------------------------------------------
    def ask_delete_checkpoints(self, size: int) -> bool:
        """Whether to delete the finished run's checkpoints. A method so tests can answer it."""
        return confirm(self, self.tr("Delete the checkpoints?"),
                       self.tr("Delete this run's checkpoints ({size})?").format(size=megabytes(size)),
                       self.tr("The model stays in your model list. Without them this run cannot be continued "
                               "with restorer train --resume."),
                       self.tr("&Delete"), QMessageBox.ButtonRole.DestructiveRole)

    def delete_checkpoints(self) -> Worker | None:
        """The "Delete this run's checkpoints" button: asks, then deletes them on a worker."""
        if self.run is None or self.is_running():
            return None
        run_dir = self.run.request.run_dir
        size = checkpoint_bytes(run_dir)
        if not size or not self.ask_delete_checkpoints(size):
            return None
        self.clean_button.setEnabled(False)
        w = Worker(delete_checkpoints, run_dir, name="delete checkpoints")
        w.returned.connect(self.progress_box.cleaned)
        w.returned.connect(self.checkpointsDeleted.emit)
        watch(w, inline=lambda message: self.progress_box.show_result(
            self.tr("The checkpoints were not deleted: {reason}").format(reason=message), error=True))
        w.start(pool("io"))
        return w

    # -- closing ---------------------------------------------------------------------------------------------
    def ask_while_running(self, quitting: bool) -> str:
        """"stop", "background" (close the dialog only) or "cancel". A method so tests can answer it."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Training is running"),
                          self.tr("The model is still training."), QMessageBox.StandardButton.NoButton,
                          self if self.isVisible() else self.parentWidget())
        if quitting:
            box.setInformativeText(self.tr("Stop it and quit? The model trained so far is saved first (a few "
                                           "seconds)."))
            stop = box.addButton(self.tr("Stop training and quit"), QMessageBox.ButtonRole.AcceptRole)
            background = None
        else:
            box.setInformativeText(self.tr("It can go on in the background while you work; the model joins the "
                                           "list when it is done. Or stop now and keep the model trained so far."))
            background = box.addButton(self.tr("Keep training"), QMessageBox.ButtonRole.AcceptRole)
            stop = box.addButton(self.tr("Stop and save"), QMessageBox.ButtonRole.DestructiveRole)
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
    """The window's one fine-tuning dialog (made on first use; it keeps its run while hidden), shown. Its
    models to start from follow the window's list (a model trained or imported meanwhile is offered)."""
    dlg = getattr(win, "train_dialog", None)
    if dlg is None:
        dlg = win.train_dialog = TrainDialog(win.cards, win)
        dlg.modelTrained.connect(lambda _name: win.refresh_models())
        dlg.useModel.connect(lambda name: win.refresh_models(select=name))
        win.modelsReady.connect(lambda: dlg.set_models(win.cards))
    elif not dlg.is_running():
        dlg.set_models(win.cards)
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    return dlg
