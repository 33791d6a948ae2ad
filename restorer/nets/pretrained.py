"""U-Nets on ImageNet-pretrained encoders (EfficientNet-Lite0, VGG16).

Small data and CPU-only training make pretrained semantics essential: the encoder knows sky, skin and grass;
only the decoder has to learn colour. The trunks come from ``resources/backbones`` (never downloaded). The
encoder's early layers stay frozen; a model file then stores only what training changed and names the trunk
file by checksum (see ``restorer.core.models``).
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from restorer.nets.blocks import UpBlock, conv_bn_relu, make_head
from restorer.nets.registry import register_arch

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def gray_rgb_from_normalised_l(l_norm: torch.Tensor) -> torch.Tensor:
    """(L-50)/50 -> the sRGB gray with that lightness, ImageNet-normalised, 3 channels (what the trunk expects)."""
    L = l_norm * 50.0 + 50.0
    fy = (L + 16.0) / 116.0
    y = torch.where(fy ** 3 > 216.0 / 24389.0, fy ** 3, (116.0 * fy - 16.0) / (24389.0 / 27.0)).clamp(0, 1)
    g = torch.where(y <= 0.0031308, 12.92 * y, 1.055 * y.clamp_min(1e-8) ** (1 / 2.4) - 0.055)
    mean = torch.tensor(_IMAGENET_MEAN, dtype=g.dtype, device=g.device).view(1, 3, 1, 1)
    std = torch.tensor(_IMAGENET_STD, dtype=g.dtype, device=g.device).view(1, 3, 1, 1)
    return (g.expand(-1, 3, -1, -1) - mean) / std


def load_backbone_state(file_name: str) -> dict[str, torch.Tensor]:
    """Trunk weights from resources/backbones as float32 (safetensors: no code is executed)."""
    from safetensors.torch import load_file

    from restorer.paths import backbones_dir

    path = Path(backbones_dir()) / file_name
    if not path.exists():
        raise FileNotFoundError(f"pretrained backbone {path} is missing (reinstall Restorer)")
    return {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}


# ------------------------------------------------------------------------------------ EfficientNet-Lite0
class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding (the Lite0 weights were trained with it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual block of EfficientNet-Lite (no squeeze-excitation, ReLU6); key names match the weights."""

    def __init__(self, cin: int, cout: int, expand: int, k: int, stride: int):
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._depthwise_conv = SameConv2d(mid, mid, k, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._project_conv = SameConv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y


# (repeats, kernel, stride, expand, in, out) of EfficientNet-Lite0
_LITE0 = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]


class EfficientNetLite0Encoder(nn.Module):
    """Stem + 16 MBConv blocks; returns features at strides 2, 4, 8, 16, 32 (16, 24, 40, 112, 320 channels)."""

    channels = (16, 24, 40, 112, 320)
    taps = (0, 2, 4, 10, 15)  # block index after which each stride's feature is taken

    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)
        blocks = []
        for repeats, k, s, e, cin, cout in _LITE0:
            for r in range(repeats):
                blocks.append(MBConv(cin if r == 0 else cout, cout, e, k, s if r == 0 else 1))
        self._blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor, stem_extra: torch.Tensor | None = None) -> list[torch.Tensor]:
        y = self._conv_stem(x)
        if stem_extra is not None:
            y = y + stem_extra
        y = F.relu6(self._bn0(y))
        feats = []
        for i, block in enumerate(self._blocks):
            y = block(y)
            if i in self.taps:
                feats.append(y)
        return feats


class PretrainedUNet(nn.Module):
    """A decoder with skips over a pretrained encoder, plus a full-resolution path for L and the hints.

    Hints reach the network twice: added (zero-initialised) to the encoder's first stage, so semantics can
    carry a hint across a region, and concatenated at full resolution just before the head, so a hint can act
    on its exact pixels.
    """

    backbone_file: str = ""
    frozen_prefixes: tuple[str, ...] = ()
    # Kept fixed by one training run only (e.g. the whole encoder when fine-tuning on a small collection): unlike
    # ``frozen_prefixes`` these weights may differ from ImageNet's, so model files still store them.
    extra_frozen: tuple[str, ...] = ()

    def __init__(self, encoder: nn.Module, enc_channels, dec_channels, in_channels: int, first_stride: int,
                 head: str = "tanh", temperature: float = 0.4):
        super().__init__()
        self.in_channels = in_channels
        self.encoder = encoder
        self.first_stride = first_stride
        n_hint = in_channels - 1
        self.hint_stem = None
        if n_hint > 0 and first_stride == 2:
            self.hint_stem = nn.Conv2d(n_hint, 32, 3, stride=2, padding=1)
            nn.init.zeros_(self.hint_stem.weight)
            nn.init.zeros_(self.hint_stem.bias)
        skips = list(enc_channels[:-1])
        ups = []
        cin = enc_channels[-1]
        for skip_ch, cout in zip(reversed(skips), dec_channels):
            ups.append(UpBlock(cin, skip_ch, cout))
            cin = cout
        self.ups = nn.ModuleList(ups)
        full = dec_channels[-1]
        self.full_res = conv_bn_relu(in_channels, full)
        self.fuse = UpBlock(cin, full, full) if first_stride == 2 else nn.Sequential(conv_bn_relu(cin + full, full))
        self.head = make_head(head, full, temperature)

    def freeze_backbone(self) -> None:
        for name, p in self.named_parameters():
            if name.startswith(self.frozen_prefixes + self.extra_frozen):
                p.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        # Frozen layers keep their BatchNorm statistics: small CPU batches would only add noise.
        for name, m in self.named_modules():
            if name.startswith(self.frozen_prefixes + self.extra_frozen) and isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = gray_rgb_from_normalised_l(x[:, :1])
        extra = self.hint_stem(x[:, 1:]) if self.hint_stem is not None else None
        feats = self._encode(rgb, extra)
        y = feats[-1]
        for up, skip in zip(self.ups, reversed(feats[:-1])):
            y = up(y, skip)
        full = self.full_res(x)
        if self.first_stride == 2:
            y = self.fuse(y, full)
        else:
            y = self.fuse(torch.cat([y, full], dim=1))
        return self.head(y)

    def _encode(self, rgb, extra):
        return self.encoder(rgb, extra)


class EffNetUNet(PretrainedUNet):
    backbone_file = "efficientnet_lite0.safetensors"
    # Stem and the first 5 blocks (strides 2-8) stay ImageNet's: measured to train best on CPU budgets.
    frozen_prefixes = ("encoder._conv_stem", "encoder._bn0", *(f"encoder._blocks.{i}." for i in range(5)))

    def __init__(self, in_channels: int = 4, dec_channels=(128, 64, 48, 32), pretrained: bool = True,
                 head: str = "tanh", temperature: float = 0.4):
        super().__init__(EfficientNetLite0Encoder(), EfficientNetLite0Encoder.channels, tuple(dec_channels),
                         in_channels, first_stride=2, head=head, temperature=temperature)
        if pretrained:
            load_trunk(self.encoder, self.backbone_file)


class VGG16Encoder(nn.Module):
    """torchvision VGG16 ``features`` (same key names); features relu1_2 .. relu5_3 at strides 1..16."""

    channels = (64, 128, 256, 512, 512)
    taps = (3, 8, 15, 22, 29)

    def __init__(self):
        super().__init__()
        from restorer.core.lpips import vgg16_features_module

        # The same trunk as LPIPS and the perceptual loss; the final max-pool (index 30) is never tapped.
        self.features = vgg16_features_module()[:30]

    def forward(self, x: torch.Tensor, extra=None) -> list[torch.Tensor]:
        feats = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                feats.append(x)
        return feats


class VGGUNet(PretrainedUNet):
    backbone_file = "vgg16_features.safetensors"
    # The whole trunk is frozen: 29 MB of weights would not fit a 25 MB model file, and CPU time is scarce.
    frozen_prefixes = ("encoder.",)

    def __init__(self, in_channels: int = 4, dec_channels=(256, 128, 64, 32), pretrained: bool = True,
                 head: str = "tanh", temperature: float = 0.4):
        super().__init__(VGG16Encoder(), VGG16Encoder.channels, tuple(dec_channels), in_channels, first_stride=1,
                         head=head, temperature=temperature)
        if pretrained:
            load_trunk(self.encoder.features, self.backbone_file)


def load_trunk(module: nn.Module, file_name: str) -> None:
    """Load ImageNet weights strictly (BatchNorm's num_batches_tracked is not stored and not needed)."""
    state = load_backbone_state(file_name)
    missing, unexpected = module.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"{file_name} does not match the encoder: missing {missing[:5]}, unexpected {unexpected[:5]}")


@register_arch
def effnet_unet(in_channels: int = 4, dec_channels=(128, 64, 48, 32), pretrained: bool = True,
                head: str = "tanh", temperature: float = 0.4) -> nn.Module:
    """U-Net decoder on an ImageNet EfficientNet-Lite0 encoder: the fast model. ``head``: "tanh" regresses
    ab, "bins" predicts a distribution over ab colours (annealed mean at ``temperature``)."""
    return EffNetUNet(in_channels, dec_channels, pretrained, head, temperature)


@register_arch
def vgg16_unet(in_channels: int = 4, dec_channels=(256, 128, 64, 32), pretrained: bool = True,
               head: str = "tanh", temperature: float = 0.4) -> nn.Module:
    """U-Net decoder on a frozen ImageNet VGG16 encoder (the backbone the feature-reconstruction paper preferred);
    ``head`` as for effnet_unet."""
    return VGGUNet(in_channels, dec_channels, pretrained, head, temperature)
