"""Validation of a network being trained: metrics on fixed crops (no hints), the gray baseline, the image grid.

The same numbers every validation and every model card reports: PSNR, colourfulness ratio and the JS
divergences of the a/b histograms (restorer.core.metrics), on 8-bit results of the network alone (no hints,
no guided upsampling).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from restorer.core.atomic import atomic_path
from restorer.lab import AB_NORM, L_CENT, L_NORM, lab_to_rgb_t, rgb_to_lab_t


def batch_lab(rgb_u8: torch.Tensor) -> torch.Tensor:
    """uint8 RGB B x 3 x H x W -> Lab (real units)."""
    return rgb_to_lab_t(rgb_u8.float() / 255.0)


#: Chroma gains tried when a validation is judged at a colourfulness floor (``validate(floor=...)``).
GAINS = tuple(round(0.5 + 0.01 * i, 2) for i in range(151))  # 0.5 .. 2.0; a step of 0.05 overshot by 0.02x


def gain_at_floor(score: Callable[[float], dict[str, float]], floor: float) -> tuple[float, dict[str, float]]:
    """The smallest gain of GAINS whose ``score(gain)["colourfulness_ratio"]`` reaches ``floor`` (the largest gain
    when none does), and its scores. Colourfulness grows with the gain, so this bisects (lo fails, hi holds; the
    ends are virtual) from gain 1 and scores only a few gains."""
    seen: dict[int, dict[str, float]] = {}

    def at(i: int) -> dict[str, float]:
        if i not in seen:
            seen[i] = score(GAINS[i])
        return seen[i]

    lo, hi, mid = -1, len(GAINS), GAINS.index(1.0)
    while hi - lo > 1:
        if at(mid)["colourfulness_ratio"] >= floor:
            hi = mid
        else:
            lo = mid
        mid = (lo + hi) // 2
    i = min(hi, len(GAINS) - 1)
    return GAINS[i], at(i)


def _truth(gt: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray,
                                                                       list[np.ndarray]]:
    """Mean colourfulness (weighted by ``weights``), the summed a and b histograms and the Lab of the ground-truth
    crops (B x H x W x 3 uint8)."""
    from restorer.core.metrics import ab_histograms, colourfulness, to_lab

    cf, ha, hb = [], 0, 0
    for g in gt:
        cf.append(colourfulness(g))
        a, b = ab_histograms(g, normalize=False)
        ha, hb = ha + a, hb + b
    return float(np.average(cf, weights=weights)), ha, hb, [to_lab(g) for g in gt]


def _scores(L: torch.Tensor, ab: torch.Tensor, gt: np.ndarray, truth,
            weights: np.ndarray | None = None) -> tuple[dict[str, float], np.ndarray]:
    """PSNR, colourfulness (ratio), a/b histogram JS, false colour and hue error (restorer eval's blotch
    measures) of the 8-bit results of (L, ab) against ``gt``, whose :func:`_truth` is ``truth``."""
    from restorer.core.metrics import SetScore, score_photo

    cf_g, ha_g, hb_g, lab_g = truth
    pred = (lab_to_rgb_t(torch.cat([L, ab], 1)).clamp(0, 1) * 255 + 0.5).byte().permute(0, 2, 3, 1).numpy()
    scores = SetScore()
    for p, g, gl in zip(pred, gt, lab_g):
        scores.add(score_photo(p, g, gl))
    out = scores.summary(cf_g, (ha_g, hb_g), weights)
    # No truly neutral (or no doubly chromatic) pixel at all: nothing was painted wrongly.
    out["false_colour"] = out["false_colour"] or 0.0
    out["hue_error"] = out["hue_error"] or 0.0
    out["colourfulness_gt"] = cf_g
    return out, pred


@torch.no_grad()
def validate(net, val_rgb: torch.Tensor, device, batch: int = 16, floor: float | None = None,
             weights: np.ndarray | None = None) -> tuple[dict[str, float], torch.Tensor]:
    """Metrics on the fixed validation crops (no hints): PSNR, colourfulness ratio, JS of a/b histograms.

    With ``floor``, also the smallest chroma gain of GAINS whose colourfulness ratio reaches ``floor`` (as the
    card's ``chroma_gain`` would at inference) and the metrics at that gain, under ``gain_*`` keys: every
    checkpoint is then judged at the same colour, the floor, whether it came out muted (gain > 1) or loud
    (gain < 1), because PSNR falls as colour rises and a louder checkpoint would otherwise lose for its colour
    alone (docs/experiments.md, "... selection at the colour floor from both sides").

    ``weights`` (one per crop) weight the PSNR and colourfulness means, e.g. by source (``TrainConfig.
    selection_by_source``)."""
    was_training = net.training
    net.eval()
    Ls, abs_ = [], []
    for i in range(0, len(val_rgb), batch):
        lab = batch_lab(val_rgb[i:i + batch]).to(device)
        L = lab[:, :1]
        x = torch.cat([(L - L_CENT) / L_NORM, torch.zeros_like(lab[:, 1:]), torch.zeros_like(L)], 1)
        abs_.append((net(x[:, : net_in_channels(net)]) * AB_NORM).float().cpu())
        Ls.append(L.float().cpu())
    net.train(was_training)
    L, ab = torch.cat(Ls), torch.cat(abs_)
    gt = val_rgb.permute(0, 2, 3, 1).numpy()
    truth = _truth(gt, weights)  # the same for every gain tried below
    metrics, pred = _scores(L, ab, gt, truth, weights)
    if floor is not None:
        at_one = metrics  # gain 1's scores are known already

        def score(gain: float) -> dict[str, float]:
            return at_one if gain == 1.0 else _scores(L, (ab * gain).clamp(-AB_NORM, AB_NORM), gt, truth, weights)[0]

        gain, scores = gain_at_floor(score, floor)  # a model too muted to reach the floor: the largest gain
        metrics |= {"gain": gain, **{f"gain_{k}": v for k, v in scores.items() if k != "colourfulness_gt"}}
    return metrics, torch.from_numpy(pred).permute(0, 3, 1, 2)


def net_in_channels(net) -> int:
    return getattr(net, "in_channels", None) or next(m for m in net.modules()
                                                      if isinstance(m, torch.nn.Conv2d)).in_channels


def _gray_u8(rgb_u8: torch.Tensor) -> torch.Tensor:
    """The photos with their chroma removed (a = b = 0), uint8 B x 3 x H x W."""
    lab = batch_lab(rgb_u8)
    return (lab_to_rgb_t(torch.cat([lab[:, :1], torch.zeros_like(lab[:, 1:])], 1)) * 255 + 0.5).byte()


def gray_baseline(val_rgb: torch.Tensor, weights: np.ndarray | None = None) -> float:
    from restorer.core.metrics import psnr

    gray = _gray_u8(val_rgb)
    return float(np.average([psnr(p, g) for p, g in zip(gray.permute(0, 2, 3, 1).numpy(),
                                                        val_rgb.permute(0, 2, 3, 1).numpy())], weights=weights))


def save_grid(path: Path, gt: torch.Tensor, pred: torch.Tensor, n: int = 8) -> None:
    """Rows of gray | prediction | ground truth."""
    from PIL import Image

    gray = _gray_u8(gt[:n])
    rows = [torch.cat([g, p, t], dim=2) for g, p, t in zip(gray, pred[:n], gt[:n])]
    grid = torch.cat(rows, dim=1).permute(1, 2, 0).numpy()
    with atomic_path(path) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
