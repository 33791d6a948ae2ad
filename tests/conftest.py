"""Shared fixtures. Tests never need ../shared: tiny networks are built here, small images generated."""
from __future__ import annotations

import numpy as np
import pytest


def make_tiny_model(folder, name: str, tint=(0.25, 0.35), seed: int = 0):
    """Save an UNTRAINED tiny U-Net (plumbing tests only) whose head bias gives a visible, known tint."""
    import torch

    from restorer.core.models import ModelCard, save_model
    from restorer.nets import create_arch

    torch.manual_seed(seed)
    kwargs = {"base": 8, "depth": 2}
    net = create_arch("unet", in_channels=4, **kwargs)
    with torch.no_grad():
        net.head.conv.bias.copy_(torch.tensor(tint))
    card = ModelCard(name=name, arch="unet", arch_kwargs=kwargs, working_size=64, in_channels=4, hints=True,
                     description="untrained test network (tests only)", training={"minutes": 0})
    save_model(net.eval(), card, folder)
    return card


@pytest.fixture
def tiny_model_dir(tmp_path, monkeypatch):
    """A user model folder holding two untrained tiny models, 'tiny-test' and 'tiny-test-2'."""
    folder = tmp_path / "user_models"
    make_tiny_model(folder, "tiny-test", tint=(0.25, 0.35), seed=0)
    make_tiny_model(folder, "tiny-test-2", tint=(-0.3, 0.1), seed=1)
    monkeypatch.setenv("RESTORER_USER_MODELS", str(folder))
    return folder


@pytest.fixture
def gray_photo() -> np.ndarray:
    """A 96 x 128 uint8 gray image with edges and gradients (a stand-in for a scan)."""
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    g = 60 + 120 * (x / 127) + 40 * np.sin(y / 7.0)
    g[30:60, 40:90] = 220
    g = np.clip(g, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def make_tiny_variations(folder, k: int = 4, seed: int = 0):
    """Save an UNTRAINED tiny variations network (plumbing tests only) whose K heads give clearly different
    residuals: each head's bias pushes ab a different way."""
    import torch

    from restorer.core.models import ModelCard, save_model
    from restorer.nets import create_arch

    torch.manual_seed(seed)
    kwargs = {"k": k, "base": 8, "depth": 2}
    net = create_arch("variations_unet", **kwargs)
    with torch.no_grad():
        angles = torch.arange(k) * (6.2832 / k)
        net.head.bias.copy_(0.2 * torch.stack([angles.cos(), angles.sin()], 1).flatten())
    card = ModelCard(name="variations", arch="variations_unet", arch_kwargs=kwargs, working_size=64,
                     in_channels=3, hints=False, kind="variations", description="untrained (tests only)")
    save_model(net.eval(), card, folder)
    return card


@pytest.fixture
def tiny_variations(tmp_path, monkeypatch):
    """An installed tiny variations network (the bundled one, if any, is hidden)."""
    import restorer.core.variations as variations

    folder = tmp_path / "variations"
    make_tiny_variations(folder)
    monkeypatch.setattr(variations, "variations_folder", lambda: folder)
    return folder
