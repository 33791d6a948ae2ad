"""The fine-tuning dialog without a real trainer: its size on a laptop screen, what it says in each phase of a
run (driven through the run folder, as the trainer writes it), the models it offers to start from, and the
clean-up of a finished run's checkpoints."""
from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

from training import protocol

#: 1366 x 768 less a taskbar (~40 px) and the title bar (~30 px).
LAPTOP_HEIGHT = 680


@pytest.fixture
def sleeping_trainer(monkeypatch):
    """The trainer's command replaced by a process that only sleeps: the test writes the run folder itself."""
    import restorer.gui.train_process as tp

    monkeypatch.setattr(tp, "trainer_command", lambda args: (sys.executable, ["-c", "import time; time.sleep(60)"]))


@pytest.fixture
def dialog(qtbot, only_tiny_models):
    from restorer.core.models import list_models
    from restorer.gui.train_dialog import TrainDialog

    def end_the_trainer(dlg):  # before the dialog is closed: closing under a run asks in a modal box
        if dlg.run is not None and dlg.run.proc.state() != dlg.run.proc.ProcessState.NotRunning:
            dlg.run.kill()
            dlg.run.proc.waitForFinished(10_000)

    dlg = TrainDialog(list_models())
    qtbot.addWidget(dlg, before_close_func=end_the_trainer)
    return dlg


def _request(dlg, tmp_path, name="mine"):
    from restorer.gui.train_process import TrainRequest, runs_dir

    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    return TrainRequest(data=str(photos), base="tiny-test", name=name, minutes=45, run_dir=runs_dir() / name,
                        out_dir=tmp_path / "out")


def _phase(run, phase, step=0):
    (run.request.run_dir / protocol.PHASE_JSON).write_text(protocol.phase_record(phase, step))
    run.poll()


def _rows(run, *rows):
    log = run.request.run_dir / protocol.LOG_CSV
    new = not log.exists()
    with open(log, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=protocol.LOG_FIELDS)
        if new:
            w.writeheader()
        w.writerows(rows)
    run.poll()


def test_the_dialog_fits_a_1366x768_screen(qtbot, dialog, sleeping_trainer, tmp_path):
    dialog.show()
    assert dialog.height() <= LAPTOP_HEIGHT and dialog.width() <= 1366
    run = dialog.start(_request(dialog, tmp_path))
    assert run is not None and dialog.progress_box.isVisible() and dialog.intro.isHidden()
    qtbot.wait(50)  # the layout takes in the shown and hidden parts
    assert dialog.height() <= LAPTOP_HEIGHT and dialog.minimumSizeHint().height() <= LAPTOP_HEIGHT
    assert dialog.grid.height() >= 160  # and the validation grid still has room


def test_each_phase_is_said_and_the_bar_is_busy_until_the_first_step(qtbot, dialog, sleeping_trainer, tmp_path,
                                                                     monkeypatch):
    import restorer.gui.train_process as tp

    dialog.show()
    run = dialog.start(_request(dialog, tmp_path))
    busy = lambda: dialog.bar.minimum() == dialog.bar.maximum() == 0  # noqa: E731
    assert dialog.stage_label.text() == "Starting the trainer…" and busy()
    _phase(run, protocol.PHASE_BUILD)
    assert dialog.stage_label.text() == "Building the model from tiny-test…" and busy()
    _phase(run, protocol.PHASE_READ)
    run.message.emit("train data photos: 312 colour photos, 3 gray skipped")
    assert dialog.stage_label.text().startswith("Reading and checking the photos") and busy()
    assert "312 colour photos" in dialog.speed_label.text()
    _rows(run, protocol.log_row(0, 0, protocol.STAGE_BASELINE, val_psnr="21.5"))
    _phase(run, protocol.PHASE_FIRST_STEP)
    assert dialog.stage_label.text().startswith("Running the first training step") and busy()

    _rows(run, protocol.log_row(1, 0.1, protocol.STAGE_REC, img_per_s="2.50"))
    assert dialog.stage_label.text() == "Stage 1 of 2: learning the colours" and not busy()
    assert dialog.bar.format() == "0.1 of 45 min" and dialog.speed_label.text() == "2.5 images/s · step 1"
    # The next row comes 20 steps later: meanwhile the training clock runs on.
    later = tp.time.monotonic() + 60
    monkeypatch.setattr(tp.time, "monotonic", lambda: later)
    dialog.progress_box._show_minutes()
    assert dialog.bar.format() == "1.1 of 45 min"
    # A validation stops the clock (the budget does not count it) and says so, until its row arrives.
    _phase(run, protocol.PHASE_VALIDATE, 1)
    assert dialog.stage_label.text() == "Checking the model on the validation photos…"
    assert dialog.bar.format() == "0.1 of 45 min"
    _rows(run, protocol.log_row(1, 0.1, protocol.STAGE_VAL, val_psnr="23.0", val_colourfulness_ratio="0.7"))
    assert dialog.stage_label.text() == "Stage 1 of 2: learning the colours"
    assert "PSNR 23.00 dB (gray photo: 21.50 dB)" in dialog.val_label.text()
    dialog.progress_box._show_minutes()  # the clock goes on from the end of the validation, not from before it
    assert dialog.bar.format() == "0.1 of 45 min"
    _phase(run, protocol.PHASE_EXPORT, 1)
    assert dialog.stage_label.text() == "Saving the new model…"


def test_the_base_list_has_the_users_models_and_follows_the_window(qtbot, window, only_tiny_models):
    from restorer.gui.train_dialog import TrainDialog

    window.show_train_dialog()
    dlg: TrainDialog = window.train_dialog
    texts = [dlg.base_combo.itemText(i) for i in range(dlg.base_combo.count())]
    assert sorted(texts) == ["tiny-test (yours)", "tiny-test-2 (yours)"]  # labelled as in the window's picker
    dlg.base_combo.setCurrentIndex(dlg.base_combo.findData("tiny-test-2"))
    # A model trained (or imported) meanwhile: offered without reopening the dialog, the choice kept.
    card = json.loads((only_tiny_models / "tiny-test.json").read_text())
    card["name"] = "Lyon 1920s"
    (only_tiny_models / "Lyon 1920s.json").write_text(json.dumps(card))
    shutil.copy(only_tiny_models / "tiny-test.safetensors", only_tiny_models / "Lyon 1920s.safetensors")
    with qtbot.waitSignal(window.modelsReady, timeout=10_000):
        window.refresh_models()
    assert dlg.base_combo.findData("Lyon 1920s") >= 0 and dlg.base_combo.currentData() == "tiny-test-2"
    assert "(yours)" in dlg.base_combo.itemText(dlg.base_combo.findData("Lyon 1920s"))
    dlg.name_edit.setText("lyon 1920S")
    assert "already exists" in dlg.name_note.text()
    dlg.hide()


def _finished_run(dlg, tmp_path, ok=True, steps=40):
    """A run whose trainer has ended (never started here), with 3 MB of checkpoints and a log."""
    from restorer.gui.train_process import TrainOutcome, TrainRun

    req = _request(dlg, tmp_path)
    req.run_dir.mkdir(parents=True)
    for name, size in zip(protocol.CHECKPOINTS, (2_000_000, 1_000_000)):
        (req.run_dir / name).write_bytes(b"\0" * size)
    (req.run_dir / protocol.LOG_CSV).write_text("step\n")
    run = dlg.run = TrainRun(req, dlg)
    dlg.progress_box.begin(run)
    run.status.train_step = steps - 1
    dlg._on_finished(TrainOutcome(ok, req.name, None, False, "done" if ok else "Training failed: out of memory"))
    return run


def test_an_exported_run_offers_to_delete_its_checkpoints(qtbot, dialog, tmp_path, monkeypatch):
    dialog.show()
    run = _finished_run(dialog, tmp_path)
    folder = run.request.run_dir
    assert dialog.clean_button.isVisible() and dialog.clean_button.text() == "Delete this run's checkpoints (3 MB)"
    answers = [False, True]
    asked = []
    monkeypatch.setattr(type(dialog), "ask_delete_checkpoints", lambda self, size: (asked.append(size),
                                                                                     answers.pop(0))[1])
    dialog.clean_button.click()  # "no": nothing happens
    assert asked == [3_000_000] and (folder / "last.pt").exists() and dialog.clean_button.isEnabled()
    with qtbot.waitSignal(dialog.checkpointsDeleted, timeout=10_000) as freed:
        dialog.clean_button.click()
    assert freed.args == [3_000_000]
    assert not any((folder / n).exists() for n in protocol.CHECKPOINTS) and (folder / protocol.LOG_CSV).exists()
    assert dialog.clean_button.isHidden() and "checkpoints are deleted (3 MB freed)" in dialog.result_label.text()


def test_a_run_that_can_be_resumed_keeps_its_checkpoint(qtbot, dialog, tmp_path):
    dialog.show()
    run = _finished_run(dialog, tmp_path, ok=False)
    assert dialog.clean_button.isHidden() and (run.request.run_dir / "last.pt").exists()
    # (the message is TrainRun's own; here it says what the run kept)
    assert "restorer train --resume" in run._kept_note() and "3 MB" in run._kept_note()


def test_checkpoints_are_deleted_only_in_a_run_folder(tmp_path, only_tiny_models):
    from restorer.gui.train_process import delete_checkpoints, runs_dir

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "last.pt").write_bytes(b"x")
    runs_dir().mkdir(parents=True, exist_ok=True)
    (runs_dir() / "link").symlink_to(elsewhere)
    (runs_dir() / "last.pt").write_bytes(b"x")
    for folder in (elsewhere, runs_dir() / "link", runs_dir(), runs_dir() / ".." / "elsewhere"):
        with pytest.raises(OSError, match="not a training run"):
            delete_checkpoints(None, folder)
    assert (elsewhere / "last.pt").exists() and (runs_dir() / "last.pt").exists()
    run = runs_dir() / "run"
    run.mkdir()
    (run / "last.pt").symlink_to(elsewhere / "last.pt")  # a link is not followed out of the folder
    (run / "best.pt").write_bytes(b"12345")
    assert delete_checkpoints(None, run) == 5 and (elsewhere / "last.pt").exists()
    assert Path(run / "last.pt").is_symlink()


def test_the_stop_grace_follows_the_step_time(qtbot, dialog, sleeping_trainer, tmp_path, monkeypatch):
    """A slow trainer is given time to finish its step and export, and more when it says it is exporting."""
    import restorer.gui.train_process as tp

    monkeypatch.setattr(tp, "STOP_GRACE_MS", 1000)
    run = dialog.start(_request(dialog, tmp_path))
    assert run.stop_grace_ms() == 1000  # before any step: only the fixed grace
    _rows(run, protocol.log_row(1, 1.5, protocol.STAGE_REC, img_per_s="0.30"))  # a first step of 1.5 min
    assert run.stop_grace_ms() == 2 * 90_000 + 30_000
    dialog.stop()
    assert run.kill_timer.isActive() and run.kill_timer.interval() == 210_000
    _phase(run, protocol.PHASE_EXPORT, 1)  # it heard the stop and exports: the grace starts again
    assert run.kill_timer.isActive() and run.kill_timer.remainingTime() > 200_000


def test_the_end_shows_the_checkpoints_steps_and_minutes(qtbot, dialog, sleeping_trainer, tmp_path):
    """The log has a row every 20 steps; the last checkpoint's record says where the run really ended, even
    past its budget (a step is never cut short)."""
    from restorer.gui.train_process import TrainOutcome

    run = dialog.start(_request(dialog, tmp_path))
    _rows(run, protocol.log_row(1, 40.0, protocol.STAGE_REC, img_per_s="2.00"))
    values = {**dict.fromkeys(protocol.PROGRESS_FIELDS, 0), "steps": 7, "minutes": 46.5}
    (run.request.run_dir / protocol.PROGRESS_JSON).write_text(protocol.progress_record(values))
    run._take_progress()
    dialog.progress_box.finish(TrainOutcome(True, "mine", None, True, "saved"))
    assert dialog.bar.format() == "46.5 min (budget 45)" and dialog.speed_label.text() == "2.0 images/s · 7 steps"


def test_deleting_asks_first(qtbot, dialog):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen = []

    def answer(text):
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.text(), box.informativeText()))
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    dialog.show()
    QTimer.singleShot(0, lambda: answer("Delete"))
    assert dialog.ask_delete_checkpoints(183_000_000) is True
    QTimer.singleShot(0, lambda: answer("Cancel"))
    assert dialog.ask_delete_checkpoints(183_000_000) is False
    assert seen[0][0] == "Delete this run's checkpoints (183 MB)?" and "--resume" in seen[0][1]
