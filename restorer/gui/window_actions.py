"""The main window's actions, menus and toolbar (what each command is called, its keys, where it appears), its
remembered settings, its About box and icon.

Built by functions over the window (they set ``win.act_*``) so the window's module keeps only its behaviour.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QToolBar, QWidget

from restorer.gui import settings as S
from restorer.gui.hints_tool import DEFAULT_RADIUS
from restorer.gui.hold_key import HoldKey
from restorer.gui.region_tool import DEFAULT_BRUSH_PX
from restorer.gui.theme import THEMES
from restorer.gui.viewer import PhotoViewer

if TYPE_CHECKING:  # pragma: no cover
    from restorer.gui.main_window import MainWindow


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Shift+Z and (outside macOS) Ctrl+Y, each once.

    The platform list often holds Ctrl+Shift+Z already; binding it twice made Qt call it ambiguous and Redo
    worked only from the menu.
    """
    wanted = [*QKeySequence.keyBindings(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z")]
    if sys.platform != "darwin":
        wanted.append(QKeySequence("Ctrl+Y"))
    out: list[QKeySequence] = []
    for k in wanted:
        if not k.isEmpty() and all(k != o for o in out):
            out.append(k)
    return out


def action(win: QMainWindow, text: str, slot, shortcut: QKeySequence | str | list | None = None, tip: str = "",
            checkable: bool = False) -> QAction:
    a = QAction(text, win)
    if shortcut is not None:
        if isinstance(shortcut, list):
            a.setShortcuts(shortcut)
        else:
            a.setShortcut(QKeySequence(shortcut))
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(f"{tip} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                     if a.shortcut().toString() else tip)
    a.setCheckable(checkable)
    if checkable:
        a.toggled.connect(slot)
    else:
        a.triggered.connect(lambda _=False: slot())
    win.addAction(a)  # shortcuts work even when the menu bar is hidden
    return a


def build_actions(win: MainWindow) -> None:
    """Every QAction of the window, as ``win.act_*`` (and the view-mode and theme groups)."""
    SK = QKeySequence.StandardKey
    win.act_open = action(win, "&Open photos…", win.open_dialog, SK.Open, "Open photo files")
    win.act_open_folder = action(win, "Open &folder…", win.open_folder_dialog, "Ctrl+Shift+O",
                                        "Open every photo in a folder and its subfolders")
    win.act_save = action(win, "&Save colour version…", win.exporter.save_current, SK.Save,
                                 "Save the current photo in colour at full resolution")
    win.act_save_all = action(win, "Save &all…", win.exporter.save_all, "Ctrl+Shift+S",
                                     "Colourise every loaded photo at full resolution into a folder")
    win.act_colourise_folder = action(win, "Colourise &folder…", win.colourise_folder, "Ctrl+Shift+B",
                                      "Colourise every photo in a folder and its subfolders into another folder, "
                                      "in the batch queue")
    win.act_quit = action(win, "&Quit", win.close, SK.Quit)
    win.act_colourise = action(win, "&Colourise again", lambda: win.colourise_again(), "Ctrl+R",
                                      "Run the model on the current photo again")
    win.act_cancel = action(win, "Cancel", win.cancel_work, "Esc", "Stop the running work")
    win.act_fit = action(win, "&Fit to window", win.viewer.fit, "Ctrl+0", "Show the whole photo")
    win.act_100 = action(win, "&Actual size (100 %)", win.viewer.actual_size, "Ctrl+1",
                                "One photo pixel per screen pixel")
    win.act_zoom_in = action(win, "Zoom &in", win.viewer.zoom_in, [QKeySequence(SK.ZoomIn),
                                                                     QKeySequence("Ctrl+=")], "Zoom in")
    win.act_zoom_out = action(win, "Zoom &out", win.viewer.zoom_out, SK.ZoomOut, "Zoom out")
    win.act_compare = action(win, "&Compare models", win.toggle_compare, "Ctrl+K",
                                    "Compare 2-4 models on this photo")
    # Hold T to peek at the original (HoldKey below); Original is also a view mode of its own (mode_actions).
    win.hold_t = HoldKey(win, Qt.Key.Key_T, lambda held: win.update_original())
    win.act_hints = action(win, "&Hint tool", win.set_hint_tool, "H",
                                  "Click the photo to tell the model a colour", checkable=True)
    win.act_hints.setEnabled(False)
    win.act_regions = action(win, "&Region tool", win.set_region_tool, "R",
                                    "Paint over the photo and give that region one colour", checkable=True)
    win.act_regions.setEnabled(False)
    win.act_clear_hints = action(win, "Clear hints", win.clear_hints, None,
                                        "Remove every hint and region of this photo")
    win.act_undo = win.undo_group.createUndoAction(win, "&Undo")
    win.act_undo.setShortcut(SK.Undo)
    win.act_redo = win.undo_group.createRedoAction(win, "&Redo")
    win.act_redo.setShortcuts(redo_shortcuts())
    win.addAction(win.act_undo)
    win.addAction(win.act_redo)

    win.mode_group = QActionGroup(win)
    win.mode_actions: dict[str, QAction] = {}
    for mode, text, key in (("split", "&Split slider", "Ctrl+2"), ("side", "Side &by side", "Ctrl+3"),
                            ("toggle", "Colo&ur", "Ctrl+4"), ("original", "&Original", "Ctrl+5")):
        a = QAction(text, win, checkable=True)
        a.setShortcut(QKeySequence(key))
        a.setToolTip(f"{text.replace('&', '')} view ({key})")
        a.triggered.connect(lambda _=False, m=mode: win.set_view_mode(m))
        win.mode_group.addAction(a)
        win.addAction(a)
        win.mode_actions[mode] = a
    win.act_original = win.mode_actions["original"]

    win.theme_group = QActionGroup(win)
    win.theme_actions: dict[str, QAction] = {}
    for name in THEMES:
        a = QAction(name.capitalize(), win, checkable=True)
        a.triggered.connect(lambda _=False, n=name: win.set_theme(n))
        win.theme_group.addAction(a)
        win.theme_actions[name] = a


def build_menus_and_toolbar(win: MainWindow) -> None:
    """The menu bar and the main toolbar, from the actions of :func:`build_actions`."""
    mb = win.menuBar()
    m = mb.addMenu("&File")
    for a in (win.act_open, win.act_open_folder, None, win.act_save, win.act_save_all, win.act_colourise_folder,
              None, win.act_quit):
        m.addSeparator() if a is None else m.addAction(a)
    from restorer.gui.variations_dialog import VariationsAction

    win.variations = VariationsAction(win)
    m = mb.addMenu("&Edit")
    for a in (win.act_undo, win.act_redo, None, win.act_hints, win.act_regions, win.act_clear_hints, None,
              win.variations.action):
        m.addSeparator() if a is None else m.addAction(a)
    m = mb.addMenu("&View")
    for a in (win.act_fit, win.act_100, win.act_zoom_in, win.act_zoom_out, None):
        m.addSeparator() if a is None else m.addAction(a)
    for a in win.mode_actions.values():
        m.addAction(a)
    m.addSeparator()
    m.addAction(win.act_compare)
    m.addAction(win.strip_dock.toggleViewAction())
    m.addAction(win.hist_dock.toggleViewAction())
    m.addAction(win.region_dock.toggleViewAction())
    m.addAction(win.queue.toggleViewAction())
    tm = m.addMenu("T&heme")
    for a in win.theme_actions.values():
        tm.addAction(a)
    m = mb.addMenu("&Tools")
    m.addAction(win.act_colourise)
    m.addAction(win.act_cancel)
    m.addSeparator()
    win.act_train = m.addAction("&Fine-tune on my photos…", win.show_train_dialog)
    win.act_train.setStatusTip("Train a model on a folder of your own colour photos (runs in the background)")
    from restorer.gui.model_manager import add_tools_entries  # reference mode, model manager, models folder

    add_tools_entries(win, m)
    m = mb.addMenu("&Help")
    m.addAction("&About Restorer", lambda: about(win))

    tb = QToolBar("Main")
    tb.setObjectName("mainToolbar")
    tb.setIconSize(QSize(18, 18))
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    win.addToolBar(tb)
    tb.addAction(win.act_open)
    tb.addAction(win.act_open_folder)
    tb.addAction(win.act_save)
    tb.addSeparator()
    tb.addWidget(QLabel(" Model: "))
    tb.addWidget(win.model_combo)
    tb.addWidget(labelled(" Colour:", win.strength_box))
    tb.addSeparator()
    for a in win.mode_actions.values():
        tb.addAction(a)
    tb.addSeparator()
    tb.addAction(win.act_hints)
    win.hint_size_action = tb.addWidget(labelled("Size:", win.hint_size))
    tb.addAction(win.act_regions)
    win.brush_size_action = tb.addWidget(labelled("Brush:", win.brush_size))
    tb.addAction(win.variations.action)
    for a in (win.hint_size_action, win.brush_size_action):
        a.setEnabled(False)  # like the tools themselves, until the model list says hints work
    tb.addSeparator()
    tb.addAction(win.act_fit)
    tb.addAction(win.act_compare)
    for a, text in ((win.act_open, "Open"), (win.act_open_folder, "Open folder"), (win.act_save, "Save"),
                    (win.act_fit, "Fit"), (win.act_compare, "Compare"), (win.act_hints, "Hints"),
                    (win.act_regions, "Region"), (win.act_original, "Original")):
        a.setIconText(text)
    for mode in PhotoViewer.MODES:
        win.mode_actions[mode].setIconText(PhotoViewer.mode_label(mode))


def labelled(text: str, widget: QWidget) -> QWidget:
    """``widget`` after a small label, as one toolbar item (hidden and disabled together)."""
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(2, 0, 6, 0)
    lay.setSpacing(4)
    label = QLabel(text)
    label.setBuddy(widget)
    lay.addWidget(label)
    lay.addWidget(widget)
    return box


def restore_settings(win: MainWindow) -> None:
    """Geometry, docks, theme, view mode, tool sizes and colour strength as the user left them."""
    st = S.settings()
    geo = st.value(S.GEOMETRY)
    if isinstance(geo, QByteArray) and not geo.isEmpty():
        win.restoreGeometry(geo)
    else:
        win.resize(1400, 900)
    state = st.value(S.STATE)
    if isinstance(state, QByteArray) and not state.isEmpty():
        win.restoreState(state)
    win.set_theme(S.get_str(S.THEME, "system"), save=False)
    mode = S.get_str(S.VIEW_MODE, "split")
    win.set_view_mode(mode if mode in PhotoViewer.MODES else "split", save=False)
    win.hint_size.set_radius(S.get_float(S.HINT_RADIUS, DEFAULT_RADIUS))
    win.hint_controller.radius = win.hint_size.radius()
    win.brush_size.setValue(int(S.get_float(S.BRUSH_PX, DEFAULT_BRUSH_PX)))
    win.region_controller.set_brush_px(win.brush_size.value())
    win.strength_box.blockSignals(True)  # nothing to re-run yet
    win.strength_box.setValue(int(round(S.get_float(S.STRENGTH, 100.0))))  # QSpinBox clamps to its range
    win.strength_box.blockSignals(False)

def save_settings(win: MainWindow) -> None:
    S.put(S.GEOMETRY, win.saveGeometry())
    S.put(S.STATE, win.saveState())
    S.put(S.VIEW_MODE, win.viewer.mode())
    S.put(S.COMPARE_MODELS, win.compare.checked_models())
    if win.current_model():
        S.put(S.MODEL, win.current_model())


def about(win: MainWindow) -> None:
    from restorer import __version__

    QMessageBox.about(win, "About Restorer",
                      f"<b>Restorer {__version__}</b><br>Brings colour back to old black-and-white photos."
                      f"<br>Device: {win.device_text or 'unknown'}")


def app_icon() -> QIcon:
    """The window/taskbar icon: the SVG, plus a 256 px PNG for builds without Qt's SVG plugin."""
    from restorer.paths import resources_dir

    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ("restorer.svg", "restorer.png"):
        if (folder / name).exists():
            icon.addFile(str(folder / name))
    return icon
