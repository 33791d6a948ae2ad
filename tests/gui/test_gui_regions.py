"""The Region tool (paint a mask, give it a colour, erase, undo) and the hint size control."""
from __future__ import annotations

import numpy as np
import pytest
from guihelpers import open_and_wait, recording_picker
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from restorer.core.color import rgb_to_lab, to_float
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.qimage import qimage_to_numpy
from restorer.gui.region_tool import RegionSpec

# A moderate blue: far from the tiny test models' orange tint, and inside the sRGB gamut at the photo's lightness.
BLUE = QColor(40, 90, 190)
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NOMOD, SHIFT, CTRL = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier,
                      Qt.KeyboardModifier.ControlModifier)


def _region_window(qtbot, window, gray_png, colour=BLUE):
    open_and_wait(qtbot, window, gray_png)
    assert window.act_regions.isVisible() and window.act_regions.isEnabled()
    window.region_controller.picker, asked = recording_picker(colour)
    window.brush_size.setValue(40)
    window.act_regions.setChecked(True)
    return asked


def _drag(qtbot, window, points, button=LEFT, mods=NOMOD):
    """Press at the first photo point, move through the others, release: the user's own mouse events."""
    view = window.viewer.primary
    vp = view.viewport()
    pos = [view.mapFromScene(QPointF(x, y)) for x, y in points]
    qtbot.mousePress(vp, button, mods, pos[0])
    for p in pos[1:]:
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, button, mods, pos[-1])


def _paint(qtbot, window, points, **kw):
    """A stroke that ends in a new preview (stroke -> colour -> region -> debounced re-run)."""
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        _drag(qtbot, window, points, **kw)
    return blocker.args[0]


def _brush_radius(window) -> float:
    """Brush radius in photo pixels at the current zoom (the test photo is smaller than the mask cap)."""
    return window.brush_size.value() / 2 / window.viewer.primary.zoom_level()


def _distance_to_segment(shape, a, b) -> np.ndarray:
    """Distance of every pixel centre of ``shape`` to the segment a-b (photo pixel coordinates)."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64) + 0.5
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return np.hypot(xx - (ax + t * dx), yy - (ay + t * dy))


def _regions(window):
    return [s for s in window.doc.hints.specs() if isinstance(s, RegionSpec)]


def _ab(pixels) -> np.ndarray:
    return rgb_to_lab(to_float(pixels))[..., 1:]


def test_stroke_creates_a_region_covering_the_painted_area_only(qtbot, window, gray_png):
    asked = _region_window(qtbot, window, gray_png)
    before = window.displayed_result()
    a, b = (20, 30), (50, 30)
    res = _paint(qtbot, window, [a, (35, 30), b])
    (spec,) = _regions(window)
    assert spec.mask.shape == (96, 128)  # the photo's own grid: it is smaller than the mask cap
    r = _brush_radius(window)
    assert 2 < r < 20  # the brush is sized on screen; check the test really paints a band of some width
    d = _distance_to_segment(spec.mask.shape, a, b)
    painted = spec.mask >= 128
    assert painted[d <= r - 1.5].all()
    assert not spec.mask[d >= r + 1.5].any()
    # The dialog started at the previous result's mean colour under the stroke.
    w = spec.mask.astype(np.float64)
    expected = (before.pixels.astype(np.float64) * w[..., None]).sum((0, 1)) / w.sum()
    got = np.array([asked[0].red(), asked[0].green(), asked[0].blue()])
    assert np.abs(got - expected).max() <= 1.0
    assert spec.rgb == (round(BLUE.redF(), 4), round(BLUE.greenF(), 4), round(BLUE.blueF(), 4))
    assert jobs.count_hints(res.hints_key) == (0, 1)
    assert "1 region" in window.viewer.primary._captions[1]


def test_region_recolours_the_preview_inside_and_barely_outside(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    before = window.displayed_result()
    a, b = (15, 22), (55, 22)
    after = _paint(qtbot, window, [a, b])
    (spec,) = _regions(window)
    d = _distance_to_segment(spec.mask.shape, a, b)
    r = _brush_radius(window)
    inside = d <= r - 2
    outside = d >= r + 14  # beyond the feather and the guided filter's reach
    assert inside.sum() > 50 and outside.sum() > 5000
    target = rgb_to_lab(np.array([[[BLUE.redF(), BLUE.greenF(), BLUE.blueF()]]], np.float32))[0, 0, 1:]
    ab0, ab1 = _ab(before.pixels), _ab(after.pixels)
    dist0 = np.linalg.norm(ab0[inside].mean(0) - target)
    dist1 = np.linalg.norm(ab1[inside].mean(0) - target)
    assert dist0 > 40  # the model's own colour was far from blue...
    assert dist1 < 0.25 * dist0  # ...and inside the region the result now is blue
    hue = np.degrees(np.arctan2(ab1[inside][:, 1], ab1[inside][:, 0])).mean()
    target_hue = np.degrees(np.arctan2(target[1], target[0]))
    assert abs(hue - target_hue) < 15
    # Outside, the colour is the model's as before.
    assert np.abs(ab1[outside] - ab0[outside]).mean() < 1.5
    # Lightness is the photo's everywhere (only chroma is added).
    L0 = rgb_to_lab(to_float(before.pixels))[..., 0]
    L1 = rgb_to_lab(to_float(after.pixels))[..., 0]
    assert np.abs(L1 - L0)[inside].mean() < 3


def test_undo_removes_the_region_and_reruns(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    _paint(qtbot, window, [(20, 30), (60, 30)])
    assert len(_regions(window)) == 1
    assert window.doc.undo.undoText() == "Paint region"  # was "Add hint"
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        window.act_undo.trigger()  # Ctrl+Z
    assert window.doc.hints.specs() == [] and blocker.args[0].hints_key == ()
    assert window.region_controller.overlay._layer is None
    window.act_redo.trigger()
    assert len(_regions(window)) == 1


def test_erase_with_right_drag_and_shift_drag(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    window.brush_size.setValue(30)
    _paint(qtbot, window, [(10, 40), (110, 40)])
    (full,) = _regions(window)
    assert (full.mask[40, 15:105] >= 200).all()
    _paint(qtbot, window, [(40, 25), (40, 55)], button=RIGHT)
    (spec,) = _regions(window)
    r = _brush_radius(window)
    assert not spec.mask[35:46, int(40 - r + 2):int(40 + r - 2)].any()  # a gap where the eraser went
    assert (spec.mask[40, 15:int(40 - r - 2)] >= 200).all() and (spec.mask[40, int(40 + r + 2):105] >= 200).all()
    _paint(qtbot, window, [(80, 25), (80, 55)], mods=SHIFT)
    (spec,) = _regions(window)
    assert not spec.mask[35:46, int(80 - r + 2):int(80 + r - 2)].any()
    assert (spec.mask[40, 15:int(40 - r - 2)] >= 200).all()
    # Erasing the rest removes the region itself; one undo brings it back.
    with qtbot.waitSignal(window.previewReady, timeout=30_000) as blocker:
        _drag(qtbot, window, [(2, 40), (126, 40)], button=RIGHT)
    assert _regions(window) == [] and blocker.args[0].hints_key == ()
    window.act_undo.trigger()
    (spec,) = _regions(window)
    assert (spec.mask[40, 15:int(40 - r - 2)] >= 200).all()


def test_erase_touches_no_region_and_asks_nothing(qtbot, window, gray_png):
    asked = _region_window(qtbot, window, gray_png)
    _drag(qtbot, window, [(20, 20), (60, 20)], button=RIGHT)
    qtbot.wait(50)
    assert window.doc.hints.specs() == [] and asked == [] and window.doc.undo.count() == 0


def test_cancelled_colour_adds_nothing(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    window.region_controller.picker = lambda initial, parent: None
    _drag(qtbot, window, [(20, 20), (60, 20)])
    qtbot.waitUntil(lambda: window.region_controller.stroke() is None, timeout=5_000)
    assert window.doc.hints.specs() == [] and window.doc.undo.count() == 0


def test_ctrl_drag_adds_to_the_selected_region_keeping_its_colour(qtbot, window, gray_png):
    asked = _region_window(qtbot, window, gray_png)
    _paint(qtbot, window, [(20, 20), (40, 20)])
    _paint(qtbot, window, [(20, 70), (40, 70)], mods=CTRL)
    assert len(asked) == 1  # no second colour question
    (spec,) = _regions(window)
    assert spec.mask[20, 30] >= 200 and spec.mask[70, 30] >= 200


def test_regions_dock_recolours_and_removes(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    _paint(qtbot, window, [(20, 20), (40, 20)])
    _paint(qtbot, window, [(20, 70), (40, 70)])
    dock = window.region_dock
    assert dock.isVisible() and dock.list.count() == 2
    dock.list.setCurrentRow(0)
    assert window.region_controller.selected() == 0
    window.region_controller.picker = lambda initial, parent: QColor(200, 30, 30)
    dock.recolour_button.click()
    red, blue = _regions(window)
    assert red.rgb[0] > 0.7 and blue.rgb[2] > 0.7  # only the selected one changed colour
    assert window.doc.undo.undoText() == "Recolour region"
    dock.list.setCurrentRow(0)
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        dock.remove_button.click()
    (left,) = _regions(window)
    assert left is blue and dock.list.count() == 1
    # Like any list: the region that moved into the removed one's place is now selected.
    assert window.region_controller.selected() == 0 and dock.list.currentRow() == 0
    dock.remove_button.click()
    assert _regions(window) == [] and dock.list.count() == 0 and not dock.remove_button.isEnabled()


def test_region_tool_is_offered_with_the_hint_tool(qtbot, window, gray_png, monkeypatch):
    _region_window(qtbot, window, gray_png)
    monkeypatch.setattr(window.current_card(), "hints", False)
    window.hints_propagate = False
    window._update_model_ui()
    assert not window.act_regions.isVisible() and not window.act_regions.isEnabled()
    assert not window.act_regions.isChecked() and not window.region_controller.is_active()
    assert not window.brush_size_action.isVisible() and not window.hint_size_action.isVisible()


def test_clear_hints_clears_regions_and_points(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    _paint(qtbot, window, [(20, 20), (40, 20)])
    window.hint_controller.picker = lambda initial, parent: QColor(10, 200, 10)
    window.hint_controller.add_at(QPointF(100, 80))
    assert len(window.doc.hints) == 2
    window.act_clear_hints.trigger()
    assert len(window.doc.hints) == 0
    window.act_undo.trigger()  # one step
    assert len(window.doc.hints) == 2


def test_region_and_hint_tools_exclude_each_other(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    rc, hc = window.region_controller, window.hint_controller
    assert window.act_regions.shortcut().toString() == "R" and window.act_regions.isCheckable()
    assert rc.is_active() and rc.overlay.isVisible()
    window.act_hints.setChecked(True)
    assert not window.act_regions.isChecked() and not rc.is_active() and not rc.overlay.isVisible()
    assert hc.is_active() and window.viewer.primary._hint_mode
    window.act_regions.setChecked(True)
    assert not window.act_hints.isChecked() and not hc.is_active() and rc.is_active()
    assert window.viewer.primary._hint_mode  # the crosshair stays: the region tool owns the mouse now


def test_overlay_is_drawn_at_any_zoom(qtbot, window, gray_png):
    _region_window(qtbot, window, gray_png)
    view = window.viewer.primary
    _paint(qtbot, window, [(20, 20), (50, 20)])
    window.set_view_mode("toggle")
    window.viewer.show_original(True)  # the gray original everywhere: any colour on screen is the overlay's
    for zoom in (None, 3.0 * view.zoom_level()):
        if zoom is not None:
            view.set_zoom(zoom)
            view.centerOn(QPointF(35, 20))
        pt = view.mapFromScene(QPointF(35, 20))
        shown = qimage_to_numpy(view.viewport().grab().toImage())
        window.act_regions.setChecked(False)
        plain = qimage_to_numpy(view.viewport().grab().toImage())
        window.act_regions.setChecked(True)
        dpr = shown.shape[1] / view.viewport().width()
        y, x = int(pt.y() * dpr), int(pt.x() * dpr)
        tinted, base = shown[y, x].astype(int), plain[y, x].astype(int)
        assert base[2] - base[0] == 0 and tinted[2] - tinted[0] > 30  # blue where the region is
        far = view.mapFromScene(QPointF(100, 80))
        if view.viewport().rect().contains(far):
            assert np.abs(shown[int(far.y() * dpr), int(far.x() * dpr)].astype(int)
                          - plain[int(far.y() * dpr), int(far.x() * dpr)]).max() <= 2


def test_hint_size_sets_the_radius_of_new_hints_and_is_remembered(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    ctl = window.hint_controller
    ctl.picker = lambda initial, parent: QColor(20, 30, 110)
    assert window.hint_size.currentText() == "Medium"
    ctl.add_at(QPointF(20, 20))
    window.hint_size.setCurrentIndex(window.hint_size.findText("Large"))
    ctl.add_at(QPointF(60, 60))
    window.hint_size.setCurrentIndex(window.hint_size.findText("Small"))
    ctl.add_at(QPointF(100, 40))
    radii = [s.radius for s in window.doc.hints.specs()]
    assert radii == [0.01, 0.02, 0.005]  # placed hints keep their own size
    assert S.get_float(S.HINT_RADIUS, 0.0) == 0.005
    assert {k[3] for k in jobs.hints_key(window.doc.hints.specs())} == {0.01, 0.02, 0.005}
    assert [h.radius for h in jobs.to_core_hints(window.doc.hints.specs())] == radii


def test_tool_sizes_are_restored_by_a_new_window(qtbot, only_tiny_models):
    from restorer.gui.main_window import MainWindow

    S.put(S.HINT_RADIUS, 0.04)
    S.put(S.BRUSH_PX, 72)
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.hint_size.currentText() == "Extra large" and win.hint_controller.radius == 0.04
    assert win.brush_size.value() == 72 and win.region_controller.brush_px == 72
    qtbot.waitUntil(lambda: win.model_combo.count() >= 2, timeout=30_000)
    win.close()


def test_hints_key_tracks_the_mask_content():
    m1 = np.zeros((30, 40), np.uint8)
    m1[5:15, 5:20] = 255
    m2 = m1.copy()
    m2[20:25, 30:35] = 255
    blue = (0.2, 0.3, 0.8)
    k1, k1b, k2 = (jobs.hints_key([RegionSpec(m, blue)]) for m in (m1, m1.copy(), m2))
    assert k1 == k1b  # same content, another array: the cached preview is still right
    assert k1 != k2  # a different stroke is a different result
    assert jobs.hints_key([RegionSpec(m1, (0.8, 0.2, 0.2))]) != k1
    assert jobs.hints_key([RegionSpec(m1[:, :39], blue)]) != k1


def test_region_mask_is_read_only_and_feathered_for_the_core():
    from restorer.core.hints import RegionHint

    m = np.zeros((60, 80), np.uint8)
    m[20:40, 20:60] = 255
    spec = RegionSpec(m, (0.2, 0.3, 0.8))
    m[:] = 0  # the caller's array is not the spec's
    assert spec.mask.max() == 255 and not spec.mask.flags.writeable
    with pytest.raises(ValueError):
        spec.mask[0, 0] = 1
    (core,) = jobs.to_core_hints([spec])
    assert isinstance(core, RegionHint) and core.mask.dtype == np.float32
    assert core.mask[30, 40] == pytest.approx(1.0, abs=1e-3) and core.mask[5, 5] == pytest.approx(0.0, abs=1e-3)
    edge = core.mask[30, 17:23]  # across the left edge at column 20: a ramp, not a step
    assert 0.2 < core.mask[30, 20] < 1.0 and 0.0 < core.mask[30, 19] < 0.8
    assert np.all(np.diff(edge) >= 0)
    assert core.ab[1] < -20  # blue
