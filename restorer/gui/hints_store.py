"""Keeps each open photo's hints in its sidecar (``<photo>.restorer.json``, restorer.core.sidecar).

* when a photo is added, its sidecar (if any) fills the photo's :class:`~restorer.gui.hints_tool.HintList`
  (not an undoable edit: the hints were already there), its chosen variation included; a malformed one is
  reported once and never overwritten;
* every change of the list writes the sidecar at once (atomically), so quitting never loses a hint;
* a write that fails is remembered, and :meth:`HintsStore.confirm_quit` asks before the window closes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from restorer.core import sidecar
from restorer.core.color import lab_to_rgb, rgb_to_lab
from restorer.gui.hints_tool import HintList, HintSpec
from restorer.gui.region_tool import RegionSpec
from restorer.gui.variations_dialog import VariationSpec, chosen


def _ab_of(rgb) -> tuple[float, float]:
    lab = rgb_to_lab(np.asarray(rgb, np.float32).reshape(1, 1, 3))[0, 0]
    return float(lab[1]), float(lab[2])


def _rgb_of(ab) -> tuple[float, float, float]:
    # A sidecar written by hand has no display colour: show its chroma at a middle lightness.
    rgb = lab_to_rgb(np.array([[[60.0, ab[0], ab[1]]]], np.float32))[0, 0]
    return tuple(round(float(c), 4) for c in rgb)


def to_sidecar(specs) -> tuple[list, list, dict]:
    """GUI specs -> (core hints, regions (mask, ab, strength), extra keys with the display colours); the chosen
    variation is not among them (``variations_dialog.chosen``)."""
    from restorer.core.hints import Hint

    hints, regions, shown = [], [], {"hints": [], "regions": []}
    for s in specs:
        if isinstance(s, RegionSpec):
            regions.append((s.mask, _ab_of(s.rgb), 1.0))
            shown["regions"].append(list(s.rgb))
        elif isinstance(s, VariationSpec):
            continue  # the sidecar keeps it in a key of its own
        else:
            hints.append(Hint.from_rgb(s.x, s.y, tuple(s.rgb), radius=s.radius))
            shown["hints"].append(list(s.rgb))
    return hints, regions, {"display_rgb": shown}


def from_sidecar(path: Path) -> tuple[list, int]:
    """(GUI specs of the hints and regions, chosen variation) of the sidecar at ``path`` (raises SidecarError)."""
    got = sidecar.read_contents(path)
    hints, regions = got.hints, got.regions
    shown = got.data.get("display_rgb")
    shown = shown if isinstance(shown, dict) else {}
    h_rgb, r_rgb = shown.get("hints") or [], shown.get("regions") or []

    def colour(stored: list, i: int, ab) -> tuple[float, float, float]:
        c = stored[i] if i < len(stored) else None
        ok = isinstance(c, list) and len(c) == 3 and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in c)
        # The display colour counts only while its chroma is still the stored one (someone may edit the ab).
        if ok and np.allclose(_ab_of(c), ab, atol=0.05):
            return tuple(float(v) for v in c)
        return _rgb_of(ab)

    specs: list = [HintSpec(h.x, h.y, colour(h_rgb, i, h.ab), h.radius) for i, h in enumerate(hints)]
    specs += [RegionSpec(mask, colour(r_rgb, i, ab)) for i, (mask, ab, _) in enumerate(regions)]
    return specs, got.variation


@dataclass
class _Entry:
    hints: HintList
    blocked: str | None = None  # the sidecar could not be read: it is not overwritten
    error: str | None = None  # the last write failed: why
    kept_variation: int = 0  # the sidecar's variation this app cannot apply: written back unchanged


class HintsStore(QObject):
    """The sidecars of the photos in the strip."""

    def __init__(self, warn: Callable[[Path, str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._warn = warn  # (photo, one-line reason): the window shows it in its banner
        self._entries: dict[Path, _Entry] = {}

    def attach(self, photo: Path, hints: HintList) -> None:
        """Fill ``hints`` from the photo's sidecar, then keep the sidecar in step with it."""
        entry = _Entry(hints)
        self._entries[photo] = entry
        path = sidecar.sidecar_path(photo)
        if path.is_file():
            try:
                specs, variation = from_sidecar(path)
            except sidecar.SidecarError as e:
                entry.blocked = str(e)
                self._warn(photo, f"hints not loaded: {e} (the file is left as it is)")
            else:
                problem = sidecar.variation_problem(variation)
                if problem:
                    entry.kept_variation = variation
                    self._warn(photo, f"variation {variation} not used: {problem}")
                elif variation:
                    specs.append(VariationSpec(variation))
                for i, spec in enumerate(specs):
                    hints.insert(i, spec)
        hints.changed.connect(lambda p=photo: self.save(p))

    def detach(self, photo: Path) -> None:
        self._entries.pop(photo, None)

    def save(self, photo: Path) -> bool:
        """Write the sidecar of ``photo`` now; False (and remembered) if it could not be written."""
        entry = self._entries.get(photo)
        if entry is None:
            return True
        specs = entry.hints.specs()
        path = sidecar.sidecar_path(photo)
        if entry.blocked is not None:
            entry.error = f"{path.name} could not be read, so it is not overwritten"
            return False
        if not specs and not path.exists():
            entry.error = None
            return True  # nothing to keep, and no file to bring up to date
        try:
            hints, regions, extra = to_sidecar(specs)
            sidecar.write(photo, hints, regions, extra, variation=chosen(specs) or entry.kept_variation)
        except OSError as e:
            entry.error = f"{path.name}: {e.strerror or e}"
            self._warn(photo, f"hints not saved: {entry.error}")
            return False
        entry.error = None
        return True

    def unsaved(self) -> list[tuple[Path, str]]:
        """(photo, reason) of every photo whose latest hints are not in its sidecar."""
        return [(p, e.error) for p, e in self._entries.items() if e.error and len(e.hints)]

    def confirm_quit(self, parent: QWidget | None) -> bool:
        """True when nothing is lost or the user chose to quit anyway."""
        for photo in list(self._entries):
            if self._entries[photo].error:
                self.save(photo)  # the folder may be writable again
        lost = self.unsaved()
        if not lost:
            return True
        lines = "\n".join(f"• {p.name}: {why}" for p, why in lost[:8])
        more = f"\n… and {len(lost) - 8} more" if len(lost) > 8 else ""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Hints not saved"),
                          self.tr("The hints of {count} photo(s) could not be saved beside the photo:\n"
                                  "{lines}{more}\n\nQuit anyway and lose them?").format(
                              count=len(lost), lines=lines, more=more),
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, parent)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Discard
