"""Simulated user hints for training (as in Zhang et al. 2017, "Real-time user-guided colorization").

Per sample: with probability ``p_none`` no hints; otherwise a geometric number of points (p = 1/8); each a
square patch of 1-9 px whose ab is the patch's mean ground-truth ab. The network learns to trust the hint
channels without ever depending on them.
"""
from __future__ import annotations

import torch


def simulate_hints(ab: torch.Tensor, generator: torch.Generator | None = None, p_geom: float = 1 / 8,
                   p_none: float = 0.5, max_patch: int = 9) -> tuple[torch.Tensor, torch.Tensor]:
    """ab: B x 2 x H x W ground truth -> (ab_hint B x 2 x H x W, mask B x 1 x H x W)."""
    b, _, h, w = ab.shape
    hint = torch.zeros_like(ab)
    mask = torch.zeros(b, 1, h, w, dtype=ab.dtype, device=ab.device)
    g = generator
    for i in range(b):
        if torch.rand((), generator=g).item() < p_none:
            continue
        # Geometric on {1, 2, ...}: floor(log U / log(1-p)) + 1.
        u = torch.rand((), generator=g).clamp_min(1e-12)
        n = int(torch.floor(torch.log(u) / torch.log(torch.tensor(1 - p_geom))).item()) + 1
        for _ in range(n):
            p = int(torch.randint(1, max_patch + 1, (), generator=g).item())
            y0 = int(torch.randint(0, h - p + 1, (), generator=g).item())
            x0 = int(torch.randint(0, w - p + 1, (), generator=g).item())
            patch = ab[i, :, y0:y0 + p, x0:x0 + p]
            hint[i, :, y0:y0 + p, x0:x0 + p] = patch.mean(dim=(1, 2), keepdim=True)
            mask[i, :, y0:y0 + p, x0:x0 + p] = 1.0
    return hint, mask
