"""``Colorizer``: a network plus its card, speaking real Lab units (the one interface every front end uses)."""
from __future__ import annotations

from types import MethodType

import torch
import torch.nn as nn

from restorer.core.color import AB_NORM, L_CENT, L_NORM

#: Architectures whose CPU inference may run in bfloat16 (autocast) on CPUs that have it in hardware. Measured
#: (docs/experiments.md, issue 22): vgg16_unet's outputs stay within 1/255 of float32's on the sample and the 37
#: photos of shared/data/bw while its network pass takes 2.2x less CPU; effnet_unet's differ by up to 5/255
#: (1 % of values by more than 1/255), so it and every arch not measured stay float32.
BF16_ARCHS = frozenset({"vgg16_unet"})


#: Convolutions reading at most this many channels read the image itself (gray RGB, or L + hints): they stay
#: float32 under bf16, since rounding the input to bf16's 8-bit mantissa is like re-quantising the photo (on an
#: 18 MP scan it moved ab by up to 4.1 units; with these layers in float32, 0.47, for the same speed).
INPUT_CHANNELS_MAX = 4


def _float32_forward(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.autocast("cpu", enabled=False):
        return type(conv).forward(conv, x.float())


class Colorizer(nn.Module):
    """``forward(L, ab_hint=None, mask=None) -> ab``; L is B x 1 x H x W in 0..100, ab in real units.

    H and W must be multiples of 32 (the engine pads). Nets without hint channels ignore hints here; the
    engine still applies them by edge-aware propagation.
    """

    def __init__(self, net: nn.Module, card):
        super().__init__()
        self.net = net
        self.card = card
        self.channels_last = False
        self.bf16 = False

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def for_cpu_inference(self, bf16: bool = False) -> Colorizer:
        """Lay weights out channels-last (oneDNN's native layout: no reorder per convolution, ~10 % faster)
        and, with ``bf16`` and an arch in ``BF16_ARCHS``, compute in bfloat16. Inference only: training
        through a model set up this way would learn in reduced precision."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True
        self.bf16 = bool(bf16) and getattr(self.card, "arch", None) in BF16_ARCHS
        if self.bf16:
            for m in self.net.modules():
                if isinstance(m, nn.Conv2d) and m.in_channels <= INPUT_CHANNELS_MAX:
                    # A bound method (not a closure), so a deep copy of the network calls its own weights.
                    m.forward = MethodType(_float32_forward, m)
        return self

    def forward(self, L: torch.Tensor, ab_hint: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        x = (L - L_CENT) / L_NORM
        if self.card.in_channels > 1:
            b, _, h, w = L.shape
            if ab_hint is None or mask is None:
                ab_hint = L.new_zeros(b, 2, h, w)
                mask = L.new_zeros(b, 1, h, w)
            x = torch.cat([x, ab_hint / AB_NORM, mask], dim=1)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            ab = self.net(x).float().contiguous() * AB_NORM
        gain = float(getattr(self.card, "chroma_gain", 1.0) or 1.0)
        return ab if gain == 1.0 else (ab * gain).clamp(-AB_NORM, AB_NORM)
