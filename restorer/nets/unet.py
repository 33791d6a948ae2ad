"""The U-Net family compared in the literature: plain U-Net, ResUNet and Attention U-Net (trained from scratch)."""
from __future__ import annotations

import torch
import torch.nn as nn

from restorer.nets.blocks import DoubleConv, ResBlock, UpBlock, make_head
from restorer.nets.registry import register_arch


class UNet(nn.Module):
    """Encoder of ``depth`` stride-2 stages, decoder with skips; ``block`` 'double' or 'res', optional attention gates."""

    def __init__(self, in_channels: int = 4, base: int = 32, depth: int = 4, block: str = "double",
                 attention: bool = False, max_channels: int = 256, head: str = "tanh", temperature: float = 0.4):
        super().__init__()
        chs = [min(base * 2 ** i, max_channels) for i in range(depth + 1)]
        make = (lambda ci, co, s=1: ResBlock(ci, co, s)) if block == "res" else (lambda ci, co, s=1: DoubleConv(ci, co))
        self.inc = make(in_channels, chs[0])
        self.downs = nn.ModuleList()
        for i in range(depth):
            if block == "res":
                self.downs.append(ResBlock(chs[i], chs[i + 1], stride=2))
            else:
                self.downs.append(nn.Sequential(nn.MaxPool2d(2), DoubleConv(chs[i], chs[i + 1])))
        self.ups = nn.ModuleList(
            UpBlock(chs[i + 1], chs[i], chs[i], block=block, attention=attention) for i in reversed(range(depth))
        )
        self.head = make_head(head, chs[0], temperature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        y = skips.pop()
        for up in self.ups:
            y = up(y, skips.pop())
        return self.head(y)


# ``defaults``: what `restorer train` builds a new model of each with (written to its card).
@register_arch(defaults={"base": 32, "depth": 4})
def unet(in_channels: int = 4, base: int = 32, depth: int = 4, head: str = "tanh",
         temperature: float = 0.4) -> nn.Module:
    """Plain U-Net (pix2pix generator style, bilinear upsampling); ``head`` "tanh" (regression) or "bins"."""
    return UNet(in_channels, base, depth, block="double", head=head, temperature=temperature)


@register_arch(defaults={"base": 32, "depth": 4})
def resunet(in_channels: int = 4, base: int = 32, depth: int = 4, head: str = "tanh",
            temperature: float = 0.4) -> nn.Module:
    """ResUNet: residual blocks in encoder and decoder."""
    return UNet(in_channels, base, depth, block="res", head=head, temperature=temperature)


@register_arch(defaults={"base": 24, "depth": 4})
def attention_unet(in_channels: int = 4, base: int = 32, depth: int = 4, head: str = "tanh",
                   temperature: float = 0.4) -> nn.Module:
    """Attention U-Net: additive attention gates on every skip connection."""
    return UNet(in_channels, base, depth, block="double", attention=True, head=head, temperature=temperature)
