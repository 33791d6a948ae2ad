"""A non-modal error banner for batch problems: one line per file and its reason, dismissable."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ErrorBanner(QFrame):
    """Shows problems that must not interrupt the user with a dialog per file (batch loads, Save all)."""

    MAX_LINES = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Fixed colours on purpose: a warning must look like one in the light and in the dark theme.
        self.setStyleSheet("#errorBanner { background: #fbe3d6; border: 1px solid #d9825b; }"
                           "#errorBanner QLabel { color: #5a1e05; }")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton(self.tr("Dismiss"))
        close.clicked.connect(self.clear)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label, 1)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.entries: list[tuple[str, str]] = []
        self.title = ""
        self.hide()

    def show_problems(self, title: str, problems: list[tuple[Path | str, str]]) -> None:
        """Replace the banner's content by ``title`` and each (file, reason)."""
        self.title = title
        self.entries = [(str(p), r) for p, r in problems]
        self._render()

    def add_problem(self, title: str, path: Path | str, reason: str) -> None:
        """Append one problem (the title is updated); used while a folder loads file by file."""
        self.title = title
        self.entries.append((str(path), reason))
        self._render()

    def clear(self) -> None:
        self.entries = []
        self.hide()

    def _render(self) -> None:
        if not self.entries:
            self.hide()
            return
        lines = [f"<b>{html.escape(self.title)}</b>"]
        for p, r in self.entries[: self.MAX_LINES]:
            name = Path(p).name
            # The core's messages usually start with the file name already; do not say it twice.
            text = r if r.startswith(name) else f"{name}: {r}"
            lines.append(html.escape(text))
        if len(self.entries) > self.MAX_LINES:
            lines.append(f"… and {len(self.entries) - self.MAX_LINES} more")
        self.label.setText("<br>".join(lines))
        self.label.setToolTip("\n".join(f"{p}: {r}" for p, r in self.entries))
        self.show()
