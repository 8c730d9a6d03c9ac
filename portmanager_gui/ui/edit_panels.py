"""The Services and Groups tabs: a list on the left, an editor on the right, add and remove.

Panels never save: they emit ``save_requested(Registry)`` with the new value and the app
hands it to the registry store. ``confirm(title, text) -> bool`` is passed in so tests
answer "discard edits?" / "remove?" themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.snapshot import Snapshot
from ..core.platform.facts import PlatformFacts
from ..core.ports.selection import ModelSlot
from ..core.registry.edit_checks import parse_port
from ..core.registry.model import UNGROUPED, Registry, Service
from .group_editor import GroupEditor
from .port_list_editor import PortListEditor

Confirm = Callable[[str, str], bool]


def _side(list_widget: QListWidget, *rows: QWidget | QHBoxLayout) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(list_widget, 1)
    for r in rows:
        layout.addLayout(r) if isinstance(r, QHBoxLayout) else layout.addWidget(r)
    return box


LIST_STYLE = "QListWidget::item { padding: 3px 4px; }"


class _Panel(QWidget):
    save_requested = Signal(object)      # Registry
    dirty_changed = Signal(bool)

    def __init__(self, confirm: Confirm, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet(LIST_STYLE)
        self._confirm = confirm
        self._registry: Registry | None = None
        self._dirty = False
        self._selecting = False
        self.names = QListWidget()
        self.names.currentTextChanged.connect(self._on_pick)

    def _names(self) -> list[str]:
        raise NotImplementedError

    def _editor_dirty(self) -> bool:
        raise NotImplementedError

    def _load(self, name: str) -> None:
        raise NotImplementedError

    def current(self) -> str:
        item = self.names.currentItem()
        return item.text() if item else ""

    def select(self, name: str) -> None:
        matches = [i for i in range(self.names.count()) if self.names.item(i).text() == name]
        if matches:
            self.names.setCurrentRow(matches[0])

    def _refill(self, keep: str) -> None:
        self._selecting = True
        self.names.clear()
        self.names.addItems(self._names())
        self._selecting = False
        names = self._names()
        if keep in names:
            self._selecting = True
            self.select(keep)
            self._selecting = False
        elif names:
            self.names.setCurrentRow(0)

    def _on_pick(self, name: str) -> None:
        if self._selecting or not name:
            return
        if self._editor_dirty() and not self._confirm("Discard unsaved edits?",
                                                      "You have unsaved port edits. Discard them?"):
            return
        self._load(name)

    def _update_dirty(self) -> None:
        dirty = self._editor_dirty()
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    @property
    def dirty(self) -> bool:
        return self._dirty


class ServicesPanel(_Panel):
    def __init__(self, confirm: Confirm, parent: QWidget | None = None):
        super().__init__(confirm, parent)
        self._pending_select = ""           # a service just added: show it once it is saved
        self.editor = PortListEditor()
        self.editor.edited.connect(self._update_dirty)
        self.editor.save_requested.connect(self._save_ports)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("new service name")
        self.new_port = QLineEdit()
        self.new_port.setPlaceholderText("port")
        self.new_port.setMaximumWidth(70)
        self.add_button = QPushButton("Add service")
        self.remove_button = QPushButton("Remove service")
        self.add_error = QLabel()
        self.add_error.setWordWrap(True)
        self.add_error.setStyleSheet("color: #b03a2e;")
        self.add_button.clicked.connect(self.add_service)
        self.remove_button.clicked.connect(self.remove_current)
        new_row = QHBoxLayout()
        new_row.addWidget(self.new_name, 1)
        new_row.addWidget(self.new_port)
        new_row.addWidget(self.add_button)
        split = QSplitter()
        split.addWidget(_side(self.names, new_row, self.add_error, self.remove_button))
        split.addWidget(self.editor)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 520])
        QVBoxLayout(self).addWidget(split)

    def _names(self) -> list[str]:
        return list(self._registry.services) if self._registry else []

    def _editor_dirty(self) -> bool:
        return self.editor.is_dirty()

    def _load(self, name: str) -> None:
        self.editor.load(name)

    def set_context(self, registry: Registry | None, snapshot: Snapshot | None, slots: Sequence[ModelSlot],
                    own_pids: frozenset[int] = frozenset()) -> None:
        changed = registry is not self._registry
        self._registry = registry
        self.editor.set_context(registry, snapshot, slots, own_pids)
        if changed:
            keep = self._pending_select if registry and self._pending_select in registry.services \
                else self.current() or self.editor.service
            self._pending_select = ""
            self._refill(keep)
            if self.current() and (self.editor.service != self.current() or not self.editor.is_dirty()):
                self.editor.load(self.current())
        self._update_dirty()

    def _save_ports(self, service: str, ports: tuple[int, ...]) -> None:
        if self._registry is not None:
            self.save_requested.emit(self._registry.with_service_ports(service, ports))

    def add_service(self) -> bool:
        name, port = self.new_name.text().strip(), parse_port(self.new_port.text())
        error = ""
        if self._registry is None:
            error = "the registry is not loaded"
        elif not name or not all(c.isalnum() or c in "._-" for c in name) or not name[0].isalnum():
            error = "a service name is letters, digits, '.', '_' or '-'"
        elif name in self._registry.services or name in self._registry.groups or name == UNGROUPED:
            error = f"{name!r} already exists in the registry"
        elif port is None:
            error = "type the service's preferred port (1-65535)"
        self.add_error.setText(error)
        if error:
            return False
        self.new_name.clear()
        self.new_port.clear()
        self.save_requested.emit(self._registry.with_service(Service(name=name, ports=(port,))))
        self._pending_select = name
        return True

    def remove_current(self) -> bool:
        name = self.current()
        if not name or self._registry is None:
            return False
        if not self._confirm(f"Remove {name}?", f"Remove the service {name} and its ports from the registry?"):
            return False
        self.save_requested.emit(self._registry.without_service(name))
        return True


class GroupsPanel(_Panel):
    def __init__(self, confirm: Confirm, facts: PlatformFacts | None = None, parent: QWidget | None = None):
        super().__init__(confirm, parent)
        self._pending_select = ""           # the group just saved: show it once the registry has it
        self.editor = GroupEditor(facts=facts)
        self.editor.edited.connect(self._update_dirty)
        self.editor.save_requested.connect(self._save_group)
        self.new_button = QPushButton("New group")
        self.remove_button = QPushButton("Remove group")
        self.new_button.clicked.connect(self.new_group)
        self.remove_button.clicked.connect(self.remove_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.remove_button)
        split = QSplitter()
        split.addWidget(_side(self.names, buttons))
        split.addWidget(self.editor)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 520])
        QVBoxLayout(self).addWidget(split)
        self.names.currentTextChanged.connect(
            lambda name: self.remove_button.setEnabled(bool(name) and name != UNGROUPED))

    def _names(self) -> list[str]:
        return [g.name for g in self._registry.pools()] if self._registry else []

    def _editor_dirty(self) -> bool:
        return self.editor.is_dirty()

    def _load(self, name: str) -> None:
        self.editor.load(name)

    def set_context(self, registry: Registry | None, snapshot: Snapshot | None,
                    allocations: Mapping[str, Mapping[str, int]]) -> None:
        changed = registry is not self._registry
        self._registry = registry
        self.editor.set_context(registry, snapshot, allocations)
        if changed:
            pending = self._pending_select if registry and registry.pool(self._pending_select) else ""
            self._pending_select = ""
            self._refill(pending or self.editor.original or self.current())
            if pending or (self.current() and not self._editor_dirty()):
                self.editor.load(self.current())
        self._update_dirty()

    def _save_group(self, registry: Registry, _old: str) -> None:
        self._pending_select = self.editor.name.text().strip()
        self.save_requested.emit(registry)

    def new_group(self) -> None:
        if self._registry is None:
            return
        if self._editor_dirty() and not self._confirm("Discard unsaved edits?",
                                                      "You have unsaved group edits. Discard them?"):
            return
        end = max(g.end_port for g in self._registry.pools())
        start = ((end + 1 + 99) // 100) * 100
        self.editor.new_group(start if start + 99 <= 65535 else 8400)
        self._update_dirty()

    def remove_current(self) -> bool:
        name = self.current()
        if not name or name == UNGROUPED or self._registry is None:
            return False
        if not self._confirm(f"Remove {name}?", f"Remove the group {name} and its model servers from the registry?"):
            return False
        self.save_requested.emit(self._registry.without_group(name))
        return True
