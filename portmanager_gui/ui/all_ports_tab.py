"""The All ports tab: every listener of the machine grouped by process, searchable, sortable.

A tree (``listener_tree_model``): each process with its ports, addresses, containers and
registry services on one row, its listeners below. Kill acts on the selected process (or
the holder of the selected port); for a port a container publishes it offers to stop the
container instead. Add to registry takes the selected port. System processes are hidden
unless asked for. The tab says when it is shown or hidden (``shown``): the machine-wide
scan only runs while somebody looks.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.listener_groups import (
    GroupsUpdate,
    ProcessGroup,
    ViewSpec,
)
from ..core.occupancy.listeners import Listener
from ..core.occupancy.recognition import Kind
from .listener_tree_model import (
    COL_ADDR,
    COL_CONTAINER,
    COL_PID,
    COL_PORT,
    COL_PROCESS,
    COL_PROTO,
    COL_SERVICE,
    COL_UPTIME,
    COL_USER,
    COL_WHAT,
    ROW_ROLE,
    ListenerTreeModel,
)

_COLUMN_SAMPLES = {COL_PROCESS: "llama-server--", COL_WHAT: "llama-server (qwen2.5-7b-instr", COL_PID: "4194304",
                   COL_USER: "username", COL_PORT: "65535, 65535 +9 more", COL_PROTO: "tcp, udp",
                   COL_ADDR: "127.0.0.1, ::1, 0.0.0.0", COL_CONTAINER: "container-name", COL_SERVICE: "large-models/model1",
                   COL_UPTIME: "23h 59m"}


def kill_target(row: ProcessGroup | Listener | None) -> tuple[str, Listener | None]:
    """What Kill does for the selected row: ("kill" | "stop" | "", the listener to act on).

    A process acts through one of its ports (the kill plan shows every holder of it); a
    container's port stops the container; a forwarder holding the ports of several
    containers needs one of its ports chosen.
    """
    if row is None:
        return "", None
    if isinstance(row, ProcessGroup):
        if row.holder is None or not row.listeners:
            return "", None
        if row.kind is Kind.CONTAINER_PROXY:
            named = {r.container for r in row.listeners}
            if len(named) != 1:
                return "", None
        row = row.listeners[0]
    if row.holder is None:
        return "", None
    return ("stop" if row.container else "kill"), row


def add_target(row: ProcessGroup | Listener | None) -> Listener | None:
    """The listener Add to registry takes: the selected port, or a process's only port."""
    if isinstance(row, ProcessGroup):
        ports = {r.port for r in row.listeners}
        row = row.listeners[0] if len(ports) == 1 else None
    return row if row is not None and not row.service else None


class ListenerTree(QTreeView):
    """The tree of processes and their listeners, two levels deep.

    "Expand all" (and the ``*`` key) expands every process, never its listeners: Qt's own would
    also mark each listener row expanded -- a persistent index each, which the model then walks
    on every row inserted or removed (5,000 listeners: tens of ms a refresh on the GUI thread).
    """

    def expandAll(self) -> None:
        self.expandToDepth(0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Asterisk:
            index = self.currentIndex()
            top = index.parent() if index.parent().isValid() else index
            if top.isValid():
                self.expand(top.siblingAtColumn(0))
            event.accept()
            return
        super().keyPressEvent(event)


class AllPortsTab(QWidget):
    kill_requested = Signal(int)            # port
    stop_container_requested = Signal(object)   # Listener whose container should stop
    add_requested = Signal(object)          # Listener
    shown = Signal(bool)                    # the tab became visible (True) or hidden
    spec_changed = Signal(object)           # ViewSpec: sort, search or "hide system" changed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = ViewSpec()
        self.model = ListenerTreeModel(self)
        self.model.sort_requested.connect(lambda column, desc: self._set_spec(column=column, descending=desc))
        self.table = ListenerTree()
        self.table.setModel(self.model)
        self.table.setUniformRowHeights(True)        # no per-row size questions on 5,000 rows
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)   # Qt's items: read only
        self.table.header().setSortIndicator(COL_PROCESS, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.header().setStretchLastSection(True)
        self._size_columns()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search every port: process, port, label, user, command...")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self._set_spec(search=text.strip().lower()))
        self.hide_system = QCheckBox("Hide system processes")
        self.hide_system.setChecked(True)
        self.hide_system.toggled.connect(lambda on: self._set_spec(show_system=not on))
        self.kill_button = QPushButton("Kill holder...")
        self.add_button = QPushButton("Add to registry...")
        self.kill_button.clicked.connect(self._kill)
        self.add_button.clicked.connect(self._add)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.hide_system)
        top.addWidget(self.kill_button)
        top.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._update_buttons()

    def _size_columns(self) -> None:
        """Wide enough for what a column usually holds (Qt's default cuts "llama-server (qwen...)"),
        measured with the view's font, not asked of 5,000 cells."""
        metrics = self.table.fontMetrics()
        indent = 2 * self.table.indentation()
        for col, text in _COLUMN_SAMPLES.items():
            extra = indent if col == COL_PROCESS else 0
            self.table.header().resizeSection(col, metrics.horizontalAdvance(text) + 16 + extra)

    def apply(self, update: GroupsUpdate) -> int:
        changed = self.model.apply(update)
        if changed:
            if self.spec.search and len(update.groups) <= 20:
                self.table.expandAll()      # show which of a process's ports matched the search
            self._update_buttons()
        return changed

    def _set_spec(self, **change) -> None:
        spec = replace(self.spec, **change)
        if spec != self.spec:
            self.spec = spec
            self.spec_changed.emit(spec)

    def selected(self) -> ProcessGroup | Listener | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def select_port(self, port: int) -> bool:
        """Select the listener row of ``port`` (its process expanded)."""
        for g in range(self.model.rowCount()):
            parent = self.model.index(g, 0)
            for r in range(self.model.rowCount(parent)):
                index = self.model.index(r, 0, parent)
                if index.data(ROW_ROLE).port == port:
                    self.table.expand(parent)
                    self.table.setCurrentIndex(index)
                    return True
        return False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.shown.emit(False)

    def _update_buttons(self) -> None:
        row = self.selected()
        action, target = kill_target(row)
        self.kill_button.setEnabled(target is not None)
        if action == "stop" and target is not None:
            self.kill_button.setText(f"Stop container {target.container}...")
        else:
            self.kill_button.setText("Kill holder...")
        self.kill_button.setToolTip("This process forwards the ports of several containers: select one of its "
                                    "ports to stop that container" if row is not None and target is None
                                    and isinstance(row, ProcessGroup) and row.kind is Kind.CONTAINER_PROXY else "")
        self.add_button.setEnabled(add_target(row) is not None)

    def _kill(self) -> None:
        action, target = kill_target(self.selected())
        if action == "stop":
            self.stop_container_requested.emit(target)
        elif action == "kill" and target is not None:
            self.kill_requested.emit(target.port)

    def _add(self) -> None:
        target = add_target(self.selected())
        if target is not None:
            self.add_requested.emit(target)
