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
    with qtbot.waitSignal(window.histogramsReady, timeout=30_000) as blocker:
        window.model_combo.setCurrentIndex(1 - window.model_combo.currentIndex())
    second = blocker.args[0]
    assert second.series[1].label != first.series[1].label


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
