"""Restorer's main window: open → preview → hints → compare → save, with every slow step on a worker.

Colourising flow (one photo):

1. Selecting a photo reads it on a worker (``read_image``) and shows the original.
2. A fast preview is colourised at most 1280 px on the long side (``colorize(..., preview=True)``) and shown
   scaled to the photo's size; the split slider etc. keep working while it runs.
3. As soon as the preview is on screen, the **full-resolution** result is made in the background (same model,
   same hints) and replaces the preview when ready; Save reuses it, or makes it on a worker if it is not ready.
   Any change (model, hints, photo) cancels running work first. (Photos no larger than the preview size need
   no second run: their preview *is* full resolution.)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QUndoGroup,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from restorer.core.color import MAX_STRENGTH
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.banner import ErrorBanner
from restorer.gui.compare import CompareView
from restorer.gui.export import IMAGE_FILTER, Exporter
from restorer.gui.hints_tool import DEFAULT_RADIUS, HintController, HintList, HintSizeBox
from restorer.gui.histogram_widget import HistogramDock
from restorer.gui.hold_key import HoldKey
from restorer.gui.qimage import numpy_to_qimage, pixel_rgb
from restorer.gui.region_tool import DEFAULT_BRUSH_PX, RegionController, RegionDock, brush_size_box, mean_colour_under
from restorer.gui.status import WorkStatus
from restorer.gui.theme import THEMES, apply_theme
from restorer.gui.thumbnails import ThumbnailStrip
from restorer.gui.viewer import PhotoViewer
from restorer.gui.workers import Worker, cancel_all, pool, wait_all

HINT_DEBOUNCE_MS = 150
# Previews kept per photo (model x hints x strength; up to 1280 px, ~5 MB each): stepping through strengths or
# editing hints would otherwise grow memory without bound; the oldest is dropped first.
MAX_PREVIEWS_PER_PHOTO = 8


@dataclass
class PhotoDoc:
    """Everything the window knows about one loaded photo."""

    path: Path
    hints: HintList
    undo: QUndoStack
    image: Any = None  # LoadedImage, kept only for the current and the previous photo
    display: Any = None  # QImage of the original
    error: str | None = None
    previews: dict[tuple[str, tuple, float], jobs.ColorizeResult] = field(default_factory=dict)
    full: jobs.ColorizeResult | None = None  # full resolution, for the current model + hints only

    def key(self, model: str, strength: float = 1.0) -> tuple[str, tuple, float]:
        """The ``ColorizeResult.recipe`` a result for this photo, model and colour strength would have."""
        return (model, jobs.hints_key(self.hints.specs()), strength)


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Shift+Z and (outside macOS) Ctrl+Y, each once.

    The platform list often holds Ctrl+Shift+Z already; binding it twice made Qt call it ambiguous and Redo
    worked only from the menu.
    """
    import sys

    wanted = [*QKeySequence.keyBindings(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z")]
    if sys.platform != "darwin":
        wanted.append(QKeySequence("Ctrl+Y"))
    out: list[QKeySequence] = []
    for k in wanted:
        if not k.isEmpty() and all(k != o for o in out):
            out.append(k)
    return out


class MainWindow(QMainWindow):
    """The app window. Signals exist so tests (and scripts) can wait on what the user would see."""

    modelsReady = Signal()
    photosAdded = Signal(list)
    photoShown = Signal(object)
    previewReady = Signal(object)  # ColorizeResult shown (preview)
    fullReady = Signal(object)  # ColorizeResult shown (full resolution)
    colorizeCancelled = Signal()
    colorizeFailed = Signal(str)
    histogramsReady = Signal(object)
    saved = Signal(object)
    saveFailed = Signal(str)
    saveAllFinished = Signal(object)
    errorShown = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restorer")
        self.setAcceptDrops(True)
        self.cache = jobs.ModelCache()
        self.cards: list[Any] = []
        self.docs: dict[Path, PhotoDoc] = {}
        self.doc: PhotoDoc | None = None
        self.hints_propagate = False
        self.device_text = ""
        self._gen = 0  # colourise generation: results of older generations are dropped
        self._recent: list[Path] = []
        self._message_boxes: list[QMessageBox] = []
        self.preview_worker: Worker | None = None
        self.full_worker: Worker | None = None
        self.shown_result: jobs.ColorizeResult | None = None
        self._closing = False

        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._restore_settings()
        self._start_startup_job()

    # ================================================================================================ UI build
    def _build_widgets(self) -> None:
        self.viewer = PhotoViewer()
        self.compare = CompareView(self.cache)
        self.compare.status.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.compare.resultsChanged.connect(lambda: self.hist_dock.schedule())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.viewer, "Photo")
        self.tabs.addTab(self.compare, "Compare models")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.banner = ErrorBanner()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.strip = ThumbnailStrip()
        self.strip.photoSelected.connect(self.show_photo)
        self.strip.thumbFailed.connect(self._on_thumb_failed)
        self.strip_dock = QDockWidget("Photos", self)
        self.strip_dock.setObjectName("photosDock")
        self.strip_dock.setWidget(self.strip)
        self.strip_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                    | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.strip_dock)

        self.hist_dock = HistogramDock(self.histogram_inputs, self)
        self.histograms = self.hist_dock.panel
        self.hist_dock.histogramsReady.connect(self.histogramsReady)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.hist_dock)
        self.resizeDocks([self.hist_dock], [330], Qt.Orientation.Horizontal)

        self.hint_controller = HintController(self.viewer.primary, self)
        self.hint_controller.sample = self._sample_result_colour
        # Regions live in the same HintList, so hintsChanged also re-runs the preview after region edits.
        self.hint_controller.hintsChanged.connect(self._on_hints_changed)
        self.region_controller = RegionController(self.viewer.primary, self)
        self.region_controller.sample = self._sample_result_region
        self.region_dock = RegionDock(self.region_controller, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.region_dock)
        self.splitDockWidget(self.hist_dock, self.region_dock, Qt.Orientation.Vertical)
        self.region_dock.hide()  # shown when the Region tool is first used
        self.hint_size = HintSizeBox()
        self.hint_size.radiusChanged.connect(self._on_hint_size)
        self.brush_size = brush_size_box()
        self.brush_size.valueChanged.connect(self._on_brush_size)
        self.undo_group = QUndoGroup(self)

        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(16)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setToolTip("Colourisation model")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.strength_box = QSpinBox()
        self.strength_box.setRange(0, round(MAX_STRENGTH * 100))
        self.strength_box.setSingleStep(10)
        self.strength_box.setSuffix(" %")
        self.strength_box.setValue(100)
        self.strength_box.setToolTip("Colour strength: how much of the model's colour to apply (100 % = as "
                                     "predicted). Your hints and painted regions keep exactly their colour.")
        self.strength_box.valueChanged.connect(self._on_strength_changed)

        self.work = WorkStatus(self.statusBar())
        # Short names for what tests and scripts look at.
        self.progress, self.cancel_button = self.work.progress, self.work.cancel_button
        self.timing_label, self.device_label = self.work.timing, self.work.device
        self.exporter = Exporter(self)
        self.exporter.saved.connect(self.saved)
        self.exporter.saveFailed.connect(self.saveFailed)
        self.exporter.saveAllFinished.connect(self.saveAllFinished)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(HINT_DEBOUNCE_MS)
        self._preview_timer.timeout.connect(self.colourise_now)

    def _action(self, text: str, slot, shortcut: QKeySequence | str | list | None = None, tip: str = "",
                checkable: bool = False) -> QAction:
        a = QAction(text, self)
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
        self.addAction(a)  # shortcuts work even when the menu bar is hidden
        return a

    def _build_actions(self) -> None:
        SK = QKeySequence.StandardKey
        self.act_open = self._action("&Open photos…", self.open_dialog, SK.Open, "Open photo files")
        self.act_open_folder = self._action("Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O",
                                            "Open every photo in a folder and its subfolders")
        self.act_save = self._action("&Save colour version…", self.exporter.save_current, SK.Save,
                                     "Save the current photo in colour at full resolution")
        self.act_save_all = self._action("Save &all…", self.exporter.save_all, "Ctrl+Shift+S",
                                         "Colourise every loaded photo at full resolution into a folder")
        self.act_quit = self._action("&Quit", self.close, SK.Quit)
        self.act_colourise = self._action("&Colourise again", lambda: self.colourise_now(), "Ctrl+R",
                                          "Run the model on the current photo again")
        self.act_cancel = self._action("Cancel", self.cancel_work, "Esc", "Stop the running work")
        self.act_fit = self._action("&Fit to window", self.viewer.fit, "Ctrl+0", "Show the whole photo")
        self.act_100 = self._action("&Actual size (100 %)", self.viewer.actual_size, "Ctrl+1",
                                    "One photo pixel per screen pixel")
        self.act_zoom_in = self._action("Zoom &in", self.viewer.zoom_in, [QKeySequence(SK.ZoomIn),
                                                                         QKeySequence("Ctrl+=")], "Zoom in")
        self.act_zoom_out = self._action("Zoom &out", self.viewer.zoom_out, SK.ZoomOut, "Zoom out")
        self.act_compare = self._action("&Compare models", self.toggle_compare, "Ctrl+K",
                                        "Compare 2-4 models on this photo")
        # Hold T to peek at the original (HoldKey below); the button / menu item toggles it on and off.
        self.act_original = self._action("Show &original", lambda on: self._update_original(), None,
                                         "Show the original instead of the colour version (or hold T)",
                                         checkable=True)
        self.hold_t = HoldKey(self, Qt.Key.Key_T, lambda held: self._update_original())
        self.act_hints = self._action("&Hint tool", self._on_hint_tool, "H",
                                      "Click the photo to tell the model a colour", checkable=True)
        self.act_hints.setEnabled(False)
        self.act_regions = self._action("&Region tool", self._on_region_tool, "R",
                                        "Paint over the photo and give that region one colour", checkable=True)
        self.act_regions.setEnabled(False)
        self.act_clear_hints = self._action("Clear hints", self.clear_hints, None,
                                            "Remove every hint and region of this photo")
        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(SK.Undo)
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts(redo_shortcuts())
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)

        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for mode, text, key in (("split", "&Split slider", "Ctrl+2"), ("side", "Side &by side", "Ctrl+3"),
                                ("toggle", "&Toggle", "Ctrl+4")):
            a = QAction(text, self, checkable=True)
            a.setShortcut(QKeySequence(key))
            a.setToolTip(f"{text.replace('&', '')} view ({key})")
            a.triggered.connect(lambda _=False, m=mode: self.set_view_mode(m))
            self.mode_group.addAction(a)
            self.addAction(a)
            self.mode_actions[mode] = a

        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            a = QAction(name.capitalize(), self, checkable=True)
            a.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_group.addAction(a)
            self.theme_actions[name] = a

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_open, self.act_open_folder, None, self.act_save, self.act_save_all, None, self.act_quit):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, None, self.act_hints, self.act_regions, self.act_clear_hints):
            m.addSeparator() if a is None else m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, None):
            m.addSeparator() if a is None else m.addAction(a)
        for a in self.mode_actions.values():
            m.addAction(a)
        m.addAction(self.act_original)
        m.addSeparator()
        m.addAction(self.act_compare)
        m.addAction(self.strip_dock.toggleViewAction())
        m.addAction(self.hist_dock.toggleViewAction())
        m.addAction(self.region_dock.toggleViewAction())
        tm = m.addMenu("T&heme")
        for a in self.theme_actions.values():
            tm.addAction(a)
        m = mb.addMenu("&Tools")
        m.addAction(self.act_colourise)
        m.addAction(self.act_cancel)
        m.addSeparator()
        self.act_train = m.addAction("&Fine-tune on my photos…", self.show_train_dialog)
        self.act_train.setStatusTip("Train a model on a folder of your own colour photos (runs in the background)")
        from restorer.gui.model_manager import add_tools_entries  # reference mode, model manager, models folder

        add_tools_entries(self, m)
        m = mb.addMenu("&Help")
        m.addAction("&About Restorer", self.about)

        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setIconSize(QSize(18, 18))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(tb)
        tb.addAction(self.act_open)
        tb.addAction(self.act_open_folder)
        tb.addAction(self.act_save)
        tb.addSeparator()
        tb.addWidget(QLabel(" Model: "))
        tb.addWidget(self.model_combo)
        tb.addWidget(_labelled(" Colour:", self.strength_box))
        tb.addSeparator()
        for a in self.mode_actions.values():
            tb.addAction(a)
        tb.addAction(self.act_original)
        tb.addSeparator()
        tb.addAction(self.act_hints)
        self.hint_size_action = tb.addWidget(_labelled("Size:", self.hint_size))
        tb.addAction(self.act_regions)
        self.brush_size_action = tb.addWidget(_labelled("Brush:", self.brush_size))
        for a in (self.hint_size_action, self.brush_size_action):
            a.setEnabled(False)  # like the tools themselves, until the model list says hints work
        tb.addSeparator()
        tb.addAction(self.act_fit)
        tb.addAction(self.act_compare)
        for a, text in ((self.act_open, "Open"), (self.act_open_folder, "Open folder"), (self.act_save, "Save"),
                        (self.act_fit, "Fit"), (self.act_compare, "Compare"), (self.act_hints, "Hints"),
                        (self.act_regions, "Region"), (self.act_original, "Original")):
            a.setIconText(text)
        for mode, text in (("split", "Split"), ("side", "Side by side"), ("toggle", "Toggle")):
            self.mode_actions[mode].setIconText(text)

    # ================================================================================================ settings
    def _restore_settings(self) -> None:
        st = S.settings()
        geo = st.value(S.GEOMETRY)
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        else:
            self.resize(1400, 900)
        state = st.value(S.STATE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.set_theme(S.get_str(S.THEME, "system"), save=False)
        mode = S.get_str(S.VIEW_MODE, "split")
        self.set_view_mode(mode if mode in PhotoViewer.MODES else "split", save=False)
        self.hint_size.set_radius(S.get_float(S.HINT_RADIUS, DEFAULT_RADIUS))
        self.hint_controller.radius = self.hint_size.radius()
        self.brush_size.setValue(int(S.get_float(S.BRUSH_PX, DEFAULT_BRUSH_PX)))
        self.region_controller.set_brush_px(self.brush_size.value())
        self.strength_box.blockSignals(True)  # nothing to re-run yet
        self.strength_box.setValue(int(round(S.get_float(S.STRENGTH, 100.0))))  # QSpinBox clamps to its range
        self.strength_box.blockSignals(False)

    def _save_settings(self) -> None:
        S.put(S.GEOMETRY, self.saveGeometry())
        S.put(S.STATE, self.saveState())
        S.put(S.VIEW_MODE, self.viewer.mode())
        S.put(S.COMPARE_MODELS, self.compare.checked_models())
        if self.current_model():
            S.put(S.MODEL, self.current_model())

    def set_theme(self, name: str, save: bool = True) -> None:
        applied = apply_theme(name)
        self.theme_actions[applied].setChecked(True)
        if save:
            S.put(S.THEME, applied)

    def set_view_mode(self, mode: str, save: bool = True) -> None:
        self.viewer.set_mode(mode)
        self.mode_actions[mode].setChecked(True)
        if save:
            S.put(S.VIEW_MODE, mode)

    # ================================================================================================ startup
    def _start_startup_job(self) -> None:
        w = Worker(jobs.startup_info, name="startup")
        w.returned.connect(self._on_startup)
        w.errored.connect(lambda e: self.show_error("Restorer could not start its engine", jobs.error_message(e)))
        w.start(pool("io"))

    def _on_startup(self, info: jobs.StartupInfo) -> None:
        self.cards = list(info.models)
        self.hints_propagate = info.hints_propagate
        self.device_text = info.device
        self.work.set_device(info.device)
        wanted = S.get_str(S.MODEL)
        self.model_combo.blockSignals(True)
        self._fill_model_combo()
        names = [c.name for c in self.cards]
        if wanted in names:
            self.model_combo.setCurrentIndex(names.index(wanted))
        elif self.cards:
            default = next((i for i, c in enumerate(self.cards) if getattr(c, "default", False)), 0)
            self.model_combo.setCurrentIndex(default)
            if wanted:
                self.statusBar().showMessage(f"Model {wanted!r} is no longer installed; using {names[default]}.",
                                             8000)
        self.model_combo.blockSignals(False)
        # First run: Compare starts with the model in use beside the next one, not simply the first two.
        others = [n for n in names if n != self.current_model()]
        self.compare.set_models(self.cards, S.get_list(S.COMPARE_MODELS) or [self.current_model(), *others[:1]])
        self._update_model_ui()
        if not self.cards:
            self.show_error("No colourisation models installed",
                            "Restorer found no models in its resources folder or your model folder. "
                            "Reinstall Restorer, or train one with `restorer train`.")
        self.modelsReady.emit()
        if self.doc is not None and self.doc.image is not None:
            self.request_preview(immediate=True)

    @staticmethod
    def _card_tooltip(card: Any) -> str:
        lines = [f"<b>{card.name}</b>"]
        if getattr(card, "description", ""):
            lines.append(card.description)
        lines.append(f"working size {card.working_size} px · "
                     f"{'trained with hints' if getattr(card, 'hints', False) else 'no hint training'}")
        facts = []
        minutes = getattr(card, "training_minutes", 0.0)
        if minutes:
            facts.append(f"{float(minutes):.0f} min training")
        headline = card.headline() if hasattr(card, "headline") else ""
        if headline:
            facts.append(headline)
        if facts:
            lines.append(" · ".join(facts))
        return "<br>".join(lines)

    def current_model(self) -> str:
        return self.model_combo.currentData() or ""

    def current_card(self) -> Any:
        name = self.current_model()
        return next((c for c in self.cards if c.name == name), None)

    def _update_model_ui(self) -> None:
        card = self.current_card()
        self.model_combo.setToolTip(self._card_tooltip(card) if card is not None else "No model")
        # The hint tool is offered only when it does something: the model was trained with hints, or the engine
        # spreads hints by propagation (it does, for every model).
        card_hints = bool(getattr(card, "hints", False)) if card is not None else False
        available = card is not None and (card_hints or self.hints_propagate)
        for a in (self.act_hints, self.act_regions, self.hint_size_action, self.brush_size_action):
            a.setVisible(available)
            a.setEnabled(available)
        self.act_clear_hints.setEnabled(available)
        if available:
            how = ("the model reads hints directly and they are spread to similar areas" if card_hints
                   else "this model was not trained with hints; they are spread to similar areas")
            self.act_hints.setStatusTip(f"Click the photo to set a colour ({how})")
            self.act_hints.setToolTip(f"Hint tool (H): click to set a colour; {how}")
        else:
            self.act_hints.setChecked(False)
            self.act_regions.setChecked(False)
        self.act_colourise.setEnabled(card is not None)

    def strength(self) -> float:
        """Colour strength of new results (1 = the model's own colour)."""
        return self.strength_box.value() / 100.0

    def _on_strength_changed(self, percent: int) -> None:
        S.put(S.STRENGTH, percent)
        if not self._show_cached():
            self.request_preview()  # debounced: spin-box steps arrive in bursts like hint edits

    def _on_model_changed(self, _index: int) -> None:
        self._update_model_ui()
        if self.current_model():
            S.put(S.MODEL, self.current_model())
        if self.doc is not None:
            self.doc.full = None
        self.request_preview(immediate=True)

    # ================================================================================================ opening
    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open photos", S.get_dir(S.LAST_OPEN_DIR), IMAGE_FILTER)
        if files:
            S.put(S.LAST_OPEN_DIR, str(Path(files[0]).parent))
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of photos", S.get_dir(S.LAST_OPEN_DIR))
        if folder:
            S.put(S.LAST_OPEN_DIR, folder)
            self.open_paths([folder])

    def open_paths(self, paths: list[str | Path]) -> Worker | None:
        """Add files and folders (recursively) to the strip; the folder scan runs on a worker."""
        paths = [Path(p) for p in paths]
        missing = [p for p in paths if not p.exists()]
        for p in missing:
            self.banner.add_problem("Some photos could not be opened", p, "file or folder not found")
        paths = [p for p in paths if p.exists()]
        if not paths:
            return None
        w = Worker(jobs.find_photos, paths, name="find photos")
        w.returned.connect(lambda found, given=paths: self._on_found(given, found))
        w.errored.connect(lambda e: self.show_error("Could not read the folder", jobs.error_message(e)))
        w.start(pool("io"))
        return w

    def _on_found(self, given: list[Path], found: list[Path]) -> None:
        if not found:
            where = ", ".join(p.name for p in given)
            self.show_error("No photos found", f"No supported images (JPEG, PNG, TIFF, BMP, WebP) in {where}.")
            return
        new = self.strip.add_paths(found)
        for p in new:
            stack = QUndoStack(self)
            self.undo_group.addStack(stack)
            self.docs[p.resolve()] = PhotoDoc(p, HintList(self), stack)
        if self.strip.currentItem() is None and self.strip.count():
            self.strip.setCurrentRow(0)
        elif new and len(given) == 1 and given[0].is_file():
            self.strip.select_path(new[0])
        self.statusBar().showMessage(f"{len(new)} photo(s) added, {self.strip.count()} in total.", 5000)
        self.photosAdded.emit(new)

    def _on_thumb_failed(self, path: Path, reason: str) -> None:
        doc = self.docs.get(Path(path).resolve())
        if doc is not None:
            doc.error = reason
        self.banner.add_problem("Some photos could not be read", path, reason)

    # -- drag and drop ----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [QUrl(u).toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)
        else:
            event.ignore()

    # ================================================================================================ showing
    def show_photo(self, path: Path) -> None:
        """Make ``path`` the current photo: read it (worker) if needed, show it, start its preview."""
        doc = self.docs.get(Path(path).resolve())
        if doc is None:
            return
        self.cancel_colourise()
        self.doc = doc
        self.undo_group.setActiveStack(doc.undo)
        self.hint_controller.set_document(None, None)
        self.region_controller.set_document(None, None)
        if doc.image is not None:
            self._display_doc(doc)
            return
        self.viewer.set_photo(None)
        self.viewer.primary.set_placeholder(f"Opening {doc.path.name}…")
        self.compare.set_photo(None)
        self.hist_dock.schedule()  # the last photo's histograms must not stay beside an unreadable one
        w = Worker(jobs.read_for_display, doc.path, name="read photo")
        w.returned.connect(lambda res, doc=doc: self._on_photo_read(doc, res))
        w.errored.connect(lambda e, doc=doc: self._on_photo_failed(doc, e))
        w.start(pool("io"))

    def _on_photo_read(self, doc: PhotoDoc, res: tuple[Any, Any]) -> None:
        doc.image, doc.display = res
        doc.error = None
        if doc is self.doc:
            self._display_doc(doc)

    def _on_photo_failed(self, doc: PhotoDoc, exc: BaseException) -> None:
        doc.error = jobs.error_message(exc)
        self.strip.mark_error(doc.path, doc.error)
        if doc is self.doc:
            self.viewer.primary.set_placeholder(f"{doc.path.name} could not be opened:\n{doc.error}")
            self.show_error(f"Cannot open {doc.path.name}", doc.error)

    def _display_doc(self, doc: PhotoDoc) -> None:
        self._remember_recent(doc)
        self.viewer.set_photo(doc.display)
        was_color = bool(getattr(doc.image, "was_color", False))
        self.viewer.set_before_caption("Original (colour: ground truth)" if was_color else "Original")
        self.hint_controller.set_document(doc.hints, doc.undo)
        self.region_controller.set_document(doc.hints, doc.undo)
        self.compare.set_photo(doc.image, self.viewer.primary.item.before_pixmap())
        self.setWindowTitle(f"{doc.path.name} — Restorer")
        self.photoShown.emit(doc.path)
        if not self._show_cached():
            self.request_preview(immediate=True)

    def _show_cached(self) -> bool:
        """Show the current photo's earlier preview for the current model, hints and strength, if there is one."""
        doc = self.doc
        cached = doc.previews.get(doc.key(self.current_model(), self.strength())) if doc is not None else None
        if cached is None:
            return False
        self._preview_timer.stop()
        self.cancel_colourise()
        self._gen += 1  # a run still in flight for another setting must not replace this
        self._show_result(cached)
        self._start_full(cached)
        return True

    def _remember_recent(self, doc: PhotoDoc) -> None:
        """Keep decoded pixels for the current and previous photo only (a box of scans would not fit in RAM)."""
        key = doc.path.resolve()
        if key in self._recent:
            self._recent.remove(key)
        self._recent.append(key)
        while len(self._recent) > 2:
            old = self.docs.get(self._recent.pop(0))
            if old is not None and old is not self.doc:
                old.image = old.display = None
                old.full = None

    # ================================================================================================ colourise
    def request_preview(self, immediate: bool = False) -> None:
        """(Re)run the preview: debounced (hint edits arrive in bursts) unless ``immediate``."""
        if immediate:
            self._preview_timer.stop()
            self.colourise_now()
        else:
            self._preview_timer.start()

    def colourise_now(self) -> Worker | None:
        """Cancel running colourisation and start a preview of the current photo; returns its worker."""
        self._preview_timer.stop()
        doc, model = self.doc, self.current_model()
        if doc is None or doc.image is None or not model:
            return None
        self.cancel_colourise()
        self._gen += 1
        specs = doc.hints.specs()
        w = Worker(jobs.colorize_photo, self.cache, model, doc.image.pixels, specs, preview=True,
                   token=(self._gen, doc.path), make_qimage=True, strength=self.strength(), name="preview")
        self._connect_colourise(w, "Colourising…")
        w.returned.connect(self._on_preview)
        self.preview_worker = w
        w.start(pool("compute"))
        return w

    def _connect_colourise(self, w: Worker, label: str) -> None:
        w.cancelled.connect(lambda w=w: self._on_colourise_cancelled(w))
        w.errored.connect(lambda e, w=w: self._on_colourise_error(w, e))
        self.work.track(w, label)

    def _on_preview(self, res: jobs.ColorizeResult) -> None:
        gen, path = res.token
        doc = self.docs.get(Path(path).resolve())
        if doc is None:
            return
        doc.previews.pop(res.recipe, None)  # re-inserted last: the dict's order is the order of use
        doc.previews[res.recipe] = res
        while len(doc.previews) > MAX_PREVIEWS_PER_PHOTO:
            del doc.previews[next(iter(doc.previews))]
        if gen != self._gen or doc is not self.doc:
            return
        self._show_result(res)
        self.previewReady.emit(res)
        self._start_full(res)

    def _start_full(self, preview: jobs.ColorizeResult) -> None:
        """Make the full-resolution result in the background (skipped when the preview already is full size)."""
        doc = self.doc
        if doc is None or doc.image is None:
            return
        if doc.full is not None and doc.full.recipe == preview.recipe:
            self._show_result(doc.full)
            return
        if preview.pixels.shape == doc.image.pixels.shape:
            doc.full = preview
            self.fullReady.emit(preview)
            return
        specs = doc.hints.specs()
        w = Worker(jobs.colorize_photo, self.cache, preview.model_name, doc.image.pixels, specs, preview=False,
                   token=(self._gen, doc.path), make_qimage=True, strength=preview.strength, name="full resolution")
        self._connect_colourise(w, "Full resolution…")
        w.returned.connect(self._on_full)
        self.full_worker = w
        w.start(pool("compute"))

    def _on_full(self, res: jobs.ColorizeResult) -> None:
        gen, path = res.token
        doc = self.docs.get(Path(path).resolve())
        if doc is None or gen != self._gen or doc is not self.doc:
            return
        doc.full = res
        self._show_result(res)
        self.fullReady.emit(res)

    def _show_result(self, res: jobs.ColorizeResult) -> None:
        image = res.display if res.display is not None else numpy_to_qimage(res.pixels)
        kind = "preview" if res.preview and self.doc is not None and self.doc.image is not None and \
            res.pixels.shape != self.doc.image.pixels.shape else "full resolution"
        parts = [kind] + _counted(jobs.count_hints(res.hints_key))
        if res.strength != 1.0:
            parts.append(f"colour {round(res.strength * 100)} %")
        caption = f"{res.model_name} ({', '.join(parts)})"
        self.viewer.set_result(image, caption)
        self.shown_result = res
        t = f"{res.model_name}: {kind} {res.seconds:.2f} s"
        if res.load_seconds > 0.05:
            t += f" (+ model load {res.load_seconds:.1f} s)"
        self.work.set_timing(t)
        self.hist_dock.schedule()

    def displayed_result(self) -> jobs.ColorizeResult | None:
        """The colour result now on screen for the current photo (None before the first run)."""
        if self.viewer.result_pixmap() is None:
            return None
        return self.shown_result

    def _on_colourise_cancelled(self, w: Worker) -> None:
        if self._closing:
            return
        self.statusBar().showMessage("Colourisation cancelled.", 4000)
        self.colorizeCancelled.emit()

    def _on_colourise_error(self, w: Worker, exc: BaseException) -> None:
        msg = jobs.error_message(exc)
        self.colorizeFailed.emit(msg)
        self.show_error("Colourisation failed", f"Model {self.current_model()!r}: {msg}")

    def cancel_colourise(self) -> None:
        """Cancel the preview and full-resolution runs of the current photo (if any)."""
        for w in (self.preview_worker, self.full_worker):
            if w is not None and not w.done:
                w.cancel()

    def cancel_work(self) -> None:
        """The Cancel button / Esc: stop colourising and saving (the photo list keeps loading)."""
        self._preview_timer.stop()
        self.work.cancel()
        self.compare.cancel()

    def is_busy(self) -> bool:
        return self.work.is_busy()

    def _update_original(self) -> None:
        self.viewer.show_original(self.act_original.isChecked() or self.hold_t.held)

    # ================================================================================================ hints
    def _on_hint_tool(self, on: bool) -> None:
        if on and self.act_regions.isChecked():
            self.act_regions.setChecked(False)  # one tool owns the mouse: switch the other off first
        self.hint_controller.set_active(on)
        if on:
            self.tabs.setCurrentWidget(self.viewer)
            self.statusBar().showMessage("Hint tool: click the photo to set a colour; drag to move, right-click "
                                         "to remove, Ctrl+Z to undo.", 6000)

    def _on_region_tool(self, on: bool) -> None:
        if on and self.act_hints.isChecked():
            self.act_hints.setChecked(False)
        self.region_controller.set_active(on)
        if on:
            self.tabs.setCurrentWidget(self.viewer)
            self.region_dock.show()
            self.region_dock.raise_()
            self.statusBar().showMessage("Region tool: paint over the photo, then pick its colour; right-drag or "
                                         "Shift+drag erases, Ctrl+drag adds to the selected region.", 8000)

    def _on_hint_size(self, radius: float) -> None:
        self.hint_controller.radius = radius
        S.put(S.HINT_RADIUS, radius)

    def _on_brush_size(self, px: int) -> None:
        self.region_controller.set_brush_px(px)
        S.put(S.BRUSH_PX, px)

    def _sample_result_region(self, mask: Any) -> QColor | None:
        res = self.displayed_result()
        return mean_colour_under(res.pixels, mask) if res is not None else None

    def _sample_result_colour(self, fx: float, fy: float) -> QColor | None:
        res = self.displayed_result()
        if res is None:
            return None
        return pixel_rgb(res.pixels, fx, fy)

    def _on_hints_changed(self) -> None:
        if self.doc is not None:
            self.doc.full = None
        self.request_preview()  # debounced; the new run cancels the one in flight

    def clear_hints(self) -> None:
        doc = self.doc
        if doc is None or not len(doc.hints):
            return
        doc.undo.beginMacro("Clear hints")
        for i in reversed(range(len(doc.hints))):
            self.hint_controller.remove(i)
        doc.undo.endMacro()

    # ================================================================================================ compare
    def toggle_compare(self) -> None:
        if self.tabs.currentWidget() is self.compare:
            self.tabs.setCurrentWidget(self.viewer)
        else:
            self.tabs.setCurrentWidget(self.compare)

    def _on_tab_changed(self, _i: int) -> None:
        self.hist_dock.schedule()

    # ================================================================================================ histograms
    def histogram_inputs(self) -> list[tuple[str, Any, str]]:
        """(label, pixels, role) for the histogram dock: the original (or ground truth) and each visible result
        (the comparison's results while the Compare tab is shown). Big images are subsampled by a pixel stride
        (:func:`restorer.gui.jobs.subsample`)."""
        doc = self.doc
        if doc is None or doc.image is None:
            return []
        was_color = bool(getattr(doc.image, "was_color", False))
        items: list[tuple[str, Any, str]] = [("Ground truth" if was_color else "Original", doc.image.pixels,
                                              "truth" if was_color else "original")]
        if self.tabs.currentWidget() is self.compare and self.compare.results():
            items += [(r.model_name, r.pixels, "result") for r in self.compare.results()]
        else:
            res = self.displayed_result()
            if res is not None:
                items.append((res.model_name, res.pixels, "result"))
        return [(label, jobs.subsample(px), role) for label, px, role in items]

    # ================================================================================================ saving
    def save_current(self) -> Worker | None:
        """Save (Ctrl+S): see :class:`restorer.gui.export.Exporter`."""
        return self.exporter.save_current()

    def save_all(self) -> Worker | None:
        """Save all (Ctrl+Shift+S): see :class:`restorer.gui.export.Exporter`."""
        return self.exporter.save_all()

    # ================================================================================================ training
    def show_train_dialog(self) -> None:
        """Tools ▸ Fine-tune on my photos…: one dialog per window; it keeps its run while hidden."""
        from restorer.gui.train_dialog import TrainDialog

        dlg = getattr(self, "train_dialog", None)
        if dlg is None:
            dlg = self.train_dialog = TrainDialog(self.cards, self)
            dlg.modelTrained.connect(lambda _name: self.refresh_models())
            dlg.useModel.connect(lambda name: self.refresh_models(select=name))
        elif not dlg.is_running():
            dlg.set_models(self.cards)
        dlg.show()
        dlg.raise_()
        dlg.activateWindow()

    def refresh_models(self, select: str | None = None) -> Worker:
        """Re-read the installed models (one was just trained) on a worker; ``select`` then switches to it."""
        from restorer.core.models import list_models

        w = Worker(lambda _ctl: list_models(), name="list models")
        w.returned.connect(lambda cards: self._on_models_listed(cards, select))
        w.errored.connect(lambda e: self.show_error("Could not list the models", jobs.error_message(e)))
        w.start(pool("io"))
        return w

    def _fill_model_combo(self) -> None:
        """One entry per card: its label says which is the default, the fast one, experimental or yours."""
        self.model_combo.clear()
        for c in self.cards:
            label = c.label() if hasattr(c, "label") else c.name  # test doubles may be plain namespaces
            self.model_combo.addItem(label, c.name)
            self.model_combo.setItemData(self.model_combo.count() - 1, self._card_tooltip(c),
                                         Qt.ItemDataRole.ToolTipRole)

    def _on_models_listed(self, cards: list[Any], select: str | None) -> None:
        # Unlike _on_startup, the user's current model and compare ticks stay as they are unless told otherwise.
        before = self.current_model()
        self.cards = list(cards)
        self.model_combo.blockSignals(True)
        self._fill_model_combo()
        index = self.model_combo.findData(select or before)
        self.model_combo.setCurrentIndex(index if index >= 0 else 0)
        self.model_combo.blockSignals(False)
        self.compare.set_models(self.cards, self.compare.checked_models())
        if self.current_model() != before:
            self._on_model_changed(self.model_combo.currentIndex())
        else:
            self._update_model_ui()
        self.modelsReady.emit()

    # ================================================================================================ misc
    def show_error(self, title: str, text: str) -> None:
        """A clear, window-modal message that does not block the event loop (workers keep reporting)."""
        self.errorShown.emit(title, text)
        if self._closing:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, box=box: box in self._message_boxes and self._message_boxes.remove(box))
        self._message_boxes.append(box)
        box.open()

    def about(self) -> None:
        from restorer import __version__

        QMessageBox.about(self, "About Restorer",
                          f"<b>Restorer {__version__}</b><br>Brings colour back to old black-and-white photos."
                          f"<br>Device: {self.device_text or 'unknown'}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save settings, stop every worker and wait for them: no thread may outlive the window."""
        self._closing = True
        self._save_settings()
        self._preview_timer.stop()
        self.hist_dock.stop()
        self.compare.cancel()
        self.strip.cancel()
        self.hold_t.detach()
        cancel_all()
        t0 = time.monotonic()
        wait_all(30_000)
        if time.monotonic() - t0 > 1:
            print(f"restorer: waited {time.monotonic() - t0:.1f} s for background work to stop")
        for box in list(self._message_boxes):
            box.close()
        super().closeEvent(event)


def _labelled(text: str, widget: QWidget) -> QWidget:
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


def _counted(counts: tuple[int, int]) -> list[str]:
    """["2 hints", "1 region"] for the result caption (nothing for zero)."""
    return [f"{n} {word}{'s' if n != 1 else ''}" for n, word in zip(counts, ("hint", "region")) if n]


def app_icon() -> QIcon:
    """The window/taskbar icon: the SVG, plus a 256 px PNG for builds without Qt's SVG plugin."""
    from restorer.paths import resources_dir

    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ("restorer.svg", "restorer.png"):
        if (folder / name).exists():
            icon.addFile(str(folder / name))
    return icon
