"""The "Linked files" window: the files kept in step with the registry, and removing one.

It renders the dry-run outcome of each link (``core.interop.sync.LinkOutcome``): in step,
out of step (what the next save writes) or broken (why it cannot be written). Removing a
link only emits ``remove_requested``; the worker edits ``links.json`` and the list comes back.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Kind", "File", "State")
EMPTY = ("No linked files. Import a ClaraCore config, ports_config.py or .env with "
         "\"Keep this file linked\", or use `portmanager export -o FILE --link`.")


def state_text(outcome: Any) -> str:
    """``outcome.status`` is ``sync.Status``: compared by value so the view needs no core import."""
    status = getattr(outcome.status, "value", outcome.status)
    if status == "failed":
        return f"cannot be written: {outcome.error}"
    if status == "written":
        return "out of step; the next save writes: " + "; ".join(outcome.changes)
    return "in step"


class LinksDialog(QDialog):
    remove_requested = Signal(str)        # path
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Linked files")
        self.resize(760, 320)
        self.paths: list[str] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.remove_button = QPushButton("Remove link")
        self.remove_button.setToolTip("Stop updating this file; the file itself is kept")
        self.refresh_button = QPushButton("Check again")
        close = QPushButton("Close")
        self.remove_button.clicked.connect(lambda _c=False: self._remove_selected())
        self.refresh_button.clicked.connect(lambda _c=False: self.refresh_requested.emit())
        close.clicked.connect(self.close)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_links(self, outcomes: Sequence[Any]) -> None:
        self.paths = [str(o.link.path) for o in outcomes]
        self.table.setRowCount(len(outcomes))
        for row, outcome in enumerate(outcomes):
            state = state_text(outcome)
            for col, text in enumerate((outcome.link.kind, str(outcome.link.path), state)):
                item = QTableWidgetItem(text)
                item.setToolTip(state if col == 2 else text)
                if col == 2 and state != "in step":
                    broken = state.startswith("cannot")
                    item.setForeground(Qt.GlobalColor.darkRed if broken else Qt.GlobalColor.darkYellow)
                self.table.setItem(row, col, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.message.setText("" if outcomes else EMPTY)
        self._update_buttons()

    def set_error(self, text: str) -> None:
        self.message.setText(text)

    def state_of(self, path: str) -> str:
        row = self.paths.index(path)
        return self.table.item(row, 2).text()

    def select(self, path: str) -> None:
        self.table.selectRow(self.paths.index(path))

    def _remove_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.remove_requested.emit(self.paths[rows[0].row()])

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
