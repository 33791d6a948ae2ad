"""``reference_head``: a colourisation net plus a small head that learned one reference photo's palette.

Single-image colourisation (SICGAN, ../shared/papers/003) predicts ab from L and local geometry (Sobel edge
magnitude, Laplacian edge density) learned on patches of one colour photo. On its own such a model knows
nothing of what things are, so here it sits on top of a full colourisation net (the *base*, e.g. the default
model): the head sees the base's ab prediction beside the paper's per-pixel features and learns a correction
towards the reference's colours. Its last layer starts at zero, so an untrained head is exactly the base.

The base is stored inside the reference model (its frozen pretrained trunk, if any, stays in
resources/backbones like any model's), so a kept reference model is one self-contained pair of files.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from restorer.nets.registry import create_arch, register_arch

#: Channels the head reads: 8 of geometry (see ``geometry_features``) + base ab + base ab around the pixel.
FEATURES = 12
DENSITY_RADIUS = 3  # the Laplacian's magnitude is averaged over (2r+1)^2 pixels: texture, not single edges
CONTEXT = (7, 15, 31)  # box sizes (working-size pixels) of the local means: a pixel's surroundings at 3 scales


def _box(t: torch.Tensor, size: int) -> torch.Tensor:
    r = size // 2
    return F.avg_pool2d(F.pad(t, (r, r, r, r), mode="replicate"), size, stride=1)


def geometry_features(L: torch.Tensor) -> torch.Tensor:
    """Per-pixel features of normalised L (B x 1 x H x W) -> B x 8 x H x W: the paper's L, Sobel edge magnitude
    and Laplacian edge density, plus local means and spreads of L over the ``CONTEXT`` boxes.

    All are unchanged by the paper's flips and 90-degree rotations of a patch, so the head learns them with
    that augmentation built in; and since each is a fixed filter, one pass gives every pixel's features."""
    sx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=L.device, dtype=L.dtype) / 4.0
    lap = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=L.device, dtype=L.dtype)
    g = F.conv2d(F.pad(L, (1, 1, 1, 1), mode="replicate"), torch.stack([sx, sx.t(), lap])[:, None])
    sobel = torch.sqrt(g[:, :1] ** 2 + g[:, 1:2] ** 2 + 1e-8)
    density = _box(g[:, 2:3].abs(), 2 * DENSITY_RADIUS + 1)
    means = [_box(L, k) for k in CONTEXT]
    spreads = [torch.sqrt((_box(L * L, k) - m * m).clamp_min(0.0) + 1e-6) for k, m in zip(CONTEXT[:2], means)]
    return torch.cat([L, 4.0 * sobel, 4.0 * density, *means, *(2.0 * s for s in spreads)], dim=1)


class PaletteHead(nn.Module):
    """A per-pixel MLP (1x1 convolutions) from the features to an ab correction; starts at zero."""

    def __init__(self, width: int = 64, layers: int = 2) -> None:
        super().__init__()
        body: list[nn.Module] = []
        c = FEATURES
        for _ in range(layers):
            body += [nn.Conv2d(c, width, 1), nn.ReLU(inplace=True)]
            c = width
        self.body = nn.Sequential(*body)
        self.out = nn.Conv2d(c, 2, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(feats))

    def forward_pixels(self, feats: torch.Tensor) -> torch.Tensor:
        """The same function on N x FEATURES rows of pixels (training samples pixels; a matrix product is far
        faster there than a 1x1 convolution over N images of one pixel)."""
        x = feats
        for layer in (*self.body, self.out):
            if isinstance(layer, nn.Conv2d):
                x = F.linear(x, layer.weight.flatten(1), layer.bias)
            else:
                x = layer(x)
        return x


class ReferenceNet(nn.Module):
    """``base`` (frozen) -> ab; ``head`` (trained on the reference) adds a correction; output in [-1, 1]."""

    def __init__(self, base: nn.Module, head: PaletteHead, base_gain: float = 1.0) -> None:
        super().__init__()
        self.base = base
        self.head = head
        self.base_gain = float(base_gain)

    def base_ab(self, x: torch.Tensor) -> torch.Tensor:
        ab = self.base(x)
        return ab if self.base_gain == 1.0 else (ab * self.base_gain).clamp(-1.0, 1.0)

    def head_input(self, x: torch.Tensor, base_ab: torch.Tensor) -> torch.Tensor:
        return torch.cat([geometry_features(x[:, :1]), base_ab, _box(base_ab, CONTEXT[1])], dim=1)

    def refine(self, feats: torch.Tensor) -> torch.Tensor:
        """The output for precomputed ``head_input``: B x FEATURES x H x W, or N x FEATURES sampled pixels."""
        delta = self.head.forward_pixels(feats) if feats.ndim == 2 else self.head(feats)
        return (feats[:, -4:-2] + delta).clamp(-1.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.refine(self.head_input(x, self.base_ab(x)))


@register_arch
def reference_head(in_channels: int = 4, base_arch: str = "unet", base_kwargs: dict[str, Any] | None = None,
                   base_gain: float = 1.0, width: int = 64, layers: int = 2, pretrained: bool = True,
                   **more_base_kwargs: Any) -> nn.Module:
    """A base architecture (``base_arch`` with ``base_kwargs``, plus any other keyword) and a :class:`PaletteHead`."""
    if base_arch == "reference_head":
        raise ValueError("a reference head cannot sit on another reference head")
    kwargs = {**(base_kwargs or {}), **more_base_kwargs, "in_channels": in_channels}
    if not pretrained:
        kwargs["pretrained"] = False
    base = create_arch(base_arch, **kwargs)
    return ReferenceNet(base, PaletteHead(width, layers), base_gain)
