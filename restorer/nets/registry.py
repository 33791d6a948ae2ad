"""Name -> architecture registry shared by the CLI, GUI, trainer and eval.

Each architecture registers with what the rest of the program must know about it, so nobody else names
architectures: the arguments a new model of it is trained with (``defaults``, written to the model card) and the
pretrained trunk it is built on (``backbone``: file, checksum, key prefix, frozen parts).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch.nn as nn

from restorer.nets.backbones import Backbone


@dataclass(frozen=True)
class ArchSpec:
    name: str
    build: Callable[..., nn.Module]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    backbone: Backbone | None = None


_ARCHS: dict[str, ArchSpec] = {}


def register_arch(fn: Callable[..., nn.Module] | None = None, *, defaults: Mapping[str, Any] | None = None,
                  backbone: Backbone | None = None):
    """Decorator: register ``fn`` under its function name, as ``@register_arch`` or ``@register_arch(...)``.

    ``backbone`` archs take ``pretrained`` (True: load the trunk from resources/backbones when built).
    """
    def register(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = fn.__name__
        if name in _ARCHS:
            raise ValueError(f"architecture {name!r} registered twice")
        _ARCHS[name] = ArchSpec(name, fn, MappingProxyType(dict(defaults or {})), backbone)
        return fn

    return register(fn) if fn is not None else register


def list_archs() -> list[str]:
    return sorted(_ARCHS)


def arch_spec(name: str) -> ArchSpec:
    """What is registered for ``name``; unknown names list what exists (KeyError)."""
    try:
        return _ARCHS[name]
    except KeyError:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(list_archs())}") from None


def create_arch(name: str, **kwargs) -> nn.Module:
    """Build architecture ``name`` with ``kwargs`` (the function's own defaults for the rest)."""
    return arch_spec(name).build(**kwargs)
