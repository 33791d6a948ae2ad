"""Persistent settings (QSettings, organisation "Restorer", application "Restorer") and their keys."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORG = "Restorer"
APP = "Restorer"

LAST_OPEN_DIR = "paths/last_open"
LAST_SAVE_DIR = "paths/last_save"
MODEL = "model/name"
COMPARE_MODELS = "compare/models"
GEOMETRY = "window/geometry"
STATE = "window/state"
THEME = "view/theme"  # "system" | "light" | "dark"
VIEW_MODE = "view/mode"  # "split" | "side" | "toggle"
HINT_RADIUS = "tools/hint_radius"  # radius of new point hints, fraction of the short side
BRUSH_PX = "tools/brush_px"  # Region tool brush diameter in screen pixels
STRENGTH = "colour/strength_percent"  # colour strength, percent of the model's prediction
QUEUE_OUT_DIR = "queue/out_dir"  # the batch queue's output folder
QUEUE_TEMPLATE = "queue/template"  # its naming template ("{name}_colour")
QUEUE_INPUTS = "queue/inputs"  # the files and folders last queued: a batch can be resumed in a later session


def settings() -> QSettings:
    """The app's settings store (native format; tests point XDG_CONFIG_HOME at a temporary folder)."""
    return QSettings(ORG, APP)


def get_str(key: str, default: str = "") -> str:
    v = settings().value(key, default)
    return str(v) if v is not None else default


def get_float(key: str, default: float) -> float:
    """A remembered number, or ``default`` when absent or unreadable (QSettings may hand back a string)."""
    try:
        return float(settings().value(key, default))
    except (TypeError, ValueError):
        return default


def get_dir(key: str) -> str:
    """A remembered folder if it still exists, else the user's home."""
    v = get_str(key)
    return v if v and Path(v).is_dir() else str(Path.home())


def get_list(key: str) -> list[str]:
    v = settings().value(key, [])
    if v is None:
        return []
    if isinstance(v, str):  # QSettings returns a bare string for a one-element list
        return [v] if v else []
    return [str(x) for x in v]


def put(key: str, value: object) -> None:
    settings().setValue(key, value)
