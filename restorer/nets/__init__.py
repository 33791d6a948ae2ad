"""Colourisation network architectures, registered by name (timm-style).

Every architecture maps a normalised input ``x`` (B x in_channels x H x W: channel 0 = (L - L_CENT) / L_NORM,
then, for hint-aware nets, ab_hint / AB_NORM (2 channels) and the hint mask; see ``restorer.lab``) to normalised
ab in [-1, 1] (tanh). H and W must be multiples of 32. ``restorer.core.colorizer.Colorizer`` wraps a net with the
real-unit interface. nets imports only ``restorer.lab`` and ``restorer.paths`` of Restorer, never core.
"""
from __future__ import annotations

# Importing the modules registers their architectures.
from restorer.nets import pretrained as _pretrained  # noqa: F401
from restorer.nets import reference as _reference  # noqa: F401
from restorer.nets import unet as _unet  # noqa: F401
from restorer.nets import variations as _variations  # noqa: F401
from restorer.nets.backbones import Backbone
from restorer.nets.registry import ArchSpec, arch_spec, create_arch, list_archs, register_arch

__all__ = ["ArchSpec", "Backbone", "arch_spec", "create_arch", "list_archs", "register_arch"]
