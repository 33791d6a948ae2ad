"""The app's one way of running a ``restorer`` child process: fine-tuning (:mod:`restorer.gui.train_process`) and
reference learning (:mod:`restorer.gui.reference_dialog`) both go through :class:`ChildProcess`.

Training code never runs inside the app: a crash or an out-of-memory there must not take the open photos with it.
The child is asked to stop politely (each caller has its own way: a stop file the child polls) and is killed only
when it has not ended within a grace that follows its own pace: a child that takes 50 s a step on a busy CPU
cannot hear the stop sooner than its step ends, and a fixed short grace then kills a child that was about to stop.
"""
from __future__ import annotations

import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

#: The least time a child gets between being asked to stop and being killed: one step, a validation and the
#: export take seconds on a free CPU, and a child still loading has nothing to save, so ending it loses nothing.
MIN_GRACE_MS = 60_000
LINES_KEPT = 200


def trainer_command(args: Sequence[str]) -> tuple[str, list[str]]:
    """Program and arguments running ``restorer <args>`` in a new process.

    From a checkout or a venv this is the app's own interpreter with ``-m restorer``, so the child sees the same
    packages. In the PyInstaller build ``sys.executable`` is the app itself, and its launcher
    (packaging/launch.py) takes the subcommand as its first argument.
    """
    if getattr(sys, "frozen", False):
        return sys.executable, list(args)
    return sys.executable, ["-m", "restorer", *args]


def stop_grace_ms(minutes: float | None, steps: int | None, floor_ms: int = MIN_GRACE_MS) -> int:
    """Two of the child's step times plus 30 s, at least ``floor_ms``: it must finish the step it is in before
    it sees the stop, and then save. ``minutes`` over ``steps`` is its pace so far (unknown before a step)."""
    if not steps or steps <= 0 or not minutes or minutes <= 0:
        return floor_ms
    return int(max(floor_ms, 2 * 60_000 * minutes / steps + 30_000))


def headline(lines: Iterable[str]) -> str:
    """The line of a child's output that says what went wrong, without an exception's class name: the last
    ``error: …`` line or exception line (a traceback ends with one), else the last line."""
    kept = [ln.strip() for ln in lines if ln.strip()]
    for line in reversed(kept):
        if line.startswith("error: "):
            return line[len("error: "):]
        m = re.match(r"[\w.]+(?:Error|Exception|Exit|Interrupt): (.+)", line)
        if m:
            return m.group(1)
    return kept[-1] if kept else ""


class ChildProcess(QObject):
    """A QProcess with the app's environment, its output cut into lines per channel, and a stop that asks first.

    ``ask_stop`` is how the caller asks its child to stop (creating its stop file); it raises OSError when it
    cannot, and the child is then killed at once.
    """

    line = Signal(str, str)  # channel ("out" | "err"), one line of output (progress bars left out)
    ended = Signal(int, bool)  # exit code, whether it exited normally; after the last line
    failedToStart = Signal(str)  # "<program>: <why>"

    def __init__(self, ask_stop: Callable[[], None], parent: QObject | None = None, *, cwd: str | None = None,
                 merged: bool = False, env: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.ask_stop = ask_stop
        self.stopping = False
        self.killed = False
        self.program = ""
        self.grace_ms = MIN_GRACE_MS
        self.lines: dict[str, deque[str]] = {"out": deque(maxlen=LINES_KEPT), "err": deque(maxlen=LINES_KEPT)}
        self._partial = {"out": "", "err": ""}
        self.proc = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")  # lines arrive as they are printed, not in 8 KB blocks
        environment.insert("PYTHONIOENCODING", "utf-8")  # folder names in messages, whatever the console's code page
        for key, value in (env or {}).items():
            environment.insert(key, value)
        self.proc.setProcessEnvironment(environment)
        if cwd is not None:
            self.proc.setWorkingDirectory(cwd)
        if merged:
            self.proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.proc.readyReadStandardOutput.connect(lambda: self._on_output("out"))
        self.proc.readyReadStandardError.connect(lambda: self._on_output("err"))
        self.proc.finished.connect(self._on_finished)
        self.proc.errorOccurred.connect(self._on_error)
        self.kill_timer = QTimer(self)
        self.kill_timer.setSingleShot(True)
        self.kill_timer.timeout.connect(self.kill)

    def start(self, program: str, args: Sequence[str]) -> None:
        self.program = program
        self.proc.start(program, list(args))

    def is_running(self) -> bool:
        return self.proc.state() != QProcess.ProcessState.NotRunning

    def stop(self, grace_ms: int) -> None:
        """Ask the child to stop; kill it if it has not ended ``grace_ms`` later (or at once if it cannot be
        asked)."""
        if not self.is_running() or self.stopping:
            return
        self.stopping = True
        try:
            self.ask_stop()
        except OSError:
            self.kill()
            return
        self.grace_ms = grace_ms
        self.kill_timer.start(grace_ms)

    def restart_grace(self, grace_ms: int) -> None:
        """The child showed it heard the stop (it began saving): give it the whole grace again from now."""
        if self.stopping and self.kill_timer.isActive():
            self.grace_ms = grace_ms
            self.kill_timer.start(grace_ms)

    def kill(self) -> None:
        if self.is_running():
            self.killed = True
            self.proc.kill()

    def _on_output(self, channel: str) -> None:
        raw = self.proc.readAllStandardOutput() if channel == "out" else self.proc.readAllStandardError()
        text = self._partial[channel] + bytes(raw.data()).decode("utf-8", "replace")
        *lines, self._partial[channel] = re.split(r"\r\n|\r|\n", text)
        for line in lines:
            self._take_line(channel, line)

    def _take_line(self, channel: str, line: str) -> None:
        line = line.rstrip()
        if not line or "%|" in line:  # tqdm's bar: the app's own progress bar says it better
            return
        self.lines[channel].append(line)
        self.line.emit(channel, line)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.kill_timer.stop()
            self.failedToStart.emit(f"{self.program}: {self.proc.errorString()}")

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self.kill_timer.stop()
        for channel in ("out", "err"):
            self._on_output(channel)
            if self._partial[channel]:
                self._take_line(channel, self._partial[channel])
                self._partial[channel] = ""
        self.ended.emit(code, status == QProcess.ExitStatus.NormalExit)
