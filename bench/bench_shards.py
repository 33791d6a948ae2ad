#!/usr/bin/env python
"""Photos/s of one `restorer colorize` process against N shard processes run at the same time (docs/cluster.md).

    python bench/bench_shards.py [--photos 40] [--mp 1.0] [--shards 2] [--model effnet-lite0-unet]

Both runs colourise the same generated grainy JPEGs into fresh folders, start-up included; the shards write
into one output folder concurrently (as a job array on a shared filesystem would) and are then merged with
`restorer report merge`, which must find every photo done. On one machine the shards share its cores, so
this measures the overhead of sharding and whether one process leaves cores idle, not cluster scaling.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "restorer", *args]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--mp", type=float, default=1.0, help="megapixels per photo")
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--model", default="effnet-lite0-unet")
    args = ap.parse_args(argv)
    from PIL import Image

    from restorer.core.bench import synthetic_photo

    with tempfile.TemporaryDirectory(prefix="restorer-bench-shards-") as d:
        tmp = Path(d)
        for i in range(args.photos):
            path = tmp / "in" / f"roll{i % 4}" / f"p{i:03d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(synthetic_photo(args.mp, seed=200 + i)[:, :, 0]).save(path, quality=92)
        print(f"{args.photos} x {args.mp:g} MP, model {args.model}, load average "
              + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        t0 = time.perf_counter()
        subprocess.run(_cmd("colorize", str(tmp / "in"), "-o", str(tmp / "one"), "--model", args.model),
                       check=True, env=_env(), stdout=subprocess.DEVNULL)
        one = time.perf_counter() - t0
        print(f"1 process: {one:.1f} s = {args.photos / one:.2f} photos/s")
        t0 = time.perf_counter()
        procs = [subprocess.Popen(_cmd("colorize", str(tmp / "in"), "-o", str(tmp / "sharded"), "--model",
                                       args.model, "--shard", f"{i}/{args.shards}"),
                                  env=_env(), stdout=subprocess.DEVNULL) for i in range(args.shards)]
        codes = [p.wait() for p in procs]
        many = time.perf_counter() - t0
        print(f"{args.shards} shard processes at once: {many:.1f} s = {args.photos / many:.2f} photos/s "
              f"(exit codes {codes})")
        merged = subprocess.run(_cmd("report", "merge", str(tmp / "sharded")), env=_env(), capture_output=True,
                                text=True)
        print("report merge:", merged.stdout.strip().splitlines()[0], f"(exit {merged.returncode})")
        left = [p.name for p in (tmp / "sharded").rglob(".restorer-*")]
        print("temp files left:", left or "none")
    return 0 if merged.returncode == 0 and not any(codes) and not left else 1


if __name__ == "__main__":
    sys.exit(main())
