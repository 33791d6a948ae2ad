"""Save and Save all: exactly the expected new files, originals untouched, metadata via the core writer."""
from __future__ import annotations

import os

from guihelpers import open_and_wait, write_png
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from restorer.core.io import read_image
from restorer.gui import settings as S


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_save_writes_exactly_one_new_file(qtbot, window, gray_png, tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    S.put(S.LAST_SAVE_DIR, str(out_dir))
    src_before = _snapshot(gray_png.parent)
    open_and_wait(qtbot, window, gray_png)
    asked = {}

    def fake_dialog(parent, caption, suggested, filt):
        asked["suggested"] = suggested
        return suggested, filt  # the user accepts the suggestion

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    with qtbot.waitSignal(window.saved, timeout=30_000) as blocker:
        window.save_current()
    written = blocker.args[0]
    assert asked["suggested"] == str(out_dir / "photo_colour.png")
    assert sorted(os.listdir(out_dir)) == ["photo_colour.png"]
    assert written == out_dir / "photo_colour.png"
    assert _snapshot(gray_png.parent) == src_before  # source folder listing and bytes unchanged
    img = read_image(written)
    assert img.pixels.shape == (96, 128, 3) and img.was_color
    assert S.get_str(S.LAST_SAVE_DIR) == str(out_dir)


def test_save_refuses_to_overwrite_the_original(qtbot, window, gray_png, monkeypatch):
    before = gray_png.read_bytes()
    open_and_wait(qtbot, window, gray_png)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(gray_png), "")))
    with qtbot.waitSignal(window.errorShown, timeout=10_000) as err:
        assert window.save_current() is None
    assert "original" in (err.args[0] + err.args[1]).lower()
    assert gray_png.read_bytes() == before


def test_save_all_colourises_every_photo(qtbot, window, tmp_path, gray_photo, monkeypatch):
    src = tmp_path / "box"
    a = write_png(src / "a.png", gray_photo)
    write_png(src / "sub" / "b.png", gray_photo[:64, :80].copy())
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    window.open_paths([src])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    out = tmp_path / "colour"
    out.mkdir()
    (out / "a_colour.png").write_bytes(b"already here")  # must be reported, not replaced
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    asked = []
    window.exporter.ask_existing = lambda n, folder: asked.append((n, folder)) or "skip"
    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        window.save_all()
    assert asked == [(1, out)]  # asked once, before anything is written
    report = blocker.args[0]
    assert report.written == [out / "sub" / "b_colour.png"]  # subfolders mirrored, as the CLI does
    assert report.skipped == [(a, out / "a_colour.png")] and not report.failed
    assert (out / "a_colour.png").read_bytes() == b"already here"
    assert sorted(os.listdir(out)) == ["a_colour.png", "report.csv", "report.json", "sub"]  # the batch's report
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert "already existed" in window.statusBar().currentMessage()


def test_save_all_asks_once_then_replaces_keeps_both_or_stops(qtbot, window, tmp_path, gray_photo, monkeypatch):
    """Save, then Save all into the same folder: the user chooses; never an exception name in a banner."""
    src = tmp_path / "box"
    for name in ("a", "b"):
        write_png(src / f"{name}.png", gray_photo)
    window.open_paths([src])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    out = tmp_path / "colour"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    (out / "a_colour.png").write_bytes(b"old a")
    answers = ["cancel", "keep-both", "replace"]
    window.exporter.ask_existing = lambda n, folder: (lambda a: None if a == "cancel" else a)(answers.pop(0))
    assert window.save_all() is None and os.listdir(out) == ["a_colour.png"]  # cancelled: nothing written

    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        window.save_all()
    report = blocker.args[0]
    assert sorted(p.name for p in report.written) == ["a_colour-2.png", "b_colour.png"] and not report.skipped
    assert (out / "a_colour.png").read_bytes() == b"old a"  # kept beside the new one

    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        window.save_all()
    report = blocker.args[0]
    assert sorted(p.name for p in report.written) == ["a_colour.png", "b_colour.png"] and not report.failed
    assert read_image(out / "a_colour.png").was_color  # replaced
    assert "Error" not in window.banner.label.text()


def test_save_all_reports_an_unreadable_photo_in_one_line(qtbot, window, tmp_path, gray_photo, monkeypatch, caplog):
    src = tmp_path / "box"
    good = write_png(src / "good.png", gray_photo)
    bad = src / "bad.png"
    bad.write_bytes(b"not a png at all")
    window.open_paths([good])
    qtbot.waitUntil(lambda: window.strip.count() == 1, timeout=20_000)
    window.session.add(bad, window.doc.hints, window.doc.undo)  # broken after it was opened (no thumb error)
    out = tmp_path / "out"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        window.save_all()
    report = blocker.args[0]
    assert [p.name for p in report.written] == ["good_colour.png"] and [p for p, _ in report.failed] == [bad]
    text = window.banner.label.text()
    assert "bad.png" in text and "Error" not in text and "Traceback" not in caplog.text
    assert sum("bad.png" in r.getMessage() for r in caplog.records) == 1  # one line per failure


def test_save_all_names_like_the_cli_when_names_clash(qtbot, window, tmp_path, gray_photo, monkeypatch):
    """a/x.png and b/x.png: Save all writes what `restorer colorize` writes for their folder (it once failed)."""
    from restorer.cli import main

    x1 = write_png(tmp_path / "in" / "a" / "x.png", gray_photo)
    x2 = write_png(tmp_path / "in" / "b" / "x.png", gray_photo[:64, :80].copy())
    window.open_paths([x1, x2])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    out = tmp_path / "app"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        window.save_all()
    report = blocker.args[0]
    assert not report.failed and len(report.written) == 2
    assert main(["colorize", str(tmp_path / "in"), "-o", str(tmp_path / "cli"), "--model", window.current_model()]) == 0
    rel = lambda root: sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))  # noqa: E731
    assert rel(out) == rel(tmp_path / "cli") == ["a/x_colour.png", "b/x_colour.png"]
    assert (out / "report.json").exists() and (tmp_path / "cli" / "report.json").exists()


def test_save_all_can_be_cancelled(qtbot, window, tmp_path, gray_photo, monkeypatch):
    import time

    import restorer.core.engine as engine

    src = tmp_path / "many"
    for i in range(4):
        write_png(src / f"p{i}.png", gray_photo)
    window.open_paths([src])
    qtbot.waitUntil(lambda: window.strip.count() == 4, timeout=20_000)
    real = engine.colorize

    def slow(pixels, model, hints=None, *, progress=None, cancel=None, preview=False, **kw):
        for _ in range(100):
            if cancel is not None and cancel():
                raise engine.Cancelled()
            time.sleep(0.01)
        return real(pixels, model, hints, preview=preview)

    monkeypatch.setattr(engine, "colorize", slow)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    with qtbot.waitSignal(window.saveAllFinished, timeout=60_000) as blocker:
        w = window.save_all()
        # The batch itself runs (not a queued preview). A flag rather than waitSignal(started): the worker may
        # start before a wait on its signal is connected.
        qtbot.waitUntil(lambda: w.has_started, timeout=20_000)
        qtbot.wait(300)
        assert window.cancel_button.isVisible()
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report.cancelled
    assert len(report.written) < 4
    # no half-written files: only what was written, and the batch's report
    assert sorted(os.listdir(out)) == sorted([p.name for p in report.written] + ["report.csv", "report.json"])


def test_save_all_cancelled_before_it_starts_still_reports(qtbot, window, gray_png, tmp_path, monkeypatch):
    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.strip.count() == 1, timeout=20_000)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    with qtbot.waitSignal(window.saveAllFinished, timeout=20_000) as blocker:
        w = window.save_all()
        w.cancel()
    assert blocker.args[0].cancelled and os.listdir(out) == []


def test_sixteen_bit_photo_round_trip(qtbot, window, tmp_path, gray_photo, monkeypatch):
    import cv2

    src = tmp_path / "deep" / "scan16.png"
    src.parent.mkdir()
    deep = (gray_photo.astype("uint16") * 257)[..., ::-1]  # OpenCV writes BGR; gray anyway
    assert cv2.imwrite(str(src), deep)
    res = open_and_wait(qtbot, window, src)
    assert res.pixels.dtype.name == "uint16"
    out = tmp_path / "out16"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: (str(out / "scan16_colour.png"), "")))
    with qtbot.waitSignal(window.saved, timeout=30_000) as blocker:
        window.save_current()
    img = read_image(blocker.args[0])
    assert img.bit_depth == 16 and img.pixels.dtype.name == "uint16" and img.was_color
