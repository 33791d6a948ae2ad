"""`restorer bench`: speed and memory of the installed models on this machine. Measures; asserts nothing.

Per model:

* **preview latency**: median of several ``colorize(..., preview=True)`` calls on a 1 MP photo-like gray image
  (after one warm-up call), i.e. what the GUI waits for after a click;
* **full-resolution export** of 1, 12 and 24 MP images (``--sizes``): ``colorize`` plus a JPEG encode with
  ``write_image`` into a temporary folder, after a small warm-up call. Each size runs in a **fresh Python
  process**, so the peak resident memory (VmHWM from /proc, else ``getrusage``) belongs to that export alone
  instead of accumulating. On Linux the peak counter is reset after the model is loaded and the input made, so
  "peak" is the high-water mark during the export and "base" what the process held just before it;
* **batch throughput** (images/s and MP/s) of read → colourise → write over a folder through the batch loop
  of ``restorer colorize`` (:func:`restorer.core.batch.colorize_files`): ``--folder``, else a handful of
  generated 1 MP JPEGs.

The default run (1, 12, 24 MP) is sized to stay within a few minutes per model on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restorer.core.atomic import write_text

PREVIEW_RUNS = 5
PREVIEW_MP = 1.0
BATCH_GENERATED = 6  # generated images when no folder is given
EXPORT_TIMEOUT_S = 600  # one export in its subprocess; a hung run is reported, not waited on forever
_RESULT_TAG = "RESTORER_BENCH_RESULT "


# ---------------------------------------------------------------------------------------------- inputs
def synthetic_photo(megapixels: float, seed: int = 0, aspect: float = 4 / 3) -> np.ndarray:
    """A gray ``HxWx3`` uint8 image of about ``megapixels`` that looks like a scan, not like noise.

    Smooth low-frequency shading (upsampled random field), a few hard-edged shapes and light film grain: the
    engine's guided filter and the JPEG encoder then do realistic work (flat noise or a constant image would make
    both unrealistically slow or fast). Made at low resolution and resized, so 24 MP costs little extra memory.
    """
    rng = np.random.default_rng(seed)
    h = max(16, int(round(math.sqrt(megapixels * 1e6 / aspect))))
    w = max(16, int(round(h * aspect)))
    field = rng.random((max(2, h // 64), max(2, w // 64))).astype(np.float32)
    field = cv2.GaussianBlur(field, (0, 0), 1.5)
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    g = cv2.resize(60 + 150 * field, (w, h), interpolation=cv2.INTER_CUBIC)
    g = np.clip(g, 0, 255).astype(np.uint8)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(w // 20, w // 4)), y0 + int(rng.integers(h // 20, h // 4))
        val = int(rng.integers(20, 236))
        if rng.random() < 0.5:
            cv2.rectangle(g, (x0, y0), (x1, y1), val, thickness=-1)
        else:
            cv2.circle(g, (x0, y0), max(4, (x1 - x0) // 2), val, thickness=-1, lineType=cv2.LINE_AA)
    grain = rng.integers(-6, 7, size=(h, w), dtype=np.int16)
    g = np.clip(g.astype(np.int16) + grain, 0, 255).astype(np.uint8)
    del grain
    return np.repeat(g[:, :, None], 3, axis=2)


# ---------------------------------------------------------------------------------------------- memory
def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    # Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return ru / (1024 * 1024) if sys.platform == "darwin" else ru / 1024  # bytes on macOS, KiB elsewhere


def _rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


# ---------------------------------------------------------------------------------------------- child
def child_export(model: str, megapixels: float, device: str = "auto", seed: int = 0) -> dict[str, Any]:
    """One full-resolution export, run inside a fresh process by :func:`measure_export`."""
    from restorer.core.engine import colorize
    from restorer.core.io import write_image
    from restorer.core.models import load_model

    t0 = time.perf_counter()
    m = load_model(model, device=device)
    load_s = time.perf_counter() - t0
    # Warm-up on a small image: the first call in a fresh process pays one-off costs (thread pools, kernel
    # selection) that a running app has already paid; they would otherwise dominate the 1 MP number.
    colorize(synthetic_photo(0.05, seed + 1), m)
    img = synthetic_photo(megapixels, seed)
    base = _rss_mb()
    peak_reset = _reset_peak_rss()
    t0 = time.perf_counter()
    out = colorize(img, m)
    colorize_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="restorer-bench-") as d:
        t0 = time.perf_counter()
        path = write_image(Path(d) / "bench.jpg", out, model_name=model, quality=95)
        encode_s = time.perf_counter() - t0
        jpeg_bytes = Path(path).stat().st_size
    return {
        "width": int(img.shape[1]), "height": int(img.shape[0]),
        "megapixels": img.shape[0] * img.shape[1] / 1e6,
        "load_s": load_s, "colorize_s": colorize_s, "encode_s": encode_s, "total_s": colorize_s + encode_s,
        "base_rss_mb": base, "peak_rss_mb": (peak := _peak_rss_mb()),
        "export_extra_mb": None if base is None else peak - base,
        # Without the reset (non-Linux) the peak also covers model loading and input generation.
        "peak_is_export_only": peak_reset, "jpeg_bytes": jpeg_bytes,
    }


_CHILD_CODE = (
    "import json, sys\n"
    "from restorer.core.bench import child_export, _RESULT_TAG\n"
    "r = child_export(**json.loads(sys.argv[1]))\n"
    "print(_RESULT_TAG + json.dumps(r), flush=True)\n"
)


def measure_export(model: str, megapixels: float, device: str = "auto",
                   timeout: float = EXPORT_TIMEOUT_S) -> dict[str, Any]:
    """Run :func:`child_export` in a fresh ``python -c`` process; returns its numbers or ``{"error": ...}``."""
    import restorer

    env = dict(os.environ)
    # The child must import this same restorer even when it is not installed (source checkout).
    src_root = str(Path(restorer.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    arg = json.dumps({"model": model, "megapixels": megapixels, "device": device})
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD_CODE, arg], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(_RESULT_TAG):
            return json.loads(line[len(_RESULT_TAG):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit code {proc.returncode}: {tail}"}


# ---------------------------------------------------------------------------------------------- in-process
def measure_preview(model: Any, runs: int = PREVIEW_RUNS, megapixels: float = PREVIEW_MP) -> dict[str, Any]:
    """Median/min/max seconds of ``colorize(preview=True)`` on a ~1 MP input, after one warm-up call."""
    from restorer.core.engine import colorize

    img = synthetic_photo(megapixels, seed=1)
    colorize(img, model, preview=True)  # warm-up: first call pays allocator and kernel-selection costs
    times = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        colorize(img, model, preview=True)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": len(times),
            "input": f"{img.shape[1]}x{img.shape[0]}"}


def _batch_inputs(folder: str | Path | None, tmp: Path) -> tuple[list[Path], str]:
    from restorer.core.batch import find_images
    from restorer.core.io import write_image

    if folder is not None:  # the photos `restorer colorize FOLDER` would colourise, in its order
        return [path for path, _rel in find_images([folder])], str(folder)
    # One bundled sample photo is too thin a batch to time: generate a few realistic 1 MP scans instead.
    files = []
    for i in range(BATCH_GENERATED):
        files.append(Path(write_image(tmp / f"gen_{i:02d}.jpg", synthetic_photo(1.0, seed=100 + i), quality=92)))
    return files, f"{BATCH_GENERATED} generated 1 MP JPEGs"


def measure_batch(model: Any, files: list[Path], out_dir: Path) -> dict[str, Any]:
    """Wall time of read → colourise → write (same format) for ``files`` through the one batch loop
    (:func:`restorer.core.batch.colorize_files`, as ``restorer colorize`` runs it); failures are counted."""
    from PIL import Image

    from restorer.core.batch import colorize_files

    # Indexed names: two generated or found files may share a name in different subfolders.
    items = [(f, Path(f"{i:04d}_{f.name}")) for i, f in enumerate(files)]
    t0 = time.perf_counter()
    report = colorize_files(items, out_dir, model, on_exists="replace")
    dt = time.perf_counter() - t0
    mp = 0.0
    for _, out in report.done:
        with Image.open(out) as im:  # the output has the input's size; this reads only the header
            mp += im.size[0] * im.size[1] / 1e6
    n = len(report.done)
    return {"images": n, "failed": len(report.failed), "seconds": dt, "megapixels": mp,
            "images_per_s": n / dt if dt > 0 else None, "megapixels_per_s": mp / dt if dt > 0 else None}


# ---------------------------------------------------------------------------------------------- driver
def run_bench(model_names: list[str] | None = None, folder: str | Path | None = None,
              sizes_mp: list[float] = (1, 12, 24), device: str = "auto", preview_runs: int = PREVIEW_RUNS,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Benchmark ``model_names`` (None = all installed) and return the results as a JSON-ready dict."""
    import torch

    from restorer import __version__
    from restorer.core.device import describe_device, pick_device
    from restorer.core.models import list_models, load_model

    dev = pick_device(device)
    names = [c.name for c in list_models()] if model_names is None else list(model_names)
    result: dict[str, Any] = {
        "restorer_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "device": describe_device(dev),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__, "cpu_count": os.cpu_count(),
                    "load_avg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "settings": {"sizes_mp": list(sizes_mp), "preview_runs": preview_runs, "preview_mp": PREVIEW_MP,
                     "folder": str(folder) if folder else None},
        "models": [],
    }
    log(f"device: {result['device']}")
    if result["machine"]["load_avg_at_start"]:
        log("load average: " + ", ".join(f"{x:.2f}" for x in result["machine"]["load_avg_at_start"])
            + " (other work on the machine slows every number below)")
    with tempfile.TemporaryDirectory(prefix="restorer-bench-") as tmpd:
        tmp = Path(tmpd)
        files, source = _batch_inputs(folder, tmp)
        result["settings"]["batch_source"] = source
        for name in names:
            entry: dict[str, Any] = {"model": name}
            result["models"].append(entry)
            log(f"[{name}] loading")
            t0 = time.perf_counter()
            try:
                model = load_model(name, device=device)
            except Exception as e:  # report and go on with the next model
                entry["error"] = f"cannot load: {e}"
                log(f"[{name}] {entry['error']}")
                continue
            entry["load_s"] = time.perf_counter() - t0
            entry["working_size"] = getattr(model.card, "working_size", None)
            entry["arch"] = getattr(model.card, "arch", None)
            entry["parameters"] = sum(p.numel() for p in model.parameters())
            entry["preview"] = measure_preview(model, preview_runs)
            log(f"[{name}] preview median {entry['preview']['median_s'] * 1000:.0f} ms")
            entry["export"] = {}
            for mp in sizes_mp:
                r = measure_export(name, float(mp), device)
                entry["export"][_mp_key(mp)] = r
                log(f"[{name}] export {_mp_key(mp)}: " + (r["error"] if "error" in r else
                    f"{r['total_s']:.2f} s (colourise {r['colorize_s']:.2f} s + JPEG {r['encode_s']:.2f} s), "
                    f"peak RSS {r['peak_rss_mb']:.0f} MB"))
            out_dir = tmp / f"out_{len(result['models'])}"
            out_dir.mkdir()
            if files:
                entry["batch"] = measure_batch(model, files, out_dir)
                b = entry["batch"]
                log(f"[{name}] batch: {b['images']} images in {b['seconds']:.1f} s")
            else:
                entry["batch"] = {"error": f"no images in {source}"}
            del model
    return result


def _mp_key(mp: float) -> str:
    return f"{mp:g} MP"


def format_table(result: dict[str, Any]) -> str:
    """Plain-text table of a :func:`run_bench` result."""
    sizes = [_mp_key(s) for s in result["settings"]["sizes_mp"]]
    head = ["model", "params", "preview ms"] + [f"{s} s" for s in sizes] + [f"{s} peak MB" for s in sizes] + \
        ["batch img/s", "batch MP/s"]
    rows = [head]
    for e in result["models"]:
        if "error" in e:
            rows.append([e["model"], e["error"]] + [""] * (len(head) - 2))
            continue
        ex = e.get("export", {})

        def cell(s: str, key: str, fmt: str) -> str:
            r = ex.get(s, {})
            return "err" if "error" in r else (fmt.format(r[key]) if r.get(key) is not None else "–")

        b = e.get("batch", {})
        rows.append(
            [e["model"], f"{e['parameters'] / 1e6:.2f}M", f"{e['preview']['median_s'] * 1000:.0f}"]
            + [cell(s, "total_s", "{:.2f}") for s in sizes]
            + [cell(s, "peak_rss_mb", "{:.0f}") for s in sizes]
            + [f"{b['images_per_s']:.2f}" if b.get("images_per_s") else "–",
               f"{b['megapixels_per_s']:.2f}" if b.get("megapixels_per_s") else "–"]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"device: {result['device']}; batch over {result['settings'].get('batch_source')}",
             "export = colourise + JPEG q95 encode, each size in a fresh process; peak = that export's max RSS"]
    return "\n".join(lines + notes)


def _parse_sizes(text: str) -> list[float]:
    try:
        sizes = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--sizes must be comma-separated numbers of megapixels, got {text!r}") from None
    if any(s <= 0 or s > 250 for s in sizes):
        raise ValueError("--sizes must be between 0 and 250 megapixels")
    return sizes


def run_cli(args: argparse.Namespace) -> int:
    """`restorer bench`: prints a table (and writes JSON with --json). 0 done, 1 some measurement failed, 2 usage."""
    try:
        sizes = _parse_sizes(args.sizes) if args.sizes else []
        names = [n.strip() for n in args.models.split(",") if n.strip()] if args.models else None
        if args.folder and not Path(args.folder).is_dir():
            raise ValueError(f"not a folder: {args.folder}")
        if names is None:
            from restorer.core.models import list_models

            if not list_models():
                raise ValueError("no models installed: nothing to measure")
        result = run_bench(names, args.folder, sizes, args.device, log=lambda s: print(s, file=sys.stderr))
    except (ValueError, RuntimeError) as e:
        print(f"restorer bench: {e}", file=sys.stderr)
        return 2
    print(format_table(result))
    if args.json_out:
        out = write_text(args.json_out, json.dumps(result, indent=1))
        print(f"results written to {out}")
    failed = any("error" in e or any("error" in r for r in e.get("export", {}).values()) or "error" in
                 e.get("batch", {}) for e in result["models"])
    return 1 if failed else 0


__all__ = ["child_export", "format_table", "measure_batch", "measure_export", "measure_preview", "run_bench",
           "run_cli", "synthetic_photo"]
