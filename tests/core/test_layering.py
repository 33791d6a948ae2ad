"""napari-style layering: the core and the trainer must never import Qt."""
import subprocess
import sys


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
