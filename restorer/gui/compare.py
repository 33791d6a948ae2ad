"""Comparison view: 2-4 models on the current photo, in a grid of synchronised views.

Each tile shows one model's full-resolution result, labelled with the model's name, its run time and its
metrics (colourfulness; PSNR and SSIM when the input is a real colour photo serving as ground truth, never a toned
scan: :mod:`restorer.gui.tone_labels`). Every model is
loaded and run on a worker (the single-thread compute pool, one model after the other). Zooming or panning any
tile moves all of them (:class:`~restorer.gui.viewer.ViewSync`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from restorer.gui import jobs
from restorer.gui.notifier import watch
from restorer.gui.qimage import numpy_to_qimage
from restorer.gui.tone_labels import is_reference
from restorer.gui.viewer import PhotoView
from restorer.gui.workers import Worker, pool
from restorer.gui.zoom_view import ViewSync

MIN_MODELS, MAX_MODELS = 2, 4


#: A bare ``translate(context, text)`` call is what pyside6-lupdate finds outside a QObject's methods.
translate = QCoreApplication.translate


def describe_result(r: jobs.CompareResult) -> str:
    """The tile caption: model, time, metrics (plain text, one line per idea)."""
    if r.error:
        return translate("CompareView", "{model} — failed: {reason}").format(model=r.model_name, reason=r.error)
    t = f"{r.seconds:.2f} s"
    if r.load_seconds > 0.05:
        t += translate("CompareView", " (+{seconds:.1f} s loading)").format(seconds=r.load_seconds)
    bits = [translate("CompareView", "colourfulness {value:.1f}").format(value=r.colourfulness)
            if r.colourfulness is not None else ""]
    if r.psnr is not None:
        bits.append("PSNR ∞" if math.isinf(r.psnr) else f"PSNR {r.psnr:.2f} dB")
    if r.ssim is not None:
        bits.append(f"SSIM {r.ssim:.3f}")
    # One line (the label wraps it when the tile is narrow): vertical space is photo space.
    return f"{r.model_name} — {t} · " + " · ".join(b for b in bits if b)


class CompareTile(QWidget):
    """One model's result: a caption and a PhotoView showing the colour image."""

    def __init__(self, model_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_name = model_name
        self.label = QLabel(translate("CompareView", "{model} — waiting…").format(model=model_name))
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.view = PhotoView()
        self.view.set_placeholder("")
        self.view.set_display("after", False)
        self.view.set_captions(model_name, model_name)
        self.view.setAccessibleName(translate("CompareView", "{model} result").format(model=model_name))
        self.result: jobs.CompareResult | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.label)
        lay.addWidget(self.view, 1)

    def set_running(self, fraction: float | None = None) -> None:
        pct = "" if fraction is None else f" {int(fraction * 100)} %"
        self.label.setText(translate("CompareView", "{model} — running…{pct}").format(model=self.model_name,
                                                                                       pct=pct))

    def set_result(self, r: jobs.CompareResult) -> None:
        self.result = r
        self.label.setText(describe_result(r))
        if r.pixels is not None:
            self.view.set_after(r.display if r.display is not None else numpy_to_qimage(r.pixels))


class CompareView(QWidget):
    """Checkable model list + result grid. Call :meth:`set_photo` and :meth:`set_models`; runs when visible."""

    #: All checked models have a result (or an error) for the current photo.
    comparisonFinished = Signal()
    #: The set of results for the current photo changed (the histogram dock listens).
    resultsChanged = Signal()
    status = Signal(str)

    def __init__(self, cache: jobs.ModelCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.models = QListWidget()
        self.models.setToolTip(self.tr("Tick 2 to 4 models to compare on the current photo"))
        self.models.setAccessibleName(self.tr("Models to compare"))
        self.models.itemChanged.connect(self._on_item_changed)
        self.note = QLabel(self.tr("Tick 2–4 models. Results are full resolution, without hints."))
        self.note.setWordWrap(True)
        self.run_button = QPushButton(self.tr("&Run again"))
        self.run_button.clicked.connect(lambda: self.run(force=True))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(QLabel("<b>{}</b>".format(self.tr("Models"))))
        sl.addWidget(self.models, 1)
        sl.addWidget(self.note)
        sl.addWidget(self.run_button)
        sl.addWidget(self.progress)
        sl.addWidget(self.cancel_button)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.empty = QLabel(self.tr("Open a photo and tick two or more models."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid.addWidget(self.empty, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(side)
        split.addWidget(self.grid_host)
        split.setStretchFactor(1, 1)
        split.setSizes([200, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        self.sync = ViewSync()
        self.tiles: list[CompareTile] = []
        self._photo: Any = None  # LoadedImage
        self._tiles_photo: Any = None  # the photo the current tiles were built for
        self._display: QImage | QPixmap | None = None
        self._pending = self._total = 0
        self._shape: tuple[int, int] = (0, 0)
        self._results: dict[tuple[Path, str], jobs.CompareResult] = {}
        self._workers: list[Worker] = []
        self._generation = 0
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.run)

    # -- inputs ----------------------------------------------------------------------------------------------
    def set_models(self, cards: list[Any], checked: list[str] | None = None) -> None:
        """Fill the list from model cards; ``checked`` names start ticked (default: the first two)."""
        self.models.blockSignals(True)
        self.models.clear()
        names = [c.name for c in cards]
        wanted = [n for n in (checked or []) if n in names][:MAX_MODELS] or names[:MIN_MODELS]
        for c in cards:
            it = QListWidgetItem(c.name)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if c.name in wanted else Qt.CheckState.Unchecked)
            it.setToolTip(c.description or c.name)
            self.models.addItem(it)
        self.models.blockSignals(False)
        self._schedule()

    def checked_models(self) -> list[str]:
        return [self.models.item(i).text() for i in range(self.models.count())
                if self.models.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked(self, names: list[str]) -> None:
        self.models.blockSignals(True)
        for i in range(self.models.count()):
            it = self.models.item(i)
            it.setCheckState(Qt.CheckState.Checked if it.text() in names else Qt.CheckState.Unchecked)
        self.models.blockSignals(False)
        self._schedule()

    def set_photo(self, image: Any, display: QImage | QPixmap | None = None) -> None:
        """The photo to compare on (a LoadedImage, or None); ``display`` is its ready-made QImage/QPixmap if the
        caller has one (converting an 18 MP scan again would freeze the GUI). Running work is cancelled; the
        tiles are rebuilt when the view is next shown."""
        if image is self._photo:
            return
        self.cancel()
        self._photo = image
        self._display = display
        # Full-resolution results of 4 models are big: keep only those of the photo on screen.
        keep = Path(image.path) if image is not None else None
        self._results = {k: v for k, v in self._results.items() if k[0] == keep}
        if self.isVisible():
            self._rebuild_tiles()
            self._schedule()

    def results(self) -> list[jobs.CompareResult]:
        """Results for the current photo and the currently ticked models, in tile order."""
        return [t.result for t in self.tiles if t.result is not None and t.result.pixels is not None]

    def is_running(self) -> bool:
        return any(not w.done for w in self._workers)

    # -- running ---------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        self._rebuild_tiles()
        self._schedule()

    def _schedule(self) -> None:
        self._debounce.start()

    def cancel(self) -> None:
        self._debounce.stop()
        self._generation += 1
        for w in self._workers:
            w.cancel()
        self._set_busy(False)

    def run(self, force: bool = False) -> None:
        """Colourise the photo with every ticked model that has no result yet (all of them with ``force``).

        Only while the view is visible: a hidden comparison must not eat the CPU the main preview needs.
        """
        if self._photo is None or not self.isVisible():
            return
        names = self.checked_models()
        if len(names) < MIN_MODELS:
            self.status.emit(self.tr("Tick at least two models to compare."))
            self._rebuild_tiles()
            return
        self.cancel()
        self._rebuild_tiles()
        gen = self._generation
        path = Path(self._photo.path)
        if force:
            for n in names:
                self._results.pop((path, n), None)
        todo = [t for t in self.tiles if (path, t.model_name) not in self._results]
        for t in self.tiles:
            if (path, t.model_name) in self._results:
                t.set_result(self._results[(path, t.model_name)])
        if not todo:
            self.comparisonFinished.emit()
            return
        self._set_busy(True)
        self._pending = len(todo)
        self._total = len(todo)
        for i, tile in enumerate(todo):
            w = Worker(jobs.compare_model, self.cache, tile.model_name, self._photo.pixels,
                       is_reference(self._photo), token=(gen, path), name="compare")
            w.started.connect(lambda tile=tile: tile.set_running(0.0))
            w.progress.connect(lambda f, tile=tile, i=i: self._on_progress(tile, i, f))
            w.returned.connect(lambda r, gen=gen: self._on_result(gen, r))
            watch(w, inline=lambda message, tile=tile, gen=gen: self._on_error(gen, tile, message))
            w.finished.connect(lambda w=w, gen=gen: self._on_done(w, gen))
            self._workers.append(w)
            w.start(pool("compute"))

    def _on_progress(self, tile: CompareTile, i: int, f: float) -> None:
        tile.set_running(f)
        self.progress.setValue(int(1000 * (i + f) / max(self._total, 1)))

    def _on_result(self, gen: int, r: jobs.CompareResult) -> None:
        if gen != self._generation:
            return
        path = r.token[1]
        self._results[(path, r.model_name)] = r
        for t in self.tiles:
            if t.model_name == r.model_name:
                t.set_result(r)
        self.resultsChanged.emit()

    def _on_error(self, gen: int, tile: CompareTile, message: str) -> None:
        if gen != self._generation:
            return
        r = jobs.CompareResult(tile.model_name, None, error=message)
        tile.set_result(r)
        self.status.emit(self.tr("Comparison: {model} failed: {reason}").format(model=tile.model_name, reason=r.error))

    def _on_done(self, w: Worker, gen: int) -> None:
        if w in self._workers:
            self._workers.remove(w)
        if gen != self._generation:
            return
        self._pending -= 1
        if self._pending <= 0:
            self._set_busy(False)
            self.comparisonFinished.emit()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    # -- tiles -----------------------------------------------------------------------------------------------
    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked and len(self.checked_models()) > MAX_MODELS:
            self.models.blockSignals(True)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.models.blockSignals(False)
            self.status.emit(self.tr("At most {n} models can be compared at once.").format(n=MAX_MODELS))
            return
        self._schedule()

    def _rebuild_tiles(self) -> None:
        names = self.checked_models() if self._photo is not None else []
        if len(names) < MIN_MODELS:
            names = []
        if [t.model_name for t in self.tiles] == names and self._tiles_photo is self._photo:
            return
        self._tiles_photo = self._photo
        for t in self.tiles:
            self.sync.remove(t.view)
            self.grid.removeWidget(t)
            t.deleteLater()
        self.tiles = []
        self.empty.setVisible(not names)
        if not names:
            self.empty.setText(self.tr("Open a photo and tick two or more models.") if self._photo is None
                               else self.tr("Tick two or more models to compare them on this photo."))
            self.resultsChanged.emit()
            return
        if self._display is None:
            self._display = numpy_to_qimage(self._photo.pixels)
        before = self._display if isinstance(self._display, QPixmap) else QPixmap.fromImage(self._display)
        self._display = before  # converted once, shared by every tile (QPixmap is implicitly shared)
        for n in names:
            tile = CompareTile(n)
            tile.view.set_photo(before)  # the photo rectangle; the tile shows only the colour ("after")
            self.sync.add(tile.view)
            self.tiles.append(tile)
        self._layout_tiles(force=True)
        self.resultsChanged.emit()

    def grid_shape(self) -> tuple[int, int]:
        """(rows, columns) that show the photo largest in the available area (landscape photos stack)."""
        n = len(self.tiles)
        if n == 0 or self._photo is None:
            return (0, 0)
        h_img, w_img = self._photo.pixels.shape[:2]
        W = max(self.grid_host.width(), 1)
        H = max(self.grid_host.height(), 1)
        caption = self.fontMetrics().height() + 8
        best, best_scale = (1, n), -1.0
        for cols in range(1, n + 1):
            rows = math.ceil(n / cols)
            scale = min((W / cols) / w_img, max(H / rows - caption, 1) / h_img)
            if scale > best_scale + 1e-9:
                best, best_scale = (rows, cols), scale
        return best

    def _layout_tiles(self, force: bool = False) -> None:
        shape = self.grid_shape()
        if not force and shape == self._shape:
            return
        self._shape = shape
        rows, cols = shape
        for t in self.tiles:
            self.grid.removeWidget(t)
        for i, t in enumerate(self.tiles):
            self.grid.addWidget(t, i // cols, i % cols)

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        super().resizeEvent(event)
        self._layout_tiles()
