"""Opening photos: drag-and-drop of files and folders, the thumbnail strip, unreadable files."""
from __future__ import annotations

from pathlib import Path

from guihelpers import write_png
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def _drop(window, paths: list[Path]) -> bool:
    """What a file manager does: drag-enter (the window must accept), then drop. True if the drop was taken."""
    mime = QMimeData()  # kept referenced until both events are done: the events only borrow it
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(20, 20)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_drop_files_and_folder_fills_the_strip(qtbot, window, tmp_path, gray_photo):
    a = write_png(tmp_path / "drop" / "a.png", gray_photo)
    b = write_png(tmp_path / "drop" / "b.png", gray_photo[::2, ::2].copy())
    folder = tmp_path / "box"
    write_png(folder / "c.png", gray_photo)
    write_png(folder / "deeper" / "d.png", gray_photo)  # recursive
    (folder / "notes.txt").write_text("not a photo")

    assert _drop(window, [a, b, folder])

    qtbot.waitUntil(lambda: window.strip.count() == 4, timeout=20_000)
    names = sorted(p.name for p in window.strip.paths())
    assert names == ["a.png", "b.png", "c.png", "d.png"]
    # the first photo becomes current and its thumbnails are made in the background
    qtbot.waitUntil(lambda: not window.strip.is_busy(), timeout=20_000)

    # dropping the same things again adds nothing
    with qtbot.waitSignal(window.photosAdded, timeout=10_000) as added:
        assert _drop(window, [a, folder])
    assert added.args[0] == []
    assert window.strip.count() == 4


def test_drop_of_non_files_is_refused(qtbot, window):
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_unreadable_file_is_reported_not_crashed(qtbot, window, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"this is not an image")
    with qtbot.waitSignal(window.errorShown, timeout=20_000) as err:
        window.open_paths([bad])
    title, text = err.args
    assert "bad.png" in title + text
    qtbot.waitUntil(lambda: window.strip.error_of(bad) is not None, timeout=20_000)
    assert window.viewer.result_pixmap() is None


def test_folder_with_an_unreadable_photo_lists_it_in_the_banner(qtbot, window, tmp_path, gray_photo):
    folder = tmp_path / "mixed"
    write_png(folder / "good.png", gray_photo)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    window.open_paths([folder])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=20_000)
    assert any("broken.jpg" in p for p, _ in window.banner.entries)
    assert "broken.jpg" in window.banner.label.text()


def test_thumbnail_is_made_from_the_photo(qtbot, window, gray_png):
    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.strip.count() == 1, timeout=20_000)
    qtbot.waitUntil(lambda: not window.strip.is_busy(), timeout=20_000)
    icon = window.strip.item(0).icon()
    pm = icon.pixmap(96, 96)
    assert not pm.isNull() and pm.width() == 96
    img = pm.toImage()
    # the 128x96 photo is scaled to 96x72 and centred in a square cell: transparent bands above and below
    assert img.pixelColor(48, 4).alpha() == 0 and img.pixelColor(48, 48).alpha() == 255


def test_missing_path_goes_to_the_banner(qtbot, window, tmp_path):
    window.open_paths([tmp_path / "nope.png"])
    assert window.banner.isVisible() or window.banner.entries
    assert "not found" in window.banner.entries[0][1]


def test_drop_onto_the_viewer_and_the_strip_reaches_the_window(qtbot, window, tmp_path, gray_photo):
    a = write_png(tmp_path / "v" / "a.png", gray_photo)
    b = write_png(tmp_path / "v" / "b.png", gray_photo)
    assert _drop(window.viewer.primary.viewport(), [a])  # QGraphicsView accepts drops itself: must pass it on
    qtbot.waitUntil(lambda: window.strip.count() == 1, timeout=20_000)
    assert _drop(window.strip.viewport(), [b])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)


def test_open_dialogs_add_photos_and_remember_the_folder(qtbot, window, tmp_path, gray_photo, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from restorer.gui import settings as S

    a = write_png(tmp_path / "files" / "a.png", gray_photo)
    folder = tmp_path / "album"
    write_png(folder / "x" / "b.png", gray_photo)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a_, **k: ([str(a)], "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a_, **k: str(folder)))
    window.act_open.trigger()
    qtbot.waitUntil(lambda: window.strip.count() == 1, timeout=20_000)
    assert S.get_str(S.LAST_OPEN_DIR) == str(a.parent)
    window.act_open_folder.trigger()
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    assert S.get_str(S.LAST_OPEN_DIR) == str(folder)
    assert window.act_open_folder.shortcut().toString() == "Ctrl+Shift+O"
