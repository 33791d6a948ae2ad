"""Train the variations network (restorer.nets.variations): K plausible alternative colourings of a photo.

The base colouriser stays frozen. Its predictions are computed once, under no_grad, at the engine's working
scale (short side = the model's working size, centre crop) for a source-balanced sample of the training photos
and for the held-out selection split, and cached in the run folder: on a shared 2-core CPU the base network's
forward pass costs far more than the tiny network's training step, and re-running it every epoch would spend the
budget on it. Training then draws random crops and flips of the cached (L, base ab, true ab) maps.

Loss (multiple choice learning, Guzman-Rivera et al. 2012; as in diverse-colourisation work): per image, the L1
of the best of the K alternatives, plus ``mean_weight`` x the mean L1 of all K, so that every alternative stays a
plausible colouring (above gray in PSNR) rather than only the winner. The checkpoint kept is the one with the
lowest loss on the selection split; diversity (mean pairwise ab distance on chromatic pixels) is logged with it.

    python -m training.variations --minutes 20            # cache, train, export to resources/models/variations
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch

from restorer.core.atomic import atomic_path
from restorer.core.engine import working_grid
from restorer.lab import AB_NORM, L_CENT, L_NORM
from training.data import balance_weights, in_selection_split, list_images, load_folder
from training.validation import batch_lab

#: A pixel counts as chromatic (for the diversity measure) when its true chroma exceeds this (CIELAB units).
CHROMA_MIN = 10.0


def _cpu_minutes() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) / 60.0


def _centre(rgb: np.ndarray, size: int) -> np.ndarray:
    """Short side to the working grid's, centre square crop of ``size`` (multiple of 32)."""
    import cv2

    h, w = rgb.shape[:2]
    th, tw = working_grid(h, w, size)
    r = cv2.resize(rgb, (tw, th), interpolation=cv2.INTER_AREA if th < h else cv2.INTER_CUBIC)
    y0, x0 = (th - size) // 2, (tw - size) // 2
    return np.ascontiguousarray(r[y0:y0 + size, x0:x0 + size])


@torch.no_grad()
def base_maps(model, images: list[np.ndarray], size: int, log=print) -> torch.Tensor:
    """N x 5 x size x size float16: L (real), base ab (real), true ab (real) of each photo's centre crop."""
    out = []
    t0 = time.time()
    for i in range(0, len(images), 8):
        rgb = torch.stack([torch.from_numpy(_centre(im, size)).permute(2, 0, 1) for im in images[i:i + 8]])
        lab = batch_lab(rgb)
        ab = model(lab[:, :1])
        out.append(torch.cat([lab[:, :1], ab.float(), lab[:, 1:]], 1).half())
        log(f"base predictions {min(i + 8, len(images))}/{len(images)} ({time.time() - t0:.0f} s)")
    return torch.cat(out)


def build_cache(data: str, model_name: str, n_train: int, n_select: int, seed: int, log=print) -> dict:
    """Choose photos (source-balanced, never the selection split for training) and compute the base's maps."""
    from restorer.core.models import load_model

    paths = list_images(data)
    train_paths = [p for p in paths if not in_selection_split(p)]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(train_paths), size=min(n_train, len(train_paths)), replace=False,
                      p=balance_weights(train_paths))
    chosen = {train_paths[i] for i in pick}
    train_imgs, _, rep = load_folder(data, keep=lambda p: p in chosen, progress=False)
    log(f"training photos: {rep}")
    sel_imgs, _, rep = load_folder(data, keep=in_selection_split, limit=n_select, progress=False)
    log(f"selection split photos: {rep}")
    model = load_model(model_name, device="cpu")
    size = model.card.working_size
    return {"model": model.card.name, "size": size, "train": base_maps(model, train_imgs, size, log),
            "select": base_maps(model, sel_imgs, size, log)}


def net_input(maps: torch.Tensor) -> torch.Tensor:
    """B x 3 x H x W network input from B x 5 x H x W cached maps (normalised L and base ab)."""
    m = maps.float()
    return torch.cat([(m[:, :1] - L_CENT) / L_NORM, m[:, 1:3] / AB_NORM], 1)


def alternatives(net, maps: torch.Tensor) -> torch.Tensor:
    """B x K x 2 x H x W ab (real units) of the K alternatives, clamped like the engine clamps."""
    base = maps[:, 1:3].float()[:, None]
    return (base + net(net_input(maps)) * AB_NORM).clamp(-AB_NORM, AB_NORM)


def mcl_loss(alts: torch.Tensor, true_ab: torch.Tensor, mean_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, per-image per-alternative L1 B x K): best-of-K L1 + ``mean_weight`` x mean L1 of all K."""
    l1 = (alts - true_ab[:, None]).abs().mean(dim=(2, 3, 4))
    return l1.min(dim=1).values.mean() + mean_weight * l1.mean(), l1


def pairwise_difference(alts: torch.Tensor, true_ab: torch.Tensor, chroma_min: float = CHROMA_MIN) -> float:
    """Mean Euclidean ab distance between every pair of alternatives on pixels whose true chroma > chroma_min."""
    chromatic = true_ab.norm(dim=1) > chroma_min  # B x H x W
    k = alts.shape[1]
    total, count = 0.0, 0
    for i in range(k):
        for j in range(i + 1, k):
            d = (alts[:, i] - alts[:, j]).norm(dim=1)
            total += float(d[chromatic].sum())
            count += int(chromatic.sum())
    return total / max(count, 1)


@torch.no_grad()
def evaluate(net, maps: torch.Tensor, mean_weight: float) -> dict[str, float]:
    net.eval()
    losses, l1s, diffs = [], [], []
    for i in range(0, len(maps), 8):
        m = maps[i:i + 8]
        alts = alternatives(net, m)
        true_ab = m[:, 3:5].float()
        loss, l1 = mcl_loss(alts, true_ab, mean_weight)
        losses.append(float(loss) * len(m))
        l1s.append(l1)
        diffs.append(pairwise_difference(alts, true_ab) * len(m))
    net.train()
    l1 = torch.cat(l1s)
    base_l1 = float((maps[:, 1:3].float() - maps[:, 3:5].float()).abs().mean())
    return {"loss": sum(losses) / len(maps), "best_l1": float(l1.min(1).values.mean()),
            "mean_l1": float(l1.mean()), "base_l1": base_l1, "pairwise_ab": sum(diffs) / len(maps),
            "wins": [int((l1.argmin(1) == k).sum()) for k in range(l1.shape[1])]}


def random_crops(maps: torch.Tensor, batch: int, crop: int, rng: np.random.Generator) -> torch.Tensor:
    idx = rng.integers(0, len(maps), batch)
    s = maps.shape[-1]
    out = []
    for i in idx:
        y, x = rng.integers(0, s - crop + 1, 2)
        c = maps[i, :, y:y + crop, x:x + crop]
        out.append(c.flip(-1) if rng.random() < 0.5 else c)
    return torch.stack(out)


def train(cache: dict, run: Path, minutes: float, batch: int, crop: int, lr: float, mean_weight: float,
          seed: int, every: int = 50, log=print) -> tuple[torch.nn.Module, dict]:
    from restorer.nets import create_arch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    # Kept with the checkpoint: a later --from-best export describes the training that made it, not its own flags.
    config = {"crop": crop, "batch": batch, "lr": lr, "mean_weight": mean_weight, "seed": seed, "minutes": minutes}
    net = create_arch("variations_unet")
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    best, best_state, step, t0, cpu0 = None, None, 0, time.time(), _cpu_minutes()
    history = []
    while _cpu_minutes() - cpu0 < minutes:
        m = random_crops(cache["train"], batch, crop, rng)
        loss, _ = mcl_loss(alternatives(net, m), m[:, 3:5].float(), mean_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % every == 0:
            ev = evaluate(net, cache["select"], mean_weight) | {"step": step, "train_loss": float(loss.detach()),
                                                                 "cpu_minutes": round(_cpu_minutes() - cpu0, 2),
                                                                 "wall_minutes": round((time.time() - t0) / 60, 2)}
            history.append(ev)
            log(json.dumps(ev))
            if best is None or ev["loss"] < best["loss"]:
                best, best_state = ev, {k: v.clone() for k, v in net.state_dict().items()}
                with atomic_path(run / "best.pt") as tmp:
                    torch.save({"state": best_state, "metrics": best, "config": config}, tmp)
    if best_state is not None:
        net.load_state_dict(best_state)
    return net.eval(), {"best": best, "steps": step, "history": history,
                        "cpu_minutes": round(_cpu_minutes() - cpu0, 2)}


@torch.no_grad()
def scale_table(net, maps: torch.Tensor, scales=(1.0, 0.85, 0.7, 0.55)) -> list[dict]:
    """Per residual scale, on the selection split's crops (working grid): PSNR of gray, of the model and of each
    alternative (8-bit sRGB as the engine writes them) and the pairwise ab distance on chromatic pixels."""
    from restorer.core.metrics import psnr
    from restorer.lab import lab_to_rgb_t

    def rgb(L, ab):
        return (lab_to_rgb_t(torch.cat([L, ab], 1)) * 255).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()

    L, base, true = maps[:, :1].float(), maps[:, 1:3].float(), maps[:, 3:5].float()
    gt = rgb(L, true)

    def mean(ab):
        return float(np.mean([psnr(p, g) for p, g in zip(rgb(L, ab), gt)]))

    gray, model = mean(torch.zeros_like(base)), mean(base)  # the same at every scale
    rows = []
    keep = net.scale
    for s in scales:
        net.scale = keep if s is None else s  # None: the net's own scale(s)
        alts = alternatives(net, maps)
        rows.append({"scale": net.scale, "psnr_gray": gray, "psnr_model": model,
                     "psnr_variations": [mean(alts[:, k]) for k in range(alts.shape[1])],
                     "pairwise_ab": pairwise_difference(alts, true)})
    net.scale = keep
    return rows


def choose_scales(rows: list[dict], max_drop: float) -> list[float]:
    """Per alternative, the largest scale of ``rows`` (from :func:`scale_table`) whose PSNR is at most ``max_drop``
    dB below the model's own (the smallest scale when none is): each alternative keeps as much of its
    difference as stays about as accurate as the model."""
    out = []
    for i in range(len(rows[0]["psnr_variations"])):
        fits = [r["scale"] for r in rows if r["psnr_variations"][i] >= r["psnr_model"] - max_drop]
        out.append(float(max(fits) if fits else min(r["scale"] for r in rows)))
    return out


def _from_best(run: Path) -> tuple[torch.nn.Module, dict]:
    from restorer.nets import create_arch

    ckpt = torch.load(run / "best.pt")
    net = create_arch("variations_unet")
    net.load_state_dict(ckpt["state"])
    best = ckpt["metrics"]
    return net.eval(), {"best": best, "steps": best["step"], "cpu_minutes": best["cpu_minutes"],
                        "config": ckpt.get("config")}


def export(net, info: dict, cache: dict, args, folder: Path) -> Path:
    from restorer.core.models import ModelCard, save_model

    # The training's own settings (kept in its checkpoint); the command line's for older checkpoints.
    cfg = info.get("config") or {"crop": args.crop, "batch": args.batch, "lr": args.lr, "mean_weight": args.mean_weight}
    card = ModelCard(
        name="variations", arch="variations_unet", arch_kwargs={"k": net.k, "scale": net.scale},
        working_size=cache["size"],
        in_channels=3, hints=False, kind="variations",
        description=f"{net.k} alternative colourings (ab residuals) of any model's result, from L + its ab; "
                    "multiple-choice (best of K) loss on the frozen base's predictions.",
        training={"data": args.data, "base_model": cache["model"], "photos": len(cache["train"]),
                  "selection_photos": len(cache["select"]), "crop": cfg["crop"], "batch": cfg["batch"],
                  "lr": cfg["lr"], "loss": {"best_of_k_l1": 1.0, "mean_l1": cfg["mean_weight"]}, "steps": info["steps"],
                  "minutes": info["cpu_minutes"], "minutes_are": "CPU minutes of this process"},
        metrics={k: v for k, v in (info["best"] or {}).items() if k != "history"},
        created=time.strftime("%Y-%m-%d"))
    return save_model(net, card, folder)


def main(argv: list[str] | None = None) -> int:
    from restorer.paths import bundled_models_dir

    ap = argparse.ArgumentParser(prog="python -m training.variations", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data/train")
    ap.add_argument("--model", default="default", help="the frozen base colouriser")
    ap.add_argument("--run", default="runs/variations")
    ap.add_argument("--photos", type=int, default=480)
    ap.add_argument("--select", type=int, default=48)
    ap.add_argument("--minutes", type=float, default=15.0, help="CPU minutes of training (after the cache)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--mean-weight", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--every", type=int, default=50, help="steps between selection-split checks")
    ap.add_argument("--from-best", action="store_true",
                    help="export the run's best checkpoint so far (a run stopped early) instead of training")
    ap.add_argument("--scales", default=None, help="with --from-best: print the selection split's PSNR and "
                    "diversity at these residual scales (e.g. 1,0.8,0.6) and stop")
    ap.add_argument("--scale", default="1.0", help="with --from-best: the residual scale to export: one value, one "
                    "per alternative (comma-separated), or 'auto': per alternative the largest of --scales whose "
                    "selection-split PSNR is within --max-drop dB of the model's own")
    ap.add_argument("--max-drop", type=float, default=0.3, help="with --scale auto (dB)")
    ap.add_argument("--out", default=None, help="export folder (default resources/models/variations)")
    args = ap.parse_args(argv)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    cache_path = run / "cache.pt"
    if cache_path.exists():
        cache = torch.load(cache_path)
    else:
        cache = build_cache(args.data, args.model, args.photos, args.select, args.seed)
        with atomic_path(cache_path) as tmp:
            torch.save(cache, tmp)
    if args.from_best:
        net, info = _from_best(run)
        if args.scales:
            rows = scale_table(net, cache["select"], [float(v) for v in args.scales.split(",")])
            for row in rows:
                print(json.dumps(row))
            if args.scale != "auto":
                return 0
            net.scale = choose_scales(rows, args.max_drop)
            info["best"] = dict(info["best"] or {}, selection_at_scales=scale_table(net, cache["select"], [None])[0],
                                scale_rule=f"per alternative, the largest of {args.scales} within "
                                           f"{args.max_drop} dB of the model on the selection split")
            print(json.dumps(info["best"]["selection_at_scales"]))
        elif args.scale == "auto":
            ap.error("--scale auto needs --scales")
        else:
            values = [float(v) for v in args.scale.split(",")]
            net.scale = values[0] if len(values) == 1 else values
    else:
        net, info = train(cache, run, args.minutes, args.batch, args.crop, args.lr, args.mean_weight, args.seed,
                          args.every)
        (run / "history.json").write_text(json.dumps(info, indent=1))
    print(f"exported {export(net, info, cache, args, Path(args.out) if args.out else bundled_models_dir() / 'variations')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
