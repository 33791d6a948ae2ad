"""What the app calls a photo's original: ground truth only for real colour (:mod:`restorer.core.tone`).

A toned scan (sepia, selenium, cyanotype) carries chroma of one hue: it is shown with its tint but labelled
"toned scan", and it is never the reference of PSNR, SSIM or JS divergence scores.
"""
from __future__ import annotations

import weakref
from typing import Any

from PySide6.QtCore import QCoreApplication

from restorer.core.tone import Tone, tone_of

#: Photos whose tone is remembered: the current one and the previous (the window keeps pixels for two).
_CACHE_SIZE = 4
_cache: list[tuple[weakref.ref, Tone]] = []


#: A bare ``translate(context, text)`` call is what pyside6-lupdate finds outside a QObject's methods.
translate = QCoreApplication.translate


def photo_tone(image: Any) -> Tone:
    """``tone_of`` a LoadedImage (``pixels``, ``alpha``), computed once per image (about 50 ms for 18 MP)."""
    for ref, tone in _cache:
        if ref() is image:
            return tone
    tone = tone_of(image.pixels, getattr(image, "alpha", None))
    _cache[:] = [(r, t) for r, t in _cache if r() is not None][-(_CACHE_SIZE - 1):]
    _cache.append((weakref.ref(image), tone))
    return tone


def is_reference(image: Any) -> bool:
    """Whether the photo's own colour is ground truth for the scores."""
    return image is not None and photo_tone(image) == "colour"


def original_caption(image: Any) -> str:
    """The viewer's caption for the original."""
    return {"colour": translate("ToneLabels", "Original (colour: ground truth)"),
            "toned": translate("ToneLabels", "Original (toned scan)"),
            "gray": translate("ToneLabels", "Original")}[photo_tone(image)]


def reference_series(image: Any) -> tuple[str, str]:
    """(label, role) of the original in the histogram dock (roles of :func:`restorer.gui.jobs.compute_histograms`:
    "truth" is measured against; "toned" shows its a/b like a reference would but scores nothing)."""
    return {"colour": (translate("ToneLabels", "Ground truth"), "truth"),
            "toned": (translate("ToneLabels", "Original (toned scan)"), "toned"),
            "gray": (translate("ToneLabels", "Original"), "original")}[photo_tone(image)]
