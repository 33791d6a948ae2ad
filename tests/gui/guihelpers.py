"""Helpers shared by the GUI tests (a plain module: conftest files are not meant to be imported)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_png(path: Path, pixels: np.ndarray) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def open_and_wait(qtbot, win, path: Path, timeout: int = 30_000):
    """Open one photo and wait until it is on screen and its first preview has arrived."""
    with qtbot.waitSignal(win.previewReady, timeout=timeout) as blocker:
        win.open_paths([path])
    return blocker.args[0]


def recording_picker(colour):
    """A stand-in for the modal colour dialog: answers ``colour`` and records the colour it was offered."""
    from PySide6.QtGui import QColor

    asked = []

    def picker(initial, parent):
        asked.append(QColor(initial))
        return colour

    return picker, asked


def place_hint_and_region(qtbot, win, path: Path, hint_colour, region_colour):
    """Open ``path``, place one hint at (30, 30) and paint one region (rows 50-90, columns 70-120)."""
    from PySide6.QtCore import QPointF

    open_and_wait(qtbot, win, path)
    win.hint_controller.picker = lambda initial, parent: hint_colour
    win.act_hints.setChecked(True)
    win.hint_controller.add_at(QPointF(30, 30))
    mask = np.zeros((96, 128), np.uint8)
    mask[50:90, 70:120] = 255
    win.region_controller.add(mask, region_colour)


def save_shown(qtbot, win, out_dir: Path, monkeypatch) -> np.ndarray:
    """Save the current photo into ``out_dir`` (the save dialog accepts its suggestion); the written pixels."""
    from PySide6.QtWidgets import QFileDialog

    from restorer.core.io import read_image
    from restorer.gui import settings as S

    out_dir.mkdir(parents=True, exist_ok=True)
    S.put(S.LAST_SAVE_DIR, str(out_dir))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda p, c, suggested, f: (suggested, f)))
    with qtbot.waitSignal(win.saved, timeout=60_000) as blocker:
        win.save_current()
    return read_image(blocker.args[0]).pixels
