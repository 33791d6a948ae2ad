"""Comparison view: two models, labelled tiles, synchronised zoom/pan, metrics vs a colour photo."""
from __future__ import annotations

import re

import numpy as np
from guihelpers import open_and_wait

TIME = re.compile(r"\d+\.\d\d s")


def _run_compare(qtbot, window, names):
    window.compare.set_checked(names)
    with qtbot.waitSignal(window.compare.comparisonFinished, timeout=60_000):
        window.act_compare.trigger()  # Ctrl+K
    assert window.tabs.currentWidget() is window.compare
    return window.compare.tiles


def test_compare_two_models(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    tiles = _run_compare(qtbot, window, ["tiny-test", "tiny-test-2"])
    assert sorted(t.model_name for t in tiles) == ["tiny-test", "tiny-test-2"]
    for t in tiles:
        text = t.label.text()
        assert t.model_name in text
        assert TIME.search(text), text
        assert "colourfulness" in text
        assert "PSNR" not in text  # a gray input is no ground truth
        assert t.result.pixels.shape == (96, 128, 3)
        assert t.view.item.has_after()
    a, b = (t.result.pixels for t in tiles)
    assert not np.array_equal(a, b)

    # synchronised zoom and pan: every tile follows the one the user moves
    v0, v1 = tiles[0].view, tiles[1].view
    v0.zoom_by(3.0)
    v0.horizontalScrollBar().setValue(v0.horizontalScrollBar().maximum() // 2)
    qtbot.wait(20)
    assert v1.transform() == v0.transform()
    c0 = v0.mapToScene(v0.viewport().rect().center())
    c1 = v1.mapToScene(v1.viewport().rect().center())
    assert abs(c0.x() - c1.x()) <= 2 and abs(c0.y() - c1.y()) <= 2


def test_compare_on_a_colour_photo_shows_psnr_and_ssim(qtbot, window, colour_png):
    open_and_wait(qtbot, window, colour_png)
    assert window.doc.image.was_color
    assert "ground truth" in window.viewer.primary._captions[0]  # the user is told what the original is
    tiles = _run_compare(qtbot, window, ["tiny-test", "tiny-test-2"])
    for t in tiles:
        assert "PSNR" in t.label.text() and "SSIM" in t.label.text()
        assert t.result.psnr is not None and 0 < t.result.ssim <= 1


def test_compare_allows_at_most_four_and_at_least_two(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    window.compare.set_checked(["tiny-test"])
    window.act_compare.trigger()
    qtbot.wait(400)
    assert window.compare.tiles == []
    assert "two" in window.compare.empty.text()
    window.act_compare.trigger()
    assert window.tabs.currentWidget() is window.viewer




def test_compare_starts_with_the_model_in_use(qtbot, only_tiny_models, monkeypatch):
    """First run with the second model chosen: Compare is asked to tick it first (it ticked the first two)."""
    from restorer.gui import compare
    from restorer.gui import settings as S
    from restorer.gui.main_window import MainWindow

    asked = []
    real = compare.CompareView.set_models
    monkeypatch.setattr(compare.CompareView, "set_models",
                        lambda self, cards, checked=None: (asked.append(checked), real(self, cards, checked))[1])
    S.put(S.MODEL, "tiny-test-2")
    w = MainWindow()
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.model_combo.count() >= 2, timeout=20_000)
    assert w.current_model() == "tiny-test-2"
    assert asked[-1] == ["tiny-test-2", "tiny-test"]
    assert "tiny-test-2" in w.compare.checked_models()
    w.close()
