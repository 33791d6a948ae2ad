"""The ImageNet VGG16 trunk (torchvision layout): encoder of ``vgg16_unet``, LPIPS's trunk and the perceptual loss's.

One definition, so the three use the same layers and weights (``resources/backbones/vgg16_features.safetensors``:
torchvision's ``features``, keys ``0.weight``, ``0.bias``, ...).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from restorer.nets.backbones import load_backbone_state

VGG16_FILE = "vgg16_features.safetensors"
VGG16_SHA256 = "bed996b521ce063c3b5afbb571d57c16878e5f707a7eb8f59a22bbedabc7f3e2"

# torchvision's VGG16 ("D") feature configuration: conv widths, "M" = 2x2 max-pool.
_VGG16_CFG: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                               512, 512, 512, "M"]
#: End indices (exclusive) in ``features`` of relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (LPIPS's taps).
VGG16_TAPS = (4, 9, 16, 23, 30)
#: Channels at those taps.
VGG16_CHANNELS = (64, 128, 256, 512, 512)


def vgg16_features_module() -> nn.Sequential:
    """Untrained torchvision-layout VGG16 ``features`` (31 modules, non-inplace ReLUs)."""
    layers: list[nn.Module] = []
    c_in = 3
    for v in _VGG16_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(c_in, int(v), kernel_size=3, padding=1))
            # Not in-place (torchvision's are): a caller that taps a conv output must not see it rectified.
            layers.append(nn.ReLU(inplace=False))
            c_in = int(v)
    return nn.Sequential(*layers)


def load_vgg16_features(device: str | torch.device = "cpu", path: str | Path | None = None) -> nn.Sequential:
    """torchvision-layout ImageNet VGG16 ``features`` (31 modules), float32, frozen, in eval mode, on ``device``.

    Expects ImageNet-normalised RGB (mean 0.485/0.456/0.406, std 0.229/0.224/0.225) as torchvision does;
    LPIPS feeds it its own scaling instead. ``path`` overrides ``resources/backbones/vgg16_features.safetensors``
    (a ``.pth`` state_dict also works). Raises ``BackboneMissing`` if the file is absent.
    """
    features = vgg16_features_module()
    features.load_state_dict(load_backbone_state(Path(path) if path else VGG16_FILE), strict=True)
    return features.to(device=device, dtype=torch.float32).requires_grad_(False).eval()
