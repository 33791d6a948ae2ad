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


def results(gray: np.ndarray, model, net=None, base_L=None) -> list[np.ndarray]:
    """The model's own result and its K alternatives at full size (uint8), through the engine's path.

    ``base_L``: the model's (ab, L) for ``gray`` when already computed (``--cache``)."""
    from restorer.core import engine
    from restorer.core.variations import alternatives

    base, L = base_L if base_L is not None else engine.network_ab(gray, model)
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


def base_cache(path: Path, paths: list[Path], model, save_every: int = 10) -> dict[str, np.ndarray]:
    """{"ab/<name>": ab, "L/<name>": L} of the model on each photo's gray version: what ``path`` holds, the rest
    computed and saved every ``save_every`` photos (so a stopped run keeps what it did)."""
    from restorer.core import engine, metrics
    from restorer.core.atomic import atomic_path
    from restorer.core.io import read_image

    out: dict[str, np.ndarray] = dict(np.load(path)) if path.exists() else {}
    todo = [p for p in paths if f"ab/{p.name}" not in out]
    t0 = time.time()
    for n, p in enumerate(todo):
        gray = gray_of(metrics.to_uint8_rgb(read_image(p).pixels[..., :3]))
        out[f"ab/{p.name}"], out[f"L/{p.name}"] = engine.network_ab(gray, model)
        print(f"cache {n + 1}/{len(todo)} ({time.time() - t0:.0f} s)", flush=True)
        if (n + 1) % save_every == 0 or n + 1 == len(todo):
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez(f, **out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--out", default="docs/variations")
    ap.add_argument("--model", default="default")
    ap.add_argument("--chroma", type=float, default=10.0, help="chromatic pixels: true chroma above this")
    ap.add_argument("--grid", default="0,37,74,111,148,185", help="indices of the photos in the grid")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--cache", default=None, help="a .npz of the model's predictions per photo: read when it "
                    "exists, else written (the base network is the costly part; run it once, e.g. with --only-cache)")
    ap.add_argument("--only-cache", action="store_true", help="only compute --cache")
    ap.add_argument("--part", default="0/1", metavar="I/N", help="every N-th photo from the I-th: N processes "
                    "fill N caches (--only-cache; the evaluation takes them comma-separated in --cache) or evaluate "
                    "N parts (then --merge)")
    ap.add_argument("--merge", action="store_true", help="join the parts' reports and grids in --out")
    ap.add_argument("--variations", default=None, help="a variations card (default: the installed network)")
    args = ap.parse_args(argv)

    from restorer.core import metrics
    from restorer.core.io import read_image
    from restorer.core.models import load_model
    from restorer.core.variations import load_variations
    from training.data import list_images

    if args.merge:
        return merge(Path(args.out))
    model = load_model(args.model, device="cpu")
    paths = list_images(args.folder)[: args.limit or None]
    cached: dict[str, np.ndarray] = {}
    part, parts = (int(v) for v in args.part.split("/"))
    if args.only_cache:
        base_cache(Path(args.cache), paths[part::parts], model)
        return 0
    for c in (args.cache or "").split(","):
        if c and Path(c).exists():
            cached.update(np.load(c))
    net = load_variations(args.variations)
    want = {int(i) for i in args.grid.split(",") if i}
    per, rows, t0 = [], [], time.time()
    stem = "variations" if parts == 1 else f"variations-part{part}of{parts}"
    for n, p in enumerate(paths):
        if n % parts != part:
            continue
        img = read_image(p)
        if not img.was_color:
            continue
        gt = metrics.to_uint8_rgb(img.pixels[..., :3])
        gray = gray_of(gt)
        key = f"ab/{p.name}"
        outs = results(gray, model, net, (cached[key], cached[f"L/{p.name}"]) if key in cached else None)
        per.append({"photo": p.name, "gray_psnr": metrics.psnr(gray, gt), **score(gt, outs, args.chroma)})
        if n in want:
            rows.append([gt, *outs])
        if len(per) % 10 == 0:
            write_report(Path(args.out), model, net, args, per, stem)
        print(f"{n + 1}/{len(paths)} {p.name}: pairwise {per[-1]['pairwise_ab']}, psnr "
              f"{[round(v, 2) for v in per[-1]['psnr']]} gray {per[-1]['gray_psnr']:.2f} ({time.time() - t0:.0f} s)",
              flush=True)
    report = write_report(Path(args.out), model, net, args, per, stem)
    if rows:
        grid(rows, Path(args.out) / ("grid.jpg" if parts == 1 else f"grid-part{part}.jpg"))
    print(json.dumps(report["summary"], indent=1))
    return 0


def write_report(out: Path, model, net, args, per: list[dict], stem: str = "variations") -> dict:
    from restorer.core.atomic import write_text

    out.mkdir(parents=True, exist_ok=True)
    report = {"model": model.card.name, "variations": net.card.name, "chroma_threshold": args.chroma,
              "folder": args.folder, "summary": summary(per), "photos": per}
    write_text(out / f"{stem}.json", json.dumps(report, indent=1) + "\n")
    return report


def merge(out: Path) -> int:
    """variations.json and grid.jpg from the parts' files in ``out`` (the parts' files are removed)."""
    import cv2

    from restorer.core.atomic import write_bytes, write_text

    parts = sorted(out.glob("variations-part*of*.json"))
    reports = [json.loads(p.read_text()) for p in parts]
    per = sorted((ph for r in reports for ph in r["photos"]), key=lambda ph: ph["photo"])
    report = reports[0] | {"summary": summary(per), "photos": per}
    write_text(out / "variations.json", json.dumps(report, indent=1) + "\n")
    grids = [cv2.imread(str(g)) for g in sorted(out.glob("grid-part*.jpg"))]
    if grids:
        width = max(g.shape[1] for g in grids)
        sheet = np.concatenate([np.pad(g, ((0, 0), (0, width - g.shape[1]), (0, 0)), constant_values=255)
                                for g in grids], 0)
        write_bytes(out / "grid.jpg", cv2.imencode(".jpg", sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    for f in [*parts, *out.glob("grid-part*.jpg")]:
        f.unlink()
    print(json.dumps(report["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
