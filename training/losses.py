"""Losses: L1 on ab (or cross-entropy over ab bins), VGG16 feature reconstruction on the RGB result, and the PatchGAN adversarial terms."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

from restorer.core.metrics import FALSE_NEUTRAL
from restorer.lab import AB_NORM, L_CENT, L_NORM, rgb_to_lab
from restorer.nets.backbones import IMAGENET_MEAN, IMAGENET_STD
from restorer.nets.vgg import VGG16_TAPS, load_vgg16_features


def weighted_l1(pred_ab: torch.Tensor, gt_ab: torch.Tensor, chroma_boost: float = 0.0,
                pixel_weight: torch.Tensor | None = None, beta: float = 0.05) -> torch.Tensor:
    """Smooth L1 on normalised ab (``beta`` 0 = plain L1); ``chroma_boost`` weights saturated pixels up,
    ``pixel_weight`` (B x 1 x H x W, e.g. from :class:`ColourRebalance`) multiplies in."""
    # The quadratic zone of smooth L1 below ``beta`` pulls uncertain pixels to the mean colour (brown);
    # plain L1 aims at the median instead.
    loss = F.smooth_l1_loss(pred_ab / AB_NORM, gt_ab / AB_NORM, reduction="none", beta=beta)
    w = None
    if chroma_boost:
        w = 1.0 + chroma_boost * gt_ab.norm(dim=1, keepdim=True) / AB_NORM
    if pixel_weight is not None:
        w = pixel_weight if w is None else w * pixel_weight
    if w is None:
        return loss.mean()
    return (loss * w).sum() / (w.sum() * 2)


def neutral_hinge(pred_ab: torch.Tensor, gt_ab: torch.Tensor, loud: float = 12.0,
                  neutral: float = FALSE_NEUTRAL) -> torch.Tensor:
    """Mean over all pixels of how far the predicted chroma exceeds ``loud`` where the true chroma is below
    ``neutral`` (ab units, scaled by 1/AB_NORM like the L1): a price on the blotches ``restorer eval`` counts as
    false colour (predicted chroma > 20 where the truth is < 8), paid only there."""
    # L1 aims at the per-channel median of the colours a gray shape could have: a shirt blue six times in ten
    # is painted blue every time. A price on loud colour over truly neutral surfaces moves that choice towards
    # gray where neutral is likely, and the export's chroma gain restores colour where the network is sure.
    pc = torch.sqrt(pred_ab.float().pow(2).sum(1) + 1e-6)  # not .norm(): its gradient at 0 is undefined
    neutral_px = (gt_ab.float().pow(2).sum(1) < neutral ** 2).float()
    return (F.relu(pc - loud) * neutral_px).mean() / AB_NORM


def soft_bin_ce(logits: torch.Tensor, gt_ab: torch.Tensor, centres: torch.Tensor, k: int = 5,
                sigma: float = 5.0, pixel_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the ab-bin logits (B x Q x h x w) against soft-encoded true colours (Zhang et al.):
    each pixel's target spreads over its ``k`` nearest bin centres (Q x 2, normalised ab) with Gaussian weights
    (``sigma`` ab units). Logits on a coarser grid than ``gt_ab`` (B x 2 x H x W) score every (H / h)-th pixel."""
    stride = gt_ab.shape[-1] // logits.shape[-1]
    logits = logits.float()
    ab = (gt_ab[:, :, ::stride, ::stride] / AB_NORM).permute(0, 2, 3, 1).reshape(-1, 2)
    d2 = torch.cdist(ab, centres.float()) ** 2  # P x Q
    d2k, idx = d2.topk(k, dim=1, largest=False)
    w = torch.softmax(-d2k * (AB_NORM ** 2) / (2 * sigma ** 2), dim=1)
    logp = torch.log_softmax(logits, dim=1).permute(0, 2, 3, 1).reshape(-1, logits.shape[1])
    ce = -(w * logp.gather(1, idx)).sum(1)
    if pixel_weight is None:
        return ce.mean()
    pw = pixel_weight[:, :, ::stride, ::stride].reshape(-1)
    return (ce * pw).sum() / pw.sum()


class ColourRebalance:
    """Per-pixel loss weights from the rarity of the true colour (Zhang et al., Colorful Image Colorization).

    The empirical ab distribution of the training photos is quantised into ``step``-unit bins, smoothed
    (Gaussian, ``sigma`` units), mixed with a uniform distribution over the occupied bins (``lam``) and
    inverted; weights are normalised so their expectation under the data is 1. Desaturated colours (most
    pixels) then count less and rare saturated ones more, which moves a regression away from the brown
    average that plain L1 settles on. ``power`` < 1 softens the weights (1 = the paper's).
    """

    def __init__(self, images, lam: float = 0.5, step: float = 10.0, sigma: float = 5.0, power: float = 1.0,
                 stride: int = 4):
        import cv2
        import numpy as np

        self.step, self.n = step, int(round(2 * AB_NORM / step))
        hist = np.zeros((self.n, self.n), np.float64)
        for rgb in images:
            lab = rgb_to_lab(rgb[::stride, ::stride].astype(np.float32) / 255.0).reshape(-1, 3)
            idx = np.clip(((lab[:, 1:] + AB_NORM) / step).astype(int), 0, self.n - 1)
            np.add.at(hist, (idx[:, 0], idx[:, 1]), 1)
        p = hist / max(hist.sum(), 1)
        p = cv2.GaussianBlur(p, (0, 0), sigma / step)
        p = p / p.sum()
        occupied = p > 0  # the colours seen, widened by the smoothing: the "in-gamut" bins of the paper
        q = max(int(occupied.sum()), 1)
        w = np.where(occupied, 1.0 / ((1 - lam) * p + lam / q), 0.0) ** power
        w = w / (p * w).sum()
        self.prior = torch.from_numpy(p).float()
        self.table = torch.from_numpy(w).float()

    def __call__(self, gt_ab: torch.Tensor) -> torch.Tensor:
        table = self.table.to(gt_ab.device)
        idx = ((gt_ab.detach() + AB_NORM) / self.step).long().clamp_(0, self.n - 1)
        return table[idx[:, 0], idx[:, 1]].unsqueeze(1)


class PerceptualLoss(nn.Module):
    """Feature reconstruction loss (Johnson et al.): squared, size-normalised distance of VGG16 activations
    (relu1_2, relu2_2, relu3_3) between the colourised and the true RGB image."""

    def __init__(self, layers=VGG16_TAPS[:3], max_items: int = 4, size: int = 128):
        super().__init__()
        # VGG on every full-size crop would cost more than the generator itself on a CPU: a few
        # downsampled crops per batch give the same gradient direction at a quarter of the price.
        self.max_items, self.size = max_items, size
        feats = load_vgg16_features("cpu")
        self.slices = nn.ModuleList()
        start = 0
        for end in layers:
            self.slices.append(nn.Sequential(*feats[start:end]))
            start = end
        for p in self.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, pred_rgb: torch.Tensor, gt_rgb: torch.Tensor) -> torch.Tensor:
        pred_rgb, gt_rgb = pred_rgb[: self.max_items], gt_rgb[: self.max_items]
        if pred_rgb.shape[-1] > self.size:
            pred_rgb = F.interpolate(pred_rgb, size=self.size, mode="bilinear", antialias=True, align_corners=False)
            gt_rgb = F.interpolate(gt_rgb, size=self.size, mode="bilinear", antialias=True, align_corners=False)
        x = (torch.cat([pred_rgb, gt_rgb]) - self.mean) / self.std
        loss = pred_rgb.new_zeros(())
        for s in self.slices:
            x = s(x)
            a, b = x.chunk(2)
            loss = loss + F.mse_loss(a, b.detach())
        return loss


class PatchDiscriminator(nn.Module):
    """PatchGAN (pix2pix) on (L, ab) with spectral normalisation; 70x70 receptive field for n_layers=3."""

    def __init__(self, in_channels: int = 3, base: int = 32, n_layers: int = 3):
        super().__init__()
        layers = [spectral_norm(nn.Conv2d(in_channels, base, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        ch = base
        for i in range(1, n_layers + 1):
            nxt = min(base * 2 ** i, base * 8)
            stride = 2 if i < n_layers else 1
            layers += [spectral_norm(nn.Conv2d(ch, nxt, 4, stride, 1)), nn.LeakyReLU(0.2, True)]
            ch = nxt
        layers.append(spectral_norm(nn.Conv2d(ch, 1, 4, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([(L - L_CENT) / L_NORM, ab / AB_NORM], dim=1))


def d_loss(d_real: torch.Tensor, d_fake: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    if mode == "hinge":
        return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
    if mode == "wgan-gp":
        return d_fake.mean() - d_real.mean()
    return 0.5 * (((d_real - 1) ** 2).mean() + (d_fake ** 2).mean())


def g_adv_loss(d_fake: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    if mode in ("hinge", "wgan-gp"):
        return -d_fake.mean()
    return 0.5 * ((d_fake - 1) ** 2).mean()


def gradient_penalty(disc: PatchDiscriminator, L: torch.Tensor, real_ab: torch.Tensor,
                     fake_ab: torch.Tensor) -> torch.Tensor:
    """WGAN-GP term (Gulrajani et al.) on interpolates of real and fake ab."""
    eps = torch.rand(real_ab.shape[0], 1, 1, 1, device=real_ab.device)
    mix = (eps * real_ab + (1 - eps) * fake_ab).requires_grad_(True)
    out = disc(L, mix)
    (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

