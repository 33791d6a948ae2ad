"""One ``restorer train`` child process seen from the app: its command line, its run folder, stop and grace.

Training takes minutes to hours and every core it can get, so it never runs inside the app: a crash or an
out-of-memory there must not take the open photos with it, and the GUI thread only ever polls small files.
:class:`TrainRun` talks to the trainer through the run folder alone, in the terms of ``training.protocol``
(the one torch-free definition both sides import):

* ``log.csv`` rows (read incrementally, by column name) give the progress, the validations and the gray
  baseline;
* the newest validation grid (gray | model | original) is decoded on a worker;
* creating the stop file asks the trainer to finish its step, save a checkpoint and export what it has; a
  trainer that has not ended :data:`STOP_GRACE_MS` later is killed.

It knows no widgets: :class:`restorer.gui.train_dialog.TrainDialog` shows what it reports.
"""
from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter

from restorer.gui.workers import JobControl, Worker, pool
from training import protocol

POLL_MS = 500
#: After asking the trainer to stop: one step, a validation and the export take seconds; a trainer still
#: reading a big folder of photos has nothing to save yet, so ending it then loses nothing.
STOP_GRACE_MS = 60_000
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


def trainer_command(args: Sequence[str]) -> tuple[str, list[str]]:
    """Program and arguments running ``restorer <args>`` in a new process.

    From a checkout or a venv this is the app's own interpreter with ``-m restorer``, so the child sees the same
    packages. In the PyInstaller build ``sys.executable`` is the app itself, and its launcher
    (packaging/launch.py) takes the subcommand as its first argument.
    """
    if getattr(sys, "frozen", False):
        return sys.executable, list(args)
    return sys.executable, ["-m", "restorer", *args]



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
            self.val_minutes = minutes
            self.val_psnr = num(row.get("val_psnr"))
            self.val_colourfulness = num(row.get("val_colourfulness_ratio"))
        elif stage:
            self.stage = stage
            self.img_per_s = num(row.get("img_per_s")) or self.img_per_s


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
        self.stopping = False
        self.killed = False
        self.outcome: TrainOutcome | None = None
        self.stdout_lines: deque[str] = deque(maxlen=200)
        self.stderr_lines: deque[str] = deque(maxlen=200)
        self._log = protocol.LogTail(request.run_dir / protocol.LOG_CSV)
        self._grid_name = ""
        self._grid_worker: Worker | None = None
        self._partial = {"out": "", "err": ""}

        self.proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")  # lines arrive as they are printed, not in 8 KB blocks
        env.insert("PYTHONIOENCODING", "utf-8")  # folder names in messages, whatever the console's code page
        # The child must list (and export to) the same model folder as this window.
        env.insert("RESTORER_USER_MODELS", str(user_models_dir()))
        self.proc.setProcessEnvironment(env)
        self.proc.setWorkingDirectory(str(request.run_dir))
        self.proc.readyReadStandardOutput.connect(lambda: self._on_output("out"))
        self.proc.readyReadStandardError.connect(lambda: self._on_output("err"))
        self.proc.finished.connect(self._on_finished)
        self.proc.errorOccurred.connect(self._on_error)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.kill_timer = QTimer(self)
        self.kill_timer.setSingleShot(True)
        self.kill_timer.setInterval(STOP_GRACE_MS)
        self.kill_timer.timeout.connect(self.kill)

    @property
    def stop_path(self) -> Path:
        return self.request.run_dir / protocol.STOP_FILE

    def start(self) -> None:
        try:
            self.request.run_dir.mkdir(parents=True, exist_ok=True)
            self.stop_path.unlink(missing_ok=True)
        except OSError as e:
            self._finish(TrainOutcome(False, self.request.name, None, False,
                                      f"Cannot create the training folder: {e}"))
            return
        program, args = trainer_command(self.request.cli_args())
        self.proc.start(program, args)
        if self.outcome is None:  # (FailedToStart may already have ended it)
            self.poll_timer.start()

    def is_running(self) -> bool:
        return self.outcome is None and self.proc.state() != QProcess.ProcessState.NotRunning

    def stop(self) -> None:
        """Ask the trainer to save and export what it has; end it if it has not within :data:`STOP_GRACE_MS`."""
        if not self.is_running() or self.stopping:
            return
        self.stopping = True
        try:
            self.stop_path.touch()
        except OSError:
            self.kill()
            return
        self.kill_timer.start()

    def kill(self) -> None:
        if self.proc.state() != QProcess.ProcessState.NotRunning:
            self.killed = True
            self.proc.kill()

    # -- reading ---------------------------------------------------------------------------------------------
    def poll(self) -> None:
        rows = self._log.read()
        for row in rows:
            self.status.update(row)
        if rows:
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

    def _on_output(self, channel: str) -> None:
        raw = self.proc.readAllStandardOutput() if channel == "out" else self.proc.readAllStandardError()
        text = self._partial[channel] + bytes(raw.data()).decode("utf-8", "replace")
        *lines, self._partial[channel] = re.split(r"\r\n|\r|\n", text)
        for line in lines:
            self._take_line(channel, line)

    def _take_line(self, channel: str, line: str) -> None:
        line = line.rstrip()
        if not line or "%|" in line:  # tqdm's bar: the progress bar of the dialog says it better
            return
        (self.stdout_lines if channel == "out" else self.stderr_lines).append(line)
        if channel == "out":
            self.message.emit(line)

    # -- the end ---------------------------------------------------------------------------------------------
    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            program, _ = trainer_command([])
            self._finish(TrainOutcome(False, self.request.name, None, self.stopping,
                                      "The trainer could not be started.",
                                      f"{program}: {self.proc.errorString()}"))

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        for channel in ("out", "err"):
            if self._partial[channel]:
                self._take_line(channel, self._partial[channel])
                self._partial[channel] = ""
        self.poll()
        req = self.request
        card = req.out_dir / f"{req.name}.json"
        normal = status == QProcess.ExitStatus.NormalExit and code == 0
        if normal and card.is_file() and card.with_suffix(".safetensors").is_file():
            how = "Stopped early; the model trained so far" if self.stopping else "Training finished; the model"
            out = TrainOutcome(True, req.name, card, self.stopping,
                               f"{how} “{req.name}” is saved and in the model list.")
        elif self.killed:
            out = TrainOutcome(False, req.name, None, True,
                               f"The trainer did not stop within {STOP_GRACE_MS // 1000} s and was ended; no model "
                               f"was saved. Its last checkpoint is kept in {req.run_dir}.")
        elif normal and self.stopping:
            out = TrainOutcome(False, req.name, None, True, "Stopped before training began; no model was saved.")
        else:
            details = "\n".join(list(self.stderr_lines)[-ERROR_LINES:] or list(self.stdout_lines)[-ERROR_LINES:])
            why = _headline(self.stderr_lines) or f"the trainer exited with code {code}"
            out = TrainOutcome(False, req.name, None, self.stopping, f"Training failed: {why}", details)
        self._finish(out)

    def _finish(self, outcome: TrainOutcome) -> None:
        if self.outcome is not None:
            return
        self.poll_timer.stop()
        self.kill_timer.stop()
        self.outcome = outcome
        self.finished.emit(outcome)


def _headline(lines: Iterable[str]) -> str:
    """The line of an error output that says what went wrong: the last one ("error: …", an exception or a
    SystemExit message), without the exception's class name."""
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return ""
    last = lines[-1].strip()
    if last.startswith("error: "):
        last = last[len("error: "):]
    m = re.match(r"[\w.]+(Error|Exception): (.*)", last)
    return m.group(2) if m else last
