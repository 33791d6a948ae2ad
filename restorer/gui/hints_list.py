"""The "Hints" dock: every hint and painted region of the photo with its colour swatch.

Selecting a row highlights that hint or region on the photo; Colour… and Remove (or Delete) act on it; the
Magic wand box switches the Region tool's strokes to edge-bounded selection (restorer.core.wand).
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.hints_tool import HintController
from restorer.gui.region_tool import RegionController, RegionSpec


class HintsDock(QDockWidget):
    """The photo's hints and regions, in the order they apply (later ones win where they overlap)."""

    def __init__(self, regions: RegionController, parent: QWidget | None = None,
                 hints: HintController | None = None) -> None:
        super().__init__(QCoreApplication.translate("HintsDock", "Hints"), parent)
        self.setObjectName("regionsDock")  # the name the window's saved layout knows
        self.controller, self.hints = regions, hints
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        help_ = QLabel(self.tr("Hint tool (H): click to set a colour. Region tool (R): paint over the photo, then "
                               "pick its colour; right-drag or Shift+drag erases, Ctrl+drag adds to the selected "
                               "region."))
        help_.setWordWrap(True)
        lay.addWidget(help_)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Hints and regions"))
        self.list.setAccessibleDescription(self.tr("The colour hints and painted regions of this photo, each with "
                                                   "its colour; Delete removes the selected one, Enter or a "
                                                   "double-click changes its colour"))
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemDoubleClicked.connect(lambda item: self._act("recolour"))
        lay.addWidget(self.list, 1)
        self.wand_box = QCheckBox(self.tr("Magic wand"))
        self.wand_box.setToolTip(self.tr("Region tool: a stroke selects the whole area it touches, up to the "
                                         "photo's edges (drag once over a coat)"))
        self.wand_box.toggled.connect(lambda on: setattr(regions, "wand", on))
        lay.addWidget(self.wand_box)
        row = QHBoxLayout()
        self.recolour_button = QPushButton(self.tr("Colour…"))
        self.recolour_button.setToolTip(self.tr("Change the selected hint's or region's colour"))
        self.recolour_button.clicked.connect(lambda: self._act("recolour"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected hint or region (Delete)"))
        self.remove_button.clicked.connect(lambda: self._act("remove"))
        row.addWidget(self.recolour_button)
        row.addWidget(self.remove_button)
        lay.addLayout(row)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(lambda: self._act("remove"))
        self.setWidget(body)
        regions.regionsChanged.connect(self.refresh)
        if hints is not None:
            hints.hintsChanged.connect(self.refresh)
        self.refresh()

    def _specs(self) -> list:
        doc = self.controller._hints  # noqa: SLF001 - the same list both controllers edit
        return doc.specs() if doc is not None else []

    def _selected_index(self) -> int:
        sel = self.controller.selected()
        if sel >= 0:
            return sel
        return self.hints.highlighted if self.hints is not None else -1

    def refresh(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        current, n_hint, n_region = -1, 0, 0
        selected = self._selected_index()
        for index, spec in enumerate(self._specs()):
            if isinstance(spec, RegionSpec):
                n_region += 1
                text = f"Region {n_region}  ·  {spec.coverage:.1%} of the photo"
            elif getattr(spec, "variation", None) is not None:
                continue  # the chosen variation is a base, not a hint: the Variations action changes it
            elif self.hints is not None:
                n_hint += 1
                text = f"Hint {n_hint}  ·  at {spec.x:.0%}, {spec.y:.0%}"
            else:
                continue
            item = QListWidgetItem(swatch(spec.qcolor()), text)
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(self.tr("Double-click to change the colour"))
            self.list.addItem(item)
            if index == selected:
                current = self.list.count() - 1
        self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        self.recolour_button.setEnabled(current >= 0)
        self.remove_button.setEnabled(current >= 0)

    def _on_row(self, row: int) -> None:
        item = self.list.item(row) if row >= 0 else None
        index = item.data(Qt.ItemDataRole.UserRole) if item is not None else -1
        specs = self._specs()
        is_region = 0 <= index < len(specs) and isinstance(specs[index], RegionSpec)
        if self.hints is not None:
            self.hints.set_highlighted(-1 if is_region else index)
        self.controller.set_selected(index if is_region else -1)
        self.recolour_button.setEnabled(index >= 0)
        self.remove_button.setEnabled(index >= 0)

    def _act(self, what: str) -> None:
        index = self._selected_index()
        specs = self._specs()
        if not 0 <= index < len(specs):
            return
        target = self.controller if isinstance(specs[index], RegionSpec) else self.hints
        if target is not None:
            getattr(target, what)(index)


def swatch(colour: QColor, size: int = 16) -> QIcon:
    """A square of ``colour`` with a thin dark outline (readable on light and dark list backgrounds)."""
    pm = QPixmap(size, size)
    pm.fill(colour)
    p = QPainter(pm)
    p.setPen(QColor(0, 0, 0, 160))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QIcon(pm)
