"""The All ports tab and the tray's "Other ports", fed by the machine-wide scan.

The machine-wide scan runs only while somebody looks: periodically while the All ports tab
is shown, and once each time the tray menu opens (its "Other ports" submenu fills with the
answer, even while open). The presenter turns the tab's requests into the controller's
work (kill plan, container stop) and Add to registry into a new registry value for the
normal save path; the sentences people read are made here. ``app.py`` connects the scan, the
tab and the tray to its methods; the tray gets the listeners through ``listeners_changed``.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ..core.occupancy.listener_groups import GroupsUpdate
from ..core.occupancy.listeners import Listener, new_service, service_name
from ..core.registry.model import Registry
from ..text.kill import container_stop_failure
from .all_ports_tab import AllPortsTab


@dataclass(frozen=True)
class AllPortsHooks:
    """What the presenter needs from the rest of the app (the composition root passes them)."""

    registry: Callable[[], Registry | None]            # the registry value in use
    save: Callable[[Registry], None]                   # the normal save path
    confirm: Callable[[str, str], bool]                # (title, text) -> yes?
    notify: Callable[[str, str, bool], None]           # (title, text, critical)
    plan_kill: Callable[[int], None]                   # port -> the kill flow (confirmation, identity check)
    stop_container: Callable[[str, str], None]         # (runtime, container) -> stopped off the GUI thread


def stop_question(listener: Listener) -> tuple[str, str]:
    runtime = listener.runtime or "docker"
    return ("Stop container", f"Port {listener.port} is published by container {listener.container} "
                              f"(forwarded by {listener.name}, pid {listener.pid}).\n\n"
                              f"Stop the container with `{runtime} stop {listener.container}`?")


class AllPortsPresenter(QObject):
    """See the module docstring. ``scanner``: a services ``Scanner`` running ``feed`` (a
    ``ListenerFeed``)."""

    listeners_changed = Signal(object, str)    # every listener of the machine, who we are (the tray)

    def __init__(self, tab: AllPortsTab, scanner, feed, hooks: AllPortsHooks, me_user: str = "",
                 parent: QObject | None = None):
        super().__init__(parent)
        self.tab, self.scanner, self.hooks, self.me_user = tab, scanner, hooks, me_user
        self.feed = feed          # its ``spec`` (sort, search, system) is read by the next scan
        self._started = False
        self._watching_models = False   # a llama-swap/ClaraCore pool's live ports need the machine-wide scan

    def start(self) -> None:
        """The app runs: scan while the tab is visible."""
        self._started = True
        self.on_shown(self.tab.isVisible())

    def shutdown(self) -> None:
        """The app quits: the tab hiding as the window goes asks for nothing any more."""
        self._started = False

    def on_registry(self, registry: Registry) -> None:
        """Keep scanning while hidden when the registry has a pool a runtime numbers: the Ports tab's
        live model notes come from the machine-wide scan."""
        self._watching_models = any(g.numbered_by for g in registry.pools())
        self.on_shown(self.tab.isVisible())

    def on_shown(self, visible: bool) -> None:
        if not self._started:
            return
        wanted = visible or self._watching_models
        if wanted and not self.scanner.running:
            self.scanner.start()
        elif not wanted and self.scanner.running:
            self.scanner.pause()

    def on_spec(self, spec) -> None:
        self.feed.spec = spec
        self.scanner.refresh()          # the next scan answers in the new order / with the new filter

    def on_update(self, update: GroupsUpdate) -> None:
        self.tab.apply(update)
        self.listeners_changed.emit(update.listeners, self.me_user)

    def stop_container(self, listener: Listener) -> None:
        """Ask, then stop the container behind ``listener`` with its runtime's own command."""
        if not listener.container:
            return
        title, text = stop_question(listener)
        if self.hooks.confirm(title, text):
            self.hooks.stop_container(listener.runtime or "docker", listener.container)

    def container_stopped(self, result) -> None:
        """The controller's answer to a container stop (``interop.docker.StopResult``)."""
        if result.ok:
            self.hooks.notify("Stop container", f"Stopped container {result.container}; its ports are free.", False)
        else:
            self.hooks.notify("Stop container", f"Stopping container {result.container} failed: {container_stop_failure(result)}",
                              True)
        self.scanner.refresh()

    def add_to_registry(self, listener: Listener) -> None:
        """A new service with the listener's port (and its command line, when the user says so),
        saved through the normal save path."""
        reg = self.hooks.registry()
        if reg is None:
            self.hooks.notify("Add to registry", "The registry is not loaded; fix it first.", True)
            return
        name = service_name(listener, reg.names())
        cmd = shlex.join(listener.holder.cmdline) if listener.holder and listener.holder.cmdline else ""
        with_command = bool(cmd) and self.hooks.confirm(
            "Add to registry", f"Add service {name} on port {listener.port}.\n\nAlso use its command line as the "
                               f"service's command, so Port Manager can start it?\n\n{cmd}")
        self.hooks.save(new_service(listener, reg, name, with_command))
