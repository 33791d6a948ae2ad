"""The training loop: two stages on a time budget, validation, atomic checkpoints, resume, export.

Stage 1 (reconstruction): smooth L1 on ab (saturated pixels weighted up) + VGG feature reconstruction.
Stage 2 (adversarial, the last ``gan_fraction`` of the budget): adds a spectral-norm PatchGAN on (L, ab).
Pure L1 regresses to the brown mean of plausible colours; the perceptual and adversarial terms are what
make the colours vivid.
"""
from __future__ import annotations

import copy
import csv
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from restorer import __version__
from restorer.core.atomic import atomic_path, write_text
from restorer.lab import AB_NORM, L_CENT, L_NORM, lab_to_rgb_t
from training import distributed, protocol
from training.data import (
    SELECTION_MODULUS,
    CropDataset,
    balance_weights,
    center_crop_batch,
    in_selection_split,
    load_folder,
    source_shares,
)
from training.hints import simulate_hints
from training.losses import (
    ColourRebalance,
    PatchDiscriminator,
    PerceptualLoss,
    d_loss,
    g_adv_loss,
    gradient_penalty,
    neutral_hinge,
    soft_bin_ce,
    weighted_l1,
)
from training.validation import batch_lab, gray_baseline, save_grid, validate


@dataclass
class TrainConfig:
    data: str
    name: str
    minutes: float
    val: str | None = None
    arch: str | None = "effnet_unet"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    base: str | None = None
    size: int = 160
    # Share of a photo's area each training crop covers before it is resized to ``size`` (random in this range).
    # With photos of short side ~224 and 128 px crops the default shows scenes at 0.5-0.8 of the scale the app
    # shows them at (working size 224); (0.18, 0.33) matches it, but did not train a better default in 100
    # minutes (docs/experiments.md, "Working size" and "vgg16-unet-conv5").
    crop_scale: tuple[float, float] = (0.35, 1.0)
    batch: int = 16
    lr: float = 2e-4
    lr_d: float = 2e-4
    # Learning rate of the pretrained encoder's trained layers (None = ``lr``): fine-tuning ImageNet features
    # (e.g. vgg16_unet's tune_blocks) slower than the decoder keeps what they know of unseen subjects.
    encoder_lr: float | None = None
    # Learning rate of the weights a base model did not have (a new branch or head; None = ``lr``): a
    # zero-initialised branch starts far from useful, while the base's weights should only move slowly.
    fresh_lr: float | None = None
    # Cosine decay of the generator's learning rates to ``lr_floor`` x their value over the first
    # ``lr_anneal_minutes`` trained minutes (None = constant): at a constant rate a long run hovers at a
    # level (the default's selection score wandered 23.7-23.8 dB for 3,000 steps); shrinking the steps is the
    # usual last stage of a schedule (SGDR, Loshchilov & Hutter 2017). Trained minutes survive resumes.
    lr_anneal_minutes: float | None = None
    lr_floor: float = 0.0
    # The defaults are the loss settings of the bundled default model's (second) stage: with plain L1 and a
    # heavier perceptual term it stayed brown (colourfulness 0.43x on val crops), these brought it to 0.65x.
    perc_weight: float = 0.005
    adv_weight: float = 0.05
    chroma_boost: float = 0.0
    l1_beta: float = 0.05  # smooth-L1 threshold on ab / 110 (0 = plain L1)
    l1_weight: float = 1.0
    # Price on loud colour (chroma > neutral_loud, ab units before the export's gain) where the truth is
    # near-neutral (losses.neutral_hinge; 0 = off): aimed at the false colour ``restorer eval`` measures.
    neutral_weight: float = 0.0
    neutral_loud: float = 12.0
    # Cross-entropy over ab bins (Zhang et al.); needs a network with ``head="bins"`` (arch_kwargs).
    ce_weight: float = 0.0
    # Colour rebalancing of the L1 (Zhang et al.): mix of the ab prior with uniform (0 = off) and the
    # exponent softening the inverse-frequency weights (1 = the paper's; lower costs less PSNR, less colour).
    rebalance: float = 0.5
    rebalance_power: float = 0.75
    gan_fraction: float = 0.4
    gan_mode: str = "lsgan"  # lsgan | hinge | wgan-gp
    working_size: int | None = None  # the size the engine runs the model at (None: the base's, else 256)
    run_dir: str | None = None
    resume: bool = False
    workers: int = 0
    seed: int = 0
    out_dir: str | None = None
    export: bool = True
    val_count: int = 48
    val_size: int = 224
    val_every_min: float = 10.0
    ckpt_every_min: float = 3.0
    max_images_per_folder: int | None = None
    description: str = ""
    # What changed during a long run and when: a recipe's own record, exported as the card's
    # ``training.history`` because the card's ``losses`` are only the last settings (not ``Trainer.history``,
    # the validation log).
    recipe_changes: tuple[str, ...] = ()
    default: bool = False
    threads: int | None = None
    # Measured by bench/bench_train.py on 2 cores (EfficientNet U-Net, 160 px): fp32 7.4 img/s, channels_last
    # 9.1, bf16 autocast 10.6 (CPU with avx512_bf16). channels_last is numerically the same, so it is on;
    # bf16 is opt-in (--bf16) until a full run shows it converges as well; vgg16_unet at 128 px with the PatchGAN:
    # fp32 5.1, bf16 9.7 img/s (2026-12-05), so the long default recipe uses it where the CPU has it natively.
    channels_last: bool = True
    bf16: bool = False
    ema_decay: float = 0.99  # validation and export use the moving average of the weights (0 = off)
    # Model selection: when set, every validation whose colourfulness ratio reaches this keeps its weights in
    # best.pt if its PSNR is the best so far, and the export uses those weights. Rebalanced losses trade PSNR
    # for colour as training goes on; this picks the most accurate model that is vivid enough.
    min_colourfulness: float | None = None
    # With min_colourfulness: every validation is also judged at the smallest chroma gain (0.5-2, see
    # training.validation.GAINS) that holds the floor, and the export stores that gain in the card
    # (``chroma_gain``): accurate but muted weights can still be chosen, and loud ones are not rejected for
    # their colour alone. Fine-tuning people in scenes for accuracy, then at the gain matching the base's
    # colour, beat the base everywhere (docs/finetune-by-kind.md).
    colour_by_gain: bool = False
    # Keep the whole pretrained encoder fixed (only the decoder and the hint paths learn): fewer weights to fit
    # to a small collection's colours.
    freeze_encoder: bool = False
    # Choose checkpoints on a fixed split of ``data`` itself (training.data.in_selection_split: ~1/27 of the
    # photos by a hash of the file name, never trained on) instead of ``val``, so the val folders stay for
    # reporting only. ``val_count`` then caps the split's crops.
    selection_split: bool = False
    # Weight each photo of the selection split by its source's share of the training crops (source_shares), so
    # a source the split holds many of (Imagenette, 45 % of it for 20 % of the crops) does not choose the
    # checkpoint alone (docs/experiments.md, "Both levers in one run").
    selection_by_source: bool = False
    # Stop after this many steps even if time is left (tests and speed measurements; None = the budget only).
    max_steps: int | None = None


def _atomic_torch_save(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


class Trainer:
    def __init__(self, cfg: TrainConfig, log=print):
        from restorer.core.device import pick_device

        self.cfg, self.log = cfg, log
        self.device = pick_device("auto")
        # Under torchrun, this process's rank and device (training.distributed); None when run alone.
        self.dist, self.device = distributed.setup(self.device)
        if self.dist is not None:
            self.dist.per_rank_batch(cfg.batch)  # an uneven split is refused before anything is loaded
            if not self.dist.main:
                self.log = lambda *args, **kwargs: None  # rank 0 alone speaks and writes
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.run_dir = Path(cfg.run_dir or Path("runs") / cfg.name)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.phase(protocol.PHASE_BUILD)
        self.base_card = None
        self.fresh: set[str] = set()  # names of the weights the base did not have (``fresh_lr``)
        self.step = 0
        self.images_seen = 0
        self.elapsed = 0.0  # seconds of training, summed over resumed sessions; before the optimiser's rates
        self.net = self._build_net().to(self.device)
        if cfg.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.trainable = [p for p in self.net.parameters() if p.requires_grad]
        # Weight averaging smooths out the noise of few, large CPU-budget steps at no training cost.
        self.ema = copy.deepcopy(self.net).eval() if cfg.ema_decay > 0 else None
        if self.ema is not None:
            self.ema.requires_grad_(False)
        # What the steps call: the network itself, or its DistributedDataParallel wrapper (same parameters).
        self.train_net = self.net if self.dist is None else self.dist.wrap(self.net)
        self.opt_g = torch.optim.Adam(self._param_groups(), lr=cfg.lr, betas=(0.5, 0.999))
        self.disc = PatchDiscriminator().to(self.device)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
        self.perc = PerceptualLoss().to(self.device) if cfg.perc_weight > 0 else None
        self.history: list[dict[str, float]] = []
        self.n_train = 0
        self.rebalance: ColourRebalance | None = None
        self._best_psnr: float | None = None  # PSNR of the selection in best.pt, read from disk at most once

    # -------------------------------------------------------------------------------------- setup
    def _param_groups(self) -> list[dict[str, Any]]:
        """The generator's trained weights: the encoder's (if any train) and those new to the base (if any) in
        groups of their own, for ``encoder_lr`` and ``fresh_lr``. One group when there are neither, as
        checkpoints made before the split have."""
        named = [(n, p) for n, p in self.net.named_parameters() if p.requires_grad]
        encoder = [p for n, p in named if n.startswith("encoder.") and n not in self.fresh]
        fresh = [p for n, p in named if n in self.fresh]
        ids = {id(p) for p in encoder + fresh}
        rest = [p for p in self.trainable if id(p) not in ids]
        groups = [{"params": rest, "name": "net", "lr": self._group_lr("net")}]
        if encoder:
            groups.append({"params": encoder, "name": "encoder", "lr": self._group_lr("encoder")})
        if fresh:
            groups.append({"params": fresh, "name": "fresh", "lr": self._group_lr("fresh")})
        return groups

    def _group_lr(self, name: str) -> float:
        if name == "encoder" and self.cfg.encoder_lr is not None:
            lr = self.cfg.encoder_lr
        elif name == "fresh" and self.cfg.fresh_lr is not None:
            lr = self.cfg.fresh_lr
        else:
            lr = self.cfg.lr
        return lr * self.lr_scale()

    def _set_generator_rates(self) -> None:
        for group in self.opt_g.param_groups:
            group["lr"] = self._group_lr(group.get("name", "net"))

    def lr_scale(self) -> float:
        """The learning-rate schedule's factor at the trained minutes so far (1 without ``lr_anneal_minutes``)."""
        cfg = self.cfg
        if not cfg.lr_anneal_minutes:
            return 1.0
        t = min(1.0, self.elapsed / 60.0 / cfg.lr_anneal_minutes)
        return cfg.lr_floor + (1.0 - cfg.lr_floor) * 0.5 * (1.0 + math.cos(math.pi * t))

    def _build_net(self):
        from restorer.nets import arch_spec, create_arch

        cfg = self.cfg
        if cfg.base:
            net = self._net_from_base()
        else:
            cfg.arch_kwargs = {**arch_spec(cfg.arch).defaults, **cfg.arch_kwargs}
            # An arch with a backbone loads its ImageNet trunk when built (its ``pretrained`` defaults to True).
            net = create_arch(cfg.arch, in_channels=4, **cfg.arch_kwargs)
        if arch_spec(cfg.arch).backbone is not None:
            net.freeze_backbone(whole_encoder=cfg.freeze_encoder)
        elif cfg.freeze_encoder:
            raise ValueError(f"--freeze-encoder needs a pretrained encoder; {cfg.arch} has none")
        return net.train()

    def _net_from_base(self):
        """The base model's network, rebuilt with any new arch_kwargs (keeping every tensor that still fits)."""
        from restorer.core.models import build_network, load_network, resolve

        cfg = self.cfg
        card = self.base_card = resolve(cfg.base)
        kwargs = {**card.arch_kwargs, **cfg.arch_kwargs}
        cfg.arch, cfg.arch_kwargs = card.arch, kwargs
        cfg.working_size = cfg.working_size or card.working_size
        net = load_network(card)
        if kwargs == card.arch_kwargs:
            return net
        new = build_network(dataclasses.replace(card, arch_kwargs=kwargs))  # e.g. a new head on a trained net
        target = new.state_dict()
        fits = {k: v for k, v in net.state_dict().items() if k in target and target[k].shape == v.shape}
        new.load_state_dict(fits, strict=False)
        self.fresh = {k for k in target if k not in fits}
        fresh = sorted({k.rsplit(".", 1)[0] for k in self.fresh})
        self.log(f"{card.name} with {kwargs}: {len(fits)} tensors kept, new: {', '.join(fresh) or 'none'}")
        return new

    def load_val(self) -> None:
        """The validation crops (enough to validate or export without the training set)."""
        if self.cfg.selection_split:
            val_images, paths, vrep = load_folder(self.cfg.data, max_short=256, keep=in_selection_split)
            self.log(f"selection split of {self.cfg.data}: {vrep}")
        else:
            val_images, paths, vrep = load_folder(self.cfg.val, max_short=256, limit=self.cfg.val_count)
            self.log(f"val data {self.cfg.val}: {vrep}")
        self._set_val(val_images, paths)

    def _set_val(self, val_images: list[np.ndarray], paths: list[Path] | None = None) -> None:
        self.val_rgb = center_crop_batch(val_images[: self.cfg.val_count], self.cfg.val_size)
        self.val_weights = None
        if self.cfg.selection_by_source and paths:
            kept = paths[: self.cfg.val_count]
            self.val_weights = balance_weights(kept) * len(kept)  # mean 1: a plain mean when sources are even
            shares = ", ".join(f"{k} {v:.0%}" for k, v in source_shares(kept).items())
            self.log(f"selection scores weighted by source: {shares}")
        self.gray_psnr = gray_baseline(self.val_rgb, self.val_weights)
        self.log(f"gray baseline on val: PSNR {self.gray_psnr:.2f} dB")

    def load_data(self) -> None:
        cfg = self.cfg
        keep = (lambda p: not in_selection_split(p)) if cfg.selection_split else None
        images, paths, report = load_folder(cfg.data, max_short=256, limit=cfg.max_images_per_folder, keep=keep)
        self.log(f"train data {cfg.data}: {report}")
        if not images:
            raise SystemExit(f"no usable colour photos in {cfg.data}")
        if cfg.val or cfg.selection_split:
            self.load_val()
        else:  # hold out every 20th photo
            self._set_val(images[::20])
            images = [im for i, im in enumerate(images) if i % 20]
            paths = [p for i, p in enumerate(paths) if i % 20]
        self.train_images = images
        if cfg.rebalance > 0:
            # ~1000 photos pin the ab prior down; the whole set would only cost start-up time.
            self.rebalance = ColourRebalance(images[:: max(1, len(images) // 1000)], lam=cfg.rebalance,
                                             power=cfg.rebalance_power)
        shares = source_shares(paths)
        self.source_shares = {k: round(v, 4) for k, v in shares.items()}
        self.log("crops per source: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
        ds = CropDataset(images, cfg.size, balance_weights(paths, shares), seed=cfg.seed + 7919 * (self.step + 1),
                         scale=tuple(cfg.crop_scale))
        if self.dist is None:
            self.loader = DataLoader(ds, batch_size=cfg.batch, num_workers=cfg.workers, shuffle=False,
                                     drop_last=True, persistent_workers=cfg.workers > 0)
        else:  # this rank's slice of each global batch the line above would give
            self.loader = DataLoader(ds, batch_sampler=distributed.RankBatches(cfg.batch, self.dist.rank,
                                                                              self.dist.world),
                                     num_workers=cfg.workers, persistent_workers=cfg.workers > 0)

    @property
    def is_main(self) -> bool:
        """The process that logs, validates and writes: the only one, or rank 0 of a torchrun launch."""
        return self.dist is None or self.dist.main

    def _stop_now(self) -> bool:
        return self.stop_requested() if self.dist is None else self.dist.stop_agreed

    # -------------------------------------------------------------------------------- checkpoints
    @property
    def ckpt_path(self) -> Path:
        return self.run_dir / "last.pt"

    @property
    def stop_path(self) -> Path:
        return self.run_dir / protocol.STOP_FILE

    def phase(self, phase: str) -> None:
        """Tell the app (protocol.PHASE_JSON) what the run is busy with when log.csv says nothing."""
        if not self.is_main:
            return
        write_text(self.run_dir / protocol.PHASE_JSON, protocol.phase_record(phase, getattr(self, "step", 0)))

    def stop_requested(self) -> bool:
        """True once (the stop file is consumed, so a later ``--resume`` of this run is not stopped at once)."""
        if not self.stop_path.exists():
            return False
        self.stop_path.unlink(missing_ok=True)
        return True

    def save_checkpoint(self) -> None:
        if not self.is_main:
            return
        state = {
            "net": self.net.state_dict(), "disc": self.disc.state_dict(),
            "ema": (self.ema or self.net).state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "step": self.step, "images_seen": self.images_seen, "elapsed": self.elapsed,
            "config": json.dumps(dataclasses.asdict(self.cfg)), "history": json.dumps(self.history),
            "torch_rng": torch.get_rng_state(),
            "train_images": len(getattr(self, "train_images", [])) or self.n_train,
            # The base's history as the run began: the card at cfg.base may be replaced by this run's own export
            # (a long run that ships), and re-reading it on resume would count this run's crops twice.
            "base_training": json.dumps(self.base_card.training if self.base_card is not None else None),
        }
        _atomic_torch_save(state, self.ckpt_path)
        # What the run has done over all its sessions, readable without torch (a run resumed across days).
        progress = {"steps": self.step, "images_seen": self.images_seen, "minutes": round(self.elapsed / 60, 2),
                    "images_per_second": self.images_per_second,
                    "budget_minutes": self.cfg.minutes, "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "base_images_seen": self._base_images_seen()}
        write_text(self.run_dir / protocol.PROGRESS_JSON, protocol.progress_record(progress))

    @property
    def images_per_second(self) -> float:
        """Training throughput over all sessions of the run."""
        return round(self.images_seen / max(self.elapsed, 1e-6), 2)

    def _base_images_seen(self) -> int:
        """Crops the base model (and its bases) saw before this run."""
        n, t = 0, self.base_card.training if self.base_card is not None else None
        while t:
            n += int(t.get("images_seen", 0))
            t = t.get("base_training")
        return n

    @property
    def best_path(self) -> Path:
        return self.run_dir / "best.pt"

    @staticmethod
    def _selection_score(metrics: dict[str, float]) -> tuple[float, float]:
        """(PSNR, colourfulness ratio) a validation is judged by: at its chroma gain when it has one."""
        if "gain_psnr" in metrics:
            return float(metrics["gain_psnr"]), float(metrics["gain_colourfulness_ratio"])
        return float(metrics["psnr"]), float(metrics["colourfulness_ratio"])

    def _keep_if_best(self, metrics: dict[str, float]) -> None:
        floor = self.cfg.min_colourfulness
        score, colour = self._selection_score(metrics)
        if floor is None or colour < floor:
            return
        if self._best_psnr is None and self.best_path.exists():  # a resumed run's earlier selection
            self._best_psnr = self._selection_score(
                torch.load(self.best_path, map_location="cpu", weights_only=True)["metrics"])[0]
        if self._best_psnr is not None and self._best_psnr >= score:
            return
        _atomic_torch_save({"ema": self.eval_net.state_dict(), "metrics": dict(metrics), "step": self.step,
                            "images_seen": self.images_seen, "elapsed": self.elapsed}, self.best_path)
        self._best_psnr = score
        at = f" at chroma gain {metrics['gain']:.2f}" if metrics.get("gain", 1.0) != 1.0 else ""
        self.log(f"best so far (colourfulness >= x{floor:.2f}): step {self.step}, PSNR {score:.2f} dB{at}")

    def load_best(self) -> dict[str, float] | None:
        """Load the selected weights (see ``min_colourfulness``) into the evaluated network; their metrics."""
        if self.cfg.min_colourfulness is None or not self.best_path.exists():
            return None
        best = torch.load(self.best_path, map_location=self.device, weights_only=True)
        self.eval_net.load_state_dict(best["ema"])
        self.step, self.images_seen, self.elapsed = best["step"], best["images_seen"], best["elapsed"]
        self.log(f"exporting the selected weights of step {self.step}")
        if self.step == 0:
            self.log("no fine-tuned step beat the base on the validation photos: the exported weights are the base's")
        return {k: float(v) for k, v in best["metrics"].items()}

    @property
    def _gan_start_s(self) -> float:
        """Seconds of training after which the adversarial stage runs."""
        return self.cfg.minutes * 60.0 * (1.0 - self.cfg.gan_fraction)

    def load_checkpoint(self) -> bool:
        if not self.ckpt_path.exists():
            return False
        state = torch.load(self.ckpt_path, map_location=self.device, weights_only=True)
        self.net.load_state_dict(state["net"])
        if self.ema is not None:
            self.ema.load_state_dict(state.get("ema", state["net"]))  # older checkpoints had no average
        self.disc.load_state_dict(state["disc"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.step, self.images_seen, self.elapsed = state["step"], state["images_seen"], state["elapsed"]
        # The command line wins over the saved learning rates, so a resumed run can be re-tuned; after
        # ``elapsed``, which the schedule reads.
        self._set_generator_rates()
        for group in self.opt_d.param_groups:
            group["lr"] = self.cfg.lr_d
        self.history = json.loads(state["history"])
        self.n_train = int(state.get("train_images", 0))
        if self.base_card is not None and state.get("base_training"):
            self.base_card.training = json.loads(state["base_training"])
        torch.set_rng_state(state["torch_rng"])
        self.log(f"resumed {self.ckpt_path} at step {self.step} ({self.elapsed / 60:.1f} min trained)")
        return True

    # ------------------------------------------------------------------------------------- steps
    def train_step(self, rgb_u8: torch.Tensor, adversarial: bool) -> dict[str, float]:
        cfg = self.cfg
        lab = batch_lab(rgb_u8.to(self.device))
        L, ab = lab[:, :1], lab[:, 1:]
        hint, mask = simulate_hints(ab)
        x = torch.cat([(L - L_CENT) / L_NORM, hint / AB_NORM, mask], 1)
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            pred = self.train_net(x).float() * AB_NORM
        out: dict[str, float] = {}
        if adversarial:
            # Discriminator first, on a detached prediction.
            d_real = self.disc(L, ab)
            d_fake = self.disc(L, pred.detach())
            ld = d_loss(d_real, d_fake, cfg.gan_mode)
            if cfg.gan_mode == "wgan-gp":
                ld = ld + 10.0 * gradient_penalty(self.disc, L, ab, pred.detach())
            self.opt_d.zero_grad(set_to_none=True)
            ld.backward()
            if self.dist is not None:
                self.dist.average_grads(self.disc.parameters())
            self.opt_d.step()
            out["d"] = ld.item()
        pixel_w = self.rebalance(ab) if self.rebalance is not None else None
        l1 = weighted_l1(pred, ab, cfg.chroma_boost, pixel_w, beta=cfg.l1_beta)
        loss = cfg.l1_weight * l1
        out["l1"] = l1.item()
        if cfg.neutral_weight > 0:
            ln = neutral_hinge(pred, ab, cfg.neutral_loud)
            loss = loss + cfg.neutral_weight * ln
            out["neutral"] = ln.item()
        if cfg.ce_weight > 0:
            head = self.net.head
            ce = soft_bin_ce(head.last_logits, ab, head.centres, pixel_weight=pixel_w)
            head.last_logits = None  # the graph holds it; a module keeping it could not be copied or saved
            loss = loss + cfg.ce_weight * ce
            out["ce"] = ce.item()
        if self.perc is not None:
            lp = self.perc(lab_to_rgb_t(torch.cat([L, pred], 1)), lab_to_rgb_t(lab))
            loss = loss + cfg.perc_weight * lp
            out["perc"] = lp.item()
        if adversarial:
            la = g_adv_loss(self.disc(L, pred), cfg.gan_mode)
            loss = loss + cfg.adv_weight * la
            out["adv"] = la.item()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        self._update_ema()
        out["loss"] = loss.item()
        return out

    @torch.no_grad()
    def _update_ema(self) -> None:
        if self.ema is None:
            return
        d = self.cfg.ema_decay
        for pe, p in zip(self.ema.parameters(), self.net.parameters()):
            if p.requires_grad:
                pe.lerp_(p, 1.0 - d)
        for be, b in zip(self.ema.buffers(), self.net.buffers()):
            be.copy_(b)

    @property
    def eval_net(self):
        return self.ema if self.ema is not None else self.net

    def run(self) -> dict[str, Any]:
        from tqdm import tqdm

        cfg = self.cfg
        if cfg.resume:
            self.load_checkpoint()
        elif self.is_main:  # a selection left by an earlier run in this folder must not be exported as this run's
            self.best_path.unlink(missing_ok=True)
        if self.dist is not None:  # each rank its own simulated hints for its slice of the batch
            torch.manual_seed(cfg.seed + 7919 * self.step + 1_000_003 * self.dist.rank)
        self.phase(protocol.PHASE_READ)
        self.load_data()
        budget = cfg.minutes * 60.0
        gan_start = self._gan_start_s
        log_path = self.run_dir / protocol.LOG_CSV if self.is_main else Path(os.devnull)
        new_log = not log_path.exists() or not cfg.resume
        logf = open(log_path, "w" if new_log else "a", newline="")
        writer = csv.DictWriter(logf, fieldnames=protocol.LOG_FIELDS)
        if new_log:
            writer.writeheader()
        writer.writerow(protocol.log_row(self.step, self.elapsed / 60, protocol.STAGE_BASELINE,
                                         val_psnr=f"{self.gray_psnr:.3f}"))
        logf.flush()
        if cfg.base and self.step == 0 and self.is_main:
            # The base's own score on the validation photos: the bar every fine-tuned step has to clear, and a
            # candidate for the selection (a fine-tune that only got worse exports the base's weights, and says so).
            self.validate_and_log(writer, logf)
        self.phase(protocol.PHASE_FIRST_STEP)
        last_ckpt = last_val = time.time()
        window_t, window_n = time.time(), 0
        avg: dict[str, float] = {}
        import sys

        # In a log file (nohup) a bar redrawn every step would bury the validation lines.
        bar = tqdm(total=int(budget), initial=int(min(self.elapsed, budget)), unit="s", desc=cfg.name,
                   mininterval=1 if sys.stderr.isatty() else 60, disable=not self.is_main)
        metrics: dict[str, float] = {}
        stopped = False
        it = iter(self.loader)
        try:
            while self.elapsed < budget and (cfg.max_steps is None or self.step < cfg.max_steps):
                if self._stop_now():
                    stopped = True
                    self.log(f"stop requested at step {self.step}: saving the model trained so far")
                    break
                t0 = time.time()
                if cfg.lr_anneal_minutes:
                    self._set_generator_rates()
                rgb = next(it)
                adversarial = self.elapsed >= gan_start and cfg.adv_weight > 0
                out = self.train_step(rgb, adversarial)
                self.step += 1
                n = rgb.shape[0] * (1 if self.dist is None else self.dist.world)
                self.images_seen += n
                window_n += n
                dt = time.time() - t0
                if self.dist is not None:  # all ranks: the global batch's losses, one elapsed time, one stop
                    out, dt = self.dist.agree(out, dt, self.dist.main and self.stop_requested())
                self.elapsed += dt
                bar.update(int(self.elapsed) - bar.n if self.elapsed < budget else bar.total - bar.n)
                for k, v in out.items():
                    avg[k] = 0.95 * avg.get(k, v) + 0.05 * v
                if self.step % 20 == 0 or self.step == 1:  # step 1: the GUI shows the stage at once
                    ips = window_n / max(time.time() - window_t, 1e-6)
                    window_t, window_n = time.time(), 0
                    bar.set_postfix(stage="adv" if adversarial else "rec", l1=f"{avg['l1']:.4f}",
                                    **({"neutral": f"{avg['neutral']:.4f}"} if "neutral" in avg else {}),
                                    ips=f"{ips:.1f}")
                    writer.writerow(protocol.log_row(
                        self.step, self.elapsed / 60, protocol.STAGE_ADV if adversarial else protocol.STAGE_REC,
                        **{k: f"{avg.get(k, float('nan')):.5f}" for k in protocol.LOSS_FIELDS}, img_per_s=f"{ips:.2f}"))
                    logf.flush()
                now = time.time()
                if self.is_main and (now - last_val > cfg.val_every_min * 60 or self.elapsed >= budget):
                    metrics = self.validate_and_log(writer, logf)
                    last_val = time.time()
                if now - last_ckpt > cfg.ckpt_every_min * 60:
                    self.save_checkpoint()
                    last_ckpt = time.time()
        finally:
            bar.close()
            self.save_checkpoint()
        with logf:
            return self._finish(metrics, stopped, writer, logf)

    def _finish(self, metrics: dict[str, float], stopped: bool, writer, logf) -> dict[str, Any]:
        """After the last step: a final validation when needed, the selected weights, the export; the result."""
        cfg = self.cfg
        result: dict[str, Any] = {"metrics": metrics, "steps": self.step, "minutes": self.elapsed / 60,
                                  "stopped": stopped}
        if not self.is_main:
            return result
        if stopped and self.step == 0:
            # Stopped while the photos were loading: there is nothing trained worth a model in the list.
            return result
        if not metrics or stopped:  # a stop mid-run: the last validation is older than the weights
            metrics = self.validate_and_log(writer, logf)
        logf.close()
        result["metrics"] = metrics
        best = self.load_best()
        if best is not None:
            metrics = result["metrics"] = best
            result["selected_step"] = self.step
        if cfg.export:
            result["card"] = str(self.export(metrics))
        return result

    def validate_now(self) -> tuple[dict[str, float], torch.Tensor]:
        """The evaluated network on the validation crops as the selection judges it (at the colour floor's gain
        when ``colour_by_gain``, photos weighted by source when ``selection_by_source``), with ``gray_psnr``."""
        floor = self.cfg.min_colourfulness if self.cfg.colour_by_gain else None
        metrics, pred = validate(self.eval_net, self.val_rgb, self.device, floor=floor, weights=self.val_weights)
        metrics["gray_psnr"] = self.gray_psnr
        return metrics, pred

    def validate_and_log(self, writer, logf) -> dict[str, float]:
        self.phase(protocol.PHASE_VALIDATE)
        metrics, pred = self.validate_now()
        self.history.append({"step": self.step, "minutes": self.elapsed / 60, **metrics})
        writer.writerow(protocol.log_row(
            self.step, self.elapsed / 60, protocol.STAGE_VAL, val_psnr=f"{metrics['psnr']:.3f}",
            val_colourfulness_ratio=f"{metrics['colourfulness_ratio']:.3f}", val_js_a=f"{metrics['js_a']:.4f}",
            val_js_b=f"{metrics['js_b']:.4f}"))
        logf.flush()
        save_grid(self.run_dir / protocol.grid_name(self.step), self.val_rgb, pred)
        self._keep_if_best(metrics)
        at_gain = (f"; at chroma gain {metrics['gain']:.2f}: PSNR {metrics['gain_psnr']:.2f} dB, colourfulness "
                   f"x{metrics['gain_colourfulness_ratio']:.2f}, JS a {metrics['gain_js_a']:.4f} b "
                   f"{metrics['gain_js_b']:.4f}, false colour {100 * metrics['gain_false_colour']:.1f} %"
                   if metrics.get("gain", 1.0) != 1.0 else "")
        self.log(f"val @ step {self.step} ({self.elapsed / 60:.1f} min): PSNR {metrics['psnr']:.2f} dB "
                 f"(gray {self.gray_psnr:.2f}), colourfulness x{metrics['colourfulness_ratio']:.2f}, "
                 f"JS a {metrics['js_a']:.4f} b {metrics['js_b']:.4f}, false colour "
                 f"{100 * metrics['false_colour']:.1f} %{at_gain}")
        return metrics

    def export(self, metrics: dict[str, float]) -> Path:
        from restorer.core.models import ModelCard, backbone_entry, save_model
        from restorer.paths import user_models_dir

        self.phase(protocol.PHASE_EXPORT)
        cfg = self.cfg
        net = self.eval_net.eval()
        n_train = len(getattr(self, "train_images", [])) or self.n_train
        card = ModelCard(
            name=cfg.name, arch=cfg.arch, arch_kwargs=dict(cfg.arch_kwargs), working_size=cfg.working_size or 256,
            in_channels=4, hints=True, default=cfg.default,
            # The gain the selection judged these weights at (colour_by_gain); 1 otherwise.
            chroma_gain=float(metrics.get("gain", 1.0)) if cfg.colour_by_gain else 1.0,
            description=cfg.description or f"{cfg.arch} trained by `restorer train` on {Path(cfg.data).name}",
            training={
                "data": str(cfg.data), "images": n_train,
                "val": (f"selection split of data (sha1(file name) % {SELECTION_MODULUS} == 0, never trained on)"
                        + (", photos weighted by their source's share of the crops" if cfg.selection_by_source else "")
                        if cfg.selection_split else str(cfg.val) if cfg.val else "5% of data"),
                "source_shares": getattr(self, "source_shares", None),
                "images_per_second": self.images_per_second,
                "minutes": round(self.elapsed / 60, 1), "steps": self.step, "images_seen": self.images_seen,
                # The whole history at a glance: this run plus every base it continued (issue 28 counts these).
                "images_seen_total": self.images_seen + self._base_images_seen(),
                "crop": cfg.size, "crop_scale": list(cfg.crop_scale), "batch": cfg.batch, "lr": cfg.lr, "ema_decay": cfg.ema_decay,
                **({"encoder_lr": cfg.encoder_lr} if cfg.encoder_lr is not None else {}),
                **({"lr_schedule": f"cosine to {cfg.lr_floor:g}x over {cfg.lr_anneal_minutes:g} trained minutes"}
                   if cfg.lr_anneal_minutes else {}),
                **({"fresh_lr": cfg.fresh_lr} if cfg.fresh_lr is not None and self.fresh else {}),
                "freeze_encoder": cfg.freeze_encoder,
                "losses": {"smooth_l1": cfg.l1_weight, "bin_ce": cfg.ce_weight, "l1_beta": cfg.l1_beta, "chroma_boost": cfg.chroma_boost,
                           **({"neutral_hinge": {"weight": cfg.neutral_weight, "loud": cfg.neutral_loud}}
                              if cfg.neutral_weight > 0 else {}),
                           "rebalance": {"lambda": cfg.rebalance, "power": cfg.rebalance_power},
                           "vgg_perceptual": cfg.perc_weight,
                           "adversarial": cfg.adv_weight, "gan_mode": cfg.gan_mode,
                           "adversarial_share": cfg.gan_fraction},
                # What the exported weights really had of the adversarial stage (a stop or a selected
                # early validation can end the run before it starts).
                "adversarial_minutes": round(max(0.0, self.elapsed - self._gan_start_s) / 60, 1)
                                       if cfg.adv_weight > 0 else 0.0,
                **({"history": list(cfg.recipe_changes)} if cfg.recipe_changes else {}),
                "base": cfg.base, "device": str(self.device),
                # This invocation's precision (a resumed run may have changed it; the run log says when).
                "bf16_autocast": cfg.bf16,
                # A fine-tuned model's history starts with its base's own training.
                **({"base_training": self.base_card.training} if self.base_card is not None else {}),
            },
            metrics={**{k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)},
                     "val_images": cfg.val_count, "val_crop": cfg.val_size},
            backbone=backbone_entry(cfg.arch, cfg.arch_kwargs),
            created=time.strftime("%Y-%m-%dT%H:%M:%S"), restorer_version=__version__,
        )
        path = save_model(net, card, cfg.out_dir or user_models_dir())
        self.log(f"exported model {cfg.name!r} to {path}")
        return path
