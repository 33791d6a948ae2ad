"""`restorer eval`: a quality report of colourisation models on a folder of colour photos.

For every colour photo in the folder (recursive), the ground truth's L channel is colourised by each model, with
0 or more colour hints sampled from the ground truth, and compared with the original:

* pixel/structure fidelity: PSNR, SSIM (8-bit RGB), LPIPS v0.1 VGG (perceptual distance);
* vividness: colourfulness (Hasler & Süsstrunk) and its ratio to the ground truth's (1 = as colourful);
* colour distribution: Jensen-Shannon and KL(gt || pred) divergences of the a and b histograms, in nats. The main
  table uses histograms accumulated over the whole set (a model that paints every sky orange is penalised even if
  each single photo looks plausible); per-image means are reported as well.

A "gray" baseline row (the ground truth's L with a = b = 0) is always included: a model should beat it on the
colour-distribution metrics and at least match it on PSNR/SSIM.

Hints for an image are drawn with a seed derived from ``seed`` and the image's relative path, so every model sees
exactly the same hints and re-running the report gives the same numbers. Models whose card says they take no
hints get the same hints; the engine then only propagates them (or ignores them).

Outputs in the report folder (each written atomically): ``report.json``, ``report.md``, ``histograms.png``,
``hints.png`` and ``examples.png``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import sys
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restorer.core import eval_parts, eval_report
from restorer.core import metrics as M
from restorer.core.atomic import write_bytes
from restorer.core.eval_report import render_markdown

GRAY = "gray"
#: LPIPS runs VGG16 at full resolution; above this many pixels both images are area-downscaled first so that a
#: folder of 24 MP scans does not need gigabytes of activations. Recorded in the report's settings.
LPIPS_MAX_PIXELS = 1_000_000
#: Thumbnails kept for examples.png (long side, pixels).
_THUMB = 256
_LPIPS_NOTE = "LPIPS v0.1"  # how settings["lpips"] starts when LPIPS was computed
_METRICS = ("psnr", "ssim", "lpips", "colourfulness", "colourfulness_ratio", "js_a", "js_b", "kl_a", "kl_b",
            "false_colour", "hue_error")


# ---------------------------------------------------------------------------------------------- helpers
def _jsonable(obj: Any) -> Any:
    # JSON has no inf/nan: they become null (e.g. PSNR of a pixel-identical result is +inf).
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _finite_mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def _resize_short_side(rgb: np.ndarray, n: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = n / min(h, w)
    if s == 1.0:
        return rgb
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)


def _fit_pixels(rgb: np.ndarray, max_pixels: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    if h * w <= max_pixels:
        return rgb
    s = math.sqrt(max_pixels / (h * w))
    return cv2.resize(rgb, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)


def _thumb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = _THUMB / max(h, w)
    if s >= 1:
        return rgb.copy()
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _gray_of(gt: np.ndarray) -> np.ndarray:
    """The ground truth's L with a = b = 0, as uint8 RGB: the model input and the baseline at once."""
    from restorer.lab import from_float, lab_to_rgb, rgb_to_lab, to_float

    lab = rgb_to_lab(to_float(gt))
    lab[..., 1:] = 0.0
    return from_float(lab_to_rgb(lab), np.uint8)


def _list_images(data_dir: Path) -> list[Path]:
    from restorer.core.io import is_supported

    files = [Path(root) / f for root, _, names in os.walk(data_dir) for f in names]
    # Sorted so that --limit and the example grid pick the same photos on every run and every OS.
    return sorted((p for p in files if is_supported(p)), key=lambda p: p.relative_to(data_dir).as_posix())


def _image_seed(seed: int, rel: str, n_hints: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(rel.encode("utf-8")), n_hints])


@dataclass
class _Row:
    """Accumulator for one (model, hint count) pair."""

    model: str
    hints: int
    card_hints: bool | None
    baseline: bool = False
    per_image: dict[str, list[float | None]] = field(default_factory=lambda: {k: [] for k in _METRICS})
    seconds: list[float | None] = field(default_factory=list)
    # The a/b counts and blotch counts summed over the set's pixels, as every report of this project pools them.
    pooled: M.SetScore = field(default_factory=M.SetScore)
    failures: list[str] = field(default_factory=list)

    @property
    def hist_a(self) -> np.ndarray | None:
        """The pooled a counts, None before any photo (every scored photo adds pixels)."""
        return self.pooled.hist_a if self.pooled.hist_a.any() else None

    @property
    def hist_b(self) -> np.ndarray | None:
        return self.pooled.hist_b if self.pooled.hist_b.any() else None

    def add_missing(self) -> None:
        for k in _METRICS:
            self.per_image[k].append(None)
        self.seconds.append(None)


def _image_metrics(pred: np.ndarray, gt: np.ndarray, gt_cf: float, gt_hists: tuple[np.ndarray, np.ndarray],
                   lpips_model: Any, lpips_ref: Any, gt_lab: np.ndarray
                   ) -> tuple[dict[str, float | None], M.PhotoScore]:
    """Per-image metrics of ``pred`` against ``gt``, and its :class:`PhotoScore` (pooled over the set).

    ``lpips_ref`` is ``lpips_model.reference(gt)`` (at the LPIPS resolution), computed once per photo: the
    ground truth's VGG features are shared by every model and hint count.
    """
    score = M.score_photo(pred, gt, gt_lab)
    out: dict[str, float | None] = {"psnr": score.psnr}
    out["ssim"] = M.ssim(pred, gt) if min(gt.shape[:2]) >= 11 else None
    out["lpips"] = (lpips_model.distance(_fit_pixels(pred, LPIPS_MAX_PIXELS), lpips_ref)
                    if lpips_model is not None else None)
    cf = out["colourfulness"] = score.colourfulness
    # A near-neutral ground truth would make the ratio explode; it is undefined there rather than huge.
    out["colourfulness_ratio"] = cf / gt_cf if gt_cf > 1e-3 else None
    ca, cb = score.hist_a, score.hist_b
    out["false_colour"], out["hue_error"] = M.false_colour_shares(score.false_counts)
    out["js_a"] = M.js_divergence(gt_hists[0], ca)
    out["js_b"] = M.js_divergence(gt_hists[1], cb)
    out["kl_a"] = M.kl_divergence(gt_hists[0], ca)
    out["kl_b"] = M.kl_divergence(gt_hists[1], cb)
    return out, score


# ---------------------------------------------------------------------------------------------- evaluate
@dataclass
class _Evaluation:
    """One run over the photos: a row per (model, hint count) after the gray baseline's, and the ground truth's
    side (a/b counts, colourfulness, example thumbnails, skipped files)."""

    models: list[tuple[str, Any, float]]
    hint_counts: list[int]
    lpips_model: Any
    n_examples: int
    rows: list[_Row] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    skipped_files: dict[str, list[str]] = field(default_factory=lambda: {"unreadable": [], "gray": []})
    gt_a: np.ndarray = field(default_factory=lambda: np.zeros(M.AB_BINS))
    gt_b: np.ndarray = field(default_factory=lambda: np.zeros(M.AB_BINS))
    gt_cfs: list[float] = field(default_factory=list)
    examples: list[dict[str, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = [_Row(GRAY, 0, None, baseline=True)]
        for n in self.hint_counts:
            self.rows += [_Row(name, n, bool(getattr(m.card, "hints", False))) for name, m, _ in self.models]

    def ground_truth(self, path: Path, rel: str, size: int | None) -> np.ndarray | None:
        """The photo as 8-bit RGB (metrics are defined on 8-bit results), or None (counted) if unusable."""
        from restorer.core.io import ImageError, read_image

        try:
            loaded = read_image(path)
        except ImageError as e:
            self.skipped_files["unreadable"].append(f"{rel}: {e}")
            return None
        if not loaded.was_color:
            self.skipped_files["gray"].append(rel)
            return None
        gt = M.to_uint8_rgb(loaded.pixels[..., :3])
        return _resize_short_side(gt, size) if size is not None else gt

    def add_photo(self, gt: np.ndarray, rel: str, seed: int) -> None:
        """Score the gray baseline and every model (at every hint count) on one ground truth."""
        self.images.append(rel)
        gt_lab = M.to_lab(gt)
        ga, gb = M.ab_histograms(gt_lab, normalize=False)
        self.gt_a += ga
        self.gt_b += gb
        gt_cf = M.colourfulness(gt)
        self.gt_cfs.append(gt_cf)
        gray = _gray_of(gt)
        keep = len(self.examples) < self.n_examples
        ex: dict[str, np.ndarray] = {"__gt__": _thumb(gt), GRAY: _thumb(gray)} if keep else {}
        lp = self.lpips_model
        ref = lp.reference(_fit_pixels(gt, LPIPS_MAX_PIXELS)) if lp is not None else None

        def score(row: _Row, pred: np.ndarray, seconds: float) -> None:
            vals, photo = _image_metrics(pred, gt, gt_cf, (ga, gb), lp, ref, gt_lab)
            row.pooled.add(photo)
            for k in _METRICS:
                row.per_image[k].append(vals[k])
            row.seconds.append(seconds)

        score(self.rows[0], gray, 0.0)
        rows = iter(self.rows[1:])
        for n in self.hint_counts:
            hints = _sample_hints(gt, n, _image_seed(seed, rel, n))
            for (name, model, strength), row in zip(self.models, rows):
                pred, dt, err = _run_model(gray, model, hints, strength)
                if pred is None:
                    row.failures.append(f"{rel}: {err}")
                    row.add_missing()
                    continue
                score(row, pred, dt)
                if keep and n == self.hint_counts[0]:  # examples.png shows the smallest hint count
                    ex[name] = _thumb(pred)
        if keep:
            self.examples.append(ex)


def evaluate(
    data_dir: str | Path,
    model_names: Sequence[str] | None,
    hint_counts: Sequence[int] = (0,),
    *,
    out_dir: str | Path,
    size: int | None = None,
    limit: int | None = None,
    device: str = "auto",
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    n_examples: int = 4,
    use_lpips: bool = True,
    reuse: str | Path | None = None,
    parts: Mapping[str, set[str]] | None = None,
) -> dict[str, Any]:
    """Evaluate ``model_names`` (None = every installed model, [] = only the gray baseline) on ``data_dir``.

    ``hint_counts``: numbers of ground-truth hints per image (0 = automatic). ``size``: resize each photo's short
    side to this many pixels first. ``limit``: stop after this many evaluated photos. ``progress(fraction)`` is
    called after each photo. LPIPS is left out (reported as null, with the reason in the settings) when
    ``use_lpips`` is False or its weights are not in resources/backbones.

    ``reuse``: an earlier report.json; its rows of models not evaluated now are carried over when that run had
    the same photos, size, limit, seed and hint counts (the results are deterministic), so re-evaluating one
    retrained model does not mean re-running every other one. ``parts``: named lists of file names summarised on
    their own, besides the parts by file-name prefix (:mod:`restorer.core.eval_parts`).

    Writes report.json, report.md, histograms.png, hints.png and examples.png into ``out_dir`` and returns the
    report dictionary (the content of report.json). Raises ValueError for a missing folder, a bad hint count or
    an unknown model.
    """
    from tqdm import tqdm

    from restorer import __version__
    from restorer.core.device import pick_device

    t_start = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    hint_counts = _check_arguments(data_dir, hint_counts, size)
    torch_device = pick_device(device)
    models = _load_models(model_names, device)
    lpips_model, lpips_note = _load_lpips(use_lpips, torch_device)
    run = _Evaluation(models, hint_counts, lpips_model, n_examples)
    candidates = _list_images(data_dir)
    total = min(len(candidates), limit) if limit is not None else len(candidates)
    bar = tqdm(total=total, desc="eval", unit="img", disable=None, file=sys.stderr)
    try:
        for path in candidates:
            if limit is not None and len(run.images) >= limit:
                break
            rel = path.relative_to(data_dir).as_posix()
            gt = run.ground_truth(path, rel, size)
            if gt is None:
                continue
            run.add_photo(gt, rel, seed)
            bar.update(1)
            if progress is not None:
                progress(min(1.0, len(run.images) / max(total, 1)))
    finally:
        bar.close()

    rows, reused_from = run.rows, None
    if reuse is not None:
        carried = _reusable_rows(reuse, run.images, hint_counts, size, limit, seed, {n for n, _, _ in models},
                                 lpips_model is not None)
        rows = [rows[0], *sorted(rows[1:] + carried, key=lambda r: r.hints)]  # stable: model order kept
        reused_from = {"report": str(reuse), "models": sorted({r.model for r in carried})}
    settings = {"data": str(data_dir.resolve()), "models": [name for name, _, _ in models],
                "hint_counts": hint_counts, "size": size, "limit": limit, "seed": seed, "device": torch_device,
                "n_candidates": len(candidates), "lpips": lpips_note, "reused": reused_from}
    report = _build_report(rows, run.images, run.gt_a, run.gt_b, run.gt_cfs, _settings(settings, run))
    report["restorer_version"] = __version__
    report["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    report["seconds"] = round(time.perf_counter() - t_start, 3)
    report["parts"] = eval_parts.summarise(report, parts)
    report = _jsonable(report)
    _write_outputs(out_dir, report, rows, run)
    return report


def _check_arguments(data_dir: Path, hint_counts: Sequence[int], size: int | None) -> list[int]:
    """The sorted distinct hint counts; ValueError for a missing folder, a negative count or a tiny size."""
    if not data_dir.is_dir():
        raise ValueError(f"not a folder: {data_dir}")
    counts = sorted({int(n) for n in hint_counts})
    if not counts or counts[0] < 0:
        raise ValueError("hint counts must be integers >= 0")
    if size is not None and size < 16:
        raise ValueError("--size must be at least 16 pixels")
    return counts


def _load_lpips(use_lpips: bool, device: Any) -> tuple[Any, str]:
    """(LPIPS model or None, what settings["lpips"] says about it)."""
    if not use_lpips:
        return None, "disabled"
    from restorer.core.lpips import LPIPS, lpips_available

    ok, why = lpips_available()
    if not ok:
        return None, f"unavailable: {why}"
    return (LPIPS().to(device),
            f"{_LPIPS_NOTE} VGG16; images above {LPIPS_MAX_PIXELS} pixels area-downscaled first")


def _settings(given: dict[str, Any], run: _Evaluation) -> dict[str, Any]:
    """The report's settings (in the order report.json has always had them)."""
    from restorer.core.device import describe_device

    skipped_files = run.skipped_files
    return {
        **{k: given[k] for k in ("data", "models", "hint_counts", "size", "limit", "seed")},
        "device": describe_device(given["device"]),
        "n_candidates": given["n_candidates"],
        "n_images": len(run.images),
        "skipped": {k: len(v) for k, v in skipped_files.items()},
        "skipped_files": skipped_files,
        "histogram": {"bins": M.AB_BINS, "range": list(M.AB_RANGE), "space": "CIE Lab D65",
                      "divergence_units": "nats", "eps": M.DIV_EPS, "kl": "KL(ground truth || prediction)"},
        "lpips": given["lpips"],
        "hints_note": "hints are sampled from the ground truth, same hints for every model",
        "reused": given["reused"],
    }


def _write_outputs(out_dir: Path, report: dict[str, Any], rows: list[_Row], run: _Evaluation) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_bytes(out_dir / "report.json", (json.dumps(report, indent=1) + "\n").encode("utf-8"))
    write_bytes(out_dir / "report.md", render_markdown(report).encode("utf-8"))
    if not run.images:
        return
    if not eval_report.have_matplotlib():
        print("note: the figures need matplotlib (pip install 'restorer[eval]'); report.json and report.md "
              "are written", file=sys.stderr)
        return
    columns = [GRAY, *[n for n, _, _ in run.models]]
    eval_report.write_figures(out_dir, report, rows, (run.gt_a, run.gt_b), run.examples, columns,
                               run.hint_counts[0])


def _reusable_rows(path: str | Path, images: list[str], hint_counts: list[int], size: int | None,
                   limit: int | None, seed: int, evaluated: set[str], with_lpips: bool) -> list[_Row]:
    """The rows of an earlier report that describe exactly this evaluation, for models not run now."""
    try:
        old = json.loads(Path(path).read_text(encoding="utf-8"))
        st = old["settings"]
        same = (old["images"] == images and st["size"] == size and st["limit"] == limit and st["seed"] == seed
                and st["hint_counts"] == hint_counts
                # A row without LPIPS must not sit in a table whose other rows have it (or the reverse).
                and str(st.get("lpips", "")).startswith(_LPIPS_NOTE) == with_lpips)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"cannot reuse {path}: {e}") from e
    if not same:
        raise ValueError(f"cannot reuse {path}: it was made on other photos or with other settings")
    rows = []
    for r in old["results"]:
        if r["baseline"] or r["model"] in evaluated:
            continue
        row = _Row(r["model"], r["hints"], r["model_takes_hints"], failures=list(r["failures"]))
        per = r["per_image"]
        # Reports made before a metric existed (false colour) carry it as missing, not as a failure to reuse.
        row.per_image = {k: list(per.get(k, [None] * len(images))) for k in _METRICS}
        row.pooled.false_counts = np.asarray(r.get("false_counts", [0, 0, 0, 0]), np.int64)
        row.seconds = list(per["seconds"])
        if r["histograms"]["a"] is not None:
            row.pooled.hist_a = np.asarray(r["histograms"]["a"], np.float64)
            row.pooled.hist_b = np.asarray(r["histograms"]["b"], np.float64)
        rows.append(row)
    return rows


def _split_strength(spec: str) -> tuple[str, float]:
    """``"name@150"`` -> ("name", 1.5): a model at a colour strength in percent (engine.colorize)."""
    from restorer.core.color import MAX_STRENGTH

    name, at, pct = spec.rpartition("@")
    if not at:
        return spec, 1.0
    try:
        strength = float(pct) / 100.0
    except ValueError:
        strength = -1.0
    if not 0.0 <= strength <= MAX_STRENGTH:
        raise ValueError(f"{spec!r}: the colour strength after '@' must be a percentage from 0 to "
                         f"{MAX_STRENGTH * 100:g}")
    return name, strength


def _load_models(model_names: Sequence[str] | None, device: str) -> list[tuple[str, Any, float]]:
    """(row name, model, colour strength) per requested model; a card path is named by its card."""
    from restorer.core.models import list_models, load_model

    names = [c.name for c in list_models()] if model_names is None else list(model_names)
    out = []
    loaded: dict[str, Any] = {}  # the same network at two strengths is loaded once
    for spec in dict.fromkeys(names):  # keep order, drop duplicates
        if spec == GRAY:
            continue  # the baseline is always there
        name, strength = _split_strength(spec)
        try:
            model = loaded[name] if name in loaded else load_model(name, device=device)
        except Exception as e:  # unknown name, corrupt file...: the user gets one line, not a traceback
            raise ValueError(f"cannot load model {name!r}: {e}") from e
        loaded[name] = model
        card_name = getattr(model.card, "name", name)
        row = card_name if name == "default" or name.endswith((".json", ".safetensors")) else name
        out.append((row if strength == 1.0 else f"{row}@{round(strength * 100)}", model, strength))
    return out


def _sample_hints(gt: np.ndarray, n: int, rng: np.random.Generator) -> list | None:
    if n == 0:
        return None
    from restorer.core.hints import sample_hints_from_image

    return list(sample_hints_from_image(gt, n, rng))


def _run_model(gray: np.ndarray, model: Any, hints: list | None,
               strength: float = 1.0) -> tuple[np.ndarray | None, float, str]:
    from restorer.core.engine import colorize

    t0 = time.perf_counter()
    try:
        pred = colorize(gray, model, hints=hints, strength=strength)
    except Exception as e:  # one bad photo must not lose the whole report; it is counted and listed instead
        return None, 0.0, f"{type(e).__name__}: {e}"
    dt = time.perf_counter() - t0
    pred = M.to_uint8_rgb(np.asarray(pred))
    if pred.shape != gray.shape:
        return None, dt, f"result has shape {pred.shape}, expected {gray.shape}"
    return pred, dt, ""


def _build_report(rows: list[_Row], images: list[str], gt_a: np.ndarray, gt_b: np.ndarray,
                  gt_cfs: list[float], settings: dict[str, Any]) -> dict[str, Any]:
    results = []
    gt_cf_mean = _finite_mean(gt_cfs)
    for row in rows:
        mean = {k: _finite_mean(v) for k, v in row.per_image.items()}
        mean["seconds_per_image"] = _finite_mean(row.seconds)
        have = row.hist_a is not None and gt_a.sum() > 0
        # Ratio of the means, as the trainer and the model cards report it: a mean of per-image ratios is
        # inflated by near-gray originals (a nearly neutral photo coloured at all has a huge ratio).
        cf_mean = mean.get("colourfulness")
        set_level = {
            "colourfulness_ratio": cf_mean / gt_cf_mean if cf_mean is not None and gt_cf_mean else None,
            "js_a": M.js_divergence(gt_a, row.hist_a) if have else None,
            "js_b": M.js_divergence(gt_b, row.hist_b) if have else None,
            "kl_a": M.kl_divergence(gt_a, row.hist_a) if have else None,
            "kl_b": M.kl_divergence(gt_b, row.hist_b) if have else None,
        }
        set_level["false_colour"], set_level["hue_error"] = M.false_colour_shares(row.pooled.false_counts)
        results.append({
            "model": row.model,
            "hints": row.hints,
            "baseline": row.baseline,
            "model_takes_hints": row.card_hints,
            "n_images": sum(v is not None for v in row.per_image["psnr"]),
            "failures": row.failures,
            "set": set_level,
            "mean": mean,
            "per_image": {**row.per_image, "seconds": row.seconds},
            "histograms": {"a": row.hist_a, "b": row.hist_b},
            "false_counts": row.pooled.false_counts,
        })
    return {
        "settings": settings,
        "images": images,
        "ground_truth": {
            "colourfulness_mean": _finite_mean(gt_cfs),
            "colourfulness": gt_cfs,
            "histograms": {"a": gt_a, "b": gt_b},
        },
        "results": results,
    }


# ---------------------------------------------------------------------------------------------- CLI
def _parse_int_list(text: str, what: str) -> list[int]:
    try:
        vals = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"{what} must be comma-separated whole numbers, got {text!r}") from None
    if not vals or min(vals) < 0:
        raise ValueError(f"{what} must be whole numbers >= 0, got {text!r}")
    return vals


def run_cli(args: argparse.Namespace) -> int:
    """`restorer eval`: 0 report written, 1 written but some colourisations failed or no photo found, 2 usage."""
    from restorer.core.io import ImageError

    try:
        hint_counts = _parse_int_list(args.hints, "--hints")
        names = [n.strip() for n in args.models.split(",") if n.strip()] if args.models else None
        if args.limit is not None and args.limit < 1:
            raise ValueError("--limit must be at least 1")
        parts = dict(eval_parts.read_part_spec(spec) for spec in getattr(args, "part", None) or [])
        report = evaluate(args.data, names, hint_counts, out_dir=args.out, size=args.size, limit=args.limit,
                          device=args.device, seed=args.seed, reuse=getattr(args, "reuse", None),
                          use_lpips=not getattr(args, "no_lpips", False), parts=parts)
    except (ValueError, RuntimeError, ImageError) as e:
        print(f"restorer eval: {e}", file=sys.stderr)
        return 2
    print(render_markdown(report), end="")
    out = Path(args.out)
    print(f"\nreport written to {out / 'report.md'} and {out / 'report.json'}")
    if report["settings"]["n_images"] == 0:
        print("restorer eval: no colour photo found to evaluate", file=sys.stderr)
        return 1
    return 1 if any(r["failures"] for r in report["results"]) else 0


__all__ = ["GRAY", "LPIPS_MAX_PIXELS", "evaluate", "render_markdown", "run_cli"]
