"""The batch queue: many photos colourised into a folder by the core's one batch loop, while the window works on.

Folders (searched recursively) and files are dropped on the panel or added with File ▸ Colourise folder…;
each photo shows its state (waiting, running, done, skipped, failed with its one-line reason). The batch runs
:func:`restorer.gui.jobs.run_queue` on a pool of its own, so the photo on screen keeps its previews. Pause
holds the loop between photos; Cancel stops it (a photo being written is finished, never left half-way).
Outputs that exist are skipped, so starting the same batch again later, in this session or the next one (the
queue's inputs and folder are remembered), does only what is left.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restorer.core.color import MAX_STRENGTH
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.ask import confirm
from restorer.gui.drops import accept_files, take_files
from restorer.gui.model_picker import fill_combo
from restorer.gui.notifier import Notifier
from restorer.gui.workers import Worker, pool

TEMPLATES = ("{name}_colour", "{name}")
WAITING, RUNNING, DONE, SKIPPED, FAILED = "waiting", "running", "done", "skipped", "failed"
_STATE_COLOURS = {DONE: "#2e7d32", SKIPPED: "#6d6d6d", FAILED: "#b3261e", RUNNING: "#1565c0"}


class QueueHost(Protocol):
    """What the queue needs of the window."""

    cards: list[Any]
    notifier: Notifier

    def current_model(self) -> str: ...
    def strength(self) -> float: ...


def template_suffix(template: str) -> str:
    """The output-name suffix of a naming template: ``{name}_colour`` -> ``_colour``; ValueError (one line)
    when the template is not ``{name}`` followed by plain characters."""
    t = template.strip()
    if not t.startswith("{name}"):
        raise ValueError("the naming template must start with {name}, e.g. {name}_colour")
    suffix = t[len("{name}"):]
    if any(c in suffix for c in '/\\:*?"<>|{}'):
        raise ValueError("the naming template may add letters, digits, '-' or '_' after {name}, nothing else")
    return suffix


def time_left(seconds_per_photo: Sequence[float], remaining: int) -> str:
    """"about 3 min left" from the photos done so far (empty before the first one finishes)."""
    if not seconds_per_photo or remaining <= 0:
        return ""
    left = sum(seconds_per_photo) / len(seconds_per_photo) * remaining
    if left < 60:
        return f"about {max(1, round(left))} s left"
    if left < 3600:
        return f"about {round(left / 60)} min left"
    return f"about {left / 3600:.1f} h left"


@dataclass
class QueueItem:
    path: Path
    rel: Path  # what the output mirrors (subfolders of a dropped folder)
    state: str = WAITING
    reason: str = ""
    output: str = ""
    seconds: float = 0.0


class QueuePanel(QDockWidget):
    """The dock. ``batchFinished(report)`` when a run ends (done, cancelled or failed to start)."""

    batchFinished = Signal(object)
    itemsAdded = Signal(int)

    def __init__(self, host: QueueHost, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("QueuePanel", "Batch queue"), parent)
        self.setObjectName("queueDock")
        self.setAcceptDrops(True)
        self.host = host
        self.items: list[QueueItem] = []
        self._rows: dict[Path, QTreeWidgetItem] = {}
        self.inputs: list[str] = []  # what was dropped or chosen, remembered for a later session
        self.worker: Worker | None = None
        self._active = False
        self.pause_event = threading.Event()
        self._build()
        self.out_edit.setText(S.get_str(S.QUEUE_OUT_DIR))
        self.template_combo.setCurrentText(S.get_str(S.QUEUE_TEMPLATE, TEMPLATES[0]))
        remembered = S.get_list(S.QUEUE_INPUTS)
        if remembered:
            self.add_paths([p for p in remembered if Path(p).exists()])
        self._update_buttons()

    # -- building --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget()
        lay = QVBoxLayout(body)
        form = QFormLayout()
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText(self.tr("Folder for the colour versions"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_out)
        row = QHBoxLayout()
        row.addWidget(self.out_edit, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Output folder:"), row)
        self.template_combo = QComboBox()
        self.template_combo.setEditable(True)
        self.template_combo.addItems(TEMPLATES)
        self.template_combo.setToolTip(self.tr("How outputs are named: {name} is the photo's name; subfolders of a "
                                               "dropped folder are mirrored in the output folder."))
        form.addRow(self.tr("Names:"), self.template_combo)
        self.model_combo = QComboBox()
        self.strength_box = QSpinBox()
        self.strength_box.setRange(0, round(MAX_STRENGTH * 100))
        self.strength_box.setSingleStep(10)
        self.strength_box.setSuffix(" %")
        self.model_combo.setAccessibleName(self.tr("Batch model"))
        self.strength_box.setAccessibleName(self.tr("Batch colour strength"))
        self.template_combo.setAccessibleName(self.tr("Output names"))
        self.strength_box.setValue(100)
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(QLabel(self.tr("Colour:")))
        row.addWidget(self.strength_box)
        form.addRow(self.tr("Model:"), row)
        self.sidecars_box = QCheckBox(self.tr("Apply each photo's saved hints (its .restorer.json)"))
        self.sidecars_box.setChecked(True)
        form.addRow("", self.sidecars_box)
        lay.addLayout(form)
        lay.addLayout(self._build_add_row())
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Photo"), self.tr("State"), self.tr("Reason / output")])
        self.tree.setAccessibleName(self.tr("Photos in the batch"))
        self.tree.setAccessibleDescription(self.tr("Each photo with its state: waiting, running, done, skipped or "
                                                   "failed, and the reason or the output file"))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setColumnWidth(0, 220)
        self.tree.setColumnWidth(1, 70)
        self.tree.setMinimumHeight(160)  # a handful of rows at least, wherever the dock sits
        lay.addWidget(self.tree, 1)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setAccessibleName(self.tr("Batch progress"))
        self.summary = QLabel(self.tr("Drop photos or folders here."))
        self.summary.setWordWrap(True)
        lay.addWidget(self.bar)
        lay.addWidget(self.summary)
        lay.addLayout(self._build_run_row())
        self.setWidget(body)

    def _build_add_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, slot in (("Add photos…", self.add_files_dialog), ("Add folder…", self.add_folder_dialog),
                           ("Clear", self.clear)):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, slot=slot: slot())
            row.addWidget(b)
            if text == "Clear":
                self.clear_button = b
        row.addStretch(1)
        return row

    def _build_run_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.start_button = QPushButton(self.tr("Start"))
        self.start_button.clicked.connect(lambda: self.start())
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        for b in (self.start_button, self.pause_button, self.cancel_button):
            row.addWidget(b)
        row.addStretch(1)
        return row

    def set_models(self, cards: Sequence[Any], current: str) -> None:
        """The models to choose from, ``current`` chosen (the window's), unless a batch is running."""
        if self.is_running():
            return
        fill_combo(self.model_combo, cards)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(index, 0))

    # -- adding ----------------------------------------------------------------------------------------------
    def add_files_dialog(self) -> None:
        from restorer.gui.export import IMAGE_FILTER

        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add photos to the queue"), S.get_dir(S.LAST_OPEN_DIR),
                                                IMAGE_FILTER)
        if files:
            self.add_paths(files)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Colourise a folder (and its subfolders)"),
                                                  S.get_dir(S.LAST_OPEN_DIR))
        if folder:
            S.put(S.LAST_OPEN_DIR, folder)
            self.add_paths([folder])

    def add_paths(self, paths: Sequence[str | Path]) -> Worker | None:
        """Queue files and every photo under folders (searched on a worker); photos already queued stay once."""
        given = [Path(p) for p in paths if str(p)]
        if not given:
            return None
        for p in given:
            if str(p) not in self.inputs:
                self.inputs.append(str(p))
        S.put(S.QUEUE_INPUTS, self.inputs)
        out = self.out_edit.text().strip()
        w = Worker(jobs.find_queue_items, given, [Path(out)] if out else [], name="find queue photos")
        self.host.notifier.watch(w, "Could not read the folder")
        w.returned.connect(self._on_found)
        w.start(pool("io"))
        return w

    def _on_found(self, found: list[tuple[Path, Path]]) -> None:
        known = {i.path.resolve() for i in self.items}
        new = [QueueItem(p, rel) for p, rel in found if p.resolve() not in known]
        for item in new:
            self.items.append(item)
            row = QTreeWidgetItem([item.rel.as_posix(), item.state, ""])
            row.setToolTip(0, str(item.path))
            self.tree.addTopLevelItem(row)
            self._rows[item.path] = row
        self._update_summary()
        self._update_buttons()
        self.itemsAdded.emit(len(new))

    def clear(self) -> None:
        if self.is_running():
            return
        self.items.clear()
        self._rows.clear()
        self.tree.clear()
        self.inputs.clear()
        S.put(S.QUEUE_INPUTS, [])
        self.bar.setValue(0)
        self._update_summary()
        self._update_buttons()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        accept_files(event)

    dragMoveEvent = dragEnterEvent  # noqa: N815

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        take_files(event, self.add_paths)

    def _browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save the colour versions into"),
                                                  S.get_dir(S.QUEUE_OUT_DIR))
        if folder:
            self.out_edit.setText(folder)

    # -- running ---------------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """From :meth:`start` until the batch's outcome has been shown."""
        return self._active

    def problem(self) -> str | None:
        """Why the queue cannot start now (one line), or None."""
        if not any(i.state in (WAITING, FAILED) for i in self.items):
            return "Add photos or folders first." if not self.items else "Every photo in the queue is finished."
        if not self.out_edit.text().strip():
            return "Choose the output folder."
        if self.model_combo.currentData() is None:
            return "No colourisation model is installed."
        try:
            template_suffix(self.template_combo.currentText())
        except ValueError as e:
            return str(e).capitalize() + "."
        return None

    def start(self) -> Worker | None:
        """Run the waiting (and earlier failed) photos; None, with the reason in the panel, when it cannot."""
        if self.is_running():
            return None
        problem = self.problem()
        if problem:
            self.summary.setText(problem)
            return None
        out_dir = Path(self.out_edit.text().strip()).expanduser()
        suffix = template_suffix(self.template_combo.currentText())
        S.put(S.QUEUE_OUT_DIR, str(out_dir))
        S.put(S.QUEUE_TEMPLATE, self.template_combo.currentText().strip())
        todo = [i for i in self.items if i.state in (WAITING, FAILED)]
        for i in todo:
            self._set_state(i, WAITING, "")
        self.pause_event.clear()
        self._started, self._paused_at, self._paused_s, self._seconds = time.monotonic(), None, 0.0, []
        w = Worker(jobs.run_queue, [(i.path, i.rel) for i in todo], self.model_combo.currentData(), out_dir,
                   suffix, self.strength_box.value() / 100.0, self.pause_event, self.sidecars_box.isChecked(),
                   partial_ok=True, name="batch queue")
        self.host.notifier.watch(w, "The batch could not run", inline=self._on_failed)
        w.yielded.connect(self._on_event)
        w.progress.connect(lambda f: self.bar.setValue(int(f * 1000)))
        w.returned.connect(self._on_done)
        w.cancelled.connect(lambda: self._on_done(None))
        self.worker, self._active = w, True
        # A pool of its own: the photo on screen keeps getting its previews while the batch runs.
        w.start(pool("batch"))
        self._update_buttons()
        self._update_summary()
        return w

    def toggle_pause(self) -> None:
        if not self.is_running():
            return
        if self.pause_event.is_set():
            self.pause_event.clear()
            if self._paused_at is not None:
                self._paused_s += time.monotonic() - self._paused_at
            self._paused_at = None
        else:
            self.pause_event.set()
            self._paused_at = time.monotonic()
        self._update_buttons()
        self._update_summary()

    def cancel(self) -> None:
        if self.is_running():
            self.worker.cancel()
            self.pause_event.clear()  # a paused loop sees the cancel at once either way

    def _on_event(self, ev: Any) -> None:
        if not isinstance(ev, jobs.QueueEvent):
            return  # the model-loading note
        if ev.kind == "note":
            self.host.notifier.status(ev.text, 8000)
            return
        item = next((i for i in self.items if i.path == ev.path), None)
        if item is None:
            return
        if ev.kind == "running" and item.state == WAITING:
            for other in self.items:  # the photo before is encoded on a helper thread while this one runs
                if other.state == RUNNING:
                    self._set_state(other, RUNNING, "writing the file…")
            self._set_state(item, RUNNING, "colourising…")
        elif ev.kind == "row" and ev.row is not None:
            state = ev.row["state"]
            detail = ev.row["reason"] if state != DONE else Path(ev.row["output"]).name
            if state == SKIPPED:
                detail = f"{Path(ev.row['output']).name} already exists"
            item.output, item.seconds = ev.row["output"], float(ev.row["seconds"] or 0)
            if state == DONE:
                self._seconds.append(item.seconds)
            self._set_state(item, state, detail)
        self._update_summary()

    def _on_failed(self, message: str) -> None:
        self.summary.setText(self.tr("The batch stopped: {message}").format(message=message))

    def _on_done(self, report: Any) -> None:
        self._active = False
        for i in self.items:
            if i.state == RUNNING:
                self._set_state(i, WAITING, "")
        self._update_buttons()
        self._update_summary(finished=True, cancelled=report is None or bool(getattr(report, "cancelled", False)))
        self.batchFinished.emit(report)

    def state_label(self, state: str) -> str:
        return {WAITING: self.tr("waiting"), RUNNING: self.tr("running"), DONE: self.tr("done"),
                SKIPPED: self.tr("skipped"), FAILED: self.tr("failed")}.get(state, state)

    def _set_state(self, item: QueueItem, state: str, detail: str) -> None:
        item.state, item.reason = state, detail
        row = self._rows.get(item.path)
        if row is None:
            return
        row.setText(1, self.state_label(state))
        row.setText(2, detail)
        row.setToolTip(2, detail)
        brush = QBrush(QColor(_STATE_COLOURS[state])) if state in _STATE_COLOURS else QBrush()
        row.setForeground(1, brush)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((WAITING, RUNNING, DONE, SKIPPED, FAILED), 0)
        for i in self.items:
            out[i.state] += 1
        return out

    def _update_summary(self, finished: bool = False, cancelled: bool = False) -> None:
        c = self.counts()
        if not self.items:
            self.summary.setText(self.tr("Drop photos or folders here, or use Add folder…"))
            return
        text = (f"{c[DONE]} done, {c[SKIPPED]} skipped, {c[FAILED]} failed, {c[WAITING] + c[RUNNING]} to do "
                f"of {len(self.items)}")
        if self.is_running():
            left = time_left(self._seconds, c[WAITING] + c[RUNNING])
            text += " · paused" if self.pause_event.is_set() else (f" · {left}" if left else " · estimating…")
        elif finished:
            text += " · cancelled: start again to do the rest" if cancelled else " · finished"
        self.summary.setText(text)

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.start_button.setEnabled(not running and bool(self.items))
        self.start_button.setText(self.tr("Resume") if any(i.state in (DONE, SKIPPED) for i in self.items)
                                  and any(i.state == WAITING for i in self.items) else self.tr("Start"))
        self.pause_button.setEnabled(running)
        self.pause_button.setText(self.tr("Resume") if running and self.pause_event.is_set() else self.tr("Pause"))
        self.cancel_button.setEnabled(running)
        self.clear_button.setEnabled(not running)
        for w in (self.out_edit, self.template_combo, self.model_combo, self.strength_box, self.sidecars_box):
            w.setEnabled(not running)

    # -- closing ---------------------------------------------------------------------------------------------
    def ask_close(self) -> bool:
        """True to stop the batch and quit. A method so tests can answer it."""
        c = self.counts()
        return confirm(self.window(), self.tr("A batch is running"),
                       self.tr("{count} photos of the batch are not colourised yet.").format(
                           count=c[WAITING] + c[RUNNING]),
                       self.tr("Stop it and quit? Finished photos are kept; start the batch again later and it "
                               "skips them."), self.tr("Stop and quit"))

    def confirm_close(self) -> bool:
        """Whether the window may close: no batch, or the user chose to stop it (it is then cancelled)."""
        if not self.is_running():
            return True
        if not self.ask_close():
            return False
        self.cancel()
        return True
