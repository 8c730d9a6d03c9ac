"""Editing a model group: name, start port, size and members, with a live preview.

Every change runs ``core.edits.preview_group``: the table shows the port each member
would get (the planner's sticky allocation), the list below every conflict (lint findings,
ports held right now). Errors disable Save. A new group is edited the same way.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.snapshot import Snapshot
from ..core.platform.facts import PlatformFacts
from ..core.registry.edit_checks import GroupPreview, preview_group
from ..core.registry.model import DEFAULT_GROUP_SIZE, UNGROUPED, Registry

_Index = QModelIndex | QPersistentModelIndex


class AssignmentModel(QAbstractTableModel):
    """(model, port) pairs of a group preview."""

    HEADERS = ("Model", "Port")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: tuple[tuple[str, int], ...] = ()

    def set_assignment(self, rows: Sequence[tuple[str, int]]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 2:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._rows[index.row()][index.column()]
            return str(value)
        return None


class GroupEditor(QWidget):
    edited = Signal()
    save_requested = Signal(object, str)   # new Registry, the group's old name ("" when new)

    def __init__(self, parent: QWidget | None = None, facts: PlatformFacts | None = None):
        super().__init__(parent)
        # Until the OS facts arrive (read off the GUI thread), lint without OS-specific rules.
        self._facts = facts or PlatformFacts(os_name="")
        self._registry: Registry | None = None
        self._snapshot: Snapshot | None = None
        self._allocations: Mapping[str, Mapping[str, int]] = {}
        self._original = ""          # the group being edited as saved; "" for a new group
        self._loading = False
        self._active = False
        self.preview: GroupPreview | None = None

        self.name = QLineEdit()
        self.start = QSpinBox()
        self.start.setRange(1, 65535)
        self.size = QSpinBox()
        self.size.setRange(1, 65535)
        for spin in (self.start, self.size):
            spin.setMaximumWidth(140)
        self.name.setMaximumWidth(320)
        self.range_label = QLabel()
        self.members = QListWidget()
        self.members.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.members.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                     | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.members.setMaximumHeight(120)
        self.add_member_button = QPushButton("Add model")
        self.remove_member_button = QPushButton("Remove model")
        self.assignment = AssignmentModel(self)
        self.table = QTableView()
        self.table.setModel(self.assignment)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(150)
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setTextFormat(Qt.TextFormat.PlainText)
        self.revert_button = QPushButton("Revert")
        self.save_button = QPushButton("Save")

        for signal in (self.name.textChanged, self.start.valueChanged, self.size.valueChanged,
                       self.members.itemChanged, self.members.model().rowsMoved):
            signal.connect(self._revalidate)
        self.add_member_button.clicked.connect(lambda: self.add_member(""))
        self.remove_member_button.clicked.connect(self.remove_selected_member)
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self._save)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Start port", self.start)
        form.addRow("Size", self.size)
        form.addRow("Range", self.range_label)
        member_buttons = QVBoxLayout()
        member_buttons.addWidget(self.add_member_button)
        member_buttons.addWidget(self.remove_member_button)
        member_buttons.addStretch(1)
        member_row = QHBoxLayout()
        member_row.addWidget(self.members, 1)
        member_row.addLayout(member_buttons)
        form.addRow("Members", member_row)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Ports the members will get:"))
        layout.addWidget(self.table)
        layout.addWidget(self.messages)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self.setEnabled(False)

    def set_context(self, registry: Registry | None, snapshot: Snapshot | None,
                    allocations: Mapping[str, Mapping[str, int]]) -> None:
        self._registry, self._snapshot, self._allocations = registry, snapshot, allocations
        if registry is not None and self._original and registry.pool(self._original) is None:
            self.load("")
        else:
            self._revalidate()

    def load(self, name: str) -> None:
        """Edit the saved group ``name``."""
        group = self._registry.pool(name) if self._registry and name else None
        self._original = name if group else ""
        self._set_active(group is not None)
        self.name.setReadOnly(name == UNGROUPED)
        self._fill(name if group else "", group.start_port if group else 8400,
                   group.size if group else DEFAULT_GROUP_SIZE, group.members if group else ())

    def new_group(self, start: int) -> None:
        self._original = ""
        self._set_active(True)
        self.name.setReadOnly(False)
        self._fill("new-group", start, DEFAULT_GROUP_SIZE, ())
        self.name.setFocus()
        self.name.selectAll()

    def _set_active(self, active: bool) -> None:
        self._active = active
        self.setEnabled(active)

    @property
    def original(self) -> str:
        return self._original

    def _fill(self, name: str, start: int, size: int, members: Sequence[str]) -> None:
        self._loading = True
        self.name.setText(name)
        self.start.setValue(start)
        self.size.setValue(size)
        self.members.clear()
        for m in members:
            self._append_member(m)
        self._loading = False
        self._revalidate()

    def _append_member(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags((item.flags() | Qt.ItemFlag.ItemIsEditable) & ~Qt.ItemFlag.ItemIsDropEnabled)
        self.members.addItem(item)
        return item

    def add_member(self, text: str) -> None:
        item = self._append_member(text or f"model{self.members.count() + 1}")
        self.members.setCurrentItem(item)
        if not text and self.isVisible():
            self.members.editItem(item)
        self._revalidate()

    def remove_selected_member(self) -> None:
        row = self.members.currentRow()
        if row >= 0:
            self.members.takeItem(row)
            self._revalidate()

    def member_texts(self) -> list[str]:
        return [self.members.item(i).text() for i in range(self.members.count())]

    def is_dirty(self) -> bool:
        if self._registry is None or not self._active:
            return False
        group = self._registry.pool(self._original) if self._original else None
        if group is None:
            return True
        return (self.name.text().strip(), self.start.value(), self.size.value(),
                tuple(m.strip() for m in self.member_texts())) != (
                group.name, group.start_port, group.size, group.members)

    def revert(self) -> None:
        self.load(self._original)
        self.edited.emit()

    def _save(self) -> None:
        if self.preview is None or not self.preview.ok or self._registry is None:
            return
        reg = self._registry
        if self._original and self._original != self.preview.group.name and self._original in reg.groups:
            reg = reg.without_group(self._original)
        self.save_requested.emit(reg.with_group(self.preview.group), self._original)

    def set_facts(self, facts: PlatformFacts) -> None:
        self._facts = facts
        self._revalidate()

    def _revalidate(self, *_: object) -> None:
        if self._loading:
            return
        start, size = self.start.value(), self.size.value()
        self.range_label.setText(f"{start}-{start + size - 1}")
        if self._registry is None or not self._active:
            self.preview = None
            self.assignment.set_assignment(())
            self.save_button.setEnabled(False)
            return
        self.preview = preview_group(self._registry, self.name.text(), start, size, self.member_texts(),
                                     self._snapshot, self._allocations, self._facts,
                                     original_name=self._original or None)
        self.assignment.set_assignment(self.preview.assignment)
        lines = [f"Error: {e}" for e in self.preview.errors] + [f"Conflict: {c}" for c in self.preview.conflicts]
        self.messages.setText("\n".join(lines) if lines else "No conflicts.")
        self.messages.setStyleSheet("color: #b03a2e;" if self.preview.errors else
                                    "color: #9a6700;" if self.preview.conflicts else "")
        dirty = self.is_dirty()
        self.save_button.setEnabled(self.preview.ok and dirty)
        self.revert_button.setEnabled(dirty and bool(self._original))
        self.edited.emit()
