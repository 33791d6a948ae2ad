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
