"""The exact recipes of the bundled models: `python -m training.recipes NAME [--minutes M] [--resume]`.

Run from the repository root with ../shared beside it; checkpoints go to runs/<run>, the export to
runs/<run>/export (copy it to resources/models once its val metrics are good). The default model is made
in two stages: `effnet-lite0-unet-stage1`, then `effnet-lite0-unet`.
"""
from __future__ import annotations

import argparse
import json

from training.loop import TrainConfig, Trainer, validate

SHARED = "../shared/data"

_EFFNET_DESCRIPTION = ("Fast default: U-Net decoder on an ImageNet EfficientNet-Lite0 encoder (stem and first 5 "
                       "blocks frozen). Stage 1: smooth L1 + VGG perceptual, then PatchGAN; stage 2: colour-"
                       "rebalanced L1 + light perceptual. Hint-aware.")

_VGG_DESCRIPTION = ("Detailed: U-Net decoder on a frozen ImageNet VGG16 encoder (the backbone the feature-"
                    "reconstruction-loss paper found best). Stage 1: smooth L1 + VGG perceptual, then PatchGAN; "
                    "stage 2: colour-rebalanced L1 + light perceptual. Hint-aware.")

# Stage 1 of every bundled model: chroma-weighted smooth L1 + VGG perceptual, PatchGAN in the last 30 %.
_STAGE1_LOSSES = dict(batch=16, perc_weight=0.02, adv_weight=0.02, chroma_boost=1.0, rebalance=0.0, gan_fraction=0.3)
# The colour stage (stage 2) of the EfficientNet and VGG16 models, with its checkpoint selection.
_COLOUR_STAGE = dict(working_size=224, batch=16, lr=1e-4, perc_weight=0.005, adv_weight=0.05, chroma_boost=0.0,
                     rebalance=0.5, rebalance_power=0.75, gan_fraction=0.4, min_colourfulness=0.70)

# A recipe with ``run`` trains in runs/<run> but exports under ``name``; ``base`` (a card path) fine-tunes
# the export of an earlier recipe, so a model made in stages is reproduced by running them in order.
RECIPES: dict[str, dict] = {
    # Stage 1: plain (chroma-weighted) L1 + perceptual from the ImageNet encoder; 90 min here.
    "effnet-lite0-unet-stage1": dict(
        name="effnet-lite0-unet", run="effnet-lite0-unet",
        arch="effnet_unet", size=160, lr=4e-4, **_STAGE1_LOSSES, default=True, description=_EFFNET_DESCRIPTION),
    # Stage 2: stage 1 stayed brown (colourfulness 0.43x on val crops). Measured from stage 1, on the val crops
    # (colourfulness ratio / PSNR over gray): plain L1 alone stays brown (0.44x / +0.92 dB after 10 min); colour
    # rebalancing brings the colour out but trades PSNR for it the longer it runs (power 0.5, lr 2e-4: 0.52x /
    # +0.83 dB after 5 min, 0.58x / +0.55 after 10, 0.68x / +0.03 after 15; power 0.75: 0.69x / +0.25 after 16,
    # 0.79x / -0.47 after 36). So: a lower learning rate, frequent validation, and the export keeps the most
    # accurate weights that are vivid enough. Shipped: the run below stopped at 17.7 min (budget 38); its
    # validations on the crops were 0.57x / +0.67 dB (4 min), 0.65x / +0.33 (8), 0.65x / +0.27 (12), 0.77x / -0.44
    # (16). Through the full pipeline on all 200 val photos the step-8-min weights gave 0.62x / +0.71 dB and the
    # checkpoint of step 166 (14.8 min) 0.71x / +0.25 dB; that checkpoint, the most accurate one at >= 0.7x
    # there, is the bundled model (chosen on the val set itself: a mild optimism). Validating every 2 min with a
    # 0.70x floor on the crops approximates that choice. Working size 224: on 60 val photos the 8-min weights at
    # 192 / 224 / 256 / 320 px gave +0.15 / +0.14 / -0.27 / -0.80 dB over gray at 0.67 / 0.67 / 0.72 / 0.81x.
    # A third stage from the shipped weights (exponent 0.6, lr 5e-5, 12 min) only slid further along the same
    # trade-off (crops: 0.72x / -0.25 dB, 0.75x / -0.37, 0.75x / -0.42), so none is shipped. Stage 2 again
    # with the whole encoder fixed (`freeze_encoder=True`, 22 min) followed the same path (step 96: 0.64x /
    # +0.39, step 177: 0.74x / -0.16 on the crops; on the 200 photos 0.63x / +0.68 dB at step 141 and 0.70x /
    # +0.30 at step 177, vs the shipped 0.71x / +0.25): not worth replacing the default.
    "effnet-lite0-unet": dict(
        run="effnet-lite0-unet-ft", base="runs/effnet-lite0-unet/export/effnet-lite0-unet.json", size=160,
        **_COLOUR_STAGE, val_every_min=2.0, default=True, description=_EFFNET_DESCRIPTION),
    "vgg16-unet-stage1": dict(
        name="vgg16-unet", run="vgg16-unet",
        arch="vgg16_unet", size=128, lr=4e-4, **_STAGE1_LOSSES, description=_VGG_DESCRIPTION),
    # Stage 2 of the VGG model: the default's colour stage (same losses and selection) from its stage 1
    # (90 min, 0.43x on the crops), copied to runs/vgg16-unet/export. Crops stay 128 px: VGG's stride-1 first
    # layers make it 2-3x slower per pixel than the EfficientNet model. Measured on the crops (colourfulness /
    # PSNR over gray): 0.57x / +0.68 dB (3 min), 0.65x / +0.52 (6), 0.73x / +0.23 (12), 0.71x / +0.36 (18.6,
    # step 83), 0.76x / +0.13 (21.6, step 97, 3.6 min into the adversarial stage), 0.82x / -0.28 (30). On all
    # 200 val photos: step 83 0.65x / +0.64, step 97 0.70x / +0.43, step 154 0.78x / +0.03. Shipped: step 97
    # (picked on the val photos, as the default was), a better trade than the EfficientNet model's.
    "vgg16-unet": dict(
        run="vgg16-unet-ft", base="runs/vgg16-unet/export/vgg16-unet.json", size=128, **_COLOUR_STAGE,
        val_every_min=3.0, description=_VGG_DESCRIPTION),
    "attention-unet": dict(
        arch="attention_unet", size=128, lr=5e-4, **_STAGE1_LOSSES,
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
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster on CPUs with AVX512-BF16)")
    a = ap.parse_args()
    recipe = dict(RECIPES[a.name])
    name, run = recipe.pop("name", a.name), recipe.pop("run", a.name)
    cfg = TrainConfig(data=f"{SHARED}/train", val=f"{SHARED}/val", name=name, minutes=a.minutes,
                      run_dir=f"runs/{run}", out_dir=f"runs/{run}/export", resume=a.resume, threads=a.threads,
                      max_images_per_folder=a.limit, bf16=a.bf16, **recipe)
    trainer = Trainer(cfg)
    if a.export_only:
        if not trainer.load_checkpoint():
            raise SystemExit(f"no checkpoint in {cfg.run_dir}")
        trainer.load_best()
        trainer.load_val()  # validate exactly the weights being exported
        metrics, _ = validate(trainer.eval_net, trainer.val_rgb, trainer.device)
        metrics["gray_psnr"] = trainer.gray_psnr
        print(trainer.export(metrics))
        return
    print(json.dumps(trainer.run(), indent=2, default=str))


if __name__ == "__main__":
    main()
