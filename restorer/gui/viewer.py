"""The photo viewer: the before/after presentations, built on the zoomable views of :mod:`restorer.gui.zoom_view`.

* :class:`BeforeAfterItem` – paints the original and the colour result over the same image rectangle. The colour
  image may be smaller (the fast preview at the model's working size): it is drawn scaled to the photo's size.
* :class:`PhotoView` – shows one BeforeAfterItem, draws the split divider and the captions, reports hint clicks.
* :class:`PhotoViewer` – the main viewer widget and its four modes: split, side by side, colour, original.

The split divider is a fraction of the *photo's* width, so it moves with the photo when the user zooms or pans
and stays inside a narrow portrait photo after the previous landscape one (a fraction of the view's width could
land beside the photo, where neither side shows). Keyboard: ``[`` and ``]`` move it.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QSplitter, QStyleOptionGraphicsItem, QVBoxLayout, QWidget

from restorer.gui.zoom_view import ViewSync, ZoomView

__all__ = ["BeforeAfterItem", "PhotoView", "PhotoViewer", "ViewSync", "ZoomView"]


#: A bare ``translate(context, text)`` call is what pyside6-lupdate finds outside a QObject's methods.
translate = QCoreApplication.translate


class BeforeAfterItem(QGraphicsItem):
    """Original and colour result painted over the same ``w x h`` rectangle (the photo's pixel size); in split
    mode the original left of ``split_x`` (photo pixels), the colour right of it."""

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

    def split_x(self) -> float:
        return self._split_x

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

    In split mode the divider sits at :meth:`split_fraction` of the photo's width (see the module docstring).
    """

    splitChanged = Signal(float)
    #: Left click on the photo with the hint tool active: photo pixel coordinates.
    photoClicked = Signal(QPointF)

    HANDLE_GRAB_PX = 10
    #: How far ``[`` / ``]`` move the divider (share of the photo's width).
    SPLIT_STEP = 0.05

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QGraphicsScene(), parent)
        self.scene().setParent(self)
        self.item = BeforeAfterItem()
        self.scene().addItem(self.item)
        self._split = 0.5
        self._dragging_divider = False
        self._show_divider = False
        self._hint_mode = False
        self._annotation = ""
        self._captions: tuple[str, str] = (self.tr("Original"), self.tr("Colour"))
        self._placeholder = self.default_placeholder()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches the photo: arrows pan, [ and ] split
        self.setAccessibleName(self.tr("Photo"))
        self._describe()

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
        self._describe()
        self.viewport().update()

    def set_display(self, mode: str, show_divider: bool) -> None:
        """``mode`` is the item's mode ("before" | "after" | "split"); the divider is drawn in split mode only."""
        self.item.set_mode(mode)
        self._show_divider = show_divider
        self._describe()
        self.viewport().update()

    def set_captions(self, before: str, after: str) -> None:
        self._captions = (before, after)
        self._describe()
        self.viewport().update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.viewport().update()

    def placeholder(self) -> str:
        return self._placeholder

    def default_placeholder(self) -> str:
        """What an empty viewer says: how to open photos."""
        open_key = QKeySequence(QKeySequence.StandardKey.Open).toString(QKeySequence.SequenceFormat.NativeText)
        return self.tr("Drop photos or folders here, or press {key}").format(key=open_key)

    def split_fraction(self) -> float:
        """Where the divider is, as a share of the photo's width (0 = all colour, 1 = all original)."""
        return self._split

    def set_split_fraction(self, f: float) -> None:
        self._split = min(max(float(f), 0.0), 1.0)
        self._update_split()
        self._describe()
        self.viewport().update()
        self.splitChanged.emit(self._split)

    def set_hint_mode(self, on: bool) -> None:
        """A tool (hints, regions) takes left clicks on the photo: crosshair cursor instead of the hand."""
        self._hint_mode = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    def divider_x(self) -> int:
        """The divider's x in viewport pixels (it may lie outside the viewport when zoomed in)."""
        return int(round(self.mapFromScene(QPointF(self.item.split_x(), 0.0)).x()))

    def photo_rect(self) -> QRectF:
        """The part of the viewport the photo covers."""
        shown = self.mapFromScene(self.item.boundingRect()).boundingRect()
        return QRectF(shown.intersected(self.viewport().rect()))

    def _divider_active(self) -> bool:
        return self._show_divider and self.item.has_after() and self.item.mode() == "split"

    def _divider_on_screen(self) -> bool:
        r = self.photo_rect()
        return self._divider_active() and not r.isEmpty() and r.left() <= self.divider_x() <= r.right()

    def _update_split(self) -> None:
        self.item.set_split(self._split * self.item.boundingRect().width())

    def _describe(self) -> None:
        """The accessible description says what the view shows, as the captions do for sighted users."""
        if self._divider_active():
            text = self.tr("{before} left of the divider at {pct} % of the photo's width, {after} right of it; "
                           "[ and ] move the divider").format(before=self._captions[0], after=self._captions[1],
                                                              pct=round(self._split * 100))
        else:
            text = "; ".join(c for c, _, _ in self.caption_layout()) or self._placeholder
        self.setAccessibleDescription(f"{text}; {self._annotation}" if self._annotation else text)

    def set_annotation(self, text: str) -> None:
        """What is drawn over the photo besides it (e.g. "2 hints, 1 region"), for the accessible description:
        graphics items are not in the accessibility tree."""
        self._annotation = text
        self._describe()

    # -- events ----------------------------------------------------------------------------------------------
    def _near_divider(self, pos: QPointF) -> bool:
        return self._divider_on_screen() and abs(pos.x() - self.divider_x()) <= self.HANDLE_GRAB_PX

    def on_divider(self, pos: QPointF) -> bool:
        """Whether a press at viewport ``pos`` grabs the split divider (tools leave such presses to it)."""
        return self._near_divider(pos)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        step = {Qt.Key.Key_BracketLeft: -self.SPLIT_STEP, Qt.Key.Key_BracketRight: self.SPLIT_STEP}.get(
            Qt.Key(event.key()))
        if step is not None and self._divider_active():
            self.set_split_fraction(self._split + step)
            event.accept()
            return
        super().keyPressEvent(event)

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
            w = max(self.item.boundingRect().width(), 1.0)
            self.set_split_fraction(self.mapToScene(pos.toPoint()).x() / w)
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
    def caption_layout(self) -> list[tuple[str, QPointF, bool]]:
        """The captions on screen now: (text, anchor in viewport pixels, right-aligned at the anchor)."""
        if not self.has_photo():
            return []
        r = self.photo_rect()
        top = r.top() + 8
        if self._divider_active():
            x = self.divider_x()
            if x < r.left():  # zoomed in right of the divider: only colour in view
                return [(self._captions[1], QPointF(r.left() + 8, top), False)]
            if x > r.right():
                return [(self._captions[0], QPointF(r.left() + 8, top), False)]
            return [(self._captions[0], QPointF(x - 8, top), True), (self._captions[1], QPointF(x + 8, top), False)]
        mode = self.item.mode() if self.item.has_after() else "before"
        text = self._captions[1] if mode == "after" else self._captions[0]
        return [(text, QPointF(r.left() + 8, top), False)]

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
        if self._divider_on_screen():
            x, r = self.divider_x(), self.photo_rect()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(0, 0, 0, 120), 3))
            painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            self._draw_handle(painter, x, r.center().y())
        for text, at, right in self.caption_layout():
            self._caption(painter, text, at, right_align=right)
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
    """Before/after viewer with four modes.

    * ``"split"``: one view, original left of a draggable divider, colour right of it.
    * ``"side"``: two synchronised views, original left, colour right (always: peeking changes nothing here).
    * ``"toggle"`` (shown as "Colour"): the colour result; ``show_original(True)`` (hold T) peeks at the original.
    * ``"original"``: the original only, a mode of its own.

    :attr:`primary` is the view that shows the colour (and carries the hint circles) in every mode.
    """

    MODES = ("split", "side", "toggle", "original")

    @staticmethod
    def mode_label(mode: str) -> str:
        """The mode's name for menus and toolbars."""
        return {"split": translate("PhotoViewer", "Split"), "side": translate("PhotoViewer", "Side by side"),
                "toggle": translate("PhotoViewer", "Colour"), "original": translate("PhotoViewer", "Original")}[mode]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.primary = PhotoView()
        self.secondary = PhotoView()  # the "before" half of side-by-side
        self.secondary.set_placeholder("")
        self.secondary.set_display("before", False)
        self.secondary.setAccessibleName(self.tr("Original photo"))
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
        self.setAccessibleName(self.tr("Photo viewer"))
        self._mode = "split"
        self._show_original = False
        self._before_caption = self.tr("Original")
        self._after_caption = self.tr("Colour")
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
        """Peek at the original in the primary view (hold T) in the split and colour modes; side by side shows
        it beside the colour already, and the Original mode always."""
        self._show_original = bool(on)
        self._apply()

    def showing_original(self) -> bool:
        """Whether the peek (hold T) is on."""
        return self._show_original

    def set_photo(self, image: QImage | QPixmap | None) -> None:
        pm = _pixmap(image)  # convert once; both views share the (implicitly shared) pixmap
        for v in self.views():
            v.set_photo(pm)
        self.secondary.set_after(None)

    def clear(self) -> None:
        """No photo (the last one was removed): the viewer says how to open one again."""
        self.set_photo(None)
        self.primary.set_placeholder(self.primary.default_placeholder())

    def set_before_caption(self, caption: str) -> None:
        """What the original is called on screen (e.g. "Original (toned scan)")."""
        self._before_caption = caption
        self._apply()

    def set_result(self, image: QImage | QPixmap | None, caption: str | None = None) -> None:
        self._after_caption = self.tr("Colour") if caption is None else caption
        self.primary.set_after(image)
        self._apply()

    def result_pixmap(self) -> QPixmap | None:
        return self.primary.item.after_pixmap()

    def captions(self) -> list[str]:
        """The captions on screen, left to right (what a sighted user reads as the labels)."""
        return [text for v in (self.secondary, self.primary) if not v.isHidden() for text, _, _ in v.caption_layout()]

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
        mode = self._mode
        self.secondary.setVisible(mode == "side")
        # Until the first result arrives the colour pane shows the original: its caption must not call it colour.
        not_yet = self.tr("Colour: not ready yet")
        if mode == "side":
            self.secondary.set_captions(self._before_caption, self._before_caption)
            self.primary.set_captions(not_yet, self._after_caption)
            self.primary.set_display("after", False)
            # Same photo rectangle in both: start them on the same view.
            self.secondary.setTransform(self.primary.transform())
            self.secondary.centerOn(self.primary.mapToScene(self.primary.viewport().rect().center()))
            return
        self.primary.set_captions(self._before_caption, self._after_caption)
        if mode == "original" or self._show_original:
            self.primary.set_display("before", False)
        elif mode == "split":
            self.primary.set_display("split", True)
        else:
            self.primary.set_display("after", False)
