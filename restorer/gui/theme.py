"""Light / dark / system appearance. Fusion + an explicit palette, so "dark" looks the same on every OS."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")

_system: tuple[str, QPalette] | None = None


def _remember_system(app: QApplication) -> tuple[str, QPalette]:
    global _system
    if _system is None:
        _system = (app.style().name(), QPalette(app.palette()))
    return _system


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(225, 225, 225)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, window)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor(55, 55, 58))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.BrightText, QColor(255, 80, 80))
        p.setColor(group, QPalette.ColorRole.Highlight, QColor(200, 120, 40))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor(0, 0, 0))
        p.setColor(group, QPalette.ColorRole.Link, QColor(240, 160, 80))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140))
    disabled = QColor(120, 120, 120)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor(55, 55, 58))
    return p


def apply_theme(name: str) -> str:
    """Apply ``system``, ``light`` or ``dark`` to the running application; returns the name applied."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "system"
    style_name, palette = _remember_system(app)
    name = name if name in THEMES else "system"
    if name == "system":
        app.setStyle(QStyleFactory.create(style_name) or style_name)
        app.setPalette(palette)
    elif name == "light":
        app.setStyle("Fusion")
        fusion = app.style().standardPalette()
        app.setPalette(fusion)
    else:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    return name
