"""The main window's actions, menus and toolbar (what each command is called, its keys, where it appears), its
remembered settings, its About box and icon.

Built by functions over the window (they set ``win.act_*``) so the window's module keeps only its behaviour.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMenu, QMessageBox, QToolBar, QToolButton, QWidget

from restorer.gui import settings as S
from restorer.gui.hints_tool import DEFAULT_RADIUS
from restorer.gui.hold_key import HoldKey
from restorer.gui.region_tool import DEFAULT_BRUSH_PX
from restorer.gui.theme import THEMES
from restorer.gui.viewer import PhotoViewer

if TYPE_CHECKING:  # pragma: no cover
    from restorer.gui.main_window import MainWindow

#: The menu commands without a key of their own (reached with the menus' Alt keys and the arrows): choices made
#: once in a while, each opening a dialog or a folder, or showing a panel. Every other action has a shortcut
#: (tests/gui/test_gui_keyboard.py holds the window to this list).
MENU_ONLY = ("Photos", "Histograms", "Hints", "Batch queue", "System", "Light", "Dark", "Fine-tune on my photos…",
             "Colour like a reference photo…", "Manage models…", "Open models folder", "About Restorer")

#: Under this name (a bare ``translate(context, text)`` call) pyside6-lupdate finds the strings of these functions.
translate = QCoreApplication.translate


def shortcuts(*wanted: QKeySequence | QKeySequence.StandardKey | str) -> list[QKeySequence]:
    """Each standard key's platform bindings and each fixed key, in order, each once: a key bound twice makes Qt
    call it ambiguous, and it then works only from the menu."""
    out: list[QKeySequence] = []
    for w in wanted:
        keys = QKeySequence.keyBindings(w) if isinstance(w, QKeySequence.StandardKey) else [QKeySequence(w)]
        out += [k for k in keys if not k.isEmpty() and all(k != o for o in out)]
    return out


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Shift+Z and (outside macOS) Ctrl+Y, each once (the platform list often
    holds Ctrl+Shift+Z already)."""
    return shortcuts(QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z", *(["Ctrl+Y"] if sys.platform != "darwin" else []))


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
    win.act_open = action(win, translate("MainWindow", "&Open photos…"), win.open_dialog, SK.Open,
                          translate("MainWindow", "Open photo files"))
    win.act_open_folder = action(win, translate("MainWindow", "Open &folder…"), win.open_folder_dialog,
                                 "Ctrl+Shift+O", translate("MainWindow", "Open every photo in a folder and its "
                                                                         "subfolders"))
    win.act_save = action(win, translate("MainWindow", "&Save colour version…"), win.exporter.save_current, SK.Save,
                          translate("MainWindow", "Save the current photo in colour at full resolution"))
    win.act_save_all = action(win, translate("MainWindow", "Save &all…"), win.exporter.save_all, "Ctrl+Shift+S",
                              translate("MainWindow", "Colourise every loaded photo at full resolution into a "
                                                      "folder"))
    win.act_colourise_folder = action(win, translate("MainWindow", "Colourise &folder…"), win.colourise_folder,
                                      "Ctrl+Shift+B", translate("MainWindow", "Colourise every photo in a folder "
                                                                "and its subfolders into another folder, in the "
                                                                "batch queue"))
    # Some platforms (and the offscreen one) bind no Quit key: Ctrl+Q then, as on most desktops.
    win.act_quit = action(win, translate("MainWindow", "&Quit"), win.close, shortcuts(SK.Quit) or [QKeySequence("Ctrl+Q")])
    win.act_colourise = action(win, translate("MainWindow", "&Colourise again"), lambda: win.colourise_again(),
                               shortcuts("Ctrl+R", SK.Refresh),
                               translate("MainWindow", "Run the model on the current photo again"))
    win.act_cancel = action(win, translate("MainWindow", "Cancel"), win.cancel_work, QKeySequence(SK.Cancel),
                            translate("MainWindow", "Stop the running work"))
    win.act_fit = action(win, translate("MainWindow", "&Fit to window"), win.viewer.fit, "Ctrl+0",
                         translate("MainWindow", "Show the whole photo"))
    win.act_100 = action(win, translate("MainWindow", "&Actual size (100 %)"), win.viewer.actual_size, "Ctrl+1",
                         translate("MainWindow", "One photo pixel per screen pixel"))
    win.act_zoom_in = action(win, translate("MainWindow", "Zoom &in"), win.viewer.zoom_in,
                             [QKeySequence(SK.ZoomIn), QKeySequence("Ctrl+=")], translate("MainWindow", "Zoom in"))
    win.act_zoom_out = action(win, translate("MainWindow", "Zoom &out"), win.viewer.zoom_out, SK.ZoomOut,
                              translate("MainWindow", "Zoom out"))
    win.act_compare = action(win, translate("MainWindow", "&Compare models"), win.toggle_compare, "Ctrl+K",
                             translate("MainWindow", "Compare 2-4 models on this photo"))
    # Hold T to peek at the original (HoldKey below); Original is also a view mode of its own (mode_actions).
    win.hold_t = HoldKey(win, Qt.Key.Key_T, lambda held: win.update_original())
    win.act_hints = action(win, translate("MainWindow", "&Hint tool"), win.set_hint_tool, "H",
                           translate("MainWindow", "Click the photo to tell the model a colour"), checkable=True)
    win.act_hints.setEnabled(False)
    win.act_regions = action(win, translate("MainWindow", "&Region tool"), win.set_region_tool, "R",
                             translate("MainWindow", "Paint over the photo and give that region one colour"),
                             checkable=True)
    win.act_regions.setEnabled(False)
    win.act_clear_hints = action(win, translate("MainWindow", "Clear hints"), win.clear_hints, "Ctrl+Shift+Del",
                                 translate("MainWindow", "Remove every hint and region of this photo"))
    win.act_undo = win.undo_group.createUndoAction(win, translate("MainWindow", "&Undo"))
    win.act_undo.setShortcut(SK.Undo)
    win.act_redo = win.undo_group.createRedoAction(win, translate("MainWindow", "&Redo"))
    win.act_redo.setShortcuts(redo_shortcuts())
    win.addAction(win.act_undo)
    win.addAction(win.act_redo)
    _build_mode_and_theme_actions(win)


def _build_mode_and_theme_actions(win: MainWindow) -> None:
    win.mode_group = QActionGroup(win)
    win.mode_actions: dict[str, QAction] = {}
    texts = {"split": translate("MainWindow", "&Split slider"), "side": translate("MainWindow", "Side &by side"),
             "toggle": translate("MainWindow", "Colo&ur"), "original": translate("MainWindow", "&Original")}
    for mode, key in (("split", "Ctrl+2"), ("side", "Ctrl+3"), ("toggle", "Ctrl+4"), ("original", "Ctrl+5")):
        a = QAction(texts[mode], win, checkable=True)
        a.setShortcut(QKeySequence(key))
        a.setToolTip(translate("MainWindow", "{mode} view ({key})").format(mode=PhotoViewer.mode_label(mode),
                                                                             key=key))
        a.triggered.connect(lambda _=False, m=mode: win.set_view_mode(m))
        win.mode_group.addAction(a)
        win.addAction(a)
        win.mode_actions[mode] = a
    win.act_original = win.mode_actions["original"]

    win.theme_group = QActionGroup(win)
    win.theme_actions: dict[str, QAction] = {}
    names = {"system": translate("MainWindow", "&System"), "light": translate("MainWindow", "&Light"),
             "dark": translate("MainWindow", "&Dark")}
    for name in THEMES:
        a = QAction(names.get(name, name.capitalize()), win, checkable=True)
        a.triggered.connect(lambda _=False, n=name: win.set_theme(n))
        win.theme_group.addAction(a)
        win.theme_actions[name] = a


def build_menus_and_toolbar(win: MainWindow) -> None:
    """The menu bar and the main toolbar, from the actions of :func:`build_actions`."""
    mb = win.menuBar()
    m = mb.addMenu(translate("MainWindow", "&File"))
    for a in (win.act_open, win.act_open_folder, None, win.act_save, win.act_save_all, win.act_colourise_folder,
              None, win.act_quit):
        m.addSeparator() if a is None else m.addAction(a)
    from restorer.gui.variations_dialog import VariationsAction

    win.variations = VariationsAction(win)
    m = mb.addMenu(translate("MainWindow", "&Edit"))
    for a in (win.act_undo, win.act_redo, None, win.act_hints, win.act_regions, win.act_clear_hints, None,
              win.variations.action):
        m.addSeparator() if a is None else m.addAction(a)
    m = mb.addMenu(translate("MainWindow", "&View"))
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
    tm = m.addMenu(translate("MainWindow", "T&heme"))
    for a in win.theme_actions.values():
        tm.addAction(a)
    m = mb.addMenu(translate("MainWindow", "&Tools"))
    m.addAction(win.act_colourise)
    m.addAction(win.act_cancel)
    m.addSeparator()
    win.act_train = m.addAction(translate("MainWindow", "&Fine-tune on my photos…"), win.show_train_dialog)
    win.act_train.setStatusTip(translate("MainWindow", "Train a model on a folder of your own colour photos (runs "
                                                       "in the background)"))
    from restorer.gui.model_manager import add_tools_entries  # reference mode, model manager, models folder

    add_tools_entries(win, m)
    m = mb.addMenu(translate("MainWindow", "&Help"))
    win.act_about = m.addAction(translate("MainWindow", "&About Restorer"), lambda: about(win))
    build_toolbar(win)


def build_toolbar(win: MainWindow) -> None:
    tb = QToolBar(translate("MainWindow", "Main toolbar"))
    tb.setObjectName("mainToolbar")
    tb.setIconSize(QSize(18, 18))
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    win.addToolBar(tb)
    # The toolbar fits a 1366 px laptop screen (tests/gui/test_gui_toolbar.py): Open folder is in Open's
    # drop-down (and the File menu, Ctrl+Shift+O), the tool sizes go without labels (their tooltips and
    # accessible names say what they are).
    tb.addAction(win.act_open)
    open_button = tb.widgetForAction(win.act_open)
    if isinstance(open_button, QToolButton):
        open_menu = QMenu(open_button)
        open_menu.addAction(win.act_open)
        open_menu.addAction(win.act_open_folder)
        open_button.setMenu(open_menu)
        open_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    tb.addAction(win.act_save)
    tb.addSeparator()
    win.model_combo.setAccessibleName(translate("MainWindow", "Model"))
    win.strength_box.setAccessibleName(translate("MainWindow", "Colour strength"))
    tb.addWidget(labelled(translate("MainWindow", "&Model:"), win.model_combo))
    tb.addWidget(labelled(translate("MainWindow", "Co&lour:"), win.strength_box))
    tb.addSeparator()
    for a in win.mode_actions.values():
        tb.addAction(a)
    tb.addSeparator()
    tb.addAction(win.act_hints)
    win.hint_size_action = tb.addWidget(win.hint_size)
    tb.addAction(win.act_regions)
    win.brush_size_action = tb.addWidget(win.brush_size)
    tb.addAction(win.variations.action)
    for a in (win.hint_size_action, win.brush_size_action):
        a.setEnabled(False)  # like the tools themselves, until the model list says hints work
    tb.addSeparator()
    tb.addAction(win.act_fit)
    tb.addAction(win.act_compare)
    for a, text in ((win.act_open, translate("MainWindow", "Open")),
                    (win.act_open_folder, translate("MainWindow", "Open folder")),
                    (win.act_save, translate("MainWindow", "Save")), (win.act_fit, translate("MainWindow", "Fit")),
                    (win.act_compare, translate("MainWindow", "Compare")),
                    (win.act_hints, translate("MainWindow", "Hints")),
                    (win.act_regions, translate("MainWindow", "Region"))):
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

    QMessageBox.about(win, translate("MainWindow", "About Restorer"), translate(
        "MainWindow", "<b>Restorer {version}</b><br>Brings colour back to old black-and-white photos.<br>Device: "
                      "{device}").format(version=__version__, device=win.device_text or translate("MainWindow",
                                                                                                  "unknown")))


def app_icon() -> QIcon:
    """The window/taskbar icon: the SVG, plus a 256 px PNG for builds without Qt's SVG plugin."""
    from restorer.paths import resources_dir

    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ("restorer.svg", "restorer.png"):
        if (folder / name).exists():
            icon.addFile(str(folder / name))
    return icon
