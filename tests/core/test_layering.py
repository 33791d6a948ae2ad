"""Layering: the import contracts of pyproject.toml hold, and what must stay light at load time does."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    """import-linter sees every import, those inside functions included (a run-time check sees only those
    made at load time): gui/cli -> training -> core -> nets -> lab/paths, gui -> training.protocol only, no Qt
    below the app."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_core_and_training_do_not_import_qt():
    code = (
        "import sys\n"
        "import restorer, restorer.cli, restorer.core.engine, restorer.core.models, restorer.core.io\n"
        "import restorer.core.batch, restorer.core.metrics, restorer.core.evaluate, restorer.nets\n"
        "import training.loop, training.cli\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'restorer.gui'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_restorer_is_light():
    code = "import sys, restorer; assert 'torch' not in sys.modules and 'cv2' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lab_maths_load_without_torch():
    # The CLI checks colour strength and the app reads Lab constants before any model is loaded.
    code = ("import sys, restorer.lab, restorer.core.color, restorer.core.metrics\n"
            "assert 'torch' not in sys.modules, 'torch'")
    subprocess.run([sys.executable, "-c", code], check=True)
