"""``restorer --selftest``: does this installation work? One line per check, exit 0 when all pass, else 1.

Made for a freshly built or installed app (packaging/build.sh runs it on every bundle, the packaging tests on
a wheel): it proves that the shipped files are there and usable from wherever the app was installed, not that
the models are good. Nothing outside a temporary folder is written, and the app's settings are put back as
they were. With no display (or with one) the window is made on Qt's offscreen platform.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

#: The colourised sample must be visibly coloured: its colourfulness (Hasler-Suesstrunk) is about 20 with the
#: shipped models, a gray photo's is 0.
MIN_COLOURFULNESS = 5.0
#: The output keeps the original's lightness (the engine joins the predicted chroma with the input's L).
MAX_L_ERROR = 1.5


@functools.cache
def _model(name: str):
    """Each model is loaded once for all checks (on the CPU: the check is of the files, not of a GPU)."""
    from restorer import load_model

    return load_model(name, device="cpu")


class CheckFailed(Exception):
    """A check that ran and found something wrong; ``str()`` says what."""


def _resources() -> str:
    from restorer.paths import backbones_dir, bundled_models_dir, resources_dir, sample_photo

    root = resources_dir()
    models = sorted(bundled_models_dir().glob("*.safetensors"))
    backbones = sorted(backbones_dir().glob("*.safetensors"))
    if not models:
        raise CheckFailed(f"no models in {bundled_models_dir()}")
    if not sample_photo().is_file():
        raise CheckFailed(f"no sample photo at {sample_photo()}")
    return f"{root} ({len(models)} models, {len(backbones)} backbones)"


def _shipped_models() -> str:
    """Every bundled model loads and predicts colour for the sample at its working size."""
    from restorer import list_models, read_image
    from restorer.core.engine import predict_ab

    pixels = read_image(_sample()).pixels
    done = []
    for card in (c for c in list_models() if c.bundled):
        ab, _ = predict_ab(pixels, _model(card.name))
        if not (ab.size and abs(ab).max() > 0):
            raise CheckFailed(f"{card.name} predicted no colour at all")
        done.append(card.name)
    if not done:
        raise CheckFailed("no bundled model is listed")
    return ", ".join(done)


def _sample() -> Path:
    from restorer.paths import sample_photo

    return sample_photo()


def _colourise_and_save(out_dir: Path) -> str:
    """The default model colourises the sample; the copy is written with metadata and read back."""
    import numpy as np

    from restorer import colorize, read_image, write_image
    from restorer.core.metrics import colourfulness, to_lab
    from restorer.core.models import resolve

    src = read_image(_sample())
    model = _model(resolve("default").name)
    rgb = colorize(src.pixels, model)
    if rgb.shape != src.pixels.shape or rgb.dtype != src.pixels.dtype:
        raise CheckFailed(f"output {rgb.shape} {rgb.dtype} for input {src.pixels.shape} {src.pixels.dtype}")
    path = write_image(out_dir / "sample_colour.png", rgb, src, model_name=model.card.name)
    back = read_image(path)
    if not np.array_equal(back.pixels, rgb):
        raise CheckFailed(f"{path.name} read back differs from what was written")
    if model.card.name.encode() not in (back.xmp or b""):
        raise CheckFailed(f"{path.name} lacks the provenance (model {model.card.name}) in its XMP")
    c = colourfulness(back.pixels)
    if c < MIN_COLOURFULNESS:
        raise CheckFailed(f"the result is nearly gray (colourfulness {c:.1f} < {MIN_COLOURFULNESS})")
    l_err = float(np.abs(to_lab(back.pixels)[..., 0] - to_lab(src.pixels)[..., 0]).mean())
    if l_err > MAX_L_ERROR:
        raise CheckFailed(f"the result's lightness is off by {l_err:.2f} L on average (> {MAX_L_ERROR})")
    return f"{model.card.name}, {src.size[0]}x{src.size[1]}, colourfulness {c:.1f}, written and read back"


def _colour_hint() -> str:
    """A point hint (which goes through the edge-aware propagation) pulls the colour at its place at least
    halfway from the model's guess to the colour asked for."""
    import numpy as np

    from restorer import colorize, read_image
    from restorer.core.hints import Hint
    from restorer.core.metrics import to_lab
    from restorer.core.models import resolve

    pixels = read_image(_sample()).pixels
    model = _model(resolve("default").name)
    navy = Hint.from_rgb(0.5, 0.8, (0.1, 0.15, 0.5), radius=0.02)
    y, x = int(0.8 * pixels.shape[0]), int(0.5 * pixels.shape[1])

    def ab_at(rgb: np.ndarray) -> np.ndarray:
        return to_lab(rgb)[y - 2:y + 3, x - 2:x + 3, 1:].reshape(-1, 2).mean(0)

    want = np.array(navy.ab)
    base = float(np.linalg.norm(ab_at(colorize(pixels, model)) - want))
    got = float(np.linalg.norm(ab_at(colorize(pixels, model, hints=[navy])) - want))
    if not got < 0.5 * base:
        raise CheckFailed(f"a navy hint left the colour {got:.1f} ab units from navy (without it: {base:.1f})")
    return f"navy hint: {base:.0f} -> {got:.0f} ab units from the colour asked for"


def _main_window() -> str:
    """The window opens and its startup job lists the installed models (offscreen: nothing appears)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QElapsedTimer

    from restorer import list_models
    from restorer.gui import settings as S
    from restorer.gui.app import create_app
    from restorer.gui.main_window import MainWindow

    app = create_app()
    store = S.settings()
    kept = {k: store.value(k) for k in store.allKeys()}  # closing the window saves its (offscreen) geometry
    try:
        window = MainWindow()
        window.show()
        want, clock = len(list_models()), QElapsedTimer()
        clock.start()
        while window.model_combo.count() < want and clock.elapsed() < 60_000:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        count = window.model_combo.count()
        window.close()
    finally:
        store.clear()
        for k, v in kept.items():
            store.setValue(k, v)
        store.sync()
    if count < want:
        raise CheckFailed(f"the window listed {count} of {want} models within 60 s")
    return f"{count} models in the picker, Qt platform {app.platformName()}"


def _trainer() -> str:
    """Fine-tuning runs as a child of this very program (the bundle's executable when frozen), as the app's
    Fine-tune dialog starts it; ``restorer train`` must be reachable that way and its modules present."""
    import training.loop  # noqa: F401  (the child imports it; a bundle that lacks it fails here too)
    from restorer.gui.train_process import trainer_command

    program, args = trainer_command(["train", "--help"])
    proc = subprocess.run([program, *args], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "--base" not in proc.stdout:
        raise CheckFailed(f"{program} {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return f"`{Path(program).name} {' '.join(args)}` answers"


def _checks(tmp: Path) -> list[tuple[str, Callable[[], str]]]:
    return [
        ("resources", _resources),
        ("shipped models", _shipped_models),
        ("colourise sample", lambda: _colourise_and_save(tmp)),
        ("colour hint", _colour_hint),
        ("main window", _main_window),
        ("trainer process", _trainer),
    ]


def run() -> int:
    """Run every check (a failing one does not stop the others); print ``ok``/``FAIL`` lines; 0 if all passed."""
    from restorer import __version__

    failed = 0
    kind = "bundle" if getattr(sys, "frozen", False) else "interpreter"
    print(f"restorer {__version__} self-test ({kind} {sys.executable})")
    with tempfile.TemporaryDirectory(prefix="restorer-selftest-") as tmp:
        for name, check in _checks(Path(tmp)):
            t0 = time.perf_counter()
            try:
                detail = check()
                state = "ok  "
            except CheckFailed as e:
                detail, state = str(e), "FAIL"
            except Exception as e:  # noqa: BLE001 - a broken install shows up as any error at all
                detail, state = f"{type(e).__name__}: {e}", "FAIL"
                if os.environ.get("RESTORER_SELFTEST_TRACEBACK"):
                    traceback.print_exc()
            failed += state == "FAIL"
            print(f"{state} {name}: {detail} ({time.perf_counter() - t0:.1f} s)", flush=True)
    print("self-test passed" if not failed else f"self-test FAILED: {failed} check(s)")
    return 1 if failed else 0
