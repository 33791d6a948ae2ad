"""Keyboard and accessibility: platform shortcuts, Ctrl+R on a kept result, accessible names, strings that a
translation can replace."""
from __future__ import annotations

import numpy as np
import pytest
from guihelpers import open_and_wait
from PySide6.QtCore import QTranslator
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

SK = QKeySequence.StandardKey


def test_platform_shortcuts(window):
    def keys(action):
        return [k.toString() for k in action.shortcuts()]

    for action, standard in ((window.act_open, SK.Open), (window.act_save, SK.Save), (window.act_quit, SK.Quit),
                             (window.act_undo, SK.Undo), (window.act_zoom_out, SK.ZoomOut)):
        assert keys(action)[:1] == [k.toString() for k in QKeySequence.keyBindings(standard)][:1]
    assert QKeySequence(SK.ZoomIn).toString() in keys(window.act_zoom_in)
    assert window.strip.act_remove.shortcut() == QKeySequence(SK.Delete)
    assert [window.mode_actions[m].shortcut().toString() for m in ("split", "side", "toggle", "original")] == \
        ["Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+5"]


def test_ctrl_r_on_a_kept_result_runs_again_and_says_so(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    qtbot.waitUntil(lambda: window.doc.full is not None, timeout=30_000)
    kept = window.doc.full
    window.work.label.setText("")
    with qtbot.waitSignal(window.fullReady, timeout=30_000):
        window.act_colourise.trigger()
    assert "again" in window.statusBar().currentMessage() and gray_png.name in window.statusBar().currentMessage()
    assert window.work.label.text()  # the status bar's work area showed the run ("Preview with …")
    assert window.doc.full is not kept and window.displayed_result() is window.doc.full  # really made again


def test_accessible_names(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    assert window.viewer.accessibleName() == "Photo viewer"
    assert window.viewer.primary.accessibleName() == "Photo"
    assert "Original" in window.viewer.primary.accessibleDescription()
    assert window.strip.accessibleName() == "Photos"
    assert window.histograms.accessibleName() == "Histograms"
    assert window.histograms.plot_L.accessibleName() == "L (lightness) histogram"
    assert window.histograms.table.accessibleName() == "Histogram numbers"
    window.compare.set_checked(["tiny-test", "tiny-test-2"])
    with qtbot.waitSignal(window.compare.comparisonFinished, timeout=60_000):
        window.act_compare.trigger()
    assert sorted(t.view.accessibleName() for t in window.compare.tiles) == ["tiny-test result", "tiny-test-2 result"]
    assert window.compare.models.accessibleName() == "Models to compare"


class Pseudo(QTranslator):
    """Marks every string it translates: what is not marked did not go through tr() / translate()."""

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: ARG002 - Qt's signature
        return f"«{source}»"

    def isEmpty(self):  # noqa: N802 - Qt API
        return False


@pytest.fixture
def pseudo_translation(qapp):
    t = Pseudo()
    qapp.installTranslator(t)
    yield
    qapp.removeTranslator(t)


def test_my_widgets_strings_go_through_translation(qtbot, pseudo_translation):
    from restorer.gui import jobs
    from restorer.gui.compare import CompareView
    from restorer.gui.histogram_widget import HistogramPanel
    from restorer.gui.thumbnails import ThumbnailStrip
    from restorer.gui.viewer import PhotoViewer

    assert QApplication.translate("X", "Original") == "«Original»"  # the translator is in place
    viewer = PhotoViewer()
    strip = ThumbnailStrip()
    panel = HistogramPanel()
    compare = CompareView(jobs.ModelCache())
    for w in (viewer, strip, panel, compare):
        qtbot.addWidget(w)
    assert viewer.primary.placeholder().startswith("«Drop photos")
    assert viewer.accessibleName() == "«Photo viewer»" and viewer.mode_label("side") == "«Side by side»"
    assert viewer.captions() == []  # no photo yet
    assert [a.text() for a in (strip.act_remove, strip.act_remove_failed, strip.act_reveal)] == [
        "«&Remove from the list»", "«Remove all &failed»", "«Open containing f&older»"]
    assert panel.plot_a.accessibleName().startswith("«") and "«Histograms appear" in panel.table.text()
    assert compare.run_button.text() == "«&Run again»" and compare.empty.text().startswith("«")
    panel.set_data(jobs.HistogramSet([jobs.HistogramSeries("Original (toned scan)", np.ones(50), np.ones(44),
                                                           np.ones(44), 12.0, role="toned")]))
    assert "«toned scan: one tint, not a colour reference»" in panel.table.text()
