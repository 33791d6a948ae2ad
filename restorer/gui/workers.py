"""Background work for the GUI: QRunnable workers with a signals object, a cancel flag and an ``errored`` signal.

Borrowed from superqt/napari's ``qthreading``: the long work is a plain function (or a generator that yields
progress fractions) that knows nothing about widgets; a thin :class:`Worker` runs it on a ``QThreadPool`` and
turns what happens into signals delivered on the GUI thread:

``started`` → ``progress(float)`` / ``yielded(object)`` … → exactly one of ``returned(object)``,
``errored(BaseException)`` or ``cancelled()`` → ``finished()``.

Every job function receives a :class:`JobControl` as its first argument: ``ctl.progress(f)`` reports,
``ctl.is_cancelled()`` / ``ctl.check()`` poll the cancel flag. These are plain callables, so they can be
handed straight to the core (``colorize(..., progress=ctl.progress, cancel=ctl.is_cancelled)``) without
passing a Qt object into core code.

Connect a worker's signals BEFORE calling :meth:`Worker.start`: Qt decides at emit time who receives a
queued signal, so a fast job could otherwise finish before anyone listens.

Workers register themselves while alive so the window's ``closeEvent`` (and the test fixture) can cancel them
and wait for them: see :func:`cancel_all` and :func:`wait_all`.
"""
from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from restorer.core.cancel import Cancelled

log = logging.getLogger(__name__)


def _is_cancellation(exc: BaseException, ctl: JobControl) -> bool:
    """True when ``exc`` means "the job stopped because it was asked to".

    :class:`restorer.core.cancel.Cancelled` is what the engine and :meth:`JobControl.check` raise (a torch-free
    module, so every worker can know the type); any exception raised after the flag was set counts too (a
    cancelled job may fail in a half-torn-down state; that is not an error to show).
    """
    return isinstance(exc, Cancelled) or ctl.is_cancelled()


class JobControl:
    """What a job sees of its worker: a thread-safe cancel flag and a progress reporter."""

    def __init__(self, signals: WorkerSignals) -> None:
        self._flag = threading.Event()
        self._signals = signals
        self._last_emit = 0.0
        self._last_value = -1.0

    def cancel(self) -> None:
        self._flag.set()

    def is_cancelled(self) -> bool:
        return self._flag.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the job was cancelled (call between steps)."""
        if self._flag.is_set():
            raise Cancelled()

    def note(self, text: str) -> None:
        """Say what the job is doing now ("Loading model…"); arrives as ``yielded(str)``."""
        self._signals.yielded.emit(str(text))

    def send(self, value: object) -> None:
        """Hand ``value`` to the GUI thread now, as ``yielded(value)`` (e.g. each finished photo of a batch)."""
        self._signals.yielded.emit(value)

    def progress(self, fraction: float) -> None:
        """Report progress in [0, 1]. Throttled to ~30 updates/s so a chatty core cannot flood the event queue."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        now = time.monotonic()
        if fraction >= 1.0 or fraction <= 0.0 or now - self._last_emit > 0.033:
            if fraction != self._last_value:
                self._last_emit, self._last_value = now, fraction
                self._signals.progress.emit(fraction)


def _is_user_error(exc: BaseException) -> bool:
    from restorer.core.io import ImageError
    from restorer.core.models import ModelError

    return isinstance(exc, (ImageError, ModelError))


class WorkerSignals(QObject):
    """Signals of one worker. A separate QObject because QRunnable is not one (and must not own a thread)."""

    started = Signal()
    progress = Signal(float)
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    cancelled = Signal()
    finished = Signal()


class Worker(QRunnable):
    """Run ``fn(ctl, *args, **kwargs)`` on a thread pool.

    ``fn`` may be a generator function: each yielded float is reported as progress, anything else is emitted
    as ``yielded``; the cancel flag is checked between yields; its ``return`` value is emitted as ``returned``.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "", partial_ok: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        # partial_ok: the job itself handles cancel and returns a partial result (a batch report saying what was
        # already written); that result is then emitted as ``returned`` instead of being replaced by ``cancelled``.
        self.partial_ok = partial_ok
        # autoDelete stays on: the pool deletes the C++ runnable after run() has fully returned, which is the
        # only moment that is safe. Our Python attributes (result, error, done) outlive it via the registry.
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.signals = WorkerSignals()
        self.ctl = JobControl(self.signals)
        self.result: Any = None
        self.error: BaseException | None = None
        self.was_cancelled = False
        self.has_started = False  # set on the worker thread before ``started``: waiters that connect late see it
        self.done = False
        # Aliases so callers can write ``worker.returned.connect`` (as superqt allows).
        self.started = self.signals.started
        self.progress = self.signals.progress
        self.yielded = self.signals.yielded
        self.returned = self.signals.returned
        self.errored = self.signals.errored
        self.cancelled = self.signals.cancelled
        self.finished = self.signals.finished
        self.signals.finished.connect(self._on_finished)

    # -- control (GUI thread) --------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the job to stop; it stops at its next check and emits ``cancelled`` then ``finished``."""
        self.ctl.cancel()

    def is_cancelled(self) -> bool:
        return self.ctl.is_cancelled()

    def start(self, pool: QThreadPool | None = None) -> Worker:
        """Register the worker as live and queue it on ``pool`` (default: the global pool)."""
        _LIVE.add(self)
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def _on_finished(self) -> None:
        self.done = True
        _LIVE.discard(self)

    # -- the thread ------------------------------------------------------------------------------------------
    def run(self) -> None:  # noqa: D401 - QRunnable API
        sig = self.signals
        try:
            if self.ctl.is_cancelled():  # cancelled while still queued: do not start the work at all
                raise Cancelled()
            self.has_started = True
            sig.started.emit()
            if inspect.isgeneratorfunction(self.fn):
                result = self._run_generator()
            else:
                result = self.fn(self.ctl, *self.args, **self.kwargs)
            if self.ctl.is_cancelled() and not self.partial_ok:
                # The job finished anyway (e.g. its last step could not be interrupted): the caller no longer
                # wants the result, so do not hand it out as if it were current.
                raise Cancelled()
            self.result = result
            sig.returned.emit(result)
        except BaseException as exc:  # noqa: BLE001 - every failure must become a signal, never a dead thread
            if _is_cancellation(exc, self.ctl):
                self.was_cancelled = True
                sig.cancelled.emit()
            else:
                # A user-facing problem (an unreadable photo, a missing model) is one line in the log; only the
                # unexpected ones carry a traceback, so a folder of broken scans does not flood stderr.
                log.warning("worker %s failed: %s", self.name, exc, exc_info=not _is_user_error(exc))
                self.error = exc
                sig.errored.emit(exc)
        finally:
            sig.finished.emit()

    def _run_generator(self) -> Any:
        gen = self.fn(self.ctl, *self.args, **self.kwargs)
        try:
            while True:
                self.ctl.check()
                value = next(gen)
                if isinstance(value, float):
                    self.ctl.progress(value)
                else:
                    self.signals.yielded.emit(value)
        except StopIteration as stop:
            return stop.value
        finally:
            gen.close()


# -- registry and pools ----------------------------------------------------------------------------------------

_LIVE: set[Worker] = set()
_POOLS: dict[str, QThreadPool] = {}


def pool(kind: str) -> QThreadPool:
    """The pool for a kind of work.

    ``"compute"`` (model loading and colourising) has ONE thread: torch already uses every core for one run,
    and two runs at once on a laptop would each take twice as long while holding two models' worth of memory.
    ``"thumbs"`` has one thread so a folder of 300 scans does not starve the photo the user just clicked.
    ``"io"`` is the global pool (reading the current photo, histograms, saving).
    """
    if kind == "io":
        return QThreadPool.globalInstance()
    p = _POOLS.get(kind)
    if p is None:
        p = QThreadPool()
        p.setObjectName(f"restorer-{kind}")
        p.setMaxThreadCount(1)
        _POOLS[kind] = p
    return p


def all_pools() -> list[QThreadPool]:
    return [QThreadPool.globalInstance(), *_POOLS.values()]


def live_workers() -> list[Worker]:
    return list(_LIVE)


def cancel_all() -> None:
    for w in list(_LIVE):
        w.cancel()


def wait_all(timeout_ms: int = 10_000) -> bool:
    """Block until every pool is idle (or the timeout passes). True when all work has stopped."""
    deadline = time.monotonic() + timeout_ms / 1000.0
    ok = True
    for p in all_pools():
        left = max(0, int((deadline - time.monotonic()) * 1000))
        ok = p.waitForDone(left) and ok
    return ok
