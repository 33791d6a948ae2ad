#!/usr/bin/env python
"""Live hint editing: edit-to-preview latency for a 1 MP photo (issue 24's budget: 0.5 s).

    python bench/bench_hints.py [--model default] [--photo FILE] [--edits 20] [--hints 10] [--device cpu]

An "edit" is what the app does after a click or drag: one hint added or moved, then the preview
(``engine.colorize(..., preview=True)``: network with hint channels + edge-aware propagation + guided upsampling)
recomputed with the new hint list. Prints the median and the spread of ``--edits`` edits, and the part spent in
the propagation solve alone, as wall time and as CPU time (the latter is what an idle machine would take,
a fair number when the CPU is shared with a training run). The app adds its debounce (restorer.gui.preview_flow.HINT_DEBOUNCE_MS) before a
re-run starts; that wait is printed too but not counted. Without ``--photo`` a synthetic 1 MP scan-like image
(1155 x 866, gradients, edges and grain) is used, so the number needs no data.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def synthetic_photo(w: int = 1155, h: int = 866, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 70 + 100 * x / w + 30 * np.sin(y / 41.0)
    g[h // 5: h // 2, w // 6: w // 2] = 215  # a bright coat
    g[h // 2:, w // 2:] = 45  # a dark doorway
    g += rng.normal(0, 4, g.shape)
    return np.repeat(np.clip(g, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--photo", default=None, help="a photo to use instead of the synthetic 1 MP one")
    p.add_argument("--edits", type=int, default=20)
    p.add_argument("--hints", type=int, default=10, help="hints already on the photo before the edits")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    args = p.parse_args(argv)

    from restorer.core import engine, propagate
    from restorer.core.hints import Hint
    from restorer.core.models import load_model
    from restorer.gui.preview_flow import HINT_DEBOUNCE_MS

    if args.photo:
        from restorer.core.io import read_image

        pixels = read_image(args.photo).pixels
    else:
        pixels = synthetic_photo()
    model = load_model(args.model, device=args.device)
    rng = np.random.default_rng(1)

    def random_hint() -> Hint:
        return Hint(float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.05, 0.95)),
                    (float(rng.uniform(-30, 30)), float(rng.uniform(-30, 30))), 0.01)

    hints = [random_hint() for _ in range(args.hints)]
    engine.colorize(pixels, model, hints, preview=True)  # warm-up: allocations, first-call costs

    solve_times: list[float] = []
    real_spread = propagate.spread

    def timed_spread(*a, **k):
        t = time.process_time()
        try:
            return real_spread(*a, **k)
        finally:
            solve_times.append(time.process_time() - t)

    propagate.spread = timed_spread
    latencies: list[float] = []
    cpu: list[float] = []  # CPU seconds of this process (all its threads): what the edit costs on an idle machine
    for i in range(args.edits):
        if i % 2 == 0 or not hints:
            hints = [*hints, random_hint()]  # a click: one hint more
        else:
            h = hints[-1]
            hints = [*hints[:-1], Hint(min(0.99, h.x + 0.01), h.y, h.ab, h.radius)]  # a drag step
        t0, c0 = time.perf_counter(), time.process_time()
        engine.colorize(pixels, model, hints, preview=True)
        latencies.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    propagate.spread = real_spread

    H, W = pixels.shape[:2]
    q = statistics.quantiles(latencies, n=10)
    print(f"model {model.card.name}, photo {W} x {H} ({W * H / 1e6:.2f} MP), {args.hints} hints + {args.edits} edits")
    print(f"edit-to-preview latency: median {statistics.median(latencies):.3f} s "
          f"(p10 {q[0]:.3f}, p90 {q[-1]:.3f}, max {max(latencies):.3f}); budget 0.5 s")
    print(f"CPU time per edit (all threads; on a shared machine wall time is longer): median "
          f"{statistics.median(cpu):.3f} s, of which the propagation solve {statistics.median(solve_times):.3f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"  (the app waits {HINT_DEBOUNCE_MS} ms after the last edit of a burst before it starts; not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
