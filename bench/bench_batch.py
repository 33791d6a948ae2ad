#!/usr/bin/env python
"""Batch speed, memory and leak benchmark of `restorer colorize`, every number measured in the same run.

    python bench/bench_batch.py [--models default,effnet-lite0-unet] [--repeat 3] [--leak-photos 200]
                                [--skip big,batch,leak] [--json out.json]

Why ratios: the project's machine has two cores and usually a training running on one of them, so absolute
seconds drift by tens of percent from one hour to the next. A ratio of two things measured minutes apart in
one run (the colourise work on a 24 MP scan vs. a plain Pillow decode + JPEG encode of the same file) is
stable enough to hold a target against.

Measured, each through ``python -m restorer colorize`` as a subprocess (the way a user runs it):

* **start-up**: the command on a 64 px photo (interpreter, imports, model load, one tiny photo);
* **24 MP**: the command on a generated grainy 24 MP JPEG; "work" = its time minus the start-up, as a ratio
  to a Pillow decode + JPEG q95 encode of the same file; and the run's peak RSS (``wait4``'s ru_maxrss);
* **batch**: 20 grainy 3 MP JPEGs in one command per model, photos/s with the start-up included;
* **leaks**: a 200-photo batch in this process through ``restorer.core.batch.colorize_files``, RSS after the
  first photo, at the middle and at the end (the end should be within 10 % of the middle).

Targets (issue 22): work <= 10x Pillow, start-up <= 2 s, 24 MP peak <= 1.1 GB, >= 2 photos/s (default model)
and >= 4 photos/s (effnet-lite0-unet).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a source checkout without `pip install -e .`

TARGETS = {"work_ratio": 10.0, "startup_s": 2.0, "peak_gb": 1.1, "default_photos_s": 2.0, "fast_photos_s": 4.0}
FAST_MODEL = "effnet-lite0-unet"


def _save_jpeg(path: Path, pixels, quality: int = 92) -> Path:
    from PIL import Image

    Image.fromarray(pixels[:, :, 0]).save(path, quality=quality)
    return path


def make_inputs(tmp: Path, batch_n: int, leak_n: int) -> dict[str, object]:
    """Grainy gray JPEGs shaped like scans (restorer.core.bench.synthetic_photo), written once per run."""
    from restorer.core.bench import synthetic_photo

    (tmp / "big").mkdir()
    (tmp / "tiny").mkdir()
    (tmp / "batch").mkdir()
    (tmp / "leak").mkdir()
    big = _save_jpeg(tmp / "big" / "scan24.jpg", synthetic_photo(24.0, seed=7))
    tiny = _save_jpeg(tmp / "tiny" / "tiny.jpg", synthetic_photo(64 * 48 / 1e6, seed=8))
    for i in range(batch_n):
        _save_jpeg(tmp / "batch" / f"p{i:03d}.jpg", synthetic_photo(3.0, seed=100 + i))
    small = synthetic_photo(0.06, seed=9)
    for i in range(leak_n):
        _save_jpeg(tmp / "leak" / f"s{i:03d}.jpg", small)
    return {"big": big, "tiny": tiny, "batch": tmp / "batch", "leak": tmp / "leak"}


def pillow_roundtrip_s(path: Path, repeat: int) -> float:
    """Best of ``repeat``: decode the JPEG to RGB pixels and encode it again as JPEG q95 (in memory)."""
    from PIL import Image

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        rgb.save(io.BytesIO(), format="JPEG", quality=95)
        times.append(time.perf_counter() - t0)
        del rgb
    return min(times)


def run_colorize(inputs: list[Path], out: Path, model: str) -> dict[str, float]:
    """``python -m restorer colorize`` as a subprocess: wall seconds and peak RSS (MB) of that process."""
    cmd = [sys.executable, "-m", "restorer", "colorize", *map(str, inputs), "-o", str(out), "--model", model,
           "--overwrite"]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would fold all earlier runs into one maximum).
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"restorer colorize exited {code}: {err.strip().splitlines()[-1:] or ''}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def import_torch_s(repeat: int) -> float:
    """The floor under any start-up: a fresh interpreter that only imports torch (best of ``repeat``)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def measure_big(files: dict, tmp: Path, model: str, repeat: int) -> dict[str, float]:
    torch_s = import_torch_s(repeat)
    starts = [run_colorize([files["tiny"]], tmp / "out_tiny", model)["seconds"] for _ in range(repeat)]
    bigs = [run_colorize([files["big"]], tmp / "out_big", model) for _ in range(repeat)]
    pil = pillow_roundtrip_s(files["big"], repeat)
    startup = statistics.median(starts)
    big_s = statistics.median(b["seconds"] for b in bigs)
    return {"model": model, "import_torch_s": torch_s, "startup_s": startup, "big_s": big_s, "work_s": big_s - startup,
            "pillow_s": pil, "work_ratio": (big_s - startup) / pil,
            "peak_rss_mb": max(b["peak_rss_mb"] for b in bigs), "startup_runs": starts,
            "big_runs": [b["seconds"] for b in bigs]}


def measure_batch(folder: Path, tmp: Path, model: str) -> dict[str, float]:
    n = len(list(folder.glob("*.jpg")))
    r = run_colorize([folder], tmp / f"out_batch_{model}", model)
    return {"model": model, "photos": n, "seconds": r["seconds"], "photos_s": n / r["seconds"],
            "peak_rss_mb": r["peak_rss_mb"]}


def measure_leak(folder: Path, tmp: Path, model: str) -> dict[str, float]:
    """RSS of this process over one ``colorize_files`` batch: after the first photo, at the middle, at the end."""
    from restorer.core.batch import colorize_files, find_images
    from restorer.core.bench import _rss_mb
    from restorer.core.models import load_model

    items = find_images([folder])
    m = load_model(model, device="cpu")
    marks: dict[str, float] = {"before": _rss_mb()}
    total = len(items)

    def progress(done: float, _total: int, current) -> None:
        if done == 1:
            marks["first"] = _rss_mb()
        elif done == total // 2:
            marks["middle"] = _rss_mb()

    t0 = time.perf_counter()
    report = colorize_files(items, tmp / "out_leak", m, progress=progress)
    marks["end"] = _rss_mb()
    marks["seconds"] = time.perf_counter() - t0
    marks["photos"] = len(report.done)
    marks["end_vs_middle"] = marks["end"] / marks["middle"] - 1
    return marks


def _verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "MISSED"


def machine_line() -> str:
    """What the numbers depend on besides the code: torch build, cores, and whether bf16 is used on this CPU."""
    import torch

    from restorer.core.device import cpu_has_native_bf16

    return (f"torch {torch.__version__}, {len(os.sched_getaffinity(0))} cores, bf16 inference for "
            f"vgg16_unet: {'yes' if cpu_has_native_bf16() else 'no (float32)'}")


def report_lines(res: dict) -> list[str]:
    lines = [f"load average at start: {res['load_avg']} (a training on one core slows absolute numbers)"]
    if "machine" in res:
        lines.append(res["machine"])
    if "big" in res:
        b = res["big"]
        lines += [
            f"start-up (64 px photo, {b['model']}): {b['startup_s']:.2f} s  "
            f"[target <= {TARGETS['startup_s']} s: {_verdict(b['startup_s'], TARGETS['startup_s'])}]; of which "
            f"'python -c \"import torch\"' alone takes {b['import_torch_s']:.2f} s",
            f"24 MP JPEG: {b['big_s']:.2f} s total, {b['work_s']:.2f} s beyond start-up; Pillow decode + "
            f"JPEG encode {b['pillow_s']:.3f} s -> {b['work_ratio']:.1f}x  "
            f"[target <= {TARGETS['work_ratio']:g}x: {_verdict(b['work_ratio'], TARGETS['work_ratio'])}]",
            f"24 MP peak RSS: {b['peak_rss_mb'] / 1024:.2f} GB  "
            f"[target <= {TARGETS['peak_gb']} GB: {_verdict(b['peak_rss_mb'] / 1024, TARGETS['peak_gb'])}]",
        ]
    for key, target in (("batch_default", "default_photos_s"), ("batch_fast", "fast_photos_s")):
        if key in res:
            r = res[key]
            # Per photo beyond the start-up, where it was measured (the default model's 64 px command).
            per = (f", {(r['seconds'] - res['big']['startup_s']) / r['photos']:.3f} s/photo beyond the default's "
                   f"start-up" if "big" in res and r["photos"] else "")
            lines.append(f"{r['photos']} x 3 MP, {r['model']}: {r['seconds']:.1f} s = {r['photos_s']:.2f} "
                         f"photos/s incl. start-up{per}, peak {r['peak_rss_mb']:.0f} MB  [target >= "
                         f"{TARGETS[target]:g}: {_verdict(r['photos_s'], TARGETS[target], True)}]")
    if "leak" in res:
        k = res["leak"]
        lines.append(f"leaks over {k['photos']} photos: RSS before {k['before']:.0f} MB, after the first "
                     f"{k['first']:.0f} MB, middle {k['middle']:.0f} MB, end {k['end']:.0f} MB "
                     f"({k['end_vs_middle'] * 100:+.1f} % vs middle)  [target within 10 %: "
                     f"{_verdict(abs(k['end_vs_middle']), 0.10)}]")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=f"default,{FAST_MODEL}", help="default model, fast model")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the start-up and 24 MP commands (median)")
    ap.add_argument("--batch-photos", type=int, default=20)
    ap.add_argument("--leak-photos", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated parts to leave out: big, batch, leak")
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args(argv)
    default_model, fast_model = (args.models.split(",") + [FAST_MODEL])[:2]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    res: dict = {"load_avg": ", ".join(f"{x:.2f}" for x in os.getloadavg()), "created": time.strftime("%FT%T%z"),
                 "machine": machine_line()}
    with tempfile.TemporaryDirectory(prefix="restorer-bench-batch-") as d:
        tmp = Path(d)
        files = make_inputs(tmp, 0 if "batch" in skip else args.batch_photos,
                            0 if "leak" in skip else args.leak_photos)
        if "big" not in skip:
            res["big"] = measure_big(files, tmp, default_model, args.repeat)
        if "batch" not in skip:
            res["batch_default"] = measure_batch(files["batch"], tmp, default_model)
            res["batch_fast"] = measure_batch(files["batch"], tmp, fast_model)
        if "leak" not in skip:
            res["leak"] = measure_leak(files["leak"], tmp, fast_model)
    print("\n".join(report_lines(res)))
    if args.json:
        from restorer.core.atomic import write_text

        write_text(args.json, json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
