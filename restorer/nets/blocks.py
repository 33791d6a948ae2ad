"""Building blocks shared by the U-Net family and the pretrained-encoder U-Nets."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


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
