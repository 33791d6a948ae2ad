"""The app's one child-process helper (restorer.gui.child_process): lines per channel, the polite stop and its
grace that follows the child's pace, the kill, and the one-line failure headline."""
from __future__ import annotations

import sys

import pytest

#: A stand-in child: says a line on each channel (one without its newline), then waits for its stop file.
POLITE = ("import os, sys, time\n"
          "print('hello out'); sys.stderr.write('hello err\\nno newline'); sys.stderr.flush()\n"
          "while not os.path.exists(sys.argv[1]): time.sleep(0.05)\n"
          "sys.exit(130)\n")


def test_the_grace_follows_the_pace():
    from restorer.gui.child_process import MIN_GRACE_MS, stop_grace_ms

    assert stop_grace_ms(None, None) == stop_grace_ms(0.0, -1) == MIN_GRACE_MS  # no step yet
    assert stop_grace_ms(0.1, 100) == MIN_GRACE_MS  # fast steps: the floor
    assert stop_grace_ms(1.5, 1) == 2 * 90_000 + 30_000  # a step of 1.5 min: two of them and 30 s
    assert stop_grace_ms(0.0, 0, floor_ms=500) == 500


@pytest.mark.parametrize(("lines", "wanted"), [
    (["loading", "error: no usable colour photos in x", ""], "no usable colour photos in x"),
    (["Traceback (most recent call last):", "  File ...", "ValueError: bad size 3"], "bad size 3"),
    (["error: a.png: cannot read", "done 0, failed 1"], "a.png: cannot read"),
    (["torch.cuda.OutOfMemoryError: CUDA out of memory"], "CUDA out of memory"),
    (["just the last line"], "just the last line"),
    ([], ""),
])
def test_the_headline_is_one_line_without_class_names(lines, wanted):
    from restorer.gui.child_process import headline

    assert headline(lines) == wanted


def test_lines_per_channel_then_a_polite_stop(qtbot, tmp_path):
    from restorer.gui.child_process import ChildProcess

    stop = tmp_path / "STOP"
    child = ChildProcess(stop.touch)
    seen = []
    child.line.connect(lambda channel, line: seen.append((channel, line)))
    child.start(sys.executable, ["-c", POLITE, str(stop)])
    qtbot.waitUntil(lambda: ("out", "hello out") in seen, timeout=60_000)
    with qtbot.waitSignal(child.ended, timeout=60_000) as ended:
        child.stop(60_000)
        assert stop.exists() and child.kill_timer.isActive() and child.stopping
    assert ended.args == [130, True] and not child.killed and not child.kill_timer.isActive()
    assert ("err", "hello err") in seen and ("err", "no newline") in seen  # the unfinished last line too


def test_a_child_that_ignores_the_stop_is_killed(qtbot, tmp_path):
    from restorer.gui.child_process import ChildProcess

    child = ChildProcess((tmp_path / "STOP").touch)
    child.start(sys.executable, ["-c", "import time; time.sleep(60)"])
    qtbot.waitUntil(child.is_running, timeout=30_000)
    with qtbot.waitSignal(child.ended, timeout=30_000) as ended:
        child.stop(200)
    assert child.killed and ended.args[1] is False


def test_a_child_that_cannot_be_asked_is_killed_at_once(qtbot, tmp_path):
    from restorer.gui.child_process import ChildProcess

    child = ChildProcess((tmp_path / "no-such-folder" / "STOP").touch)  # the stop file cannot be made
    child.start(sys.executable, ["-c", "import time; time.sleep(60)"])
    qtbot.waitUntil(child.is_running, timeout=30_000)
    with qtbot.waitSignal(child.ended, timeout=30_000):
        child.stop(60_000)
    assert child.killed


def test_a_program_that_cannot_start_says_which(qtbot, tmp_path):
    from restorer.gui.child_process import ChildProcess

    child = ChildProcess((tmp_path / "STOP").touch)
    with qtbot.waitSignal(child.failedToStart, timeout=10_000) as failed:
        child.start(str(tmp_path / "no-such-program"), [])
    assert "no-such-program" in failed.args[0]
