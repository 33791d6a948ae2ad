"""Chroma gain of a model, calibrated on TRAINING photos (never on the validation set it is judged by).

    python tools/calibrate_gain.py MODEL --data ../shared/data/train --n 200 [--target 0.85] [--write]

Prints PSNR and colourfulness ratio on centre crops for gains 1.0 ... 2.0, and the smallest gain that reaches
``--target`` times the photos' colourfulness without losing more than 0.1 dB against gain 1; ``--write`` stores
it in the model's card (with the table) so every front end uses it.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from restorer.core.atomic import write_text
from restorer.core.color import lab_to_rgb_t, rgb_to_lab_t
from restorer.core.io import read_image
from restorer.core.metrics import colourfulness, psnr
from restorer.core.models import load_model, resolve
from training.data import center_crop_batch, list_images


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--target", type=float, default=0.85)
    ap.add_argument("--max-loss-db", type=float, default=0.1)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    card = resolve(a.model)
    card.chroma_gain = 1.0
    m = load_model(card, device="cpu")
    paths = list_images(a.data)
    pick = np.random.default_rng(0).choice(len(paths), size=min(a.n, len(paths)), replace=False)
    gt = center_crop_batch([read_image(paths[i]).pixels for i in pick], 224)
    with torch.no_grad():
        lab = rgb_to_lab_t(gt.float() / 255)
        ab = torch.cat([m(lab[i:i + 16, :1]) for i in range(0, len(lab), 16)])
    gt_np = gt.permute(0, 2, 3, 1).numpy()
    cf_gt = np.mean([colourfulness(g) for g in gt_np])
    rows = []
    for gain in np.arange(1.0, 2.01, 0.1):
        rgb = (lab_to_rgb_t(torch.cat([lab[:, :1], (ab * gain).clamp(-110, 110)], 1)) * 255 + 0.5).byte()
        rgb = rgb.permute(0, 2, 3, 1).numpy()
        rows.append({"gain": round(float(gain), 2), "psnr": float(np.mean([psnr(p, g) for p, g in zip(rgb, gt_np)])),
                     "colourfulness_ratio": float(np.mean([colourfulness(p) for p in rgb]) / cf_gt)})
        print(f"gain {gain:.1f}: PSNR {rows[-1]['psnr']:.3f} dB, colourfulness x{rows[-1]['colourfulness_ratio']:.3f}")
    base = rows[0]["psnr"]
    ok = [r for r in rows if r["psnr"] >= base - a.max_loss_db]
    reach = [r for r in ok if r["colourfulness_ratio"] >= a.target]
    best = reach[0] if reach else ok[-1]
    print(f"chosen gain {best['gain']} (PSNR {best['psnr']:.3f}, colourfulness x{best['colourfulness_ratio']:.3f})")
    if a.write:
        data = json.loads(card.path.read_text())
        data["chroma_gain"] = best["gain"]
        data.setdefault("training", {})["chroma_gain_calibration"] = {
            "data": a.data, "images": len(pick), "target": a.target, "max_loss_db": a.max_loss_db, "table": rows}
        write_text(card.path, json.dumps(data, indent=2) + "\n")
        print(f"written to {card.path}")


if __name__ == "__main__":
    main()
