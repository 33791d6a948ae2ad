"""Core's colour names: the Lab maths of :mod:`restorer.lab` (re-exported) and the bound on colour strength.

The Lab conversions and the networks' L/ab scaling are defined once, in ``restorer.lab`` below core and nets;
core modules and the app import them from here or from there alike.
"""
from __future__ import annotations

from restorer.lab import (
    AB_NORM,
    L_CENT,
    L_NORM,
    from_float,
    lab_to_linear_rgb_t,
    lab_to_rgb,
    lab_to_rgb_t,
    luminance,
    rgb_to_lab,
    rgb_to_lab_t,
    to_float,
)

# Colour strength: a factor on the network's predicted ab (1 = as predicted). Here, not in the engine, so the
# CLI's argument check and the app's control share the bound without importing torch.
MAX_STRENGTH = 2.0


def check_strength(strength: float) -> None:
    """Raise ValueError unless 0 <= ``strength`` <= MAX_STRENGTH (0 leaves only the hints' colours)."""
    try:
        ok = not isinstance(strength, bool) and 0.0 <= float(strength) <= MAX_STRENGTH  # NaN fails too
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"colour strength must be between 0 and {MAX_STRENGTH:g}, not {strength!r}")


__all__ = ["AB_NORM", "L_CENT", "L_NORM", "MAX_STRENGTH", "check_strength", "from_float", "lab_to_linear_rgb_t",
           "lab_to_rgb", "lab_to_rgb_t", "luminance", "rgb_to_lab", "rgb_to_lab_t", "to_float"]
