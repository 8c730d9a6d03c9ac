"""Every signal of the desktop app joined to its receiver: the one place that connects the world.

``app.build`` makes the objects and calls the functions below; presenters, services and views
connect nothing of each other (a presenter may connect the dialog it creates itself). Each
link is a ``(signal, slot)`` pair whose slot is a method of a QObject, or another signal: Qt
runs a method on its receiver's thread (queued when another thread emits), here always the GUI
thread. A lambda or a plain function has no receiver: PySide6 runs it on the *sender's* thread,
which for a QObject living on a worker is the worker, where it must not touch a widget;
``connect`` refuses one. ``Parts.links`` keeps every pair (tests check them).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, SignalInstance

if TYPE_CHECKING:
    from .services.controller import Controller
    from .services.live_models import LiveModels
    from .services.log_follower import LogFollower
    from .services.quit_flow import QuitFlow
    from .services.registry_store import RegistryStore
    from .services.scanner import Scanner
    from .services.settings_keeper import SettingsKeeper
    from .ui.all_ports_presenter import AllPortsPresenter
    from .ui.all_ports_tab import AllPortsTab
    from .ui.interop_presenter import InteropPresenter
    from .ui.main_window import MainWindow
    from .ui.presenter import Presenter
    from .ui.tray import Tray

Link = tuple[SignalInstance, Callable[..., Any]]


def receiver(slot: Callable[..., Any]) -> QObject | None:
    """The QObject a slot belongs to (the object whose thread runs it), or None."""
    owner = getattr(slot, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def connect(links: Iterable[Link]) -> list[Link]:
    """Connect each pair; a slot that is neither a QObject's method nor a signal is refused."""
    done = list(links)
    for signal, slot in done:
        if not isinstance(slot, SignalInstance) and receiver(slot) is None:
            raise TypeError(f"{signal} -> {slot!r}: connect to a QObject's method or a signal, not a lambda "
                            "or a plain function (it runs on the sender's thread, not the receiver's)")
    for signal, slot in done:
        signal.connect(slot)
    return done


def presenter_links(presenter: Presenter, window: MainWindow, store: RegistryStore, scanner: Scanner,
                    controller: Controller, logs: LogFollower) -> list[Link]:
    """Services -> presenter -> window, and the window's requests -> presenter / services."""
    return [
        (store.registry_changed, presenter.on_registry),
        (store.load_failed, presenter.on_load_failed),
        (store.save_failed, presenter.on_save_failed),
        (store.saved, presenter.on_saved),
        (store.external_change_conflict, presenter.on_conflict),
        (scanner.snapshot_changed, presenter.on_snapshot),
        (scanner.records_changed, presenter.on_records),
        (scanner.scan_failed, presenter.on_scan_failed),
        (controller.started, presenter.on_started),
        (controller.stopped, presenter.on_stopped),
        (controller.kill_planned, presenter.on_kill_planned),
        (controller.killed, presenter.on_killed),
        (logs.tail_changed, window.show_log),
        (controller.supervisor_event, presenter.on_event),
        (controller.failed, presenter.on_failed),
        (window.start_requested, presenter.start),
        (window.stop_requested, controller.stop),
        (window.restart_requested, presenter.restart),
        (window.back_requested, presenter.back_to_preferred),
        (window.kill_requested, controller.plan_kill),
        (window.open_url_requested, presenter.open_url),
        (window.copy_url_requested, presenter.copy_url),
        (window.refresh_requested, scanner.refresh),
        (window.settings_requested, presenter.edit_settings),
        (window.save_requested, presenter.save),
        (window.reload_requested, store.reload),
        (window.keep_edits_requested, presenter.keep_edits),
        (window.dirty_changed, store.set_dirty),
        (window.log_requested, logs.follow),
        (window.open_log_requested, presenter.open_log),
    ]


def shell_links(presenter: Presenter, window: MainWindow, tray: Tray | None, quit_flow: QuitFlow) -> list[Link]:
    """The tray and the quit flow."""
    links: list[Link] = [
        (quit_flow.quitting, window.quitting),
        (window.quit_requested, quit_flow.request),
    ]
    if tray is not None:
        links += [
            (presenter.overview_changed, tray.update),
            (presenter.alerted, tray.notify),
            (quit_flow.quitting, tray.stopping),
        ]
    return links


def settings_links(presenter: Presenter, keeper: SettingsKeeper) -> list[Link]:
    """The settings file and the start-at-login entry, kept in step with the presenter's settings."""
    return [
        (presenter.settings_changed, keeper.apply),
        (keeper.done, presenter.on_settings_outcome),
        (keeper.failed, presenter.on_settings_failed),
    ]


def interop_links(interop: InteropPresenter, window: MainWindow, store: RegistryStore,
                  scanner: Scanner) -> list[Link]:
    """Import, linked files and the restart strip: the window and services <-> the interop presenter."""
    worker = interop.worker
    return [
        (window.import_requested, interop.ask_import),
        (window.links_requested, interop.show_links),
        (window.restart_unit_requested, interop.restart_unit),
        (window.restart_all_requested, interop.restart_all),
        (store.registry_changed, interop.on_registry),
        (store.saved, interop.on_saved),
        (store.save_failed, interop.on_save_failed),
        (scanner.records_changed, interop.on_records),
        (worker.imported, interop.on_imported),
        (worker.import_failed, interop.on_import_failed),
        (worker.synced, interop.on_synced),
        (worker.links_loaded, interop.on_links),
        (worker.links_listed, interop.on_listed),
        (worker.links_failed, interop.on_links_failed),
    ]


def all_ports_links(all_presenter: AllPortsPresenter, tab: AllPortsTab, all_scanner: Scanner,
                    tray: Tray | None, controller: Controller) -> list[Link]:
    """The machine-wide scan -> the All ports tab and the tray's "Other ports", and their requests."""
    links: list[Link] = [
        (all_scanner.snapshot_changed, all_presenter.on_update),
        (tab.shown, all_presenter.on_shown),
        (tab.spec_changed, all_presenter.on_spec),
        (tab.kill_requested, controller.plan_kill),
        (tab.stop_container_requested, all_presenter.stop_container),
        (tab.add_requested, all_presenter.add_to_registry),
        (controller.container_stopped, all_presenter.container_stopped),
    ]
    if tray is not None:
        links += [
            (tray.menu_opening, all_scanner.refresh),
            (tray.stop_container_requested, all_presenter.stop_container),
            (all_presenter.listeners_changed, tray.set_listeners),
        ]
    return links


def live_links(live: LiveModels, all_scanner: Scanner, store: RegistryStore, all_presenter: AllPortsPresenter,
               interop: InteropPresenter, presenter: Presenter) -> list[Link]:
    """A running llama-swap/ClaraCore's real model ports, checked with each machine-wide scan."""
    return [
        (store.registry_changed, live.set_registry),
        (all_scanner.snapshot_changed, live.on_scan),
        (live.reported, interop.show_live),
        (store.registry_changed, all_presenter.on_registry),
        (interop.live_notes_changed, presenter.set_live_notes),
        (interop.live_warned, presenter.notify),
    ]
