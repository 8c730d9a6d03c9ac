"""The main window: live port table with details, the Services and Groups editors.

It only renders values and emits requests (start, stop, kill, save...); the presenter
answers them through the services. Closing the window hides it: the app lives in the tray.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..core.occupancy.snapshot import Snapshot
from ..core.platform.facts import PlatformFacts
from ..core.port_rows import PortRow, RowState, back_to_preferred
from ..core.ports.selection import ModelSlot
from ..core.registry.model import Registry
from .details_pane import DetailsPane
from .port_table_model import (
    COL_HOLDER,
    COL_PID,
    COL_STATE,
    COL_UNIT,
    COL_USER,
    ROW_ROLE,
    PortFilterProxy,
    PortTableModel,
)
from .restart_banner import RestartBanner

if TYPE_CHECKING:   # the editors are built after the first paint (build_editors)
    # hints only: PySide6 makes a class (and its enums) when its name is first imported (issue 16)
    from PySide6.QtCore import QItemSelection
    from PySide6.QtGui import QCloseEvent

    from .edit_panels import GroupsPanel, ServicesPanel

RUNNING = (RowState.OURS, RowState.FALLBACK)
EDITOR_TABS = (1, 2)        # Services, Groups
# Room beside a cell's text: Qt's item delegate adds 2 x (the style's focus frame margin + 1),
# 2 px in Qt's own styles; 16 leaves more. Not asked of the window's style: its Python type
# (QStyle: 11 enums, ~4 ms) would be made for that alone before the first paint (issue 16).
CELL_PAD = 16
BANNER_STYLES = {"error": "background:#f8d3d1; color:#5c1a16;", "warn": "background:#fde9b8; color:#4d3800;",
                 "info": "background:#dbeafe; color:#0f2e55;"}


class Banner(QWidget):
    """A strip above the tabs for problems that need the user (a registry that fails to load...)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton("Reload from disk (discard my edits)")
        self.keep_button = QPushButton("Keep my edits")
        self.close_button = QPushButton("Dismiss")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        for b in (self.reload_button, self.keep_button, self.close_button):
            layout.addWidget(b)
        self.close_button.clicked.connect(self.hide)
        self.setAutoFillBackground(True)
        self.hide()

    def show_message(self, text: str, kind: str = "error", conflict: bool = False) -> None:
        self.label.setText(text)
        self.setStyleSheet(BANNER_STYLES.get(kind, ""))
        self.reload_button.setVisible(conflict)
        self.keep_button.setVisible(conflict)
        self.close_button.setVisible(not conflict)
        self.show()


class MainWindow(QMainWindow):
    start_requested = Signal(str)
    stop_requested = Signal(str)
    restart_requested = Signal(str)
    back_requested = Signal(str)            # unit: back from its fallback to its preferred port
    kill_requested = Signal(int)
    open_url_requested = Signal(str)
    copy_url_requested = Signal(str)
    refresh_requested = Signal()
    settings_requested = Signal()
    save_requested = Signal(object)         # Registry
    reload_requested = Signal()             # discard edits, load the file as it is on disk
    keep_edits_requested = Signal()
    log_requested = Signal(str)             # unit ("" when nothing is selected): follow its log
    open_log_requested = Signal(str)        # unit: open its log file in the desktop's viewer
    dirty_changed = Signal(bool)
    quit_requested = Signal()               # the window was closed where there is no tray
    import_requested = Signal()             # "Import...": ports from a ClaraCore config, ports_config.py, .env
    links_requested = Signal()              # "Linked files...": the files kept in step with the registry
    restart_unit_requested = Signal(str)    # the restart strip's "Restart <unit>"
    restart_all_requested = Signal()        # the restart strip's "Restart all"

    def __init__(self, confirm: Callable[[str, str], bool], facts: PlatformFacts | None = None,
                 parent: QWidget | None = None, *, editors: bool = True):
        super().__init__(parent)
        self.setWindowTitle("Port Manager")
        self.quit_on_close = False
        self.resize(1100, 680)
        self.model = PortTableModel(self)
        self.proxy = PortFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # Not ResizeToContents: that measures every cell on every dataChanged (a scan a second).
        # Columns are fitted once per new set of rows instead.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.model.modelReset.connect(self._fit_columns)
        # The state column is as wide as its longest word, whatever the rows say now.
        self.table.setColumnWidth(COL_STATE, self.fontMetrics().horizontalAdvance("on fallback") + 48)
        self.table.doubleClicked.connect(lambda _i: self._open_selected())
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.details = DetailsPane()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search ports, services, processes...")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.setMaximumWidth(320)

        bar = QToolBar("Actions")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        bar.addWidget(self.search)
        bar.addSeparator()
        self.act_refresh = self._action(bar, "Refresh", self.refresh_requested.emit, QKeySequence.StandardKey.Refresh)
        bar.addSeparator()
        self.act_start = self._action(bar, "Start", lambda: self._unit_request(self.start_requested))
        self.act_stop = self._action(bar, "Stop", lambda: self._unit_request(self.stop_requested))
        self.act_restart = self._action(bar, "Restart", lambda: self._unit_request(self.restart_requested))
        self.act_back = self._action(bar, "Back to preferred port",
                                     lambda: self._unit_request(self.back_requested))
        self.act_kill = self._action(bar, "Kill holder...", self._kill_selected)
        self.act_open = self._action(bar, "Open", self._open_selected)
        self.act_copy = self._action(bar, "Copy URL", self._copy_selected, QKeySequence.StandardKey.Copy)
        # Ctrl+C copies the URL only from the table: in the log pane it copies the selected lines.
        self.act_copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.act_copy)
        self.act_open_log = self._action(bar, "Open log", lambda: self._unit_request(self.open_log_requested))
        bar.addSeparator()
        self.act_import = self._action(bar, "Import...", self.import_requested.emit)
        self.act_links = self._action(bar, "Linked files...", self.links_requested.emit)
        self.act_settings = self._action(bar, "Settings...", self.settings_requested.emit)

        ports_tab = QSplitter(Qt.Orientation.Vertical)
        ports_tab.addWidget(self.table)
        ports_tab.addWidget(self.details)
        ports_tab.setStretchFactor(0, 3)
        ports_tab.setStretchFactor(1, 1)
        ports_tab.setSizes([460, 180])
        # The Services and Groups editors are not needed to paint the first snapshot: their tabs
        # hold placeholders until build_editors (after that paint, or when a tab is opened first).
        self._confirm, self._facts = confirm, facts
        self._context: tuple | None = None
        self.services: ServicesPanel | None = None
        self.groups: GroupsPanel | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(ports_tab, "Ports")
        self.tabs.addTab(QWidget(), "Services")
        self.tabs.addTab(QWidget(), "Groups")
        self.tabs.currentChanged.connect(lambda index: self.build_editors() if index in EDITOR_TABS else None)
        if editors:
            self.build_editors()
        self.banner = Banner()
        self.banner.reload_button.clicked.connect(self._reload_clicked)
        self.banner.keep_button.clicked.connect(self._keep_clicked)
        self.state_banner = Banner()   # the record of what Port Manager started is damaged
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.state_banner)
        self.restart_banner = RestartBanner()
        self.restart_banner.restart_requested.connect(self.restart_unit_requested)
        self.restart_banner.restart_all_requested.connect(self.restart_all_requested)
        layout.addWidget(self.restart_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.summary = QLabel()
        self.statusBar().addPermanentWidget(self.summary)
        self._update_actions()

    def build_editors(self) -> None:
        """Build the Services and Groups editors in their tabs and give them what the window was
        told so far (registry, snapshot, OS facts); the tab shown stays shown."""
        if self.services is not None:
            return
        from .edit_panels import GroupsPanel, ServicesPanel

        self.services = ServicesPanel(self._confirm)
        self.groups = GroupsPanel(self._confirm, self._facts)
        for panel in (self.services, self.groups):
            panel.save_requested.connect(self.save_requested)
            panel.dirty_changed.connect(lambda _d: self.dirty_changed.emit(self.has_unsaved_edits()))
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)
        for index, panel, label in zip(EDITOR_TABS, (self.services, self.groups), ("Services", "Groups")):
            placeholder = self.tabs.widget(index)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, panel, label)
            placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(blocked)
        if self._context is not None:
            self.set_context(*self._context)

    def _fit_columns(self, columns: Sequence[int] | None = None) -> None:
        grow_only = columns is not None
        header = self.table.horizontalHeader()
        for col in columns if columns is not None else range(self.model.columnCount() - 1):
            if col != COL_STATE:
                width = max(self._text_width(col), header.sectionSizeHint(col))
                self.table.setColumnWidth(col, max(width, self.table.columnWidth(col)) if grow_only else width)

    def _text_width(self, col: int) -> int:
        """The width of the column's longest text. Measures strings with the font metrics:
        asking the view for size hints lays out every cell (up to 1,000 rows a column), tens
        of ms on the GUI thread per refresh and most of a 1,000-port first paint. Each distinct
        text once, read from the model's rows (not a model index per cell): a 1,000-row fit
        ~300 -> ~60 ms."""
        metrics = self.table.fontMetrics()
        return max(map(metrics.horizontalAdvance, self.model.column_texts(col)), default=0) + CELL_PAD

    def _grow_columns(self, columns: Sequence[int]) -> None:
        """Widen ``columns`` to fit their text."""
        for col in columns:
            width = self._text_width(col)
            if width > self.table.columnWidth(col):
                self.table.setColumnWidth(col, width)

    def _action(self, bar: QToolBar, text: str, slot: Callable[[], None], shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        bar.addAction(action)
        return action

    # -- inputs ---------------------------------------------------------------------
    def set_facts(self, facts: PlatformFacts) -> None:
        """The OS facts (ephemeral range, reserved ports...) for the editors' warnings."""
        self._facts = facts
        if self.groups is not None:
            self.groups.editor.set_facts(facts)

    def set_rows(self, rows: Sequence[PortRow]) -> int:
        changed = self.model.set_rows(rows)
        if changed > 0:     # a new holder may need a wider column; never narrower (no jumping)
            self._grow_columns((COL_HOLDER, COL_PID, COL_USER))
        self.details.show_row(self.selected_row())
        self._update_actions()
        return changed

    def set_context(self, registry: Registry | None, snapshot: Snapshot | None, slots: Sequence[ModelSlot],
                    allocations: Mapping[str, Mapping[str, int]], own_pids: frozenset[int] = frozenset()) -> None:
        self._context = (registry, snapshot, slots, allocations, own_pids)
        if self.services is not None and self.groups is not None:
            self.services.set_context(registry, snapshot, slots, own_pids)
            self.groups.set_context(registry, snapshot, allocations)

    def set_summary(self, text: str) -> None:
        """The overall state, e.g. "Port Manager: 2 running, 3 ports held by other programs"."""
        self.summary.setText(text)

    def show_log(self, unit: str, lines: Sequence[str]) -> None:
        self.details.show_log(unit, lines)

    # -- messages: presenters hand values in; they never reach into the widgets -------
    def show_banner(self, text: str, kind: str = "error", conflict: bool = False) -> None:
        """The strip above the tabs: "error" / "warn"; ``conflict`` adds Reload / Keep my edits."""
        self.banner.show_message(text, kind, conflict=conflict)

    def hide_banner(self, only: str | None = None) -> None:
        """Hide the strip; with ``only``, just when it still shows that text."""
        if only is None or self.banner.label.text() == only:
            self.banner.hide()

    def show_state_damage(self, text: str) -> None:
        """The strip saying the record of what Port Manager started is damaged."""
        self.state_banner.show_message(text, "error")

    def hide_state_damage(self) -> None:
        self.state_banner.hide()

    def show_status(self, text: str, ms: int = 0) -> None:
        """A line in the status bar (for ``ms`` milliseconds; 0: until replaced)."""
        self.statusBar().showMessage(text, ms)

    def clear_status(self) -> None:
        self.statusBar().clearMessage()

    def restart_units(self) -> tuple[str, ...]:
        """The units the restart strip offers to restart."""
        return self.restart_banner.units

    def offer_restart(self, units: Sequence[str]) -> None:
        """Offer a restart of ``units`` (replacing the list; none hides the strip)."""
        self.restart_banner.show_units(units)

    def quitting(self) -> None:
        """The quit flow began: a close event from now on is not a "hide into the tray"."""
        self.quit_on_close = True
        self.hide()

    def has_unsaved_edits(self) -> bool:
        return self.services is not None and self.groups is not None and (self.services.dirty or self.groups.dirty)

    def edit_service(self, name: str) -> None:
        self.build_editors()
        self.tabs.setCurrentWidget(self.services)
        self.services.select(name)

    def select_unit(self, unit: str, port: int | None = None) -> bool:
        for r in range(self.proxy.rowCount()):
            row = self.proxy.index(r, COL_UNIT).data(ROW_ROLE)
            if row.unit == unit and (port is None or row.port == port):
                self.table.selectRow(r)
                return True
        return False

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        self.raise_()
        self.activateWindow()

    # -- selection and row actions --------------------------------------------------
    def selected_row(self) -> PortRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_selection(self, _new: QItemSelection, _old: QItemSelection) -> None:
        row = self.selected_row()
        previous = self.details.unit
        self.details.show_row(row)
        if (row.unit if row is not None else "") != previous:
            self.log_requested.emit(row.unit if row is not None else "")
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_row()
        running = row is not None and any(r.unit == row.unit and r.state in RUNNING for r in self.model.rows)
        self.act_start.setEnabled(row is not None and not running)
        self.act_stop.setEnabled(running)
        self.act_restart.setEnabled(running)
        preferred = back_to_preferred(self.model.rows, row.unit) if row is not None else None
        self.act_back.setEnabled(preferred is not None)
        self.act_back.setText(f"Back to :{preferred}" if preferred is not None else "Back to preferred port")
        # A row our own service holds is stopped, not killed: Stop / Restart apply there.
        self.act_kill.setEnabled(row is not None and row.state not in (RowState.FREE, *RUNNING) and not row.ours)
        self.act_open.setEnabled(row is not None and row.url.startswith("http"))
        self.act_copy.setEnabled(row is not None and bool(row.url))
        self.act_open_log.setEnabled(row is not None)

    def _unit_request(self, signal: Signal) -> None:
        row = self.selected_row()
        if row is not None:
            signal.emit(row.unit)

    def _kill_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.kill_requested.emit(row.port)

    def _open_selected(self) -> None:
        row = self.selected_row()
        if row is not None and row.url.startswith("http"):
            self.open_url_requested.emit(row.url)

    def _copy_selected(self) -> None:
        row = self.selected_row()
        if row is not None and row.url:
            self.copy_url_requested.emit(row.url)

    def _reload_clicked(self) -> None:
        self.banner.hide()
        self.reload_requested.emit()

    def _keep_clicked(self) -> None:
        self.banner.hide()
        self.keep_edits_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.quit_on_close:          # no tray: closing the window quits
            event.accept()
            self.quit_requested.emit()
            return
        event.ignore()                  # the app keeps running in the tray; Quit is in its menu
        self.hide()
