"""U-Nets on ImageNet-pretrained encoders (EfficientNet-Lite0, VGG16).

Small data and CPU-only training make pretrained semantics essential: the encoder knows sky, skin and grass;
only the decoder has to learn colour. The trunks come from ``resources/backbones`` (never downloaded). The
encoder's early layers stay frozen; a model file then stores only what training changed and names the trunk
file by checksum (see ``restorer.core.models``).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from restorer.lab import L_CENT, L_NORM, gray_srgb_t
from restorer.nets.backbones import IMAGENET_MEAN, IMAGENET_STD, Backbone, load_trunk
from restorer.nets.blocks import UpBlock, conv_bn_relu, make_head
from restorer.nets.registry import register_arch
from restorer.nets.vgg import VGG16_CHANNELS, VGG16_FILE, VGG16_SHA256, VGG16_TAPS, vgg16_features_module


def gray_rgb_from_normalised_l(l_norm: torch.Tensor) -> torch.Tensor:
    """(L-50)/50 -> the sRGB gray with that lightness, ImageNet-normalised, 3 channels (what the trunk expects)."""
    g = gray_srgb_t(l_norm * L_NORM + L_CENT)
    mean = torch.tensor(IMAGENET_MEAN, dtype=g.dtype, device=g.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=g.dtype, device=g.device).view(1, 3, 1, 1)
    return (g.expand(-1, 3, -1, -1) - mean) / std


GLOBAL_WIDTH = 256  # hidden width of the global-context MLP (Iizuka et al.'s global feature vector is 256 wide)


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

    conv_bn_pairs = (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2"))

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

    ``global_context`` adds Iizuka et al.'s (2016) global features: the deepest features averaged over the whole
    photo, through a small MLP, added to every position of the decoder's input, so a wall's colour can depend on
    whether the photo is a street or a living room. Its last layer starts at zero: a trained network given the
    branch computes exactly what it did, and fine-tuning only adds to it.
    """

    backbone: Backbone  # each subclass declares its trunk (registered with its architecture too)
    # Kept fixed by one training run only (the whole encoder when fine-tuning on a small collection): unlike
    # ``backbone.frozen`` these weights may differ from ImageNet's, so model files still store them.
    extra_frozen: tuple[str, ...] = ()

    def __init__(self, encoder: nn.Module, enc_channels, dec_channels, in_channels: int, first_stride: int,
                 head: str = "tanh", temperature: float = 0.4, pretrained: bool = True,
                 frozen: tuple[str, ...] | None = None, global_context: bool = False):
        super().__init__()
        # The trunk's parts that keep ImageNet's weights in this network: the arch's default unless an arch
        # argument trains more of it (the model card then lists these, and model files store the rest).
        self.frozen = self.backbone.frozen if frozen is None else tuple(frozen)
        self.in_channels = in_channels
        self.encoder = encoder
        self.first_stride = first_stride
        n_hint = in_channels - 1
        self.hint_stem = None
        if n_hint > 0 and first_stride == 2:
            self.hint_stem = nn.Conv2d(n_hint, 32, 3, stride=2, padding=1)
            nn.init.zeros_(self.hint_stem.weight)
            nn.init.zeros_(self.hint_stem.bias)
        self.global_context = None
        if global_context:
            deepest = enc_channels[-1]
            self.global_context = nn.Sequential(nn.Linear(deepest, GLOBAL_WIDTH), nn.ReLU(inplace=True),
                                                nn.Linear(GLOBAL_WIDTH, deepest))
            nn.init.zeros_(self.global_context[-1].weight)
            nn.init.zeros_(self.global_context[-1].bias)
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
        if pretrained:
            load_trunk(self, self.backbone)

    def freeze_backbone(self, whole_encoder: bool = False) -> None:
        """Stop training the trunk's frozen part (and with ``whole_encoder``, all of the encoder)."""
        if whole_encoder:
            self.extra_frozen = ("encoder.",)
        for name, p in self.named_parameters():
            if name.startswith(self.frozen + self.extra_frozen):
                p.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        # Frozen layers keep their BatchNorm statistics: small CPU batches would only add noise.
        for name, m in self.named_modules():
            if name.startswith(self.frozen + self.extra_frozen) and isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = gray_rgb_from_normalised_l(x[:, :1])
        extra = self.hint_stem(x[:, 1:]) if self.hint_stem is not None else None
        feats = self._encode(rgb, extra)
        y = feats[-1]
        if self.global_context is not None:
            y = y + self.global_context(y.mean((2, 3)))[:, :, None, None]
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
    # Stem and the first 5 blocks (strides 2-8) stay ImageNet's: measured to train best on CPU budgets.
    backbone = Backbone("efficientnet_lite0.safetensors",
                        "fe73a8fb94017aa7a6f53aa48875279b4579c6bd29ee9df5d987d4a3ff9d256f", prefix="encoder.",
                        frozen=("encoder._conv_stem", "encoder._bn0", *(f"encoder._blocks.{i}." for i in range(5))))

    def __init__(self, in_channels: int = 4, dec_channels=(128, 64, 48, 32), pretrained: bool = True,
                 head: str = "tanh", temperature: float = 0.4, global_context: bool = False):
        super().__init__(EfficientNetLite0Encoder(), EfficientNetLite0Encoder.channels, tuple(dec_channels),
                         in_channels, first_stride=2, head=head, temperature=temperature, pretrained=pretrained,
                         global_context=global_context)


class VGG16Encoder(nn.Module):
    """torchvision VGG16 ``features`` (same key names); features relu1_2 .. relu5_3 at strides 1..16."""

    channels = VGG16_CHANNELS
    taps = tuple(end - 1 for end in VGG16_TAPS)  # index of the ReLU after which each feature is taken

    def __init__(self):
        super().__init__()
        # The same trunk as LPIPS and the perceptual loss; the final max-pool (index 30) is never tapped.
        self.features = vgg16_features_module()[:30]

    def forward(self, x: torch.Tensor, extra=None) -> list[torch.Tensor]:
        feats = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                feats.append(x)
        return feats


#: Index in VGG16 ``features`` of the first layer of each of its five conv blocks.
VGG16_BLOCK_STARTS = (0, 5, 10, 17, 24)


def vgg16_frozen(tune_blocks: int) -> tuple[str, ...]:
    """The ``state_dict`` prefixes of the VGG16 trunk that stay ImageNet's when its last ``tune_blocks`` conv
    blocks train (0 = all of it frozen)."""
    if not 0 <= tune_blocks <= len(VGG16_BLOCK_STARTS):
        raise ValueError(f"tune_blocks must be 0-{len(VGG16_BLOCK_STARTS)}, not {tune_blocks}")
    if tune_blocks == 0:
        return ("encoder.",)
    first_tuned = VGG16_BLOCK_STARTS[len(VGG16_BLOCK_STARTS) - tune_blocks]
    # Trailing dots: "encoder.features.2." must not also match layer 24's keys.
    return tuple(f"encoder.features.{i}." for i in range(first_tuned))


class VGGUNet(PretrainedUNet):
    # The whole trunk is frozen by default: 29 MB of weights would not fit a 25 MB model file, and CPU time is
    # scarce. ``tune_blocks=1`` trains the last conv block too (7.1 M weights, 14 MB more in the model file).
    backbone = Backbone(VGG16_FILE, VGG16_SHA256, prefix="encoder.features.", frozen=("encoder.",))

    def __init__(self, in_channels: int = 4, dec_channels=(256, 128, 64, 32), pretrained: bool = True,
                 head: str = "tanh", temperature: float = 0.4, tune_blocks: int = 0,
                 global_context: bool = False):
        super().__init__(VGG16Encoder(), VGG16Encoder.channels, tuple(dec_channels), in_channels, first_stride=1,
                         head=head, temperature=temperature, pretrained=pretrained,
                         frozen=vgg16_frozen(tune_blocks), global_context=global_context)


@register_arch(backbone=EffNetUNet.backbone)
def effnet_unet(in_channels: int = 4, dec_channels=(128, 64, 48, 32), pretrained: bool = True,
                head: str = "tanh", temperature: float = 0.4, global_context: bool = False) -> nn.Module:
    """U-Net decoder on an ImageNet EfficientNet-Lite0 encoder: the fast model. ``head``: "tanh" regresses
    ab, "bins" predicts a distribution over ab colours (annealed mean at ``temperature``); ``global_context``:
    the whole photo's features fused into the decoder (PretrainedUNet)."""
    return EffNetUNet(in_channels, dec_channels, pretrained, head, temperature, global_context)


@register_arch(backbone=VGGUNet.backbone)
def vgg16_unet(in_channels: int = 4, dec_channels=(256, 128, 64, 32), pretrained: bool = True,
               head: str = "tanh", temperature: float = 0.4, tune_blocks: int = 0,
               global_context: bool = False) -> nn.Module:
    """U-Net decoder on a frozen ImageNet VGG16 encoder (the backbone the feature-reconstruction paper preferred);
    ``head`` and ``global_context`` as for effnet_unet; ``tune_blocks``: how many of the encoder's last conv blocks
    train too."""
    return VGGUNet(in_channels, dec_channels, pretrained, head, temperature, tune_blocks, global_context)
