#!/usr/bin/env python
"""The cluster engines on this machine (docs/cluster.md), each pair measured alternately so that their ratio
holds under a changing load:

    python bench/bench_cluster.py photos [--photos 12] [--mp 0.5] [--rounds 2] [--model effnet-lite0-unet]
    python bench/bench_cluster.py train --data DIR --val DIR [--photos 64] [--steps 24] [--rounds 2]

``photos``: photos/s of `restorer colorize` with the local engine and with ``--engine ray`` (a private local
Ray instance, start-up included for both) on the same generated grainy JPEGs, fresh output folders each run.
``train``: `torchrun --standalone --nproc-per-node K -m restorer train` for K = 1 and 2 with the same global
batch on ``--photos`` colour photos of ``--data`` (linked into a temp folder), each K run for 2 and for
``--steps`` steps: img/s from the run's progress.json (crops over the seconds spent in steps), and the CPU
seconds per crop of the steps alone (all processes' CPU time of the long run minus the short one's, over the
crops between them), which a busy machine's scheduler cannot skew.

Linux gives each session an equal share of a busy machine (autogroup): Ray's processes and each torchrun
worker run in sessions of their own, so every command here is started in a new session too.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra)


def _timed(cmd: list[str], **kw) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and all its descendants)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def photos(args: argparse.Namespace, tmp: Path) -> None:
    from PIL import Image

    from restorer.core.bench import synthetic_photo

    for i in range(args.photos):
        path = tmp / "in" / f"roll{i % 3}" / f"p{i:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(synthetic_photo(args.mp, seed=300 + i)[:, :, 0]).save(path, quality=92)
    print(f"{args.photos} x {args.mp:g} MP, model {args.model}, load average {_load()}")
    for r in range(args.rounds):
        for engine in ("local", "ray"):
            out = tmp / f"{engine}{r}"
            s, _ = _timed([sys.executable, "-m", "restorer", "colorize", str(tmp / "in"), "-o", str(out),
                           "--model", args.model, "--engine", engine])
            report = json.loads((out / "report.json").read_text())
            done, busy = report["counts"]["done"], sum(row["seconds"] for row in report["photos"])
            print(f"round {r} {engine:5s}: {done} photos in {s:.1f} s = {done / s:.3f} photos/s; per photo "
                  f"{busy / done:.2f} s read+colourise+write, the rest start-up (load {_load()})", flush=True)


def train(args: argparse.Namespace, tmp: Path) -> None:
    from training.data import list_images

    def subset(src: str, n: int, folder: Path) -> Path:  # every k-th photo, so that all sources are in it
        folder.mkdir()
        found = list_images(src)
        for p in found[:: max(1, len(found) // n)][:n]:
            (folder / p.name).symlink_to(p.resolve())
        return folder

    data, val = subset(args.data, args.photos, tmp / "data"), subset(args.val, 8, tmp / "val")
    print(f"{args.photos} photos of {args.data}, {args.arch} {args.size} px, global batch {args.batch}, "
          f"{args.steps} steps, load average {_load()}")
    cpu: dict[tuple[int, int, int], float] = {}
    for r in range(args.rounds):
        for steps in (2, args.steps):
            for k in (1, 2):
                run = tmp / f"run{r}-{steps}-{k}"
                cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(k),
                       "-m", "restorer", "train", "--data", str(data), "--val", str(val), "--arch", args.arch,
                       "--size", str(args.size), "--batch", str(args.batch), "--minutes", "1000", "--max-steps",
                       str(steps), "--name", "bench-ddp", "--run-dir", str(run), "--no-export"]
                wall, cpu[r, steps, k] = _timed(cmd, cwd=tmp)
                progress = json.loads((run / "progress.json").read_text())
                line = (f"round {r} K={k} {steps:3d} steps: {progress['images_per_second']:.2f} img/s in steps, "
                        f"{cpu[r, steps, k]:.0f} CPU s, {wall:.0f} s wall")
                if steps == args.steps:
                    per = (cpu[r, steps, k] - cpu[r, 2, k]) / ((args.steps - 2) * args.batch)
                    line += f"; steps alone: {per:.2f} CPU s/crop"
                print(f"{line} (load {_load()})", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("photos")
    p.add_argument("--photos", type=int, default=12)
    p.add_argument("--mp", type=float, default=0.5, help="megapixels per photo")
    p.add_argument("--model", default="effnet-lite0-unet")
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--val", required=True)
    t.add_argument("--photos", type=int, default=64)
    t.add_argument("--arch", default="effnet_unet")
    t.add_argument("--size", type=int, default=160)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--steps", type=int, default=24)
    for q in (p, t):
        q.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix=f"restorer-bench-{args.what}-") as d:
        (photos if args.what == "photos" else train)(args, Path(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
