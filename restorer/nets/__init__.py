"""Colourisation network architectures, registered by name (timm-style).

Every architecture maps a normalised input ``x`` (B x in_channels x H x W: channel 0 = (L-50)/50, then, for
hint-aware nets, ab_hint/110 (2 channels) and the hint mask) to normalised ab in [-1, 1] (tanh). H and W must
be multiples of 32. ``restorer.core.models.Colorizer`` wraps a net with the real-unit interface.
"""
from __future__ import annotations

from restorer.nets import pretrained as _pretrained  # noqa: F401,E402
from restorer.nets import reference as _reference  # noqa: F401,E402

# Importing the modules registers their architectures.
from restorer.nets import unet as _unet  # noqa: F401,E402
from restorer.nets.registry import create_arch, list_archs, register_arch  # noqa: F401

__all__ = ["create_arch", "list_archs", "register_arch"]
