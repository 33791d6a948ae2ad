"""The photo strip: remove photos (Delete, context menu), remove all failed, open the folder; broken files are
marked; a folder whose first file is unreadable opens on its first readable photo and reports the rest once."""
from __future__ import annotations

from guihelpers import write_png
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence


def _folder(tmp_path, gray_photo, broken=("a_broken.jpg",), good=("b_good.png", "c_good.png")):
    folder = tmp_path / "mixed"
    for name in good:
        write_png(folder / name, gray_photo)
    for name in broken:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return folder


def _open_folder(qtbot, window, folder, n):
    errors = []
    window.errorShown.connect(lambda title, text: errors.append(title))
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        window.open_paths([folder])
    qtbot.waitUntil(lambda: window.strip.count() == n and not window.strip.is_busy(), timeout=20_000)
    return errors


def test_first_unreadable_file_is_skipped_and_reported_once_in_the_banner(qtbot, window, tmp_path, gray_photo):
    folder = _folder(tmp_path, gray_photo)
    errors = _open_folder(qtbot, window, folder, 3)
    assert window.doc.path.name == "b_good.png" and window.strip.current_path().name == "b_good.png"
    assert errors == []  # no modal box ...
    assert [p for p, _ in window.banner.entries] == [str(folder / "a_broken.jpg")]  # ... one banner line
    # the broken tile says so, to the eye and to a screen reader
    item = window.strip.item(0)
    assert "cannot open" in item.text() and window.strip.error_of(folder / "a_broken.jpg")
    assert "cannot be opened" in item.data(Qt.ItemDataRole.AccessibleTextRole)
    # choosing it shows why in the viewer, still without a box or a second banner line
    window.strip.select_path(folder / "a_broken.jpg")
    assert "could not be opened" in window.viewer.primary.placeholder()
    qtbot.wait(300)
    assert errors == [] and len(window.banner.entries) == 1
    assert window.histograms.data is None


def test_delete_key_removes_the_current_photo_and_shows_the_next(qtbot, window, tmp_path, gray_photo):
    folder = _folder(tmp_path, gray_photo, broken=())
    _open_folder(qtbot, window, folder, 2)
    strip = window.strip
    assert window.doc.path.name == "b_good.png"
    strip.setFocus()
    with qtbot.waitSignal(strip.photosRemoved) as removed, qtbot.waitSignal(window.previewReady, timeout=30_000):
        qtbot.keyClick(strip, Qt.Key.Key_Delete)
    assert [p.name for p in removed.args[0]] == ["b_good.png"]
    assert (folder / "b_good.png").exists()  # forgotten, not deleted
    assert [p.name for p in strip.paths()] == ["c_good.png"] and window.doc.path.name == "c_good.png"
    assert folder / "b_good.png" not in window.session
    # removing the last photo empties the viewer and the histograms
    strip.remove_selected()
    assert strip.count() == 0 and window.doc is None and not window.viewer.primary.has_photo()
    assert "Drop photos" in window.viewer.primary.placeholder()
    qtbot.waitUntil(lambda: window.histograms.data is None, timeout=5_000)


def test_context_menu_removes_all_failed_and_opens_the_folder(qtbot, window, tmp_path, gray_photo, monkeypatch):
    from restorer.gui import thumbnails

    opened = []
    monkeypatch.setattr(thumbnails, "open_url", lambda url: opened.append(url) or True)
    folder = _folder(tmp_path, gray_photo, broken=("a_broken.jpg", "d_broken.png"))
    _open_folder(qtbot, window, folder, 4)
    strip = window.strip
    assert [p.name for p in strip.failed_paths()] == ["a_broken.jpg", "d_broken.png"]
    rect = strip.visualItemRect(strip.item(2))
    menu = strip.context_menu(rect.center())
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Remove from the list", "Remove all failed", "Open containing folder"]
    assert all(a.isEnabled() for a in menu.actions())
    assert strip.current_path().name == "c_good.png"  # the menu acts on the photo clicked
    assert strip.act_remove.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)  # the platform's key
    strip.act_reveal.trigger()
    assert [u.toLocalFile() for u in opened] == [str(folder)]
    strip.act_remove_failed.trigger()
    assert [p.name for p in strip.paths()] == ["b_good.png", "c_good.png"] and not strip.failed_paths()
    assert all(window.session.get(p) is None for p in (folder / "a_broken.jpg", folder / "d_broken.png"))
    # beside the photos the menu offers nothing to remove or reveal
    beside = strip.context_menu(strip.viewport().rect().bottomRight())
    assert not strip.act_remove.isEnabled() and not strip.act_reveal.isEnabled()
    assert not strip.act_remove_failed.isEnabled()
    beside.deleteLater()
    menu.deleteLater()


def test_every_failed_file_leaves_the_viewer_empty_and_quiet(qtbot, window, tmp_path, gray_photo):
    folder = _folder(tmp_path, gray_photo, broken=("a.jpg", "b.jpg"), good=())
    errors = []
    window.errorShown.connect(lambda title, text: errors.append(title))
    window.open_paths([folder])
    qtbot.waitUntil(lambda: window.strip.count() == 2 and not window.strip.is_busy(), timeout=20_000)
    qtbot.waitUntil(lambda: len(window.banner.entries) == 2, timeout=10_000)
    assert window.doc is None and errors == []


def test_a_photo_chosen_before_the_first_thumbnail_stays_chosen(qtbot, tmp_path, gray_photo):
    from restorer.gui.thumbnails import ThumbnailStrip

    folder = _folder(tmp_path, gray_photo, broken=())
    strip = ThumbnailStrip()
    qtbot.addWidget(strip)
    paths = sorted(folder.iterdir())
    with qtbot.waitSignal(strip.thumbsDone, timeout=20_000):
        strip.add_paths(paths)
        strip.select_first_readable()  # pending: no thumbnail yet
        strip.select_path(paths[1])  # the user picks another photo meanwhile
    assert strip.current_path() == paths[1]
