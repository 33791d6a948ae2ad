"""Tools > Colour like a reference photo… (a child process, progress, preview, Cancel, Keep as model) and the
model manager (cards, rename/delete of user models only, export/import, refusals shown, models folder)."""
from __future__ import annotations

import time

import numpy as np
import pytest
from guihelpers import open_and_wait, write_png
from PySide6.QtCore import QTimer

RUN_TIMEOUT = 120_000


@pytest.fixture
def reference_png(tmp_path, gray_photo):
    rgb = np.repeat(gray_photo[..., :1], 3, axis=2).astype(np.int16) + np.array([50, 0, -50], dtype=np.int16)
    return write_png(tmp_path / "refs" / "street colour.png", np.clip(rgb, 0, 255).astype(np.uint8))


def test_the_protocol_names_match_the_trainer():
    from restorer.gui import reference_dialog as gui
    from training import reference as trainer

    assert (gui.STATUS_JSON, gui.PREVIEW_PNG, gui.STOP_FILE, gui.MODEL_DIR) == \
        (trainer.STATUS_JSON, trainer.PREVIEW_PNG, trainer.STOP_FILE, trainer.MODEL_DIR)


def test_tools_menu_has_the_entries(window):
    texts = [a.text().replace("&", "") for a in window.menuBar().actions()]
    tools = window.menuBar().actions()[texts.index("Tools")].menu()
    names = [a.text().replace("&", "") for a in tools.actions()]
    for wanted in ("Colour like a reference photo…", "Manage models…", "Open models folder"):
        assert wanted in names


def test_reference_run_shows_progress_and_result_then_keeps_a_model(window, qtbot, gray_png, reference_png):
    from restorer.core.models import resolve

    open_and_wait(qtbot, window, gray_png)
    window.tools_entries.show_reference()
    dlg = window.tools_entries.reference_dialog
    assert not dlg.start_button.isEnabled()  # no reference yet
    dlg.set_reference(reference_png)
    dlg.minutes.setMinimum(0.05)  # a test-sized run; the dialog's own minimum is half a minute
    dlg.minutes.setValue(0.1)
    assert dlg.start_button.isEnabled() and dlg.target == gray_png and dlg.base == window.current_model()
    statuses, ticks = [], []
    timer = QTimer(interval=50, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    with qtbot.waitSignal(dlg.runEnded, timeout=RUN_TIMEOUT) as ended:
        run = dlg.start()
        run.status.connect(statuses.append)
        assert dlg.cancel_button.isEnabled() and not dlg.keep_button.isEnabled()
    timer.stop()
    code, text = ended.args
    assert len(ticks) > 20 and max(np.diff(ticks)) < 1.0  # the window kept handling events all along
    assert code == 0, text
    assert statuses and any(s.get("state") == "training" for s in statuses)
    qtbot.waitUntil(lambda: dlg.result_panel.image is not None, timeout=10_000)
    assert dlg.result_panel.image.width() == 128  # the open photo, coloured
    assert dlg.keep_button.isEnabled() and dlg.progress.value() == 1000
    with qtbot.waitSignal(window.modelsReady, timeout=20_000):
        dlg.keep_as("street like")
    card = resolve("street like")
    assert card.kind == "reference" and card.training["reference"]["file"] == "street colour.png"
    assert window.model_combo.findData("street like") >= 0  # in the picker ...
    assert "street like" in [window.compare.models.item(i).text() for i in range(window.compare.models.count())]
    dlg.shutdown()


def test_cancel_stops_the_child_and_keeps_nothing(window, qtbot, gray_png, reference_png):
    open_and_wait(qtbot, window, gray_png)
    window.tools_entries.show_reference()
    dlg = window.tools_entries.reference_dialog
    dlg.set_reference(reference_png)
    dlg.minutes.setValue(5)
    run = dlg.start()
    qtbot.waitUntil(lambda: (run.folder / "status.json").exists(), timeout=RUN_TIMEOUT)
    # The child stops at its next step; on a busy machine that can take a while (up to the grace, then it is killed).
    with qtbot.waitSignal(dlg.runEnded, timeout=run.stop_grace_ms() + 30_000) as ended:
        dlg.cancel_button.click()
    assert ended.args[0] == 130, ended.args
    assert not dlg.keep_button.isEnabled() and "Cancelled" in dlg.status_label.text()
    assert not run.model_card.exists()
    dlg.shutdown()


def _manager(window):
    window.tools_entries.show_manager()
    return window.tools_entries.manager


def _select(mgr, name):
    mgr.list.setCurrentRow([c.name for c in mgr.cards].index(name))


def test_manager_renames_deletes_exports_imports(window, qtbot, tmp_path, only_tiny_models):
    mgr = _manager(window)
    assert sorted(c.name for c in mgr.cards) == ["tiny-test", "tiny-test-2"]
    _select(mgr, "tiny-test")
    assert "unet" in mgr.details.toPlainText() and mgr.rename_button.isEnabled()
    with qtbot.waitSignal(window.modelsReady, timeout=20_000):
        mgr.rename_to("renamed")
    assert window.model_combo.findData("renamed") >= 0 and window.model_combo.findData("tiny-test") < 0
    qtbot.waitUntil(lambda: mgr.current() is not None and mgr.current().name == "renamed", timeout=10_000)
    dest = tmp_path / "out.restorer-model"
    w = mgr.export_to(dest)
    qtbot.waitUntil(lambda: w.done, timeout=10_000)
    assert dest.is_file()
    w = mgr.import_from(dest)  # the name is taken: refused, said, nothing changed
    qtbot.waitUntil(lambda: w.done, timeout=10_000)
    assert "refused" in mgr.message.text() and "already exists" in mgr.message.text()
    before = sorted(p.name for p in only_tiny_models.iterdir())
    w = mgr.import_from(dest, "copy")
    qtbot.waitUntil(lambda: w.done and window.model_combo.findData("copy") >= 0, timeout=20_000)
    assert sorted(p.name for p in only_tiny_models.iterdir()) == sorted([*before, "copy.json", "copy.safetensors"])
    qtbot.waitUntil(lambda: "copy" in [c.name for c in mgr.cards], timeout=10_000)
    _select(mgr, "copy")
    with qtbot.waitSignal(window.modelsReady, timeout=20_000):
        mgr.delete_current()
    assert window.model_combo.findData("copy") < 0


def test_manager_keeps_shipped_models_read_only(qtbot):
    from restorer.core.models import list_models
    from restorer.gui.model_manager import ModelManager

    mgr = ModelManager()
    qtbot.addWidget(mgr)
    mgr.set_cards(list_models())
    shipped = [c.name for c in mgr.cards if c.bundled]
    assert shipped
    _select(mgr, shipped[0])
    assert not mgr.rename_button.isEnabled() and not mgr.delete_button.isEnabled() and mgr.export_button.isEnabled()
    assert mgr.rename_to("x") is None and mgr.delete_current() is None
    assert "read-only" in mgr.details.toPlainText()


def test_open_models_folder(monkeypatch, tmp_path):
    from PySide6.QtGui import QDesktopServices

    from restorer.gui import model_manager

    opened = []
    monkeypatch.setenv("RESTORER_USER_MODELS", str(tmp_path / "fresh" / "models"))
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    assert model_manager.open_models_folder()
    assert opened == [str(tmp_path / "fresh" / "models")] and (tmp_path / "fresh" / "models").is_dir()


def test_model_card_view_names_every_working_size_of_a_blend():
    from restorer.core.models import ModelCard
    from restorer.gui.model_manager import card_html

    plain = ModelCard(name="p", arch="unet", working_size=224)
    assert "unet (224 px)" in card_html(plain)
    blend = ModelCard(name="b", arch="unet", working_size=224, blend_sizes=[160], blend_flip=True)
    assert "unet (224 px + 160 px, with the mirrored photo)" in card_html(blend)
