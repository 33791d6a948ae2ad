"""Colourising on a worker: round trip, cancel, model choice, responsiveness."""
from __future__ import annotations

import time

import numpy as np
import pytest
from guihelpers import open_and_wait
from PySide6.QtCore import Qt

from restorer.gui.qimage import qimage_to_numpy


def _displayed(window) -> np.ndarray:
    pm = window.viewer.result_pixmap()
    assert pm is not None, "no colour result on screen"
    return qimage_to_numpy(pm.toImage())


def test_colourise_round_trip(qtbot, window, gray_png, gray_photo):
    open_and_wait(qtbot, window, gray_png)
    worker = window.colourise_now()
    assert worker is not None
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    assert worker.error is None and not worker.was_cancelled
    shown = _displayed(window)
    assert shown.shape == gray_photo.shape
    # the input is gray (R = G = B); the result must have chroma, i.e. differ from the input
    assert not np.array_equal(shown, gray_photo)
    assert np.abs(shown[..., 0].astype(int) - shown[..., 2].astype(int)).mean() > 2
    res = window.displayed_result()
    assert res.model_name == window.current_model()
    assert "s" in window.timing_label.text() and res.model_name in window.timing_label.text()
    assert window.device_label.text().startswith("Device: ")


def _slow_colorize(monkeypatch, steps: int = 400, delay: float = 0.01):
    """Replace the engine with a slow stand-in that polls cancel like the real one."""
    import restorer.core.engine as engine

    calls = {"n": 0, "cancelled": 0}

    def slow(pixels, model, hints=None, *, progress=None, cancel=None, preview=False, **kw):
        calls["n"] += 1
        for i in range(steps):
            if cancel is not None and cancel():
                calls["cancelled"] += 1
                raise engine.Cancelled()
            time.sleep(delay)
            if progress is not None:
                progress((i + 1) / steps)
        return pixels.copy()

    monkeypatch.setattr(engine, "colorize", slow)
    return calls


def test_cancel_stops_the_run_and_shows_no_result(qtbot, window, gray_png, monkeypatch):
    calls = _slow_colorize(monkeypatch)
    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.doc is not None and window.doc.image is not None, timeout=20_000)
    worker = window.colourise_now()
    qtbot.waitUntil(lambda: worker.has_started, timeout=20_000)  # it may start before a signal wait connects
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=5_000)
    # the window stays responsive while it runs: the split divider can be dragged
    view = window.viewer.primary
    view.set_split_fraction(0.3)
    qtbot.wait(50)
    assert abs(view.split_fraction() - 0.3) < 1e-9
    assert not worker.done

    with qtbot.waitSignals([worker.cancelled, window.colorizeCancelled], timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: worker.done, timeout=10_000)
    assert worker.was_cancelled and worker.result is None
    assert calls["cancelled"] >= 1
    assert window.viewer.result_pixmap() is None
    assert window.displayed_result() is None
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=5_000)


def test_new_request_cancels_the_running_one(qtbot, window, gray_png, monkeypatch):
    _slow_colorize(monkeypatch, steps=200)
    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.doc is not None and window.doc.image is not None, timeout=20_000)
    first = window.colourise_now()
    qtbot.waitUntil(lambda: first.has_started, timeout=20_000)  # it may start before a signal wait connects
    second = window.colourise_now()
    with qtbot.waitSignal(first.cancelled, timeout=10_000):
        pass
    second.cancel()
    qtbot.waitUntil(lambda: second.done, timeout=10_000)


def test_model_choice_changes_the_result(qtbot, window, gray_png):
    first = open_and_wait(qtbot, window, gray_png)
    other = 1 - window.model_combo.currentIndex()
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.model_combo.setCurrentIndex(other)
    second = blocker.args[0]
    assert second.model_name != first.model_name
    assert not np.array_equal(first.pixels, second.pixels)
    # the card's description is the tooltip
    tip = window.model_combo.itemData(other, Qt.ItemDataRole.ToolTipRole)
    assert "untrained test network" in tip


def test_engine_error_becomes_a_message(qtbot, window, gray_png, monkeypatch):
    import restorer.core.engine as engine

    def broken(*a, **k):
        raise RuntimeError("out of memory (simulated)")

    window.open_paths([gray_png])
    qtbot.waitUntil(lambda: window.doc is not None and window.doc.image is not None, timeout=20_000)
    monkeypatch.setattr(engine, "colorize", broken)
    with qtbot.waitSignal(window.errorShown, timeout=20_000) as err:
        window.colourise_now()
    assert "out of memory" in err.args[1]


def test_preview_first_then_full_resolution(qtbot, window, tmp_path):
    from guihelpers import write_png

    y, x = np.mgrid[0:1200, 0:1600].astype(np.float32)
    big = np.clip(80 + 100 * np.sin(x / 90) * np.cos(y / 70) + 40, 0, 255).astype(np.uint8)
    path = write_png(tmp_path / "big" / "big.png", np.repeat(big[..., None], 3, axis=2))
    shown = []
    window.previewReady.connect(lambda r: shown.append(("preview", r.pixels.shape)))
    window.fullReady.connect(lambda r: shown.append(("full", r.pixels.shape)))
    window.open_paths([path])
    qtbot.waitUntil(lambda: len(shown) >= 2, timeout=60_000)
    assert shown[0] == ("preview", (960, 1280, 3))  # fast path: at most 1280 px on the long side
    assert shown[1] == ("full", (1200, 1600, 3))  # then the full resolution, in the background
    assert window.displayed_result().pixels.shape == (1200, 1600, 3)
    # the preview was drawn over the whole photo (scaled), the full result replaces it
    pm = window.viewer.result_pixmap()
    assert (pm.width(), pm.height()) == (1600, 1200)


def test_save_reuses_the_full_result(qtbot, window, gray_png, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    import restorer.core.engine as engine

    open_and_wait(qtbot, window, gray_png)
    qtbot.waitUntil(lambda: window.doc.full is not None, timeout=30_000)
    calls = []
    real = engine.colorize
    monkeypatch.setattr(engine, "colorize", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(tmp_path / "o.png"), "")))
    with qtbot.waitSignal(window.saved, timeout=30_000):
        window.save_current()
    assert calls == []  # what is on screen is what is written


def test_bundled_default_model_in_the_window(qtbot, gray_png):
    """The real thing: the default bundled model colourises a photo through the window (skipped without one)."""
    from restorer.core.models import list_models
    from restorer.gui.main_window import MainWindow

    bundled = [c for c in list_models() if c.bundled]
    if not bundled:
        pytest.skip("no bundled models in resources/models")
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model_combo.count() >= len(bundled), timeout=60_000)
    default = next((c for c in bundled if c.default), bundled[0])
    assert win.current_model() == default.name
    res = open_and_wait(qtbot, win, gray_png, timeout=120_000)
    assert res.model_name == default.name and res.pixels.shape == (96, 128, 3)
    assert default.description.split(":")[0] in win.model_combo.toolTip()


def test_colour_strength_reruns_and_is_saved_as_shown(qtbot, window, gray_png, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from restorer.core.io import read_image
    from restorer.core.metrics import to_lab
    from restorer.gui import settings as S

    def chroma(rgb):
        lab = to_lab(rgb)
        return float(np.hypot(lab[..., 1], lab[..., 2]).mean())

    first = open_and_wait(qtbot, window, gray_png)
    assert first.strength == 1.0
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.strength_box.setValue(170)
    bold = blocker.args[0]
    assert bold.strength == pytest.approx(1.7) and "colour 170 %" in window.viewer.primary._captions[1]
    assert chroma(bold.pixels) > 1.4 * chroma(first.pixels)
    assert S.get_float(S.STRENGTH, 100) == 170  # remembered for the next session
    qtbot.waitUntil(lambda: window.doc.full is not None and window.doc.full.strength == pytest.approx(1.7),
                    timeout=30_000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(tmp_path / "o.png"), "")))
    with qtbot.waitSignal(window.saved, timeout=30_000):
        window.save_current()
    assert np.array_equal(read_image(tmp_path / "o.png").pixels, window.doc.full.pixels)
    # Back to 100 %: the earlier preview is reused, not recomputed.
    window.strength_box.setValue(100)
    qtbot.waitUntil(lambda: window.displayed_result() is first, timeout=30_000)


def test_previews_kept_per_photo_are_bounded(qtbot, window, gray_png, monkeypatch):
    window.session.max_previews = 3
    open_and_wait(qtbot, window, gray_png)
    for pct in (60, 80, 120, 140):
        with qtbot.waitSignal(window.previewReady, timeout=30_000):
            window.strength_box.setValue(pct)
    kept = [round(k[2] * 100) for k in window.doc.previews]
    assert kept == [80, 120, 140]  # the oldest (100 %, then 60 %) were dropped
