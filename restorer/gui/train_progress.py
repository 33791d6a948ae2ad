"""The fine-tuning dialog's lower half: what the run is doing, how far it is, its checks and grid, its end.

:class:`TrainProgress` shows what :class:`restorer.gui.train_process.TrainRun` reports: the trainer's phase
(``training.protocol.PHASES``) with a busy bar until the first step is logged, then the training minutes (the
clock runs on between the log rows, which come every 20 steps), the validations, and, once the model is
exported, an offer to delete the run's checkpoints.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.train_process import TrainOutcome, TrainRequest, TrainRun, TrainStatus, checkpoint_bytes, megabytes
from training import protocol

ERROR_STYLE = "color: #b3261e;"


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


class TrainProgress(QGroupBox):
    """The run's progress, checks, grid and outcome; ``cleanRequested`` when the user asks to delete the
    checkpoints (the dialog confirms and deletes)."""

    cleanRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Training"))
        self.run: TrainRun | None = None
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.stage_label = QLabel()
        self.stage_label.setWordWrap(True)
        self.stage_label.setStyleSheet("font-weight: bold;")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setAccessibleName(self.tr("Training progress"))
        self.speed_label = QLabel()
        self.speed_label.setWordWrap(True)
        self.val_label = QLabel()
        self.val_label.setWordWrap(True)
        self.val_label.setToolTip(self.tr(
            "Measured on the validation photos turned gray. PSNR: closeness to the real colours, compared with "
            "leaving the photo gray. Colourfulness: 1.0× is as colourful as the real photos; a model that is "
            "unsure tends to brown (below 1)."))
        self.grid_caption = QLabel(self.tr("Latest check — each row: gray · this model · the real colours"))
        self.grid = ImagePanel(self.tr("The first check of the model on the validation photos appears here."))
        self.grid.setMinimumHeight(180)
        self.grid.setAccessibleName(self.tr("Latest validation grid"))
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_box = QPlainTextEdit()
        self.error_box.setReadOnly(True)
        self.error_box.setMaximumHeight(120)
        self.error_box.setAccessibleName(self.tr("The trainer's error output"))
        self.error_box.hide()
        self.clean_button = QPushButton()
        self.clean_button.setAutoDefault(False)
        self.clean_button.clicked.connect(self.cleanRequested.emit)
        self.clean_button.hide()
        clean_row = QHBoxLayout()
        clean_row.addWidget(self.clean_button)
        clean_row.addStretch(1)
        lay = QVBoxLayout(self)
        for w in (self.summary_label, self.stage_label, self.bar, self.speed_label, self.val_label,
                  self.grid_caption):
            lay.addWidget(w)
        lay.addWidget(self.grid, 1)
        lay.addWidget(self.result_label)
        lay.addWidget(self.error_box)
        lay.addLayout(clean_row)
        lay.addStretch(0)  # takes the room only while the grid is hidden (a failure before any training)
        # The log comes every 20 steps; the clock must not look stuck in between.
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._show_minutes)
        self.hide()

    @property
    def live_widgets(self) -> tuple[QWidget, ...]:
        return self.bar, self.speed_label, self.val_label, self.grid_caption, self.grid

    def phase_text(self, phase: str, base: str = "") -> str:
        return {
            "": self.tr("Starting the trainer…"),
            protocol.PHASE_BUILD: self.tr("Building the model from {base}…").format(base=base),
            protocol.PHASE_READ: self.tr("Reading and checking the photos (gray and unreadable ones are "
                                         "skipped)…"),
            protocol.PHASE_FIRST_STEP: self.tr("Running the first training step (the slowest one)…"),
            protocol.PHASE_VALIDATE: self.tr("Checking the model on the validation photos…"),
            protocol.PHASE_EXPORT: self.tr("Saving the new model…"),
        }.get(phase, phase)

    def stage_text(self, stage: str) -> str:
        return {protocol.STAGE_REC: self.tr("Stage 1 of 2: learning the colours"),
                protocol.STAGE_ADV: self.tr("Stage 2 of 2: making the colours vivid")}.get(stage, self.tr("Training"))

    # -- a run -----------------------------------------------------------------------------------------------
    def begin(self, run: TrainRun) -> None:
        self.run = run
        req = run.request
        self.grid.set_image(None)
        for w in self.live_widgets:
            w.show()
        self.error_box.hide()
        self.clean_button.hide()
        self.show_result("")
        self.stage_label.setText(self.phase_text(""))
        self.bar.setRange(0, 0)  # busy until the first training row says how far along it is
        self.bar.setFormat("")
        self.speed_label.setText("")
        self.val_label.setText("")
        self.summary_label.setText(self.summary(req))
        self.show()
        self.clock.start()

    def summary(self, req: TrainRequest) -> str:
        esc = html.escape
        text = self.tr("Fine-tuning <b>{base}</b> on the photos in <b>{data}</b> for {minutes} min; the new model "
                       "will be <b>{name}</b>.")
        val = self.tr(" Checked on {folder}.").format(folder=esc(Path(req.val).name)) if req.val else ""
        return text.format(base=esc(req.base), data=esc(Path(req.data).name), minutes=f"{req.minutes:g}",
                           name=esc(req.name)) + val

    def trainer_line(self, line: str) -> None:
        """The trainer's own words ("train data …: 312 colour photos") under the phase, until it trains."""
        if self.run is not None and self.run.status.train_step < 0 and not self.run.stopping:
            self.speed_label.setText(line if len(line) < 200 else line[:197] + "…")

    def show_status(self, st: TrainStatus) -> None:
        run = self.run
        if run is None:
            return
        busy = st.busy_with()
        if not run.stopping:
            if busy:
                self.stage_label.setText(self.phase_text(busy, run.request.base))
            elif st.minutes >= run.request.minutes:
                self.stage_label.setText(self.tr("Time is up: checking and saving the model…"))
            elif st.train_step >= 0:
                self.stage_label.setText(self.stage_text(st.stage))
        if st.train_step >= 0:
            self.bar.setRange(0, 1000)
            self._show_minutes()
        if st.img_per_s:
            self.speed_label.setText(self.tr("{speed} images/s · step {step}").format(
                speed=f"{st.img_per_s:.1f}", step=st.train_step))
        self._show_checks(st)

    def _show_minutes(self) -> None:
        run = self.run
        if run is None or run.status.train_step < 0:
            return
        budget = run.request.minutes
        minutes = run.status.minutes_now(budget)
        self.bar.setValue(int(1000 * min(1.0, minutes / budget)))
        # A step is never cut short, so the last one may end past the budget.
        text = self.tr("{done} of {budget} min") if minutes <= budget else self.tr("{done} min (budget {budget})")
        self.bar.setFormat(text.format(done=f"{minutes:.1f}", budget=f"{budget:g}"))

    def _show_checks(self, st: TrainStatus) -> None:
        bits = []
        if st.val_psnr is not None:
            gray = (self.tr(" (gray photo: {psnr} dB)").format(psnr=f"{st.gray_psnr:.2f}")
                    if st.gray_psnr is not None else "")
            bits.append(self.tr("PSNR {psnr} dB").format(psnr=f"{st.val_psnr:.2f}") + gray)
        if st.val_colourfulness is not None:
            bits.append(self.tr("colourfulness {ratio}× the real photos").format(ratio=f"{st.val_colourfulness:.2f}"))
        if bits:
            when = (self.tr("Check on the validation photos at {minutes} min: ").format(minutes=f"{st.val_minutes:.1f}")
                    if st.val_minutes is not None else self.tr("Check on the validation photos: "))
            self.val_label.setText(when + " · ".join(bits))

    def stopping(self) -> None:
        self.stage_label.setText(self.tr("Stopping… saving the model trained so far."))

    def finish(self, outcome: TrainOutcome) -> bool:
        """Show the end of the run; False when nothing was trained (the live widgets are hidden then)."""
        self.clock.stop()
        self.bar.setRange(0, 1000)
        if self.run is not None and self.run.status.train_step >= 0:
            self._show_minutes()
            st = self.run.status
            speed = self.tr("{speed} images/s · ").format(speed=f"{st.img_per_s:.1f}") if st.img_per_s else ""
            self.speed_label.setText(speed + self.tr("{steps} steps").format(steps=st.train_step))
        if outcome.ok:
            self.bar.setValue(1000)
            self.stage_label.setText(self.tr("Stopped.") if outcome.stopped else self.tr("Done."))
        else:
            self.stage_label.setText(self.tr("Stopped.") if outcome.stopped else self.tr("Failed."))
        self.show_result(outcome.message, error=not outcome.ok and not outcome.stopped)
        self.error_box.setPlainText(outcome.details)
        # The box is for a traceback's context; a one-line reason is already in the message.
        self.error_box.setVisible(bool(outcome.details.strip()) and outcome.details.strip() not in outcome.message)
        trained = self.run is None or self.run.status.train_step >= 0 or self.grid.image is not None
        if not trained:
            for w in self.live_widgets:
                w.hide()
        self.offer_clean(outcome, trained)
        return trained

    def offer_clean(self, outcome: TrainOutcome, trained: bool) -> None:
        """Checkpoints are kept while the run could go on (``restorer train --resume``); an exported model, or a
        run stopped before its first step, does not need them."""
        size = checkpoint_bytes(self.run.request.run_dir) if self.run is not None else 0
        if not size or not (outcome.ok or not trained):
            self.clean_button.hide()
            return
        self.clean_button.setText(self.tr("Delete this run's checkpoints ({size})").format(size=megabytes(size)))
        self.clean_button.setToolTip(self.tr(
            "The model is saved without them; they are only needed to continue this run later with "
            "restorer train --resume. Its log and validation grids stay in {folder}.").format(
            folder=self.run.request.run_dir))
        self.clean_button.setEnabled(True)
        self.clean_button.show()

    def cleaned(self, freed: int) -> None:
        self.clean_button.hide()
        self.show_result(self.result_label.text() + " " + self.tr("The run's checkpoints are deleted ({size} "
                                                                  "freed).").format(size=megabytes(freed)))

    def show_result(self, text: str, error: bool = False) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(ERROR_STYLE if error else "")
        self.result_label.setVisible(bool(text))
        if text:
            self.show()
