"""One ``restorer train`` child process seen from the app: its command line, its run folder, stop and grace.

Training takes minutes to hours and every core it can get, so it never runs inside the app: a crash or an
out-of-memory there must not take the open photos with it, and the GUI thread only ever polls small files.
:class:`TrainRun` talks to the trainer through the run folder alone, in the terms of ``training.protocol``
(the one torch-free definition both sides import):

* ``log.csv`` rows (read incrementally, by column name) give the progress, the validations and the gray
  baseline; ``phase.json`` says what the trainer is busy with in between (building the model, reading the
  photos, the first step, a validation, the export);
* the newest validation grid (gray | model | original) is decoded on a worker;
* creating the stop file asks the trainer to finish its step, save a checkpoint and export what it has; a
  trainer that has not ended within a grace following its step time is killed
  (:class:`restorer.gui.child_process.ChildProcess` runs it, as it runs every child of the app).

It knows no widgets: :class:`restorer.gui.train_dialog.TrainDialog` shows what it reports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter

from restorer.gui.child_process import MIN_GRACE_MS, ChildProcess, headline, trainer_command
from restorer.gui.child_process import stop_grace_ms as paced_grace_ms
from restorer.gui.workers import JobControl, Worker, pool
from training import protocol

POLL_MS = 500
#: The least grace after asking the trainer to stop (more when its steps are slow: :meth:`TrainRun.stop_grace_ms`).
STOP_GRACE_MS = MIN_GRACE_MS
ERROR_LINES = 15


# -- the command line --------------------------------------------------------------------------------------------

def runs_dir() -> Path:
    """Training run folders, beside the user model folder: a desktop app's current directory is anywhere."""
    from restorer.paths import user_models_dir

    return user_models_dir().parent / "runs"


def fresh_run_dir(name: str) -> Path:
    """``runs/<name>``, or ``<name>-2``… when an earlier (failed or stopped) run left that folder: its checkpoint
    stays for ``restorer train --resume``, and its old grids must not pass for this run's."""
    base = runs_dir()
    path, k = base / name, 2
    while path.exists():
        path, k = base / f"{name}-{k}", k + 1
    return path


def validation_interval(minutes: float) -> float:
    """Minutes between validations: about six grids per run, so a short run shows one before it ends."""
    return round(min(10.0, max(1.0, minutes / 6)), 1)


@dataclass
class TrainRequest:
    """One fine-tuning run as the trainer's command line sees it."""

    data: str
    base: str
    name: str
    minutes: float
    run_dir: Path
    out_dir: Path
    val: str | None = None
    val_every: float | None = None
    #: More ``restorer train`` options (crop size, batch...): the tests use it to train a tiny network fast.
    extra: list[str] = field(default_factory=list)

    def cli_args(self) -> list[str]:
        args = ["train", "--data", self.data]
        if self.val:
            args += ["--val", self.val]
        args += ["--base", self.base, "--name", self.name, "--minutes", f"{self.minutes:g}",
                 "--run-dir", str(self.run_dir), "--out-dir", str(self.out_dir)]
        if self.val_every:
            args += ["--val-every", f"{self.val_every:g}"]
        return args + list(self.extra)


# -- what the run folder says --------------------------------------------------------------------------------------

@dataclass
class TrainStatus:
    minutes: float = 0.0  # training time so far (validation and start-up not counted, as in the budget)
    step: int = 0
    train_step: int = -1  # the newest training row's step (-1: none yet)
    val_step: int = -1
    row_time: float | None = None  # time.monotonic() when the newest training row was read
    phase: tuple[str, int] | None = None  # protocol.read_phase: the latest phase the trainer began
    stage: str = ""  # "rec" | "adv"
    img_per_s: float | None = None
    val_minutes: float | None = None
    val_psnr: float | None = None
    val_colourfulness: float | None = None
    gray_psnr: float | None = None

    def update(self, row: dict[str, str]) -> None:
        """Take in one log.csv row (``training.protocol.LOG_FIELDS``, by name)."""
        num = protocol.number
        step, minutes, stage = num(row.get("step")), num(row.get("minutes")), row.get("stage") or ""
        if step is not None:
            self.step = max(self.step, int(step))
        if minutes is not None:
            self.minutes = max(self.minutes, minutes)
        if stage == protocol.STAGE_BASELINE:
            self.gray_psnr = num(row.get("val_psnr"))
        elif stage == protocol.STAGE_VAL:
            self.val_step = max(self.val_step, self.step)
            self.row_time = time.monotonic() if self.row_time is not None else None  # training resumes now
            self.val_minutes = minutes
            self.val_psnr = num(row.get("val_psnr"))
            self.val_colourfulness = num(row.get("val_colourfulness_ratio"))
        elif stage:
            self.stage = stage
            self.img_per_s = num(row.get("img_per_s")) or self.img_per_s
            self.train_step = max(self.train_step, int(step or 0))
            self.row_time = time.monotonic()

    def busy_with(self) -> str:
        """The phase the trainer is in (``training.protocol.PHASES``), or "" while it trains."""
        if self.phase is None or protocol.phase_over(*self.phase, self.train_step, self.val_step):
            return ""
        return self.phase[0]

    def minutes_now(self, budget: float) -> float:
        """Training minutes now: a row comes every 20 steps (a minute on a busy CPU), and in between the clock
        runs on, except in a validation or the export, which the budget does not count."""
        if self.row_time is None or self.busy_with():
            return self.minutes
        return min(budget, self.minutes + (time.monotonic() - self.row_time) / 60)


def load_grid(ctl: JobControl, path: Path) -> QImage:
    """The trainer's validation grid (a gray | model | original row per crop, a tall strip) re-flowed into two
    columns of rows, so it fills a landscape panel instead of shrinking to a sliver."""
    img = QImage(str(path))
    if img.isNull():
        raise OSError(f"cannot read {path.name}")
    ctl.check()
    w = img.width()
    row_h = max(1, w // 3)
    n = max(1, img.height() // row_h)
    cols = 2 if n >= 4 else 1
    per_col = -(-n // cols)
    gap = max(4, row_h // 12)
    out = QImage(cols * w + (cols - 1) * gap, per_col * row_h, QImage.Format.Format_ARGB32)
    out.fill(Qt.GlobalColor.transparent)
    p = QPainter(out)
    for i in range(n):
        c, r = divmod(i, per_col)
        p.drawImage(c * (w + gap), r * row_h, img, 0, i * row_h, w, row_h)
    p.end()
    return out




def checkpoint_files(run_dir: Path) -> list[Path]:
    """The run's checkpoints (``training.protocol.CHECKPOINTS``) that exist, links to elsewhere left out."""
    return [f for f in (Path(run_dir) / name for name in protocol.CHECKPOINTS) if f.is_file() and not f.is_symlink()]


def checkpoint_bytes(run_dir: Path) -> int:
    return sum(f.stat().st_size for f in checkpoint_files(run_dir))


def delete_checkpoints(ctl: JobControl | None, run_dir: Path) -> int:
    """Delete a run's checkpoints once its model is exported; the bytes freed. Only the checkpoint files of a
    folder inside :func:`runs_dir` are touched (no link is followed out of it); its log and grids stay."""
    root = runs_dir().resolve()
    folder = Path(run_dir)
    if folder.is_symlink() or folder.resolve().parent != root:
        raise OSError(f"{folder} is not a training run in {root}; nothing was deleted")
    freed = 0
    for f in checkpoint_files(folder):
        if ctl is not None:
            ctl.check()
        size = f.stat().st_size
        f.unlink()
        freed += size
    return freed


def megabytes(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@dataclass
class TrainOutcome:
    ok: bool  # a model was exported
    name: str
    card: Path | None
    stopped: bool
    message: str
    details: str = ""  # the end of the trainer's error output, when it failed


class TrainRun(QObject):
    """One ``restorer train`` child process and what its run folder says about it."""

    statusChanged = Signal(object)  # TrainStatus
    gridChanged = Signal(object)  # QImage
    message = Signal(str)  # the trainer's latest own line ("train data …: 312 colour photos, …")
    finished = Signal(object)  # TrainOutcome

    def __init__(self, request: TrainRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from restorer.paths import user_models_dir

        self.request = request
        self.status = TrainStatus()
        self.outcome: TrainOutcome | None = None
        self._log = protocol.LogTail(request.run_dir / protocol.LOG_CSV)
        self._grid_name = ""
        self._grid_worker: Worker | None = None
        # The child must list (and export to) the same model folder as this window.
        self.child = ChildProcess(self.stop_path.touch, self, cwd=str(request.run_dir),
                                  env={"RESTORER_USER_MODELS": str(user_models_dir())})
        self.proc = self.child.proc
        self.kill_timer = self.child.kill_timer
        self.stdout_lines, self.stderr_lines = self.child.lines["out"], self.child.lines["err"]
        self.child.line.connect(self._take_line)
        self.child.ended.connect(self._on_finished)
        self.child.failedToStart.connect(self._on_failed_to_start)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)

    @property
    def stop_path(self) -> Path:
        return self.request.run_dir / protocol.STOP_FILE

    @property
    def stopping(self) -> bool:
        return self.child.stopping

    @property
    def killed(self) -> bool:
        return self.child.killed

    def start(self) -> None:
        try:
            self.request.run_dir.mkdir(parents=True, exist_ok=True)
            self.stop_path.unlink(missing_ok=True)
        except OSError as e:
            self._finish(TrainOutcome(False, self.request.name, None, False,
                                      self.tr("Cannot create the training folder: {reason}").format(reason=e)))
            return
        self.child.start(*trainer_command(self.request.cli_args()))
        if self.outcome is None:  # (FailedToStart may already have ended it)
            self.poll_timer.start()

    def is_running(self) -> bool:
        return self.outcome is None and self.child.is_running()

    def stop(self) -> None:
        """Ask the trainer to save and export what it has; end it if it has not within :meth:`stop_grace_ms`."""
        if self.is_running():
            self.child.stop(self.stop_grace_ms())

    def stop_grace_ms(self) -> int:
        """:data:`STOP_GRACE_MS`, or longer when a step takes long: on a busy CPU one step took 50 s (and the first
        one 1.6 min), and the trainer must finish its step before it sees the stop."""
        return paced_grace_ms(self.status.minutes, self.status.train_step, STOP_GRACE_MS)

    def kill(self) -> None:
        self.child.kill()

    # -- reading ---------------------------------------------------------------------------------------------
    def poll(self) -> None:
        # The phase before the rows: a phase is over once rows past it are read, never the other way round.
        phase = protocol.read_phase(self.request.run_dir)
        changed = phase is not None and phase != self.status.phase
        if changed:
            self.status.phase = phase
            self.child.restart_grace(self.stop_grace_ms())  # it validates or exports: it heard the stop
        rows = self._log.read()
        for row in rows:
            self.status.update(row)
        if rows or changed:
            self.statusChanged.emit(self.status)
        self._poll_grid()

    def _poll_grid(self) -> None:
        if self._grid_worker is not None and not self._grid_worker.done:
            return
        try:
            newest = max(self.request.run_dir.glob(protocol.GRID_GLOB), default=None)  # zero-padded steps sort
        except OSError:
            return
        if newest is None or newest.name == self._grid_name:
            return
        self._grid_name = newest.name
        w = Worker(load_grid, newest, name="validation grid")
        w.returned.connect(self.gridChanged.emit)
        self._grid_worker = w
        w.start(pool("io"))

    def _take_line(self, channel: str, line: str) -> None:
        if channel == "out":
            self.message.emit(line)

    # -- the end ---------------------------------------------------------------------------------------------
    def _on_failed_to_start(self, details: str) -> None:
        self._finish(TrainOutcome(False, self.request.name, None, self.stopping,
                                  self.tr("The trainer could not be started."), details))

    def _on_finished(self, code: int, normal_exit: bool) -> None:
        self.poll()
        self._take_progress()
        req = self.request
        card = req.out_dir / f"{req.name}.json"
        normal = normal_exit and code == 0
        if normal and card.is_file() and card.with_suffix(".safetensors").is_file():
            text = (self.tr("Stopped early; the model trained so far “{name}” is saved and in the model list.")
                    if self.stopping else self.tr("Training finished; the model “{name}” is saved and in the model "
                                                  "list."))
            out = TrainOutcome(True, req.name, card, self.stopping, text.format(name=req.name))
        elif self.killed:
            out = TrainOutcome(False, req.name, None, True, self.tr(
                "The trainer did not stop within {seconds} s and was ended; no model was saved.").format(
                seconds=self.child.grace_ms // 1000) + self._kept_note())
        elif normal and self.stopping:
            out = TrainOutcome(False, req.name, None, True,
                               self.tr("Stopped before training began; no model was saved."))
        else:
            details = "\n".join(list(self.stderr_lines)[-ERROR_LINES:] or list(self.stdout_lines)[-ERROR_LINES:])
            why = headline(self.stderr_lines) or self.tr("the trainer exited with code {code}").format(code=code)
            out = TrainOutcome(False, req.name, None, self.stopping,
                               self.tr("Training failed: {reason}").format(reason=why) + self._kept_note(), details)
        self._finish(out)

    def _take_progress(self) -> None:
        """The run's last checkpoint record: log rows come every 20 steps, so the steps and minutes at the end
        are only there."""
        done = protocol.read_progress(self.request.run_dir)
        if done and self.status.train_step >= 0:
            self.status.train_step = max(self.status.train_step, int(done.get("steps") or 0))
            self.status.minutes = max(self.status.minutes, float(done.get("minutes") or 0.0))
            self.status.row_time = None

    def _kept_note(self) -> str:
        """A run that ended without a model keeps its checkpoint, so ``restorer train --resume`` can go on."""
        size = checkpoint_bytes(self.request.run_dir)
        if not size or self.status.train_step < 0:
            return ""
        return " " + self.tr("Its last checkpoint ({size}) is kept in {folder}, so the run can be continued with "
                             "restorer train --resume.").format(size=megabytes(size), folder=self.request.run_dir)

    def _finish(self, outcome: TrainOutcome) -> None:
        if self.outcome is not None:
            return
        self.poll_timer.stop()
        self.child.kill_timer.stop()
        self.outcome = outcome
        self.finished.emit(outcome)

