"""Training throughput (img/s) per architecture and crop size, and which CPU settings are fastest.

    python bench/bench_train.py [--archs effnet_unet,vgg16_unet] [--sizes 128,192] [--steps 4] [--variants]

Each measurement runs full training steps (hint simulation, generator forward/backward, L1 + perceptual;
--adversarial adds the PatchGAN step) on random data after one warm-up step, and prints img/s. With
--variants it also compares channels_last, bf16 autocast and thread counts on the first architecture.
Measures only; the numbers go in the README.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from training.loop import TrainConfig, Trainer  # noqa: E402


def measure(arch: str, size: int, steps: int, adversarial: bool, **cfg_kw) -> float:
    cfg = TrainConfig(data=".", name="bench", minutes=1, arch=arch, size=size, batch=16, export=False,
                      run_dir=str(Path(tempfile.gettempdir()) / "restorer-bench-train"), **cfg_kw)
    t = Trainer(cfg)
    batch = (torch.rand(cfg.batch, 3, size, size) * 255).to(torch.uint8)
    t.train_step(batch, adversarial)  # warm-up (allocations, oneDNN kernel selection)
    t0 = time.perf_counter()
    for _ in range(steps):
        t.train_step(batch, adversarial)
    return steps * cfg.batch / (time.perf_counter() - t0)


def measure_loader(size: int, workers: int, batches: int = 20) -> float:
    """Batches/s of the augmentation pipeline alone (random resized crop, flip, rotation) on synthetic photos."""
    import numpy as np
    from torch.utils.data import DataLoader

    from training.data import CropDataset

    rng = np.random.default_rng(0)
    images = [(rng.random((224, 320, 3)) * 255).astype(np.uint8) for _ in range(64)]
    loader = DataLoader(CropDataset(images, size), batch_size=16, num_workers=workers)
    it = iter(loader)
    next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", default="effnet_unet,vgg16_unet,attention_unet,resunet,unet")
    ap.add_argument("--sizes", default="128,192")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--adversarial", action="store_true")
    ap.add_argument("--variants", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()[0]:.2f}")
    rows = []
    for arch in a.archs.split(","):
        for size in map(int, a.sizes.split(",")):
            ips = measure(arch, size, a.steps, a.adversarial)
            rows.append({"arch": arch, "size": size, "img_per_s": round(ips, 2)})
            print(f"{arch:<16} {size:>4}px  {ips:6.2f} img/s", flush=True)
    if a.variants:
        arch = a.archs.split(",")[0]
        for label, kw in [("fp32", {}), ("channels_last", {"channels_last": True}), ("bf16 autocast", {"bf16": True}),
                          ("1 thread", {"threads": 1}), ("2 threads", {"threads": 2})]:
            ips = measure(arch, 160, a.steps, a.adversarial, **kw)
            rows.append({"arch": arch, "size": 160, "variant": label, "img_per_s": round(ips, 2)})
            print(f"{arch} 160px {label:<14} {ips:6.2f} img/s", flush=True)
        for workers in (0, 1):
            bps = measure_loader(160, workers)
            rows.append({"loader_workers": workers, "batches_per_s": round(bps, 1)})
            print(f"data loader, {workers} workers: {bps:6.1f} batches/s of 16 (a training step takes seconds)")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
