#!/usr/bin/env python
"""Variations measured on a folder of colour photos (issue 24 point 8): how different the K alternatives are,
and whether each stays above the gray baseline in PSNR.

    nice -n 10 python bench/eval_variations.py ../shared/data/val --out docs/variations [--model default]

Each photo is made gray (its own L, a = b = 0: the gray baseline and the model input at once), colourised by
the model once, and the model's result plus the K alternatives are finished by the engine's own path
(variation as base -> guided upsampling -> the original L) at the photo's full size, as 8-bit sRGB. Reported:
PSNR of gray, of the model's own result and of each alternative against the original; the mean pairwise
CIELAB ab distance between the K alternatives (and between each and the model's own result) on the photo's
chromatic pixels (true chroma > --chroma, 10 by default), averaged per photo, then over the photos. Writes
``variations.json`` (every photo's numbers) and ``grid.jpg`` (a few photos: original, model, alternatives).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def gray_of(gt: np.ndarray) -> np.ndarray:
    from restorer.lab import from_float, lab_to_rgb, rgb_to_lab, to_float

    lab = rgb_to_lab(to_float(gt))
    lab[..., 1:] = 0.0
    return from_float(lab_to_rgb(lab), np.uint8)


def results(gray: np.ndarray, model, net=None) -> list[np.ndarray]:
    """The model's own result and its K alternatives at full size (uint8), through the engine's path."""
    from restorer.core import engine
    from restorer.core.variations import alternatives

    base, L = engine.network_ab(gray, model)
    out = []
    for ab in [base, *alternatives(base, L, net)]:
        A, B = engine.guided_coefficients(engine.finish_ab(ab, L), L)
        out.append(engine.apply_coefficients(gray, A, B, np.uint8))
    return out


def score(gt: np.ndarray, outs: list[np.ndarray], chroma: float) -> dict:
    from restorer.core.metrics import psnr
    from restorer.lab import rgb_to_lab, to_float

    gt_lab = rgb_to_lab(to_float(gt))
    sel = np.hypot(gt_lab[..., 1], gt_lab[..., 2]) > chroma
    abs_ = [rgb_to_lab(to_float(o))[..., 1:][sel] for o in outs]
    pair = [float(np.linalg.norm(abs_[i] - abs_[j], axis=1).mean()) if sel.any() else None
            for i, j in itertools.combinations(range(1, len(outs)), 2)]
    to_base = [float(np.linalg.norm(abs_[i] - abs_[0], axis=1).mean()) if sel.any() else None
               for i in range(1, len(outs))]
    return {"psnr": [psnr(o, gt) for o in outs], "chromatic_fraction": float(sel.mean()),
            "pairwise_ab": None if not sel.any() else float(np.mean(pair)),
            "to_model_ab": None if not sel.any() else float(np.mean(to_base))}


def grid(rows: list[list[np.ndarray]], path: Path, height: int = 120) -> None:
    import cv2

    from restorer.core.atomic import write_bytes

    lines = []
    for imgs in rows:
        scaled = [cv2.resize(im, (round(im.shape[1] * height / im.shape[0]), height), interpolation=cv2.INTER_AREA)
                  for im in imgs]
        lines.append(np.concatenate([np.pad(s, ((2, 2), (2, 2), (0, 0)), constant_values=255) for s in scaled], 1))
    width = max(line.shape[1] for line in lines)
    sheet = np.concatenate([np.pad(li, ((0, 0), (0, width - li.shape[1]), (0, 0)), constant_values=255)
                            for li in lines], 0)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    write_bytes(path, buf.tobytes())


def summary(per: list[dict]) -> dict:
    ok = [p for p in per if p["pairwise_ab"] is not None]
    ps = np.array([p["psnr"] for p in per])
    return {"photos": len(per), "photos_with_chromatic_pixels": len(ok),
            "psnr_gray": float(np.mean([p["gray_psnr"] for p in per])),
            "psnr_model": float(ps[:, 0].mean()), "psnr_variations": [float(v) for v in ps[:, 1:].mean(0)],
            "variation_above_gray_share": [float(v) for v in (ps[:, 1:] > np.array(
                [[p["gray_psnr"]] for p in per])).mean(0)],
            "pairwise_ab": float(np.mean([p["pairwise_ab"] for p in ok])),
            "to_model_ab": float(np.mean([p["to_model_ab"] for p in ok]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--out", default="docs/variations")
    ap.add_argument("--model", default="default")
    ap.add_argument("--chroma", type=float, default=10.0, help="chromatic pixels: true chroma above this")
    ap.add_argument("--grid", default="0,37,74,111,148,185", help="indices of the photos in the grid")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--variations", default=None, help="a variations card (default: the installed network)")
    args = ap.parse_args(argv)

    from restorer.core import metrics
    from restorer.core.atomic import write_text
    from restorer.core.io import read_image
    from restorer.core.models import load_model
    from restorer.core.variations import load_variations
    from training.data import list_images

    model = load_model(args.model, device="cpu")
    net = load_variations(args.variations)
    paths = list_images(args.folder)[: args.limit or None]
    want = {int(i) for i in args.grid.split(",") if i}
    per, rows, t0 = [], [], time.time()
    for n, p in enumerate(paths):
        img = read_image(p)
        if not img.was_color:
            continue
        gt = metrics.to_uint8_rgb(img.pixels[..., :3])
        gray = gray_of(gt)
        outs = results(gray, model, net)
        per.append({"photo": p.name, "gray_psnr": metrics.psnr(gray, gt), **score(gt, outs, args.chroma)})
        if n in want:
            rows.append([gt, *outs])
        print(f"{n + 1}/{len(paths)} {p.name}: pairwise {per[-1]['pairwise_ab']}, psnr "
              f"{[round(v, 2) for v in per[-1]['psnr']]} gray {per[-1]['gray_psnr']:.2f} ({time.time() - t0:.0f} s)",
              flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"model": model.card.name, "variations": str(net.card.path), "chroma_threshold": args.chroma, "folder": args.folder,
              "summary": summary(per), "photos": per}
    write_text(out / "variations.json", json.dumps(report, indent=1) + "\n")
    if rows:
        grid(rows, out / "grid.jpg")
    print(json.dumps(report["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
