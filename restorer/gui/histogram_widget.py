"""Histograms of L, a and b drawn with QPainter (no plotting library in the GUI).

:class:`HistogramPlot` draws any number of same-length histograms over one value range. :class:`HistogramPanel`
is the dock's content, :class:`HistogramDock` the dock that recomputes it (debounced, on a worker): three plots (L, a, b), a legend and a table of colourfulness and Jensen-Shannon
divergences. It only draws; the numbers come from ``restorer.core.metrics`` via
:func:`restorer.gui.jobs.compute_histograms` on a worker.
"""
from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QDockWidget, QLabel, QSizePolicy, QVBoxLayout, QWidget

from restorer.gui import jobs
from restorer.gui.jobs import HistogramSet
from restorer.gui.notifier import watch
from restorer.gui.workers import Worker, pool

#: Series colours: the reference (original / ground truth) is neutral, results get distinct hues.
REFERENCE_COLOUR = QColor(128, 128, 128)
RESULT_COLOURS = [QColor(230, 120, 20), QColor(40, 120, 220), QColor(40, 170, 90), QColor(170, 60, 190)]


def series_colour(role: str, result_index: int) -> QColor:
    if role in ("original", "truth", "toned"):
        return REFERENCE_COLOUR
    return RESULT_COLOURS[result_index % len(RESULT_COLOURS)]


class HistogramPlot(QWidget):
    """Line plot of histograms over ``[lo, hi]``; the reference is drawn filled, results as lines."""

    #: Auto-zoom keeps this share of every series' mass in view.
    ZOOM_MASS = 0.995

    def __init__(self, title: str, lo: float, hi: float, parent: QWidget | None = None,
                 auto_zoom: bool = False) -> None:
        super().__init__(parent)
        self.title, self.lo, self.hi = title, lo, hi
        # a and b of real photos (and of careful colourisations) sit within a few tens of units of 0; on the full
        # ±110 axis they would be one thin spike. auto_zoom shows the symmetric range that holds the data.
        self.auto_zoom = auto_zoom
        self._series: list[tuple[str, np.ndarray, QColor, bool]] = []
        self._note = ""
        self.setAccessibleName(self.tr("{title} histogram").format(title=title))
        self._describe()
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_series(self, series: list[tuple[str, np.ndarray, QColor, bool]], note: str = "") -> None:
        """``(label, histogram, colour, filled)`` each; histograms are drawn as given (normalised by the core)."""
        self._series = [(lab, np.asarray(h, dtype=np.float64), c, f) for lab, h, c, f in series]
        self._note = note
        self._describe()
        self.update()

    def _describe(self) -> None:
        """For screen readers: which series are drawn and the range shown (the plot itself is only pixels)."""
        if not self._series:
            self.setAccessibleDescription(self._note or self.tr("no data yet"))
            return
        lo, hi = self.visible_range()
        self.setAccessibleDescription(self.tr("{series}; from {lo:g} to {hi:g}").format(
            series=", ".join(label for label, _, _, _ in self._series), lo=lo, hi=hi))

    def series(self) -> list[tuple[str, np.ndarray, QColor, bool]]:
        return list(self._series)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 120)

    def visible_range(self) -> tuple[float, float]:
        """The x range drawn: the full ``[lo, hi]``, or with auto-zoom the smallest symmetric ±R (a multiple of
        10, at least 20) holding ``ZOOM_MASS`` of every series."""
        if not self.auto_zoom or not self._series or not self.lo < 0 < self.hi:
            return self.lo, self.hi
        limit = min(-self.lo, self.hi)
        need = 20.0
        for _, h, _, _ in self._series:
            total = float(h.sum())
            if h.size == 0 or total <= 0:
                continue
            centres = self.lo + (np.arange(h.size) + 0.5) * (self.hi - self.lo) / h.size
            order = np.argsort(np.abs(centres), kind="stable")
            cum = np.cumsum(h[order]) / total
            k = int(np.searchsorted(cum, self.ZOOM_MASS))
            reach = float(np.abs(centres[order[min(k, h.size - 1)]])) + (self.hi - self.lo) / h.size
            need = max(need, math.ceil(reach / 10.0) * 10.0)
        r = min(need, limit)
        return -r, r

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        fm = p.fontMetrics()
        top = fm.height() + 4
        bottom = fm.height() + 4
        left, right = 6, 6
        plot = QRectF(left, top, max(self.width() - left - right, 10), max(self.height() - top - bottom, 10))
        p.fillRect(plot, pal.color(QPalette.ColorRole.Base))
        p.setPen(text)
        p.drawText(QRectF(left, 0, plot.width(), top), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.title)
        if self._note:
            p.drawText(QRectF(left, 0, plot.width(), top),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._note)
        # x ticks: the ends and zero (a/b) or the middle (L)
        grid = QColor(text)
        grid.setAlpha(50)
        vlo, vhi = self.visible_range()
        ticks = [vlo, 0.0, vhi] if vlo < 0 < vhi else [vlo, (vlo + vhi) / 2, vhi]
        for t in ticks:
            x = plot.left() + (t - vlo) / (vhi - vlo) * plot.width()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(text)
            label = f"{t:g}"
            w = fm.horizontalAdvance(label)
            tx = min(max(x - w / 2, plot.left()), plot.right() - w)
            p.drawText(QPointF(tx, plot.bottom() + fm.ascent() + 2), label)
        p.setPen(QPen(grid, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(plot)
        if not self._series:
            p.setPen(text)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("no data yet"))
            p.end()
            return
        p.setClipRect(plot)
        # A shared y scale so heights compare across series; the top is the tallest bin (with a little air).
        ymax = max((float(h.max()) for _, h, _, _ in self._series if h.size), default=0.0)  # (all bins count)
        if ymax <= 0:
            ymax = 1.0
        ymax *= 1.05
        outlines: list[list[QPointF]] = []
        for _, h, colour, filled in self._series:
            if h.size == 0:
                continue
            n = h.size
            centres = self.lo + (np.arange(n) + 0.5) * (self.hi - self.lo) / n
            keep = (centres >= vlo) & (centres <= vhi)
            if not keep.any():
                continue
            xs = plot.left() + (centres[keep] - vlo) / (vhi - vlo) * plot.width()
            ys = plot.bottom() - np.minimum(h[keep] / ymax, 1.0) * plot.height()
            pts = [QPointF(float(x), float(y)) for x, y in zip(xs, ys)]
            if filled:
                path = QPainterPath()
                path.moveTo(QPointF(pts[0].x(), plot.bottom()))
                for pt in pts:
                    path.lineTo(pt)
                path.lineTo(QPointF(pts[-1].x(), plot.bottom()))
                path.closeSubpath()
                fill = QColor(colour)
                fill.setAlpha(90)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(fill)
                p.drawPath(path)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(colour, 1.6))
            p.drawPolyline(QPolygonF(pts))
            if filled:
                outlines.append(pts)
        # The reference's outline again on top, dashed: results often lie right on it and would hide it.
        for pts in outlines:
            pen = QPen(REFERENCE_COLOUR.darker(130), 1.2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawPolyline(QPolygonF(pts))
        p.end()


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.{digits}f}"


class HistogramPanel(QWidget):
    """L / a / b plots plus a legend-and-numbers table for a :class:`~restorer.gui.jobs.HistogramSet`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QLabel()
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setWordWrap(True)
        self.table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.table.setAccessibleName(self.tr("Histogram numbers"))
        self.plot_L = HistogramPlot(self.tr("L (lightness)"), 0.0, 100.0)
        self.plot_a = HistogramPlot(self.tr("a (green − / red +)"), -110.0, 110.0, auto_zoom=True)
        self.plot_b = HistogramPlot(self.tr("b (blue − / yellow +)"), -110.0, 110.0, auto_zoom=True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.table)
        for plot in (self.plot_L, self.plot_a, self.plot_b):
            lay.addWidget(plot, 1)
        self.setAccessibleName(self.tr("Histograms"))
        self.data: HistogramSet | None = None
        self.set_data(None)

    def set_message(self, text: str) -> None:
        self.table.setText(f"<i>{html.escape(text)}</i>")

    def _role_note(self, role: str) -> str:
        return {"original": self.tr("gray: L only"), "truth": self.tr("ground truth"),
                "toned": self.tr("toned scan: one tint, not a colour reference")}.get(role, "")

    def set_data(self, data: HistogramSet | None) -> None:
        """Show a computed set (None clears the panel)."""
        self.data = data
        if data is None or not data.series:
            for plot in (self.plot_L, self.plot_a, self.plot_b):
                plot.set_series([])
            self.set_message(self.tr("Histograms appear once a photo is colourised."))
            return
        L, a, b = [], [], []
        rows = []
        k = 0
        for s in data.series:
            colour = series_colour(s.role, k)
            if s.role == "result":
                k += 1
            filled = s.role != "result"
            L.append((s.label, s.L, colour, filled))
            if s.a is not None and s.b is not None:
                a.append((s.label, s.a, colour, filled))
                b.append((s.label, s.b, colour, filled))
            swatch = f"<span style='color:{colour.name()}; font-size:large'>■</span>"
            name = html.escape(s.label)
            note = self._role_note(s.role) or (self.tr("ref.") if data.reference == s.label else "")
            if note:
                name += f" <small>({html.escape(note)})</small>"
            rows.append(f"<tr><td>{swatch} {name}</td><td align='right'>{_fmt(s.colourfulness, 1)}</td>"
                        f"<td align='right'>{_fmt(s.js_a)}</td><td align='right'>{_fmt(s.js_b)}</td></tr>")
        head = "<tr><th align='left'>{}</th><th align='right'>{}</th><th align='right'>{}</th>" \
               "<th align='right'>{}</th></tr>".format(self.tr("series"), self.tr("colourfulness"),
                                                        self.tr("JS a"), self.tr("JS b"))
        if data.reference is None:
            foot = self.tr("JS divergence needs a reference: a colour photo as input (ground truth) or a second "
                           "model in the Compare tab. Colourfulness: Hasler & Süsstrunk (0 = gray).")
            if any(s.role == "toned" for s in data.series):
                foot = self.tr("A toned scan is not ground truth: scores against its one tint would measure the "
                               "tint. ") + foot
        else:
            foot = self.tr("JS = Jensen–Shannon divergence of the a/b histograms vs {ref} (nats; 0 = same "
                           "distribution, ln 2 ≈ 0.69 = disjoint). Colourfulness: Hasler & Süsstrunk (0 = gray, "
                           "~33 moderate).").format(ref=data.reference)
        self.table.setText(f"<table cellspacing='0' cellpadding='3'>{head}{''.join(rows)}</table>"
                           f"<small>{html.escape(foot)}</small>")
        no_colour = self.tr("no colour yet")
        self.plot_L.set_series(L)
        self.plot_a.set_series(a, "" if a else no_colour)
        self.plot_b.set_series(b, "" if b else no_colour)


class HistogramDock(QDockWidget):
    """The "Histograms" dock. ``schedule()`` after anything that changes the results; it recomputes (debounced,
    on a worker, the previous computation cancelled) only while the dock is visible.

    ``inputs()`` returns ``(label, pixels, role)`` items: see :func:`restorer.gui.jobs.compute_histograms`.
    """

    histogramsReady = Signal(object)
    DEBOUNCE_MS = 200

    def __init__(self, inputs: Callable[[], list[tuple[str, Any, str]]], parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("HistogramDock", "Histograms"), parent)
        self.setObjectName("histogramsDock")
        self.inputs = inputs
        self.panel = HistogramPanel()
        self.setWidget(self.panel)
        self.worker: Worker | None = None
        self.last_inputs: list[tuple[str, Any, str]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.visibilityChanged.connect(lambda vis: vis and self.schedule())
        self._stopped = False

    def schedule(self) -> None:
        if not self._stopped:
            self._timer.start()

    def stop(self) -> None:
        """For closing: no new computation, the running one cancelled."""
        self._stopped = True
        self._timer.stop()
        if self.worker is not None:
            self.worker.cancel()

    def _run(self) -> None:
        if not self.isVisible():
            return
        items = self.inputs()
        if len(items) < 2:
            self.panel.set_data(None)
            return
        if self.worker is not None and not self.worker.done:
            self.worker.cancel()
        self.last_inputs = items
        w = Worker(jobs.compute_histograms, items, token=id(items), name="histograms")
        w.returned.connect(self._on_done)
        watch(w, inline=lambda message: self.panel.set_message(
            self.tr("Histograms failed: {reason}").format(reason=message)))
        self.worker = w
        w.start(pool("io"))

    def _on_done(self, data: HistogramSet) -> None:
        if data.token != id(self.last_inputs):
            return  # superseded by a newer computation
        self.panel.set_data(data)
        self.histogramsReady.emit(data)
