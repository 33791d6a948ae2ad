"""``pip install .`` gives a working program: the sdist carries resources/, a wheel built from that sdist carries
them inside the package, and the installed ``restorer`` finds its models and sample from any folder.

The wheel goes into a throw-away venv with ``--no-deps``; the dependencies already installed for the tests are
put beside it (a .pth file naming their site-packages), so nothing is downloaded and torch is not copied.
Building the sdist and wheel (66 MB of models and backbones to compress) and running the program take about
30-50 s on a busy 2-core machine.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_FILES = ["models/vgg16-unet.safetensors", "models/vgg16-unet.json", "backbones/vgg16_features.safetensors",
                  "icons/restorer.png", "sample/sample.jpg"]

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _copy_source(dest: Path) -> Path:
    """The checkout's tracked layout without venvs, runs and build output: other engineers may be building in
    the checkout itself, and setuptools writes its build/ and egg-info next to setup.py."""
    skip = {".venv", "runs", "build", "dist", ".git", "out", "reports", "__pycache__", ".pytest_cache"}
    shutil.copytree(ROOT, dest, ignore=lambda d, names: [n for n in names if n in skip or n.endswith(".egg-info")])
    return dest


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    src = _copy_source(tmp_path_factory.mktemp("src") / "restorer")
    out = tmp_path_factory.mktemp("sdist")
    _run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"], cwd=src)
    (path,) = out.glob("restorer-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def wheel(sdist, tmp_path_factory) -> Path:
    """Built from the unpacked sdist, as pip does from PyPI: whatever the sdist lacks the wheel lacks too."""
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(sdist) as tar:
        tar.extractall(unpacked, filter="data")
    (src,) = unpacked.iterdir()
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", out,
          src], cwd=unpacked)
    (path,) = out.glob("restorer-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with only the wheel installed, the test run's own site-packages beside it; returns the
    environment and folders to run it in (no PYTHONPATH, a user model folder of its own, cwd outside the checkout)."""
    base = tmp_path_factory.mktemp("venv")
    venv = base / "venv"
    _run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", venv], cwd=base)
    vpy = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(_run([vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base)
                   .stdout.strip())
    (purelib / "_restorer_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", vpy, "install", "--no-deps", "--no-index", "-q", wheel], cwd=base)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RESTORER_", "VIRTUAL_ENV"))}
    env["RESTORER_USER_MODELS"] = str(base / "user_models")
    env["QT_QPA_PLATFORM"] = "offscreen"
    work = base / "work"
    work.mkdir()
    exe = venv / ("Scripts/restorer.exe" if os.name == "nt" else "bin/restorer")
    return {"vpy": vpy, "exe": exe, "env": env, "cwd": work, "purelib": purelib}


def test_sdist_carries_resources_and_packaging(sdist):
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for f in RESOURCE_FILES:
        assert f"resources/{f}" in names
    assert {"setup.py", "pyproject.toml", "packaging/restorer.spec", "packaging/launch.py"} <= names


def test_wheel_carries_resources_inside_the_package(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for f in RESOURCE_FILES:
        assert f"restorer/resources/{f}" in names
    assert "restorer/cli.py" in names and "training/cli.py" in names
    assert not any(n.startswith("resources/") for n in names), "resources must live inside the package"


def test_installed_program_finds_its_resources_through_the_package(installed):
    out = _run([installed["vpy"], "-c", "import restorer.paths as p; print(p.resources_dir()); print(p.sample_photo())"],
               cwd=installed["cwd"], env=installed["env"]).stdout.split()
    resources, sample = Path(out[0]), Path(out[1])
    assert resources == installed["purelib"] / "restorer" / "resources"
    assert sample.is_file() and ROOT not in sample.parents


def test_installed_restorer_models_and_colorize_work_from_another_folder(installed):
    run = dict(cwd=installed["cwd"], env=installed["env"])
    listing = _run([installed["exe"], "models"], **run).stdout
    for name in ("vgg16-unet", "effnet-lite0-unet", "attention-unet"):
        assert name in listing
    sample = installed["purelib"] / "restorer" / "resources" / "sample" / "sample.jpg"
    _run([installed["exe"], "colorize", sample, "-o", "coloured", "--model", "effnet-lite0-unet"], **run)
    out = installed["cwd"] / "coloured" / "sample_colour.jpg"
    import numpy as np
    from PIL import Image

    with Image.open(out) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    assert rgb.shape == (553, 1000, 3)
    # The sample is a gray scan: any chroma in the copy came from the installed model.
    assert np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean() > 2.0, "the output is gray"
