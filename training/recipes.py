"""The exact recipes of the bundled models: `python -m training.recipes NAME [--minutes M] [--resume]`.

Run from the repository root with ../shared beside it; checkpoints go to runs/<NAME>, the export to
runs/<NAME>/export (copy it to resources/models once its val metrics are good).
"""
from __future__ import annotations

import argparse
import json

from training.loop import TrainConfig, Trainer, validate

SHARED = "../shared/data"

RECIPES: dict[str, dict] = {
    "effnet-lite0-unet": dict(
        arch="effnet_unet", size=160, batch=16, lr=4e-4, perc_weight=0.02, adv_weight=0.02, chroma_boost=1.0,
        gan_fraction=0.3, default=True,
        description="Fast default: U-Net decoder on an ImageNet EfficientNet-Lite0 encoder (stem and first "
                    "5 blocks frozen); L1 + VGG perceptual, then PatchGAN. Hint-aware."),
    "vgg16-unet": dict(
        arch="vgg16_unet", size=128, batch=16, lr=4e-4, perc_weight=0.02, adv_weight=0.02, chroma_boost=1.0,
        gan_fraction=0.3,
        description="Detailed: U-Net decoder on a frozen ImageNet VGG16 encoder (the backbone the feature-"
                    "reconstruction-loss paper found best); L1 + VGG perceptual, then PatchGAN. Hint-aware."),
    "attention-unet": dict(
        arch="attention_unet", size=128, batch=16, lr=5e-4, perc_weight=0.02, adv_weight=0.02,
        chroma_boost=1.0, gan_fraction=0.3,
        description="Small Attention U-Net trained from scratch (no pretrained encoder): experimental, "
                    "for comparison with the pretrained backbones. Hint-aware."),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=sorted(RECIPES))
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--limit", type=int, default=None, help="use at most N training photos (smoke tests)")
    ap.add_argument("--export-only", action="store_true",
                    help="export the run's last checkpoint with its last validation metrics, no training")
    a = ap.parse_args()
    cfg = TrainConfig(data=f"{SHARED}/train", val=f"{SHARED}/val", name=a.name, minutes=a.minutes,
                      run_dir=f"runs/{a.name}", out_dir=f"runs/{a.name}/export", resume=a.resume,
                      threads=a.threads, max_images_per_folder=a.limit, **RECIPES[a.name])
    trainer = Trainer(cfg)
    if a.export_only:
        if not trainer.load_checkpoint():
            raise SystemExit(f"no checkpoint in {cfg.run_dir}")
        trainer.load_val()  # validate exactly the weights being exported
        metrics, _ = validate(trainer.eval_net, trainer.val_rgb, trainer.device)
        metrics["gray_psnr"] = trainer.gray_psnr
        print(trainer.export(metrics))
        return
    print(json.dumps(trainer.run(), indent=2, default=str))


if __name__ == "__main__":
    main()
