"""The live port table: a QAbstractTableModel over ``PortRow`` values, and its filter proxy.

``set_rows`` compares the new rows with the shown ones: when the same rows come back (a
refresh) only the rows that differ get ``dataChanged``; a different set of rows (a
registry edit) resets the model. A row whose holder changed is highlighted for a moment.
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
)
from PySide6.QtGui import QBrush, QFont

from ..core.port_rows import PortRow, RowState, changed_keys, format_uptime
from ..text.rows import row_note
from .icons import HIGHLIGHT, ROW_BACKGROUNDS, ROW_DOTS, ROW_FOREGROUNDS, dot_icon
from .row_table_model import RowTableModel

COLUMNS = ("Service / group", "Port", "Role", "State", "Holder", "PID", "User", "Uptime", "URL")
COL_UNIT, COL_PORT, COL_ROLE, COL_STATE, COL_HOLDER, COL_PID, COL_USER, COL_UPTIME, COL_URL = range(9)
ROW_ROLE = Qt.ItemDataRole.UserRole + 1       # the PortRow itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2      # numbers sort as numbers
HIGHLIGHT_S = 1.5
UPTIME_REFRESH_MS = 30000

_Index = QModelIndex | QPersistentModelIndex


def _display(row: PortRow, column: int, now: float) -> str:
    h = row.holder
    if column == COL_UNIT:
        return row.unit
    if column == COL_PORT:
        return str(row.port)
    if column == COL_ROLE:
        return row.role.value
    if column == COL_STATE:
        return row.state.value
    if column == COL_HOLDER:
        if h is None:
            return "(unknown process)" if row.state is not RowState.FREE and row_note(row) else ""
        more = f" +{len(row.holders) - 1}" if len(row.holders) > 1 else ""
        return (h.name or "?") + more
    if column == COL_PID:
        return str(h.pid) if h else ""
    if column == COL_USER:
        return h.username if h else ""
    if column == COL_UPTIME:
        return format_uptime(row.uptime(now))
    if column == COL_URL:
        return row.url
    return ""


def _tooltip(row: PortRow) -> str:
    lines = [f"{row.unit} - port {row.port} ({row.role.value}): {row.state.value}"]
    note = row_note(row)
    if note:
        lines.append(note)
    for h in row.holders:
        lines.append(f"{h.describe()} user {h.username or '?'}: {' '.join(h.cmdline) or h.exe}")
    return "\n".join(lines)


class PortTableModel(RowTableModel):
    COLUMNS = COLUMNS
    def __init__(self, parent: QObject | None = None, clock=time.monotonic, wall=time.time):
        super().__init__(parent)
        self._wall = wall
        self._rows: list[PortRow] = []
        self._index: dict[tuple[str, int], int] = {}
        self._highlight: dict[tuple[str, int], float] = {}
        self._clock = clock
        self._dots = {state: dot_icon(color) for state, color in ROW_DOTS.items()}
        self._bold = QFont()
        self._bold.setBold(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expire_highlights)
        # Uptime is shown in minutes, so one repaint of that column a while suffices; rows
        # themselves stay equal between scans and cost nothing.
        self._uptime_timer = QTimer(self)
        self._uptime_timer.setInterval(UPTIME_REFRESH_MS)
        self._uptime_timer.timeout.connect(self._refresh_uptime)
        self._uptime_timer.start()

    # -- Qt model API ---------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, col, self._wall())
        if role == SORT_ROLE:
            if col == COL_PORT:
                return row.port
            if col == COL_PID:
                return row.holder.pid if row.holder else -1
            if col == COL_UPTIME:
                return -(row.since or float("inf"))
            return _display(row, col, self._wall())
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.key in self._highlight:
                return QBrush(HIGHLIGHT)
            color = ROW_BACKGROUNDS.get(row.state)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            color = ROW_FOREGROUNDS.get(row.state)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATE:
            return self._dots[row.state]
        if role == Qt.ItemDataRole.FontRole and col == COL_STATE and row.state in (
                RowState.FALLBACK, RowState.CONFLICT, RowState.FAILED):
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_PORT, COL_PID, COL_UPTIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- updates --------------------------------------------------------------------
    @property
    def rows(self) -> tuple[PortRow, ...]:
        return tuple(self._rows)

    def column_texts(self, column: int) -> set[str]:
        """The distinct texts ``column`` shows (what its width must fit), read without a
        model index per cell."""
        now = self._wall()
        return {_display(row, column, now) for row in self._rows}

    def row_for(self, unit: str, port: int) -> int | None:
        return self._index.get((unit, port))

    def set_rows(self, rows: Sequence[PortRow]) -> int:
        """Show ``rows``; returns how many rows were updated (-1 for a reset)."""
        rows = list(rows)
        now = self._clock()
        for key in changed_keys(self._rows, rows):
            self._highlight[key] = now + HIGHLIGHT_S
        if [r.key for r in rows] != [r.key for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self._index = {r.key: i for i, r in enumerate(rows)}
            self._highlight = {k: t for k, t in self._highlight.items() if k in self._index}
            self.endResetModel()
            self._arm()
            return -1
        changed = [i for i, (old, new) in enumerate(zip(self._rows, rows)) if old != new]
        self._rows = rows
        last = self.columnCount() - 1
        for i in changed:
            self.dataChanged.emit(self.index(i, 0), self.index(i, last))
        self._arm()
        return len(changed)

    def _arm(self) -> None:
        if self._highlight:
            soonest = min(self._highlight.values())
            self._timer.start(max(0, int((soonest - self._clock()) * 1000)) + 10)

    def _expire_highlights(self) -> None:
        now = self._clock()
        done = [k for k, t in self._highlight.items() if t <= now]
        for key in done:
            del self._highlight[key]
            i = self._index.get(key)
            if i is not None:
                self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))
        self._arm()

    def _refresh_uptime(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_UPTIME), self.index(len(self._rows) - 1, COL_UPTIME),
                                  [Qt.ItemDataRole.DisplayRole])

    def highlighted(self) -> set[tuple[str, int]]:
        return set(self._highlight)


class PortFilterProxy(QSortFilterProxyModel):
    """Search box filter over every column, case-insensitive; numeric sorting."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(SORT_ROLE)
