"""Tools > Manage models…: the shipped and the user's models with their cards; rename, delete, export, import.

Every file operation is :mod:`restorer.core.model_store`'s (the same checks as ``restorer models ...``) and
runs on a worker; shipped models are read-only, so Rename and Delete are off for them. After any change the
dialog re-lists the models and emits :attr:`ModelManager.modelsChanged` so the picker and Compare follow.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from restorer.gui.notifier import watch
from restorer.gui.workers import Worker, pool

EXTENSION = ".restorer-model"  # restorer.core.model_store.EXTENSION (not imported at load: keep the dialog light)


def card_html(card: Any) -> str:
    """A card's details for people: architecture, base, training data, date, minutes, metrics."""
    t = card.training or {}
    ref = t.get("reference") if isinstance(t.get("reference"), dict) else None
    # A test-time blend (card.blend_sizes / blend_flip) averages passes: show every size the network runs at.
    sizes = " + ".join(f"{s} px" for s in [card.working_size, *getattr(card, "blend_sizes", [])])
    mirrored = ", with the mirrored photo" if getattr(card, "blend_flip", False) else ""
    rows = [("Architecture", f"{card.arch} ({sizes}{mirrored})"),
            ("Kind", "learned from one reference photo" if getattr(card, "kind", "") == "reference" else "")]
    if ref:
        rows.append(("Reference photo", f"{ref.get('file', '')}  sha256 {str(ref.get('sha256', ''))[:16]}…"))
    rows += [("Base model", str(t.get("base") or "")), ("Training data", str(t.get("data") or "")),
             ("Created", card.created or ""),
             ("Training", f"{float(t.get('minutes') or 0):.1f} min" + (
                 f" ({card.training_minutes:.0f} min with its base)" if card.training_minutes > float(
                     t.get("minutes") or 0) + 0.05 else "")),
             ("Metrics", card.headline()), ("Hints", "yes" if card.hints else "no"),
             ("Where", f"{'shipped (read-only)' if card.bundled else 'yours'}: {card.path}")]
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows if v)
    desc = f"<p>{html.escape(card.description)}</p>" if card.description else ""
    return f"<h3>{html.escape(card.label())}</h3>{desc}<table cellspacing='4'>{body}</table>"


class ModelManager(QDialog):
    """List + card view + actions. ``modelsChanged(select)`` after a rename/delete/import (select: new name)."""

    modelsChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Manage models"))
        self.cards: list[Any] = []
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._on_row)
        self.details = QTextBrowser()
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(self.details)
        split.setStretchFactor(1, 2)
        self.rename_button = QPushButton(self.tr("Rename…"), clicked=self.rename)
        self.delete_button = QPushButton(self.tr("Delete…"), clicked=self.delete)
        self.export_button = QPushButton(self.tr("Export…"), clicked=self.export)
        self.import_button = QPushButton(self.tr("Import…"), clicked=self.import_)
        self.folder_button = QPushButton(self.tr("Open models folder"), clicked=self.open_folder)
        close = QPushButton(self.tr("Close"), clicked=self.close)
        buttons = QHBoxLayout()
        for b in (self.rename_button, self.delete_button, self.export_button, self.import_button,
                  self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(split, 1)
        lay.addWidget(self.message)
        lay.addLayout(buttons)
        self.resize(780, 460)
        self._update_buttons()

    # -- listing ---------------------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> Worker:
        from restorer.core.models import list_models

        w = Worker(lambda _ctl: list_models(), name="list models")
        w.returned.connect(lambda cards: self.set_cards(cards, select))
        watch(w, inline=lambda message: self._say(
            self.tr("Could not list the models: {message}").format(message=message), error=True))
        w.start(pool("io"))
        return w

    def set_cards(self, cards: Sequence[Any], select: str | None = None) -> None:
        before = select or (self.current().name if self.current() is not None else None)
        self.cards = list(cards)
        self.list.clear()
        for c in self.cards:
            item = QListWidgetItem(c.label())
            item.setData(Qt.ItemDataRole.UserRole, c.name)
            item.setToolTip(self.tr("shipped with Restorer: read-only") if c.bundled else self.tr("your model"))
            self.list.addItem(item)
        names = [c.name for c in self.cards]
        self.list.setCurrentRow(names.index(before) if before in names else (0 if names else -1))
        self._update_buttons()

    def current(self) -> Any | None:
        row = self.list.currentRow()
        return self.cards[row] if 0 <= row < len(self.cards) else None

    def _on_row(self, _row: int) -> None:
        card = self.current()
        self.details.setHtml(card_html(card) if card is not None else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        card = self.current()
        mine = card is not None and not card.bundled
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(card is not None)
        why = "" if mine else "Shipped models are read-only"
        self.rename_button.setToolTip(why)
        self.delete_button.setToolTip(why)

    # -- actions (each a model_store call on a worker) -------------------------------------------------------
    def _run(self, what: str, fn: Callable[[], Any], done: Callable[[Any], str], select: Callable[[Any], str]) -> Worker:
        w = Worker(lambda _ctl: fn(), name=what)

        def finished(result: Any) -> None:
            self._say(done(result))
            self.refresh(select(result))
            self.modelsChanged.emit(select(result))

        w.returned.connect(finished)
        watch(w, inline=lambda message: self._say(
            self.tr("{what} refused: {message}").format(what=what.capitalize(), message=message), error=True))
        w.start(pool("io"))
        return w

    def rename_to(self, new: str) -> Worker | None:
        from restorer.core.model_store import rename_model

        card = self.current()
        if card is None or card.bundled:
            return None
        old = card.name
        return self._run("rename", lambda: rename_model(old, new), lambda c: f"Renamed {old!r} to {c.name!r}.",
                         lambda c: c.name)

    def delete_current(self) -> Worker | None:
        from restorer.core.model_store import delete_model

        card = self.current()
        if card is None or card.bundled:
            return None
        name = card.name
        return self._run("delete", lambda: delete_model(name), lambda _p: f"Deleted {name!r}.", lambda _p: "")

    def export_to(self, dest: Path) -> Worker | None:
        from restorer.core.model_store import export_model

        card = self.current()
        if card is None:
            return None
        name = card.name
        return self._run("export", lambda: export_model(name, dest, overwrite=True),
                         lambda p: f"Exported {name!r} to {p}.", lambda _p: name)

    def import_from(self, path: Path, name: str | None = None, replace: bool = False) -> Worker:
        from restorer.core.model_store import import_model

        return self._run("import", lambda: import_model(path, name, replace=replace),
                         lambda c: f"Imported {c.name!r}.", lambda c: c.name)

    def rename(self) -> None:
        card = self.current()
        if card is None or card.bundled:
            return
        new, ok = QInputDialog.getText(self, self.tr("Rename model"), self.tr("New name:"), text=card.name)
        if ok and new.strip() and new.strip() != card.name:
            self.rename_to(new.strip())

    def delete(self) -> None:
        card = self.current()
        if card is None or card.bundled:
            return
        answer = QMessageBox.question(self, self.tr("Delete model"), self.tr(
            "Delete your model {name}? This cannot be undone.").format(name=repr(card.name)))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_current()

    def export(self) -> None:
        card = self.current()
        if card is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export model"), f"{card.name}{EXTENSION}",
                                              self.tr("Restorer models (*{EXTENSION})").format(EXTENSION=EXTENSION))
        if path:
            self.export_to(Path(path) if path.endswith(EXTENSION) else Path(path + EXTENSION))

    def import_(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import model"), "", self.tr(
            "Restorer models (*{EXTENSION});;All files (*)").format(EXTENSION=EXTENSION))
        if path:
            self.import_from(Path(path))

    def open_folder(self) -> None:
        open_models_folder()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c0392b;" if error else "")


def open_models_folder() -> bool:
    """Show the user models folder in the file manager (created first, so there is something to open)."""
    from restorer.core.model_store import open_folder_path

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(open_folder_path())))


class ToolsEntries:
    """The main window's Tools entries of this module and the reference dialog, and the dialogs they open.

    Kept outside the window class (one call adds them) so the window's module keeps only its own behaviour.
    The window must offer ``doc`` (the open photo, with ``path``), ``current_card()`` and ``refresh_models``.
    """

    def __init__(self, win: Any) -> None:
        self.win = win
        self.reference_dialog: Any = None
        self.manager: ModelManager | None = None

    def show_reference(self) -> None:
        from restorer.gui.reference_dialog import ReferenceDialog

        if self.reference_dialog is None:
            self.reference_dialog = ReferenceDialog(self.win)
            self.reference_dialog.modelKept.connect(lambda name: self.win.refresh_models(select=name))
            # Quitting ends a run still learning and removes its folder (the child has no use without the app).
            QCoreApplication.instance().aboutToQuit.connect(self._shutdown)
        doc = getattr(self.win, "doc", None)
        card = self.win.current_card()
        # A reference head sits on a collection-trained model, never on another reference model.
        base = card.name if card is not None and getattr(card, "kind", "") != "reference" else "default"
        self.reference_dialog.set_target(doc.path if doc is not None else None, base)
        self.reference_dialog.show()
        self.reference_dialog.raise_()

    def _shutdown(self) -> None:
        try:
            if self.reference_dialog is not None:
                self.reference_dialog.shutdown()
        except RuntimeError:  # the dialog's C++ side is already gone with the window: its QProcess was killed
            pass

    def show_manager(self) -> None:
        if self.manager is None:
            self.manager = ModelManager(self.win)
            self.manager.modelsChanged.connect(lambda name: self.win.refresh_models(select=name or None))
        self.manager.set_cards(self.win.cards)
        self.manager.show()
        self.manager.raise_()


def add_tools_entries(win: Any, menu: Any) -> ToolsEntries:
    """Add 'Colour like a reference photo…', 'Manage models…' and 'Open models folder' to ``menu``."""
    tools = win.tools_entries = ToolsEntries(win)
    a = menu.addAction(QCoreApplication.translate("ModelManager", "Colour like a &reference photo…"),
                       tools.show_reference)
    a.setStatusTip(QCoreApplication.translate("ModelManager", "Learn the colours of one colour photo (a few minutes) "
                                                              "and colour the open photo like it"))
    win.act_reference = a
    menu.addSeparator()
    win.act_manage_models = menu.addAction(QCoreApplication.translate("ModelManager", "&Manage models…"),
                                           tools.show_manager)
    win.act_manage_models.setStatusTip(QCoreApplication.translate(
        "ModelManager", "Your models and the shipped ones: details, rename, delete, export, import"))
    win.act_models_folder = menu.addAction(QCoreApplication.translate("ModelManager", "Open models &folder"),
                                           open_models_folder)
    return tools
