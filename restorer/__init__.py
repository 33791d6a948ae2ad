"""Restorer: bring colour back to old black-and-white photographs.

Three lines colourise a file::

    from restorer import read_image, load_model, colorize
    img = read_image("grandma.jpg")
    rgb = colorize(img.pixels, load_model("default"))

Heavy modules (torch, cv2) are imported lazily so ``import restorer`` stays fast.
"""
from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "read_image": "restorer.core.io",
    "write_image": "restorer.core.io",
    "load_model": "restorer.core.models",
    "list_models": "restorer.core.models",
    "colorize": "restorer.core.engine",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'restorer' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
