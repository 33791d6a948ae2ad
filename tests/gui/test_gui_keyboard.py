"""Keyboard and accessibility: platform shortcuts, Ctrl+R on a kept result, accessible names, strings that a
translation can replace."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from guihelpers import open_and_wait
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

SK = QKeySequence.StandardKey


def test_platform_shortcuts(window):
    def keys(action):
        return [k.toString() for k in action.shortcuts()]

    for action, standard in ((window.act_open, SK.Open), (window.act_save, SK.Save), (window.act_quit, SK.Quit),
                             (window.act_undo, SK.Undo), (window.act_zoom_out, SK.ZoomOut)):
        platform = [k.toString() for k in QKeySequence.keyBindings(standard)][:1]
        assert keys(action)[:1] == (platform or (["Ctrl+Q"] if standard == SK.Quit else []))
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


# -- every string a user reads goes through tr() / translate() --------------------------------------------------

GUI = Path(__file__).resolve().parents[2] / "restorer" / "gui"
#: Methods and constructors whose text arguments are shown to the user.
TEXT_METHODS = {
    "setText", "setToolTip", "setStatusTip", "setWhatsThis", "setWindowTitle", "setPlaceholderText",
    "setAccessibleName", "setAccessibleDescription", "setTitle", "addAction", "addMenu", "setInformativeText",
    "setDetailedText", "setLabelText", "addButton", "setSuffix", "setPrefix", "setFormat", "showMessage",
    "setIconText", "addTab", "setTabText", "addRow", "setHeaderLabels", "setSpecialValueText", "setItemText",
    "addItem", "setPlainText", "information", "warning", "critical", "question", "about", "getExistingDirectory",
    "getOpenFileNames", "getOpenFileName", "getSaveFileName", "getItem", "getText",
    # the app's own: the notifier, status notes of workers, dialogs' message lines
    "status", "error", "note", "_say", "show_error", "set_message", "show_result", "_show_result",
}
TEXT_CONSTRUCTORS = {"QAction", "QLabel", "QPushButton", "QGroupBox", "QCheckBox", "QRadioButton", "QMessageBox",
                     "QToolBar", "QMenu", "QDockWidget", "QToolButton", "QProgressDialog", "QListWidgetItem"}
LOGGERS = {"log", "logger", "logging"}
#: (module, text) pairs allowed through untranslated, each for a reason.
EXEMPT: set[tuple[str, str]] = set()


def _shown_text(node: ast.AST) -> str:
    """The words of a literal argument (markup and placeholders left out), or "" for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.IfExp):
        return _shown_text(node.body) or _shown_text(node.orelse)
    elif isinstance(node, ast.BinOp):
        return _shown_text(node.left) or _shown_text(node.right)
    else:
        return ""
    words = re.sub(r"<[^>]*>|\{[^}]*\}|&\w+;", "", text)
    return text if re.search(r"[^\W\d_]", words) else ""


def _text_arguments(call: ast.Call) -> list[ast.AST]:
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in LOGGERS:
        return []
    if name == "action":  # window_actions.action(win, text, slot, shortcut, tip)
        return [a for i, a in enumerate(call.args) if i in (1, 4)] + [k.value for k in call.keywords
                                                                      if k.arg == "tip"]
    is_super_init = (name == "__init__" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call)
                     and getattr(f.value.func, "id", "") == "super")
    if name in TEXT_METHODS or name in TEXT_CONSTRUCTORS or is_super_init:
        return list(call.args) + [k.value for k in call.keywords]
    return []


def untranslated_strings(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for arg in _text_arguments(node):
                    text = _shown_text(arg)
                    if text and (path.stem, text) not in EXEMPT:
                        found.append(f"{path.name}:{arg.lineno}: {text[:60]!r}")
    return found


def test_no_user_visible_string_skips_translation():
    assert untranslated_strings(GUI) == []


def test_the_scan_finds_what_it_should(tmp_path):
    """The scan itself: plain and f-string literals, in the known calls, are found; translated ones, markup,
    log lines and keys are not."""
    (tmp_path / "m.py").write_text(
        "class W(QDialog):\n"
        "    def f(self, n):\n"
        "        self.setWindowTitle('Plain')\n"
        "        QPushButton(f'{n} photos')\n"
        "        self.label.setText('<b>{n}</b>')\n"
        "        self.label.setText(self.tr('Fine'))\n"
        "        QCoreApplication.translate('W', 'Fine too')\n"
        "        log.warning('not shown %s', n)\n"
        "        self.box.setToolTip('a' if n else self.tr('b'))\n"
        "        super().__init__('Dock title', None)\n"
        "        action(win, 'Menu text', slot, 'Ctrl+K', 'The tip')\n")
    found = untranslated_strings(tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == [
        "'Plain'", "' photos'", "'a'", "'Dock title'", "'Menu text'", "'The tip'"]


def test_lupdate_extracts_the_marked_strings(tmp_path):
    """What the markers are for: pyside6-lupdate finds the strings, each in the context Qt looks it up in."""
    lupdate = shutil.which("pyside6-lupdate", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyside6-lupdate")
    if lupdate is None:
        pytest.skip("pyside6-lupdate is not installed")
    ts = tmp_path / "restorer.ts"
    files = [str(p) for p in sorted(GUI.glob("*.py"))]
    subprocess.run([lupdate, *files, "-ts", str(ts)], check=True, capture_output=True, timeout=120)
    root = ElementTree.parse(ts).getroot()
    sources = {(c.findtext("name"), m.findtext("source")) for c in root.iter("context") for m in c.iter("message")}
    for expected in (("MainWindow", "&Open photos…"), ("MainWindow", "&Compare models"),
                     ("TrainProgress", "Reading and checking the photos (gray and unreadable ones are skipped)…"),
                     ("TrainDialog", "&Start training"), ("QueuePanel", "Batch queue"),
                     ("ModelPicker", "No model"), ("PhotoViewer", "Side by side"),
                     ("ToneLabels", "Original (toned scan)")):
        assert expected in sources, expected
    assert len(sources) > 300


# -- every action has a key, or is a documented menu-only one -------------------------------------------------

def _menu_actions(menu, path=()):
    for a in menu.actions():
        if a.isSeparator():
            continue
        if a.menu() is not None:
            yield from _menu_actions(a.menu(), (*path, a.text()))
        else:
            yield path, a


def test_every_menu_action_has_a_shortcut_or_is_documented_as_menu_only(window):
    from restorer.gui.window_actions import MENU_ONLY

    menu_only, missing = set(), []
    for path, a in _menu_actions(window.menuBar()):
        name = a.text().replace("&", "")
        assert all("&" in p for p in path), f"menu {path} has no Alt key"
        if a.shortcut().isEmpty() and name in MENU_ONLY:
            menu_only.add(name)
        elif a.shortcut().isEmpty():
            missing.append(name)
    assert missing == [], f"actions without a shortcut, not in window_actions.MENU_ONLY: {missing}"
    assert menu_only == set(MENU_ONLY)  # the list names nothing that is gone or now has a key
    # Actions living outside the menus (toolbar, window) have keys too.
    assert not window.act_clear_hints.shortcut().isEmpty()
    assert QKeySequence(SK.Cancel) in window.act_cancel.shortcuts()
    assert QKeySequence(SK.Refresh) in window.act_colourise.shortcuts()
    assert not window.act_quit.shortcut().isEmpty()  # Ctrl+Q where the platform binds no Quit key


def test_hint_region_queue_and_toolbar_widgets_have_accessible_names(window):
    names = {w: w.accessibleName() for w in (window.region_dock.list, window.hint_size, window.brush_size,
                                             window.queue.tree, window.queue.bar, window.queue.model_combo,
                                             window.model_combo, window.strength_box)}
    assert list(names.values()) == ["Hints and regions", "Hint size", "Region brush size", "Photos in the batch",
                                    "Batch progress", "Batch model", "Model", "Colour strength"]
    assert "Delete removes" in window.region_dock.list.accessibleDescription()
    assert "failed" in window.queue.tree.accessibleDescription()
    # The toolbar labels' Alt keys move the focus to their controls.
    from PySide6.QtWidgets import QLabel

    buddies = {lab.text(): lab.buddy() for lab in window.findChildren(QLabel) if lab.buddy() is not None}
    assert buddies.get("&Model:") is window.model_combo and buddies.get("Co&lour:") is window.strength_box


def test_a_translation_is_a_file_in_the_translations_folder(qapp, tmp_path):
    """Adding a language needs no code: a restorer_<lang>.qm in the translations folder is loaded at start-up."""
    from restorer.gui.app import install_translations, translations_dir
    from restorer.gui.train_dialog import TrainDialog

    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyside6-lrelease")
    if lrelease is None:
        pytest.skip("pyside6-lrelease is not installed")
    assert translations_dir().name == "translations"
    (tmp_path / "restorer_fr.ts").write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="fr">'
        "<context><name>MainWindow</name><message><source>&amp;Open photos…</source>"
        "<translation>&amp;Ouvrir des photos…</translation></message></context>"
        "<context><name>TrainDialog</name><message><source>Fine-tune a model on your photos</source>"
        "<translation>Affiner un modèle sur vos photos</translation></message></context></TS>", encoding="utf-8")
    subprocess.run([lrelease, str(tmp_path / "restorer_fr.ts"), "-qm", str(tmp_path / "restorer_fr.qm")],
                   check=True, capture_output=True, timeout=60)
    installed = install_translations(qapp, QLocale(QLocale.Language.French), tmp_path)
    try:
        assert installed
        assert QApplication.translate("MainWindow", "&Open photos…") == "&Ouvrir des photos…"
        dlg = TrainDialog()
        assert dlg.windowTitle() == "Affiner un modèle sur vos photos"
        dlg.deleteLater()
    finally:
        for t in installed:
            qapp.removeTranslator(t)
    assert QApplication.translate("MainWindow", "&Open photos…") == "&Open photos…"
