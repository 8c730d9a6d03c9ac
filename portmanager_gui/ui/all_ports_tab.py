"""The All ports tab: every listener of the machine, searchable, with kill and add-to-registry.

Rows are ``Listener`` values (``core.occupancy.listeners``) made on the scanner's worker
thread. ``set_rows`` updates only the rows that differ when the same listeners come back,
and highlights new or changed rows for a moment, like the Ports tab. System processes are
hidden unless asked for.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.listeners import Listener
from ..core.port_rows import format_uptime
from .icons import HIGHLIGHT
from .row_table_model import RowTableModel

COLUMNS = ("Process", "What", "PID", "User", "Port", "Proto", "Addresses", "Container", "Service", "Uptime",
           "Command line")
(COL_PROCESS, COL_WHAT, COL_PID, COL_USER, COL_PORT, COL_PROTO, COL_ADDR, COL_CONTAINER, COL_SERVICE,
 COL_UPTIME, COL_CMD) = range(len(COLUMNS))
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
HIGHLIGHT_S = 1.5

_Index = QModelIndex | QPersistentModelIndex


def _text(r: Listener, col: int, now: float) -> str:
    h = r.holder
    if col == COL_PROCESS:
        return r.name or "(cannot be seen)"
    if col == COL_WHAT:
        return r.label
    if col == COL_PID:
        return str(r.pid) if r.pid is not None else ""
    if col == COL_USER:
        return r.user
    if col == COL_PORT:
        return str(r.port)
    if col == COL_PROTO:
        return r.protocol.value
    if col == COL_ADDR:
        return ", ".join(r.addresses)
    if col == COL_CONTAINER:
        return r.container
    if col == COL_SERVICE:
        return r.service
    if col == COL_UPTIME:
        return format_uptime(now - h.create_time) if h and h.create_time else ""
    if col == COL_CMD:
        return " ".join(h.cmdline) if h else r.note
    return ""


class ListenerModel(RowTableModel):
    COLUMNS = COLUMNS
    def __init__(self, parent: QObject | None = None, clock=time.monotonic, wall=time.time):
        super().__init__(parent)
        self._rows: list[Listener] = []
        self._given: object = None
        self._clock, self._wall = clock, wall
        self._highlight: dict[tuple, float] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expire)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(r, col, self._wall())
        if role == SORT_ROLE:
            if col == COL_PORT:
                return r.port
            if col == COL_PID:
                return r.pid if r.pid is not None else -1
            if col == COL_UPTIME:
                return -(r.holder.create_time or 0.0) if r.holder else 0.0
            if col in (COL_PROCESS, COL_WHAT):
                return f"{r.what.lower()}\0{r.pid or 0:010d}\0{r.port:05d}"   # grouped by process
            return _text(r, col, 0.0)
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.ToolTipRole:
            return (r.note or "") + ("" if r.holder is None else " ".join(r.holder.cmdline))
        if role == Qt.ItemDataRole.BackgroundRole and r.key in self._highlight:
            return QBrush(HIGHLIGHT)
        return None

    @property
    def rows(self) -> tuple[Listener, ...]:
        return tuple(self._rows)

    def set_rows(self, rows: Sequence[Listener]) -> int:
        """Show ``rows``; returns how many rows were updated in place (-1 for a reset)."""
        if rows is self._given:
            return 0                # the scanner's unchanged answer: nothing to compare
        self._given = rows
        rows = list(rows)
        old = {r.key: r for r in self._rows}
        now = self._clock()
        if old:
            for r in rows:
                if old.get(r.key) != r:
                    self._highlight[r.key] = now + HIGHLIGHT_S
        if [r.key for r in rows] != [r.key for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            keys = {r.key for r in rows}
            self._highlight = {k: t for k, t in self._highlight.items() if k in keys}
            self.endResetModel()
            self._arm()
            return -1
        changed = [i for i, (a, b) in enumerate(zip(self._rows, rows)) if a != b]
        self._rows = rows
        for i in changed:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        self._arm()
        return len(changed)

    def highlighted(self) -> set[tuple]:
        return set(self._highlight)

    def _arm(self) -> None:
        if self._highlight:
            self._timer.start(max(0, int((min(self._highlight.values()) - self._clock()) * 1000)) + 10)

    def _expire(self) -> None:
        now = self._clock()
        done = {k for k, t in self._highlight.items() if t <= now}
        self._highlight = {k: t for k, t in self._highlight.items() if k not in done}
        for i, r in enumerate(self._rows):
            if r.key in done:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        self._arm()


class ListenerFilter(QSortFilterProxyModel):
    """Search over every column; system processes hidden unless ``show_system``."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(SORT_ROLE)
        self.show_system = False

    def set_show_system(self, show: bool) -> None:
        if not hasattr(self, "beginFilterChange"):      # Qt < 6.9 (pyproject allows 6.6)
            self.show_system = show
            self.invalidateFilter()
            return
        self.beginFilterChange()
        self.show_system = show
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        row = self.sourceModel().index(source_row, 0, source_parent).data(ROW_ROLE)
        if row is not None and row.system and not self.show_system:
            return False
        return super().filterAcceptsRow(source_row, source_parent)


class AllPortsTab(QWidget):
    kill_requested = Signal(int)            # port
    add_requested = Signal(object)          # Listener

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = ListenerModel(self)
        self.proxy = ListenerFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_PROCESS, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search every port: process, port, label, user, command...")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.hide_system = QCheckBox("Hide system processes")
        self.hide_system.setChecked(True)
        self.hide_system.toggled.connect(lambda on: self.proxy.set_show_system(not on))
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

    def set_rows(self, rows: Sequence[Listener]) -> int:
        changed = self.model.set_rows(rows)
        self._update_buttons()
        return changed

    def selected(self) -> Listener | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def select_port(self, port: int) -> bool:
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 0).data(ROW_ROLE).port == port:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        row = self.selected()
        self.kill_button.setEnabled(row is not None)
        self.add_button.setEnabled(row is not None and not row.service)

    def _kill(self) -> None:
        row = self.selected()
        if row is not None:
            self.kill_requested.emit(row.port)

    def _add(self) -> None:
        row = self.selected()
        if row is not None and not row.service:
            self.add_requested.emit(row)
