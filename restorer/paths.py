"""Where Restorer finds its bundled resources and the user's own files."""
from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Restorer"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder (models, backbones, icons, sample), first found of:

    ``RESTORER_RESOURCES``; the PyInstaller bundle's; the installed package's (``restorer/resources`` inside a
    wheel, see setup.py); the source checkout's top-level ``resources/`` (a checkout on ``sys.path`` or an
    editable install, whose package folder is the checkout's ``restorer/``).
    """
    env = os.environ.get("RESTORER_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    packaged = importlib.resources.files("restorer") / "resources"
    # A zipped install would give a zipfile.Path; the models are memory-mapped from real files, so only a
    # folder on disk will do.
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "resources"


def bundled_models_dir() -> Path:
    return resources_dir() / "models"


def backbones_dir() -> Path:
    """ImageNet-pretrained trunks shipped with the app (VGG16, EfficientNet-Lite0, LPIPS heads)."""
    return resources_dir() / "backbones"


def user_models_dir() -> Path:
    """Models the user trained or installed; overridable for tests with RESTORER_USER_MODELS."""
    env = os.environ.get("RESTORER_USER_MODELS")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"


def sample_photo() -> Path:
    return resources_dir() / "sample" / "sample.jpg"
