"""The photo viewer: a zoomable, pannable QGraphicsView and the before/after presentations built on it.

* :class:`ZoomView` – wheel zoom around the cursor, drag to pan, fit / 100 % / in / out, ``viewChanged``.
* :class:`ViewSync` – keeps any number of ZoomViews on the same transform and scroll position (side by side,
  comparison grid).
* :class:`BeforeAfterItem` – paints the original and the colour result over the same image rectangle; in split
  mode the original is left of ``split_x`` and the colour right of it. The colour image may be smaller (the
  fast preview at the model's working size): it is drawn scaled to the photo's size.
* :class:`PhotoViewer` – the main viewer widget: split slider (draggable divider), side by side, toggle.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QSplitter,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
#: Zoom per wheel "notch" (120 units). Touchpads send many small deltas; the power law keeps them smooth.
WHEEL_STEP = 1.25
KEY_STEP = 1.25


class ZoomView(QGraphicsView):
    """A QGraphicsView with photo-viewer navigation.

    The wheel zooms around the point under the cursor, left-drag pans (hand), and the view remembers whether it
    is in "fit" mode so that resizing the window keeps the whole photo visible. ``viewChanged`` is emitted after
    every zoom or scroll (used to synchronise views).
    """

    viewChanged = Signal()
    zoomChanged = Signal(float)

    def __init__(self, scene: QGraphicsScene | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(scene or QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # We anchor zooms ourselves (around the cursor or the centre), so Qt must not move anything on its own.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor(40, 40, 40)))
        self.setMouseTracking(True)
        # QGraphicsView takes drops for its scene by default and then swallows files dropped on the photo;
        # nothing in our scenes accepts drops, so leave them to the main window (which opens the files).
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self._fit_mode = True
        self.horizontalScrollBar().valueChanged.connect(self._emit_changed)
        self.verticalScrollBar().valueChanged.connect(self._emit_changed)

    # -- zoom API --------------------------------------------------------------------------------------------
    def zoom_level(self) -> float:
        """Current scale: 1.0 means one image pixel per screen pixel."""
        return float(self.transform().m11())

    def is_fit(self) -> bool:
        return self._fit_mode

    def fit(self) -> None:
        """Show the whole photo (and keep doing so when the view is resized)."""
        rect = self.sceneRect()
        self._fit_mode = True
        if rect.isEmpty() or self.viewport().width() < 2:
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._after_zoom()

    def actual_size(self) -> None:
        """100 %: one photo pixel per screen pixel, keeping the centre of the view where it is."""
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.zoom_by(KEY_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1.0 / KEY_STEP)

    def set_zoom(self, level: float, anchor: QPointF | None = None) -> None:
        self.zoom_by(level / max(self.zoom_level(), 1e-9), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale by ``factor`` keeping the scene point under ``anchor`` (viewport coords; default: centre) fixed."""
        current = self.zoom_level()
        target = min(max(current * factor, MIN_ZOOM), MAX_ZOOM)
        factor = target / current
        if abs(factor - 1.0) < 1e-6:
            return
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self._fit_mode = False
        self.scale(factor, factor)
        self._scroll_by_scene(before, anchor)
        self._after_zoom()

    def _scroll_by_scene(self, scene_pt: QPointF, anchor: QPointF) -> None:
        # With scroll bars the view position IS the bar values: move them so scene_pt lands on the anchor again.
        now = self.mapFromScene(scene_pt)
        dx = now.x() - anchor.x()
        dy = now.y() - anchor.y()
        hb, vb = self.horizontalScrollBar(), self.verticalScrollBar()
        hb.setValue(int(round(hb.value() + dx)))
        vb.setValue(int(round(vb.value() + dy)))

    def _after_zoom(self) -> None:
        self.zoomChanged.emit(self.zoom_level())
        self._emit_changed()

    def _emit_changed(self, *_: object) -> None:
        self.viewport().update()
        self.viewChanged.emit()

    # -- events ----------------------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.zoom_by(WHEEL_STEP ** (delta / 120.0), event.position())
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()
        else:
            self._emit_changed()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and self.dragMode() == QGraphicsView.DragMode.ScrollHandDrag:
            self._fit_mode = False  # a hand-drag pan means the user chose a region: stop re-fitting on resize
        super().mouseMoveEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 360)


class ViewSync:
    """Keep several ZoomViews on one transform and one centre point.

    Whichever view the user zooms or pans is the leader; the others copy its transform and centre on the same
    scene point (all our views show the same photo rectangle, so the same scene point is the same place).
    """

    def __init__(self) -> None:
        self._views: list[ZoomView] = []
        self._busy = False

    def add(self, view: ZoomView) -> None:
        self._views.append(view)
        view.viewChanged.connect(lambda v=view: self._follow(v))

    def remove(self, view: ZoomView) -> None:
        if view in self._views:
            self._views.remove(view)

    def clear(self) -> None:
        self._views.clear()

    def views(self) -> list[ZoomView]:
        return list(self._views)

    def _follow(self, leader: ZoomView) -> None:
        if self._busy or leader not in self._views or not leader.isVisible():
            return
        self._busy = True
        try:
            centre = leader.mapToScene(leader.viewport().rect().center())
            for v in self._views:
                if v is leader:
                    continue
                v._fit_mode = leader.is_fit()
                v.setTransform(leader.transform())
                v.centerOn(centre)
                v.viewport().update()
        finally:
            self._busy = False


class BeforeAfterItem(QGraphicsItem):
    """Original and colour result painted over the same ``w x h`` rectangle (the photo's pixel size)."""

    def __init__(self) -> None:
        super().__init__()
        self._before: QPixmap | None = None
        self._after: QPixmap | None = None
        self._size = QSize(0, 0)
        self._mode = "after"  # "before" | "after" | "split"
        self._split_x = 0.0
        self.setZValue(-1)

    # -- content ---------------------------------------------------------------------------------------------
    def set_before(self, image: QImage | QPixmap | None) -> None:
        self.prepareGeometryChange()
        self._before = _pixmap(image)
        self._size = self._before.size() if self._before is not None else QSize(0, 0)
        self.update()

    def set_after(self, image: QImage | QPixmap | None) -> None:
        self._after = _pixmap(image)
        self.update()

    def has_after(self) -> bool:
        return self._after is not None

    def after_pixmap(self) -> QPixmap | None:
        return self._after

    def before_pixmap(self) -> QPixmap | None:
        return self._before

    def set_mode(self, mode: str) -> None:
        if mode not in ("before", "after", "split"):
            raise ValueError(mode)
        self._mode = mode
        self.update()

    def mode(self) -> str:
        return self._mode

    def set_split(self, x: float) -> None:
        if abs(x - self._split_x) > 1e-6:
            self._split_x = x
            self.update()

    # -- QGraphicsItem ---------------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self._size.width(), self._size.height())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        w, h = self._size.width(), self._size.height()
        if w == 0 or h == 0:
            return
        mode = self._mode
        if self._after is None:
            mode = "before"  # nothing to show yet but the original
        if mode == "before":
            self._draw(painter, self._before, 0.0, float(w))
        elif mode == "after":
            self._draw(painter, self._after, 0.0, float(w))
        else:
            x = min(max(self._split_x, 0.0), float(w))
            self._draw(painter, self._before, 0.0, x)
            self._draw(painter, self._after, x, float(w))

    def _draw(self, painter: QPainter, pm: QPixmap | None, x0: float, x1: float) -> None:
        if pm is None or x1 <= x0:
            return
        w, h = self._size.width(), self._size.height()
        sx = pm.width() / w  # the colour preview can be smaller than the photo: map photo x to its pixels
        sy = pm.height() / h
        target = QRectF(x0, 0.0, x1 - x0, float(h))
        source = QRectF(x0 * sx, 0.0, (x1 - x0) * sx, h * sy)
        painter.drawPixmap(target, pm, source)


def _pixmap(image: QImage | QPixmap | None) -> QPixmap | None:
    if image is None:
        return None
    if isinstance(image, QPixmap):
        return image
    return QPixmap.fromImage(image)


class PhotoView(ZoomView):
    """The primary view: shows a BeforeAfterItem, draws the split divider and captions, reports hint clicks.

    In split mode the divider sits at a fraction of the *viewport* width (so it stays on screen however far
    the user zooms); the item is told where that lands in photo coordinates after every zoom/scroll.
    """

    splitChanged = Signal(float)
    #: Left click on the photo with the hint tool active: photo pixel coordinates.
    photoClicked = Signal(QPointF)

    HANDLE_GRAB_PX = 10

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QGraphicsScene(), parent)
        self.scene().setParent(self)
        self.item = BeforeAfterItem()
        self.scene().addItem(self.item)
        self._split = 0.5
        self._dragging_divider = False
        self._show_divider = False
        self._hint_mode = False
        self._captions: tuple[str, str] = ("Original", "Colour")
        self._placeholder = "Drop photos or folders here, or press Ctrl+O"
        self.viewChanged.connect(self._update_split)

    # -- content ---------------------------------------------------------------------------------------------
    def set_photo(self, before: QImage | QPixmap | None) -> None:
        """Show a new photo (the original); clears the colour result and fits it to the view."""
        self.item.set_before(before)
        self.item.set_after(None)
        rect = self.item.boundingRect()
        self.scene().setSceneRect(rect)
        self.setSceneRect(rect)
        self.fit()
        self._update_split()
        self.viewport().update()

    def has_photo(self) -> bool:
        return not self.item.boundingRect().isEmpty()

    def set_after(self, after: QImage | QPixmap | None) -> None:
        self.item.set_after(after)
        self._update_split()
        self.viewport().update()

    def set_display(self, mode: str, show_divider: bool) -> None:
        """``mode`` is the item's mode ("before" | "after" | "split"); the divider is drawn in split mode only."""
        self.item.set_mode(mode)
        self._show_divider = show_divider
        self._update_split()
        self.viewport().update()

    def set_captions(self, before: str, after: str) -> None:
        self._captions = (before, after)
        self.viewport().update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.viewport().update()

    def split_fraction(self) -> float:
        return self._split

    def set_split_fraction(self, f: float) -> None:
        self._split = min(max(float(f), 0.0), 1.0)
        self._update_split()
        self.splitChanged.emit(self._split)

    def set_hint_mode(self, on: bool) -> None:
        """A tool (hints, regions) takes left clicks on the photo: crosshair cursor instead of the hand."""
        self._hint_mode = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    def divider_x(self) -> int:
        return int(round(self._split * self.viewport().width()))

    def _divider_active(self) -> bool:
        return self._show_divider and self.item.has_after() and self.item.mode() == "split"

    def _update_split(self) -> None:
        x = self.mapToScene(self.divider_x(), 0).x()
        self.item.set_split(x)

    # -- events ----------------------------------------------------------------------------------------------
    def _near_divider(self, pos: QPointF) -> bool:
        return self._divider_active() and abs(pos.x() - self.divider_x()) <= self.HANDLE_GRAB_PX

    def on_divider(self, pos: QPointF) -> bool:
        """Whether a press at viewport ``pos`` grabs the split divider (tools leave such presses to it)."""
        return self._near_divider(pos)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if event.button() == Qt.MouseButton.LeftButton and self._near_divider(pos):
            self._dragging_divider = True
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._hint_mode and self.has_photo():
            item = self.itemAt(pos.toPoint())
            if item is None or item is self.item:  # not on an existing hint: place a new one
                scene_pt = self.mapToScene(pos.toPoint())
                if self.item.boundingRect().contains(scene_pt):
                    self.photoClicked.emit(scene_pt)
                    event.accept()
                    return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._dragging_divider:
            w = max(self.viewport().width(), 1)
            self.set_split_fraction(pos.x() / w)
            self.viewport().update()
            event.accept()
            return
        if event.buttons() == Qt.MouseButton.NoButton:  # while dragging, QGraphicsView owns the cursor
            if self._near_divider(pos):
                self.viewport().setCursor(Qt.CursorShape.SplitHCursor)
            elif self._hint_mode:
                self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            else:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._dragging_divider:
            self._dragging_divider = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- painting --------------------------------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.save()
        painter.resetTransform()  # draw in viewport pixels, independent of zoom
        vw, vh = self.viewport().width(), self.viewport().height()
        font = QFont(painter.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0))
        painter.setFont(font)
        if not self.has_photo():
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(QRectF(0, 0, vw, vh), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            painter.restore()
            return
        mode = self.item.mode() if self.item.has_after() else "before"
        if self._divider_active():
            x = self.divider_x()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(0, 0, 0, 120), 3))
            painter.drawLine(x, 0, x, vh)
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.drawLine(x, 0, x, vh)
            self._draw_handle(painter, x, vh / 2)
            self._caption(painter, self._captions[0], QPointF(x - 8, 8), right_align=True)
            self._caption(painter, self._captions[1], QPointF(x + 8, 8))
        else:
            text = self._captions[1] if mode == "after" else self._captions[0]
            self._caption(painter, text, QPointF(8, 8))
        painter.restore()

    @staticmethod
    def _draw_handle(painter: QPainter, x: float, y: float) -> None:
        r = 13.0
        painter.setPen(QPen(QColor(0, 0, 0, 140), 1))
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawEllipse(QPointF(x, y), r, r)
        painter.setBrush(QColor(60, 60, 60))
        painter.setPen(Qt.PenStyle.NoPen)
        for sign in (-1, 1):  # two small arrows: "drag me sideways"
            path = QPainterPath()
            path.moveTo(x + sign * 9, y)
            path.lineTo(x + sign * 3, y - 5)
            path.lineTo(x + sign * 3, y + 5)
            path.closeSubpath()
            painter.drawPath(path)

    @staticmethod
    def _caption(painter: QPainter, text: str, at: QPointF, right_align: bool = False) -> None:
        if not text:
            return
        fm = painter.fontMetrics()
        w = fm.horizontalAdvance(text) + 12
        h = fm.height() + 6
        x = at.x() - w if right_align else at.x()
        box = QRectF(x, at.y(), w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class PhotoViewer(QWidget):
    """Before/after viewer with three modes.

    * ``"split"``: one view, original left of a draggable divider, colour right of it.
    * ``"side"``: two synchronised views, original left, colour right.
    * ``"toggle"``: one view showing the colour result; ``show_original(True)`` (key T) flips to the original.

    :attr:`primary` is the view that shows the colour (and carries the hint circles) in every mode.
    """

    MODES = ("split", "side", "toggle")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.primary = PhotoView()
        self.secondary = PhotoView()  # the "before" half of side-by-side
        self.secondary.set_placeholder("")
        self.secondary.set_display("before", False)
        self.sync = ViewSync()
        self.sync.add(self.primary)
        self.sync.add(self.secondary)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.secondary)
        self.splitter.addWidget(self.primary)
        self.splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.splitter)
        self._mode = "split"
        self._show_original = False
        self._before_caption = "Original"
        self._after_caption = "Colour"
        self._apply()

    def views(self) -> list[PhotoView]:
        return [self.primary, self.secondary]

    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown view mode {mode!r}")
        self._mode = mode
        self._apply()

    def show_original(self, on: bool) -> None:
        """Temporarily show the original in the primary view (the "toggle" key), in any mode."""
        self._show_original = bool(on)
        self._apply()

    def showing_original(self) -> bool:
        return self._show_original

    def set_photo(self, image: QImage | QPixmap | None) -> None:
        pm = _pixmap(image)  # convert once; both views share the (implicitly shared) pixmap
        for v in self.views():
            v.set_photo(pm)
        self.secondary.set_after(None)

    def set_before_caption(self, caption: str) -> None:
        """What the original is called on screen (e.g. "Original (colour: ground truth)")."""
        self._before_caption = caption
        self._apply()

    def set_result(self, image: QImage | QPixmap | None, caption: str = "Colour") -> None:
        self._after_caption = caption
        self.primary.set_after(image)
        self._apply()

    def result_pixmap(self) -> QPixmap | None:
        return self.primary.item.after_pixmap()

    def fit(self) -> None:
        for v in self._visible_views():
            v.fit()

    # The primary view is shown in every mode; in side-by-side the secondary follows it through ViewSync.
    def actual_size(self) -> None:
        self.primary.actual_size()

    def zoom_in(self) -> None:
        self.primary.zoom_in()

    def zoom_out(self) -> None:
        self.primary.zoom_out()

    def _visible_views(self) -> list[PhotoView]:
        return [v for v in self.views() if not v.isHidden()]

    def _apply(self) -> None:
        if self._mode == "side":
            self.secondary.show()
            self.primary.set_display("before" if self._show_original else "after", False)
            self.secondary.set_captions(self._before_caption, self._before_caption)
            self.primary.set_captions(self._before_caption, self._after_caption)
            # Same photo rectangle in both: start them on the same view.
            self.secondary.setTransform(self.primary.transform())
            self.secondary.centerOn(self.primary.mapToScene(self.primary.viewport().rect().center()))
        else:
            self.secondary.hide()
            if self._show_original:
                self.primary.set_display("before", False)
            elif self._mode == "split":
                self.primary.set_display("split", True)
            else:
                self.primary.set_display("after", False)
            self.primary.set_captions(self._before_caption, self._after_caption)
