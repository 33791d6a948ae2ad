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

from restorer.gui.workers import JobControl

#: Used only when ``restorer.core.io`` has no ``SUPPORTED_EXTENSIONS`` (it should).
_FALLBACK_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


# -- finding and reading photos --------------------------------------------------------------------------------

def _supported(path: Path) -> bool:
    try:
        from restorer.core.io import is_supported
    except ImportError:  # pragma: no cover - only while the core is incomplete
        return path.suffix.lower() in _FALLBACK_EXTENSIONS
    return bool(is_supported(path))


def find_photos(ctl: JobControl | None, inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files as given plus every supported image under the given folders (recursive, sorted, no duplicates).

    Uses ``restorer.core.batch.find_images`` when the core has it, so the GUI and ``restorer colorize`` agree on
    what counts as a photo. Hidden folders (``.git``, ``.thumbnails``) are skipped by the local fallback.
    """
    try:
        from restorer.core.batch import find_images
    except ImportError:
        find_images = None
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in inputs:
        if ctl is not None:
            ctl.check()
        p = Path(raw)
        if p.is_dir():
            if find_images is not None:
                for item in find_images([p]):
                    add(Path(item[0] if isinstance(item, tuple) else item))
            else:
                for root, dirs, files in os.walk(p):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        f = Path(root) / name
                        if _supported(f):
                            add(f)
        else:
            # A file the user named explicitly is kept even with an odd extension: reading it will say why not.
            add(p)
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
    from restorer.gui.qimage import thumbnail

    for p in paths:
        ctl.check()
        try:
            img = read_image(p)
            yield Thumb(p, thumbnail(img.pixels, size), None, bool(getattr(img, "was_color", False)))
        except Exception as e:  # noqa: BLE001 - one bad file must not stop the strip
            yield Thumb(p, None, _message(e))
    return None


def _message(e: BaseException) -> str:
    """One line for a person: the core's errors already are; anything else gets its type name."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    name = type(e).__name__
    if name in ("ImageError", "ModelError"):
        return text or name
    return f"{name}: {text}" if text else name


error_message = _message


# -- models ----------------------------------------------------------------------------------------------------

@dataclass
class StartupInfo:
    models: list[Any]
    device: str
    hints_propagate: bool


def startup_info(ctl: JobControl) -> StartupInfo:
    """Model cards, the device description and whether the engine spreads hints for every model."""
    from restorer.core.device import describe_device, pick_device
    from restorer.core.models import list_models

    cards = list_models()
    device = describe_device(pick_device("auto"))
    try:
        from restorer.core import hints as core_hints

        propagate = callable(getattr(core_hints, "propagate", None))
    except ImportError:
        propagate = False
    return StartupInfo(cards, device, propagate)


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


#: Gaussian sigma of a region's edge, as a fraction of its mask's long side (about 2 px on a 1024 px mask, at least
#: 1 px): a brush edge becomes a short ramp instead of a hard step, without visibly growing or shrinking the region.
REGION_FEATHER = 0.002


def _is_region(spec: Any) -> bool:
    # Duck-typed like the point specs: region specs (restorer.gui.region_tool.RegionSpec) carry a uint8 mask.
    return getattr(spec, "mask", None) is not None


def feather(mask: np.ndarray) -> np.ndarray:
    """uint8 (0..255) or float mask -> float32 0..1 with a softened edge (:data:`REGION_FEATHER`)."""
    import cv2

    m = mask.astype(np.float32) / 255.0 if mask.dtype == np.uint8 else np.asarray(mask, np.float32)
    sigma = max(1.0, REGION_FEATHER * max(m.shape))
    return np.clip(cv2.GaussianBlur(m, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE), 0.0, 1.0)


def to_core_hints(specs: Iterable[Any]) -> list[Any]:
    """GUI specs -> core hints: points (normalised x, y, rgb floats, radius) become ``restorer.core.hints.Hint``,
    painted regions (mask, rgb) a feathered ``RegionHint``. Runs on the worker: the masks are converted there."""
    from restorer.core.hints import Hint, RegionHint

    return [RegionHint.from_rgb(feather(s.mask), tuple(s.rgb)) if _is_region(s)
            else Hint.from_rgb(s.x, s.y, tuple(s.rgb), radius=s.radius) for s in specs]


def hints_key(specs: Iterable[Any]) -> tuple:
    """Hashable identity of a hint list: a result is reusable only for the same model AND the same hints.

    A region enters as ("region", digest of its mask, colour): cheap to compare, and a different brush stroke
    is a different key even when the colour is the same.
    """
    return tuple(("region", s.digest, tuple(round(c, 4) for c in s.rgb)) if _is_region(s)
                 else (round(s.x, 5), round(s.y, 5), tuple(round(c, 4) for c in s.rgb), s.radius) for s in specs)


def count_hints(key: tuple) -> tuple[int, int]:
    """(point hints, regions) in a :func:`hints_key`."""
    regions = sum(1 for k in key if k and k[0] == "region")
    return len(key) - regions, regions


def colorize_photo(ctl: JobControl, cache: ModelCache, model_name: str, pixels: np.ndarray,
                   hint_specs: Sequence[Any] = (), preview: bool = True, token: Any = None,
                   make_qimage: bool = False, strength: float = 1.0) -> ColorizeResult:
    """Load (or reuse) the model and colourise; progress covers the colourisation, cancel is polled by the core.

    With ``make_qimage`` the result also carries a ready-to-show QImage (``display``).
    """
    from restorer.core.engine import colorize

    ctl.check()
    if not cache.has(model_name):
        ctl.note(f"Loading {model_name}…")
    model, load_s = cache.get(model_name)
    ctl.check()
    ctl.note(f"{'Preview' if preview else 'Full resolution'} with {model_name}…")
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


def save_all(ctl: JobControl, cache: ModelCache, items: Sequence[tuple[Path, Sequence[Any]]], model_name: str,
             out_dir: Path, suffix: str = "_colour", strength: float = 1.0) -> SaveAllReport:
    """Colourise every (path, hints) at full resolution into ``out_dir`` through the core's one batch loop.

    Subfolders are mirrored as the CLI mirrors them (relative to the photos' common folder), clashing names
    get ``-2`` like the CLI's, outputs that exist are skipped and listed, a failure is recorded with its one-line
    reason and the batch goes on. On cancel the report lists what was already written.
    """
    from restorer.core.batch import colorize_files

    report = SaveAllReport()
    if not items:
        return report
    model, _ = cache.get(model_name)
    specs = {Path(p): s for p, s in items}
    paths = list(specs)
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))

    def progress(done: float, total: int, _current: Any) -> None:
        ctl.progress(done / max(total, 1))

    core = colorize_files([(p, p.relative_to(root)) for p in paths], out_dir, model, suffix=suffix,
                          progress=progress, cancel=ctl.is_cancelled, strength=strength,
                          hints_for=lambda src: to_core_hints(specs[src]) or None)
    report.written = [out for _, out in core.done]
    report.skipped = list(core.skipped)
    report.failed = list(core.failed)
    report.cancelled = core.cancelled
    return report
