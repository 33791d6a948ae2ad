#!/usr/bin/env python
"""Tune the hint propagation on the selection split of the TRAINING photos (never on val), issue 24 point 2.

    nice -n 10 python tools/tune_hints.py ../shared/data/train --photos 30 --hints 10,50 [--model default]

The hints are drawn exactly as ``restorer eval`` draws them (same sampler, same per-photo seed rule), each
photo is made gray (its own L) and colourised; the network runs once per photo and hint count (with the hints
as its input channels, and once without them), then every setting below only re-runs the edge-aware solve and
the engine's upsampling. Prints, per setting, the mean PSNR gain over the same photos with no hints. Settings:
the solver's pull to zero ``mu``, Levin's sigma floor and cap, the hint pins' margin and lightness tolerance,
and whether the network sees the hints (``channels``).
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

GRID = {"mu": [2e-6, 5e-7, 1e-7], "sigma": [(0.5, 2.0)], "pin": [(4, 6.0), (8, 10.0)],
        "channels": [True, False], "gain": [None]}


def chroma_gain(ab, L, target, fixed, setting) -> np.ndarray:
    """``ab`` times an edge-aware gain field: at each held pixel whose prediction has chroma >= ``min``, the gain
    that best maps the predicted ab onto the hint's (its projection, clipped to [lo, hi]), spread by the same
    solver towards 1 far from the hints. Experimental (``gain``: [min chroma, lo, hi] or None)."""
    from restorer.core.propagate import solve

    cmin, lo, hi = setting["gain"][:3]
    hold_all = len(setting["gain"]) > 3 and setting["gain"][3]  # low-chroma pins hold gain 1 (one shared system)
    p, t = ab[:, fixed], target[:, fixed]
    pp, pt = (p * p).sum(0), (p * t).sum(0)
    ok = pp >= cmin * cmin
    if not ok.any():
        return ab
    g = np.where(ok, np.clip(pt / np.maximum(pp, 1e-6), lo, hi) - 1.0, 0.0)
    if not hold_all:
        g = g[ok]
    gfix = fixed.copy() if hold_all else np.zeros_like(fixed)
    idx = np.flatnonzero(fixed.ravel()) if hold_all else np.flatnonzero(fixed.ravel())[ok]
    gfix.ravel()[idx] = True
    dg = np.zeros((2,) + L.shape, np.float32)
    dg[0].ravel()[idx] = g
    dg[1].ravel()[idx] = g
    G = solve(L, dg, gfix, mu=setting["mu"], sigma_floor=setting["sigma"][0], sigma_cap=setting["sigma"][1])[0]
    return (ab * (1.0 + G)[None]).astype(np.float32)


def finish(gray, ab, L, hints, setting) -> np.ndarray:
    """The engine's result for ``ab`` with ``hints`` spread under ``setting`` (uint8, full size)."""
    from restorer.core import engine
    from restorer.core import hints as H
    from restorer.core.propagate import solve

    if hints:
        H.PIN_MARGIN, H.PIN_L_TOL = setting["pin"]
        target, fixed = H.pins(hints, L)
        if setting.get("gain"):
            ab = chroma_gain(ab, L, target, fixed, setting)
        d = np.where(fixed[None], target - ab, 0.0)
        floor, cap = setting["sigma"]
        ab = (ab + solve(L, d, fixed, mu=setting["mu"], sigma_floor=floor, sigma_cap=cap)).astype(np.float32)
    A, B = engine.guided_coefficients(ab, L)
    return engine.apply_coefficients(gray, A, B, np.uint8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--photos", type=int, default=30)
    ap.add_argument("--hints", default="10,50")
    ap.add_argument("--model", default="default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/tune_hints.json")
    ap.add_argument("--grid", default=None, help='JSON like GRID, e.g. \'{"pin": [[8, 10], [12, 14]]}\' '
                                                 "(keys left out keep the first value of GRID)")
    args = ap.parse_args(argv)

    from restorer.core import engine, evaluate, metrics
    from restorer.core import hints as H
    from restorer.core.io import read_image
    from restorer.core.models import load_model
    from training.data import in_selection_split, list_images

    model = load_model(args.model, device="cpu")
    counts = [int(n) for n in args.hints.split(",")]
    paths = [p for p in list_images(args.folder) if in_selection_split(p)][: args.photos]
    grid = {k: v[:1] for k, v in GRID.items()} | json.loads(args.grid) if args.grid else GRID
    keys = list(grid)
    settings = [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]
    gains: dict[tuple, list[float]] = {}
    default_pins = (H.PIN_MARGIN, H.PIN_L_TOL)
    t0 = time.time()
    for i, p in enumerate(paths):
        gt = metrics.to_uint8_rgb(read_image(p).pixels[..., :3])
        gray = evaluate._gray_of(gt)
        ab0, L = engine.network_ab(gray, model)
        base = metrics.psnr(finish(gray, ab0, L, None, settings[0]), gt)
        for n in counts:
            hints = evaluate._sample_hints(gt, n, evaluate._image_seed(args.seed, p.name, n))
            ab_on, _ = engine.network_ab(gray, model, hints)
            for s in settings:
                out = finish(gray, ab_on if s["channels"] else ab0, L, hints, s)
                gains.setdefault((n, json.dumps(s)), []).append(metrics.psnr(out, gt) - base)
        H.PIN_MARGIN, H.PIN_L_TOL = default_pins
        print(f"{i + 1}/{len(paths)} {p.name} ({time.time() - t0:.0f} s)", flush=True)
    rows = sorted(({"hints": n, "setting": json.loads(s), "gain_db": float(np.mean(g)), "photos": len(g)}
                   for (n, s), g in gains.items()), key=lambda r: (r["hints"], -r["gain_db"]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"model": model.card.name, "photos": [p.name for p in paths],
                                          "rows": rows}, indent=1))
    for r in rows:
        print(f"{r['hints']:>3} hints  {r['gain_db']:+.3f} dB  {r['setting']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
