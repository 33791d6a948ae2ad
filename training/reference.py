"""Reference mode: learn one colour photo's palette in a few CPU minutes and colour other photos like it.

The archivist's case: one colour photo of the same street, uniform or room as a box of black-and-white ones.
Following the single-image colourisation write-up (../shared/papers/003: per-pixel L, Sobel edge magnitude,
Laplacian edge density; patches of the one photo with flips and rotations), a small per-pixel head is trained
on pixels of the reference, its features taken from fixed filters that flips and rotations leave unchanged (so
that augmentation is built in, and a step costs a matrix product, not a patch convolution). Unlike the paper it does not start from nothing: it reads the default
model's ab prediction too (``restorer.nets.reference``) and learns a correction, so what the base model knows
about skies and faces stays and only the palette moves towards the reference. The paper's patch-local
coordinates are left out: at inference the head sees a whole photo, where a patch's corner means nothing.
The objective is a smooth L1 on ab, not the paper's GAN (its own discriminator "did not appear to improve";
what is measured here is accuracy against the true colours).

Training runs at the base model's working size, the size the engine feeds the network, and the base's
prediction of the reference is computed once: each step is a batch of sampled pixels through the head alone.
The result is an ordinary model (arch ``reference_head``, card kind "reference") that the engine runs like
any other: guided upsampling, the original L, metadata, atomic writes.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from restorer.core.color import AB_NORM, L_CENT, L_NORM, rgb_to_lab, to_float
from restorer.core.engine import Cancelled, working_grid
from restorer.core.models import ModelCard, ModelError, load_model, resolve, sha256_file
from restorer.nets.reference import PaletteHead, ReferenceNet

DEFAULT_MINUTES = 2.0
BATCH = 2048  # pixels per step
LR = 3e-3
HUBER_BETA = 0.05  # in ab/110 units (~5.5 ab): below it the loss is quadratic (PSNR), above it robust to outliers
MIN_CHROMA = 2.0  # mean |ab| below this: the "reference" is gray or sepia and has no palette to learn
MIN_SIDE = 32

ProgressFn = Callable[[float, dict[str, Any]], None]


@dataclass
class ReferenceResult:
    """What training produced: a ready ``Colorizer`` (card kind "reference") and what it cost."""

    model: Any
    steps: int
    minutes: float
    loss: float
    history: list[tuple[int, float]] = field(default_factory=list)


def reference_tensors(pixels: np.ndarray, working_size: int, in_channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference at the working grid: network input x (1 x C x h x w) and normalised true ab (1 x 2 x h x w)."""
    import cv2

    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 pixels, got shape {pixels.shape}")
    if min(pixels.shape[:2]) < MIN_SIDE:
        raise ModelError(f"the reference photo is too small ({pixels.shape[1]} x {pixels.shape[0]} px; "
                         f"at least {MIN_SIDE} px a side)")
    th, tw = working_grid(pixels.shape[0], pixels.shape[1], working_size)
    small = cv2.resize(to_float(pixels), (tw, th), interpolation=cv2.INTER_AREA)
    lab = rgb_to_lab(np.clip(small, 0.0, 1.0))
    if float(np.abs(lab[..., 1:]).mean()) < MIN_CHROMA:
        raise ModelError("the reference photo has (almost) no colour: choose a colour photo")
    L = torch.from_numpy((lab[..., 0] - L_CENT) / L_NORM)[None, None].float()
    x = torch.cat([L, L.new_zeros(1, in_channels - 1, th, tw)], dim=1) if in_channels > 1 else L
    ab = torch.from_numpy(lab[..., 1:].transpose(2, 0, 1) / AB_NORM)[None].float()
    return x, ab


def sample_pixels(feats: torch.Tensor, target: torch.Tensor, n: int,
                  gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random pixels of (features, target) as N x C rows (the head is per-pixel)."""
    c, h, w = feats.shape[1:]
    idx = torch.randint(0, h * w, (n,), generator=gen)
    return feats.reshape(c, h * w)[:, idx].t(), target.reshape(2, h * w)[:, idx].t()


def reference_card(base: ModelCard, ref_path: Path | None, ref_size: tuple[int, int], name: str, *,
                   minutes: float, steps: int, loss: float, width: int, layers: int,
                   batch: int = BATCH) -> ModelCard:
    """The card of a reference model: kind "reference", the reference file's name and checksum, the minutes."""
    backbone = None
    if base.backbone:
        # The base's frozen trunk now lives under ``base.`` in the composed network.
        backbone = dict(base.backbone, prefix="base." + base.backbone["prefix"],
                        frozen_prefixes=["base." + p for p in base.backbone.get("frozen_prefixes", [])])
    ref: dict[str, Any] = {"file": ref_path.name if ref_path else "", "size": list(ref_size)}
    if ref_path is not None and ref_path.is_file():
        ref["sha256"] = sha256_file(ref_path)
    return ModelCard(
        name=name, arch="reference_head",
        arch_kwargs={"base_arch": base.arch, "base_kwargs": dict(base.arch_kwargs),
                     "base_gain": float(base.chroma_gain or 1.0), "width": width, "layers": layers},
        working_size=base.working_size, in_channels=base.in_channels, hints=base.hints,
        description=f"Colours learned from the reference photo {ref['file'] or '(unnamed)'} on top of {base.name}.",
        kind="reference",
        training={"kind": "reference", "reference": ref, "base": base.name, "minutes": round(minutes, 2),
                  "steps": steps, "batch_pixels": batch, "lr": LR,
                  "losses": {"smooth_l1": 1.0, "l1_beta": HUBER_BETA}, "final_loss": round(loss, 5),
                  "device": "cpu", "base_training": base.training},
        backbone=backbone, created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def train_reference(ref_pixels: np.ndarray, *, base: str | ModelCard = "default", minutes: float = DEFAULT_MINUTES,
                    max_steps: int | None = None, name: str = "reference", ref_path: str | Path | None = None,
                    progress: ProgressFn | None = None, cancel: Callable[[], bool] | None = None,
                    snapshot: Callable[[Any], None] | None = None, snapshot_every: float = 20.0,
                    width: int = 64, layers: int = 2, batch: int = BATCH, seed: int = 0,
                    device: str = "cpu") -> ReferenceResult:
    """Train a palette head on ``ref_pixels`` (H x W x 3 colour photo) for ``minutes`` (or ``max_steps``).

    ``progress(fraction, info)`` reports (info: steps, loss, minutes); ``cancel()`` is polled every step and
    raises ``Cancelled``; ``snapshot(model)`` is called about every ``snapshot_every`` seconds with the model so
    far (the app colourises its preview with it). Raises ModelError for a reference that cannot teach colour.
    """
    if minutes <= 0 and not max_steps:
        raise ValueError("give a positive number of minutes")
    from restorer.core.colorizer import Colorizer

    ref_file = Path(ref_path) if ref_path else None
    base_card = resolve(base)
    base_model = load_model(base_card, device=device, fuse=False)  # saved inside the reference model
    x, target = reference_tensors(ref_pixels, base_card.working_size, base_card.in_channels)
    torch.manual_seed(seed)
    net = ReferenceNet(base_model.net, PaletteHead(width, layers), float(base_card.chroma_gain or 1.0)).to(device)
    net.base.requires_grad_(False).eval()
    with torch.inference_mode():
        feats = net.head_input(x.to(device), net.base_ab(x.to(device))).clone()
    target = target.to(device)
    size = (ref_pixels.shape[1], ref_pixels.shape[0])
    card = reference_card(base_card, ref_file, size, name, minutes=0.0, steps=0, loss=math.nan, width=width,
                          layers=layers)
    model = Colorizer(net, card).eval()

    opt = torch.optim.Adam(net.head.parameters(), lr=LR)
    budget = minutes * 60.0
    gen = torch.Generator().manual_seed(seed)
    t0 = last_snap = time.monotonic()
    step, ema, history = 0, math.nan, []
    while True:
        elapsed = time.monotonic() - t0
        done = max_steps is not None and step >= max_steps
        if done or (max_steps is None and elapsed >= budget):
            break
        if cancel is not None and cancel():
            raise Cancelled()
        # Learning rate falls with a cosine over the budget: large steps find the palette, small ones settle it.
        frac = step / max_steps if max_steps else elapsed / budget
        for g in opt.param_groups:
            g["lr"] = LR * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        net.head.train()
        f, t = sample_pixels(feats, target, batch, gen)
        loss = F.smooth_l1_loss(net.refine(f), t, beta=HUBER_BETA)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        ema = loss.item() if math.isnan(ema) else 0.95 * ema + 0.05 * loss.item()
        if step % 25 == 0:
            history.append((step, round(ema, 5)))
        if progress is not None:
            progress(min(1.0, frac), {"steps": step, "loss": ema, "minutes": elapsed / 60.0})
        if snapshot is not None and time.monotonic() - last_snap >= snapshot_every:
            net.head.eval()
            snapshot(model)
            last_snap = time.monotonic()
    net.head.eval()
    with torch.no_grad():  # as a kept model stores them (fp16), so the shown result is the kept model's
        for p in net.head.parameters():
            p.copy_(p.half().float())
    spent = (time.monotonic() - t0) / 60.0
    model.card = reference_card(base_card, ref_file, size, name, minutes=spent, steps=step, loss=ema, width=width,
                                layers=layers, batch=batch)
    return ReferenceResult(model=model, steps=step, minutes=spent, loss=ema, history=history)


def keep_model(result: ReferenceResult, name: str, folder: str | Path | None = None, *,
               replace: bool = False) -> ModelCard:
    """Save a reference result as a user model called ``name`` (checked like every model name); returns its card."""
    from restorer.core.model_store import check_new_name
    from restorer.core.models import save_model
    from restorer.paths import user_models_dir

    folder = Path(folder) if folder else user_models_dir()
    check_new_name(name, folder, replace=replace)
    card = ModelCard.from_json(result.model.card.to_json())
    card.name = name
    card.bundled = False
    save_model(result.model.net, card, folder)
    result.model.card = card
    return card


# -- the app's side door: ``restorer reference ... --status-dir DIR`` run as a child process of the window ----------
# The window never imports the trainer (a crash or out-of-memory here must not take the open photos with it);
# it reads these files, which restorer.gui.reference_dialog names the same way (a test checks both).
STATUS_JSON = "status.json"  # {"fraction", "steps", "loss", "minutes", "state"}, rewritten about once a second
PREVIEW_PNG = "preview.png"  # the first target coloured by the model so far, every ~15 s and at the end
STOP_FILE = "STOP"  # created by the app: stop at the next step, write nothing
MODEL_DIR = "model"  # the finished model (the app's "Keep as model" installs it from here)


class _Status:
    def __init__(self, folder: Path | None, target: np.ndarray | None) -> None:
        self.folder, self.target, self.last = folder, target, 0.0

    def write(self, state: str, fraction: float = 0.0, info: dict[str, Any] | None = None, force: bool = False) -> None:
        if self.folder is None or (not force and time.monotonic() - self.last < 1.0):
            return
        import json

        from restorer.core.atomic import write_text

        self.last = time.monotonic()
        info = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in (info or {}).items()}
        write_text(self.folder / STATUS_JSON, json.dumps({"state": state, "fraction": fraction, **info}))

    def stopped(self) -> bool:
        return self.folder is not None and (self.folder / STOP_FILE).exists()

    def preview(self, model: Any) -> None:
        if self.folder is None or self.target is None:
            return
        from restorer.core.engine import colorize
        from restorer.core.io import write_image

        write_image(self.folder / PREVIEW_PNG, colorize(self.target, model, preview=True, preview_long_side=640),
                    fmt="png", overwrite=True)


def _err(message: str) -> None:
    import sys

    print(f"error: {message}", file=sys.stderr)


def _cli_problem(args) -> str | None:
    if not 0 < args.minutes <= 120:
        return f"--minutes must be more than 0 and at most 120, not {args.minutes:g}"
    if not 1 <= args.quality <= 100:
        return f"--quality must be between 1 and 100, not {args.quality}"
    if not 0 <= args.strength <= 200:
        return f"--strength must be a percentage between 0 and 200, not {args.strength:g}"
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return f"the output folder {out} is an existing file (give a folder with -o)"
    return None


def _train_for_cli(args, ref, status: _Status) -> ReferenceResult:
    import sys

    last = [0.0]

    def progress(fraction: float, info: dict[str, Any]) -> None:
        status.write("training", fraction, info)
        if time.monotonic() - last[0] >= 10 or fraction >= 1.0:
            last[0] = time.monotonic()
            print(f"learning the reference's colours: {fraction:4.0%}  ({info['steps']} steps, "
                  f"loss {info['loss']:.4f})", file=sys.stderr, flush=True)

    return train_reference(ref.pixels, base=args.base, minutes=args.minutes, ref_path=args.ref,
                           name=args.keep or "reference", progress=progress, cancel=status.stopped,
                           snapshot=status.preview if status.folder else None, snapshot_every=15.0, seed=args.seed)


def run_cli(args) -> int:
    """``restorer reference --ref COLOUR TARGET... -o OUT``: 0 done, 1 some targets failed, 2 refused,
    130 stopped through the status folder's stop file."""
    import sys

    from restorer.core.batch import colorize_files, drop_own_outputs, find_images
    from restorer.core.io import ImageError, read_image

    problem = _cli_problem(args)
    if problem:
        _err(problem)
        return 2
    try:
        ref = read_image(args.ref)
        if args.keep:
            from restorer.core.model_store import check_new_name

            check_new_name(args.keep, replace=args.replace)
    except (ImageError, ModelError) as e:
        _err(str(e))
        return 2
    out_dir = Path(args.out)
    items = drop_own_outputs(find_images(args.targets, exclude=[out_dir]), out_dir, suffix=args.suffix, fmt=args.fmt)
    items = [(p, r) for p, r in items if p.resolve() != Path(args.ref).resolve()]
    if not items:
        _err(f"no supported images found in {', '.join(str(p) for p in args.targets)}")
        return 2
    folder = Path(args.status_dir) if getattr(args, "status_dir", None) else None
    try:
        status = _Status(folder, read_image(items[0][0]).pixels if folder else None)
        status.write("starting", force=True)
        result = _train_for_cli(args, ref, status)
    except (ModelError, ImageError) as e:
        _err(str(e))
        return 2
    except Cancelled:
        status.write("stopped", force=True)
        print("stopped: nothing written", file=sys.stderr)
        return 130
    print(f"trained {result.steps} steps in {result.minutes:.1f} min on {Path(args.ref).name}", file=sys.stderr)
    if folder is not None:
        status.preview(result.model)
        keep_model(result, result.model.card.name, folder / MODEL_DIR, replace=True)
    report = colorize_files(items, out_dir, result.model, overwrite=args.overwrite, fmt=args.fmt,
                            quality=args.quality, suffix=args.suffix, strength=args.strength / 100.0,
                            on_failure=lambda src, reason: _err(f"{src}: {reason}"))
    print(report.summary())
    status.write("done", 1.0, {"steps": result.steps, "loss": result.loss, "minutes": result.minutes}, force=True)
    if args.keep:
        try:
            card = keep_model(result, args.keep, replace=args.replace)
        except ModelError as e:
            _err(str(e))
            return 2
        print(f"kept as model {card.name!r} ({card.path})")
    return 0 if report.ok else 1
