"""The worker contract: started → progress/yielded → exactly one of returned/errored/cancelled → finished."""
from __future__ import annotations

import threading
import time

import pytest

from restorer.gui.workers import Worker, cancel_all, live_workers, pool


def _record(w: Worker) -> list:
    events: list = []
    for name in ("started", "progress", "yielded", "returned", "errored", "cancelled"):
        getattr(w, name).connect(lambda *a, name=name: events.append((name, *a)))
    return events


def test_plain_job_returns_on_a_worker_thread(qtbot):
    main = threading.get_ident()

    def job(ctl, x):
        ctl.progress(0.5)
        ctl.note("halfway")
        return (x * 2, threading.get_ident())

    w = Worker(job, 21)
    events = _record(w)
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.start(pool("io"))
    value, tid = w.result
    assert value == 42 and tid != main
    names = [e[0] for e in events]
    assert names[0] == "started" and names[-1] == "returned"
    assert ("progress", 0.5) in events and ("yielded", "halfway") in events
    assert w.done and w not in live_workers()



def test_generator_progress_and_items(qtbot):
    def gen(ctl, n):
        for i in range(n):
            yield (i + 1) / n
            yield f"item {i}"
        return "done"

    w = Worker(gen, 3)
    events = _record(w)
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.start(pool("thumbs"))
    assert w.result == "done"
    assert [e for e in events if e[0] == "yielded"] == [("yielded", f"item {i}") for i in range(3)]
    assert events[-1] == ("returned", "done")


def test_exception_becomes_errored(qtbot):
    def bad(ctl):
        raise ValueError("nope")

    w = Worker(bad)
    events = _record(w)
    with qtbot.waitSignal(w.errored, timeout=5000) as blocker:
        w.start()
    assert isinstance(blocker.args[0], ValueError)
    qtbot.waitUntil(lambda: w.done, timeout=5000)
    assert [e[0] for e in events] == ["started", "errored"]


@pytest.mark.parametrize("kind", ["plain", "generator"])
def test_cancel_stops_the_job(qtbot, kind):
    def plain(ctl):
        for _ in range(500):
            ctl.check()
            time.sleep(0.01)
        return "finished anyway"

    def generator(ctl):
        for i in range(500):
            time.sleep(0.01)
            yield i / 500
        return "finished anyway"

    w = Worker(plain if kind == "plain" else generator)
    events = _record(w)
    with qtbot.waitSignal(w.started, timeout=5000):
        w.start(pool("compute"))
    with qtbot.waitSignal(w.finished, timeout=5000):
        cancel_all()
    assert w.was_cancelled and w.result is None
    assert events[-1] == ("cancelled",)


def test_cancelled_before_start_never_runs(qtbot):
    ran = []
    blocker_job = Worker(lambda ctl: time.sleep(0.3))
    w = Worker(lambda ctl: ran.append(1))
    with qtbot.waitSignal(w.finished, timeout=5000):
        blocker_job.start(pool("compute"))  # occupies the single compute thread
        w.start(pool("compute"))
        w.cancel()
    assert ran == [] and w.was_cancelled
    qtbot.waitUntil(lambda: blocker_job.done, timeout=5000)


def test_partial_ok_keeps_the_result_of_a_cancelled_job(qtbot):
    def batch(ctl):
        done = []
        for i in range(100):
            if ctl.is_cancelled():
                break
            done.append(i)
            time.sleep(0.01)
        return done

    w = Worker(batch, partial_ok=True)
    with qtbot.waitSignal(w.started, timeout=5000):
        w.start(pool("compute"))
    qtbot.wait(100)
    with qtbot.waitSignal(w.returned, timeout=5000) as blocker:
        w.cancel()
    assert 0 < len(blocker.args[0]) < 100
    qtbot.waitUntil(lambda: w.done, timeout=5000)


def test_user_errors_are_logged_in_one_line_unexpected_ones_with_traceback(qtbot, caplog):
    import logging

    from restorer.core.io import ImageError
    from restorer.gui.workers import Worker

    def unreadable(ctl):
        raise ImageError("broken.jpg: not a JPEG file (truncated)")

    def bug(ctl):
        raise KeyError("oops")

    caplog.set_level(logging.WARNING, logger="restorer.gui.workers")
    for fn in (unreadable, bug):
        w = Worker(fn, name=fn.__name__)
        with qtbot.waitSignal(w.finished, timeout=10_000):
            w.start()
    by_name = {r.getMessage().split()[1]: r for r in caplog.records}
    assert not by_name["unreadable"].exc_info  # one line, no traceback
    assert "broken.jpg" in by_name["unreadable"].getMessage()
    assert by_name["bug"].exc_info and by_name["bug"].exc_info[0] is KeyError
