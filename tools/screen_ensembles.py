"""Test-time ensembles (a card's ``blend_sizes`` / ``blend_flip``) screened on a folder of colour photos, and the
chroma gain of the chosen one calibrated, at the model's working grid (or another's, ``--grid``).

    python tools/screen_ensembles.py MODEL --data runs/selsplit [--variants plain b160 flip flip+b160]
    python tools/screen_ensembles.py MODEL --data runs/selsplit --variants b160 --floor 0.78 --write

Each photo is shrunk to the working grid the app uses and put through ``engine.network_ab`` with the variant's
blend; the result is compared with the photo's own colour there (PSNR of the RGB result, colourfulness ratio,
false colour, hue error) for chroma gains 1.0-2.0. A variant is ``plain``, ``flip`` and/or ``bSIZE`` terms joined
by ``+`` (``flip+b160``: the mirrored photo too, and a pass at working size 160). With ``--floor`` the chosen gain
is the smallest that brings the colourfulness ratio to the floor, by the trainer's own rule for checkpoints
(``training.validation.gain_at_floor``, ``TrainConfig.colour_by_gain``); ``--write`` stores the blend and that
gain in the card. Use photos the model is
not judged on (the selection split). Cheaper than ``restorer eval`` (no full-resolution upsampling), which still
measures what ships.
"""
from __future__ import annotations

import argparse
import json

import cv2
import numpy as np

from restorer.core.atomic import write_text
from restorer.core.engine import _resize, network_ab, working_grid
from restorer.core.io import read_image
from restorer.core.metrics import SetScore, colourfulness, psnr, score_photo, to_lab
from restorer.core.models import load_model, resolve
from restorer.lab import from_float, lab_to_rgb, to_float
from training.data import list_images
from training.validation import gain_at_floor

SWEEP = tuple(round(1.0 + 0.05 * i, 2) for i in range(21))  # the table printed without --floor


def parse_variant(spec: str) -> tuple[list[int], bool]:
    """'flip+b160' -> ([160], True); 'plain' -> ([], False)."""
    sizes, flip = [], False
    for term in spec.split("+"):
        if term == "flip":
            flip = True
        elif term.startswith("b") and term[1:].isdigit():
            sizes.append(int(term[1:]))
        elif term != "plain":
            raise SystemExit(f"unknown variant term {term!r} in {spec!r} (use plain, flip, bSIZE joined by +)")
    return sizes, flip


def score(truths: list, abs_: list, gain: float, cf_truth: float) -> dict:
    """Mean PSNR, colourfulness ratio (``cf_truth``: the photos' mean colourfulness), pooled false colour and hue
    error of the ab maps ``abs_`` at ``gain`` against ``truths`` ((RGB, Lab) pairs)."""
    scores = SetScore()
    for (small, lab), ab in zip(truths, abs_):
        pred = np.dstack([lab[..., :1], np.clip(ab.transpose(1, 2, 0) * gain, -110, 110)])
        scores.add(score_photo(from_float(lab_to_rgb(pred), np.uint8), small, lab))
    s = scores.summary(cf_truth)
    return {"gain": gain, **{k: s[k] for k in ("psnr", "colourfulness_ratio", "false_colour", "hue_error")}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", required=True)
    ap.add_argument("--n", type=int, default=0, help="the first N photos only")
    ap.add_argument("--variants", nargs="+", default=["plain", "flip", "b160", "flip+b160"])
    ap.add_argument("--floor", type=float, help="choose each variant's gain: the smallest reaching this "
                                                "colourfulness ratio")
    ap.add_argument("--write", action="store_true", help="store the (single) variant and its gain in the card")
    ap.add_argument("--grid", type=int, help="compare at this working size's grid (default: the model's), so "
                                              "models of different working sizes are scored alike")
    ap.add_argument("--out", help="write every row to this JSON file")
    a = ap.parse_args()
    if a.write and (len(a.variants) != 1 or a.floor is None):
        ap.error("--write needs one variant and --floor")
    card = resolve(a.model)
    card.chroma_gain = 1.0
    model = load_model(card, device="cpu")
    paths = list_images(a.data)[:a.n or None]
    abs_: dict[str, list] = {v: [] for v in a.variants}
    truths = []
    for i, p in enumerate(paths):
        px = from_float(to_float(read_image(p).pixels), np.uint8)
        small = _resize(px, working_grid(px.shape[0], px.shape[1], a.grid or card.working_size))
        truths.append((small, to_lab(small)))
        for v in a.variants:
            model.card.blend_sizes, model.card.blend_flip = parse_variant(v)
            ab = network_ab(small, model)[0]
            if ab.shape[1:] != small.shape[:2]:
                ab = cv2.resize(ab.transpose(1, 2, 0), small.shape[1::-1], interpolation=cv2.INTER_LINEAR)
                ab = ab.transpose(2, 0, 1)
            abs_[v].append(ab)
        print(f"\r{i + 1}/{len(paths)}", end="", flush=True)
    print()
    gray = np.mean([psnr(from_float(lab_to_rgb(lab * np.float32([1, 0, 0])), np.uint8), s) for s, lab in truths])
    results: dict = {"data": a.data, "photos": len(truths), "gray_psnr": float(gray), "variants": {}}
    print(f"gray {gray:.3f} dB on {len(truths)} photos")
    cf_truth = float(np.mean([colourfulness(s) for s, _ in truths]))
    for v in a.variants:
        rows: dict[float, dict] = {}

        def at(gain: float, v: str = v) -> dict:
            if gain not in rows:
                r = rows[gain] = score(truths, abs_[v], gain, cf_truth)
                print(f"{v:12s} gain {gain:.2f}: {r['psnr']:.3f} dB  cf {r['colourfulness_ratio']:.3f}  "
                      f"false {100 * r['false_colour']:.2f} %  hue {100 * r['hue_error']:.2f} %")
            return rows[gain]

        if a.floor is None:
            for g in SWEEP:
                at(g)
        else:
            gain, r = gain_at_floor(at, a.floor)
            results.setdefault("chosen", {})[v] = gain
            print(f"{v}: gain {gain:.2f} reaches x{r['colourfulness_ratio']:.3f} at {r['psnr']:.3f} dB")
        results["variants"][v] = [rows[g] for g in sorted(rows)]
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)
    if a.write:
        v = a.variants[0]
        data = json.loads(card.path.read_text())
        data["blend_sizes"], data["blend_flip"] = parse_variant(v)
        data["chroma_gain"] = results["chosen"][v]
        data.setdefault("training", {})["blend_calibration"] = {
            "variant": v, "data": a.data, "photos": len(truths), "floor": a.floor,
            "gray_psnr": results["gray_psnr"], "table": results["variants"][v]}
        write_text(card.path, json.dumps(data, indent=2) + "\n")
        print(f"written to {card.path}")


if __name__ == "__main__":
    main()
