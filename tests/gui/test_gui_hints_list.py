"""The Hints dock (every hint and region with its swatch; selecting highlights), colour suggestions when a hint is
placed, and the Region tool's magic wand."""
from __future__ import annotations

import numpy as np
from guihelpers import open_and_wait, place_hint_and_region
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

NAVY = QColor(20, 30, 110)
RED = QColor(190, 60, 40)


def _with_hint_and_region(qtbot, window, gray_png):
    place_hint_and_region(qtbot, window, gray_png, NAVY, RED)
    window.region_dock.show()
    return window.region_dock


def test_the_list_shows_every_hint_and_region_and_selecting_highlights(qtbot, window, gray_png):
    dock = _with_hint_and_region(qtbot, window, gray_png)
    texts = [dock.list.item(i).text() for i in range(dock.list.count())]
    assert len(texts) == 2 and texts[0].startswith("Hint 1") and texts[1].startswith("Region 1")
    assert not dock.list.item(0).icon().isNull()
    window.act_hints.setChecked(False)
    dock.list.setCurrentRow(0)
    assert window.hint_controller.highlighted == 0 and window.region_controller.selected() == -1
    (item,) = window.hint_controller.items()  # shown with the tool off, because the list points at it
    assert not item.isEnabled()
    dock.list.setCurrentRow(1)
    assert window.region_controller.selected() == 1 and window.hint_controller.highlighted == -1
    dock.list.setCurrentRow(0)
    dock.remove_button.click()
    assert window.doc.undo.undoText() == "Remove hint"
    assert dock.list.count() == 1 and dock.list.item(0).text().startswith("Region 1")
    window.act_undo.trigger()
    assert dock.list.count() == 2


def test_placing_a_hint_offers_the_models_colour_and_alternatives(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    seen = {}

    def picker(initial, parent):
        seen["initial"] = initial
        seen["offered"] = [QColorDialog.customColor(i) for i in range(5)]
        return NAVY

    window.hint_controller.picker = picker
    window.act_hints.setChecked(True)
    window.hint_controller.add_at(QPointF(30, 30))
    first, *rest = seen["offered"]
    assert abs(first.red() - seen["initial"].red()) <= 3 and abs(first.blue() - seen["initial"].blue()) <= 3
    assert len({c.name() for c in seen["offered"]}) == 5  # five different colours


def test_magic_wand_selects_the_bright_block_from_a_short_stroke(qtbot, window, gray_png):
    open_and_wait(qtbot, window, gray_png)
    window.region_controller.picker = lambda initial, parent: RED
    window.act_regions.setChecked(True)
    window.region_dock.wand_box.setChecked(True)
    ctl = window.region_controller
    ctl.set_brush_px(4)
    ctl.begin_stroke(QPointF(60, 45))
    ctl.continue_stroke(QPointF(66, 45))
    ctl.finish_stroke()
    (spec,) = [s for _, s in ctl.regions()]
    rows, cols = spec.mask.shape
    m = spec.mask > 0
    block = np.zeros_like(m)
    block[int(30 * rows / 96):int(60 * rows / 96), int(40 * cols / 128):int(90 * cols / 128)] = True
    assert (m & block).sum() > 0.9 * block.sum()  # the whole bright block (gray_photo: g[30:60, 40:90] = 220)
    assert (m & ~block).sum() < 0.1 * block.sum()  # and little of the gradient around it
    assert window.doc.undo.undoText() == "Paint region"
