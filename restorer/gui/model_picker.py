"""The model picker's texts and choices: one label and tooltip per model card, and which model to start with.

Plain functions over the cards (from ``restorer.core.models.list_models``) and a QComboBox, so the window only
wires them up.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QComboBox


def card_tooltip(card: Any) -> str:
    """Rich text: name, description, working size, hint training, training minutes and headline numbers."""
    lines = [f"<b>{card.name}</b>"]
    if getattr(card, "description", ""):
        lines.append(card.description)
    hints = (QCoreApplication.translate("ModelPicker", "trained with hints") if getattr(card, "hints", False)
             else QCoreApplication.translate("ModelPicker", "no hint training"))
    lines.append(QCoreApplication.translate("ModelPicker", "working size {size} px · {hints}").format(
        size=card.working_size, hints=hints))
    facts = []
    minutes = getattr(card, "training_minutes", 0.0)
    if minutes:
        facts.append(QCoreApplication.translate("ModelPicker", "{minutes} min training").format(
            minutes=f"{float(minutes):.0f}"))
    headline = card.headline() if hasattr(card, "headline") else ""
    if headline:
        facts.append(headline)
    if facts:
        lines.append(" · ".join(facts))
    return "<br>".join(lines)


def fill_combo(combo: QComboBox, cards: Sequence[Any]) -> None:
    """One entry per card (data: its name); the label says which is the default, the fast one, experimental
    or yours."""
    combo.clear()
    for c in cards:
        label = c.label() if hasattr(c, "label") else c.name  # test doubles may be plain namespaces
        combo.addItem(label, c.name)
        combo.setItemData(combo.count() - 1, card_tooltip(c), Qt.ItemDataRole.ToolTipRole)


def startup_choice(cards: Sequence[Any], wanted: str) -> tuple[int, str]:
    """(index of the model to start with, a status message or ""): the remembered one if still installed,
    else the card marked default, else the first."""
    names = [c.name for c in cards]
    if wanted in names:
        return names.index(wanted), ""
    if not cards:
        return -1, ""
    default = next((i for i, c in enumerate(cards) if getattr(c, "default", False)), 0)
    note = f"Model {wanted!r} is no longer installed; using {names[default]}." if wanted else ""
    return default, note


def update_model_actions(win: Any, card: Any) -> None:
    """The picker's tooltip, and the hint tools offered only when they do something with ``card``."""
    win.model_combo.setToolTip(card_tooltip(card) if card is not None
                               else QCoreApplication.translate("ModelPicker", "No model"))
    # The hint tool is offered only when it does something: the model was trained with hints, or the engine
    # spreads hints by propagation (it does, for every model).
    card_hints = bool(getattr(card, "hints", False)) if card is not None else False
    available = card is not None and (card_hints or win.hints_propagate)
    for a in (win.act_hints, win.act_regions, win.hint_size_action, win.brush_size_action):
        a.setVisible(available)
        a.setEnabled(available)
    win.act_clear_hints.setEnabled(available)
    if available:
        how = (QCoreApplication.translate("ModelPicker", "the model reads hints directly and they are spread to "
                                                         "similar areas") if card_hints
               else QCoreApplication.translate("ModelPicker", "this model was not trained with hints; they are "
                                                              "spread to similar areas"))
        win.act_hints.setStatusTip(QCoreApplication.translate("ModelPicker", "Click the photo to set a colour "
                                                                             "({how})").format(how=how))
        win.act_hints.setToolTip(QCoreApplication.translate("ModelPicker", "Hint tool (H): click to set a colour; "
                                                                           "{how}").format(how=how))
    else:
        win.act_hints.setChecked(False)
        win.act_regions.setChecked(False)
    win.act_colourise.setEnabled(card is not None)


def apply_model_list(win: Any, cards: Sequence[Any], select: str | None) -> None:
    """A re-read model list (one was trained or imported): the picker keeps the user's model and the comparison
    its ticks unless ``select`` names another model."""
    before = win.current_model()
    win.cards = list(cards)
    win.model_combo.blockSignals(True)
    fill_combo(win.model_combo, win.cards)
    index = win.model_combo.findData(select or before)
    win.model_combo.setCurrentIndex(index if index >= 0 else 0)
    win.model_combo.blockSignals(False)
    win.compare.set_models(win.cards, win.compare.checked_models())
    if win.current_model() != before:
        win.on_model_changed(win.model_combo.currentIndex())
    else:
        update_model_actions(win, win.current_card())
    win.modelsReady.emit()
