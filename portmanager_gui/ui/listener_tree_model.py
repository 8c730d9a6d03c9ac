"""The All ports tree: processes at the top, their listeners below, updated row by row.

``ListenerTreeModel.apply`` takes a ``GroupsUpdate`` (made on the scanner's worker thread,
``core.occupancy.listener_groups``) and replays its few row operations -- insert and remove
rows, ``dataChanged`` -- so a refresh of 5,000 listeners where little changed costs the GUI
thread work in proportion to the change, not to the table. An update made for another
version than the one shown resets the model. There is no sort/filter proxy: a
``QSortFilterProxyModel`` over a Python model calls Python twice per comparison, which for
5,000 rows stalled the GUI for a second; the worker sorts and filters instead (``sort`` asks
it to, through ``sort_requested``).

The tree's shape lives in Qt's own ``QStandardItemModel`` (an empty item per row), its texts
here: after each row inserted or removed the view lays out every expanded row again, asking
the model for each row's index and children -- 10,000 calls from C++ into Python for 5,000
listeners (~20 ms), none at all when Qt answers itself. A paint asks Python once per visible
cell (``multiData``).
"""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QStandardItem, QStandardItemModel

from ..core.occupancy.listener_groups import (
    Column,
    GroupsUpdate,
    ProcessGroup,
    child_key,
)
from ..core.occupancy.listeners import Listener
from ..core.occupancy.tree_diff import OpKind
from ..core.port_rows import format_uptime
from .icons import HIGHLIGHT

COLUMNS = ("Process", "What", "PID", "User", "Port", "Proto", "Addresses", "Container", "Service", "Uptime",
           "Command line")
(COL_PROCESS, COL_WHAT, COL_PID, COL_USER, COL_PORT, COL_PROTO, COL_ADDR, COL_CONTAINER, COL_SERVICE,
 COL_UPTIME, COL_CMD) = range(len(COLUMNS))
SORTS_BY = tuple(Column)                        # what each column sorts by, in column order
ROW_ROLE = Qt.ItemDataRole.UserRole + 1        # the ProcessGroup or the Listener of the row
HIGHLIGHT_S = 1.5
_NCOLS = len(COLUMNS)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _BACKGROUND, ROW_ROLE))     # the roles with a value here

Index = QModelIndex | QPersistentModelIndex


_GROUP_FIELDS = {COL_WHAT: "label", COL_USER: "user", COL_PORT: "ports_text", COL_PROTO: "protocols",
                 COL_ADDR: "addresses", COL_CONTAINER: "containers", COL_SERVICE: "services"}
_LISTENER_FIELDS = {COL_CONTAINER: "container", COL_SERVICE: "service"}


def group_text(g: ProcessGroup, col: int, now: float) -> str:
    field = _GROUP_FIELDS.get(col)
    if field is not None:
        return getattr(g, field)
    h = g.holder
    if col == COL_PROCESS:
        return g.name or "(cannot be seen)"
    if col == COL_PID:
        return str(h.pid) if h else ""
    if col == COL_UPTIME:
        return format_uptime(now - h.create_time) if h and h.create_time else ""
    if col == COL_CMD:
        return " ".join(h.cmdline) if h else (g.listeners[0].note if g.listeners else "")
    return ""


def listener_text(r: Listener, col: int) -> str:
    field = _LISTENER_FIELDS.get(col)
    if field is not None:
        return getattr(r, field)
    if col == COL_PORT:
        return str(r.port)
    if col == COL_PROTO:
        return r.protocol.value
    if col == COL_ADDR:
        return ", ".join(r.addresses)
    return ""


class ListenerTreeModel(QStandardItemModel):
    """Processes and their listeners, in the order the update gives (sorted and filtered on
    the worker: ``sort`` only asks for it). Rows are Qt's items; ``_groups`` and ``_children``
    (one list per process row) hold what they show, kept in step with every row operation."""

    sort_requested = Signal(object, bool)     # Column, descending

    def __init__(self, parent: QObject | None = None, clock=time.monotonic, wall=time.time):
        super().__init__(0, _NCOLS, parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._groups: list[ProcessGroup] = []
        self._children: list[list[Listener]] = []       # per process row: its listeners
        self._version = 0
        self._given: object = None
        self._clock, self._wall = clock, wall
        self._highlight: dict[tuple, float] = {}
        self._brush = QBrush(HIGHLIGHT)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expire)
        # Our lists change once Qt's rows did, before anyone else hears of it (connected first),
        # as they would between begin/end of an insert or a removal.
        self._pending: Callable[[], None] | None = None
        self.rowsInserted.connect(self._follow, Qt.ConnectionType.DirectConnection)
        self.rowsRemoved.connect(self._follow, Qt.ConnectionType.DirectConnection)

    def _follow(self, *_args) -> None:
        change, self._pending = self._pending, None
        if change is not None:
            change()

    def item_at(self, index: Index) -> tuple[ProcessGroup, Listener | None] | None:
        """The process of the row, and the listener when it is a listener's row."""
        if not index.isValid():
            return None
        parent = index.parent()
        if parent.isValid():
            return self._groups[parent.row()], self._children[parent.row()][index.row()]
        return self._groups[index.row()], None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or (role == _BACKGROUND and not self._highlight):
            return None
        found = self.item_at(index)
        return None if found is None else self._value(found[0], found[1], index.column(), role)

    def multiData(self, index: Index, roleDataSpan) -> None:    # noqa: N803 (Qt's name)
        """Every role a paint asks of a cell (font, alignment, colours, text, background...) in
        one call: Qt's default asks ``data`` once per role, each a Python call from C++."""
        found = self.item_at(index)
        if found is None:
            return
        group, listener = found
        col = index.column()
        for slot in roleDataSpan:
            role = slot.role()
            if role in _ROLES and (role != _BACKGROUND or self._highlight):
                value = self._value(group, listener, col, role)
                if value is not None:
                    slot.setData(value)

    def _value(self, group: ProcessGroup, listener: Listener | None, col: int, role: int):
        if role == _DISPLAY:
            if listener is None:
                return group_text(group, col, self._wall())
            return listener_text(listener, col)
        if role == ROW_ROLE:
            return group if listener is None else listener
        if role == _TOOLTIP:
            h = group.holder
            note = (listener or group.listeners[0]).note if group.listeners else ""
            return (note + "\n" if note else "") + (" ".join(h.cmdline) if h else "")
        if role == _BACKGROUND:
            key = ("g", group.key) if listener is None else ("c", group.key, child_key(listener))
            if key in self._highlight:
                return self._brush
        return None

    # -- updates -------------------------------------------------------------------------
    @property
    def groups(self) -> tuple[ProcessGroup, ...]:
        return tuple(self._groups)

    def listener_count(self) -> int:
        return sum(len(c) for c in self._children)

    def listeners(self) -> list[Listener]:
        return [r for rows in self._children for r in rows]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(SORTS_BY):
            self.sort_requested.emit(SORTS_BY[column], order == Qt.SortOrder.DescendingOrder)

    def apply(self, update: GroupsUpdate) -> int:
        """Show ``update``'s groups; returns how many row operations it took (-1: a reset)."""
        if update is self._given or (update.version == self._version and not update.ops):
            self._given = update
            return 0
        self._given = update
        if update.base != self._version or not self._groups:
            self._reset(update)
            return -1
        for op in update.ops:
            if op.parent < 0:
                self._top(op)
            else:
                self._below(op)
        until = self._clock() + HIGHLIGHT_S
        self._highlight.update((k, until) for k in update.highlight)
        # A process whose own row did not change may still hold other listeners now: keep the
        # update's values (the same rows, so nothing to tell the view).
        self._groups[:] = update.groups
        self._version = update.version
        self._arm()
        return len(update.ops)

    def _reset(self, update: GroupsUpdate) -> None:
        self.beginResetModel()
        self.blockSignals(True)         # one reset for the view, not a removal and an insertion
        try:
            root = self.invisibleRootItem()
            root.removeRows(0, root.rowCount())
            root.appendRows([_process_item(len(g.listeners)) for g in update.groups])
        finally:
            self.blockSignals(False)
        self._groups = list(update.groups)
        self._children = [list(g.listeners) for g in self._groups]
        self._highlight.clear()
        self._version = update.version
        self._pending = None
        self.endResetModel()

    def _top(self, op) -> None:
        root = self.invisibleRootItem()
        last = op.first + op.count - 1
        if op.kind is OpKind.REMOVE:
            def remove() -> None:
                del self._groups[op.first:last + 1]
                del self._children[op.first:last + 1]
            self._pending = remove
            root.removeRows(op.first, op.count)
        elif op.kind is OpKind.INSERT:
            def insert() -> None:
                self._groups[op.first:op.first] = op.items
                self._children[op.first:op.first] = [list(g.listeners) for g in op.items]
            self._pending = insert
            root.insertRows(op.first, [_process_item(len(g.listeners)) for g in op.items])
        else:
            self._groups[op.first:last + 1] = op.items
            self.dataChanged.emit(self.index(op.first, 0), self.index(last, _NCOLS - 1))

    def _below(self, op) -> None:
        process = self.invisibleRootItem().child(op.parent)
        rows = self._children[op.parent]
        last = op.first + op.count - 1
        if op.kind is OpKind.REMOVE:
            def remove() -> None:
                del rows[op.first:last + 1]
            self._pending = remove
            process.removeRows(op.first, op.count)
        elif op.kind is OpKind.INSERT:
            def insert() -> None:
                rows[op.first:op.first] = op.items
            self._pending = insert
            process.insertRows(op.first, op.count)
        else:
            rows[op.first:last + 1] = op.items
            parent = process.index()
            self.dataChanged.emit(self.index(op.first, 0, parent), self.index(last, _NCOLS - 1, parent))

    # -- highlight of what changed -------------------------------------------------------
    def highlighted(self) -> set[tuple]:
        return set(self._highlight)

    def _arm(self) -> None:
        if self._highlight:
            self._timer.start(max(0, int((min(self._highlight.values()) - self._clock()) * 1000)) + 10)

    def _expire(self) -> None:
        now = self._clock()
        done = [k for k, t in self._highlight.items() if t <= now]
        for k in done:
            del self._highlight[k]
        rows = {g.key: i for i, g in enumerate(self._groups)} if done else {}
        background = [Qt.ItemDataRole.BackgroundRole]
        last = _NCOLS - 1
        # One repaint per process: its own row, or all its listeners' rows.
        for kind, group in {(k[0], k[1]) for k in done}:
            row = rows.get(group)
            if row is None:
                continue
            if kind == "g":
                self.dataChanged.emit(self.index(row, 0), self.index(row, last), background)
                continue
            parent = self.index(row, 0)
            count = self.rowCount(parent)
            if count:
                self.dataChanged.emit(self.index(0, 0, parent), self.index(count - 1, last, parent), background)
        self._arm()


def _process_item(listeners: int) -> QStandardItem:
    """A process's row with ``listeners`` rows below it, each with every column. The listeners'
    rows have no item at all: an index is all the view needs of them (no object per row)."""
    item = QStandardItem()
    item.setColumnCount(_NCOLS)
    item.setRowCount(listeners)
    return item
