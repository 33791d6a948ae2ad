"""`restorer train`: train or fine-tune a model on a folder of colour photos, then register it.

Also runs as K processes under ``torchrun --nproc-per-node K -m restorer train ...`` (training.distributed):
rank 0 alone writes and prints.
"""
from __future__ import annotations

import sys

from training import distributed
from training.loop import TrainConfig, Trainer


def config_from_args(args) -> TrainConfig:
    cfg = TrainConfig(data=args.data, name=args.name, minutes=args.minutes, val=args.val,
                      arch=args.arch or ("effnet_unet" if not args.base else None), base=args.base,
                      run_dir=args.run_dir, resume=args.resume, seed=args.seed, out_dir=args.out_dir,
                      export=not args.no_export, bf16=getattr(args, "bf16", False),
                      freeze_encoder=getattr(args, "freeze_encoder", False))
    for opt, attr in (("size", "size"), ("batch", "batch"), ("lr", "lr"), ("adv_weight", "adv_weight"),
                      ("perc_weight", "perc_weight"), ("gan_fraction", "gan_fraction"), ("workers", "workers"),
                      ("rebalance", "rebalance"), ("val_every", "val_every_min"),
                      ("min_colourfulness", "min_colourfulness"), ("max_steps", "max_steps")):
        v = getattr(args, opt, None)
        if v is not None:
            setattr(cfg, attr, v)
    return cfg


def run_cli(args) -> int:
    from restorer.core.models import ModelError, check_model_name

    try:
        check_model_name(args.name)  # before minutes of training, not at export
        cfg = config_from_args(args)
        if cfg.arch:
            from restorer.nets import list_archs

            if cfg.arch not in list_archs():
                print(f"error: unknown architecture {cfg.arch!r}; known: {', '.join(list_archs())}",
                      file=sys.stderr)
                return 2
        trainer = Trainer(cfg)
        result = trainer.run()
    except (ModelError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        distributed.shutdown()
    if not trainer.is_main:
        return 0
    if result.get("stopped") and "card" not in result and cfg.export:
        print("stopped before training began: no model exported")
        return 0
    m = result["metrics"]
    print(f"{'stopped' if result.get('stopped') else 'done'}: {result['steps']} steps in "
          f"{result['minutes']:.1f} min; val PSNR {m.get('psnr', 0):.2f} dB (gray {m.get('gray_psnr', 0):.2f}), "
          f"colourfulness x{m.get('colourfulness_ratio', 0):.2f}")
    if "card" in result:
        print(f"model card: {result['card']}")
    return 0
