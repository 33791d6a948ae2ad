#!/usr/bin/env python
"""Tune the hint propagation on the selection split of the TRAINING photos (never on val), issue 24 point 2.

    nice -n 10 python tools/tune_hints.py ../shared/data/train --photos 30 --hints 10,50 [--model default]

The hints are drawn exactly as ``restorer eval`` draws them (same sampler, same per-photo seed rule), each
photo is made gray (its own L) and colourised; the network runs once per photo and hint count (with the hints
as its input channels, and once without them), then every setting below only re-runs the edge-aware solve and
the engine's upsampling. Prints, per setting, the mean PSNR gain over the same photos with no hints. Settings:
the solver's pull to zero ``mu``, Levin's sigma floor and cap, the hint pins' margin and lightness tolerance,
whether the network sees the hints (``channels``) and the chroma gain field (``gain``: min chroma, lowest and
highest gain, or null for the additive correction alone). The propagation itself is the product's
(``restorer.core.propagate.spread``), only its settings vary.
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

from restorer.core.propagate import GAIN_MIN_CHROMA, GAIN_RANGE  # noqa: E402

# The first value of each key is the product's setting.
GRID = {"mu": [2e-6, 5e-7, 1e-7], "sigma": [(0.5, 2.0)], "pin": [(8, 10.0), (4, 6.0)],
        "channels": [True, False], "gain": [(GAIN_MIN_CHROMA, *GAIN_RANGE), None]}


def finish(gray, ab, L, hints, setting) -> np.ndarray:
    """The engine's result for ``ab`` with ``hints`` spread under ``setting`` (uint8, full size)."""
    from restorer.core import engine
    from restorer.core import hints as H
    from restorer.core.propagate import spread

    if hints:
        H.PIN_MARGIN, H.PIN_L_TOL = setting["pin"]
        floor, cap = setting["sigma"]
        ab = spread(ab, L, *H.pins(hints, L), gain=tuple(setting["gain"]) if setting["gain"] else None,
                    mu=setting["mu"], sigma_floor=floor, sigma_cap=cap)
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
