"""The Region tool: "this whole coat was navy".

* :class:`RegionSpec` – one painted region as the GUI keeps it: a mask (uint8 0..255 at the photo's aspect, long
  side at most :data:`MASK_LONG_SIDE`) and an sRGB colour. It lives in the photo's
  :class:`~restorer.gui.hints_tool.HintList` next to the point hints, so one undo stack, "Clear hints" and the
  debounced preview cover both. ``jobs.to_core_hints`` turns it into a ``restorer.core.hints.RegionHint``
  (feathered) on the worker.
* :class:`Stroke` – the brush stroke being painted, at mask resolution.
* :class:`RegionOverlay` – every region drawn over the photo in its colour (semi-transparent, outlined) plus the
  stroke in progress; :class:`BrushCursor` – the brush outline under the mouse.
* :class:`RegionController` – paints on a PhotoView: left drag paints a new region and then asks its colour
  (starting at the result's colour under the stroke), Ctrl+drag adds to the selected region, right drag or
  Shift+drag erases from every region. Every edit goes through the undo stack.
* :class:`RegionDock` – the photo's regions: select (highlighted on the photo), recolour, remove.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPen,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QColorDialog,
    QGraphicsItem,
    QSpinBox,
    QStyleOptionGraphicsItem,
    QWidget,
)

from restorer.gui.hints_tool import AddHint, EditHint, HintList, HintSpec, RemoveHint, attach_document
from restorer.gui.qimage import to_display_uint8
from restorer.gui.viewer import PhotoView

#: Masks are kept at most this large: finer than any preview, small enough to copy and hash at once.
MASK_LONG_SIDE = 1024
#: After erasing, a region with no pixel at least half covered is gone: what is left is antialiasing fringe.
EMPTY_LEVEL = 128
DEFAULT_BRUSH_PX = 40
BRUSH_RANGE = (4, 400)

# The fill is light so the result under it stays readable (that is what the user is judging); the outline, dark
# outside and light inside like the hint circles, shows the region's extent on any photo.
FILL_ALPHA = 0.22
SELECTED_BOOST = 1.5
OUTLINE = ((0, 0, 0, 0.75), (1, 1, 1, 0.9))  # (r, g, b, alpha) of the outer and the inner ring
STROKE_OPACITY = 0.55
PAINT_TINT = QColor(255, 40, 160)  # a new stroke has no colour yet: a vivid one no old photo contains
ERASE_TINT = QColor(20, 20, 20)


def mask_shape(width: float, height: float) -> tuple[int, int]:
    """(rows, columns) of a mask for a ``width`` x ``height`` photo: same aspect, long side capped."""
    s = min(1.0, MASK_LONG_SIDE / max(width, height, 1.0))
    return max(1, int(round(height * s))), max(1, int(round(width * s)))


@dataclass(frozen=True, eq=False)
class RegionSpec:
    """A painted region; ``digest`` identifies the mask's content (preview caching), ``coverage`` is its mean."""

    mask: np.ndarray
    rgb: tuple[float, float, float]
    digest: str = field(init=False)
    coverage: float = field(init=False)

    def __post_init__(self) -> None:
        m = np.array(self.mask, dtype=np.uint8, copy=True)
        if m.ndim != 2:
            raise ValueError(f"a region mask is H x W, got shape {m.shape}")
        m.setflags(write=False)  # shared by undo commands and worker threads: nobody may change it in place
        h = hashlib.blake2b(m.tobytes(), digest_size=12)
        h.update(repr(m.shape).encode())
        object.__setattr__(self, "mask", m)
        object.__setattr__(self, "digest", h.hexdigest())
        object.__setattr__(self, "coverage", float(m.mean()) / 255.0)

    def qcolor(self) -> QColor:
        return QColor.fromRgbF(*self.rgb)


def mean_colour_under(pixels: np.ndarray, mask: np.ndarray) -> QColor | None:
    """Mask-weighted mean colour of ``pixels`` (any size: sampled on the mask's grid); None for an empty mask."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    h, w = pixels.shape[:2]
    mh, mw = mask.shape
    ys = np.minimum(((np.arange(y0, y1) + 0.5) * h / mh).astype(int), h - 1)
    xs = np.minimum(((np.arange(x0, x1) + 0.5) * w / mw).astype(int), w - 1)
    rgb = to_display_uint8(pixels[ys][:, xs]).astype(np.float32)
    wgt = mask[y0:y1, x0:x1].astype(np.float32)
    mean = (rgb * wgt[..., None]).sum(axis=(0, 1)) / wgt.sum()
    return QColor(*(int(round(v)) for v in mean))


def region_colour_dialog(initial: QColor, parent: QWidget | None) -> QColor | None:
    """QColorDialog starting at ``initial``; None when the user cancels."""
    c = QColorDialog.getColor(initial, parent, "Region colour")
    return c if c.isValid() else None


# -- painting --------------------------------------------------------------------------------------------------

class Stroke:
    """One brush stroke at mask resolution, painted opaque in ``tint`` (the overlay shows it half transparent).

    ``mode`` is "paint" (a new region), "add" (to region ``target``) or "erase" (from every region).
    """

    def __init__(self, shape: tuple[int, int], mode: str, width: float, tint: QColor, target: int = -1) -> None:
        rows, cols = shape
        self.mode, self.target, self.width = mode, target, max(float(width), 1.0)
        self.image = QImage(cols, rows, QImage.Format.Format_ARGB32_Premultiplied)
        self.image.fill(Qt.GlobalColor.transparent)
        self._tint = QColor(tint)
        self._last: QPointF | None = None

    def to(self, pt: QPointF) -> None:
        """Continue the stroke to ``pt`` (mask pixel coordinates); the first point is a round dab."""
        p = QPainter(self.image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._last is None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self._tint)
            p.drawEllipse(pt, self.width / 2, self.width / 2)
        else:
            p.setPen(QPen(self._tint, self.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                          Qt.PenJoinStyle.RoundJoin))
            p.drawLine(self._last, pt)
        p.end()
        self._last = QPointF(pt)

    def mask(self) -> np.ndarray:
        """The stroke's coverage, uint8 rows x columns (antialiased edge)."""
        a = self.image.convertToFormat(QImage.Format.Format_Alpha8)
        bpl, h, w = a.bytesPerLine(), a.height(), a.width()
        return np.frombuffer(a.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :w].copy()


def _edge(inside: np.ndarray) -> np.ndarray:
    """Pixels of ``inside`` with a 4-neighbour outside it: a one-pixel outline, no OpenCV on the GUI thread."""
    p = np.pad(inside, 1, mode="edge")
    interior = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return inside & ~interior


def overlay_image(spec: RegionSpec, boost: float = 1.0) -> QImage:
    """The region as a premultiplied ARGB image: a translucent fill of its colour inside a two-tone outline."""
    m = spec.mask
    h, w = m.shape
    # One pixel per mask level through a 256-entry table: this runs on the GUI thread after every region edit.
    alpha = np.minimum(np.arange(256, dtype=np.float32) * (FILL_ALPHA * boost), 255.0)
    lut = np.empty((256, 4), np.uint8)
    for i, c in enumerate((2, 1, 0)):  # 0xAARRGGBB words are bytes B, G, R, A on little-endian machines
        lut[:, i] = np.round(alpha * spec.rgb[c])
    lut[:, 3] = np.round(alpha)
    bgra = np.take(lut, m, axis=0)  # several times faster than lut[m] for this shape
    inside = m >= 128
    outer = _edge(inside)
    inner = _edge(inside & ~outer)
    for ring, (r, g, b, a) in zip((outer, inner), OUTLINE):
        bgra[ring] = [round(b * a * 255), round(g * a * 255), round(r * a * 255), round(a * 255)]
    return QImage(bgra.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied).copy()


class RegionOverlay(QGraphicsItem):
    """All regions (one pre-composed layer at mask resolution) and the stroke in progress, over the photo."""

    def __init__(self) -> None:
        super().__init__()
        self._rect = QRectF()
        self._layer: QImage | None = None
        self._stroke: Stroke | None = None
        self.setZValue(5)  # over the photo, under the hint circles
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF(rect)

    def set_layer(self, layer: QImage | None) -> None:
        self._layer = layer
        self.update()

    def set_stroke(self, stroke: Stroke | None) -> None:
        self._stroke = stroke
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._rect.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        stroke = self._stroke
        layer = self._layer
        if layer is not None and stroke is not None and stroke.mode == "erase":
            # Show what the erase will leave, not just where the brush went.
            layer = QImage(layer)
            p = QPainter(layer)
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOut)
            p.drawImage(QRectF(0, 0, layer.width(), layer.height()), stroke.image)
            p.end()
        if layer is not None:
            painter.drawImage(self._rect, layer)
        if stroke is not None:
            painter.setOpacity(STROKE_OPACITY * (0.4 if stroke.mode == "erase" else 1.0))
            painter.drawImage(self._rect, stroke.image)


class BrushCursor(QGraphicsItem):
    """The brush outline under the mouse, at the brush's screen size whatever the zoom."""

    def __init__(self) -> None:
        super().__init__()
        self.diameter = float(DEFAULT_BRUSH_PX)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(20)

    def set_diameter(self, d: float) -> None:
        self.prepareGeometryChange()
        self.diameter = float(d)

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = self.diameter / 2 + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self.diameter / 2
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 3))  # dark + light ring: visible on any photo
        painter.drawEllipse(QPointF(0, 0), r, r)
        painter.setPen(QPen(QColor(255, 255, 255), 1.2))
        painter.drawEllipse(QPointF(0, 0), r, r)


# -- controller ------------------------------------------------------------------------------------------------

class RegionController(QObject):
    """Wires the Region tool to a PhotoView (through an event filter on its viewport).

    Swap :attr:`picker` in tests (the dialog is modal); :attr:`sample` gives the initial colour of a new region.
    """

    #: The current photo's regions or the selected region changed.
    regionsChanged = Signal()

    def __init__(self, view: PhotoView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.picker: Callable[[QColor, QWidget | None], QColor | None] = region_colour_dialog
        #: ``sample(mask) -> QColor | None``: the current result's mean colour under a mask.
        self.sample: Callable[[np.ndarray], QColor | None] = lambda mask: None
        self.brush_px = DEFAULT_BRUSH_PX
        #: Magic wand: a paint or add stroke selects what it touches, grown up to the photo's edges.
        self.wand = False
        self._hints: HintList | None = None
        self._stack: QUndoStack | None = None
        self._active = False
        self._stroke: Stroke | None = None
        self._stroke_button = Qt.MouseButton.NoButton
        self._selected = -1
        self._images: dict[RegionSpec, QImage] = {}
        self.overlay = RegionOverlay()
        self.cursor = BrushCursor()
        for it in (self.overlay, self.cursor):
            it.hide()
            view.scene().addItem(it)
        self._viewport = view.viewport()
        self._viewport.installEventFilter(self)

    # -- document --------------------------------------------------------------------------------------------
    def set_document(self, hints: HintList | None, stack: QUndoStack | None) -> None:
        attach_document(self, hints, stack)
        self._end_stroke()
        self._selected = -1
        self._images.clear()
        self._on_changed()

    def set_active(self, on: bool) -> None:
        """Paint with the mouse and show the regions (on), or leave the mouse to panning and hide them (off)."""
        self._active = bool(on)
        self.view.set_hint_mode(self._active)
        if not self._active:
            self._end_stroke()
            self.cursor.hide()
        self.overlay.setVisible(self._active)

    def is_active(self) -> bool:
        return self._active

    def set_brush_px(self, px: int) -> None:
        self.brush_px = int(min(max(px, BRUSH_RANGE[0]), BRUSH_RANGE[1]))
        self.cursor.set_diameter(self.brush_px)

    def regions(self) -> list[tuple[int, RegionSpec]]:
        """(index in the photo's hint list, spec) of every region, in order."""
        if self._hints is None:
            return []
        return [(i, s) for i, s in enumerate(self._hints.specs()) if isinstance(s, RegionSpec)]

    def selected(self) -> int:
        """Hint-list index of the selected region, or -1."""
        return self._selected

    def set_selected(self, index: int) -> None:
        index = index if self._is_region(index) else -1
        if index != self._selected:
            self._selected = index
            self._refresh_layer()
            self.regionsChanged.emit()

    def stroke(self) -> Stroke | None:
        return self._stroke

    # -- edits (all through the undo stack) ------------------------------------------------------------------
    def _is_region(self, index: int) -> bool:
        return self._hints is not None and 0 <= index < len(self._hints) and isinstance(self._hints[index], RegionSpec)

    def add(self, mask: np.ndarray, colour: QColor | None = None) -> bool:
        """A new region over ``mask``; asks for the colour (starting at the result's colour under it)."""
        if self._hints is None or self._stack is None or not mask.any():
            return False
        if colour is None:
            colour = self.picker(self.sample(mask) or QColor(128, 128, 128), self.view.window())
            if colour is None:
                return False  # the user cancelled the colour dialog: no region
        self._stack.push(AddHint(self._hints, RegionSpec(mask, HintSpec.rgb_of(colour)), "Paint region"))
        self.set_selected(len(self._hints) - 1)
        return True

    def extend(self, index: int, mask: np.ndarray) -> None:
        """Paint ``mask`` into region ``index`` (its colour stays)."""
        if self._stack is None or not self._is_region(index):
            return
        old = self._hints[index]
        merged = np.maximum(old.mask, _fit(mask, old.mask.shape))
        if not np.array_equal(merged, old.mask):
            self._stack.push(EditHint(self._hints, index, replace(old, mask=merged), "Paint region"))

    def erase(self, mask: np.ndarray) -> int:
        """Take ``mask`` out of every region (a region left empty is removed); returns how many changed."""
        if self._hints is None or self._stack is None:
            return 0
        edits = []
        for i, spec in self.regions():
            # The eraser's antialiased rim counts double: going over a painted edge with the same brush then
            # leaves no faint halo behind.
            m = np.minimum(_fit(mask, spec.mask.shape).astype(np.uint16) * 2, 255)
            left = (spec.mask.astype(np.uint16) * (255 - m) // 255).astype(np.uint8)
            if not np.array_equal(left, spec.mask):
                edits.append((i, spec, left))
        if not edits:
            return 0
        self._stack.beginMacro("Erase region")
        for i, spec, left in reversed(edits):  # from the end: removing one must not shift the others' indices
            if int(left.max()) < EMPTY_LEVEL:
                self._stack.push(RemoveHint(self._hints, i, "Erase region"))
            else:
                self._stack.push(EditHint(self._hints, i, replace(spec, mask=left), "Erase region"))
        self._stack.endMacro()
        return len(edits)

    def recolour(self, index: int, colour: QColor | None = None) -> None:
        if self._stack is None or not self._is_region(index):
            return
        spec = self._hints[index]
        if colour is None:
            colour = self.picker(spec.qcolor(), self.view.window())
            if colour is None:
                return
        self._stack.push(EditHint(self._hints, index, replace(spec, rgb=HintSpec.rgb_of(colour)), "Recolour region"))

    def remove(self, index: int) -> None:
        if self._stack is None or not self._is_region(index):
            return
        self._stack.push(RemoveHint(self._hints, index, "Remove region"))

    # -- strokes ---------------------------------------------------------------------------------------------
    def _photo_size(self) -> tuple[float, float]:
        r = self.view.item.boundingRect()
        return max(r.width(), 1.0), max(r.height(), 1.0)

    def _to_mask(self, scene_pt: QPointF) -> QPointF:
        w, h = self._photo_size()
        rows, cols = mask_shape(w, h)
        return QPointF(scene_pt.x() * cols / w, scene_pt.y() * rows / h)

    def begin_stroke(self, scene_pt: QPointF, mode: str = "paint") -> None:
        """Start painting at a photo point; ``mode`` "paint" | "add" | "erase" (see :class:`Stroke`)."""
        w, h = self._photo_size()
        shape = mask_shape(w, h)
        target = -1
        if mode == "add":
            target = self._selected if self._is_region(self._selected) else \
                (self.regions()[-1][0] if self.regions() else -1)
            if target < 0:
                mode = "paint"  # nothing to add to yet: a new region
        # The brush is sized on screen: the same circle covers fewer photo pixels the further one zooms in.
        width = self.brush_px / max(self.view.zoom_level(), 1e-6) * shape[1] / w
        tint = ERASE_TINT if mode == "erase" else self._hints[target].qcolor() if mode == "add" else PAINT_TINT
        self._stroke = Stroke(shape, mode, width, tint, target)
        self._stroke.to(self._to_mask(scene_pt))
        self.overlay.set_stroke(self._stroke)

    def continue_stroke(self, scene_pt: QPointF) -> None:
        if self._stroke is not None:
            self._stroke.to(self._to_mask(scene_pt))
            self.overlay.update()

    def finish_stroke(self) -> None:
        """Apply the stroke: a new region (asks the colour), an addition or an erase. The stroke stays on screen
        while the colour dialog is open, so the user sees what they are colouring."""
        stroke = self._stroke
        if stroke is None:
            return
        try:
            mask = stroke.mask()
            if self.wand and stroke.mode != "erase":
                mask = self.wand_mask(mask)
            if stroke.mode == "erase":
                self.erase(mask)
            elif stroke.mode == "add":
                self.extend(stroke.target, mask)
            else:
                self.add(mask)
        finally:
            if self._stroke is stroke:
                self._end_stroke()

    def wand_mask(self, stroke: np.ndarray) -> np.ndarray:
        """The magic wand's selection from a stroke mask, on the photo shown (its lightness; the original's)."""
        from restorer.core.wand import magic_wand

        pm = self.view.item.before_pixmap()
        if pm is None or pm.isNull():
            return stroke
        import cv2

        from restorer.gui.qimage import qimage_to_numpy

        gray = cv2.cvtColor(qimage_to_numpy(pm.toImage()), cv2.COLOR_RGB2GRAY)
        rows, cols = stroke.shape
        gray = cv2.resize(gray, (cols, rows), interpolation=cv2.INTER_AREA)
        return magic_wand(gray, stroke)

    def _end_stroke(self) -> None:
        self._stroke = None
        self._stroke_button = Qt.MouseButton.NoButton
        self.overlay.set_stroke(None)

    # -- mouse -----------------------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        # Identity first: the filter also sees the viewport's events while the window is being torn down, when
        # touching the view (already deleted on the C++ side) would raise.
        if obj is not self._viewport or not self._active or self._hints is None or not shiboken6.isValid(self.view):
            return False
        t = event.type()
        if t in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            return self._press(event)
        if t == QEvent.Type.MouseMove:
            return self._move(event)
        if t == QEvent.Type.MouseButtonRelease:
            return self._release(event)
        if t == QEvent.Type.Leave:
            self.cursor.hide()
        return False

    def _press(self, event: QMouseEvent) -> bool:
        pos = event.position()
        if self._stroke is not None:
            return True  # a second button during a stroke, or a click while the colour dialog is pending
        if not self.view.has_photo():
            return False
        if event.button() == Qt.MouseButton.LeftButton and self.view.on_divider(pos):
            return False  # the split divider keeps working with the tool on
        scene_pt = self.view.mapToScene(pos.toPoint())
        if not self.view.item.boundingRect().contains(scene_pt):
            return False
        button, mods = event.button(), event.modifiers()
        if button == Qt.MouseButton.RightButton or (button == Qt.MouseButton.LeftButton
                                                    and mods & Qt.KeyboardModifier.ShiftModifier):
            mode = "erase"
        elif button == Qt.MouseButton.LeftButton:
            mode = "add" if mods & Qt.KeyboardModifier.ControlModifier else "paint"
        else:
            return False
        self.begin_stroke(scene_pt, mode)
        self._stroke_button = button
        event.accept()
        return True

    def _move(self, event: QMouseEvent) -> bool:
        scene_pt = self.view.mapToScene(event.position().toPoint())
        self.cursor.setPos(scene_pt)
        self.cursor.setVisible(self.view.has_photo())
        if self._stroke is not None and self._stroke_button != Qt.MouseButton.NoButton:
            self.continue_stroke(scene_pt)
            event.accept()
            return True
        return False

    def _release(self, event: QMouseEvent) -> bool:
        if self._stroke is None:
            return False
        if event.button() == self._stroke_button:
            self._stroke_button = Qt.MouseButton.NoButton
            # The colour dialog is modal: open it after Qt has finished delivering this release.
            QTimer.singleShot(0, self.finish_stroke)
        event.accept()
        return True

    # -- drawing ---------------------------------------------------------------------------------------------
    def _on_changed(self) -> None:
        if not self._is_region(self._selected):
            self._selected = -1
        self._refresh_layer()
        self.regionsChanged.emit()

    def _refresh_layer(self) -> None:
        self.overlay.set_rect(self.view.item.boundingRect())
        regions = self.regions()
        live = {spec for _, spec in regions}
        self._images = {s: im for s, im in self._images.items() if s in live}
        if not regions:
            self.overlay.set_layer(None)
            return
        rows, cols = mask_shape(*self._photo_size())
        layer = QImage(cols, rows, QImage.Format.Format_ARGB32_Premultiplied)
        layer.fill(Qt.GlobalColor.transparent)
        p = QPainter(layer)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for i, spec in regions:
            if i == self._selected:
                img = overlay_image(spec, SELECTED_BOOST)  # one region at a time: not worth caching
            else:
                img = self._images.get(spec)
                if img is None:
                    img = self._images[spec] = overlay_image(spec)
            p.drawImage(QRectF(0, 0, cols, rows), img)
        p.end()
        self.overlay.set_layer(layer)


def _fit(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` on a grid of ``shape`` (nearest neighbour; the masks of one photo normally share one grid)."""
    if mask.shape == tuple(shape):
        return mask
    rows, cols = shape
    ys = np.minimum(((np.arange(rows) + 0.5) * mask.shape[0] / rows).astype(int), mask.shape[0] - 1)
    xs = np.minimum(((np.arange(cols) + 0.5) * mask.shape[1] / cols).astype(int), mask.shape[1] - 1)
    return mask[ys][:, xs]


# -- widgets ---------------------------------------------------------------------------------------------------

def brush_size_box(parent: QWidget | None = None) -> QSpinBox:
    """The brush diameter in screen pixels (the same circle at every zoom)."""
    box = QSpinBox(parent)
    box.setRange(*BRUSH_RANGE)
    box.setSingleStep(4)
    box.setSuffix(QCoreApplication.translate("RegionTool", " px"))
    box.setValue(DEFAULT_BRUSH_PX)
    box.setAccessibleName(QCoreApplication.translate("RegionTool", "Region brush size"))
    box.setToolTip(QCoreApplication.translate("RegionTool", "Region brush diameter on screen (zoom in to paint "
                                                            "finer)"))
    return box
