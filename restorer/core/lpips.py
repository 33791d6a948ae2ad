"""LPIPS v0.1 (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric"), VGG16.

A self-contained re-implementation of ``lpips.LPIPS(net="vgg", version="0.1")`` that reads its weights from
``resources/backbones`` (nothing is downloaded):

* ``vgg16_features.safetensors``: torchvision's ImageNet VGG16 ``features`` (keys ``0.weight``, ``0.bias``, ...),
  stored as float16 and used as float32;
* ``lpips_vgg_lin.safetensors``: the five learned 1x1 linear heads (``lin{0..4}.model.1.weight``, no bias).

The distance, for inputs in [-1, 1]: scale with LPIPS's ScalingLayer (shift [-.030, -.088, -.188], scale
[.458, .448, .450]), take the VGG16 relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 activations of both images,
unit-normalise each over channels (eps 1e-10), square their difference, weight channels with the 1x1 head,
average over space and sum over the five layers. 0 for identical images; larger is more different.

The VGG16 trunk (:func:`restorer.nets.vgg.load_vgg16_features`) is also the perceptual loss's and the encoder of
``vgg16_unet``, so all three use the same weights.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from restorer.nets.backbones import BackboneMissing, load_backbone_state
from restorer.nets.vgg import VGG16_CHANNELS, VGG16_FILE, VGG16_TAPS, load_vgg16_features
from restorer.paths import backbones_dir

LPIPS_VGG_LIN_FILE = "lpips_vgg_lin.safetensors"


def _normalize_tensor(x: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    # As lpips.normalize_tensor: eps is added to the norm, not under the square root.
    norm = torch.sqrt(torch.sum(x * x, dim=1, keepdim=True))
    return x / (norm + eps)


class LPIPS(nn.Module):
    """LPIPS v0.1 distance with the VGG16 trunk; frozen, eval mode, float32.

    ``forward(x, y)`` takes two ``Bx3xHxW`` RGB tensors in [-1, 1] (or in [0, 1] with ``normalize=True``) and
    returns a ``B`` tensor of distances. Gradients flow to the inputs, so it can also serve as a loss.
    """

    def __init__(self, vgg_path: str | Path | None = None, lin_path: str | Path | None = None) -> None:
        super().__init__()
        features = load_vgg16_features("cpu", vgg_path)
        starts = (0, *VGG16_TAPS[:-1])
        self.slices = nn.ModuleList(nn.Sequential(*features[a:b]) for a, b in zip(starts, VGG16_TAPS))
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        lin = load_backbone_state(Path(lin_path) if lin_path else LPIPS_VGG_LIN_FILE)
        weights = []
        for i, c in enumerate(VGG16_CHANNELS):
            w = lin[f"lin{i}.model.1.weight"]
            if tuple(w.shape) != (1, c, 1, 1):
                raise ValueError(f"lin{i} head has shape {tuple(w.shape)}, expected (1, {c}, 1, 1)")
            weights.append(w)
        # Plain buffers rather than Conv2d(c, 1, 1, bias=False): the 1x1 conv is a weighted channel sum.
        for i, w in enumerate(weights):
            self.register_buffer(f"lin{i}", w.view(1, -1, 1, 1).clone())
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> LPIPS:
        # Always eval: there is no dropout/batch-norm to switch, and a metric must not change behaviour.
        return super().train(False)

    def features(self, x: torch.Tensor, normalize: bool = False) -> list[torch.Tensor]:
        """The five unit-normalised VGG activations of ``x`` (Bx3xHxW in [-1, 1], or [0, 1] with normalize)."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected a Bx3xHxW tensor, got {tuple(x.shape)}")
        if normalize:
            x = 2.0 * x - 1.0
        h = (x.float() - self.shift) / self.scale
        out = []
        for sl in self.slices:
            h = sl(h)
            out.append(_normalize_tensor(h))
        return out

    def compare(self, fx: list[torch.Tensor], fy: list[torch.Tensor]) -> torch.Tensor:
        """Distance (a B tensor) between two outputs of :meth:`features`."""
        total = torch.zeros(fx[0].shape[0], device=fx[0].device, dtype=torch.float32)
        for i, (a, b) in enumerate(zip(fx, fy)):
            w: torch.Tensor = getattr(self, f"lin{i}")
            total = total + (((a - b) ** 2) * w).sum(dim=1).mean(dim=(1, 2))
        return total

    def forward(self, x: torch.Tensor, y: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        if x.shape != y.shape:
            raise ValueError(f"expected two tensors of the same shape, got {tuple(x.shape)}, {tuple(y.shape)}")
        return self.compare(self.features(x, normalize), self.features(y, normalize))

    @torch.no_grad()
    def reference(self, rgb_uint8: np.ndarray) -> list[torch.Tensor]:
        """Features of an ``HxWx3`` uint8 image, to compare many results with one ground truth cheaply."""
        return self.features(_to_tensor(rgb_uint8, self.shift.device))

    @torch.no_grad()
    def distance(self, pred_rgb_uint8: np.ndarray, gt: np.ndarray | list[torch.Tensor]) -> float:
        """LPIPS between ``HxWx3`` uint8 RGB ``pred`` and ``gt`` (an array or its :meth:`reference`)."""
        ref = self.reference(gt) if isinstance(gt, np.ndarray) else gt
        fp = self.reference(pred_rgb_uint8)
        if fp[0].shape != ref[0].shape:
            raise ValueError("images differ in size")
        return float(self.compare(fp, ref)[0].item())


def _to_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 RGB array, got {rgb.dtype} {rgb.shape}")
    t = torch.from_numpy(np.ascontiguousarray(rgb)).to(device).permute(2, 0, 1)[None].float()
    return t / 127.5 - 1.0


def lpips_available() -> tuple[bool, str]:
    """(True, "") if both LPIPS weight files are in resources/backbones, else (False, reason)."""
    for name in (VGG16_FILE, LPIPS_VGG_LIN_FILE):
        if not (backbones_dir() / name).is_file():
            return False, f"{name} is missing from {backbones_dir()}"
    return True, ""


__all__ = ["LPIPS", "BackboneMissing", "VGG16_TAPS", "load_vgg16_features", "lpips_available"]
