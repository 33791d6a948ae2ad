"""Zoomable, pannable photo views: :class:`ZoomView` (wheel zoom around the cursor, drag to pan, fit / 100 % /
in / out, ``viewChanged``) and :class:`ViewSync`, which keeps several of them on one transform and centre (side by
side, the comparison grid). Nothing here knows what the views show.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

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
