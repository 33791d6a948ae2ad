"""Name -> constructor registry shared by the CLI, GUI, trainer and eval."""
from __future__ import annotations

from collections.abc import Callable

import torch.nn as nn

_ARCHS: dict[str, Callable[..., nn.Module]] = {}


def register_arch(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: register ``fn`` under its function name."""
    name = fn.__name__
    if name in _ARCHS:
        raise ValueError(f"architecture {name!r} registered twice")
    _ARCHS[name] = fn
    return fn


def list_archs() -> list[str]:
    return sorted(_ARCHS)


def create_arch(name: str, **kwargs) -> nn.Module:
    """Build architecture ``name``; unknown names list what exists."""
    try:
        fn = _ARCHS[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(list_archs())}") from None
    return fn(**kwargs)
