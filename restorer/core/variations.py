"""Variations: K plausible alternative colourings of a whole photo, any of which can be the base hints correct.

The shipped colourisers regress one ab per pixel (no colour distribution to sample), so alternatives come from
a small, separately shipped network (:mod:`restorer.nets.variations`, trained by ``training/variations.py``) that
reads L and the model's own ab at the working grid and gives K ab residuals. It is model-agnostic: it learned
how a colouring may plausibly differ, not one model's colours, so it keeps working when a model is retrained.

An alternative enters the engine as a :class:`Variation` in the hint list (``Variation(0)`` = the model's own
result): after the network, before colour strength and the hints' edge-aware propagation, so point hints and
regions correct the chosen alternative exactly as they correct the model's own result, and the full-resolution
path (guided upsampling, original L) is the engine's. The network is found in
``resources/models/variations/`` (fp16 safetensors + JSON card, loaded without executing code).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from restorer.core.color import AB_NORM, L_CENT, L_NORM
from restorer.core.models import ModelCard, ModelError, load_network
from restorer.paths import bundled_models_dir

ARCH = "variations_unet"


@dataclass(frozen=True)
class Variation:
    """Use alternative ``index`` (1..K) as the base colouring; 0 is the model's own result."""

    index: int


def variation_of(hints) -> int:
    """The alternative a hint list asks for (the last :class:`Variation` in it; 0 when there is none)."""
    chosen = [h.index for h in hints or [] if isinstance(h, Variation)]
    return chosen[-1] if chosen else 0


def variations_folder() -> Path:
    return bundled_models_dir() / "variations"


def find_card(folder: Path | None = None) -> ModelCard | None:
    """The card of the installed variations network (first ``*.json`` with its weights and the right arch)."""
    folder = folder or variations_folder()
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if not p.with_suffix(".safetensors").is_file():
            continue
        try:
            card = ModelCard.from_json(p.read_text(encoding="utf-8"), path=p, bundled=True)
        except (ValueError, TypeError, ModelError):
            continue
        if card.arch == ARCH:
            return card
    return None


def unavailable_reason() -> str | None:
    """Why variations cannot be offered (one line), or None when the network is installed."""
    if find_card() is None:
        return f"No variations network is installed (expected one in {variations_folder()})."
    return None


class VariationsNet(torch.nn.Module):
    """``forward(L, ab) -> B x K x 2 x H x W`` alternative ab in real units (L 0..100 and ab real, B x 1|2 x H x W)."""

    def __init__(self, net: torch.nn.Module, card: ModelCard):
        super().__init__()
        self.net, self.card = net, card
        self.k = int(net.k)

    def forward(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        x = torch.cat([(L - L_CENT) / L_NORM, ab / AB_NORM], 1)
        return (ab[:, None] + self.net(x) * AB_NORM).clamp(-AB_NORM, AB_NORM)


def load_variations(card: ModelCard | str | Path | None = None) -> VariationsNet:
    """The variations network of ``card`` (a card, its path, or None = the installed one); ModelError if absent
    or if its weights do not fit its architecture (every tensor is checked by ``models.load_network``)."""
    if isinstance(card, (str, Path)):
        path = Path(card).with_suffix(".json")
        if not path.is_file() or not path.with_suffix(".safetensors").is_file():
            raise ModelError(f"{path}: expected a variations card (.json) beside its .safetensors")
        card = ModelCard.from_json(path.read_text(encoding="utf-8"), path=path)
    card = card or find_card()
    if card is None:
        raise ModelError(unavailable_reason() or "no variations network")
    if card.arch != ARCH:
        raise ModelError(f"{card.name!r} is a {card.arch} model, not a variations network")
    return _cached(card.path)


@functools.lru_cache(maxsize=2)
def _cached(path: Path) -> VariationsNet:
    card = ModelCard.from_json(path.read_text(encoding="utf-8"), path=path, bundled=True)
    return VariationsNet(load_network(card), card).eval()


@torch.inference_mode()
def alternatives(ab: np.ndarray, L: np.ndarray, net: VariationsNet | None = None) -> np.ndarray:
    """K x 2 x h x w alternative ab maps for a base ``ab`` (2 x h x w, real units) and ``L`` (h x w) at the
    working grid (sides multiples of 16 or more, as the engine's grid always is)."""
    net = net or load_variations()
    L_t = torch.from_numpy(np.ascontiguousarray(L, np.float32))[None, None]
    ab_t = torch.from_numpy(np.ascontiguousarray(ab, np.float32))[None]
    return net(L_t, ab_t)[0].float().numpy()


def apply_variation(ab: np.ndarray, L: np.ndarray, index: int) -> np.ndarray:
    """``ab`` itself for index 0, else alternative ``index`` (1..K) of it; ValueError for an index out of range."""
    if index == 0:
        return ab
    net = load_variations()
    if not 1 <= index <= net.k:
        raise ValueError(f"variation {index} does not exist (0 = the model's own result, 1..{net.k})")
    return alternatives(ab, L, net)[index - 1]


def variations(pixels: np.ndarray, model, hints=None, *, strength: float = 1.0, long_side: int = 320,
               progress: Callable[[float], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:
    """The model's own result and its K alternatives (K + 1 images, same dtype, at most ``long_side`` px on the
    long side: thumbnails to choose from), each with ``hints`` applied on top and ``strength``, through the
    engine's pipeline. The base network and the variations network each run once."""
    from restorer.core import engine
    from restorer.core.cancel import Cancelled

    hints = [h for h in hints or [] if not isinstance(h, Variation)]
    engine.check_strength(strength)
    src = pixels
    if max(pixels.shape[:2]) > long_side:
        s = long_side / max(pixels.shape[:2])
        src = engine._resize(pixels, (max(1, round(pixels.shape[0] * s)), max(1, round(pixels.shape[1] * s))))
    base, L = engine.network_ab(src, model, hints)
    maps = [base, *alternatives(base, L)]
    out = []
    for i, ab in enumerate(maps):
        if cancel is not None and cancel():
            raise Cancelled()
        A, B = engine.guided_coefficients(engine.finish_ab(ab, L, hints, strength), L)
        out.append(engine.apply_coefficients(src, A, B, src.dtype))
        if progress is not None:
            progress((i + 1) / len(maps))
    return out
