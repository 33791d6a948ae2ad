"""``Colorizer``: a network plus its card, speaking real Lab units (the one interface every front end uses)."""
from __future__ import annotations

import torch
import torch.nn as nn

from restorer.core.color import AB_NORM, L_CENT, L_NORM


class Colorizer(nn.Module):
    """``forward(L, ab_hint=None, mask=None) -> ab``; L is B x 1 x H x W in 0..100, ab in real units.

    H and W must be multiples of 32 (the engine pads). Nets without hint channels ignore hints here; the
    engine still applies them by edge-aware propagation.
    """

    def __init__(self, net: nn.Module, card):
        super().__init__()
        self.net = net
        self.card = card

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def forward(self, L: torch.Tensor, ab_hint: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        x = (L - L_CENT) / L_NORM
        if self.card.in_channels > 1:
            b, _, h, w = L.shape
            if ab_hint is None or mask is None:
                ab_hint = L.new_zeros(b, 2, h, w)
                mask = L.new_zeros(b, 1, h, w)
            x = torch.cat([x, ab_hint / AB_NORM, mask], dim=1)
        ab = self.net(x) * AB_NORM
        gain = float(getattr(self.card, "chroma_gain", 1.0) or 1.0)
        return ab if gain == 1.0 else (ab * gain).clamp(-AB_NORM, AB_NORM)
