"""training.protocol: the run-folder contract the trainer writes and the app reads, importable without torch."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from training import protocol


def test_protocol_imports_only_the_standard_library():
    code = ("import sys, training.protocol; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy', 'PySide6', 'restorer')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_log_rows_name_their_fields_and_refuse_unknown_ones():
    row = protocol.log_row(40, 1.234, protocol.STAGE_VAL, val_psnr="23.1")
    assert row == {"step": 40, "minutes": "1.23", "stage": "val", "val_psnr": "23.1"}
    assert set(row) <= set(protocol.LOG_FIELDS)
    with pytest.raises(KeyError, match="val_pnsr"):
        protocol.log_row(1, 0, protocol.STAGE_VAL, val_pnsr="1")


def test_progress_record_has_exactly_its_fields(tmp_path):
    values = dict.fromkeys(protocol.PROGRESS_FIELDS, 1)
    (tmp_path / protocol.PROGRESS_JSON).write_text(protocol.progress_record(values))
    assert protocol.read_progress(tmp_path) == values
    with pytest.raises(KeyError):
        protocol.progress_record({**values, "extra": 2})
    assert protocol.read_progress(tmp_path / "none") is None
    (tmp_path / protocol.PROGRESS_JSON).write_text("{half")
    assert protocol.read_progress(tmp_path) is None
    assert json.loads(protocol.progress_record(values))["steps"] == 1


def test_log_tail_reads_whole_rows_only(tmp_path):
    log = tmp_path / protocol.LOG_CSV
    log.write_text("step,stage\r\n1,rec\r\n2,r")
    tail = protocol.LogTail(log)
    assert tail.read() == [{"step": "1", "stage": "rec"}]
    with open(log, "a") as f:
        f.write("ec\r\n")
    assert tail.read() == [{"step": "2", "stage": "rec"}]
    assert protocol.read_log(log) == [{"step": "1", "stage": "rec"}, {"step": "2", "stage": "rec"}]
    assert protocol.grid_name(7) == "val_0000007.png" and protocol.number("") is None


def test_phase_record_round_trip_and_refusals(tmp_path):
    (tmp_path / protocol.PHASE_JSON).write_text(protocol.phase_record(protocol.PHASE_VALIDATE, 40))
    assert protocol.read_phase(tmp_path) == ("validate", 40)
    with pytest.raises(KeyError, match="warming up"):
        protocol.phase_record("warming up")
    for bad in ('{"phase": "dancing", "step": 1}', '{"phase": "read"}', "{half"):
        (tmp_path / protocol.PHASE_JSON).write_text(bad)
        assert protocol.read_phase(tmp_path) is None, bad
    assert protocol.read_phase(tmp_path / "none") is None


def test_a_phase_ends_when_the_log_moves_past_it():
    over = protocol.phase_over
    # Reading the photos at step 0: over once a training row of step 1 arrives (the baseline row is step 0).
    assert not over(protocol.PHASE_READ, 0, train_step=0, val_step=-1)
    assert over(protocol.PHASE_FIRST_STEP, 0, train_step=1, val_step=-1)
    # A validation at step 40 ends with its own row, or with training beyond it.
    assert not over(protocol.PHASE_VALIDATE, 40, train_step=40, val_step=20)
    assert over(protocol.PHASE_VALIDATE, 40, train_step=40, val_step=40)
    assert over(protocol.PHASE_VALIDATE, 40, train_step=60, val_step=20)
    assert not over(protocol.PHASE_EXPORT, 40, train_step=99, val_step=99)  # it lasts until the trainer exits


def test_the_trainer_writes_its_phases_and_checkpoints_by_the_protocols_names(tmp_path, monkeypatch):
    np = pytest.importorskip("numpy")
    pytest.importorskip("torch")
    from PIL import Image

    from training.loop import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    for i in range(8):
        img = np.zeros((64, 80, 3), np.uint8)
        img[: 28 + i] = (90 + 5 * i, 150, 230)
        img[28 + i:] = (60, 150 + 3 * i, 50)
        Image.fromarray(np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)).save(
            tmp_path / f"p{i}.png")
    cfg = TrainConfig(data=str(tmp_path), name="phases", minutes=0.02, arch="unet",
                      arch_kwargs={"base": 8, "depth": 2}, size=64, batch=4, perc_weight=0.0, adv_weight=0.0,
                      run_dir=str(tmp_path / "run"), out_dir=str(tmp_path / "models"), val_count=4, val_size=64,
                      working_size=64, threads=1, min_colourfulness=0.0)
    seen = []
    write = Trainer.phase
    monkeypatch.setattr(Trainer, "phase", lambda self, p: (seen.append(p), write(self, p)))
    t = Trainer(cfg)
    t.run()
    assert seen[:3] == [protocol.PHASE_BUILD, protocol.PHASE_READ, protocol.PHASE_FIRST_STEP]
    assert seen[-2:] == [protocol.PHASE_VALIDATE, protocol.PHASE_EXPORT]
    assert protocol.read_phase(t.run_dir) == (protocol.PHASE_EXPORT, t.step)
    assert (t.ckpt_path.name, t.best_path.name) == protocol.CHECKPOINTS
    assert t.ckpt_path.exists()
