"""Editing one service's ordered ports (preferred first, then fallbacks).

Entries are edited in place, added, removed and reordered by drag (or the arrow buttons);
each change is checked at once by ``core.edits.check_port_list`` against the registry and
the latest snapshot: not a port, duplicates, ports of other services, ports held right now.
Errors disable Save; warnings are shown but allowed.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.snapshot import Snapshot
from ..core.ports.selection import ModelSlot
from ..core.registry.edit_checks import PortListCheck, check_port_list
from ..core.registry.model import Registry

ERROR_BG = QColor("#f8d3d1")
WARN_BG = QColor("#fdf1cf")


def _messages_html(check: PortListCheck) -> str:
    """Errors in red (they block Save), warnings in amber (shown, allowed)."""
    lines = [f'<span style="color:#b03a2e">Error: {html.escape(m)}</span>' for m in check.errors]
    for e in check.entries:
        label = html.escape(e.text or "(empty)")
        lines += [f'<span style="color:#b03a2e">Error - {label}: {html.escape(m)}</span>' for m in e.errors]
        lines += [f'<span style="color:#8a6100">Note - {label}: {html.escape(m)}</span>' for m in e.warnings]
    return "<br>".join(lines) if lines else '<span style="color:#2e7d32">All ports look fine.</span>'


class PortListEditor(QWidget):
    edited = Signal()                    # the list differs from the registry (or not any more)
    save_requested = Signal(str, tuple)  # service, ports

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._registry: Registry | None = None
        self._service = ""
        self._snapshot: Snapshot | None = None
        self._slots: Sequence[ModelSlot] = ()
        self._own_pids: frozenset[int] = frozenset()
        self._loading = False
        self.check: PortListCheck | None = None

        self.title = QLabel()
        self.title.setWordWrap(True)
        self.hint = QLabel("First port is preferred; the others are fallbacks, tried in order. "
                           "Double-click to edit, drag to reorder.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.list.itemChanged.connect(self._revalidate)
        self.list.model().rowsMoved.connect(self._revalidate)
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setTextFormat(Qt.TextFormat.RichText)

        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.revert_button = QPushButton("Revert")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.add_button.clicked.connect(lambda: self.add_entry())   # not clicked(bool) as the text
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self._save)

        side = QVBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            side.addWidget(b)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 1)
        middle.addLayout(side)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addLayout(middle, 1)
        layout.addWidget(self.messages)
        layout.addLayout(bottom)
        self.setEnabled(False)

    # -- inputs ---------------------------------------------------------------------
    def set_context(self, registry: Registry | None, snapshot: Snapshot | None, slots: Sequence[ModelSlot],
                    own_pids: frozenset[int] = frozenset()) -> None:
        """New registry / snapshot: keep the typed entries, check them again."""
        self._registry, self._snapshot, self._slots, self._own_pids = registry, snapshot, slots, own_pids
        if registry is not None and self._service and self._service not in registry.services:
            self.load("")
        else:
            self._revalidate()

    def load(self, service: str) -> None:
        """Show ``service``'s ports as saved in the registry (drops unsaved entries)."""
        self._service = service
        svc = self._registry.services.get(service) if self._registry and service else None
        self._loading = True
        self.list.clear()
        for port in svc.ports if svc else ():
            self._append(str(port))
        self._loading = False
        self.setEnabled(svc is not None)
        desc = f" - {svc.description}" if svc and svc.description else ""
        self.title.setText(f"<b>{service}</b>{desc}" if svc else "Choose a service")
        self._revalidate()

    @property
    def service(self) -> str:
        return self._service

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def saved_ports(self) -> tuple[int, ...]:
        svc = self._registry.services.get(self._service) if self._registry else None
        return svc.ports if svc else ()

    def is_dirty(self) -> bool:
        return bool(self._service) and [t.strip() for t in self.texts()] != [str(p) for p in self.saved_ports()]

    # -- editing --------------------------------------------------------------------
    def _append(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)   # drop between, never onto, entries
        self.list.addItem(item)
        return item

    def add_entry(self, text: str = "") -> QListWidgetItem:
        item = self._append(text)
        self.list.setCurrentItem(item)
        if not text and self.isVisible():
            self.list.editItem(item)
        self._revalidate()
        return item

    def set_entry(self, row: int, text: str) -> None:
        self.list.item(row).setText(text)

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self._revalidate()

    def move_selected(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._revalidate()

    def revert(self) -> None:
        self.load(self._service)
        self.edited.emit()

    def _save(self) -> None:
        if self.check is not None and self.check.ok and self._service:
            self.save_requested.emit(self._service, self.check.ports)

    def _revalidate(self, *_: object) -> None:
        if self._loading:
            return
        if self._registry is None or not self._service:
            self.check = None
            self.messages.setText("")
            self.save_button.setEnabled(False)
            return
        self.check = check_port_list(self._registry, self._service, self.texts(), self._snapshot,
                                     self._slots, self._own_pids)
        blocker = self.list.blockSignals(True)
        for i, entry in enumerate(self.check.entries):
            item = self.list.item(i)
            role = "preferred" if i == 0 else f"fallback {i}"
            notes = list(entry.errors) + list(entry.warnings)
            item.setToolTip(f"{role}" + (": " + "; ".join(notes) if notes else ""))
            color = ERROR_BG if entry.errors else WARN_BG if entry.warnings else None
            item.setBackground(QBrush(color) if color else QBrush())
        self.list.blockSignals(blocker)
        self.messages.setText(_messages_html(self.check))
        self.save_button.setEnabled(self.check.ok and self.is_dirty())
        self.revert_button.setEnabled(self.is_dirty())
        self.edited.emit()
