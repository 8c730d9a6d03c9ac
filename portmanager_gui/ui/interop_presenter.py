"""Import, linked files and "restart what moved" in the desktop app, between the views and the
services (``app.py`` connects their signals to its ``on_*`` slots and request methods).

- Import: the window's "Import..." asks for a file, the worker reads it off the GUI thread,
  the preview dialog shows the changes; only Apply saves (through ``RegistryStore``) and,
  with "Keep this file linked", adds the link. Bad input is shown as ``file:line: message``.
- Every save made in the app is followed by a sync of the linked files (off the GUI thread);
  what was written goes to the status bar, a link that could not be written to the banner.
- Every registry change (a save here, or the CLI editing the file) lists the running units
  whose port moved in the window's restart strip; its buttons restart through ``restart``.
- Live truth of a running llama-swap / ClaraCore (``show_live``, fed by ``LiveModels``): each
  model row gets a note with the model's real port and state beside the registry's; a model
  on another port, or a registered port serving another model, is a warning in the banner and
  a notification (once per new difference).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from ..core.interop.changes import changed_units
from ..core.interop.links import LINK_KIND_OF_IMPORT, Link, Links
from ..core.registry.model import Registry
from .text import import_failed, job_failure

if TYPE_CHECKING:
    from .import_dialog import ImportChoice
    from .links_dialog import LinksDialog

# The import kinds Port Manager can also write back (a compose file is only read).
STATUS_MS = 10000


# The dialogs are imported when first shown: their widget types cost memory at start.
def _ask_import_path(parent: Any) -> "str | None":
    from .import_dialog import ask_import_path
    return ask_import_path(parent)


def _ask_import_preview(parent: Any, result: Any, can_link: bool) -> "ImportChoice":
    from .import_dialog import ask_import_preview
    return ask_import_preview(parent, result, can_link)


@dataclass(frozen=True)
class InteropAsks:
    """The modal questions (real dialogs in the app, recorders in tests)."""

    import_path: Callable[[Any], "str | None"] = _ask_import_path
    import_preview: Callable[[Any, Any, bool], "ImportChoice"] = _ask_import_preview


def _label(runtime: str) -> str:
    return {"claracore": "ClaraCore"}.get(runtime, runtime)


def live_note(runtime: str, check: Any) -> str:
    """The model row's sentence: where the model really is, beside the registry's port."""
    name = _label(runtime)
    if check.moved:
        text = (f"WARNING: {name} runs {check.model} on port {check.actual} ({check.state or 'running'}), "
                f"not on {check.expected} as the registry says")
        if check.held_by:
            text += f"; {check.expected} serves {check.held_by}"
        return text + f". Import {name}'s config again, or restart {name} after changing it"
    if check.held_by:
        return (f"WARNING: port {check.expected} serves {check.held_by}, but the registry gives it to "
                f"{check.model}. Import {name}'s config again, or restart {name} after changing it")
    if check.actual is None and check.state:
        return f"{name}: {check.model} {check.state} (its port is not reported; the registry says {check.expected})"
    if check.actual is None:
        return f"{name}: {check.model} is not running ({name} starts it on the first request)"
    return f"{name}: {check.model} {check.state or 'running'} on port {check.actual}, as the registry says"


class InteropPresenter(QObject):
    live_notes_changed = Signal(object)     # {unit: sentence} for the model rows
    live_warned = Signal(str, str)          # title, text: a new difference between registry and runtime

    def __init__(self, window, store, worker, restart: Callable[[str], None], *,
                 asks: InteropAsks | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.store, self.worker, self.restart = window, store, worker, restart
        self.asks = asks or InteropAsks()
        self.registry: Registry | None = None      # the last registry seen (the "old" of a change)
        self.running: tuple[str, ...] = ()         # units Port Manager runs now
        self.links = Links()
        self.links_dialog: "LinksDialog | None" = None
        self._link_after_save: Link | None = None
        self.live_notes: dict[str, str] = {}
        self.live_warnings: tuple[str, ...] = ()

    def start(self) -> None:
        """Read links.json once (off the GUI thread): it tells who reads a linked config.js."""
        self.worker.load_links()

    # -- import ---------------------------------------------------------------------
    def ask_import(self) -> None:
        if self.store.registry is None:
            self.window.show_banner("Import: the registry has not loaded yet; fix it first.", "error")
            return
        if self.window.has_unsaved_edits():
            self.window.show_banner("Import: save or discard your edits in the Services and Groups "
                                            "tabs first (the import is saved right away).", "warn")
            return
        path = self.asks.import_path(self.window)
        if path:
            self.window.show_status(f"Reading {path}...")
            self.worker.import_file(path, self.store.registry)

    def import_file(self, path: str) -> None:
        """Import ``path`` without asking for it (tests, drag and drop)."""
        if self.store.registry is not None:
            self.worker.import_file(path, self.store.registry)

    def on_imported(self, result) -> None:
        from .import_dialog import ImportAction
        self.window.clear_status()
        link_kind = LINK_KIND_OF_IMPORT.get(result.kind)
        choice = self.asks.import_preview(self.window, result, link_kind is not None)
        if choice.action is ImportAction.CANCEL:
            self.window.show_status(f"Import of {result.source} cancelled: nothing was written", STATUS_MS)
            return
        final = result.with_clash_fixed() if choice.action is ImportAction.FIX_AND_APPLY else result
        link = Link(link_kind, result.source) if choice.link and link_kind else None
        if self.store.registry != final.base:
            self.window.show_banner(f"Import of {result.source}: the registry changed while the preview "
                                            "was open; nothing was written. Import the file again.", "warn")
            return
        if final.changes:
            self._link_after_save = link    # the sync right after the save links it first
            self.store.save(final.registry)
        elif link is not None:
            self.worker.sync(self.store.registry, add=link)
        else:
            self.window.show_status(f"{result.source}: the registry already has these ports", STATUS_MS)

    def on_import_failed(self, failure) -> None:
        """``JobFailure``: the file could not be read (nothing was written)."""
        self.window.clear_status()
        self.window.show_banner(import_failed(failure), "error")

    # -- linked files -----------------------------------------------------------------
    def on_save_failed(self, _message) -> None:
        self._link_after_save = None

    def on_saved(self, _path: str) -> None:
        link, self._link_after_save = self._link_after_save, None
        if self.store.registry is not None:
            self.worker.sync(self.store.registry, add=link)

    def on_synced(self, report) -> None:
        if not report.error:
            self.links = Links(tuple(o.link for o in report.outcomes))
        problems = ([report.error] if report.error else []) + [o.error for o in report.failed]
        if problems:
            self.window.show_banner("Linked file not updated: " + "\n".join(problems), "warn")
        if report.written:
            done = "; ".join(f"{o.link.path.name} ({', '.join(o.changes)})" for o in report.written)
            self.window.show_status(f"Updated linked files: {done}", STATUS_MS)
        elif report.outcomes and not problems:
            self.window.show_status("Linked files are in step with the registry", STATUS_MS)
        if self.links_dialog is not None and self.links_dialog.isVisible():
            self._list_links()

    def on_links(self, links: Links) -> None:
        self.links = links

    def show_links(self) -> None:
        if self.links_dialog is None:
            from .links_dialog import LinksDialog
            self.links_dialog = LinksDialog(self.window)
            self.links_dialog.remove_requested.connect(self._remove_link)
            self.links_dialog.refresh_requested.connect(self._list_links)
        self.links_dialog.show()
        self.links_dialog.raise_()
        self._list_links()

    def _list_links(self) -> None:
        if self.store.registry is None:
            self._links_problem("The registry has not loaded yet; fix it to see the linked files.")
            return
        self.worker.list_links(self.store.registry)

    def _remove_link(self, path: str) -> None:
        if self.store.registry is not None:
            self.worker.remove_link(path, self.store.registry)

    def on_listed(self, outcomes) -> None:
        if self.links_dialog is not None:
            self.links_dialog.set_links(outcomes)

    def on_links_failed(self, failure) -> None:
        """``JobFailure``: links.json (or the file to link) could not be read or written."""
        self._links_problem(job_failure(failure))

    def _links_problem(self, message: str) -> None:
        if self.links_dialog is not None and self.links_dialog.isVisible():
            self.links_dialog.set_error(message)
        else:
            self.window.show_banner(f"Linked files: {message}", "warn")

    # -- restarts ---------------------------------------------------------------------
    def on_records(self, read) -> None:
        self.running = tuple(r.unit for r in read.records if r.alive)

    def _consumers(self, registry: Registry) -> tuple[str, ...]:
        """The frontend reads a linked config.js: it needs a restart whenever a port moved."""
        return ("frontend",) if self.links.of_kind("js") and "frontend" in registry.services else ()

    def on_registry(self, registry: Registry) -> None:
        old, self.registry = self.registry, registry
        if old is None or old == registry:
            return
        units = changed_units(old, registry, self.running, consumers=self._consumers(registry))
        if units:
            self.window.offer_restart([*self.window.restart_units(), *units])

    def restart_unit(self, unit: str) -> None:
        self.window.offer_restart([u for u in self.window.restart_units() if u != unit])
        self.restart(unit)

    def restart_all(self) -> None:
        units = self.window.restart_units()
        self.window.offer_restart([])
        for unit in units:
            self.restart(unit)

    # -- live truth of llama-swap / ClaraCore --------------------------------------------
    def show_live(self, reports) -> None:
        """``LiveReport`` values: notes for the model rows; a new mismatch is told, a gone one cleared."""
        notes = {f"{rep.pool}/{m.model}": live_note(rep.runtime, m) for rep in reports for m in rep.models}
        if notes != self.live_notes:
            self.live_notes = notes
            self.live_notes_changed.emit(notes)
        warnings = tuple(notes[f"{rep.pool}/{m.model}"] for rep in reports for m in rep.mismatches) + tuple(
            f"WARNING: {_label(rep.runtime)} runs {r.model}{f' on port {r.port}' if r.port is not None else ''}, "
            f"which the registry does not have. Import {_label(rep.runtime)}'s config again"
            for rep in reports for r in rep.unknown)
        old, self.live_warnings = self.live_warnings, warnings
        if warnings and set(warnings) - set(old):
            text = "\n".join(warnings)
            self.window.show_banner(text, "warn")
            self.live_warned.emit("Model ports differ from the registry", text)
        elif old and not warnings:
            self.window.hide_banner("\n".join(old))      # only if it still shows the warnings that are gone
