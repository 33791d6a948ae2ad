"""Colourise real old photos with every installed model and save labelled side-by-side strips.

    python tools/make_samples.py ../shared/data/bw/*.jpg --out docs/samples [--height 360] [--models a,b]

Used to look at the models as a user would and for the README's examples.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from restorer.core.engine import colorize
from restorer.core.io import read_image
from restorer.core.models import list_models, load_model


def label(img: Image.Image, text: str) -> Image.Image:
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, img.width, 22], fill=(0, 0, 0))
    d.text((6, 5), text, fill=(255, 255, 255))
    return img


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("photos", nargs="+")
    ap.add_argument("--out", default="docs/samples")
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--models", default=None)
    a = ap.parse_args()
    names = a.models.split(",") if a.models else [c.name for c in list_models()]
    models = [load_model(n, device="auto") for n in names]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in a.photos:
        img = read_image(p)
        h, w = img.pixels.shape[:2]
        s = a.height / h
        size = (max(1, round(w * s)), a.height)
        tiles = [label(Image.fromarray(img.pixels if img.pixels.dtype == np.uint8 else (img.pixels // 257).astype(np.uint8)).resize(size, Image.LANCZOS), "original")]
        for m in models:
            t0 = time.perf_counter()
            rgb = colorize(img.pixels, m, preview=True, preview_long_side=max(size) * 2)
            dt = time.perf_counter() - t0
            if rgb.dtype != np.uint8:
                rgb = (rgb // 257).astype(np.uint8)
            tiles.append(label(Image.fromarray(rgb).resize(size, Image.LANCZOS), f"{m.card.name} ({dt:.2f} s)"))
        strip = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1), a.height), (255, 255, 255))
        x = 0
        for t in tiles:
            strip.paste(t, (x, 0))
            x += t.width + 4
        dst = out / f"{Path(p).stem[:60]}.jpg"
        strip.save(dst, quality=88)
        print(dst)


if __name__ == "__main__":
    main()
