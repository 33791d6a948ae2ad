"""Datasets of colour photos: any folder (recursive), gray and broken files skipped and counted.

Images are decoded once into memory at a capped size (training sets here are thousands of small photos);
each sample is then a random resized crop, flip and small rotation, as in the single-image GAN work.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from restorer.core.io import SUPPORTED_EXTENSIONS, ImageError, read_image
from restorer.lab import rgb_to_lab

GRAY_CHROMA = 4.0  # mean Lab chroma below which a photo counts as gray (as shared/data's own filter)


@dataclass
class ScanReport:
    used: int = 0
    gray: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.used} colour photos, {self.gray} gray skipped, {len(self.broken)} unreadable skipped"


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.startswith(".") and Path(f).suffix.lower() in SUPPORTED_EXTENSIONS:
                out.append(Path(root) / f)
    return out


def _shrink(rgb: np.ndarray, max_short: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = max_short / min(h, w)
    if s < 1:
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return rgb


def load_folder(folder: str | Path, max_short: int = 256, limit: int | None = None,
                progress: bool = True, keep=None) -> tuple[list[np.ndarray], list[Path], ScanReport]:
    """Decode every colour photo under ``folder`` (those ``keep(path)`` accepts) to uint8 RGB, short side <= max_short."""
    paths = list_images(folder)
    if keep is not None:
        paths = [p for p in paths if keep(p)]
    if limit:
        paths = paths[:limit]
    report = ScanReport()
    images, kept = [], []
    it = paths
    if progress:
        from tqdm import tqdm

        it = tqdm(paths, desc=f"reading {Path(folder).name}", unit="img", leave=False, disable=None)
    for p in it:
        try:
            img = read_image(p)
        except ImageError as e:
            report.broken.append((str(p), str(e)))
            continue
        rgb = img.pixels
        if rgb.dtype != np.uint8:
            rgb = (rgb // 257).astype(np.uint8)
        rgb = _shrink(rgb, max_short)
        small = _shrink(rgb, 64).astype(np.float32) / 255.0
        if np.hypot(*rgb_to_lab(small)[..., 1:].transpose(2, 0, 1)).mean() < GRAY_CHROMA:
            report.gray += 1
            continue
        images.append(np.ascontiguousarray(rgb))
        kept.append(p)
    report.used = len(images)
    return images, kept, report


def source_of(path: Path) -> str:
    """A photo's source: its file-name prefix before '_' (as in shared/data), else its folder."""
    return path.name.split("_", 1)[0] if "_" in path.name else str(path.parent)


#: Sources of street, building and interior photos (and people in them), which archives hold most of and the
#: models did worst on; ``source_shares`` gives them together at least ``SCENE_FLOOR`` of the crops.
SCENE_SOURCES = frozenset({"camvid", "dashcam", "crowd", "pennfudan", "coco", "humanseg", "bsds"})
SCENE_FLOOR = 0.30
SOURCE_CAP = 0.20


SELECTION_MODULUS = 27


def in_selection_split(path: Path, modulus: int = SELECTION_MODULUS) -> bool:
    """True for the fixed ~1/27 of photos (about 300 of shared/data/train) kept for choosing checkpoints.

    A hash of the file name alone, so the split does not move when photos are added or folders renamed.
    """
    import hashlib

    return int.from_bytes(hashlib.sha1(path.name.encode("utf-8")).digest()[:4], "big") % modulus == 0


def source_shares(paths: list[Path], cap: float = SOURCE_CAP, scene_floor: float = SCENE_FLOOR,
                  scene_sources: frozenset[str] = SCENE_SOURCES) -> dict[str, float]:
    """The share of crops each source gets: sqrt of its size, no source above ``cap``, scenes >= ``scene_floor``.

    Sources that are not named (a user's own folder) get the plain sqrt share; the floor then only applies when
    some of the photos are scene sources.
    """
    counts = Counter(source_of(p) for p in paths)
    share = {k: float(np.sqrt(n)) for k, n in counts.items()}
    for _ in range(50):  # alternate the cap and the floor until both hold (converges in a few rounds)
        total = sum(share.values())
        share = {k: v / total for k, v in share.items()}
        scene = sum(v for k, v in share.items() if k in scene_sources)
        if 0 < scene < scene_floor:
            up, down = scene_floor / scene, (1 - scene_floor) / (1 - scene)
            share = {k: v * (up if k in scene_sources else down) for k, v in share.items()}
        over = {k for k, v in share.items() if v > cap}
        if not over and not (0 < scene < scene_floor - 1e-6):
            break
        if over and len(over) < len(share):
            excess = sum(share[k] - cap for k in over)
            rest = sum(v for k, v in share.items() if k not in over)
            share = {k: cap if k in over else v * (1 + excess / rest) for k, v in share.items()}
    total = sum(share.values())
    return {k: v / total for k, v in sorted(share.items())}


def balance_weights(paths: list[Path], shares: dict[str, float] | None = None, **kw) -> np.ndarray:
    """Per-photo sampling weights giving each source its share (``source_shares(paths, **kw)`` unless given),
    spread evenly within it."""
    shares = shares if shares is not None else source_shares(paths, **kw)
    counts = Counter(source_of(p) for p in paths)
    w = np.array([shares[source_of(p)] / counts[source_of(p)] for p in paths])
    return w / w.sum()


def augment(rgb: np.ndarray, size: int, rng: np.random.Generator, scale=(0.35, 1.0),
            max_rotate: float = 8.0) -> np.ndarray:
    """Random resized crop to size x size, horizontal flip, small rotation (uint8 RGB in and out)."""
    h, w = rgb.shape[:2]
    area = h * w
    for _ in range(10):
        target = area * rng.uniform(*scale)
        ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        cw, ch = int(round(np.sqrt(target * ratio))), int(round(np.sqrt(target / ratio)))
        if 0 < cw <= w and 0 < ch <= h:
            break
    else:
        cw = ch = min(h, w)
    y0 = int(rng.integers(0, h - ch + 1))
    x0 = int(rng.integers(0, w - cw + 1))
    crop = rgb[y0:y0 + ch, x0:x0 + cw]
    if max_rotate and rng.random() < 0.3:
        angle = rng.uniform(-max_rotate, max_rotate)
        m = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0 + abs(angle) / 45)  # zoom hides the corners
        crop = cv2.warpAffine(crop, m, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    interp = cv2.INTER_AREA if ch > size else cv2.INTER_CUBIC
    out = cv2.resize(crop, (size, size), interpolation=interp)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


class CropDataset(Dataset):
    """Infinite-style dataset: item i is an augmented crop of a (weighted) random photo."""

    def __init__(self, images: list[np.ndarray], size: int, weights: np.ndarray | None = None,
                 length: int = 10 ** 7, seed: int = 0, scale: tuple[float, float] = (0.35, 1.0)):
        self.images, self.size, self.length, self.seed = images, size, length, seed
        self.weights, self.scale = weights, scale

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> torch.Tensor:
        rng = np.random.default_rng((self.seed, i))
        k = int(rng.choice(len(self.images), p=self.weights)) if self.weights is not None else int(
            rng.integers(len(self.images)))
        crop = augment(self.images[k], self.size, rng, scale=self.scale)
        return torch.from_numpy(crop).permute(2, 0, 1)  # uint8 3 x S x S; Lab is computed batched in torch


def center_crop_batch(images: list[np.ndarray], size: int) -> torch.Tensor:
    """Deterministic validation batch: short side to ``size``, centre crop ``size`` x ``size`` (uint8)."""
    out = []
    for rgb in images:
        h, w = rgb.shape[:2]
        s = size / min(h, w)
        r = cv2.resize(rgb, (max(size, round(w * s)), max(size, round(h * s))), interpolation=cv2.INTER_AREA)
        y0 = (r.shape[0] - size) // 2
        x0 = (r.shape[1] - size) // 2
        out.append(torch.from_numpy(np.ascontiguousarray(r[y0:y0 + size, x0:x0 + size])).permute(2, 0, 1))
    return torch.stack(out)
