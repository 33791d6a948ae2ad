"""The batch queue panel: a folder colourised by the core's batch loop with per-photo states, resume, naming,
pause/resume/cancel, saved hints, and a window that stays usable (and asks before closing mid-batch)."""
from __future__ import annotations

import time

import pytest
from guihelpers import write_png

from restorer.gui import settings as S
from restorer.gui.queue_panel import QueuePanel, template_suffix, time_left


def _queue_folder(tmp_path, gray_photo):
    src = tmp_path / "box"
    write_png(src / "a.png", gray_photo)
    write_png(src / "sub" / "b.png", gray_photo[:64, :80].copy())
    (src / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return src


def _add(qtbot, queue, paths, n):
    with qtbot.waitSignal(queue.itemsAdded, timeout=20_000) as blocker:
        queue.add_paths(paths)
    assert blocker.args[0] == n


def _run(qtbot, queue, timeout=60_000):
    with qtbot.waitSignal(queue.batchFinished, timeout=timeout) as blocker:
        assert queue.start() is not None
    return blocker.args[0]


def _states(queue):
    return {i.rel.as_posix(): i.state for i in queue.items}


def _slow_engine(monkeypatch, seconds=0.6):
    import restorer.core.engine as engine

    real = engine.colorize

    def slow(pixels, model, hints=None, *, progress=None, cancel=None, preview=False, **kw):
        for _ in range(int(seconds / 0.02)):
            if cancel is not None and cancel():
                raise engine.Cancelled()
            time.sleep(0.02)
        return real(pixels, model, hints, preview=preview, **kw)

    monkeypatch.setattr(engine, "colorize", slow)


def _slow_batch(qtbot, window, tmp_path, gray_photo, monkeypatch, n):
    """The window's queue running ``n`` photos, each taking at least 0.6 s."""
    src = tmp_path / "many"
    for i in range(n):
        write_png(src / f"p{i}.png", gray_photo)
    queue = window.queue
    queue.out_edit.setText(str(tmp_path / "out"))
    _add(qtbot, queue, [src], n)
    _slow_engine(monkeypatch)
    assert queue.start() is not None
    return queue


def test_a_folder_is_colourised_with_states_and_a_later_session_resumes(qtbot, window, tmp_path, gray_photo):
    src = _queue_folder(tmp_path, gray_photo)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    queue = window.queue
    assert window.act_colourise_folder.text().startswith("Colourise")
    out = tmp_path / "colour"
    queue.out_edit.setText(str(out))
    assert queue.model_combo.currentData() == window.current_model()
    _add(qtbot, queue, [src], 3)
    assert set(_states(queue).values()) == {"waiting"}
    report = _run(qtbot, queue)
    assert _states(queue) == {"a.png": "done", "sub/b.png": "done", "sub/broken.png": "failed"}
    broken = next(i for i in queue.items if i.state == "failed")
    assert broken.reason and "\n" not in broken.reason and "Error" not in broken.reason
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["a_colour.png", "sub/b_colour.png"]
    assert (out / "report.json").exists() and len(report.done) == 2
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before  # originals untouched
    assert "2 done" in queue.summary.text() and queue.bar.value() == 1000

    write_png(src / "c.png", gray_photo)  # the next session: the same inputs and folder are remembered
    later = QueuePanel(window)
    qtbot.addWidget(later)
    later.set_models(window.cards, window.current_model())
    qtbot.waitUntil(lambda: len(later.items) == 4, timeout=20_000)
    assert later.out_edit.text() == str(out)
    _run(qtbot, later)
    assert _states(later) == {"a.png": "skipped", "c.png": "done", "sub/b.png": "skipped",
                              "sub/broken.png": "failed"}
    assert "already exists" in next(i for i in later.items if i.state == "skipped").reason


def test_naming_template_and_duplicate_names(qtbot, window, tmp_path, gray_photo):
    x1 = write_png(tmp_path / "in" / "a" / "x.png", gray_photo)
    x2 = write_png(tmp_path / "in" / "b" / "x.png", gray_photo)
    queue = window.queue
    out = tmp_path / "out"
    queue.out_edit.setText(str(out))
    queue.template_combo.setCurrentText("{name}-v1/")
    _add(qtbot, queue, [x1, x2], 2)
    assert queue.start() is None and "naming template" in queue.summary.text()
    queue.template_combo.setCurrentText("{name}")
    _run(qtbot, queue)
    assert sorted(p.name for p in out.glob("*.png")) == ["x-2.png", "x.png"]  # two files, clashing names numbered
    assert template_suffix("{name}_colour") == "_colour" and template_suffix(" {name} ") == ""
    with pytest.raises(ValueError):
        template_suffix("colour_{name}")


def test_pause_resume_cancel_while_the_window_keeps_working(qtbot, window, tmp_path, gray_photo, gray_png,
                                                           monkeypatch):
    queue = _slow_batch(qtbot, window, tmp_path, gray_photo, monkeypatch, 5)
    w = queue.worker
    qtbot.waitUntil(lambda: "running" in _states(queue).values(), timeout=20_000)
    assert queue.pause_button.isEnabled() and not queue.start_button.isEnabled()
    queue.toggle_pause()
    assert queue.pause_button.text() == "Resume" and "paused" in queue.summary.text()
    # The photo in hand is finished and written, then nothing more while paused.
    qtbot.waitUntil(lambda: "running" not in _states(queue).values(), timeout=30_000)
    done_while_paused = sum(s == "done" for s in _states(queue).values())
    qtbot.wait(1000)
    assert sum(s == "done" for s in _states(queue).values()) == done_while_paused
    # The window is usable meanwhile: a photo opens and gets its preview.
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        window.open_paths([gray_png])
    queue.toggle_pause()
    qtbot.waitUntil(lambda: sum(s == "done" for s in _states(queue).values()) > done_while_paused, timeout=20_000)
    with qtbot.waitSignal(queue.batchFinished, timeout=20_000):
        queue.cancel()
    qtbot.waitUntil(lambda: w.done, timeout=5_000)  # "finished" follows the report
    assert "waiting" in _states(queue).values() and "cancelled" in queue.summary.text()
    assert queue.start_button.text() == "Resume" and queue.start_button.isEnabled()


def test_closing_during_a_batch_asks(qtbot, window, tmp_path, gray_photo, monkeypatch):
    queue = _slow_batch(qtbot, window, tmp_path, gray_photo, monkeypatch, 4)
    answers = [False, True]
    monkeypatch.setattr(queue, "ask_close", lambda: answers.pop(0))
    window.close()
    assert window.isVisible() and queue.is_running()  # "Cancel": the window and the batch go on
    window.close()
    assert not window.isVisible() and queue.worker.is_cancelled()
    assert answers == []


def test_saved_hints_are_applied_when_a_photo_has_a_sidecar(qtbot, window, tmp_path, gray_photo, monkeypatch):
    import restorer.core.engine as engine
    from restorer.core import sidecar
    from restorer.core.hints import Hint

    hinted = write_png(tmp_path / "in" / "hinted.png", gray_photo)
    write_png(tmp_path / "in" / "plain.png", gray_photo)
    sidecar.write(hinted, [Hint.from_rgb(0.5, 0.5, (0.9, 0.1, 0.1))], [])
    seen = {}
    real = engine.colorize

    def spy(pixels, model, hints=None, **kw):
        seen[len(seen)] = hints
        return real(pixels, model, hints, **kw)

    monkeypatch.setattr(engine, "colorize", spy)
    queue = window.queue
    queue.out_edit.setText(str(tmp_path / "out"))
    _add(qtbot, queue, [tmp_path / "in"], 2)
    _run(qtbot, queue)
    assert _states(queue) == {"hinted.png": "done", "plain.png": "done"}
    assert seen[0] and len(seen[0]) == 1 and seen[1] is None  # sorted: hinted.png first


def test_time_left_reads_like_a_person_would_say_it():
    assert time_left([], 5) == ""
    assert time_left([2.0, 4.0], 5) == "about 15 s left"
    assert time_left([30.0], 10) == "about 5 min left"
    assert time_left([60.0], 120) == "about 2.0 h left"
    S.put(S.QUEUE_INPUTS, [])


def test_the_close_question_says_what_is_left_and_answers_with_its_button(window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from restorer.gui.queue_panel import QueuePanel

    seen = []

    def answer(text):
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    queue = window.queue
    QTimer.singleShot(0, lambda: answer("Stop and quit"))
    assert QueuePanel.ask_close(queue) is True  # (the fixture answers for the window; this is the real box)
    QTimer.singleShot(0, lambda: answer("Cancel"))
    assert QueuePanel.ask_close(queue) is False
    assert seen == ["0 photos of the batch are not colourised yet."] * 2
