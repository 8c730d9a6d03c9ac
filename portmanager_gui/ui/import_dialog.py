"""The import preview: what an import would change, before anything is written.

``preview_text(result)`` builds the words (tests read them); ``ImportDialog`` shows them with
Apply / "Fix start port (8100) and apply" (only when ClaraCore's startPort clashes with its
web UI port) / Cancel and a "Keep this file linked" checkbox. ``ask_import_preview`` and
``ask_import_path`` are the modal functions the app passes to the interop presenter; tests
pass their own and never open a modal loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.interop.changes import ChangeKind

LABELS = {"claracore": "llama-swap / ClaraCore config", "python": "Python port constants",
          "env": ".env file", "compose": "docker compose file"}
_MARKS = {ChangeKind.ADD_SERVICE: "+", ChangeKind.ADD_GROUP: "+"}
FILE_FILTER = ("Port files (*.yaml *.yml *.py *.env .env*);;ClaraCore / llama-swap config (*.yaml *.yml);;"
               "Python (*.py);;dotenv (*.env .env*);;All files (*)")


class ImportAction(str, Enum):
    CANCEL = "cancel"
    APPLY = "apply"
    FIX_AND_APPLY = "fix-and-apply"


@dataclass(frozen=True)
class ImportChoice:
    """What the user chose in the import dialog."""

    action: ImportAction
    link: bool = False


@dataclass(frozen=True)
class ImportPreview:
    """What the import dialog shows: the changes and the findings."""

    title: str
    changes: tuple[str, ...]      # "+ add service rag on port 8602"
    findings: tuple[str, ...]     # "file:line: message Fix: ..."
    clash: str                    # "" or the startPort warning
    fixed_changes: tuple[str, ...] = ()   # the changes once the clash is fixed


def _lines(result: Any) -> tuple[str, ...]:
    return tuple(f"{_MARKS.get(c.kind, '~')} {c.describe()}" for c in result.changes)


def preview_of(result: Any) -> ImportPreview:
    """``result`` is a ``core.interop.result.ImportResult``."""
    label = LABELS.get(result.kind, result.kind)
    clash = str(result.clash) if result.clash is not None else ""
    fixed = _lines(result.with_clash_fixed()) if clash else ()
    return ImportPreview(f"Import {result.source.name} ({label})", _lines(result),
                         tuple(str(f) for f in result.findings), clash, fixed)


class ImportDialog(QDialog):
    def __init__(self, result: Any, can_link: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.preview = preview_of(result)
        self.choice = ImportChoice(ImportAction.CANCEL)
        self.setWindowTitle("Import ports")
        self.resize(620, 420)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{self.preview.title}</b><br>{result.source}")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(QLabel("Changes to the registry:" if self.preview.changes else
                                "No changes: the registry already has these ports."))
        self.changes = QListWidget()
        self.changes.addItems(list(self.preview.changes))
        layout.addWidget(self.changes, 1)
        self.findings = QListWidget()
        self.findings.addItems(list(self.preview.findings))
        self.findings.setVisible(bool(self.preview.findings))
        if self.preview.findings:
            layout.addWidget(QLabel("Notes on the file:"))
        layout.addWidget(self.findings)
        self.clash = QLabel(self.preview.clash)
        self.clash.setWordWrap(True)
        self.clash.setStyleSheet("background:#fde9b8; color:#4d3800; padding:6px;")
        self.clash.setVisible(bool(self.preview.clash))
        layout.addWidget(self.clash)
        self.link = QCheckBox("Keep this file linked (rewrite it on every registry save)")
        self.link.setEnabled(can_link)
        if not can_link:
            self.link.setToolTip(f"Port Manager does not write {LABELS.get(result.kind, result.kind)}s")
        layout.addWidget(self.link)
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.fix_button = QPushButton(f"Fix start port ({result.clash.fix_port}) and apply"
                                      if result.clash is not None else "Fix start port and apply")
        buttons.addButton(self.fix_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.fix_button.setVisible(result.clash is not None)     # after addButton, which shows it
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button.clicked.connect(lambda: self._choose(ImportAction.APPLY))
        self.fix_button.clicked.connect(lambda: self._choose(ImportAction.FIX_AND_APPLY))
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        # Nothing to apply and nothing to link: Apply would do nothing, so it is not offered.
        self._update_apply()
        self.link.toggled.connect(lambda _on: self._update_apply())

    def _update_apply(self) -> None:
        self.apply_button.setEnabled(bool(self.preview.changes) or self.link.isChecked())

    def _choose(self, action: ImportAction) -> None:
        self.choice = ImportChoice(action, self.link.isChecked() and self.link.isEnabled())
        self.accept()

    def reject(self) -> None:
        self.choice = ImportChoice(ImportAction.CANCEL)
        super().reject()


def ask_import_preview(parent: QWidget | None, result: Any, can_link: bool) -> ImportChoice:
    dialog = ImportDialog(result, can_link, parent)
    dialog.exec()
    choice = dialog.choice
    dialog.deleteLater()
    return choice


def ask_import_path(parent: QWidget | None) -> str | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "Import ports from a file", "", FILE_FILTER)
    return path or None
