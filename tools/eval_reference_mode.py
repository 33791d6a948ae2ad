"""Measure reference mode on pairs with ground truth: one half of a val photo in colour teaches the other half.

Each photo of --data at least 300 px along its long side is cut across that side (left | right for landscape,
top | bottom for portrait); the first half in colour is the reference, the second half made gray is the
target. For every pair: the default model alone, a per-region ab-statistics transfer (the baseline reference
mode must beat) and reference mode, each scored against the true second half (PSNR, JS of the a and b
histograms). Results go to --out as results.json (rewritten after each pair, so a rerun resumes) and
grid.png (reference | target | default | reference mode | truth).

    nice -n 10 .venv/bin/python tools/eval_reference_mode.py --minutes 0.5 --out docs/eval-reference/reference-mode
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restorer.core.atomic import write_bytes, write_text  # noqa: E402
from restorer.core.color import from_float, lab_to_rgb, luminance, rgb_to_lab, to_float  # noqa: E402
from restorer.core.engine import (  # noqa: E402
    apply_coefficients,
    colorize,
    guided_coefficients,
    predict_ab,
    working_grid,
)
from restorer.core.io import read_image  # noqa: E402
from restorer.core.metrics import ab_histograms, js_divergence, psnr  # noqa: E402

MIN_LONG_SIDE = 300
REGIONS = 8


def split_pair(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reference half in colour, true other half) cut across the long side."""
    h, w = pixels.shape[:2]
    if w >= h:
        return pixels[:, : w // 2], pixels[:, w // 2:]
    return pixels[: h // 2], pixels[h // 2:]


def to_gray(pixels: np.ndarray) -> np.ndarray:
    L = luminance(pixels)
    lab = np.stack([L, np.zeros_like(L), np.zeros_like(L)], axis=-1)
    return from_float(lab_to_rgb(lab), pixels.dtype)


def _region_features(L: np.ndarray) -> np.ndarray:
    """Per pixel: L and local texture (std of L over 7x7), the segmentation the baseline transfers within."""
    mean = cv2.blur(L, (7, 7))
    std = np.sqrt(np.maximum(cv2.blur(L * L, (7, 7)) - mean * mean, 0.0))
    return np.stack([L, 2.0 * std], axis=-1).reshape(-1, 2).astype(np.float32)


def stats_transfer(ref: np.ndarray, target: np.ndarray, model, predicted: tuple | None = None) -> np.ndarray:
    """Baseline: segment by L and texture (k-means on the reference), then move the default prediction's ab mean
    and spread within each region of the target to the reference's, at the working size; guided upsampling."""
    th, tw = working_grid(ref.shape[0], ref.shape[1], model.card.working_size)
    lab_ref = rgb_to_lab(cv2.resize(to_float(ref), (tw, th), interpolation=cv2.INTER_AREA))
    fr = _region_features(lab_ref[..., 0])
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
    _, lab_r, centres = cv2.kmeans(fr, REGIONS, None, crit, 3, cv2.KMEANS_PP_CENTERS)
    ab_ref = lab_ref[..., 1:].reshape(-1, 2)
    ab, L = predicted if predicted is not None else predict_ab(target, model)
    ft = _region_features(L)
    lab_t = np.argmin(((ft[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    flat = ab.reshape(2, -1).T.copy()
    out = flat.copy()
    for k in range(REGIONS):
        r, t = ab_ref[lab_r.ravel() == k], lab_t == k
        if len(r) < 20 or t.sum() < 20:
            continue
        mu_t, sd_t = flat[t].mean(0), flat[t].std(0) + 1.0
        out[t] = (flat[t] - mu_t) * np.clip(r.std(0) / sd_t, 0.5, 2.0) + r.mean(0)
    A, B = guided_coefficients(out.T.reshape(ab.shape).astype(np.float32), L)
    return apply_coefficients(target, A, B, target.dtype)


def scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    pa, pb = ab_histograms(pred)
    ta, tb = ab_histograms(truth)
    return {"psnr": psnr(pred, truth), "js_a": js_divergence(ta, pa), "js_b": js_divergence(tb, pb)}


def photos(data: Path, limit: int | None) -> list[Path]:
    from PIL import Image

    out = []
    for p in sorted(data.iterdir()):
        try:
            with Image.open(p) as im:
                if max(im.size) >= MIN_LONG_SIDE:
                    out.append(p)
        except OSError:
            continue
    return out[:limit] if limit else out


def grid(rows: list[list[np.ndarray]], path: Path, cell: int = 160) -> None:
    lines = []
    for row in rows:
        tiles = []
        for img in row:
            s = cell / img.shape[0]
            tiles.append(cv2.resize(img, (max(1, round(img.shape[1] * s)), cell), interpolation=cv2.INTER_AREA))
        lines.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], 1))
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.concatenate(lines, 0), cv2.COLOR_RGB2BGR))
    write_bytes(path, png.tobytes())


def summarise(rows: list[dict]) -> dict:
    out: dict = {"pairs": len(rows)}
    for method in ("default", "stats", "reference"):
        for k in ("psnr", "js_a", "js_b"):
            out[f"{method}_{k}"] = float(np.mean([r[method][k] for r in rows]))
    out["gain_db"] = out["reference_psnr"] - out["default_psnr"]
    out["minutes_per_pair"] = float(np.mean([r["minutes"] for r in rows]))
    out["cpu_minutes_per_pair"] = float(np.mean([r["cpu_minutes"] for r in rows]))
    out["steps_per_pair"] = float(np.mean([r["steps"] for r in rows]))
    out["wins"] = int(sum(r["reference"]["psnr"] > r["default"]["psnr"] for r in rows))
    return out


def default_and_stats(ref: np.ndarray, target: np.ndarray, base) -> tuple[np.ndarray, np.ndarray]:
    """The default model's result (exactly ``colorize``: predict, guide, apply) and the baseline from the same
    prediction: one network pass instead of two on a shared CPU."""
    ab, L = predict_ab(target, base)
    A, B = guided_coefficients(ab, L)
    return apply_coefficients(target, A, B, target.dtype), stats_transfer(ref, target, base, (ab, L))


def merged(out: Path) -> list[dict]:
    rows = []
    for f in sorted(out.glob("results-*.json")):
        rows += json.loads(f.read_text())["pairs"]
    return sorted(rows, key=lambda r: r["photo"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "val"))
    ap.add_argument("--minutes", type=float, default=0.5, help="reference-mode training budget per pair")
    ap.add_argument("--steps", type=int, default=None,
                    help="train a fixed number of steps instead of --minutes (a CPU shared with other work gives "
                         "a time budget few steps; the CPU time per pair is recorded either way)")
    ap.add_argument("--batch", type=int, default=None, help="pixels per training step (default: the trainer's)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--grid-rows", type=int, default=6, help="pairs shown in grid.png (from shard 0)")
    ap.add_argument("--shard", default="0/1", metavar="I/N", help="measure every N-th pair from the I-th")
    ap.add_argument("--summarise", action="store_true", help="only merge the shards' results into results.json")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: the CPU is shared, and two threads fighting a training run are slower)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.summarise:
        rows = merged(out)
        write_text(out / "results.json", json.dumps({"summary": summarise(rows), "pairs": rows}, indent=1) + "\n")
        print(json.dumps(summarise(rows), indent=1))
        return 0
    import torch

    from restorer.core.models import load_model
    from training.reference import train_reference

    torch.set_num_threads(args.threads)
    shard, shards = (int(x) for x in args.shard.split("/"))
    res_path = out / f"results-{shard}.json"
    done = json.loads(res_path.read_text())["pairs"] if res_path.exists() else []
    budget = {"steps": args.steps} if args.steps else {"minutes": args.minutes}
    if args.batch:
        budget["batch"] = args.batch
    done = [r for r in done if r.get("budget") == budget]
    seen = {r["photo"] for r in done}
    base = load_model("default", device="cpu")
    tiles = []
    for i, p in enumerate(photos(Path(args.data), args.limit)[shard::shards]):
        in_grid = shard == 0 and i < args.grid_rows
        if p.name in seen and not in_grid:
            continue
        ref, truth = split_pair(read_image(p).pixels)
        target = to_gray(truth)
        default, stats = default_and_stats(ref, target, base)
        t0, c0 = time.monotonic(), time.process_time()
        result = train_reference(ref, minutes=args.minutes, max_steps=args.steps, ref_path=p, name="pair",
                                 **({"batch": args.batch} if args.batch else {}))
        mine = colorize(target, result.model)
        minutes, cpu_minutes = (time.monotonic() - t0) / 60.0, (time.process_time() - c0) / 60.0
        if in_grid:
            tiles.append([ref, target, default, mine, truth])
        if p.name in seen:
            continue
        row = {"photo": p.name, "size": list(truth.shape[1::-1]), "budget": budget, "minutes": round(minutes, 3),
               "cpu_minutes": round(cpu_minutes, 3), "threads": args.threads, "steps": result.steps,
               "default": scores(default, truth), "stats": scores(stats, truth), "reference": scores(mine, truth)}
        done.append(row)
        print(f"{p.name}: default {row['default']['psnr']:.2f}  stats {row['stats']['psnr']:.2f}  "
              f"reference {row['reference']['psnr']:.2f} dB  ({result.steps} steps, {minutes:.2f} min, {cpu_minutes:.2f} CPU-min)", flush=True)
        write_text(res_path, json.dumps({"pairs": done}, indent=1) + "\n")
    if tiles:
        grid(tiles, out / "grid.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
