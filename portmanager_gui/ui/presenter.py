"""Turns service signals into what the window and tray show, and their requests into work.

It keeps the latest values (registry, slots, snapshot, managed records, failures, the
fallbacks starts found), rebuilds the rows with ``core.port_rows.build_rows`` and pushes them
to the window and tray. Each start's result arrives once (``Controller.started``) and is told
once; the sentences come from ``ui.text``. Questions to the user go through the ``Asks`` functions it is given, so tests answer
them without a modal loop. It owns no threads and does no I/O.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal

from ..core.occupancy import snapshot_diff as watch
from ..core.occupancy.snapshot import Snapshot
from ..core.port_rows import (
    Fallback,
    Managed,
    PortRow,
    back_to_preferred,
    build_rows,
    fallback_note,
    fallback_of,
    summary,
)
from ..core.registry.model import Registry
from ..core.settings import Settings
from ..core.supervisor.records import StateDamage, StateRead
from ..core.supervisor.types import EventKind, StartFailure
from . import text
from .dialogs import (
    AllTakenChoice,
    AllTakenQuestion,
    KillQuestion,
    all_taken_question,
    kill_question,
)
from .main_window import MainWindow
from .tray import Tray


@dataclass(frozen=True)
class Asks:
    confirm: Callable[[str, str], bool]
    kill: Callable[[Any, KillQuestion], bool]
    all_taken: Callable[[Any, AllTakenQuestion], AllTakenChoice]
    settings: Callable[[Any, Settings], "Settings | None"]


@dataclass(frozen=True)
class Desktop:
    """Opening URLs and the clipboard (real ones from the app, recorders in tests)."""

    open_url: Callable[[str], None]
    copy: Callable[[str], None]


class Presenter(QObject):
    rows_changed = Signal(object)          # tuple[PortRow, ...]
    notified = Signal(str, str)            # title, text (also shown by the tray when there is one)
    settings_changed = Signal(object)      # Settings

    def __init__(self, window: MainWindow, tray: Tray | None, scanner, controller, store, *,
                 settings: Settings, asks: Asks, desktop: Desktop, logs, parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.tray, self.scanner, self.controller, self.store = window, tray, scanner, controller, store
        self.logs = logs                   # LogFollower: the selected unit's log, followed
        self.settings = settings
        self.asks, self.desktop = asks, desktop
        self.registry: Registry | None = None
        self.snapshot: Snapshot | None = None
        self.records: tuple[Managed, ...] = ()
        self._records_new = False          # records changed since the last rebuild
        self.failures: dict[str, str] = {}
        self.fallbacks: dict[str, Fallback] = {}   # unit -> what its start on a fallback port found
        self.live_notes: dict[str, str] = {}     # model unit -> where llama-swap/ClaraCore really runs it
        self.state_damage: StateDamage | None = None   # what is wrong with services.json (told once)
        self.rows: tuple[PortRow, ...] = ()
        self._overwrite_next = False
        self._start_after_kill: dict[int, str] = {}

        store.registry_changed.connect(self._on_registry)
        store.load_failed.connect(self._on_load_failed)
        store.save_failed.connect(lambda msg: window.banner.show_message(f"Not saved: {msg}", "error"))
        store.saved.connect(lambda path: window.statusBar().showMessage(f"Saved {path}", 5000))
        store.external_change_conflict.connect(self._on_conflict)
        scanner.snapshot_changed.connect(self._on_snapshot)
        scanner.records_changed.connect(self._on_records)
        scanner.scan_failed.connect(lambda msg: window.statusBar().showMessage(msg))
        controller.started.connect(self._on_started)
        controller.stopped.connect(lambda _n, _o: scanner.refresh())
        controller.kill_planned.connect(self._on_kill_planned)
        controller.killed.connect(self._on_killed)
        logs.tail_changed.connect(window.show_log)
        controller.supervisor_event.connect(self._on_event)
        controller.failed.connect(self._on_failed)

        window.start_requested.connect(self.start)
        window.stop_requested.connect(controller.stop)
        window.restart_requested.connect(self.restart)
        window.back_requested.connect(self.back_to_preferred)
        window.kill_requested.connect(controller.plan_kill)
        window.open_url_requested.connect(desktop.open_url)
        window.copy_url_requested.connect(desktop.copy)
        window.refresh_requested.connect(scanner.refresh)
        window.settings_requested.connect(self.edit_settings)
        window.save_requested.connect(self._save)
        window.reload_requested.connect(store.reload)
        window.keep_edits_requested.connect(self._keep_edits)
        window.dirty_changed.connect(store.set_dirty)
        window.log_requested.connect(logs.follow)
        window.open_log_requested.connect(self.open_log)

    # -- requests -------------------------------------------------------------------
    def start(self, name: str) -> None:
        self._forget(name)
        self.controller.start(name)

    def restart(self, name: str) -> None:
        self._forget(name)
        self.controller.restart(name)

    def back_to_preferred(self, name: str) -> None:
        """Restart a service that runs on a fallback: the start takes the first free port of its
        list, which is the preferred one again once it is free."""
        if back_to_preferred(self.rows, name) is not None:
            self.restart(name)

    def _forget(self, name: str) -> None:
        units = [u for u in {r.unit for r in self.rows} if u == name or u.startswith(name + "/")]
        for unit in units:
            self.failures.pop(unit, None)
            self.fallbacks.pop(unit, None)

    def open_log(self, unit: str) -> None:
        path = self.logs.log_file(unit)
        if unit == self.logs.unit and not self.logs.exists:
            self.window.statusBar().showMessage(
                f"No log yet for {unit}: Port Manager writes {path} when it starts {unit}.", 8000)
            return
        self.desktop.open_url(QUrl.fromLocalFile(str(path)).toString())

    def edit_settings(self) -> None:
        new = self.asks.settings(self.window, self.settings)
        if new is not None and new != self.settings:
            self.settings = new
            self.scanner.set_interval(new.refresh_ms)
            self.settings_changed.emit(new)

    def _save(self, registry: Registry) -> None:
        overwrite, self._overwrite_next = self._overwrite_next, False
        self.store.save(registry, overwrite=overwrite)

    def _keep_edits(self) -> None:
        self._overwrite_next = True
        self.window.banner.show_message(
            "Keeping your edits: saving will replace the registry file's newer content.", "warn")

    # -- incoming values ------------------------------------------------------------
    def _on_registry(self, registry: Registry) -> None:
        self.registry = registry
        self.controller.set_registry(registry)
        ports = {p for s in registry.services.values() for p in s.ports} | {s.port for s in self.store.slots}
        self.scanner.set_ports(ports)
        if not self.store.problem:
            self.window.banner.hide()
        self._rebuild()
        self.scanner.refresh()

    def _on_load_failed(self, message: str) -> None:
        self.window.banner.show_message(message, "error")
        if self.tray is not None:
            self.tray.update(self.registry, self.rows, problem=message)
        if self.registry is None:
            self.window.bring_to_front()    # nothing loaded at all: the error must be seen

    def _on_conflict(self, path: str) -> None:
        self.window.banner.show_message(
            f"{path} was changed outside Port Manager while you have unsaved edits here. "
            "Reload it (your edits are discarded) or keep your edits (saving replaces the file).",
            "warn", conflict=True)

    def _on_records(self, read: StateRead) -> None:
        new = tuple(Managed(r.unit, r.pid, r.port, r.alive, r.marked) for r in read.records)
        if new != self.records:
            self.records, self._records_new = new, True
        self._show_state_damage(read.damage)

    def _show_state_damage(self, damage: StateDamage | None) -> None:
        """The banner while the state record is damaged; a notification once per new damage."""
        if damage is None:
            self.state_damage = None
            self.window.state_banner.hide()
            return
        told = self.state_damage
        self.state_damage = damage
        if damage != told:     # the same damage again: the banner stays as it is (also when dismissed)
            self.window.state_banner.show_message(text.state_damage_text(damage), "error")
        if told is None or (told.path, told.kind, told.entries) != (damage.path, damage.kind, damage.entries):
            self.notify(text.STATE_DAMAGE_TITLE, text.state_damage_text(damage), critical=True)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        old, self.snapshot = self.snapshot, snapshot
        if old is not None and self.settings.notifications and self.settings.watched_port_notifications:
            for event in watch.diff(old, snapshot):
                self.notify("Port changed", event.summary())
        if old is not None and old.ports == snapshot.ports and not self._records_new:
            return     # the usual idle refresh: nothing to redo (uptimes tick in the model)
        self._rebuild()

    def _rebuild(self) -> None:
        if self.registry is None:
            return
        self._records_new = False
        self.rows = build_rows(self.registry, self.store.slots, self.snapshot, self.records, self.failures,
                               self.fallbacks, now=time.time(), live=self.live_notes)
        self.window.set_rows(self.rows)
        lines = summary(self.rows).splitlines()
        self.window.set_summary(lines[0] + (f" - {len(lines) - 1} to look at" if lines[-1] != "All good" else " - all good"))
        own = frozenset(r.pid for r in self.records if r.pid is not None)
        self.window.set_context(self.registry, self.snapshot, self.store.slots, self.store.allocations(), own)
        if self.tray is not None:
            self.tray.update(self.registry, self.rows, problem=self.store.problem)
        self.rows_changed.emit(self.rows)

    def set_live_notes(self, notes: dict[str, str]) -> None:
        """The running llama-swap/ClaraCore's word on each model row (``InteropPresenter.show_live``)."""
        if notes != self.live_notes:
            self.live_notes = dict(notes)
            self._rebuild()

    # -- results --------------------------------------------------------------------
    def notify(self, title: str, text: str, critical: bool = False) -> None:
        self.notified.emit(title, text)
        if self.tray is not None and self.settings.notifications:
            self.tray.notify(title, text, critical)

    def _on_event(self, event) -> None:
        """Crashes, restarts, stops: what happens outside a start (a start's result is ``_on_started``)."""
        if event.kind in text.EVENT_NOTIFIED:
            self.failures[event.unit] = text.event_note(event)
            self.notify(text.event_title(event), event.message, True)
        elif event.kind is EventKind.STOPPED:
            self.fallbacks.pop(event.unit, None)
            self.failures.pop(event.unit, None)
        if event.kind is not EventKind.STARTING:
            self._rebuild()
            self.scanner.refresh()
        if event.unit == self.logs.unit:
            self.logs.refresh()

    def _on_started(self, _name: str, outcomes) -> None:
        """The one report of each start (asked for, or a restart after a crash): told once here."""
        for out in outcomes:
            self.failures.pop(out.unit, None)
            self.fallbacks.pop(out.unit, None)
            if out.ok:
                told = fallback_of(out)
                if told is not None:
                    self.fallbacks[out.unit] = told
                    self.notify(text.FALLBACK_TITLE, fallback_note(told, None))   # what the start found
            else:
                self.failures[out.unit] = text.start_failure_note(out)
                if out.failure is StartFailure.ALL_TAKEN and self._all_taken(out):
                    continue
                self.notify(text.start_failure_title(out), text.start_failure_text(out), True)
        if any(out.unit == self.logs.unit for out in outcomes):
            self.logs.refresh()
        self._rebuild()
        self.scanner.refresh()

    def _all_taken(self, out) -> bool:
        """The 'all ports taken' question; True when it was asked."""
        if not out.tried:
            return False
        snap = self.snapshot
        question = all_taken_question(out.unit, out.tried, lambda p: snap.holders(p) if snap else ())
        choice = self.asks.all_taken(self.window, question)
        if choice is AllTakenChoice.KILL_AND_START:
            self._start_after_kill[out.tried[0]] = out.unit
            self.controller.plan_kill(out.tried[0])
        elif choice is AllTakenChoice.EDIT_PORTS:
            self.window.bring_to_front()
            self.window.edit_service(out.unit)
        return True

    def _service_of(self, port: int) -> str:
        return ", ".join(dict.fromkeys(r.unit for r in self.rows if r.port == port))

    def _on_kill_planned(self, port: int, plan) -> None:
        question = kill_question(plan, self._service_of(port))
        if self.asks.kill(self.window, question) and question.can_kill:
            self.controller.kill(port, plan)
        else:
            self._start_after_kill.pop(port, None)

    def _on_killed(self, port: int, result) -> None:
        if result.port_free:
            self.window.statusBar().showMessage(text.killed_text(port, result), 8000)
            unit = self._start_after_kill.pop(port, None)
            if unit:
                self.start(unit)
        else:
            self._start_after_kill.pop(port, None)
            self.window.banner.show_message(text.still_held_text(port, result), "error")
        self.scanner.refresh()

    def _on_failed(self, failure) -> None:
        message = text.request_failed(failure)
        self.window.banner.show_message(message, "error")
        self.notify("Port Manager", message, True)
