"""Fine-tuning from the app: the dialog's command line, real short runs of `restorer train` through QProcess
(finish, stop-and-save, failure), and the new model reaching the main window's picker."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from guihelpers import write_png

# A tiny network trains in seconds: the base model is the conftest's untrained 2-level U-Net (64 px).
TINY = ["--size", "64", "--batch", "4", "--perc-weight", "0"]
RUN_TIMEOUT = 60_000


@pytest.fixture
def colour_folder(tmp_path) -> Path:
    """12 small colour photos (sky, grass, a red thing), as in tests/training."""
    rng = np.random.default_rng(0)
    for i in range(12):
        img = np.zeros((72, 96, 3), np.uint8)
        img[: 30 + i] = (90 + 5 * i, 150, 230)
        img[30 + i:] = (60, 150 + 3 * i, 50)
        img[40:60, 20 + i:40 + i] = (200, 30, 30)
        write_png(tmp_path / "photos" / f"p{i:02d}.png", np.clip(img + rng.normal(0, 4, img.shape), 0, 255)
                  .astype(np.uint8))
    return tmp_path / "photos"


@pytest.fixture
def dialogs(qtbot):
    """Dialogs made by a test; any trainer still running at the end is ended before the widgets close
    (closing would otherwise ask, in a modal box, whether to stop it)."""
    made = []
    yield made
    for dlg in made:
        if dlg.run is not None and dlg.run.proc.state() != dlg.run.proc.ProcessState.NotRunning:
            dlg.run.kill()
            dlg.run.proc.waitForFinished(10_000)


def _dialog(qtbot, dialogs, cards=None):
    from restorer.core.models import list_models
    from restorer.gui.train_dialog import TrainDialog

    dlg = TrainDialog(list_models() if cards is None else cards)
    qtbot.addWidget(dlg)
    dialogs.append(dlg)
    return dlg


def _fill(dlg, data, name, base="tiny-test", minutes=45, val=""):
    dlg.data_edit.setText(str(data))
    dlg.val_edit.setText(str(val))
    dlg.base_combo.setCurrentIndex(dlg.base_combo.findData(base))
    dlg.name_edit.setText(name)
    dlg.minutes_spin.setValue(minutes)


def test_the_log_is_read_by_column_name(tmp_path):
    """The dialog's status comes from log.csv by header name (training.protocol), baseline row included."""
    from restorer.gui.train_process import TrainStatus
    from training import protocol

    log = tmp_path / protocol.LOG_CSV
    fields = list(reversed(protocol.LOG_FIELDS))  # any column order: nothing is read by position
    rows = [protocol.log_row(0, 0, protocol.STAGE_BASELINE, val_psnr="21.500"),
            protocol.log_row(20, 1.5, protocol.STAGE_REC, img_per_s="7.25"),
            protocol.log_row(20, 1.6, protocol.STAGE_VAL, val_psnr="23.125", val_colourfulness_ratio="0.610")]
    import csv

    with open(log, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    tail, st = protocol.LogTail(log), TrainStatus()
    for row in tail.read():
        st.update(row)
    assert (st.gray_psnr, st.stage, st.step, st.img_per_s) == (21.5, "rec", 20, 7.25)
    assert (st.val_psnr, st.val_colourfulness, st.val_minutes, st.minutes) == (23.125, 0.61, 1.6, 1.6)
    with open(log, "a", newline="") as f:
        f.write("40,")  # half a row: it waits for the rest
    assert tail.read() == []


def test_command_line_from_the_fields(qtbot, dialogs, only_tiny_models, colour_folder, tmp_path, monkeypatch):
    from restorer.cli import build_parser
    from restorer.gui.train_process import runs_dir, trainer_command
    from training.cli import config_from_args

    dlg = _dialog(qtbot, dialogs)
    assert dlg.base_combo.count() == 2 and dlg.base_combo.currentIndex() == 0  # none is the default: the first
    val = tmp_path / "val"
    val.mkdir()
    _fill(dlg, colour_folder, "  Lyon 1920s ", base="tiny-test-2", minutes=45, val=val)
    assert dlg.form_problem() is None and dlg.start_button.isEnabled()
    req = dlg.request()
    # Run folders live beside the user model folder, never in the current directory.
    assert runs_dir() == only_tiny_models.parent / "runs"
    assert req.run_dir == runs_dir() / "Lyon 1920s" and req.out_dir == only_tiny_models
    assert req.cli_args() == ["train", "--data", str(colour_folder), "--val", str(val), "--base", "tiny-test-2",
                              "--name", "Lyon 1920s", "--minutes", "45", "--run-dir", str(req.run_dir),
                              "--out-dir", str(only_tiny_models), "--val-every", "7.5"]
    # ... and the trainer's own parser reads it back into the intended config.
    cfg = config_from_args(build_parser().parse_args(req.cli_args()))
    assert (cfg.data, cfg.val, cfg.base, cfg.arch, cfg.name, cfg.minutes) == (
        str(colour_folder), str(val), "tiny-test-2", None, "Lyon 1920s", 45.0)
    assert (cfg.run_dir, cfg.out_dir, cfg.val_every_min) == (str(req.run_dir), str(only_tiny_models), 7.5)

    program, args = trainer_command(req.cli_args())
    assert program == sys.executable and args[:3] == ["-m", "restorer", "train"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # PyInstaller: the app takes the subcommand itself
    assert trainer_command(req.cli_args()) == (sys.executable, req.cli_args())

    # A folder left by an earlier run of the same name is not reused (its grids would pass for this run's).
    req.run_dir.mkdir(parents=True)
    assert dlg.request().run_dir == runs_dir() / "Lyon 1920s-2"
    # Without a validation folder the option is left out (the trainer holds out 5 %).
    dlg.val_edit.setText("")
    assert "--val" not in dlg.request().cli_args()


def test_model_name_is_validated(qtbot, dialogs, only_tiny_models, colour_folder):
    from restorer.gui.train_dialog import name_problem

    taken = ["tiny-test", "effnet"]
    assert name_problem("Łódź 1920 v2.1", taken) is None
    for bad in ("", "   ", "a/b", "..\\x", "name.", "default", "CON", "Tiny-Test", "x" * 65, "-x"):
        assert name_problem(bad, taken), bad

    dlg = _dialog(qtbot, dialogs)
    _fill(dlg, colour_folder, "my model")
    assert dlg.start_button.isEnabled() and dlg.name_note.isHidden()
    dlg.name_edit.setText("tiny-test-2")  # an installed model
    assert not dlg.start_button.isEnabled() and "already exists" in dlg.name_note.text()
    dlg.name_edit.setText("a:b")
    assert not dlg.start_button.isEnabled() and not dlg.name_note.isHidden()
    # Browsing to a folder suggests a free name from it.
    assert dlg.suggest_name("tiny-test") == "tiny-test 2"
    # The photo count arrives from a worker.
    qtbot.waitUntil(lambda: "12 photos found" in dlg.data_info.text(), timeout=5000)


def test_short_run_through_qprocess_adds_the_model_to_the_window(window, qtbot, dialogs, colour_folder,
                                                                 monkeypatch):
    from restorer.core.models import list_models
    from training.protocol import PHASE_EXPORT, read_phase

    window.show_train_dialog()
    dlg = window.train_dialog
    dialogs.append(dlg)
    assert dlg.isVisible() and dlg.base_combo.count() == 2
    _fill(dlg, colour_folder, "trained-here")
    req = replace(dlg.request(), minutes=0.05, extra=TINY)
    statuses = []
    with qtbot.waitSignal(dlg.runFinished, timeout=RUN_TIMEOUT) as done:
        run = dlg.start(req)
        run.statusChanged.connect(lambda st: statuses.append((st.minutes, st.stage)))
        assert dlg.is_running() and dlg.form_box.isHidden() and dlg.stop_button.isVisible()
        assert "tiny-test" in dlg.summary_label.text() and "trained-here" in dlg.summary_label.text()
    outcome = done.args[0]
    assert outcome.ok and not outcome.stopped, (outcome.message, outcome.details)
    assert "trained-here" in [c.name for c in list_models()]
    before = window.current_model()
    assert json.loads(outcome.card.read_text())["training"]["base"] == "tiny-test"
    assert statuses and dlg.bar.value() == 1000
    st = run.status
    assert st.step > 0 and st.val_psnr is not None and st.gray_psnr is not None
    assert "PSNR" in dlg.val_label.text() and "colourfulness" in dlg.val_label.text()
    qtbot.waitUntil(lambda: dlg.grid.image is not None, timeout=5000)  # the final validation grid
    assert not (req.run_dir / "STOP").exists() and (req.run_dir / "last.pt").exists()
    assert read_phase(req.run_dir) == (PHASE_EXPORT, st.step)  # the trainer said what it did last
    # The model is exported: the run's checkpoints are offered for deletion (here: answered yes).
    assert dlg.clean_button.isVisible() and "Delete this run's checkpoints" in dlg.clean_button.text()
    monkeypatch.setattr(type(dlg), "ask_delete_checkpoints", lambda self, size: True)
    with qtbot.waitSignal(dlg.checkpointsDeleted, timeout=10_000):
        dlg.clean_button.click()
    assert not (req.run_dir / "last.pt").exists() and (req.run_dir / "log.csv").exists()
    # The window's picker has it without a restart; "Use this model" switches to it.
    qtbot.waitUntil(lambda: window.model_combo.findData("trained-here") >= 0, timeout=10_000)
    assert window.current_model() == before  # a finished run does not switch models by itself
    assert dlg.use_button.isVisible()
    with qtbot.waitSignal(window.modelsReady, timeout=10_000):
        dlg.use_button.click()
    assert window.current_model() == "trained-here" and not dlg.isVisible()
    # The name is now taken for the next run.
    window.show_train_dialog()
    assert dlg.start_button.text().replace("&", "") == "Train another" and dlg.start_button.isEnabled()
    dlg.start_button.click()
    assert dlg.form_box.isVisible() and "already exists" in dlg.name_note.text()
    assert not dlg.start_button.isEnabled()


def test_quitting_while_training_stops_saves_and_then_closes(window, qtbot, dialogs, colour_folder, monkeypatch):
    from restorer.gui.train_dialog import TrainDialog

    window.show_train_dialog()
    dlg = window.train_dialog
    dialogs.append(dlg)
    _fill(dlg, colour_folder, "stopped-early")
    run = dlg.start(replace(dlg.request(), minutes=10, extra=TINY))
    qtbot.waitUntil(lambda: run.status.step > 0, timeout=RUN_TIMEOUT)  # the first log row: it is training

    answers = []
    monkeypatch.setattr(TrainDialog, "ask_while_running", lambda self, quitting: answers.pop(0))
    answers.append("cancel")  # closing the dialog, then thinking better of it
    dlg.reject()
    assert dlg.isVisible() and dlg.is_running()
    answers.append("cancel")  # quitting the app, then thinking better of it
    window.close()
    assert window.isVisible() and dlg.is_running() and not run.stop_path.exists()

    answers.append("stop")  # quitting for real: stop, save, then the window closes by itself
    with qtbot.waitSignal(dlg.runFinished, timeout=RUN_TIMEOUT) as done:
        window.close()
        assert window.isVisible() and run.stopping
        assert dlg.stage_label.text().startswith("Stopping… saving the model trained so far")
    outcome = done.args[0]
    assert outcome.ok and outcome.stopped and not run.killed, (outcome.message, outcome.details)
    card = json.loads(outcome.card.read_text())
    assert card["training"]["steps"] > 0 and card["training"]["minutes"] < 10 and "psnr" in card["metrics"]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert not answers


def test_bad_folder_shows_the_trainers_error(qtbot, dialogs, only_tiny_models, tmp_path):
    gray = np.repeat(np.linspace(0, 255, 64 * 80, dtype=np.float32).reshape(64, 80, 1), 3, 2).astype(np.uint8)
    for i in range(3):
        write_png(tmp_path / "gray" / f"g{i}.png", gray)
    dlg = _dialog(qtbot, dialogs)
    dlg.show()
    _fill(dlg, tmp_path / "gray", "never-made")
    with qtbot.waitSignal(dlg.runFinished, timeout=RUN_TIMEOUT) as done:
        dlg.start(replace(dlg.request(), minutes=0.05, extra=TINY))
    outcome = done.args[0]
    assert not outcome.ok and not outcome.stopped
    assert "no usable colour photos" in outcome.message
    assert dlg.result_label.isVisible() and "no usable colour photos" in dlg.result_label.text()
    assert "no usable colour photos" in dlg.error_box.toPlainText()  # (shown when there is more than that line)
    assert not (only_tiny_models / "never-made.json").exists()
    assert dlg.form_box.isHidden() and dlg.start_button.text().replace("&", "") == "Train another"
    dlg.start_button.click()  # back to the form to fix the folder
    assert dlg.form_box.isVisible() and dlg.progress_box.isHidden() and dlg.start_button.isEnabled()


def test_missing_folder_is_refused_before_starting(qtbot, dialogs, only_tiny_models, tmp_path):
    dlg = _dialog(qtbot, dialogs)
    _fill(dlg, tmp_path / "nowhere", "x")
    assert dlg.start() is None and dlg.run is None
    assert "does not exist" in dlg.form_note.text() and not dlg.form_note.isHidden()
    qtbot.waitUntil(lambda: dlg.data_info.text() == "No such folder.", timeout=5000)


def test_a_trainer_that_ignores_the_stop_is_ended(qtbot, dialogs, only_tiny_models, colour_folder, monkeypatch):
    import restorer.gui.train_process as td

    # A stand-in that never looks at the stop file (as a trainer still reading a huge folder would not).
    monkeypatch.setattr(td, "trainer_command", lambda args: (sys.executable, ["-c", "import time; time.sleep(60)"]))
    monkeypatch.setattr(td, "STOP_GRACE_MS", 300)
    dlg = _dialog(qtbot, dialogs)
    _fill(dlg, colour_folder, "never-made")
    run = dlg.start()
    qtbot.waitUntil(lambda: run.proc.state() == run.proc.ProcessState.Running, timeout=10_000)
    with qtbot.waitSignal(dlg.runFinished, timeout=10_000) as done:
        dlg.stop_button.click()
        assert run.stop_path.exists() and "Stopping" in dlg.stage_label.text()
    outcome = done.args[0]
    assert run.killed and not outcome.ok and "did not stop" in outcome.message


def test_a_trainer_that_cannot_start_says_so(qtbot, dialogs, only_tiny_models, colour_folder, tmp_path,
                                            monkeypatch):
    import restorer.gui.train_process as td

    monkeypatch.setattr(td, "trainer_command", lambda args: (str(tmp_path / "no-such-program"), list(args)))
    dlg = _dialog(qtbot, dialogs)
    _fill(dlg, colour_folder, "never-made")
    with qtbot.waitSignal(dlg.runFinished, timeout=10_000) as done:
        dlg.start()
    outcome = done.args[0]
    assert not outcome.ok and "could not be started" in outcome.message and "no-such-program" in outcome.details
    assert not dlg.is_running() and dlg.start_button.text().replace("&", "") == "Train another"
