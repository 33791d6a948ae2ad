"""The photo strip: one icon per loaded photo, thumbnails made on a worker thread."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from restorer.gui import jobs
from restorer.gui.workers import Worker, pool

THUMB_PX = 96
PATH_ROLE = Qt.ItemDataRole.UserRole
ERROR_ROLE = Qt.ItemDataRole.UserRole + 1


def _placeholder(size: int, text: str = "…", colour: QColor = QColor(90, 90, 90)) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(0, 0, 0, 0))
    p = QPainter(pm)
    p.setPen(colour)
    p.drawRect(1, 1, size - 3, size - 3)
    f = p.font()
    f.setPointSize(max(8, size // 6))
    p.setFont(f)
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return QIcon(pm)


class ThumbnailStrip(QListWidget):
    """Horizontal strip of photos. ``photoSelected(Path)`` when the user picks one.

    Unreadable photos stay in the strip with a warning icon and the reason as tooltip (and are reported through
    ``thumbFailed``) so the user sees which files were not loaded and why.
    """

    photoSelected = Signal(object)
    thumbFailed = Signal(object, str)
    thumbsDone = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        # IconMode turns on internal drag-and-drop; off, so files dropped on the strip reach the main window.
        self.setDragDropMode(QListView.DragDropMode.NoDragDrop)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.setWordWrap(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSpacing(6)
        # One row of thumbnails (plus room for the scroll bar): the strip should not steal the viewer's height.
        row = THUMB_PX + self.fontMetrics().height() + 2 * self.spacing() + 8
        self.setGridSize(QSize(THUMB_PX + 28, row))  # fixed cells: long names are elided, not widened
        # Highlight the whole cell (thumbnail and name) of the current photo, in any theme.
        self.setStyleSheet("QListView::item { border-radius: 4px; padding: 2px; }"
                           "QListView::item:selected { background: palette(highlight);"
                           " color: palette(highlighted-text); }")
        self.setFixedHeight(row + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth())
        self._items: dict[Path, QListWidgetItem] = {}
        self._workers: list[Worker] = []
        self._loading = _placeholder(THUMB_PX)
        self._broken = _placeholder(THUMB_PX, "⚠", QColor(200, 80, 60))
        self.currentItemChanged.connect(self._on_current)

    # -- content ---------------------------------------------------------------------------------------------
    def paths(self) -> list[Path]:
        return [self.item(i).data(PATH_ROLE) for i in range(self.count())]

    def has(self, path: Path) -> bool:
        return Path(path).resolve() in self._items

    def add_paths(self, paths: Sequence[Path]) -> list[Path]:
        """Append photos not already in the strip; their thumbnails are made in the background."""
        new: list[Path] = []
        for p in paths:
            p = Path(p)
            key = p.resolve()
            if key in self._items:
                continue
            item = QListWidgetItem(self._loading, p.name)
            item.setData(PATH_ROLE, p)
            item.setToolTip(str(p))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)
            self._items[key] = item
            new.append(p)
        if new:
            w = Worker(jobs.make_thumbnails, new, THUMB_PX, name="thumbnails")
            w.yielded.connect(self._on_thumb)
            w.finished.connect(lambda w=w: self._on_worker_done(w))
            self._workers.append(w)
            w.start(pool("thumbs"))
        return new

    def error_of(self, path: Path) -> str | None:
        item = self._items.get(Path(path).resolve())
        return item.data(ERROR_ROLE) if item is not None else None

    def mark_error(self, path: Path, reason: str) -> None:
        item = self._items.get(Path(path).resolve())
        if item is not None:
            item.setIcon(self._broken)
            item.setData(ERROR_ROLE, reason)
            item.setToolTip(f"{path}\n{reason}")

    def select_path(self, path: Path) -> None:
        item = self._items.get(Path(path).resolve())
        if item is not None:
            self.setCurrentItem(item)

    def current_path(self) -> Path | None:
        item = self.currentItem()
        return item.data(PATH_ROLE) if item is not None else None

    def is_busy(self) -> bool:
        return any(not w.done for w in self._workers)

    def cancel(self) -> None:
        for w in self._workers:
            w.cancel()

    # -- slots -----------------------------------------------------------------------------------------------
    def _on_thumb(self, thumb: jobs.Thumb) -> None:
        item = self._items.get(Path(thumb.path).resolve())
        if item is None:
            return
        if thumb.error is not None:
            self.mark_error(thumb.path, thumb.error)
            self.thumbFailed.emit(thumb.path, thumb.error)
        elif isinstance(thumb.image, QImage):
            pm = QPixmap.fromImage(thumb.image)
            icon = QIcon()
            # The same pixmap for the selected state: Qt would otherwise tint the photo with the highlight colour.
            icon.addPixmap(pm, QIcon.Mode.Normal)
            icon.addPixmap(pm, QIcon.Mode.Selected)
            item.setIcon(icon)
            if thumb.was_color:
                item.setToolTip(f"{thumb.path}\ncolour photo: used as ground truth for metrics")

    def _on_worker_done(self, w: Worker) -> None:
        if w in self._workers:
            self._workers.remove(w)
        if not self._workers:
            self.thumbsDone.emit()

    def _on_current(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.photoSelected.emit(current.data(PATH_ROLE))
