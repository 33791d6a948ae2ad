"""Building blocks shared by the U-Net family and the pretrained-encoder U-Nets."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from restorer.lab import AB_NORM, lab_to_linear_rgb_t


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int):
        super().__init__(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class ResBlock(nn.Module):
    """Pre-activation-free residual block (ResUNet): two 3x3 convs plus a projected shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
        )
        self.skip = (nn.Identity() if cin == cout and stride == 1 else
                     nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x), inplace=True)


class AttentionGate(nn.Module):
    """Additive attention gate (Oktay et al.): the decoder signal decides which skip features pass."""

    def __init__(self, skip_ch: int, gate_ch: int, inter_ch: int):
        super().__init__()
        self.w_skip = nn.Sequential(nn.Conv2d(skip_ch, inter_ch, 1, bias=False), nn.BatchNorm2d(inter_ch))
        self.w_gate = nn.Sequential(nn.Conv2d(gate_ch, inter_ch, 1, bias=False), nn.BatchNorm2d(inter_ch))
        self.psi = nn.Sequential(nn.Conv2d(inter_ch, 1, 1), nn.Sigmoid())

    def forward(self, skip: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        g = F.interpolate(self.w_gate(gate), size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return skip * self.psi(F.relu(self.w_skip(skip) + g, inplace=True))


class UpBlock(nn.Module):
    """Upsample x2 (bilinear: no checkerboard), concatenate the skip, two convs."""

    def __init__(self, cin: int, skip_ch: int, cout: int, block: str = "double", attention: bool = False):
        super().__init__()
        self.gate = AttentionGate(skip_ch, cin, max(8, skip_ch // 2)) if attention and skip_ch else None
        body_in = cin + skip_ch
        self.body = ResBlock(body_in, cout) if block == "res" else DoubleConv(body_in, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        if skip is not None:
            if self.gate is not None:
                skip = self.gate(skip, x)
            x = torch.cat([x, skip], dim=1)
        return self.body(x)


class AbHead(nn.Module):
    """Final 3x3 conv to ab, tanh-bounded; starts near zero so early training is gray, not noisy."""

    def __init__(self, cin: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, 2, 3, padding=1)
        nn.init.normal_(self.conv.weight, std=1e-3)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(x))


def _in_srgb_gamut(ab: torch.Tensor) -> torch.Tensor:
    """For P x 2 ab values: is there a lightness at which the colour is displayable in sRGB?"""
    L = torch.linspace(1, 99, 50)[:, None].expand(-1, len(ab))
    lab = torch.stack([L, ab[None, :, 0].expand_as(L), ab[None, :, 1].expand_as(L)])[None]  # 1 x 3 x nL x P
    lin = lab_to_linear_rgb_t(lab)[0]
    return ((lin >= 0) & (lin <= 1)).all(0).any(0)


def ab_bin_centres(step: float = 10.0) -> torch.Tensor:
    """Centres (Q x 2, Lab units) of the ab grid cells (side ``step``) that hold a displayable sRGB colour.

    Zhang et al. quantise ab in steps of 10 and keep the 313 cells their data used; here a cell is kept when any
    point of a 5 x 5 grid inside it is in gamut at some lightness, so the head needs no data file.
    """
    c = torch.arange(-AB_NORM + step / 2, AB_NORM, step)
    a, b = torch.meshgrid(c, c, indexing="ij")
    centres = torch.stack([a.flatten(), b.flatten()], 1)
    offs = torch.linspace(-0.45 * step, 0.45 * step, 5)
    oa, ob = torch.meshgrid(offs, offs, indexing="ij")
    probe = centres[:, None, :] + torch.stack([oa.flatten(), ob.flatten()], 1)[None]  # Q0 x 25 x 2
    ok = _in_srgb_gamut(probe.reshape(-1, 2)).reshape(len(centres), -1).any(1)
    return centres[ok].contiguous()


class BinsHead(nn.Module):
    """ab as a distribution over quantised colours (Zhang et al., "Colorful Image Colorization").

    Regression to the mean of several plausible colours gives brown; a distribution keeps them apart, and
    its annealed mean (softmax of logits / T, T < 1) leans toward the most likely colour where the network is
    sure, toward the mean where it is not. Returns normalised ab like ``AbHead``; in training mode the
    expected ab (T = 1) for the pixel losses, with the logits (every other pixel) kept in ``last_logits`` for
    the trainer's cross-entropy.
    """

    def __init__(self, cin: int, temperature: float = 0.4, hidden: int = 64):
        super().__init__()
        self.temperature = temperature
        self.register_buffer("centres", ab_bin_centres() / AB_NORM, persistent=False)
        q = len(self.centres)
        self.body = nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(hidden, q, 1))
        self.last_logits: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.body[1](self.body[0](x))
        if not self.training:
            self.last_logits = None
            return self._expected_ab(self.body[2](hidden), self.temperature)
        # Training scores every other pixel: a Q-channel map at full size dominated the step's time, and
        # neighbouring pixels teach nearly the same thing.
        logits = self.body[2](hidden[:, :, ::2, ::2])
        self.last_logits = logits
        ab = self._expected_ab(logits, 1.0)
        return F.interpolate(ab, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def _expected_ab(self, logits: torch.Tensor, t: float) -> torch.Tensor:
        p = torch.softmax(logits.float() / t, dim=1)
        return torch.einsum("bqhw,qc->bchw", p, self.centres.to(p.dtype))


def make_head(kind: str, cin: int, temperature: float = 0.4) -> nn.Module:
    if kind == "tanh":
        return AbHead(cin)
    if kind == "bins":
        return BinsHead(cin, temperature)
    raise ValueError(f"unknown head {kind!r} (tanh or bins)")
