"""The histogram dock shows exactly what restorer.core.metrics computes."""
from __future__ import annotations

import numpy as np
from guihelpers import open_and_wait

from restorer.core import metrics


def _wait_histograms(qtbot, window, n_series, timeout=30_000):
    qtbot.waitUntil(lambda: window.histograms.data is not None and len(window.histograms.data.series) == n_series,
                    timeout=timeout)
    return window.histograms.data


def test_histograms_equal_core_metrics(qtbot, window, gray_png, gray_photo):
    open_and_wait(qtbot, window, gray_png)
    data = _wait_histograms(qtbot, window, 2)
    result = window.displayed_result().pixels
    orig, res = data.series
    assert orig.role == "original" and orig.a is None  # gray original: L only
    np.testing.assert_allclose(orig.L, metrics.l_histogram(gray_photo))
    assert res.label == window.current_model()
    np.testing.assert_allclose(res.L, metrics.l_histogram(result))
    a, b = metrics.ab_histograms(result)
    np.testing.assert_allclose(res.a, a)
    np.testing.assert_allclose(res.b, b)
    assert res.colourfulness == metrics.colourfulness(result)
    # what the plots draw is that data
    drawn = {label: h for label, h, _, _ in window.histograms.plot_a.series()}
    np.testing.assert_allclose(drawn[res.label], a)
    assert res.label in window.histograms.table.text()


def test_histograms_vs_ground_truth_and_between_models(qtbot, window, colour_png):
    open_and_wait(qtbot, window, colour_png)
    data = _wait_histograms(qtbot, window, 2)
    truth, res = data.series
    assert truth.role == "truth" and data.reference == truth.label
    a_t, b_t = metrics.ab_histograms(window.doc.image.pixels)
    a_r, b_r = metrics.ab_histograms(window.displayed_result().pixels)
    assert res.js_a == metrics.js_divergence(a_t, a_r)
    assert res.js_b == metrics.js_divergence(b_t, b_r)

    # in the comparison, every model's result is plotted and measured
    window.compare.set_checked(["tiny-test", "tiny-test-2"])
    with qtbot.waitSignal(window.compare.comparisonFinished, timeout=60_000):
        window.act_compare.trigger()
    data = _wait_histograms(qtbot, window, 3)
    labels = [s.label for s in data.series]
    assert sorted(labels[1:]) == ["tiny-test", "tiny-test-2"]
    for s, r in zip(data.series[1:], window.compare.results()):
        a, b = metrics.ab_histograms(r.pixels)
        np.testing.assert_allclose(s.a, a)
        assert s.js_b == metrics.js_divergence(b_t, b)


def test_histogram_updates_when_result_changes(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    first = _wait_histograms(qtbot, window, 2)
    old_model = first.series[1].label
    window.model_combo.setCurrentIndex(1 - window.model_combo.currentIndex())
    new_model = window.current_model()
    assert new_model != old_model
    # (a computation for the old result may still land first; the panel must end up showing the new one)
    qtbot.waitUntil(lambda: window.histograms.data.series[-1].label == new_model, timeout=30_000)
    res = window.displayed_result()
    np.testing.assert_allclose(window.histograms.data.series[-1].a, metrics.ab_histograms(res.pixels)[0])


def test_two_models_without_ground_truth_are_measured_against_each_other(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    window.compare.set_checked(["tiny-test", "tiny-test-2"])
    with qtbot.waitSignal(window.compare.comparisonFinished, timeout=60_000):
        window.act_compare.trigger()
    data = _wait_histograms(qtbot, window, 3)
    assert data.reference == "each other"
    r1, r2 = data.series[1:]
    expected = metrics.js_divergence(r1.a, r2.a)
    assert r1.js_a == r2.js_a == expected > 0
    assert "each other" in window.histograms.table.text()


def test_ab_plots_zoom_to_where_the_colours_are(qtbot):
    from PySide6.QtGui import QColor

    from restorer.gui.histogram_widget import HistogramPlot

    plot = HistogramPlot("a", -110.0, 110.0, auto_zoom=True)
    qtbot.addWidget(plot)
    h = np.zeros(110)
    h[55] = 0.7  # centre +1
    h[62] = 0.3  # centre +15
    plot.set_series([("x", h, QColor("red"), False)])
    assert plot.visible_range() == (-20.0, 20.0)
    h2 = h.copy()
    h2[5] = 0.3  # centre -99: a third of the mass far out, the whole axis is needed
    plot.set_series([("x", h, QColor("red"), False), ("y", h2 / h2.sum(), QColor("blue"), False)])
    assert plot.visible_range() == (-110.0, 110.0)
    plot.resize(300, 120)
    plot.grab()  # paints without error


def test_unreadable_photo_clears_the_previous_histograms(qtbot, window, gray_png, tmp_path):
    open_and_wait(qtbot, window, gray_png)
    _wait_histograms(qtbot, window, 2)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    window.open_paths([broken])
    qtbot.waitUntil(lambda: window.strip.count() == 2, timeout=20_000)
    window.strip.select_path(broken)
    qtbot.waitUntil(lambda: window.histograms.data is None, timeout=10_000)


def sepia_png(folder):
    """A sepia print scanned in colour: real chroma (mean ~14), all of it along one hue that follows L."""
    from guihelpers import write_png

    from restorer.core.color import lab_to_rgb

    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    L = np.clip(50 + 35 * np.sin(x / 9.0) * np.cos(y / 7.0), 5, 95)
    c = 22 * np.sin(np.pi * L / 100.0)
    lab = np.stack([L, c * np.cos(np.deg2rad(75)), c * np.sin(np.deg2rad(75))], axis=-1)
    return write_png(folder / "sepia" / "sepia.png", np.round(lab_to_rgb(lab) * 255).astype(np.uint8))


def test_a_toned_scan_is_not_ground_truth(qtbot, window, tmp_path):
    path = sepia_png(tmp_path)
    open_and_wait(qtbot, window, path)
    assert window.doc.image.was_color  # it has chroma ...
    assert window.viewer.captions()[0] == "Original (toned scan)"  # ... but is labelled for what it is
    data = _wait_histograms(qtbot, window, 2)
    toned, res = data.series
    assert toned.role == "toned" and toned.a is not None  # its tint is plotted ...
    assert data.reference is None and res.js_a is None and res.js_b is None  # ... and scores nothing
    assert "toned scan" in window.histograms.table.text() and "ground truth" not in toned.label.lower()
    # the comparison gives no PSNR/SSIM against a tint either
    window.compare.set_checked(["tiny-test", "tiny-test-2"])
    with qtbot.waitSignal(window.compare.comparisonFinished, timeout=60_000):
        window.act_compare.trigger()
    assert all(t.result.psnr is None and "PSNR" not in t.label.text() for t in window.compare.tiles)
    data = _wait_histograms(qtbot, window, 3)
    assert data.reference == "each other"  # two models: measured against each other, not against the tint


def test_histogram_widgets_have_accessible_names(qtbot):
    from restorer.gui.histogram_widget import HistogramPanel

    panel = HistogramPanel()
    qtbot.addWidget(panel)
    assert panel.accessibleName() == "Histograms"
    assert [p.accessibleName() for p in (panel.plot_L, panel.plot_a, panel.plot_b)] == [
        "L (lightness) histogram", "a (green − / red +) histogram", "b (blue − / yellow +) histogram"]
    assert panel.plot_a.accessibleDescription() == "no data yet"
    panel.plot_a.set_series([("Original", np.ones(44), panel.palette().text().color(), True)])
    assert panel.plot_a.accessibleDescription().startswith("Original; from")
