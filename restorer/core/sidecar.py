"""Hints saved with the photo: ``<photo file name>.restorer.json`` beside it (format in docs/hints-format.md).

The photo itself is never written. Region masks are 8-bit gray PNGs beside the sidecar
(``<photo file name>.region<N>.png``). Every file goes through :mod:`restorer.core.atomic`, masks first, so a
crash leaves either the old sidecar or the whole new one. A sidecar that cannot be read raises
:class:`SidecarError` with a one-line message; callers colourise without it and never overwrite it.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restorer.core.atomic import write_bytes, write_text
from restorer.core.hints import Hint, RegionHint, feather

FORMAT = "restorer-hints"
VERSION = 1
SUFFIX = ".restorer.json"
_RGB = re.compile(r"^#([0-9a-fA-F]{6})$")


class SidecarError(Exception):
    """A sidecar that cannot be used; ``str(e)`` is one line naming the file."""


def sidecar_path(photo: str | Path) -> Path:
    """Where the sidecar of ``photo`` lives: ``scan01.tif`` -> ``scan01.tif.restorer.json``."""
    p = Path(photo)
    return p.with_name(p.name + SUFFIX)


def _number(v: Any, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        rng = f" in {lo:g}..{hi:g}" if math.isfinite(lo) or math.isfinite(hi) else ""
        raise ValueError(f"{what} must be a number{rng}, got {v!r}")
    return float(v)


def _colour(entry: dict, what: str) -> tuple[float, float]:
    """(a, b) from ``"ab": [a, b]`` or, failing that, the chroma of ``"rgb": "#rrggbb"``."""
    if "ab" in entry:
        ab = entry["ab"]
        if not isinstance(ab, list) or len(ab) != 2:
            raise ValueError(f"{what}: \"ab\" must be a list [a, b]")
        return _number(ab[0], f"{what}: a", -128, 128), _number(ab[1], f"{what}: b", -128, 128)
    rgb = entry.get("rgb")
    m = _RGB.match(rgb) if isinstance(rgb, str) else None
    if m is None:
        raise ValueError(f"{what} needs \"ab\": [a, b] or \"rgb\": \"#rrggbb\"")
    v = int(m.group(1), 16)
    return Hint.from_rgb(0, 0, ((v >> 16) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0)).ab


def _read_mask(path: Path, what: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise ValueError(f"{what}: mask {path.name} not found") from None
    except (OSError, UnidentifiedImageError) as e:
        raise ValueError(f"{what}: mask {path.name} is not a readable image ({e})") from None


@dataclass
class Contents:
    """A read sidecar: point hints, regions as (uint8 mask, ab, strength), the chosen variation (0 = the model's
    own colouring) and the decoded JSON (for keys of the app's own, such as ``display_rgb``)."""

    hints: list[Hint]
    regions: list[tuple[np.ndarray, tuple[float, float], float]]
    variation: int = 0
    data: dict = field(default_factory=dict)


def _variation(data: dict) -> int:
    v = data.get("variation", 0)
    # The range 1..K depends on the installed network, so only the form is checked here (see variation_problem).
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"\"variation\" must be a whole number 0.. (0 = the model's own colouring), got {v!r}")
    return v


def parse(data: Any, folder: Path) -> tuple[list[Hint], list[tuple[np.ndarray, tuple[float, float], float]]]:
    """Validated (point hints, regions as (uint8 mask, ab, strength)) of a decoded sidecar; ValueError if bad.

    Extra keys are ignored, so later versions may add some without breaking this reader."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file (\"format\" missing or different)")
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r} is not supported (this Restorer reads {VERSION})")
    hints_in, regions_in = data.get("hints", []), data.get("regions", [])
    if not isinstance(hints_in, list) or not isinstance(regions_in, list):
        raise ValueError("\"hints\" and \"regions\" must be lists")
    hints = []
    for i, e in enumerate(hints_in):
        what = f"hint {i + 1}"
        if not isinstance(e, dict):
            raise ValueError(f"{what} must be an object")
        x = _number(e.get("x"), f"{what}: x", 0, 1)
        y = _number(e.get("y"), f"{what}: y", 0, 1)
        radius = _number(e.get("radius", 0.01), f"{what}: radius", 0, 0.5)
        hints.append(Hint(x, y, _colour(e, what), radius))
    regions = []
    for i, e in enumerate(regions_in):
        what = f"region {i + 1}"
        if not isinstance(e, dict) or not isinstance(e.get("mask"), str) or not e["mask"]:
            raise ValueError(f"{what} needs \"mask\": the file name of its PNG")
        name = Path(e["mask"])
        if name.is_absolute() or ".." in name.parts:
            raise ValueError(f"{what}: the mask must be a file beside the sidecar, got {e['mask']!r}")
        strength = _number(e.get("strength", 1.0), f"{what}: strength", 0, 1)
        regions.append((_read_mask(folder / name, what), _colour(e, what), strength))
    return hints, regions


def read(path: str | Path) -> tuple[list[Hint], list[tuple[np.ndarray, tuple[float, float], float]]]:
    """Point hints and raw regions of the sidecar at ``path``; raises :class:`SidecarError` (one line)."""
    got = read_contents(path)
    return got.hints, got.regions


def read_contents(path: str | Path) -> Contents:
    """Everything the sidecar at ``path`` holds; raises :class:`SidecarError` (one line)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        hints, regions = parse(data, path.parent)
        return Contents(hints, regions, _variation(data), data)
    except (OSError, UnicodeDecodeError) as e:
        raise SidecarError(f"{path.name}: cannot be read ({e.strerror if isinstance(e, OSError) else e})") from None
    except json.JSONDecodeError as e:
        raise SidecarError(f"{path.name}: not valid JSON (line {e.lineno}, column {e.colno})") from None
    except ValueError as e:
        raise SidecarError(f"{path.name}: {e}") from None


def to_core(hints: list[Hint], regions: list[tuple[np.ndarray, tuple[float, float], float]]) -> list:
    """The hint list the engine takes: point hints, then each region's feathered mask, as the app builds it."""
    return [*hints, *(RegionHint(feather(m), ab, s) for m, ab, s in regions)]


def variation_problem(index: int) -> str | None:
    """Why variation ``index`` cannot be applied here (one line), or None (0, the model's own, always can)."""
    if not index:
        return None
    from restorer.core.variations import find_card, unavailable_reason

    card = find_card()
    if card is None:
        return unavailable_reason()
    k = int(card.arch_kwargs.get("k", 4))
    return None if index <= k else f"choose 0 (the model's own colouring) or 1..{k}, the installed network's alternatives"


def load_for(photo: str | Path, explicit: str | Path | None = None) -> tuple[list | None, str | None]:
    """(engine hints or None, warning or None) for ``photo``: its sidecar, or the file ``explicit``.

    No sidecar -> (None, None); a malformed one -> (None, one-line warning): colourise without it. A variation
    that cannot be applied here gives a warning too, and the hints go on the model's own colouring."""
    path = Path(explicit) if explicit is not None else sidecar_path(photo)
    if explicit is None and not path.is_file():
        return None, None
    try:
        got = read_contents(path)
    except SidecarError as e:
        return None, f"hints ignored: {e}"
    hints = to_core(got.hints, got.regions)
    problem = variation_problem(got.variation)
    if problem:
        return hints, f"{path.name}: variation {got.variation} not used: {problem}"
    if got.variation:
        from restorer.core.variations import Variation

        hints.append(Variation(got.variation))
    return hints, None


def _encode_mask(mask: np.ndarray) -> bytes:
    import cv2

    m = np.asarray(mask)
    if m.dtype != np.uint8:
        m = np.clip(np.rint(np.asarray(m, np.float32) * 255.0), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".png", m)
    if not ok:
        raise OSError("could not encode a region mask as PNG")
    return buf.tobytes()


def write(photo: str | Path, hints: list[Hint],
          regions: list[tuple[np.ndarray, tuple[float, float], float]], extra: dict | None = None,
          variation: int = 0) -> Path:
    """Write the sidecar of ``photo`` (masks first, then the JSON, each atomically); returns its path.

    ``regions`` are (mask uint8 0..255 or float 0..1, ab, strength); ``variation`` the chosen alternative
    colouring (0, the model's own, is not written, so such sidecars stay as older versions wrote them). ``extra`` keys (e.g. the app's display
    colours) are stored beside the format's own and ignored by readers. Raises OSError if it cannot be written."""
    photo = Path(photo)
    dest = sidecar_path(photo)
    out_regions = []
    for i, (mask, ab, strength) in enumerate(regions):
        name = f"{photo.name}.region{i}.png"
        write_bytes(dest.parent / name, _encode_mask(mask))
        out_regions.append({"mask": name, "ab": [float(ab[0]), float(ab[1])], "strength": float(strength)})
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                            "hints": [{"x": h.x, "y": h.y, "ab": [float(h.ab[0]), float(h.ab[1])],
                                       "radius": h.radius} for h in hints],
                            "regions": out_regions}
    if variation:
        data["variation"] = int(variation)
    for k, v in (extra or {}).items():
        data.setdefault(k, v)
    write_text(dest, json.dumps(data, indent=1) + "\n")
    return dest


def hints_source(explicit: str | Path | None, ignore: bool, warn) -> Any:
    """``hints_for(photo)`` for the batch loop: ``explicit`` for every photo, else each photo's own sidecar, or
    nothing when ``ignore``. ``warn(message)`` gets each malformed file's one-line warning once."""
    warned: set[str] = set()

    def hints_for(photo: Path) -> list | None:
        if ignore:
            return None
        hints, warning = load_for(photo, explicit)
        if warning and warning not in warned:
            warned.add(warning)
            warn(warning)
        return hints

    return hints_for


_MASK_NAME = re.compile(r"^(.+)\.region\d+\.png$", re.IGNORECASE)


def is_region_mask(name: str, siblings) -> bool:
    """Whether file ``name`` is a region mask of a sidecar among ``siblings`` (names in the same folder): such
    masks are not photos, and a folder batch must not colourise them."""
    m = _MASK_NAME.match(name)
    return m is not None and (m.group(1) + SUFFIX) in siblings
