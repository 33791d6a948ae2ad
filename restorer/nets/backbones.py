"""ImageNet trunks shipped in ``resources/backbones``: how an architecture declares one, and their one loader.

Nothing is downloaded: a missing file is a one-line :class:`BackboneMissing`. The files are float16 safetensors
(no code runs when they are read), used as float32.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from restorer.paths import backbones_dir

#: What torchvision's ImageNet trunks expect of RGB in [0, 1]: (x - mean) / std per channel.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class BackboneMissing(FileNotFoundError):
    """A weights file under resources/backbones is absent (one-line message for the user)."""


@dataclass(frozen=True)
class Backbone:
    """A pretrained trunk an architecture is built on, declared next to the architecture.

    ``prefix`` is where the file's keys sit in the network's ``state_dict``; ``frozen`` the ``state_dict``
    prefixes that keep the file's ImageNet weights (never trained, so model files do not store them and the
    model card names the file by ``sha256`` instead, the checksum of the file the architecture was made with).
    """

    file: str
    sha256: str
    prefix: str
    frozen: tuple[str, ...]

    def card_entry(self, frozen: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The model card's ``backbone`` field (restorer.core.models reads it back); ``frozen``: the network's
        own frozen prefixes where an arch argument trains more of the trunk than the default."""
        frozen = self.frozen if frozen is None else frozen
        return {"file": self.file, "sha256": self.sha256, "prefix": self.prefix, "frozen_prefixes": list(frozen)}


def load_backbone_state(file: str | Path) -> dict[str, torch.Tensor]:
    """Weights of ``file`` (a name in resources/backbones, or a ``Path``) as float32 tensors on the CPU.

    A ``.pth`` state_dict (the form the originals were published in) is read with ``weights_only``. The
    checksums are checked where model cards are (restorer.core.models), which names trunks by them.
    """
    path = file if isinstance(file, Path) else backbones_dir() / file
    if not path.is_file():
        raise BackboneMissing(f"backbone weights {path} are missing (reinstall Restorer)")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        sd = load_file(str(path), device="cpu")
    else:
        sd = torch.load(str(path), map_location="cpu", weights_only=True)
    # Stored as float16 to halve the download; computing in float16 on the CPU would be slow and less exact.
    return {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}


def load_trunk(net: torch.nn.Module, backbone: Backbone) -> None:
    """Load ``backbone`` into ``net`` under its prefix, strictly (BatchNorm's num_batches_tracked is not stored)."""
    state = {backbone.prefix + k: v for k, v in load_backbone_state(backbone.file).items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if k.startswith(backbone.prefix) and not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"{backbone.file} does not match the encoder: missing {missing[:5]}, "
                           f"unexpected {unexpected[:5]}")
