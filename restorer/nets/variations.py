"""The variations network: K alternative colourings of a photo from any colouriser's own result.

Input (B x 3 x H x W, normalised like every net here): (L - L_CENT) / L_NORM and the base model's predicted
ab / AB_NORM. Output: B x K x 2 x H x W ab *residuals* (normalised), one per alternative; alternative k is
base + residual k. Taking the base's ab as input rather than re-colourising from L keeps the network tiny and
model-agnostic: it learns how a colourisation may plausibly differ, so it keeps working when the default model
is retrained. Trained with a multiple-choice ("best of K") loss (training/variations.py), so the K heads
specialise into different plausible colourings instead of all regressing to the one mean.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from restorer.nets.blocks import DoubleConv, UpBlock
from restorer.nets.registry import register_arch


class VariationsUNet(nn.Module):
    def __init__(self, in_channels: int = 3, k: int = 4, base: int = 16, depth: int = 4, max_channels: int = 128,
                 scale: float | Sequence[float] = 1.0):
        super().__init__()
        if not isinstance(scale, (int, float)) and len(scale) != k:
            raise ValueError(f"scale needs one value or {k} (one per alternative), not {len(scale)}")
        self.k, self.scale = k, scale
        chs = [min(base * 2 ** i, max_channels) for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, chs[0])
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), DoubleConv(chs[i], chs[i + 1]))
                                   for i in range(depth))
        # Whole-photo context at the bottleneck: an alternative colouring is a choice for the whole photo (all
        # skies bluer, the coat green), which local features alone cannot coordinate.
        self.context = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(chs[-1], chs[-1], 1), nn.ReLU(inplace=True))
        self.ups = nn.ModuleList(UpBlock(chs[i + 1], chs[i], chs[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(chs[0], 2 * k, 3, padding=1)
        # Near zero at the start: every alternative begins as the base colouring and moves away only as far as
        # the loss rewards.
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = skips.pop()
        y = y + self.context(y)
        for up in self.ups:
            y = up(y, skips.pop())
        r = torch.tanh(self.head(y))
        b, _, h, w = r.shape
        # One scale for all, or one per alternative (shape 1 x K x 1 x 1 x 1): either broadcasts.
        return r.view(b, self.k, 2, h, w) * r.new_tensor(self.scale).view(1, -1, 1, 1, 1)


@register_arch(defaults={"k": 4, "base": 16, "depth": 4})
def variations_unet(in_channels: int = 3, k: int = 4, base: int = 16, depth: int = 4, max_channels: int = 128,
                    scale: float | Sequence[float] = 1.0) -> nn.Module:
    """Tiny U-Net (1.24 M parameters at the defaults) giving K ab residuals for L + a base colouring; ``scale``
    shrinks the residuals, one value for all or one per alternative (chosen on the selection split after
    training: diversity against plausibility)."""
    return VariationsUNet(in_channels, k, base, depth, max_channels, scale)
