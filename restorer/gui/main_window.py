"""Restorer's main window: open → preview → hints → compare → save, with every slow step on a worker.

Colourising flow (one photo):

1. Selecting a photo reads it on a worker (``read_image``) and shows the original.
2. A fast preview is colourised at most 1280 px on the long side (``colorize(..., preview=True)``) and shown
   scaled to the photo's size; the split slider etc. keep working while it runs.
3. As soon as the preview is on screen, the **full-resolution** result is made in the background (same model,
   same hints) and replaces the preview when ready; Save reuses it, or makes it on a worker if it is not ready.
   Any change (model, hints, photo) cancels running work first. (Photos no larger than the preview size need
   no second run: their preview *is* full resolution.)

What is kept of the open photos (documents, generations, previews, decoded pixels) is the Qt-free
:class:`restorer.core.session.PhotoSession`; the actions and menus are built by
:mod:`restorer.gui.window_actions`; every worker failure the user hears of goes through
:mod:`restorer.gui.notifier`.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from restorer.core.color import MAX_STRENGTH
from restorer.core.session import PhotoDoc, PhotoSession
from restorer.gui import jobs
from restorer.gui import settings as S
from restorer.gui.banner import ErrorBanner
from restorer.gui.compare import CompareView
from restorer.gui.drops import accept_files, take_files
from restorer.gui.export import IMAGE_FILTER, Exporter
from restorer.gui.hints_list import HintsDock
from restorer.gui.hints_store import HintsStore
from restorer.gui.hints_tool import HintController, HintList, HintSizeBox, suggest_from_results
from restorer.gui.histogram_widget import HistogramDock
from restorer.gui.model_picker import apply_model_list, fill_combo, startup_choice, update_model_actions
from restorer.gui.notifier import Notifier
from restorer.gui.preview_flow import PreviewFlow, flow_signals
from restorer.gui.qimage import numpy_to_qimage, pixel_rgb
from restorer.gui.queue_panel import QueuePanel
from restorer.gui.region_tool import RegionController, brush_size_box, mean_colour_under
from restorer.gui.status import WorkStatus
from restorer.gui.theme import apply_theme
from restorer.gui.thumbnails import ThumbnailStrip
from restorer.gui.tone_labels import original_caption, reference_series
from restorer.gui.viewer import PhotoViewer
from restorer.gui.window_actions import build_actions, build_menus_and_toolbar, restore_settings, save_settings
from restorer.gui.workers import Worker, cancel_all, pool, wait_all


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
        self.setWindowTitle(self.tr("Restorer"))
        self.setAcceptDrops(True)
        self.cache = jobs.ModelCache()
        self.cards: list[Any] = []
        self.session = PhotoSession(lambda hints: jobs.hints_key(hints.specs()))
        # The engine spreads every hint to similar areas (core.hints.propagate), so hints work with any model.
        self.hints_propagate = True
        self.device_text = ""
        self.shown_result: jobs.ColorizeResult | None = None
        self._closing = False

        self._build_views()
        self._build_docks_and_tools()
        self._build_controls()
        build_actions(self)
        build_menus_and_toolbar(self)
        restore_settings(self)
        self._start_startup_job()

    @property
    def doc(self) -> PhotoDoc | None:
        """The photo on screen (None before one is chosen)."""
        return self.session.current

    # ================================================================================================ UI build
    def _build_views(self) -> None:
        self.viewer = PhotoViewer()
        self.compare = CompareView(self.cache)
        self.compare.status.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.compare.resultsChanged.connect(lambda: self.hist_dock.schedule())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.viewer, self.tr("Photo"))
        self.tabs.addTab(self.compare, self.tr("Compare models"))
        self.tabs.currentChanged.connect(lambda _i: self.hist_dock.schedule())
        self.banner = ErrorBanner()
        self.notifier = Notifier(self, self.banner)
        self.notifier.errorShown.connect(self.errorShown)
        self.hints_store = HintsStore(lambda p, why: self.notifier.problem("Hints", p, why), self)  # sidecars
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _build_docks_and_tools(self) -> None:
        self.strip = ThumbnailStrip()
        self.strip.photoSelected.connect(self.show_photo)
        self.strip.photosRemoved.connect(self._on_photos_removed)
        self.strip.thumbFailed.connect(self._on_thumb_failed)
        self.strip_dock = QDockWidget(self.tr("Photos"), self)
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
        self.hint_controller.suggest = lambda fx, fy: suggest_from_results(self.displayed_result(), self.doc, fx, fy)
        # Regions live in the same HintList, so hintsChanged also re-runs the preview after region edits.
        self.hint_controller.hintsChanged.connect(self._on_hints_changed)
        self.region_controller = RegionController(self.viewer.primary, self)
        self.region_controller.sample = self._sample_result_region
        self.region_dock = HintsDock(self.region_controller, self, hints=self.hint_controller)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.region_dock)
        self.splitDockWidget(self.hist_dock, self.region_dock, Qt.Orientation.Vertical)
        self.region_dock.hide()  # shown when the Region tool is first used
        self.hint_size = HintSizeBox()
        self.hint_size.radiusChanged.connect(self._on_hint_size)
        self.brush_size = brush_size_box()
        self.brush_size.valueChanged.connect(self._on_brush_size)
        self.undo_group = QUndoGroup(self)
        self.queue = QueuePanel(self, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.queue)
        self.queue.hide()  # shown by File > Colourise folder... or View > Batch queue
        self.modelsReady.connect(lambda: self.queue.set_models(self.cards, self.current_model()))

    def _build_controls(self) -> None:
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(16)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setToolTip(self.tr("Colourisation model"))
        self.model_combo.currentIndexChanged.connect(self.on_model_changed)
        self.strength_box = QSpinBox()
        self.strength_box.setRange(0, round(MAX_STRENGTH * 100))
        self.strength_box.setSingleStep(10)
        self.strength_box.setSuffix(" %")
        self.strength_box.setValue(100)
        self.strength_box.setToolTip(self.tr("Colour strength: how much of the model's colour to apply (100 % = as "
                                             "predicted). Your hints and painted regions keep exactly their colour."))
        self.strength_box.valueChanged.connect(self._on_strength_changed)

        self.work = WorkStatus(self.statusBar())
        # Short names for what tests and scripts look at.
        self.progress, self.cancel_button = self.work.progress, self.work.cancel_button
        self.timing_label, self.device_label = self.work.timing, self.work.device
        self.exporter = Exporter(self, self)
        self.exporter.saved.connect(self.saved)
        self.exporter.saveFailed.connect(self.saveFailed)
        self.exporter.saveAllFinished.connect(self.saveAllFinished)

        self.flow = PreviewFlow(self, self._show_result)
        flow_signals(self.flow, self)
        self.flow.cancelled.connect(self._on_colourise_cancelled)

    # ================================================================================================ settings
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
        w = self.notifier.watch(Worker(jobs.startup_info, name="startup"), "Restorer could not start its engine")
        w.returned.connect(self._on_startup)
        w.start(pool("io"))

    def _on_startup(self, info: jobs.StartupInfo) -> None:
        self.cards = list(info.models)
        self.device_text = info.device
        self.work.set_device(info.device)
        index, note = startup_choice(self.cards, S.get_str(S.MODEL))
        self.model_combo.blockSignals(True)
        fill_combo(self.model_combo, self.cards)
        self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)
        if note:
            self.notifier.status(note, 8000)
        # First run: Compare starts with the model in use beside the next one, not simply the first two.
        others = [c.name for c in self.cards if c.name != self.current_model()]
        self.compare.set_models(self.cards, S.get_list(S.COMPARE_MODELS) or [self.current_model(), *others[:1]])
        self._update_model_ui()
        if not self.cards:
            self.notifier.error(self.tr("No colourisation models installed"),
                                self.tr("Restorer found no models in its resources folder or your model folder. "
                                        "Reinstall Restorer, or train one with `restorer train`."))
        self.modelsReady.emit()
        if self.doc is not None and self.doc.image is not None:
            self.request_preview(immediate=True)

    def current_model(self) -> str:
        return self.model_combo.currentData() or ""

    def current_card(self) -> Any:
        name = self.current_model()
        return next((c for c in self.cards if c.name == name), None)

    def _update_model_ui(self) -> None:
        update_model_actions(self, self.current_card())

    def strength(self) -> float:
        """Colour strength of new results (1 = the model's own colour)."""
        return self.strength_box.value() / 100.0

    def _on_strength_changed(self, percent: int) -> None:
        S.put(S.STRENGTH, percent)
        if not self._show_cached():
            self.request_preview()  # debounced: spin-box steps arrive in bursts like hint edits

    def on_model_changed(self, _index: int) -> None:
        self._update_model_ui()
        if self.current_model():
            S.put(S.MODEL, self.current_model())
        if self.doc is not None:
            self.doc.full = None
        self.request_preview(immediate=True)

    # ================================================================================================ opening
    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Open photos"), S.get_dir(S.LAST_OPEN_DIR), IMAGE_FILTER)
        if files:
            S.put(S.LAST_OPEN_DIR, str(Path(files[0]).parent))
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a folder of photos"), S.get_dir(S.LAST_OPEN_DIR))
        if folder:
            S.put(S.LAST_OPEN_DIR, folder)
            self.open_paths([folder])

    def open_paths(self, paths: list[str | Path]) -> Worker | None:
        """Add files and folders (recursively) to the strip; the folder scan runs on a worker."""
        paths = [Path(p) for p in paths]
        for p in paths:
            if not p.exists():
                self.notifier.problem("Some photos could not be opened", p, "file or folder not found")
        paths = [p for p in paths if p.exists()]
        if not paths:
            return None
        w = self.notifier.watch(Worker(jobs.find_photos, paths, name="find photos"), "Could not read the folder")
        w.returned.connect(lambda found, given=paths: self._on_found(given, found))
        w.start(pool("io"))
        return w

    def _on_found(self, given: list[Path], found: list[Path]) -> None:
        if not found:
            where = ", ".join(p.name for p in given)
            self.notifier.error(self.tr("No photos found"),
                                self.tr("No supported images (JPEG, PNG, TIFF, BMP, WebP) in {where}.").format(where=where))
            return
        new = self.strip.add_paths(found)
        for p in new:
            stack = QUndoStack(self)
            self.undo_group.addStack(stack)
            self.session.add(p, hints := HintList(self), stack)
            self.hints_store.attach(p, hints)  # its sidecar's hints, saved on every change
        if new and len(given) == 1 and given[0].is_file():
            self.strip.select_path(new[0])  # the file the user named: open it (or say why not)
        elif self.strip.currentItem() is None and self.strip.count():
            self.strip.select_first_readable()  # an unreadable first file is reported in the banner only
        self.notifier.status(self.tr("{n} photo(s) added, {total} in total.").format(n=len(new), total=self.strip.count()))
        self.photosAdded.emit(new)

    def _on_photos_removed(self, paths: list[Path]) -> None:
        """Photos taken out of the strip are forgotten (the files stay); with none left the viewer empties."""
        for p in paths:
            doc = self.session.docs.pop(self.session.key(p), None)
            self.hints_store.detach(p)
            if doc is not None:
                self.undo_group.removeStack(doc.undo)
        if self.doc is not None and self.doc.path not in self.session:
            self.cancel_colourise()
            self.session.select(None)
            self.viewer.clear()
            self.compare.set_photo(None)
            self.hist_dock.schedule()
            self.setWindowTitle(self.tr("Restorer"))

    def _on_thumb_failed(self, path: Path, reason: str) -> None:
        doc = self.session.get(path)
        if doc is not None:
            doc.error = reason
        self.notifier.problem("Some photos could not be read", path, reason)

    # -- drag and drop ----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        accept_files(event)

    dragMoveEvent = dragEnterEvent  # noqa: N815

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        take_files(event, self.open_paths)

    # ================================================================================================ showing
    def show_photo(self, path: Path) -> None:
        """Make ``path`` the current photo: read it (worker) if needed, show it, start its preview."""
        doc = self.session.get(path)
        if doc is None:
            return
        self.cancel_colourise()
        self.session.select(doc)
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
        if doc.error is not None:  # the strip could not read it and the banner says so: no second report
            self._on_photo_failed(doc, doc.error)
            return
        w = Worker(jobs.read_for_display, doc.path, name="read photo")
        self.notifier.watch(w, f"Cannot open {doc.path.name}", inline=lambda m, doc=doc: self._on_photo_failed(doc, m))
        w.returned.connect(lambda res, doc=doc: self._on_photo_read(doc, res))
        w.start(pool("io"))

    def _on_photo_read(self, doc: PhotoDoc, res: tuple[Any, Any]) -> None:
        doc.image, doc.display = res
        doc.error = None
        if doc is self.doc:
            self._display_doc(doc)

    def _on_photo_failed(self, doc: PhotoDoc, message: str) -> None:
        doc.error = message
        self.strip.mark_error(doc.path, message)
        if doc is self.doc:
            self.viewer.primary.set_placeholder(f"{doc.path.name} could not be opened:\n{message}")

    def _display_doc(self, doc: PhotoDoc) -> None:
        self.session.shown(doc)
        self.viewer.set_photo(doc.display)
        self.viewer.set_before_caption(original_caption(doc.image))  # "toned scan" is no ground truth
        self.hint_controller.set_document(doc.hints, doc.undo)
        self.region_controller.set_document(doc.hints, doc.undo)
        self.compare.set_photo(doc.image, self.viewer.primary.item.before_pixmap())
        self.setWindowTitle(self.tr("{name} — Restorer").format(name=doc.path.name))
        self.photoShown.emit(doc.path)
        if not self._show_cached():
            self.request_preview(immediate=True)

    # ================================================================================================ colourise
    def request_preview(self, immediate: bool = False) -> None:
        """(Re)run the preview: debounced (hint edits arrive in bursts) unless ``immediate``."""
        self.flow.request(immediate)

    def colourise_again(self) -> Worker | None:
        """Ctrl+R: run the model again, full resolution included (a kept result made it finish unseen)."""
        if self.doc is not None and self.doc.image is not None:
            self.doc.full = None
            self.notifier.status(self.tr("Colourising {name} again with {model}…").format(
                name=self.doc.path.name, model=self.current_model()))
        return self.colourise_now()

    def colourise_now(self) -> Worker | None:
        """Cancel running colourisation and start a preview of the current photo; returns its worker."""
        return self.flow.colourise_now()

    @property
    def preview_worker(self) -> Worker | None:
        return self.flow.preview_worker

    def _show_cached(self) -> bool:
        return self.flow.show_cached()

    def _show_result(self, res: jobs.ColorizeResult) -> None:
        image = res.display if res.display is not None else numpy_to_qimage(res.pixels)
        kind = "preview" if res.preview and self.doc is not None and self.doc.image is not None and \
            res.pixels.shape != self.doc.image.pixels.shape else "full resolution"
        parts = [kind] + _counted(jobs.count_hints(res.hints_key))
        if res.strength != 1.0:
            parts.append(f"colour {round(res.strength * 100)} %")
        self.viewer.set_result(image, f"{res.model_name} ({', '.join(parts)})")
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

    def _on_colourise_cancelled(self) -> None:
        if self._closing:
            return
        self.notifier.status(self.tr("Colourisation cancelled."), 4000)
        self.colorizeCancelled.emit()

    def cancel_colourise(self) -> None:
        """Cancel the preview and full-resolution runs of the current photo (if any)."""
        self.flow.cancel()

    def cancel_work(self) -> None:
        """The Cancel button / Esc: stop colourising and saving (the photo list keeps loading)."""
        self.flow.timer.stop()
        self.work.cancel()
        self.compare.cancel()

    def track_work(self, worker: Worker, label: str) -> None:
        """Show ``worker`` in the status bar's work area (progress, Cancel) while it runs."""
        self.work.track(worker, label)

    def is_busy(self) -> bool:
        return self.work.is_busy()

    def update_original(self) -> None:
        self.viewer.show_original(self.act_original.isChecked() or self.hold_t.held)

    # ================================================================================================ hints
    def set_hint_tool(self, on: bool) -> None:
        if on and self.act_regions.isChecked():
            self.act_regions.setChecked(False)  # one tool owns the mouse: switch the other off first
        self.hint_controller.set_active(on)
        if on:
            self.tabs.setCurrentWidget(self.viewer)
            self.notifier.status(self.tr("Hint tool: click the photo to set a colour; drag to move, right-click to "
                                         "remove, Ctrl+Z to undo."), 6000)

    def set_region_tool(self, on: bool) -> None:
        if on and self.act_hints.isChecked():
            self.act_hints.setChecked(False)
        self.region_controller.set_active(on)
        if on:
            self.tabs.setCurrentWidget(self.viewer)
            self.region_dock.show()
            self.region_dock.raise_()
            self.notifier.status(self.tr("Region tool: paint over the photo, then pick its colour; right-drag or "
                                         "Shift+drag erases, Ctrl+drag adds to the selected region."), 8000)

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
        self.tabs.setCurrentWidget(self.viewer if self.tabs.currentWidget() is self.compare else self.compare)

    # ================================================================================================ histograms
    def histogram_inputs(self) -> list[tuple[str, Any, str]]:
        """(label, pixels, role) for the histogram dock: the original (or ground truth) and each visible result
        (the comparison's results while the Compare tab is shown). Big images are subsampled by a pixel stride
        (:func:`restorer.gui.jobs.subsample`)."""
        doc = self.doc
        if doc is None or doc.image is None:
            return []
        label, role = reference_series(doc.image)
        items: list[tuple[str, Any, str]] = [(label, doc.image.pixels, role)]
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
        from restorer.gui.train_dialog import show_for_window

        show_for_window(self)

    def refresh_models(self, select: str | None = None) -> Worker:
        """Re-read the installed models (one was just trained) on a worker; ``select`` then switches to it."""
        from restorer.core.models import list_models

        w = self.notifier.watch(Worker(lambda _ctl: list_models(), name="list models"), "Could not list the models")
        w.returned.connect(lambda cards: self._on_models_listed(cards, select))
        w.start(pool("io"))
        return w

    def _on_models_listed(self, cards: list[Any], select: str | None) -> None:
        apply_model_list(self, cards, select)

    # ================================================================================================ misc
    def show_error(self, title: str, text: str) -> None:
        """A clear, window-modal message (:meth:`restorer.gui.notifier.Notifier.error`)."""
        self.notifier.error(title, text)

    def colourise_folder(self) -> None:
        """File > Colourise folder...: the batch queue, with a folder (and its subfolders) added to it."""
        self.queue.show()
        self.queue.raise_()
        self.queue.add_folder_dialog()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save settings, stop every worker and wait for them: no thread may outlive the window. A running batch
        is stopped only if the user says so."""
        if not self.hints_store.confirm_quit(self) or not self.queue.confirm_close():
            event.ignore()
            return
        self._closing = True
        self.notifier.closing = True
        save_settings(self)
        self.flow.timer.stop()
        self.hist_dock.stop()
        self.compare.cancel()
        self.strip.cancel()
        self.hold_t.detach()
        cancel_all()
        t0 = time.monotonic()
        wait_all(30_000)
        if time.monotonic() - t0 > 1:
            print(f"restorer: waited {time.monotonic() - t0:.1f} s for background work to stop")
        self.notifier.close()
        super().closeEvent(event)


def _counted(counts: tuple[int, int]) -> list[str]:
    """["2 hints", "1 region"] for the result caption (nothing for zero)."""
    return [f"{n} {word}{'s' if n != 1 else ''}" for n, word in zip(counts, ("hint", "region")) if n]
