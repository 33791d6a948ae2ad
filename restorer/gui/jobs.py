"""The work the GUI hands to worker threads: plain functions over the core API, no widgets.

Each job takes a :class:`~restorer.gui.workers.JobControl` first (progress + cancel flag) and returns a small
dataclass. Core modules are imported inside the functions: torch and OpenCV load on the first job, on a worker
thread, not while the window is opening.
"""
from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication

from restorer.gui.workers import JobControl

# -- finding and reading photos --------------------------------------------------------------------------------

def find_photos(ctl: JobControl | None, inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files as given plus every supported image under the given folders (recursive, sorted, no duplicates).

    Folders are expanded by ``restorer.core.batch.find_images``, so the app and ``restorer colorize`` agree on
    what counts as a photo. A file the user named explicitly is kept even with an odd extension: reading it
    will say why not.
    """
    from restorer.core.batch import find_images

    out: list[Path] = []
    seen: set[Path] = set()
    for raw in inputs:
        if ctl is not None:
            ctl.check()
        for path, _rel in find_images([raw]):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def read_photo(ctl: JobControl, path: Path) -> Any:
    """``restorer.core.io.read_image(path)`` (raises ImageError with a one-line reason)."""
    from restorer.core.io import read_image

    ctl.check()
    return read_image(path)


def read_for_display(ctl: JobControl, path: Path) -> tuple[Any, Any]:
    """(LoadedImage, QImage of its pixels): both made off the GUI thread."""
    from restorer.gui.qimage import numpy_to_qimage

    img = read_photo(ctl, path)
    ctl.check()
    return img, numpy_to_qimage(img.pixels)


@dataclass
class Thumb:
    path: Path
    image: Any = None  # QImage (made on the worker: QImage, unlike QPixmap, is fine off the GUI thread)
    error: str | None = None
    was_color: bool = False


def make_thumbnails(ctl: JobControl, paths: Sequence[Path], size: int) -> Iterator[Thumb]:
    """Generator: read each photo and yield a :class:`Thumb` (or its error). The full image is dropped at once,
    so a box of 300 scans never sits in memory together."""
    from restorer.core.io import read_image
    from restorer.core.tone import is_colour_reference
    from restorer.gui.qimage import thumbnail

    for p in paths:
        ctl.check()
        try:
            img = read_image(p)
            yield Thumb(p, thumbnail(img.pixels, size), None, is_colour_reference(img.pixels, img.alpha))
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the strip
            yield Thumb(p, None, error_message(e))
    return None


def error_message(e: BaseException) -> str:
    """One line a person can act on, without Python's exception names.

    The core's own errors (ImageError, ModelError) already are such lines; a file-system error says what and
    where; anything else is unexpected, and its type and traceback are in the log (the worker logs them).
    """
    from restorer.core.io import ImageError
    from restorer.core.models import ModelError

    text = " ".join(str(e).split())
    if isinstance(e, (ImageError, ModelError)):
        return text or "the file could not be used"
    if isinstance(e, MemoryError):
        return "not enough memory for this photo"
    if isinstance(e, OSError) and e.strerror:
        where = f": {e.filename}" if e.filename else ""
        return f"{e.strerror.rstrip('.').lower()}{where}"
    return f"unexpected problem: {text}" if text else "unexpected problem (details in the log)"


# -- models ----------------------------------------------------------------------------------------------------

@dataclass
class StartupInfo:
    models: list[Any]
    device: str


def startup_info(ctl: JobControl) -> StartupInfo:
    """Model cards and the device description."""
    from restorer.core.device import describe_device, pick_device
    from restorer.core.models import list_models

    return StartupInfo(list_models(), describe_device(pick_device("auto")))


class ModelCache:
    """Loaded models by name, shared by every job; loading is serialised by a lock (each model loads once).

    Keeps at most ``capacity`` models (the comparison's 4 plus the main view's), dropping the least recently used.
    """

    def __init__(self, capacity: int = 5) -> None:
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._models

    def get(self, name: str) -> tuple[Any, float]:
        """(model, seconds spent loading it now — 0.0 when it was cached)."""
        with self._lock:
            if name in self._models:
                self._models.move_to_end(name)
                return self._models[name], 0.0
        from restorer.core.models import load_model

        t0 = time.perf_counter()
        with self._lock:
            if name in self._models:
                return self._models[name], 0.0
            model = load_model(name)
            self._models[name] = model
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        return model, time.perf_counter() - t0

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


# -- colourising -----------------------------------------------------------------------------------------------

@dataclass
class ColorizeResult:
    pixels: np.ndarray
    model_name: str
    seconds: float  # the colourisation itself
    load_seconds: float  # loading the model (0 when it was already loaded)
    preview: bool
    hints_key: tuple = ()
    token: Any = None
    display: Any = None  # QImage of ``pixels``, made on the worker when asked (a 24 MP copy is not free)
    strength: float = 1.0  # colour strength it was made with (engine.colorize)

    @property
    def recipe(self) -> tuple[str, tuple, float]:
        """What determines the pixels besides the photo: (model, hints, colour strength)."""
        return (self.model_name, self.hints_key, self.strength)


def _is_region(spec: Any) -> bool:
    # Duck-typed like the point specs: region specs (restorer.gui.region_tool.RegionSpec) carry a uint8 mask.
    return getattr(spec, "mask", None) is not None


def _is_variation(spec: Any) -> bool:
    # The chosen alternative colouring (restorer.gui.variations_dialog.VariationSpec) rides in the same list,
    # so previews, undo, Save and Save all carry it like a hint.
    return getattr(spec, "variation", None) is not None


def to_core_hints(specs: Iterable[Any]) -> list[Any]:
    """GUI specs -> core hints: points (normalised x, y, rgb floats, radius) become ``restorer.core.hints.Hint``,
    painted regions (mask, rgb) a feathered ``RegionHint``. Runs on the worker: the masks are converted there."""
    from restorer.core.hints import Hint, RegionHint, feather
    from restorer.core.variations import Variation

    return [Variation(s.variation) if _is_variation(s) else RegionHint.from_rgb(feather(s.mask), tuple(s.rgb))
            if _is_region(s) else Hint.from_rgb(s.x, s.y, tuple(s.rgb), radius=s.radius) for s in specs]


def hints_key(specs: Iterable[Any]) -> tuple:
    """Hashable identity of a hint list: a result is reusable only for the same model AND the same hints.

    A region enters as ("region", digest of its mask, colour): cheap to compare, and a different brush stroke
    is a different key even when the colour is the same.
    """
    return tuple(("variation", s.variation) if _is_variation(s)
                 else ("region", s.digest, tuple(round(c, 4) for c in s.rgb)) if _is_region(s)
                 else (round(s.x, 5), round(s.y, 5), tuple(round(c, 4) for c in s.rgb), s.radius) for s in specs)


def count_hints(key: tuple) -> tuple[int, int]:
    """(point hints, regions) in a :func:`hints_key`."""
    regions = sum(1 for k in key if k and k[0] == "region")
    variations = sum(1 for k in key if k and k[0] == "variation")
    return len(key) - regions - variations, regions


def colorize_photo(ctl: JobControl, cache: ModelCache, model_name: str, pixels: np.ndarray,
                   hint_specs: Sequence[Any] = (), preview: bool = True, token: Any = None,
                   make_qimage: bool = False, strength: float = 1.0) -> ColorizeResult:
    """Load (or reuse) the model and colourise; progress covers the colourisation, cancel is polled by the core.

    With ``make_qimage`` the result also carries a ready-to-show QImage (``display``).
    """
    from restorer.core.engine import colorize

    ctl.check()
    if not cache.has(model_name):
        ctl.note(QCoreApplication.translate("Jobs", "Loading {model_name}…").format(model_name=model_name))
    model, load_s = cache.get(model_name)
    ctl.check()
    ctl.note((QCoreApplication.translate("Jobs", "Preview with {model_name}…") if preview else
              QCoreApplication.translate("Jobs", "Full resolution with {model_name}…")).format(model_name=model_name))
    hints = to_core_hints(hint_specs) or None
    t0 = time.perf_counter()
    out = colorize(pixels, model, hints, progress=ctl.progress, cancel=ctl.is_cancelled, preview=preview,
                   strength=strength)
    seconds = time.perf_counter() - t0
    res = ColorizeResult(out, model_name, seconds, load_s, preview, hints_key(hint_specs), token,
                         strength=strength)
    if make_qimage:
        ctl.check()
        from restorer.gui.qimage import numpy_to_qimage

        res.display = numpy_to_qimage(out)
    return res


# -- comparison ------------------------------------------------------------------------------------------------

@dataclass
class CompareResult:
    model_name: str
    pixels: np.ndarray | None
    seconds: float = 0.0
    load_seconds: float = 0.0
    colourfulness: float | None = None
    psnr: float | None = None
    ssim: float | None = None
    error: str | None = None
    token: Any = None
    display: Any = None  # QImage of ``pixels``, made on the worker


def compare_model(ctl: JobControl, cache: ModelCache, model_name: str, pixels: np.ndarray, was_color: bool,
                  token: Any = None) -> CompareResult:
    """Colourise at full resolution (the metrics are then against the real photo, pixel for pixel) and measure.

    No hints: the comparison is of the models themselves (a hint would also leak ground truth into PSNR).
    PSNR/SSIM only when the input is a colour photo, which then serves as ground truth.
    """
    from restorer.core import metrics
    from restorer.core.engine import colorize

    ctl.check()
    model, load_s = cache.get(model_name)
    ctl.check()
    t0 = time.perf_counter()
    out = colorize(pixels, model, None, progress=ctl.progress, cancel=ctl.is_cancelled, preview=False)
    seconds = time.perf_counter() - t0
    res = CompareResult(model_name, out, seconds, load_s, token=token)
    res.colourfulness = metrics.colourfulness(out)
    if was_color:
        pred8, gt8 = metrics.to_uint8_rgb(out), metrics.to_uint8_rgb(pixels)
        res.psnr = metrics.psnr(pred8, gt8)
        if min(out.shape[:2]) >= 11:
            res.ssim = metrics.ssim(pred8, gt8)
    ctl.check()
    from restorer.gui.qimage import numpy_to_qimage

    res.display = numpy_to_qimage(out)
    return res


# -- histograms ------------------------------------------------------------------------------------------------

@dataclass
class HistogramSeries:
    label: str
    L: np.ndarray
    a: np.ndarray | None  # None for a gray original: its a/b are one spike at 0 and would flatten the plot
    b: np.ndarray | None
    colourfulness: float
    js_a: float | None = None
    js_b: float | None = None
    role: str = "result"  # "original" | "truth" | "result"


@dataclass
class HistogramSet:
    series: list[HistogramSeries] = field(default_factory=list)
    reference: str | None = None  # label the JS divergences are measured against
    token: Any = None


HIST_MAX_PIXELS = 1_500_000


def subsample(pixels: np.ndarray, max_pixels: int = HIST_MAX_PIXELS) -> np.ndarray:
    """A strided view with at most about ``max_pixels`` pixels: every k-th row and column, no resampling.

    For histograms: their shape differs from the full image's by sampling noise only, and an 18 MP scan then
    takes a fraction of a second instead of ten.
    """
    h, w = pixels.shape[:2]
    k = max(1, math.ceil(math.sqrt(h * w / max_pixels)))
    return pixels if k == 1 else pixels[::k, ::k]


def compute_histograms(ctl: JobControl, items: Sequence[tuple[str, np.ndarray, str]],
                       token: Any = None) -> HistogramSet:
    """L, a, b histograms and colourfulness of each (label, pixels, role) with ``restorer.core.metrics``.

    JS divergences of a and b are against the ground truth when there is one (role "truth"); without one,
    two results are measured against each other, and with three or more the first result is the reference.
    """
    from restorer.core import metrics

    out = HistogramSet(token=token)
    n = max(len(items), 1)
    for i, (label, pixels, role) in enumerate(items):
        ctl.check()
        lab = metrics.to_lab(pixels)  # once per image; both histogram functions accept Lab floats
        a, b = metrics.ab_histograms(lab)
        gray = role == "original"
        out.series.append(HistogramSeries(label, metrics.l_histogram(lab), None if gray else a,
                                          None if gray else b, metrics.colourfulness(pixels), role=role))
        ctl.progress((i + 1) / n)
    truth = next((s for s in out.series if s.role == "truth"), None)
    results = [s for s in out.series if s.role == "result"]
    if truth is not None:
        out.reference = truth.label
        for s in results:
            s.js_a = metrics.js_divergence(truth.a, s.a)
            s.js_b = metrics.js_divergence(truth.b, s.b)
    elif len(results) == 2:
        # Two models and no ground truth: each against the other (JS is symmetric: one number for the pair).
        out.reference = "each other"
        a, b = results
        a.js_a = b.js_a = metrics.js_divergence(a.a, b.a)
        a.js_b = b.js_b = metrics.js_divergence(a.b, b.b)
    elif len(results) > 2:
        # More models: the first is the reference the others are measured against (its own row stays empty).
        ref = results[0]
        out.reference = ref.label
        for s in results[1:]:
            s.js_a = metrics.js_divergence(ref.a, s.a)
            s.js_b = metrics.js_divergence(ref.b, s.b)
    return out


# -- saving ----------------------------------------------------------------------------------------------------

def suggested_name(source: Path, suffix: str = "_colour") -> str:
    """``<name>_colour.<ext>``: same format as the original (PNG for a GIF), never the original's own name."""
    from restorer.core.io import output_suffix

    return f"{source.stem}{suffix}{output_suffix(source)}"


def save_photo(ctl: JobControl, cache: ModelCache, image: Any, model_name: str, hint_specs: Sequence[Any],
               out_path: Path, full: np.ndarray | None = None, overwrite: bool = False,
               strength: float = 1.0) -> Path:
    """Write the full-resolution colour version of ``image`` through the core writer (metadata kept).

    ``full`` is reused when the caller already has the full-resolution result for this model and these hints;
    otherwise it is made here. ``write_image`` itself refuses to write onto the original.
    """
    from restorer.core.io import Provenance, write_image

    if full is None:
        full = colorize_photo(ctl, cache, model_name, image.pixels, hint_specs, preview=False,
                              strength=strength).pixels
    ctl.check()
    prov = Provenance(model=model_name, strength=strength, hints=len(hint_specs))
    return Path(write_image(out_path, full, source=image, provenance=prov, overwrite=overwrite))


@dataclass
class SaveAllReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, Path]] = field(default_factory=list)  # (photo, its output that already existed)
    cancelled: bool = False


def mirrored(paths: Sequence[Path]) -> list[tuple[Path, Path]]:
    """(photo, path relative to the photos' common folder): the subfolders the outputs mirror, as the CLI does
    for a folder it is given."""
    if not paths:
        return []
    root = Path(os.path.commonpath([str(Path(p).parent) for p in paths]))
    return [(Path(p), Path(p).relative_to(root)) for p in paths]


def existing_outputs(items: Sequence[tuple[Path, Path]], out_dir: Path, suffix: str = "_colour") -> list[Path]:
    """The planned outputs of ``items`` (:func:`mirrored` or ``find_images``) that already exist in ``out_dir``."""
    from restorer.core.batch import plan_outputs

    return [out for _src, out in plan_outputs(items, out_dir, suffix=suffix) if os.path.lexists(out)]


def save_all(ctl: JobControl, cache: ModelCache, items: Sequence[tuple[Path, Sequence[Any]]], model_name: str,
             out_dir: Path, suffix: str = "_colour", strength: float = 1.0, on_exists: str = "skip") -> SaveAllReport:
    """Colourise every (path, hints) at full resolution into ``out_dir`` through the core's one batch loop.

    Subfolders are mirrored (:func:`mirrored`), clashing names get ``-2`` like the CLI's, an output that exists
    is skipped, replaced or kept beside the new one (``on_exists``: ``restorer.core.batch.ON_EXISTS``), a
    failure is recorded with its one-line reason and the batch goes on. On cancel the report lists what was
    already written.
    """
    from restorer.core.batch import colorize_files

    report = SaveAllReport()
    if not items:
        return report
    model, _ = cache.get(model_name)
    specs = {Path(p): s for p, s in items}

    def progress(done: float, total: int, _current: Any) -> None:
        ctl.progress(done / max(total, 1))

    core = colorize_files(mirrored(list(specs)), out_dir, model, suffix=suffix, on_exists=on_exists,
                          progress=progress, cancel=ctl.is_cancelled, strength=strength,
                          hints_for=lambda src: to_core_hints(specs[src]) or None)
    report.written = [out for _, out in core.done]
    report.skipped = list(core.skipped)
    report.failed = list(core.failed)
    report.cancelled = core.cancelled
    return report


# -- the batch queue -------------------------------------------------------------------------------------------

@dataclass
class QueueEvent:
    """What a running queue says as it goes: ``running`` (a photo started), ``row`` (a photo finished, with its
    report row: state, reason, output, seconds) or ``note`` (a one-line warning, e.g. a malformed sidecar)."""

    kind: str
    path: Path | None = None
    row: dict[str, Any] | None = None
    text: str = ""


def find_queue_items(ctl: JobControl, inputs: Sequence[Path], exclude: Sequence[Path] = ()) -> list[tuple[Path, Path]]:
    """``restorer.core.batch.find_images`` of dropped files and folders: (photo, path that the output mirrors)."""
    from restorer.core.batch import find_images

    ctl.check()
    return find_images(inputs, exclude=exclude)


def run_queue(ctl: JobControl, items: Sequence[tuple[Path, Path]], model_name: str, out_dir: Path, suffix: str,
              strength: float, pause: threading.Event, sidecars: bool = True) -> Any:
    """The core's batch loop over ``items`` with its own copy of the model (the window's previews keep theirs),
    existing outputs skipped (a batch started again resumes), each photo's saved hints applied when it has a
    sidecar; every step is sent as a :class:`QueueEvent`. Returns the core's ``BatchReport`` (also on cancel)."""
    from restorer.core import sidecar
    from restorer.core.batch import SKIP, colorize_files
    from restorer.core.models import load_model

    ctl.note(QCoreApplication.translate("Jobs", "Loading {model_name}…").format(model_name=model_name))
    model = load_model(model_name)
    ctl.check()
    current: list[Path | None] = [None]

    def progress(done: float, total: int, photo: Path | None) -> None:
        ctl.progress(done / max(total, 1))
        if photo is not None and photo != current[0]:
            current[0] = photo
            ctl.send(QueueEvent("running", photo))

    hints_for = sidecar.hints_source(None, not sidecars, lambda text: ctl.send(QueueEvent("note", text=text)))
    return colorize_files(items, out_dir, model, suffix=suffix, on_exists=SKIP, progress=progress,
                          cancel=ctl.is_cancelled, pause=pause, strength=strength, hints_for=hints_for,
                          on_result=lambda row: ctl.send(QueueEvent("row", Path(row["input"]), row)))

