"""The photo strip: one icon per loaded photo, thumbnails made on a worker thread.

Photos can be removed (Delete, or the context menu: "Remove", "Remove all failed"), and the context menu opens
the photo's folder in the file manager. Removing only forgets a photo: the file stays where it is.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QMenu, QWidget

from restorer.gui import jobs
from restorer.gui.workers import Worker, pool

THUMB_PX = 96
PATH_ROLE = Qt.ItemDataRole.UserRole
ERROR_ROLE = Qt.ItemDataRole.UserRole + 1
READY_ROLE = Qt.ItemDataRole.UserRole + 2  # its thumbnail was made: the photo is readable
#: How the folder is shown (a module attribute so tests can record instead of opening a file manager).
open_url = QDesktopServices.openUrl


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

    Unreadable photos stay in the strip, marked broken (warning icon, "cannot open:" before the name, the reason as
    tooltip), and are reported through ``thumbFailed``, until the user removes them; ``photosRemoved(list)``
    then tells the window which photos to forget.
    """

    photoSelected = Signal(object)
    thumbFailed = Signal(object, str)
    thumbsDone = Signal()
    photosRemoved = Signal(list)

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
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # Shift/Ctrl: remove several
        self.setSpacing(6)
        # One row of thumbnails (plus room for the scroll bar): the strip should not steal the viewer's height.
        row = THUMB_PX + self.fontMetrics().height() + 2 * self.spacing() + 8
        self.setGridSize(QSize(THUMB_PX + 28, row))  # fixed cells: long names are elided, not widened
        # Highlight the whole cell (thumbnail and name) of the current photo, in any theme.
        self.setStyleSheet("QListView::item { border-radius: 4px; padding: 2px; }"
                           "QListView::item:selected { background: palette(highlight);"
                           " color: palette(highlighted-text); }")
        self.setFixedHeight(row + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth())
        self.setAccessibleName(self.tr("Photos"))
        self._items: dict[Path, QListWidgetItem] = {}
        self._workers: list[Worker] = []
        self._select_first_readable = False
        self._loading = _placeholder(THUMB_PX)
        self._broken = _placeholder(THUMB_PX, "⚠", QColor(200, 80, 60))
        self.currentItemChanged.connect(self._on_current)
        self._build_actions()

    def _build_actions(self) -> None:
        # Shortcuts live on the strip (WidgetWithChildrenShortcut): Delete in the region list keeps its meaning.
        def act(text: str, slot, key: QKeySequence | None = None) -> QAction:
            a = QAction(text, self)
            if key is not None:
                a.setShortcut(key)
                a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.triggered.connect(lambda _=False: slot())
            self.addAction(a)
            return a

        self.act_remove = act(self.tr("&Remove from the list"), self.remove_selected,
                              QKeySequence(QKeySequence.StandardKey.Delete))
        self.act_remove_failed = act(self.tr("Remove all &failed"), self.remove_failed)
        self.act_reveal = act(self.tr("Open containing f&older"), self.reveal_current)
        self.act_remove.setStatusTip(self.tr("Forget the selected photos (the files stay where they are)"))
        self.act_reveal.setStatusTip(self.tr("Show the photo's folder in the file manager"))

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

    def select_first_readable(self) -> None:
        """Select the first photo whose thumbnail could be made, as soon as one is (an unreadable first file of
        a folder is not opened: the banner lists it once). Nothing is selected if every photo fails."""
        for i in range(self.count()):
            item = self.item(i)
            if item.data(READY_ROLE):
                self.setCurrentItem(item)
                return
        self._select_first_readable = True

    def error_of(self, path: Path) -> str | None:
        item = self._items.get(Path(path).resolve())
        return item.data(ERROR_ROLE) if item is not None else None

    def failed_paths(self) -> list[Path]:
        return [p for p in self.paths() if self.error_of(p) is not None]

    def mark_error(self, path: Path, reason: str) -> None:
        item = self._items.get(Path(path).resolve())
        if item is not None:
            item.setIcon(self._broken)
            item.setData(ERROR_ROLE, reason)
            # In front: names are elided in the middle, and this must stay readable.
            item.setText(self.tr("cannot open: {name}").format(name=Path(path).name))
            item.setForeground(QColor(200, 80, 60))
            item.setToolTip(f"{path}\n{reason}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         self.tr("{name}, cannot be opened: {reason}").format(name=Path(path).name, reason=reason))

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

    # -- removing and revealing ------------------------------------------------------------------------------
    def remove_paths(self, paths: Sequence[Path]) -> list[Path]:
        """Take these photos out of the strip (the files are untouched) and emit ``photosRemoved``.

        If the current photo goes, its right neighbour (else the left one) becomes current, so the viewer never
        keeps showing a photo the strip no longer has."""
        keys = {Path(p).resolve() for p in paths} & set(self._items)
        if not keys:
            return []
        current = self.currentItem()
        rows = [self.row(self._items[k]) for k in keys]
        successor = None
        if current is not None and Path(current.data(PATH_ROLE)).resolve() in keys:
            order = list(range(self.row(current) + 1, self.count())) + list(range(self.row(current) - 1, -1, -1))
            successor = next((self.item(r) for r in order if r not in rows), None)
        self.blockSignals(True)  # one photoSelected for the successor, none for the rows sliding into place
        removed = [Path(self.takeItem(r).data(PATH_ROLE)) for r in sorted(rows, reverse=True)][::-1]
        for k in keys:
            del self._items[k]
        self.blockSignals(False)
        if successor is not None and self.currentItem() is successor:  # Qt moved there while signals were off
            self.photoSelected.emit(successor.data(PATH_ROLE))
        elif successor is not None:
            self.setCurrentItem(successor)
        self.photosRemoved.emit(removed)
        return removed

    def remove_selected(self) -> list[Path]:
        items = self.selectedItems() or ([self.currentItem()] if self.currentItem() is not None else [])
        return self.remove_paths([it.data(PATH_ROLE) for it in items])

    def remove_failed(self) -> list[Path]:
        return self.remove_paths(self.failed_paths())

    def reveal_current(self) -> bool:
        """Open the current photo's folder in the system's file manager."""
        path = self.current_path()
        return path is not None and bool(open_url(QUrl.fromLocalFile(str(Path(path).parent))))

    def context_menu(self, at: QPoint | None = None) -> QMenu:
        """The strip's menu for the photo under ``at`` (viewport coordinates; default: the current one)."""
        item = self.itemAt(at) if at is not None else self.currentItem()
        if item is not None and not item.isSelected():
            self.setCurrentItem(item)
        has = item is not None  # a click beside the photos offers only "Remove all failed"
        self.act_remove.setEnabled(has)
        self.act_reveal.setEnabled(has)
        self.act_remove_failed.setEnabled(bool(self.failed_paths()))
        menu = QMenu(self)
        menu.addAction(self.act_remove)
        menu.addAction(self.act_remove_failed)
        menu.addSeparator()
        menu.addAction(self.act_reveal)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        # The menu key means the current photo; a right click the photo under the mouse.
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        menu = self.context_menu(None if keyboard else self.viewport().mapFromGlobal(event.globalPos()))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    # -- slots -----------------------------------------------------------------------------------------------
    def _on_thumb(self, thumb: jobs.Thumb) -> None:
        item = self._items.get(Path(thumb.path).resolve())
        if item is None:
            return  # removed while its thumbnail was being made
        if thumb.error is not None:
            self.mark_error(thumb.path, thumb.error)
            self.thumbFailed.emit(thumb.path, thumb.error)
            return
        if isinstance(thumb.image, QImage):
            pm = QPixmap.fromImage(thumb.image)
            icon = QIcon()
            # The same pixmap for the selected state: Qt would otherwise tint the photo with the highlight colour.
            icon.addPixmap(pm, QIcon.Mode.Normal)
            icon.addPixmap(pm, QIcon.Mode.Selected)
            item.setIcon(icon)
            item.setData(READY_ROLE, True)
            if thumb.was_color:
                item.setToolTip(self.tr("{path}\ncolour photo: used as ground truth for metrics").format(
                    path=thumb.path))
        if self._select_first_readable:
            self._select_first_readable = False
            self.setCurrentItem(item)

    def _on_worker_done(self, w: Worker) -> None:
        if w in self._workers:
            self._workers.remove(w)
        if not self._workers:
            self._select_first_readable = False  # every photo failed: nothing to open
            self.thumbsDone.emit()

    def _on_current(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self._select_first_readable = False  # a photo chosen before the first thumbnail came stays chosen
            self.photoSelected.emit(current.data(PATH_ROLE))
