"""Variations: the model's own colouring of the photo and K alternatives, as thumbnails to pick a base from.

* :class:`VariationSpec` – the chosen alternative, kept in the photo's HintList beside its hints and regions, so
  the preview, the full resolution, Save and Save all use it (``jobs.to_core_hints`` makes it a
  ``restorer.core.variations.Variation``) and one undo stack covers it; no spec = the model's own colouring.
* :class:`SetVariation` – the undoable pick.
* :class:`VariationsDialog` – K + 1 thumbnails made on a worker (progress, cancel; the window never waits).
* :class:`VariationsAction` – the "Variations…" menu/toolbar action; disabled, with the reason as its tooltip,
  when no variations network is installed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap, QUndoCommand
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.workers import JobControl, Worker, pool

if TYPE_CHECKING:  # pragma: no cover
    from restorer.gui.hints_tool import HintList
    from restorer.gui.main_window import MainWindow

THUMB_SIDE = 320  # the thumbnails' long side in pixels
SHORTCUT = "V"


def tr(text: str) -> str:
    return QCoreApplication.translate("Variations", text)


@dataclass(frozen=True)
class VariationSpec:
    variation: int  # 1..K (the model's own colouring has no spec)


def chosen(specs: list[Any]) -> int:
    """The variation a photo's specs ask for (0 = the model's own colouring)."""
    picks = [s.variation for s in specs if isinstance(s, VariationSpec)]
    return picks[-1] if picks else 0


def label(index: int) -> str:
    return tr("Model's own") if index == 0 else tr("Variation %1").replace("%1", str(index))


class SetVariation(QUndoCommand):
    """Make variation ``index`` (0 = the model's own) the photo's base colouring; undo restores the one before."""

    def __init__(self, hints: HintList, index: int) -> None:
        super().__init__(tr("Use the model's own colouring") if index == 0 else
                         tr("Use variation %1").replace("%1", str(index)))
        self.hints, self.new = hints, index
        at = [i for i, s in enumerate(hints.specs()) if isinstance(s, VariationSpec)]
        self.at = at[-1] if at else len(hints)  # where the spec is (or will be)
        self.old = hints[self.at] if at else None

    def redo(self) -> None:
        self._put(self.old, VariationSpec(self.new) if self.new else None)

    def undo(self) -> None:
        self._put(VariationSpec(self.new) if self.new else None, self.old)

    def _put(self, before: VariationSpec | None, after: VariationSpec | None) -> None:
        if before is None and after is not None:
            self.hints.insert(self.at, after)
        elif before is not None and after is None:
            self.hints.pop(self.at)
        elif after is not None:
            self.hints.set(self.at, after)


def make_previews(ctl: JobControl, cache: Any, model_name: str, pixels: Any, hint_specs: list[Any],
                  strength: float) -> list[Any]:
    """QImages of the model's own colouring and each alternative (the photo's other hints applied on top)."""
    from restorer.core.variations import variations
    from restorer.gui.jobs import to_core_hints
    from restorer.gui.qimage import numpy_to_qimage

    ctl.check()
    model, _ = cache.get(model_name)
    ctl.check()
    images = variations(pixels, model, to_core_hints(hint_specs), strength=strength, long_side=THUMB_SIDE,
                        progress=ctl.progress, cancel=ctl.is_cancelled)
    return [numpy_to_qimage(im) for im in images]


class VariationsDialog(QDialog):
    """The thumbnails; clicking one emits ``picked(index)`` and closes. Closing it cancels the work."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None, current: int, k: int) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Variations"))
        self.setAccessibleName(tr("Variations of the colouring"))
        lay = QVBoxLayout(self)
        self.note = QLabel(tr("Computing alternative colourings…"))
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until the first image is done
        self.progress.setAccessibleName(tr("Progress"))
        lay.addWidget(self.progress)
        grid = QGridLayout()
        self.buttons: list[QToolButton] = []
        for i in range(k + 1):
            b = QToolButton()
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            b.setIconSize(QSize(THUMB_SIDE // 2, THUMB_SIDE // 2))
            b.setText(label(i) + (tr(" (in use)") if i == current else ""))
            b.setAccessibleName(label(i))
            b.setToolTip(tr("Use this colouring as the base; your hints still apply on top"))
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, i=i: self._pick(i))
            grid.addWidget(b, i // 3, i % 3)
            self.buttons.append(b)
        lay.addLayout(grid)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        box.rejected.connect(self.reject)
        lay.addWidget(box)

    def set_progress(self, fraction: float) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(round(fraction * 100))

    def set_images(self, images: list[Any]) -> None:
        for b, im in zip(self.buttons, images):
            b.setIcon(QIcon(QPixmap.fromImage(im)))
            b.setEnabled(True)
        self.progress.hide()
        self.note.setText(tr("Pick the colouring to start from. Hints and regions correct it; Undo goes back."))

    def failed(self, message: str) -> None:
        self.progress.hide()
        self.note.setText(tr("Variations failed: %1").replace("%1", message))

    def _pick(self, index: int) -> None:
        self.picked.emit(index)
        self.accept()


class VariationsAction(QObject):
    """The window's Variations action and the dialog it opens for the current photo."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        from restorer.core.variations import find_card, unavailable_reason

        self.win = win
        self.dialog: VariationsDialog | None = None
        self.worker: Worker | None = None
        self.action = QAction(tr("&Variations…"), win)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setIconText(tr("Variations"))
        self.action.triggered.connect(lambda _=False: self.open())
        win.addAction(self.action)
        card = find_card()
        self.k = int(card.arch_kwargs.get("k", 4)) if card is not None else 0
        reason = unavailable_reason()
        self.action.setEnabled(reason is None)
        tip = reason or tr("Show %1 alternative colourings of the whole photo and pick one as the base (%2)") \
            .replace("%1", str(self.k)).replace("%2", SHORTCUT)
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    def open(self) -> VariationsDialog | None:
        win = self.win
        doc, model = win.doc, win.current_model()
        if doc is None or doc.image is None or not model:
            win.notifier.status(tr("Open a photo first: variations are of the photo on screen."))
            return None
        self.dialog = dlg = VariationsDialog(win, chosen(doc.hints.specs()), self.k)
        specs = [s for s in doc.hints.specs() if not isinstance(s, VariationSpec)]
        w = Worker(make_previews, win.cache, model, doc.image.pixels, specs, win.strength(), name="variations")
        w.progress.connect(dlg.set_progress)
        w.returned.connect(dlg.set_images)
        win.notifier.watch(w, tr("Variations failed"), inline=dlg.failed)
        win.track_work(w, tr("Variations…"))
        dlg.rejected.connect(w.cancel)
        dlg.picked.connect(lambda index, doc=doc: self.pick(doc, index))
        self.worker = w
        w.start(pool("compute"))
        dlg.open()
        return dlg

    def pick(self, doc: Any, index: int) -> None:
        """Make ``index`` the base colouring of ``doc`` (an undoable edit; nothing happens if it already is)."""
        if chosen(doc.hints.specs()) != index:
            doc.undo.push(SetVariation(doc.hints, index))
