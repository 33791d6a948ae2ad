"""The Hint tool: "this coat was navy".

* :class:`HintSpec` – one hint as the GUI keeps it: normalised position (0..1), sRGB colour (floats 0..1),
  radius (fraction of the short side). Converted to ``restorer.core.hints.Hint`` only when a job runs.
* :class:`HintList` – the hints of one photo; emits ``changed``. Edited only through undo commands, so Ctrl+Z
  always undoes the last hint edit (add, move, recolour, remove).
* :class:`HintItem` – the draggable circle drawn on the photo (constant size on screen at any zoom).
* :class:`HintController` – connects a :class:`~restorer.gui.viewer.PhotoView` to the current photo's HintList
  and QUndoStack: click to place (initial colour = the current result's colour there), drag to move,
  double-click to change the colour, right-click to remove.
* :class:`HintSizeBox` – the size of newly placed hints (the circles on screen keep one size).

The same HintList also holds the photo's painted regions (:class:`restorer.gui.region_tool.RegionSpec`), so one
undo stack covers both tools; this module only draws and edits the point hints in it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from restorer.gui.viewer import PhotoView

DEFAULT_RADIUS = 0.01  # the core's default: 1 % of the short side
#: (label, radius as a fraction of the short side) offered for new hints. A larger hint pins its colour over a
#: larger patch and samples the prediction it corrects over that patch (less noise from one odd pixel).
#: (label, radius); the labels are marked for lupdate here and translated where shown.
HINT_SIZES = ((QT_TRANSLATE_NOOP("HintSizeBox", "Small"), 0.005), (QT_TRANSLATE_NOOP("HintSizeBox", "Medium"),
                                                                   DEFAULT_RADIUS),
              (QT_TRANSLATE_NOOP("HintSizeBox", "Large"), 0.02), (QT_TRANSLATE_NOOP("HintSizeBox", "Extra large"), 0.04))


@dataclass(frozen=True)
class HintSpec:
    x: float
    y: float
    rgb: tuple[float, float, float]
    radius: float = DEFAULT_RADIUS

    def qcolor(self) -> QColor:
        return QColor.fromRgbF(*self.rgb)

    @staticmethod
    def rgb_of(color: QColor) -> tuple[float, float, float]:
        return (round(color.redF(), 4), round(color.greenF(), 4), round(color.blueF(), 4))


class HintList(QObject):
    """The hints and regions of one photo, in order (later hints win where they overlap, as in the core)."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._specs: list[HintSpec] = []

    def specs(self) -> list[HintSpec]:
        return list(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, i: int) -> HintSpec:
        return self._specs[i]

    def insert(self, i: int, spec: HintSpec) -> None:
        self._specs.insert(i, spec)
        self.changed.emit()

    def pop(self, i: int) -> HintSpec:
        spec = self._specs.pop(i)
        self.changed.emit()
        return spec

    def set(self, i: int, spec: HintSpec) -> None:
        self._specs[i] = spec
        self.changed.emit()


# -- undo commands ---------------------------------------------------------------------------------------------

class AddHint(QUndoCommand):
    def __init__(self, hints: HintList, spec: HintSpec, text: str = "Add hint") -> None:
        super().__init__(text)
        self.hints, self.spec, self.index = hints, spec, len(hints)

    def redo(self) -> None:
        self.hints.insert(self.index, self.spec)

    def undo(self) -> None:
        self.hints.pop(self.index)


class RemoveHint(QUndoCommand):
    def __init__(self, hints: HintList, index: int, text: str = "Remove hint") -> None:
        super().__init__(text)
        self.hints, self.index, self.spec = hints, index, hints[index]

    def redo(self) -> None:
        self.hints.pop(self.index)

    def undo(self) -> None:
        self.hints.insert(self.index, self.spec)


class EditHint(QUndoCommand):
    """Move or recolour: replace hint ``index`` by ``new`` (undo puts ``old`` back)."""

    def __init__(self, hints: HintList, index: int, new: HintSpec, text: str) -> None:
        super().__init__(text)
        self.hints, self.index, self.old, self.new = hints, index, hints[index], new

    def redo(self) -> None:
        self.hints.set(self.index, self.new)

    def undo(self) -> None:
        self.hints.set(self.index, self.old)


# -- the circle on the photo -----------------------------------------------------------------------------------

class HintItem(QGraphicsItem):
    """A filled circle of the hint's colour with a two-tone ring, drawn at a fixed screen size."""

    RADIUS_PX = 8.0

    def __init__(self, controller: HintController, index: int, spec: HintSpec) -> None:
        super().__init__()
        self.controller, self.index, self.spec = controller, index, spec
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # same size at every zoom
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton)
        self.setToolTip(QCoreApplication.translate("HintItem", "Colour hint: drag to move, double-click to change "
                                                               "colour, right-click to remove"))
        self.setZValue(10)
        self._press_pos: QPointF | None = None

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = self.RADIUS_PX + 6  # room for the highlight ring
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self.RADIUS_PX
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QBrush(self.spec.qcolor()))
        painter.setPen(QPen(QColor(0, 0, 0), 3))  # dark outer ring + light inner ring: visible on any photo
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if self.index == self.controller.highlighted:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(255, 210, 0), 2.5))
            painter.drawEllipse(QPointF(0, 0), r + 4, r + 4)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            event.accept()
            self._later(lambda: self.controller.remove(self.index))
            return
        self._press_pos = QPointF(self.pos())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if self._press_pos is not None and self.pos() != self._press_pos:
            pos = QPointF(self.pos())
            self._later(lambda: self.controller.move(self.index, pos))
        self._press_pos = None

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        event.accept()
        self._later(lambda: self.controller.recolour(self.index))

    @staticmethod
    def _later(fn: Callable[[], None]) -> None:
        # An edit rebuilds every circle, this one included; do it after Qt has finished delivering this event.
        QTimer.singleShot(0, fn)


# -- controller ------------------------------------------------------------------------------------------------

def attach_document(tool, hints: HintList | None, stack: QUndoStack | None) -> None:
    """Point a tool (point hints, regions) at another photo's hint list and undo stack; only the current
    photo's list may drive the tool's ``_on_changed``."""
    if tool._hints is not None:
        tool._hints.changed.disconnect(tool._on_changed)
    tool._hints, tool._stack = hints, stack
    if hints is not None:
        hints.changed.connect(tool._on_changed)


ColourPicker = Callable[[QColor, QWidget | None], QColor | None]


def offer_suggestions(colours: list) -> list[QColor]:
    """Put ``colours`` (RGB floats) in the colour dialog's "Custom colors" row, first slot first, so a hint's
    suggestions are one click away; the dialog's own "Pick Screen Color" is the eyedropper (any open image)."""
    out = [QColor.fromRgbF(*c) for c in colours[:16]]
    for i, c in enumerate(out):
        QColorDialog.setCustomColor(i, c)
    return out


def dialog_colour_picker(initial: QColor, parent: QWidget | None) -> QColor | None:
    """QColorDialog starting at ``initial``; None when the user cancels."""
    c = QColorDialog.getColor(initial, parent, "Hint colour")
    return c if c.isValid() else None


class HintController(QObject):
    """Wires the Hint tool to a PhotoView. Swap :attr:`picker` in tests (the dialog is modal)."""

    #: The current photo's hints changed (add / move / recolour / remove / undo / redo).
    hintsChanged = Signal()

    def __init__(self, view: PhotoView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.picker: ColourPicker = dialog_colour_picker
        #: ``sample(fx, fy) -> QColor | None``: the current result's colour at a normalised point.
        self.sample: Callable[[float, float], QColor | None] = lambda fx, fy: None
        #: ``suggest(fx, fy) -> [rgb floats]``: colours offered when a hint is placed (model's colour first).
        self.suggest: Callable[[float, float], list] = lambda fx, fy: []
        #: Radius of newly placed hints (fraction of the short side); see :class:`HintSizeBox`.
        self.radius = DEFAULT_RADIUS
        self._hints: HintList | None = None
        self._stack: QUndoStack | None = None
        self._items: list[HintItem] = []
        self._active = False
        #: Index (in the HintList) of the hint the Hints list selected: drawn with a highlight ring.
        self.highlighted = -1
        view.photoClicked.connect(self._on_click)

    # -- document --------------------------------------------------------------------------------------------
    def set_document(self, hints: HintList | None, stack: QUndoStack | None) -> None:
        attach_document(self, hints, stack)
        self.highlighted = -1
        self._rebuild()

    def set_highlighted(self, index: int) -> None:
        """Highlight hint ``index`` (-1: none); shown even while the tool is off, so the list can point at it."""
        if index != self.highlighted:
            self.highlighted = index
            self._rebuild()

    def hints(self) -> HintList | None:
        return self._hints

    def set_active(self, on: bool) -> None:
        """Show the circles and take clicks (on) or hide them and leave the mouse to panning (off)."""
        self._active = bool(on)
        self.view.set_hint_mode(self._active)
        self._rebuild()

    def is_active(self) -> bool:
        return self._active

    # -- edits (all through the undo stack) ------------------------------------------------------------------
    def _size(self) -> tuple[float, float]:
        r = self.view.item.boundingRect()
        return max(r.width(), 1.0), max(r.height(), 1.0)

    def add_at(self, scene_pt: QPointF, colour: QColor | None = None) -> bool:
        """Place a hint at a photo point; asks for the colour (starting at the result's colour there)."""
        if self._hints is None or self._stack is None:
            return False
        w, h = self._size()
        fx, fy = min(max(scene_pt.x() / w, 0.0), 1.0), min(max(scene_pt.y() / h, 0.0), 1.0)
        if colour is None:
            initial = self.sample(fx, fy) or QColor(128, 128, 128)
            offer_suggestions(self.suggest(fx, fy))
            colour = self.picker(initial, self.view.window())
            if colour is None:
                return False  # the user cancelled the colour dialog: no hint
        self._stack.push(AddHint(self._hints, HintSpec(fx, fy, HintSpec.rgb_of(colour), self.radius)))
        return True

    def move(self, index: int, scene_pt: QPointF) -> None:
        if self._hints is None or self._stack is None or not 0 <= index < len(self._hints):
            return
        w, h = self._size()
        fx, fy = min(max(scene_pt.x() / w, 0.0), 1.0), min(max(scene_pt.y() / h, 0.0), 1.0)
        self._stack.push(EditHint(self._hints, index, replace(self._hints[index], x=fx, y=fy), "Move hint"))

    def recolour(self, index: int, colour: QColor | None = None) -> None:
        if self._hints is None or self._stack is None or not 0 <= index < len(self._hints):
            return
        if colour is None:
            colour = self.picker(self._hints[index].qcolor(), self.view.window())
            if colour is None:
                return
        new = replace(self._hints[index], rgb=HintSpec.rgb_of(colour))
        self._stack.push(EditHint(self._hints, index, new, "Recolour hint"))

    def remove(self, index: int) -> None:
        if self._hints is None or self._stack is None or not 0 <= index < len(self._hints):
            return
        self._stack.push(RemoveHint(self._hints, index))

    # -- internals -------------------------------------------------------------------------------------------
    def _on_click(self, scene_pt: QPointF) -> None:
        if self._active:
            self.add_at(scene_pt)

    def _on_changed(self) -> None:
        self._rebuild()
        self.hintsChanged.emit()

    def items(self) -> list[HintItem]:
        return list(self._items)

    def _rebuild(self) -> None:
        scene = self.view.scene()
        for it in self._items:
            scene.removeItem(it)
        self._items = []
        if self._hints is None:
            return
        w, h = self._size()
        for i, spec in enumerate(self._hints.specs()):
            if not isinstance(spec, HintSpec):
                continue  # a painted region: the Region tool draws those
            if not self._active and i != self.highlighted:
                continue  # tool off: only the hint the list points at is shown
            it = HintItem(self, i, spec)
            it.setEnabled(self._active)  # tool off: shown, not editable
            it.setPos(spec.x * w, spec.y * h)
            scene.addItem(it)
            self._items.append(it)


class HintSizeBox(QComboBox):
    """Small / Medium / Large / Extra large: the radius of the next hints placed."""

    radiusChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for label, radius in HINT_SIZES:
            self.addItem(self.tr(label), radius)
        self.setAccessibleName(self.tr("Hint size"))
        self.setCurrentIndex(self._closest(DEFAULT_RADIUS))
        self.setToolTip(self.tr("Size of new colour hints: a larger hint sets the colour of a larger patch"))
        self.currentIndexChanged.connect(lambda _i: self.radiusChanged.emit(self.radius()))

    def radius(self) -> float:
        return float(self.currentData())

    def set_radius(self, radius: float) -> None:
        """Select the offered size nearest ``radius`` (a remembered value may predate the current choices)."""
        self.setCurrentIndex(self._closest(radius))

    def _closest(self, radius: float) -> int:
        return min(range(len(HINT_SIZES)), key=lambda i: abs(HINT_SIZES[i][1] - radius))


def suggest_from_results(current, doc, fx: float, fy: float) -> list:
    """Suggestions (restorer.core.suggest) from the shown result and the photo's other cached results (other
    models or strengths the user has looked at): their colours at the point are the first alternatives."""
    from restorer.core.suggest import suggest

    if current is None:
        return []
    cached = list(doc.previews.values()) if doc is not None else []
    others = [r.pixels for r in reversed(cached) if r is not current and getattr(r, "pixels", None) is not None]
    return suggest(current.pixels, others[:6], fx, fy)
