"""What a training run's folder says, written by ``training.loop`` and read by the app: one torch-free definition.

The app runs ``restorer train`` as a child process and talks to it through the run folder alone (a crash or an
out-of-memory in the trainer must not take the open photos with it). Both sides import this module, so a
renamed column or file cannot drift apart; it imports only the standard library, so the GUI thread can
import it without pulling in torch.

* :data:`STOP_FILE`: created in the run folder to ask the trainer to finish its step, save and export.
* :data:`LOG_CSV`: one row every few steps and one per validation, columns :data:`LOG_FIELDS`, read by header
  name (:class:`LogTail`), never by position.
* :data:`PROGRESS_JSON`: what the run has done over all its sessions (:data:`PROGRESS_FIELDS`).
* :data:`PHASE_JSON`: what the trainer is busy with between log rows (:func:`phase_record`, :func:`read_phase`).
* ``val_<step>.png``: the validation grids (:func:`grid_name`, :data:`GRID_GLOB`).
* :data:`CHECKPOINTS`: the checkpoints (~180 MB each for the default model) that ``--resume`` continues from.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: A file rather than a signal: Windows has no SIGTERM that Python could catch to finish the work.
STOP_FILE = "STOP"

LOG_CSV = "log.csv"
LOG_FIELDS = ("step", "minutes", "stage", "loss", "l1", "perc", "adv", "d", "img_per_s",
              "val_psnr", "val_colourfulness_ratio", "val_js_a", "val_js_b")
#: The ``stage`` column: a training row of stage 1 or 2, a validation, or the gray baseline of the validation
#: photos (its PSNR in ``val_psnr``), written once per session before the first step.
STAGE_REC, STAGE_ADV, STAGE_VAL, STAGE_BASELINE = "rec", "adv", "val", "baseline"
#: Losses averaged over the last steps, in the order of their columns.
LOSS_FIELDS = ("loss", "l1", "perc", "adv", "d")

PROGRESS_JSON = "progress.json"
PROGRESS_FIELDS = ("steps", "images_seen", "minutes", "images_per_second", "budget_minutes", "saved",
                   "base_images_seen")

GRID_GLOB = "val_*.png"

#: ``Trainer.ckpt_path`` and ``Trainer.best_path`` (tests/training/test_protocol.py keeps them equal): the app
#: offers to delete them once the model is exported, and nothing else of a run folder.
CHECKPOINTS = ("last.pt", "best.pt")

#: The trainer's phases outside its steps, written when each starts: before the first log row a run may spend a
#: minute or more building the model and reading the photos, and a validation pauses the training clock.
PHASE_JSON = "phase.json"
PHASE_BUILD, PHASE_READ, PHASE_FIRST_STEP, PHASE_VALIDATE, PHASE_EXPORT = (
    "build", "read", "first_step", "validate", "export")
PHASES = (PHASE_BUILD, PHASE_READ, PHASE_FIRST_STEP, PHASE_VALIDATE, PHASE_EXPORT)


def phase_record(phase: str, step: int = 0) -> str:
    """The text of :data:`PHASE_JSON`: ``phase`` (one of :data:`PHASES`) begins at training step ``step``."""
    if phase not in PHASES:
        raise KeyError(f"not a training phase: {phase}")
    return json.dumps({"phase": phase, "step": int(step)})


def read_phase(run_dir: str | Path) -> tuple[str, int] | None:
    """(phase, step) of the run's :data:`PHASE_JSON`, or None when it has none (or it cannot be read)."""
    try:
        data = json.loads((Path(run_dir) / PHASE_JSON).read_text(encoding="utf-8"))
        phase, step = data["phase"], int(data["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (phase, step) if phase in PHASES else None


def phase_over(phase: str, step: int, train_step: int, val_step: int) -> bool:
    """Whether a phase that began at ``step`` has ended, given the newest training row's step (``train_step``)
    and validation row's (``val_step``) in :data:`LOG_CSV`: the file is only rewritten when the next phase
    begins, so the log says when training went on in between. The export lasts until the trainer exits."""
    if phase == PHASE_EXPORT:
        return False
    if phase == PHASE_VALIDATE:
        return val_step >= step or train_step > step
    return train_step > step


def grid_name(step: int) -> str:
    """The validation grid of ``step``; zero-padded so that the newest sorts last."""
    return f"val_{step:07d}.png"


def log_row(step: int, minutes: float, stage: str, **values: Any) -> dict[str, Any]:
    """One :data:`LOG_CSV` row as a dict for ``csv.DictWriter(fieldnames=LOG_FIELDS)``; a mistyped field raises."""
    unknown = set(values) - set(LOG_FIELDS)
    if unknown:
        raise KeyError(f"not log.csv fields: {', '.join(sorted(unknown))}")
    return {"step": step, "minutes": f"{minutes:.2f}", "stage": stage, **values}


def progress_record(values: Mapping[str, Any]) -> str:
    """The text of :data:`PROGRESS_JSON` (exactly :data:`PROGRESS_FIELDS`)."""
    if set(values) != set(PROGRESS_FIELDS):
        raise KeyError(f"progress.json takes exactly {', '.join(PROGRESS_FIELDS)}")
    return json.dumps({k: values[k] for k in PROGRESS_FIELDS}, indent=1)


def read_progress(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's :data:`PROGRESS_JSON`, or None when it has none yet (or it cannot be read)."""
    try:
        data = json.loads((Path(run_dir) / PROGRESS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def number(text: str | None) -> float | None:
    """A log cell as a number (None for an empty or unreadable cell)."""
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


class LogTail:
    """Rows appended to a :data:`LOG_CSV` since the last :meth:`read`, as dicts keyed by its header.

    The trainer appends and flushes whole rows; a half-written last line waits for the next read.
    """

    MAX_READ = 1 << 20  # one read never takes more than this, whatever happened to the file

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self.header: list[str] | None = None
        self._rest = b""

    def read(self) -> list[dict[str, str]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(self.MAX_READ)
        except OSError:
            return []
        self.offset += len(data)
        *lines, self._rest = (self._rest + data).split(b"\n")
        rows = []
        for cells in csv.reader(line.decode("utf-8", "replace") for line in lines if line.strip()):
            if self.header is None:
                self.header = cells
            else:
                rows.append(dict(zip(self.header, cells)))
        return rows


def read_log(path: str | Path) -> list[dict[str, str]]:
    """Every row of a :data:`LOG_CSV` (keyed by its header)."""
    tail = LogTail(path)
    rows: list[dict[str, str]] = []
    while True:
        before = tail.offset
        rows += tail.read()
        if tail.offset == before:
            return rows
