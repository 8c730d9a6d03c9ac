"""Turns service signals into what the window and tray show, and their requests into work.

It keeps the latest values (registry, slots, snapshot, managed records, failures, the
fallbacks starts found), rebuilds the rows with ``core.port_rows.build_rows`` and hands them
to the window through its methods (never reaching into its widgets) and to the tray through
``overview_changed`` / ``alerted``. Each start's result arrives once (``Controller.started``)
and is told once; the sentences come from ``ui.text``. Questions to the user go through the
``Asks`` functions it is given, so tests answer them without a modal loop. It connects
nothing: ``app.py`` joins the services' signals and the window's requests to its ``on_*``
slots and request methods. It owns no threads and does no I/O.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ..core.occupancy import snapshot_diff as watch
from ..core.occupancy.snapshot import Snapshot
from ..core.port_rows import (
    Fallback,
    Managed,
    PortRow,
    back_to_preferred,
    build_rows,
    fallback_of,
)
from ..core.registry.model import Registry
from ..core.settings import Settings
from ..core.supervisor.records import StateDamage, StateRead
from ..text.rows import fallback_text, summary
from . import text
from .main_window import MainWindow

if TYPE_CHECKING:   # the questions' module is imported when the first question is asked (issue 16)
    from .dialogs import AllTakenChoice, AllTakenQuestion, KillQuestion


@dataclass(frozen=True)
class Asks:
    """The modal questions the presenter asks (replaced by answers in tests)."""

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
    notified = Signal(str, str)            # title, text
    alerted = Signal(str, str, bool)       # title, text, critical: notified while notifications are on (tray)
    overview_changed = Signal(object, object, str)   # registry, rows, why the registry is not in use ("" if it is)
    settings_changed = Signal(object)      # Settings

    def __init__(self, window: MainWindow, scanner, controller, store, *,
                 settings: Settings, asks: Asks, desktop: Desktop, logs, parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.scanner, self.controller, self.store = window, scanner, controller, store
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
            self.window.show_status(
                f"No log yet for {unit}: Port Manager writes {path} when it starts {unit}.", 8000)
            return
        # not needed to paint the first snapshot (issue 16)
        from PySide6.QtCore import QUrl

        self.desktop.open_url(QUrl.fromLocalFile(str(path)).toString())

    def open_url(self, url: str) -> None:
        self.desktop.open_url(url)

    def copy_url(self, url: str) -> None:
        self.desktop.copy(url)

    def edit_settings(self) -> None:
        new = self.asks.settings(self.window, self.settings)
        if new is not None and new != self.settings:
            self.settings = new
            self.scanner.set_interval(new.refresh_ms)
            self.settings_changed.emit(new)

    def save(self, registry: Registry) -> None:
        overwrite, self._overwrite_next = self._overwrite_next, False
        self.store.save(registry, overwrite=overwrite)

    def keep_edits(self) -> None:
        self._overwrite_next = True
        self.window.show_banner(
            "Keeping your edits: saving will replace the registry file's newer content.", "warn")

    def on_settings_outcome(self, outcome) -> None:
        """What keeping the settings and the start-at-login entry in step found (``SettingsOutcome``)."""
        # its OS rules: imported after the first paint
        from .autostart_text import blocker_text, location_text

        if outcome.blocker is not None:
            self.settings = dataclasses.replace(self.settings, start_at_login=False)
            self.notify("Start at login", blocker_text(outcome.blocker), critical=True)
        if outcome.error:
            self.notify("Start at login", outcome.error, critical=True)
        if outcome.problem is not None:
            self.notify("Port Manager", location_text(outcome.problem), critical=True)

    def on_settings_failed(self, message: str) -> None:
        self.notify("Settings", f"Settings not saved: {message}", critical=True)

    # -- incoming values ------------------------------------------------------------
    def on_registry(self, registry: Registry) -> None:
        self.registry = registry
        self.controller.set_registry(registry)
        ports = {p for s in registry.services.values() for p in s.ports} | {s.port for s in self.store.slots}
        self.scanner.set_ports(ports)
        if not self.store.problem:
            self.window.hide_banner()
        self._rebuild()
        self.scanner.refresh()

    def on_load_failed(self, problem) -> None:
        """``StoreProblem``: the registry file is not (all) in use."""
        message = text.store_problem(problem)
        self.window.show_banner(message, "error")
        self.overview_changed.emit(self.registry, self.rows, message)
        if self.registry is None:
            self.window.bring_to_front()    # nothing loaded at all: the error must be seen

    def on_save_failed(self, problem) -> None:
        self.window.show_banner(f"Not saved: {text.store_problem(problem)}", "error")

    def on_saved(self, path: str) -> None:
        self.window.show_status(f"Saved {path}", 5000)

    def on_scan_failed(self, failure) -> None:
        self.window.show_status(text.scan_failed(failure))

    def on_stopped(self, _name: str, _outcomes) -> None:
        self.scanner.refresh()

    def on_conflict(self, path: str) -> None:
        self.window.show_banner(
            f"{path} was changed outside Port Manager while you have unsaved edits here. "
            "Reload it (your edits are discarded) or keep your edits (saving replaces the file).",
            "warn", conflict=True)

    def on_records(self, read: StateRead) -> None:
        new = tuple(Managed(r.unit, r.pid, r.port, r.alive, r.marked) for r in read.records)
        if new != self.records:
            self.records, self._records_new = new, True
        self._show_state_damage(read.damage)

    def _show_state_damage(self, damage: StateDamage | None) -> None:
        """The banner while the state record is damaged; a notification once per new damage."""
        if damage is None:
            self.state_damage = None
            self.window.hide_state_damage()
            return
        told = self.state_damage
        self.state_damage = damage
        if damage != told:     # the same damage again: the banner stays as it is (also when dismissed)
            self.window.show_state_damage(text.state_damage_text(damage))
        if told is None or (told.path, told.kind, told.entries) != (damage.path, damage.kind, damage.entries):
            self.notify(text.STATE_DAMAGE_TITLE, text.state_damage_text(damage), critical=True)

    def on_snapshot(self, snapshot: Snapshot) -> None:
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
        problem = self.store.problem
        self.overview_changed.emit(self.registry, self.rows, text.store_problem(problem) if problem else "")
        self.rows_changed.emit(self.rows)

    def set_live_notes(self, notes: dict[str, str]) -> None:
        """The running llama-swap/ClaraCore's word on each model row (``InteropPresenter.show_live``)."""
        if notes != self.live_notes:
            self.live_notes = dict(notes)
            self._rebuild()

    # -- results --------------------------------------------------------------------
    def notify(self, title: str, text: str, critical: bool = False) -> None:
        self.notified.emit(title, text)
        if self.settings.notifications:
            self.alerted.emit(title, text, critical)

    def on_event(self, event) -> None:
        """Crashes, restarts, stops: what happens outside a start (a start's result is ``on_started``)."""
        # sent by the supervisor, which has loaded them: not needed to paint (issue 16)
        from ..core.supervisor.types import EventKind
        from ..text.supervisor import event_text

        if event.kind in (EventKind.CRASHED, EventKind.GAVE_UP):
            self.failures[event.unit] = text.event_note(event)
            self.notify(text.event_title(event), event_text(event), True)
        elif event.kind is EventKind.STOPPED:
            self.fallbacks.pop(event.unit, None)
            self.failures.pop(event.unit, None)
        if event.kind is not EventKind.STARTING:
            self._rebuild()
            self.scanner.refresh()
        if event.unit == self.logs.unit:
            self.logs.refresh()

    def on_started(self, _name: str, outcomes) -> None:
        """The one report of each start (asked for, or a restart after a crash): told once here."""
        # with the outcomes, which the supervisor made: not needed to paint (issue 16)
        from ..core.supervisor.types import StartFailure

        for out in outcomes:
            self.failures.pop(out.unit, None)
            self.fallbacks.pop(out.unit, None)
            if out.ok:
                told = fallback_of(out)
                if told is not None:
                    self.fallbacks[out.unit] = told
                    self.notify(text.FALLBACK_TITLE, fallback_text(told))   # what the start found
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
        # the questions' module, when it is first asked (issue 16)
        from .dialogs import AllTakenChoice, all_taken_question

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

    def on_kill_planned(self, port: int, plan) -> None:
        # the questions' module, at the first kill (issue 16)
        from .dialogs import kill_question

        question = kill_question(plan, self._service_of(port))
        if self.asks.kill(self.window, question) and question.can_kill:
            self.controller.kill(port, plan)
        else:
            self._start_after_kill.pop(port, None)

    def on_killed(self, port: int, result) -> None:
        if result.port_free:
            self.window.show_status(text.killed_text(port, result), 8000)
            unit = self._start_after_kill.pop(port, None)
            if unit:
                self.start(unit)
        else:
            self._start_after_kill.pop(port, None)
            self.window.show_banner(text.still_held_text(port, result), "error")
        self.scanner.refresh()

    def on_failed(self, failure) -> None:
        message = text.request_failed(failure)
        self.window.show_banner(message, "error")
        self.notify("Port Manager", message, True)
