"""Copy the ImageNet trunks from ../shared/weights into resources/backbones as fp16 safetensors.

Run once by a developer (the app never reads ../shared). Drops EfficientNet's classifier head (_conv_head,
_bn1, _fc), which a U-Net encoder never uses. Prints each output's sha256 for the model cards.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/weights")
DST = Path(__file__).resolve().parents[1] / "resources" / "backbones"


def main() -> None:
    DST.mkdir(parents=True, exist_ok=True)
    jobs = {
        "vgg16_features": lambda k: True,
        "efficientnet_lite0": lambda k: not k.startswith(("_conv_head", "_bn1.", "_fc")),
        "lpips_vgg_lin": lambda k: True,
    }
    for name, keep in jobs.items():
        sd = torch.load(SRC / f"{name}.pth", weights_only=True, map_location="cpu")
        out = {}
        for k, v in sd.items():
            if not keep(k) or k.endswith("num_batches_tracked"):
                continue
            out[k] = v.half().contiguous() if v.is_floating_point() and name != "lpips_vgg_lin" else v.contiguous()
        path = DST / f"{name}.safetensors"
        save_file(out, str(path), metadata={"source": f"{name}.pth from shared/weights (see its README)"})
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path.name}: {path.stat().st_size} bytes sha256 {digest}")


if __name__ == "__main__":
    main()
