"""The tray icon and its menu, a function of the latest rows.

``fill_menu`` builds the whole menu from (registry, rows) each time it opens
(``aboutToShow``), so it never shows stale state; tests call it directly and read the
actions. The icon shows the overall state and is always set before ``show()``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ..core.occupancy.listeners import Listener, tray_others
from ..core.occupancy.recognition import label_of
from ..core.occupancy.snapshot import Protocol
from ..core.platform.desktop import tray_behaviour
from ..core.port_rows import (
    Overall,
    PortRow,
    RowState,
    back_to_preferred,
    overall,
)
from ..core.registry.model import UNGROUPED, Registry
from ..text.rows import summary
from .icons import ROW_DOTS, dot_icon

RUNNING = (RowState.OURS, RowState.FALLBACK)


@dataclass(frozen=True)
class TrayActions:
    """What the menu entries do; the app passes the real ones, tests pass recorders."""

    start: Callable[[str], None]
    stop: Callable[[str], None]
    restart: Callable[[str], None]
    open_url: Callable[[str], None]
    copy_url: Callable[[str], None]
    kill: Callable[[int], None]
    show_window: Callable[[], None]
    settings: Callable[[], None]
    quit: Callable[[], None]
    back: Callable[[str], None]         # move a service on a fallback back to its preferred port
    stop_container: Callable[[Listener], None] = lambda _listener: None   # Tray: its stop_container_requested


def _unit_line(unit: str, rows: Sequence[PortRow], startable: bool = True) -> tuple[str, RowState, PortRow | None]:
    """``router - running on :3003 (fallback)``: the unit's state from its rows."""
    mine = [r for r in rows if r.unit == unit]
    live = next((r for r in mine if r.state in RUNNING), None)
    if live is not None:
        where = f"{live.state.value} :{live.port}" if live.state is RowState.FALLBACK else f"running on :{live.port}"
        return f"{unit} - {where}", live.state, live
    failed = next((r for r in mine if r.state is RowState.FAILED), None)
    if failed is not None:
        return f"{unit} - failed", RowState.FAILED, failed
    first = mine[0] if mine else None
    if first is None:
        return unit, RowState.FREE, None
    if first.state is RowState.FOREIGN:
        return f"{unit} - :{first.port} in use by {first.holder.name if first.holder else '?'}", first.state, first
    if first.state is RowState.CONFLICT:
        return f"{unit} - conflict on :{first.port}", first.state, first
    if not startable:       # Port Manager does not run it: say what the port is, not "stopped"
        return f"{unit} - :{first.port} free", RowState.FREE, first
    return f"{unit} - stopped (:{first.port})", RowState.FREE, first


def _add(menu: QMenu, text: str, slot: Callable[[], None], enabled: bool = True,
         icon: QIcon | None = None) -> QAction:
    action = menu.addAction(text)
    if icon is not None:
        action.setIcon(icon)
    action.setEnabled(enabled)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def _header(menu: QMenu, text: str) -> None:
    action = menu.addAction(text)
    action.setEnabled(False)


def _unit_menu(menu: QMenu, name: str, startable: bool, rows: Sequence[PortRow], acts: TrayActions,
               dots: dict[RowState, QIcon]) -> QMenu:
    line, state, row = _unit_line(name, rows, startable)
    sub = menu.addMenu(dots[state], line)
    running = state in RUNNING
    why = "" if startable else " (no command in the registry)"
    _add(sub, "Start" + why, lambda: acts.start(name), startable and not running)
    _add(sub, "Stop", lambda: acts.stop(name), running)
    _add(sub, "Restart", lambda: acts.restart(name), startable and running)
    preferred = back_to_preferred(rows, name) if startable else None
    if preferred is not None:
        _add(sub, f"Back to preferred port :{preferred}", lambda: acts.back(name))
    sub.addSeparator()
    url = row.url if row is not None and row.url.startswith("http") else ""
    _add(sub, "Open in browser", lambda: acts.open_url(url), bool(url))
    _add(sub, "Copy URL", lambda: acts.copy_url(row.url if row else ""), row is not None and bool(row.url))
    return sub


def _pool_menu(menu: QMenu, registry: Registry, pool: str, rows: Sequence[PortRow], acts: TrayActions,
               dots: dict[RowState, QIcon]) -> QMenu:
    group = registry.pool(pool)
    mine = [r for r in rows if r.group == pool]
    n_running = len({r.unit for r in mine if r.state in RUNNING})
    state = overall(mine)
    dot = {Overall.OK: RowState.OURS if n_running else RowState.FREE, Overall.FALLBACK: RowState.FALLBACK,
           Overall.PROBLEM: RowState.FAILED}[state]
    title = f"{pool} ({group.range_text if group else ''}) - {n_running}/{len(mine)} running"
    sub = menu.addMenu(dots[dot], title)
    startable = bool(group and group.command)
    _add(sub, "Start group", lambda: acts.start(pool), startable and n_running < len(mine))
    _add(sub, "Stop group", lambda: acts.stop(pool), n_running > 0)
    _add(sub, "Restart group", lambda: acts.restart(pool), startable and n_running > 0)
    for r in mine:
        sub.addSeparator()
        _unit_menu(sub, r.unit, startable, rows, acts, dots)
    return sub


def kill_label(row: PortRow) -> str:
    if row.holder is None:
        return f"Port :{row.port} held by a process that cannot be seen..."
    return f"Kill {label_of(row.holder) or row.holder.name or '?'} (pid {row.holder.pid}) on :{row.port}..."


def other_label(listener: Listener) -> str:
    """``Kill Ollama (pid 812) on :11434...``, or the container to stop for a published port."""
    port = f":{listener.port}" + ("" if listener.protocol is Protocol.TCP else f" ({listener.protocol.value})")
    if listener.container:
        return f"Stop container {listener.container} on {port}..."
    return f"Kill {listener.what} (pid {listener.pid}) on {port}..."


def fill_menu(menu: QMenu, registry: Registry | None, rows: Sequence[PortRow], acts: TrayActions,
              dots: dict[RowState, QIcon] | None = None, others: Sequence[Listener] | None = None,
              looking: bool = False) -> None:
    """Rebuild ``menu`` from scratch for the current state. ``others``: the user's own
    listeners outside the registry (``listeners.tray_others``), in the "Other ports" submenu
    (``looking``: not scanned yet, the submenu says so until the scan answers)."""
    dots = dots or {s: dot_icon(c) for s, c in ROW_DOTS.items()}
    for sub in menu.findChildren(QMenu):
        sub.deleteLater()           # clear() keeps submenus alive; they would pile up
    menu.clear()
    _header(menu, summary(rows).splitlines()[-1] if rows else "Port Manager: loading...")
    if registry is not None:
        menu.addSeparator()
        _header(menu, "Services")
        for name, svc in registry.services.items():
            _unit_menu(menu, name, bool(svc.command), rows, acts, dots)
        _header(menu, "Model servers")
        for pool in registry.pools():
            if pool.members or pool.name != UNGROUPED:
                _pool_menu(menu, registry, pool.name, rows, acts, dots)
    taken: dict[int, PortRow] = {}
    for r in rows:
        if r.ours:
            continue                # our own service: Stop applies there, not Kill
        if r.state not in (RowState.FREE, RowState.OURS, RowState.FALLBACK) and r.holders and r.port not in taken:
            taken[r.port] = r
        elif r.state is RowState.CONFLICT and r.port not in taken:
            taken[r.port] = r
    if taken:
        menu.addSeparator()
        _header(menu, "Ports held by other programs")
        for port, r in sorted(taken.items()):
            _add(menu, kill_label(r), lambda p=port: acts.kill(p), icon=dots[r.state])
    if others is not None or looking:
        menu.addSeparator()
        fill_others(menu.addMenu("Other ports"), None if looking else others, acts)
    menu.addSeparator()
    _add(menu, "Open Port Manager", acts.show_window)
    _add(menu, "Settings...", acts.settings)
    _add(menu, "Quit", acts.quit)


def fill_others(sub: QMenu, others: Sequence[Listener] | None, acts: TrayActions) -> None:
    """The "Other ports" submenu: kill a holder, or stop the container publishing the port."""
    sub.clear()
    if others is None:
        _header(sub, "Looking at every port...")
        return
    if not others:
        _header(sub, "No other programs of yours listen")
    for listener in others:
        if listener.container:
            _add(sub, other_label(listener), lambda r=listener: acts.stop_container(r))
        else:
            _add(sub, other_label(listener), lambda p=listener.port: acts.kill(p))


def click_shows_window(os_name: str, reason: QSystemTrayIcon.ActivationReason) -> bool:
    """A click on the icon opens the window where the OS wants that (see ``core.platform.desktop``)."""
    return tray_behaviour(os_name).click_opens_window and reason in (
        QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick)


def reopen_shows_window(os_name: str, active: bool, window_visible: bool) -> bool:
    """The app turning active with no window shown is a reopen where the OS says so (macOS)."""
    return tray_behaviour(os_name).reopen_shows_window and active and not window_visible


class Tray(QObject):
    """The system tray icon; ``update`` is called with each new set of rows."""

    activated = Signal()
    menu_opening = Signal()               # the menu is about to show: time for a machine-wide scan
    stop_container_requested = Signal(object)     # Listener whose container should stop

    def __init__(self, os_name: str, acts: TrayActions, icons: Mapping[Overall, QIcon],
                 parent: QObject | None = None, notify: Callable[[str, str, bool], object] | None = None):
        """``notify``: where notifications go instead of the icon's balloon (macOS: see
        ``core.platform.notify``)."""
        super().__init__(parent)
        self._os = os_name
        self._notify = notify
        # A container stop is asked first: the tray hands it on (its presenter confirms it).
        self._acts = dataclasses.replace(acts, stop_container=self.stop_container_requested.emit)
        self._icons = dict(icons)     # one per overall state (see icons.tray_icon_files)
        self._dots = {s: dot_icon(c) for s, c in ROW_DOTS.items()}
        self._registry: Registry | None = None
        self._rows: tuple[PortRow, ...] = ()
        self._all: tuple[Listener, ...] | None = None      # None: not scanned yet
        self._me = ("", os_name)
        self.state = Overall.OK
        self.icon = QSystemTrayIcon(self)
        self.icon.setIcon(self._icons[Overall.OK])
        self.icon.setToolTip("Port Manager: loading...")
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._opening)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        fill_menu(self.menu, None, (), acts, self._dots)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def update(self, registry: Registry | None, rows: Sequence[PortRow], problem: str = "") -> None:
        """``problem``: why the registry file is not in use right now ("" when it is)."""
        self._registry, self._rows = registry, tuple(rows)
        state = Overall.PROBLEM if problem else overall(rows)
        if state is not self.state:
            self.state = state
            self.icon.setIcon(self._icons[state])
        tip = summary(rows) if registry is not None else "Port Manager"
        if problem:
            tip += f"\nThe registry does not load: {problem}"
        if tip != self.icon.toolTip():
            self.icon.setToolTip(tip)

    def set_listeners(self, rows: Sequence[Listener], me_user: str) -> None:
        """Every listener of the machine (the All ports scan) and who we are, for "Other ports";
        an open menu shows them at once."""
        self._all, self._me = tuple(rows), (me_user, self._me[1])
        sub = self.others_menu()
        if sub is not None and self.menu.isVisible():
            # The entry the person had reached stays highlighted (the scan answers while they look).
            active = sub.activeAction()
            reached = active.text() if active is not None else None
            fill_others(sub, self.others(), self._acts)
            again = next((a for a in sub.actions() if a.text() == reached), None)
            if again is not None and sub.isVisible():
                sub.setActiveAction(again)

    def others_menu(self) -> QMenu | None:
        return next((a.menu() for a in self.menu.actions() if a.menu() and a.text() == "Other ports"), None)

    def others(self) -> tuple[Listener, ...] | None:
        if self._all is None:
            return None
        reg = self._registry
        ports = [p for svc in reg.services.values() for p in svc.ports] if reg is not None else []
        ports += [r.port for r in self._rows]
        return tray_others(self._all, self._me[0], self._me[1], ports)

    def _opening(self) -> None:
        self.menu_opening.emit()
        self.rebuild()

    def rebuild(self) -> None:
        others = self.others()
        fill_menu(self.menu, self._registry, self._rows, self._acts, self._dots, others, looking=others is None)

    def notify(self, title: str, text: str, critical: bool = False) -> None:
        if self._notify is not None:
            self._notify(title, text, critical)
            return
        kind = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Warning
        self.icon.showMessage(title, text, kind, 10000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if click_shows_window(self._os, reason):
            self._acts.show_window()

    def stopping(self) -> None:
        """The quit flow stops the services first: say so while it runs."""
        self.icon.setToolTip("Port Manager: stopping services...")

    def dispose(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()
